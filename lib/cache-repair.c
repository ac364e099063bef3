/* SPDX-License-Identifier: MIT */
/*
 * cache-repair.c - what a cached heap's ended processes leave behind, and how
 * it returns to the heap (see "Recovery" in cache-front.c).
 *
 * Under the lock, a sweep looks for a slot whose owner the kernel says has
 * ended (liveness.c) and then runs heap_repair, which calls the layer's
 * repair (cache_repair) before it rebuilds the free-block index: every block
 * in a dead owner's cache, and the block its pending word names, becomes
 * free, and the rebuild merges and indexes them.  A refill is only pending
 * under the lock, so one found pending was cut short by the death of the
 * lock's holder, whoever that was.
 */
#include <string.h>

#include "cache.h"
#include "connection.h"
#include "liveness.h"
#include "repair.h"

/* The one word at off, in a heap being repaired: free, keeping size and prev. */
static void make_free(uint64_t *w)
{
	__atomic_store_n(w,
			 __atomic_load_n(w, __ATOMIC_RELAXED) &
				 (BW_SIZE_MASK | BW_PREV_MASK),
			 __ATOMIC_RELEASE);
}

void cache_repair(struct shmheap_heap *h)
{
	struct cache_table hdr, *t;
	unsigned n = cache_heap_table(h, &hdr, &t);
	if (!n)
		return;
	struct liveness_self self = {0};
	uint32_t dead = 0;
	/* Blocks to free if still live, and the largest each may be: a popped
	 * block, or a refill's run (cut into blocks or not yet). */
	heap_off pending[CACHE_SLOTS_MAX];
	uint64_t pending_max[CACHE_SLOTS_MAX];
	unsigned npending = 0;

	for (unsigned i = 0; i < n; i++) {
		struct cache_slot *s = cache_slot_at(t, &hdr, i);
		uint64_t p = __atomic_load_n(&s->pending, __ATOMIC_ACQUIRE);
		struct liveness_owner o = cache_slot_owner(s);
		bool is_dead = o.pid && liveness_judge(h->backing.fd, i, &o, &self) ==
						LIVENESS_GONE;
		/* Refills are only pending under the lock: their owner died
		 * holding it.  A pop is pending without the lock, so only a dead
		 * owner's counts. */
		if ((p & ~CACHE_OFF_MASK) == CACHE_OP_REFILL ||
		    (is_dead && (p & ~CACHE_OFF_MASK) == CACHE_OP_POP)) {
			pending_max[npending] = (p & ~CACHE_OFF_MASK) == CACHE_OP_REFILL
							? CACHE_RUN_MAX
							: CACHE_MAX_BLOCK;
			pending[npending++] = p & CACHE_OFF_MASK;
		}
		if ((p & ~CACHE_OFF_MASK) == CACHE_OP_REFILL)
			__atomic_store_n(&s->pending, 0, __ATOMIC_RELEASE);
		if (is_dead)
			dead |= 1u << i;
	}
	if (!dead && !npending)
		return;

	uint64_t end = heap_size_bytes(h->hdr);
	for (heap_off off = HEAP_FIRST_BLOCK; off < end;) {
		uint64_t *w = block_word(h->base, off);
		uint64_t bw = __atomic_load_n(w, __ATOMIC_ACQUIRE);
		uint64_t size = block_step(off, bw, end);
		if (!size)
			break; /* the caller verified the chain; stay safe anyway */
		int kind = cache_kind(h->seed, off, bw);
		bool drop = kind >= 0 && (dead >> kind & 1);
		if (kind == CACHE_KIND_LIVE)
			for (unsigned i = 0; i < npending && !drop; i++)
				drop = pending[i] == off && size <= pending_max[i];
		if (drop)
			make_free(w);
		off += size;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!(dead >> i & 1))
			continue;
		struct cache_slot *s = cache_slot_at(t, &hdr, i);
		memset(s->count, 0, sizeof(s->count));
		s->pending = 0;
		cache_slot_set_owner(s, &(struct liveness_owner){0});
	}
}

void cache_sweep(struct shmheap_heap *h)
{
	struct cache_table hdr, *t;
	unsigned n = cache_heap_table(h, &hdr, &t);
	struct liveness_self self = {0};
	for (unsigned i = 0; i < n; i++) {
		struct liveness_owner o = cache_slot_owner(cache_slot_at(t, &hdr, i));
		if (o.pid &&
		    liveness_judge(h->backing.fd, i, &o, &self) == LIVENESS_GONE) {
			/* The repair calls cache_repair, which frees the dead
			 * caches' blocks, and merges and indexes them; then
			 * the heap is checked whole, as after every repair. */
			if (heap_repair(h) == 0)
				(void)heap_verify_or_mark(h);
			return;
		}
	}
}
