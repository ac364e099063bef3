/* SPDX-License-Identifier: MIT */
/*
 * queue-repair.c - how the repair ends a queue call killed inside its logged
 * part (the log's entry as queue.h and ext.h describe it):
 *
 *   QUEUE_CREATE   the table slot names the new entry: done (the queue
 *                  exists).  Otherwise the entry's block and the queue's
 *                  block, each if allocated, are freed: neither exists.
 *   QUEUE_DESTROY  rolled forward: the table slot becomes a tombstone, the
 *                  entry's block is freed, the objects still queued are
 *                  freed, then the queue's block.
 *   QUEUE_PUSH     tail moved past the logged position: done, and the slot
 *                  is cleared if it still holds the handle.  Otherwise the
 *                  push did not happen (the slot still holds the handle).
 *   QUEUE_POP      head moved past the logged position: done (the slot got
 *                  the handle before head moved).  Otherwise the pop did not
 *                  happen: the slot, empty before the call, is cleared.
 *
 * Every case is idempotent.  The queue's words are read from a block found
 * by walking the chain, and checked before use.
 */
#include <stdlib.h>

#include "blocks.h"
#include "queue.h"

/* The queue at obj for the repair: a live block, found on the chain, that
 * holds one whose figures fit it; NULL otherwise. */
static struct queue_obj *repair_queue(struct shmheap_heap *h, heap_off obj)
{
	if (obj < HEAP_FIRST_OBJECT || !ext_chain_live(h, obj - HEAP_UNIT))
		return NULL;
	uint64_t room = bw_size(*block_word(h->base, obj - HEAP_UNIT)) - HEAP_UNIT;
	struct queue_obj *o = (struct queue_obj *)(void *)(h->base + obj);
	if (room < sizeof(*o) || o->magic != queue_magic(h->seed, obj))
		return NULL;
	uint64_t cap = o->capacity;
	if (!cap || cap > QUEUE_MAX_CAPACITY || queue_bytes(cap) > room ||
	    o->tail - o->head > cap)
		return NULL;
	return o;
}

static int by_offset(const void *a, const void *b)
{
	heap_off x = *(const heap_off *)a, y = *(const heap_off *)b;
	return x < y ? -1 : x > y;
}

/* Frees the live blocks of the n object offsets in objs (sorted here), in
 * one walk of the chain: a queue may hold many. */
static void free_objects(struct shmheap_heap *h, heap_off *objs, size_t n, heap_off self)
{
	qsort(objs, n, sizeof(*objs), by_offset);
	uint64_t end = heap_size_bytes(h->hdr);
	for (heap_off o = HEAP_FIRST_BLOCK; o < end;) {
		uint64_t *w = block_word(h->base, o);
		uint64_t size = bw_size(*w);
		if (size < BLOCK_MIN || size > end - o)
			return;
		heap_off obj = o + HEAP_UNIT;
		/* A live object's tag: a block a cache holds is no object. */
		if ((*w & BW_IN_USE) && o != self &&
		    bw_tag(*w) == block_tag(h->seed, o, size) &&
		    bsearch(&obj, objs, n, sizeof(*objs), by_offset))
			__atomic_store_n(w, *w & (BW_SIZE_MASK | BW_PREV_MASK),
					 __ATOMIC_RELEASE);
		o += size;
	}
}

void queue_repair_free(struct shmheap_heap *h, heap_off obj)
{
	struct queue_obj *o = repair_queue(h, obj);
	if (o && o->tail != o->head) {
		uint64_t n = o->tail - o->head, cap = o->capacity;
		heap_off *objs = malloc(n * sizeof(*objs));
		for (uint64_t i = 0; objs && i < n; i++)
			objs[i] = handle_off(h->seed, o->ring[(o->head + i) % cap]);
		if (objs) {
			free_objects(h, objs, n, obj - HEAP_UNIT);
			free(objs);
		} else {
			for (uint64_t i = 0; i < n; i++) {
				heap_off at =
					handle_off(h->seed,
						       o->ring[(o->head + i) % cap]);
				heap_off blk = at > HEAP_UNIT ? at - HEAP_UNIT : 0;
				if (blk && at != obj && ext_chain_live(h, blk) &&
				    bw_tag(*block_word(h->base, blk)) ==
					    block_tag(h->seed, blk,
						      bw_size(*block_word(h->base, blk))))
					ext_repair_free(h, blk);
			}
		}
		o->head = o->tail;
	}
	if (o)
		o->magic = 0;
	/* A block whose magic the destroy cleared had its objects freed. */
	ext_repair_free(h, obj - HEAP_UNIT);
}

void queue_finish(struct shmheap_heap *h, const struct heap_intent *in)
{
	uint64_t *w;
	struct queue_obj *o;

	switch (in->op) {
	case INTENT_QUEUE_CREATE:
		w = ext_repair_word(h, in->b, in->a);
		if (!w || (*w & NAMES_REF_OFF_MASK) != in->a + HEAP_UNIT) {
			ext_repair_free(h, in->a);
			ext_repair_free(h, in->c);
		}
		break;
	case INTENT_QUEUE_DESTROY:
		w = ext_repair_word(h, in->b, in->a);
		if (w && (*w & NAMES_REF_OFF_MASK) == in->a + HEAP_UNIT)
			__atomic_store_n(w, NAMES_TOMB, __ATOMIC_RELEASE);
		ext_repair_free(h, in->a);
		if (in->c)
			queue_repair_free(h, in->c + HEAP_UNIT);
		break;
	case INTENT_QUEUE_PUSH:
		o = repair_queue(h, in->a);
		w = o ? ext_repair_word(h, in->b, in->a - HEAP_UNIT) : NULL;
		if (w && (uint32_t)o->tail == in->pos + 1 && *w == in->c)
			__atomic_store_n(w, 0, __ATOMIC_RELEASE);
		break;
	case INTENT_QUEUE_POP:
		o = repair_queue(h, in->a);
		w = o ? ext_repair_word(h, in->b, in->a - HEAP_UNIT) : NULL;
		if (w && (uint32_t)o->head == in->pos && *w == in->c)
			__atomic_store_n(w, 0, __ATOMIC_RELEASE);
		break;
	default:
		break;
	}
}
