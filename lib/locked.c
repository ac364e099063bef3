/* SPDX-License-Identifier: MIT */
/*
 * locked.c - allocation and release under the heap lock (locked.h), called
 * by shmheap_alloc and shmheap_free, and by a front for what it does not
 * serve, each as its last step, so that the calls a front serves save
 * nothing for this path.
 */
#include <errno.h>

#include "blocks.h"
#include "locked.h"
#include "lock.h"

void *heap_alloc_end(struct shmheap_heap *h, heap_off off, const char *call)
{
	if (heap_end_call(h, call) < 0)
		return NULL; /* EUCLEAN */
	if (!off) {
		errno = errno == ENOSPC ? ENOSPC : ENOMEM;
		return NULL;
	}
	return h->base + off + HEAP_UNIT;
}

void *heap_alloc_locked(struct shmheap_heap *h, uint64_t need)
{
	if (heap_lock(h) < 0)
		return NULL;
	return heap_alloc_end(h, block_alloc_growing(h, need), "shmheap_alloc");
}

int heap_free_locked(struct shmheap_heap *h, void *ptr)
{
	if (heap_lock(h) < 0)
		return -1;
	heap_off off = block_of_object(h, ptr);
	if (off && block_release(h, off) < 0)
		off = 0;
	if (heap_end_call(h, "shmheap_free") < 0)
		return -1; /* EUCLEAN */
	if (!off) {
		__atomic_add_fetch(&h->invalid_frees, 1, __ATOMIC_RELAXED);
		errno = EINVAL;
		return -1;
	}
	return 0;
}
