/* SPDX-License-Identifier: MIT */
/*
 * repair.c - rebuilds everything derived from the block chain.
 *
 * Run under the lock by the process that found the previous owner dead.  The
 * chain (each block word's size and in-use bit) is the truth; prev fields,
 * footers, the merging of adjacent free blocks and both treaps are rebuilt
 * from it in one walk.  Live objects are never touched, so every object whose
 * allocation had returned survives, and so does one whose allocation had
 * committed its block word when its process died (it stays allocated),
 * unless a logged call (shmheap_alloc_into, the names directory) made it:
 * the layers' repair (layer.h) first completes or undoes that call (ext.c).
 */
#include <errno.h>

#include "blocks.h"
#include "inspect.h"
#include "layer.h"
#include "lock.h"
#include "repair.h"

/* Makes the run of free blocks at run one block: the new size is committed
 * before the words inside it are cleared, so the chain stays walkable. */
static void merge_run(struct shmheap_heap *h, heap_off run, uint64_t first_size,
		      uint64_t run_size)
{
	block_set_free(h, run, run_size, BW_PREV_USED,
		       block_free_priority(h, run, run_size));
	for (heap_off o = run + first_size; o < run + run_size;) {
		uint64_t *w = block_word(h->base, o);
		o += bw_size(*w);
		*w = 0;
	}
	fi_insert(&h->index, run);
}

int heap_repair(struct shmheap_heap *h)
{
	uint64_t end = heap_size_bytes(h->hdr);
	heap_off run = 0; /* start of the current run of free blocks */
	uint64_t run_size = 0, first_size = 0;
	uint64_t prev_state = BW_PREV_USED;

	/* Verify the chain before writing anything. */
	for (heap_off off = HEAP_FIRST_BLOCK; off < end;) {
		uint64_t size = block_step(off, *block_word(h->base, off), end);
		if (!size) {
			errno = EUCLEAN;
			return -1;
		}
		off += size;
	}

	/* What the layers' dead processes left half done: the pending operation
	 * of the names or of publishing (ext.c), the blocks of dead owners'
	 * caches (cache-repair.c), which become free and are merged below. */
	for (unsigned i = 0; i < h->layers; i++)
		if (h->layer[i]->repair)
			h->layer[i]->repair(h);
	fi_clear(&h->index);
	for (heap_off off = HEAP_FIRST_BLOCK; off <= end;) {
		uint64_t bw = off < end ? *block_word(h->base, off) : BW_IN_USE;
		if (!(bw & BW_IN_USE)) {
			if (!run) {
				run = off;
				run_size = 0;
				first_size = bw_size(bw);
			}
			run_size += bw_size(bw);
			off += bw_size(bw);
			continue;
		}
		if (run) {
			merge_run(h, run, first_size, run_size);
			run = 0;
			prev_state = prev_state_for_free(run_size);
		}
		if (off == end)
			break;
		block_set_prev(h, block_word(h->base, off), prev_state);
		prev_state = BW_PREV_USED;
		off += bw_size(bw);
	}
	return 0;
}

int heap_verify_or_mark(struct shmheap_heap *h)
{
	if (!h->damaged && heap_verify(h, NULL, NULL) == 0)
		return 0;
	return heap_mark_damaged(h);
}
