/* SPDX-License-Identifier: MIT */
/*
 * queue-repair.c - how the repair ends a queue call killed inside its logged
 * part (the log's entry as queue.h and ext.h describe it):
 *
 *   QUEUE_CREATE   the table slot names the new entry: done (the queue
 *                  exists).  Otherwise the entry's block and the queue's
 *                  block, each if allocated, are freed: neither exists.
 *   QUEUE_DESTROY  rolled forward: the table slot becomes a tombstone, the
 *                  entry's block is freed, the ring is sealed and the
 *                  objects still queued are freed, then the queue's block.
 *   QUEUE_PUSH     judged by the ring's slot at the logged index (pos): held
 *                  with the logged object, the push is completed (the
 *                  caller's slot cleared if it still holds the handle, the
 *                  ring's slot released).  Otherwise the call never held it
 *                  (its slot still holds the handle) or finished.
 *   QUEUE_POP      the same: held with the logged object, the pop is
 *                  completed (the caller's slot gets the handle, the ring's
 *                  slot is emptied for its next lap); otherwise nothing.
 *
 * Only a holder of the heap lock holds a ring slot, so a held slot found by
 * the repair is the dead holder's.  Plain calls of live processes go on
 * meanwhile: every change of the ring here is one the protocol allows (a
 * held slot is no one else's to change).  Every case is idempotent.  The
 * queue's words are read from a block found by walking the chain, and
 * checked before use.
 *
 * A queue of version 1 (libshmheap 0.4.0) is ended as that version did: a
 * push whose tail moved past the logged position is done, a pop whose head
 * did not move is undone, a destroyed queue's handles from head to tail
 * are freed.
 */
#include <stdlib.h>

#include "blocks.h"
#include "queue-ring.h"

/* The queue at obj for the repair: a live block, found on the chain, that
 * holds one whose figures fit it (its version in *version, its capacity in
 * *cap); NULL otherwise. */
static struct queue_obj *repair_queue(struct shmheap_heap *h, heap_off obj,
				      unsigned *version, uint64_t *cap)
{
	if (obj < HEAP_FIRST_OBJECT || !ext_chain_live(h, obj - HEAP_UNIT))
		return NULL;
	uint64_t room = bw_size(*block_word(h->base, obj - HEAP_UNIT)) - HEAP_UNIT;
	struct queue_obj *o = (struct queue_obj *)(void *)(h->base + obj);
	if (room < sizeof(struct queue_obj_v1))
		return NULL;
	uint64_t magic = o->magic, c = o->capacity;
	if (!c || c > QUEUE_MAX_CAPACITY)
		return NULL;
	*cap = c;
	if (magic == queue_magic(h->seed, obj, 1) && queue_v1_bytes(c) <= room) {
		const struct queue_obj_v1 *o1 = (const void *)o;
		*version = 1;
		return o1->tail - o1->head <= c ? o : NULL;
	}
	*version = QUEUE_VERSION;
	if (magic == queue_magic(h->seed, obj, QUEUE_VERSION) && queue_bytes(c) <= room)
		return o;
	return NULL;
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

/* The objects a destroyed queue held, gathered to be freed in one walk; one
 * that finds no room is freed at once (a walk of its own). */
struct gathered {
	heap_off *objs;
	size_t n, room;
	heap_off self;
};

static void free_one(struct shmheap_heap *h, heap_off at, heap_off self)
{
	heap_off blk = at > HEAP_UNIT ? at - HEAP_UNIT : 0;
	if (blk && blk != self && ext_chain_live(h, blk) &&
	    bw_tag(*block_word(h->base, blk)) ==
		    block_tag(h->seed, blk, bw_size(*block_word(h->base, blk))))
		ext_repair_free(h, blk);
}

static void gather(struct shmheap_heap *h, heap_off at, void *arg)
{
	struct gathered *g = arg;
	if (g->n == g->room) {
		size_t room = g->room ? 2 * g->room : 64;
		heap_off *objs = realloc(g->objs, room * sizeof(*objs));
		if (!objs) {
			free_one(h, at, g->self);
			return;
		}
		g->objs = objs;
		g->room = room;
	}
	g->objs[g->n++] = at;
}

void queue_repair_free(struct shmheap_heap *h, heap_off obj)
{
	unsigned version;
	uint64_t cap;
	struct queue_obj *o = repair_queue(h, obj, &version, &cap);
	struct gathered g = {NULL, 0, 0, obj - HEAP_UNIT};
	if (o && version == QUEUE_VERSION) {
		ring_seal(h, o, cap, gather, &g);
	} else if (o) {
		struct queue_obj_v1 *o1 = (struct queue_obj_v1 *)(void *)o;
		for (uint64_t i = o1->head; i != o1->tail; i++)
			gather(h, handle_off(h->seed, o1->ring[i % cap]), &g);
		o1->head = o1->tail;
	}
	if (g.n)
		free_objects(h, g.objs, g.n, g.self);
	free(g.objs);
	if (o)
		o->magic = 0;
	/* A block whose magic the destroy cleared had its objects freed. */
	ext_repair_free(h, obj - HEAP_UNIT);
}

/* A push_from or pop_into of a queue of this version, judged by the ring. */
static void finish_move(struct shmheap_heap *h, const struct heap_intent *in,
			struct queue_obj *o, uint64_t cap)
{
	uint64_t *w = ext_repair_word(h, in->b, in->a - HEAP_UNIT);
	heap_off at = handle_off(h->seed, in->c);
	if (!w || in->pos >= cap || !at)
		return;
	uint64_t *slot = &o->ring[in->pos];
	uint64_t s = __atomic_load_n(slot, __ATOMIC_SEQ_CST);
	if (!(s & SLOT_PENDING) || slot_unit(s) != off_to_unit(at))
		return; /* never held, or finished */
	uint64_t mine = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	if (in->op == INTENT_QUEUE_PUSH) {
		if (mine == in->c)
			__atomic_store_n(w, 0, __ATOMIC_RELEASE);
		__atomic_store_n(slot, s & ~SLOT_PENDING, __ATOMIC_SEQ_CST);
	} else {
		if (!mine)
			__atomic_store_n(w, in->c, __ATOMIC_RELEASE);
		__atomic_store_n(slot, slot_make(slot_lap(s) + 1, 0), __ATOMIC_SEQ_CST);
	}
}

/* The same, for a queue of version 1 (whose calls took the lock alone). */
static void finish_move_v1(struct shmheap_heap *h, const struct heap_intent *in,
			   struct queue_obj_v1 *o)
{
	uint64_t *w = ext_repair_word(h, in->b, in->a - HEAP_UNIT);
	if (!w || *w != in->c)
		return;
	if (in->op == INTENT_QUEUE_PUSH ? (uint32_t)o->tail == in->pos + 1
					: (uint32_t)o->head == in->pos)
		__atomic_store_n(w, 0, __ATOMIC_RELEASE);
}

void queue_finish(struct shmheap_heap *h, const struct heap_intent *in)
{
	uint64_t *w, cap;
	unsigned version;
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
	case INTENT_QUEUE_POP:
		o = repair_queue(h, in->a, &version, &cap);
		if (o && version == QUEUE_VERSION)
			finish_move(h, in, o, cap);
		else if (o)
			finish_move_v1(h, in, (struct queue_obj_v1 *)(void *)o);
		break;
	default:
		break;
	}
}
