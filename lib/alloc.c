/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - shmheap_alloc and shmheap_free, the calls every user makes: a
 * connection with a front (h->front, a cached heap's) hands the call to it,
 * which serves it before the lock or passes it on under the lock
 * (locked.c); any other connection goes under the lock at once.  Each hands
 * the call on as its last step, so that nothing is kept for after it.
 */
#include <errno.h>

#include "blocks.h"
#include "connection.h"
#include "layer.h"
#include "locked.h"

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
	if (mem->front)
		return mem->front->alloc(mem, need);
	return heap_alloc_locked(mem, need);
}

/* shmheap_free_checked, which shmheap_free calls directly rather than
 * through its exported name (the procedure linkage table). */
static inline int free_checked(shmheap_memory_handle mem, void *ptr)
{
	if (!ptr)
		return 0;
	if (heap_may_change(mem) < 0)
		return -1;
	if (mem->front)
		return mem->front->free(mem, ptr);
	return heap_free_locked(mem, ptr);
}

EXPORT int shmheap_free_checked(shmheap_memory_handle mem, void *ptr)
{
	return free_checked(mem, ptr);
}

EXPORT void shmheap_free(shmheap_memory_handle mem, void *ptr)
{
	(void)free_checked(mem, ptr);
}
