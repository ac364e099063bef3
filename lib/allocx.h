/* SPDX-License-Identifier: MIT */
/*
 * allocx.h - what the allocation calls beyond alloc and free share
 * (realloc.c, aligned.c): block-word helpers written as blocks.c writes them,
 * and the in-place resize and aligned carving they are built on.
 */
#ifndef SHMHEAP_ALLOCX_H
#define SHMHEAP_ALLOCX_H

#include <errno.h>

#include "heap.h"

/* The store that commits a change of the block chain (see blocks.c). */
static inline void allocx_commit(uint64_t *word, uint64_t value)
{
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
}

static inline uint64_t allocx_used_word(const struct shmheap_heap *h, heap_off off,
					uint64_t size, uint64_t prev_state)
{
	return size | prev_state | BW_IN_USE |
	       (uint64_t)block_tag(h->seed, off, size) << BW_TAG_SHIFT;
}

/* Tells the block at next (if inside the heap) what now precedes it. */
static inline void allocx_set_prev(struct shmheap_heap *h, heap_off next,
				   uint64_t prev_state)
{
	if (next >= heap_size_bytes(h->hdr))
		return;
	uint64_t *w = block_word(h->base, next);
	*w = (*w & ~BW_PREV_MASK) | prev_state;
}

/* The block size an object of sz bytes needs, as shmheap_alloc computes it. */
static inline uint64_t allocx_need(size_t sz)
{
	return ((uint64_t)(sz ? sz : 1) + 2 * HEAP_UNIT - 1) / HEAP_UNIT * HEAP_UNIT;
}

/* 0 if mem may change its heap; -1 with errno set if not (as api.c). */
static inline int allocx_may_change(shmheap_memory_handle mem)
{
	if (!mem) {
		errno = EINVAL;
		return -1;
	}
	if (mem->connect_flags & SHMHEAP_CONNECT_INSPECT) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* realloc.c: resizes the live block at off to need bytes without moving it,
 * using a free right neighbour; false (nothing changed) if it does not fit. */
HIDDEN bool block_resize_in_place(struct shmheap_heap *h, heap_off off, uint64_t need);

/* aligned.c: the lowest-addressed free block that can hold a block of need
 * bytes whose object is aligned to align, carved and committed; 0 if none. */
HIDDEN heap_off block_alloc_aligned(struct shmheap_heap *h, uint64_t need,
				    uint64_t align);

#endif /* SHMHEAP_ALLOCX_H */
