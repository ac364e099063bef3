/* SPDX-License-Identifier: MIT */
/*
 * allocx.h - what the allocation calls beyond alloc and free share
 * (realloc.c, aligned.c): the block size of a request, and the in-place
 * resize and aligned carving they are built on (block words are written with
 * blocks.c's block_commit, block_used_word and block_set_prev_of_next).
 */
#ifndef SHMHEAP_ALLOCX_H
#define SHMHEAP_ALLOCX_H

#include <errno.h>

#include "blocks.h"
#include "lock.h"

/* realloc.c: resizes the live block at off to need bytes without moving it,
 * using a free right neighbour; false (nothing changed) if it does not fit. */
HIDDEN bool block_resize_in_place(struct shmheap_heap *h, heap_off off, uint64_t need);

/* aligned.c: the lowest-addressed free block that can hold a block of need
 * bytes whose object is aligned to align, carved and committed; 0 if none. */
HIDDEN heap_off block_alloc_aligned(struct shmheap_heap *h, uint64_t need,
				    uint64_t align);

#endif /* SHMHEAP_ALLOCX_H */
