/* SPDX-License-Identifier: MIT */
/*
 * blocks.c - first-fit allocation and coalescing release of blocks.
 *
 * Every change to the block chain ends in one aligned 8-byte store of a block
 * word (a "commit"), done with release ordering, so that a process killed at
 * any instant leaves a chain that still tiles the heap: a block is either
 * wholly allocated or wholly free.  What may be stale after a kill is only
 * derived state (the free-block index, prev fields, footers, two adjacent
 * free blocks), which heap_repair() rebuilds from the chain.
 */
#include "blocks.h"
#include "layer.h"

void block_commit(uint64_t *word, uint64_t value)
{
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
}

void block_set_prev(struct shmheap_heap *h, uint64_t *w, uint64_t prev_state)
{
	if (h->words) {
		h->words->set_prev(w, prev_state);
		return;
	}
	*w = (*w & ~BW_PREV_MASK) | prev_state;
}

/* Tells the block after [off, off+size) what now precedes it. */
void block_set_prev_of_next(struct shmheap_heap *h, heap_off next, uint64_t prev_state)
{
	if (next < heap_size_bytes(h->hdr))
		block_set_prev(h, block_word(h->base, next), prev_state);
}

void block_set_free(struct shmheap_heap *h, heap_off off, uint64_t size,
		    uint64_t prev_state, uint32_t prio)
{
	block_commit(block_word(h->base, off),
		     size | prev_state | (uint64_t)prio << BW_TAG_SHIFT);
	if (size >= BLOCK_FOOTER_MIN)
		*block_word(h->base, off + size - HEAP_UNIT) = size;
	block_set_prev_of_next(h, off + size, prev_state_for_free(size));
}

uint32_t block_free_priority(struct shmheap_heap *h, heap_off off, uint64_t size)
{
	return off + size == heap_size_bytes(h->hdr) ? BLOCK_PRIO_TOP
						     : block_priority(h->seed, off);
}

uint64_t block_used_word(const struct shmheap_heap *h, heap_off off, uint64_t size,
			 uint64_t prev_state)
{
	return size | prev_state | BW_IN_USE |
	       (uint64_t)block_tag(h->seed, off, size) << BW_TAG_SHIFT;
}

heap_off block_alloc(struct shmheap_heap *h, uint64_t need)
{
	struct fi_path path;
	heap_off off = fi_first_fit(&h->index, need, &path);
	if (!off)
		return 0;

	uint64_t *w = block_word(h->base, off);
	uint64_t bw = *w;
	uint64_t size = bw_size(bw);
	uint64_t prev_state = bw & BW_PREV_MASK;
	uint64_t rest = size - need;

	if (rest >= BLOCK_MAIN_MIN) {
		/* The remainder keeps the block's place and priority in the index. */
		heap_off r = off + need;
		*block_word(h->base, r) = rest | BW_PREV_USED |
					  (bw & (BW_TAG_MASK << BW_TAG_SHIFT));
		if (rest >= BLOCK_FOOTER_MIN)
			*block_word(h->base, r + rest - HEAP_UNIT) = rest;
		block_commit(w, block_used_word(h, off, need, prev_state));
		block_set_prev_of_next(h, off + size, prev_state_for_free(rest));
		fi_move(&h->index, off, r, &path);
	} else if (rest == BLOCK_MIN) {
		heap_off r = off + need;
		fi_remove(&h->index, off, &path);
		*block_word(h->base, r) = rest | BW_PREV_USED |
					  (uint64_t)block_priority(h->seed, r)
						  << BW_TAG_SHIFT;
		block_commit(w, block_used_word(h, off, need, prev_state));
		block_set_prev_of_next(h, off + size, BW_PREV_FREE16);
		fi_insert(&h->index, r);
	} else {
		/* An 8-byte remainder could hold no object: the object takes it. */
		fi_remove(&h->index, off, &path);
		block_commit(w, block_used_word(h, off, size, prev_state));
		block_set_prev_of_next(h, off + size, BW_PREV_USED);
	}
	return off;
}

heap_off block_of_object(struct shmheap_heap *h, const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	uintptr_t b = (uintptr_t)h->base;
	uint64_t end = heap_size_bytes(h->hdr);

	if (p < b + HEAP_FIRST_OBJECT || p - b >= end || (p - b) % HEAP_UNIT)
		return 0;
	heap_off off = p - b - HEAP_UNIT;
	uint64_t bw = *block_word(h->base, off);
	uint64_t size = bw_size(bw);
	if (!(bw & BW_IN_USE) || size < BLOCK_MIN || size > end - off ||
	    bw_tag(bw) != block_tag(h->seed, off, size))
		return 0;
	return off;
}

