/* SPDX-License-Identifier: MIT */
/*
 * grow.c - adding space at the end of a heap.
 *
 * Every process reserved address space for the heap's maximum size when it
 * connected, so new space is mapped right behind the old and no mapping ever
 * moves (mapping.c).  The grower reserves the memory of the new range first
 * (posix_fallocate of that range alone, so that growth costs the same however
 * large the heap: a full /dev/shm fails here, not with SIGBUS later), maps
 * it, writes a free block word there (a fitmap index moves to the new end
 * first), and only then publishes the new size in the header; other
 * processes map the new space when they next take the lock or resolve a
 * handle that points into it.
 */
#include <errno.h>

#include "align.h"
#include "blocks.h"
#include "lock.h"
#include "mapping.h"
#include "testhooks.h"

/* Growth doubles the heap, but by no more than this at a time. */
#define GROWTH_STEP_MAX ((uint64_t)256 << 20)

/* The size to grow to so that a block of need bytes fits, or 0 (errno set). */
static uint64_t heap_growth_target(struct shmheap_heap *h, uint64_t need)
{
	uint64_t size = heap_size_bytes(h->hdr);
	uint64_t max = heap_max_bytes(h->hdr);

	if (!(h->hdr->flags & HEAP_FLAG_GROWABLE) || size >= max) {
		errno = ENOMEM;
		return 0;
	}
	/* A free block at the end counts towards what is needed. */
	heap_off last = fi_last(&h->index);
	uint64_t tail = 0;
	if (last && last + bw_size(*block_word(h->base, last)) == size)
		tail = bw_size(*block_word(h->base, last));
	uint64_t required = round_up(size + need - tail, HEAP_PAGE);
	if (required > max) {
		errno = ENOMEM;
		return 0;
	}
	uint64_t step = size < GROWTH_STEP_MAX ? size : GROWTH_STEP_MAX;
	uint64_t target = size + step > required ? size + step : required;
	return target < max ? target : max;
}

int heap_grow_locked(struct shmheap_heap *h, uint64_t new_size)
{
	uint64_t old = heap_size_bytes(h->hdr);
	if (new_size <= old)
		return 0;
	if (new_size > heap_max_bytes(h->hdr) || new_size % HEAP_PAGE) {
		errno = EINVAL;
		return -1;
	}
	/* The limit never changes after creation: one that is not what this
	 * connection reserved for is a damaged header. */
	if (heap_max_bytes(h->hdr) != h->reserved) {
		heap_met_damage(h);
		errno = EUCLEAN;
		return -1;
	}
	bool flat = h->index.flat;
	if (h->backing.ops->extend(&h->backing, fm_span(old, flat),
				   fm_span(new_size, flat)) < 0 ||
	    heap_map_to(h, new_size) < 0)
		return -1;

	/* What precedes the new block: the old last block, free or not. */
	heap_off last = fi_last(&h->index);
	uint64_t prev_state = BW_PREV_USED;
	if (last && last + bw_size(*block_word(h->base, last)) == old)
		prev_state = prev_state_for_free(bw_size(*block_word(h->base, last)));
	/* A fitmap moves to the new end first: the new block's word lands
	 * where it was.  Killed before the size is published, the heap keeps
	 * its old size and the repair rebuilds the index there. */
	if (flat)
		fm_relocate(&h->index, old, new_size);
	SHMHEAP_KILL_POINT("grow", 1);

	uint64_t size = new_size - old;
	*block_word(h->base, old) = size | prev_state |
				    (uint64_t)BLOCK_PRIO_TOP << BW_TAG_SHIFT;
	if (size >= BLOCK_FOOTER_MIN)
		*block_word(h->base, new_size - HEAP_UNIT) = size;
	__atomic_store_n(&h->hdr->size_pages, (uint32_t)(new_size / HEAP_PAGE),
			 __ATOMIC_RELEASE);
	block_merge_free(h, old);
	return 0;
}

bool heap_grow_to_fit(struct shmheap_heap *h, uint64_t need)
{
	uint64_t target = heap_growth_target(h, need);
	return target && heap_grow_locked(h, target) == 0;
}

static heap_off alloc_need(struct shmheap_heap *h, const void *need)
{
	return block_alloc(h, *(const uint64_t *)need);
}

heap_off block_alloc_growing(struct shmheap_heap *h, uint64_t need)
{
	return heap_grow_retry(h, need, alloc_need, &need);
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
	if (heap_end_call(mem, "shmheap_grow") < 0)
		return -1; /* EUCLEAN */
	return ret;
}
