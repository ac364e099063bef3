/* SPDX-License-Identifier: MIT */
/* handle.c - handles: an object named in every process (the format is in
 * layout.h, next to the heap it names). */
#include <errno.h>

#include "connection.h"
#include "layout.h"
#include "mapping.h"

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