/* The free block that ends at off, from off's prev field; 0 if none. */
static heap_off free_left_neighbour(struct shmheap_heap *h, heap_off off,
				    uint64_t prev_state)
{
	uint64_t size;

	switch (prev_state) {
	case BW_PREV_FREE16:
		size = 16;
		break;
	case BW_PREV_FREE24:
		size = 24;
		break;
	case BW_PREV_FREE_BIG:
		size = *block_word(h->base, off - HEAP_UNIT);
		break;
	default:
		return 0;
	}
	/* A footer is only trusted when the block word it leads to agrees
	 * (and it leads to a word at all: a multiple of 8 bytes back). */
	if (size < BLOCK_MIN || size > off - HEAP_FIRST_BLOCK || size % HEAP_UNIT)
		return 0;
	uint64_t bw = *block_word(h->base, off - size);
	if ((bw & BW_IN_USE) || bw_size(bw) != size)
		return 0;
	return off - size;
}

int block_release(struct shmheap_heap *h, heap_off off)
{
	if (h->words)
		return h->words->free_locked(h, off);
	block_free(h, off);
	return 0;
}

void block_free(struct shmheap_heap *h, heap_off off)
{
	uint64_t *w = block_word(h->base, off);
	/* A treap's priority; a fitmap has none. */
	uint32_t prio = h->index.flat ? 0 : block_priority(h->seed, off);

	/* First the block itself becomes free: the chain stays walkable. */
	block_commit(w, (*w & (BW_SIZE_MASK | BW_PREV_MASK)) | (uint64_t)prio
								       << BW_TAG_SHIFT);
	block_merge_free(h, off);
}

/*
 * The merge of block_merge_free in a heap with a fitmap, where priorities
 * mean nothing: the left neighbour grows in place, or the right one moves
 * to the freed block, or the freed block enters the index.
 */
static void merge_in_fitmap(struct shmheap_heap *h, heap_off off, heap_off start,
			    uint64_t total, heap_off prev, heap_off next, uint64_t nsize)
{
	uint64_t *w = block_word(h->base, off);
	uint64_t start_prev = *block_word(h->base, start) & BW_PREV_MASK;
	if (prev && nsize)
		fi_remove(&h->index, next, NULL);
	block_set_free(h, start, total, start_prev, 0);
	/* Block words now inside the merged block must not pass for objects. */
	if (start != off)
		*w = 0;
	if (nsize)
		*block_word(h->base, next) = 0;
	if (prev)
		fi_grown(&h->index, start);
	else if (nsize)
		fi_move(&h->index, next, start, NULL);
	else
		fi_insert(&h->index, start);
}

void block_merge_free(struct shmheap_heap *h, heap_off off)
{
	unsigned char *base = h->base;
	uint64_t *w = block_word(base, off);
	uint64_t size = bw_size(*w);
	uint64_t prev_state = *w & BW_PREV_MASK;
	uint32_t prio = bw_tag(*w);
	uint64_t end = heap_size_bytes(h->hdr);

	heap_off prev = free_left_neighbour(h, off, prev_state);
	uint64_t psize = prev ? bw_size(*block_word(base, prev)) : 0;
	heap_off next = off + size;
	uint64_t nsize = 0;
	if (next < end) {
		uint64_t nbw = *block_word(base, next);
		if (!(nbw & BW_IN_USE)) {
			nsize = block_step(next, nbw, end);
			if (!nsize) {
				/* A free neighbour that is no block: left alone. */
				heap_met_damage(h);
				return;
			}
		}
	}

	heap_off start = prev ? prev : off;
	uint64_t total = psize + size + nsize;
	if (h->index.flat) {
		merge_in_fitmap(h, off, start, total, prev, next, nsize);
		return;
	}
	/* A neighbour keeps its node unless the merged block ends the heap and
	 * so must become the top (see BLOCK_PRIO_TOP). */
	uint32_t want = start + total == end ? BLOCK_PRIO_TOP : 0;
	uint32_t pprio = psize ? bw_tag(*block_word(base, prev)) : 0;
	uint32_t nprio = nsize ? bw_tag(*block_word(base, next)) : 0;
	bool keep_prev = psize >= BLOCK_MAIN_MIN && (!want || pprio == want);
	bool keep_next = !keep_prev && nsize >= BLOCK_MAIN_MIN &&
			 (!want || nprio == want);
	if (nsize && !keep_next)
		fi_remove(&h->index, next, NULL);
	if (psize && !keep_prev)
		fi_remove(&h->index, prev, NULL);

	uint64_t start_prev = prev ? (*block_word(base, prev) & BW_PREV_MASK)
				   : prev_state;
	if (keep_prev)
		prio = pprio;
	else if (keep_next)
		prio = nprio;
	else if (want)
		prio = want;

	block_set_free(h, start, total, start_prev, prio);
	/* Block words now inside the merged block must not pass for objects.
	 * They are cleared before the index is updated: one of them may be
	 * the merged block's subtree-maximum word. */
	if (start != off)
		*w = 0;
	if (nsize)
		*block_word(base, next) = 0;

	if (keep_prev)
		fi_grown(&h->index, start);
	else if (keep_next)
		fi_move(&h->index, next, start, NULL);
	else
		fi_insert(&h->index, start);
}
