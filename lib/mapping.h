/* SPDX-License-Identifier: MIT */
/* mapping.h - where a heap lives in this process's address space (mapping.c). */
#ifndef SHMHEAP_MAPPING_H
#define SHMHEAP_MAPPING_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

struct shmheap_heap;

/* Reserves address space for max bytes at the page-aligned address at (NULL:
 * anywhere) and maps the first len bytes of the heap's object at its start;
 * EEXIST if any of [at, at+max) is mapped already, EINVAL if at is
 * misaligned. */
HIDDEN int heap_mapping_init_at(struct shmheap_heap *h, size_t len, size_t max, void *at);
/* Unmaps the heap and its reservation. */
HIDDEN void heap_mapping_release(struct shmheap_heap *h);
/* Makes sure the first size bytes of the object are mapped: the one place the
 * object is mapped.  Safe to call from several threads at once, and holds no
 * lock, so that fork() in another thread cannot leave a child waiting. */
HIDDEN int heap_map_to(struct shmheap_heap *h, uint64_t size);
/* Maps whatever another process grew the heap by (heap_map_to the header's size). */
HIDDEN int heap_sync_mapping(struct shmheap_heap *h);

#endif /* SHMHEAP_MAPPING_H */
