/* SPDX-License-Identifier: MIT */
/* api.c - allocation, release and handles: the calls every user makes. */
#include <errno.h>

#include "align.h"
#include "blocks.h"
#include "connection.h"
#include "layer.h"
#include "lock.h"
#include "mapping.h"

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
	heap_end_call(mem, "shmheap_alloc");
	if (!off) {
		errno = errno == ENOSPC ? ENOSPC : ENOMEM;
		return NULL;
	}
	return mem->base + off + HEAP_UNIT;
}

EXPORT int shmheap_grow(shmheap_memory_handle mem, size_t new_size)
{
	if (heap_may_change(mem) < 0)
		return -1;
	if (new_size > HEAP_MAX_SIZE) {
		errno = ENOMEM;
		return -1;
	}
	uint64_t target = round_up(new_size, HEAP_PAGE);
	if (heap_lock(mem) < 0)
		return -1;
	int ret = 0;
	if (target > heap_size_bytes(mem->hdr)) {
		if (!(mem->hdr->flags & HEAP_FLAG_GROWABLE) ||
		    target > heap_max_bytes(mem->hdr)) {
			errno = ENOMEM;
			ret = -1;
		} else {
			ret = heap_grow_locked(mem, target);
		}
	}
	heap_end_call(mem, "shmheap_grow");
	return ret;
}

EXPORT int shmheap_free_checked(shmheap_memory_handle mem, void *ptr)
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
	heap_end_call(mem, "shmheap_free");
	if (!off) {
		__atomic_add_fetch(&mem->invalid_frees, 1, __ATOMIC_RELAXED);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

EXPORT void shmheap_free(shmheap_memory_handle mem, void *ptr)
{
	(void)shmheap_free_checked(mem, ptr);
}

EXPORT shmheap_object_handle shmheap_ptr_to_handle(shmheap_memory_handle mem, void *ptr)
{
	shmheap_object_handle hdl = {0};
	if (!ptr)
		return hdl;
	uintptr_t p = (uintptr_t)ptr;
	uintptr_t b = mem ? (uintptr_t)mem->base : 0;
	if (!mem || p < b + HEAP_FIRST_OBJECT || p - b >= heap_mapped_bytes(mem)) {
		errno = EINVAL;
		return hdl;
	}
	hdl.value = handle_of(mem->seed, p - b);
	return hdl;
}

EXPORT void *shmheap_handle_to_ptr(shmheap_memory_handle mem, shmheap_object_handle hdl)
{
	if (!hdl.value)
		return NULL;
	heap_off off = mem ? handle_off(mem->seed, hdl.value) : 0;
	if (off < HEAP_FIRST_OBJECT) {
		errno = EINVAL;
		return NULL;
	}
	/* The object may lie, or end, in space another process grew the heap
	 * by: map all of it first (one load of the header when nothing grew). */
	if (heap_sync_mapping(mem) < 0 || off >= heap_mapped_bytes(mem)) {
		errno = EINVAL;
		return NULL;
	}
	return mem->base + off;
}
