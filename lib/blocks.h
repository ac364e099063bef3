/* SPDX-License-Identifier: MIT */
/* blocks.h - allocation and release of blocks, and growth, under the heap lock. */
#ifndef SHMHEAP_BLOCKS_H
#define SHMHEAP_BLOCKS_H

#include <stdbool.h>

#include "connection.h"
#include "export.h"
#include "layout.h"

/* blocks.c */
HIDDEN heap_off block_alloc(struct shmheap_heap *h, uint64_t need);
HIDDEN void block_free(struct shmheap_heap *h, heap_off off);
/* Frees the live block at off for a call that frees an object (shmheap_free,
 * shmheap_free_from): 0, or -1 when it is no longer live because a free of
 * the same object that took no lock won (through h->words, layer.h). */
HIDDEN int block_release(struct shmheap_heap *h, heap_off off);
/* Merges the block at off, whose word already says free, with its free
 * neighbours, and indexes the result. */
HIDDEN void block_merge_free(struct shmheap_heap *h, heap_off off);
/* The block of the live object at ptr, or 0 if ptr is no such object. */
HIDDEN heap_off block_of_object(struct shmheap_heap *h, const void *ptr);
/* The treap priority for a free block at off of size bytes. */
HIDDEN uint32_t block_free_priority(struct shmheap_heap *h, heap_off off, uint64_t size);
/* Writes a free block word (and footer) and tells the next block. */
HIDDEN void block_set_free(struct shmheap_heap *h, heap_off off, uint64_t size,
			   uint64_t prev_state, uint32_t prio);
/* The release store that commits a change of the block chain. */
HIDDEN void block_commit(uint64_t *word, uint64_t value);
/* The word of a live block of size bytes at off. */
HIDDEN uint64_t block_used_word(const struct shmheap_heap *h, heap_off off, uint64_t size,
				uint64_t prev_state);
/* Sets the prev field of the block word at w: through h->words when a layer
 * changes block words without the lock (layer.h), so that no change is lost. */
HIDDEN void block_set_prev(struct shmheap_heap *h, uint64_t *w, uint64_t prev_state);
/* Tells the block at next (if inside the heap) what now precedes it. */
HIDDEN void block_set_prev_of_next(struct shmheap_heap *h, heap_off next,
				   uint64_t prev_state);

/* grow.c: adds space at the end of the heap, under the lock. */
HIDDEN int heap_grow_locked(struct shmheap_heap *h, uint64_t new_size);
/* Grows the heap so that a block of need bytes fits: true if it grew (else
 * errno says why). */
HIDDEN bool heap_grow_to_fit(struct shmheap_heap *h, uint64_t need);
/* Runs find_room(h, arg), which looks for room for a block (and may take it);
 * when that finds none, grows the heap so that room bytes fit at its end and
 * runs it again.  The block, or 0 (errno says why the heap did not grow).
 * Inline, so that each caller's find_room is a direct call. */
static inline heap_off heap_grow_retry(struct shmheap_heap *h, uint64_t room,
				       heap_off (*find_room)(struct shmheap_heap *h,
							     const void *arg),
				       const void *arg)
{
	heap_off off = find_room(h, arg);
	if (!off && heap_grow_to_fit(h, room))
		off = find_room(h, arg);
	return off;
}
/* block_alloc, growing the heap when nothing fits. */
HIDDEN heap_off block_alloc_growing(struct shmheap_heap *h, uint64_t need);

#endif /* SHMHEAP_BLOCKS_H */
