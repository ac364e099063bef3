/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - shmheap_alloc and shmheap_free, the calls every user makes: a
 * connection that serves calls before the lock (h->front, a cached heap's)
 * is asked first, then the block is found or freed under the lock.
 */
#include <errno.h>

#include "blocks.h"
#include "connection.h"
#include "layer.h"
#include "lock.h"

EXPORT void *shmheap_alloc(shmheap_memory_handle mem, size_t sz)
{
	if (heap_may_change(mem) < 0)
		return NULL;
	/* malloc(0) in glibc returns a unique object: so does this. */
	uint64_t need = block_need(sz);
	if (!need) {
		errno = ENOMEM;
		return NULL;
	}

	/* A cached heap serves small blocks from the connection's cache. */
	void *served;
	if (mem->front && mem->front->alloc(mem, need, &served) <= 0)
		return served;
	if (heap_lock(mem) < 0)
		return NULL;
	heap_off off = block_alloc_growing(mem, need);
	if (heap_end_call(mem, "shmheap_alloc") < 0)
		return NULL; /* EUCLEAN */
	if (!off) {
		errno = errno == ENOSPC ? ENOSPC : ENOMEM;
		return NULL;
	}
	return mem->base + off + HEAP_UNIT;
}

/* shmheap_free_checked, which shmheap_free calls directly rather than
 * through its exported name (the procedure linkage table). */
static inline int free_checked(shmheap_memory_handle mem, void *ptr)
{
	if (!ptr)
		return 0;
	if (heap_may_change(mem) < 0)
		return -1;
	int served = mem->front ? mem->front->free(mem, ptr) : 1;
	if (served <= 0)
		return served;
	if (heap_lock(mem) < 0)
		return -1;
	heap_off off = block_of_object(mem, ptr);
	if (off && block_release(mem, off) < 0)
		off = 0;
	if (heap_end_call(mem, "shmheap_free") < 0)
		return -1; /* EUCLEAN */
	if (!off) {
		__atomic_add_fetch(&mem->invalid_frees, 1, __ATOMIC_RELAXED);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

EXPORT int shmheap_free_checked(shmheap_memory_handle mem, void *ptr)
{
	return free_checked(mem, ptr);
}

EXPORT void shmheap_free(shmheap_memory_handle mem, void *ptr)
{
	(void)free_checked(mem, ptr);
}
