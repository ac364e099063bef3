/* SPDX-License-Identifier: MIT */
/*
 * aligned.c - objects aligned to a power of two from 8 to the page size.
 *
 * Every mapping of a heap starts on a page boundary, so an object whose
 * offset is aligned is aligned in every process.  The object goes into the
 * lowest-addressed free block that can hold it aligned (exact first fit
 * among those blocks).  The space in front of it, the gap, becomes a free
 * block of its own; as a free block needs 16 bytes, an 8-byte gap is avoided
 * by moving the object to the next aligned place.  The gap is never given to
 * the block before: that would change another object, and so take a second
 * commit.  The space behind the object is split off as by shmheap_alloc.
 *
 * Carving a gap takes two commits, each leaving a chain that tiles the heap:
 * first the free block shrinks to the gap, with a second free block behind it
 * (the word written beforehand inside the free space), then that second
 * block becomes the object, exactly as blocks.c allocates.  A process killed
 * between them leaves two adjacent free blocks, which heap_repair merges: the
 * object exists from the second commit on, never half.
 */
#include <errno.h>

#include "align.h"
#include "blocks.h"
#include "lock.h"
#include "locked.h"

/* The gap in front of an object aligned to align in the free block at b of
 * size s: 0 or at least BLOCK_MIN; false if the object does not fit. */
static bool aligned_gap(heap_off b, uint64_t s, uint64_t need, uint64_t align,
			uint64_t *gap)
{
	heap_off obj = round_up(b + HEAP_UNIT, align);
	uint64_t g = obj - HEAP_UNIT - b;
	if (g && g < BLOCK_MIN)
		g += align;
	if (g > s || need > s - g)
		return false;
	*gap = g;
	return true;
}

/* The lowest-addressed free block that holds the aligned object.  Blocks too
 * small for need are skipped by the index; one of need + align + 8 bytes or
 * more always fits, so only blocks below that size are tried in vain. */
static heap_off find_aligned(struct shmheap_heap *h, uint64_t need, uint64_t align,
			     uint64_t *gap)
{
	for (heap_off from = HEAP_FIRST_BLOCK;;) {
		heap_off b = fi_first_fit_from(&h->index, need, from);
		if (!b || h->damaged)
			return 0;
		if (aligned_gap(b, bw_size(*block_word(h->base, b)), need, align, gap))
			return b;
		from = b + HEAP_UNIT;
	}
}

/* The lowest-addressed free block that can hold a block of need bytes whose
 * object is aligned to align, carved and committed; 0 if none. */
static heap_off block_alloc_aligned(struct shmheap_heap *h, uint64_t need, uint64_t align)
{
	unsigned char *base = h->base;
	uint64_t gap;
	heap_off b = find_aligned(h, need, align, &gap);
	if (!b)
		return 0;

	uint64_t *bw = block_word(base, b);
	uint64_t size = bw_size(*bw);
	uint64_t prev_state = *bw & BW_PREV_MASK;
	heap_off a = b + gap;
	uint64_t rest = size - gap - need;
	if (rest < BLOCK_MIN) {
		need += rest; /* an 8-byte rest could hold no block */
		rest = 0;
	}

	fi_remove(&h->index, b, NULL);
	if (gap) {
		/* First commit: [b: gap][a: the rest of the block], both free. */
		uint64_t asize = size - gap;
		*block_word(base, a) = asize | prev_state_for_free(gap) |
				       (uint64_t)block_free_priority(h, a, asize)
					       << BW_TAG_SHIFT;
		if (asize >= BLOCK_FOOTER_MIN)
			*block_word(base, a + asize - HEAP_UNIT) = asize;
		block_commit(bw, gap | prev_state |
					 (uint64_t)block_free_priority(h, b, gap)
						 << BW_TAG_SHIFT);
		if (gap >= BLOCK_FOOTER_MIN)
			*block_word(base, a - HEAP_UNIT) = gap;
		prev_state = prev_state_for_free(gap);
	}
	heap_off r = a + need;
	if (rest) {
		*block_word(base, r) = rest | BW_PREV_USED |
				       (uint64_t)block_free_priority(h, r, rest)
					       << BW_TAG_SHIFT;
		if (rest >= BLOCK_FOOTER_MIN)
			*block_word(base, r + rest - HEAP_UNIT) = rest;
	}
	/* The commit that makes the object. */
	block_commit(block_word(base, a), block_used_word(h, a, need, prev_state));
	block_set_prev_of_next(h, b + size,
			       rest ? prev_state_for_free(rest) : BW_PREV_USED);
	if (gap)
		fi_insert(&h->index, b);
	if (rest)
		fi_insert(&h->index, r);
	return a;
}

struct aligned_request {
	uint64_t need, align;
};

static heap_off alloc_aligned(struct shmheap_heap *h, const void *arg)
{
	const struct aligned_request *r = arg;
	/* Every object is 8-aligned: that is shmheap_alloc itself. */
	return r->align == HEAP_UNIT ? block_alloc(h, r->need)
				     : block_alloc_aligned(h, r->need, r->align);
}

EXPORT void *shmheap_alloc_aligned(shmheap_memory_handle mem, size_t alignment,
				   size_t size)
{
	if (heap_may_change(mem) < 0)
		return NULL;
	if (alignment < HEAP_UNIT || alignment > HEAP_PAGE ||
	    (alignment & (alignment - 1))) {
		errno = EINVAL;
		return NULL;
	}
	uint64_t need = block_need(size);
	if (!need) {
		errno = ENOMEM;
		return NULL;
	}
	struct aligned_request r = {need, alignment};
	/* Room for the object at any alignment at the end of the heap: its gap
	 * is at most align + 8 bytes. */
	uint64_t room = r.align == HEAP_UNIT ? need : need + r.align + HEAP_UNIT;

	if (heap_lock(mem) < 0)
		return NULL;
	return heap_alloc_end(mem, heap_grow_retry(mem, room, alloc_aligned, &r),
			      "shmheap_alloc_aligned");
}
