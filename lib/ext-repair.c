/* SPDX-License-Identifier: MIT */
/*
 * ext-repair.c - the ext layer's repair (layer.h): under the lock, once the
 * chain is known to tile the heap, it finishes the installation of a record
 * and the operation a dead process left pending in the intent log (ext.h).
 *
 * How the repair ends each pending operation (a..c as in enum ext_op; "live"
 * means a live block starts there, found by walking the chain):
 *   ALLOC_INTO   the slot already names the new block: done (both effects).
 *                Otherwise the block, if it was allocated, is freed: neither.
 *   FREE_FROM    rolled forward: the slot is cleared if it still names the
 *                block, and the block is freed if it is still live.
 *   NAME_ADD     the table slot names the new entry: done.  Otherwise the
 *                entry's block, if allocated, is freed: the name was not set.
 *   NAME_REMOVE  rolled forward: the table slot becomes a tombstone, the
 *                entry's block is freed.
 *   NAME_TABLE   the record names the new table: the old one is freed.
 *                Otherwise the new one, if allocated, is freed.
 *   QUEUE_*      a queue's operations, ended by queue_finish (queue-repair.c).
 * Every case is idempotent, so a repairer that dies is followed by one that
 * does the same again.  Blocks are freed by clearing their in-use bit only:
 * the rebuild that follows merges them and indexes them.
 */
#include "blocks.h"
#include "ext.h"
#include "names.h"
#include "queue.h"

/* The block that holds byte off, walking the chain; 0 if none. */
static heap_off chain_block_at(struct shmheap_heap *h, heap_off off, uint64_t *bw)
{
	uint64_t end = heap_size_bytes(h->hdr);
	for (heap_off o = HEAP_FIRST_BLOCK; o < end;) {
		uint64_t w = *block_word(h->base, o);
		uint64_t size = block_step(o, w, end);
		if (!size)
			return 0;
		if (off < o + size) {
			*bw = w;
			return o;
		}
		o += size;
	}
	return 0;
}

int ext_chain_live(struct shmheap_heap *h, heap_off off)
{
	uint64_t bw;
	return off && chain_block_at(h, off, &bw) == off && (bw & BW_IN_USE);
}

/* A word the repair may write: inside a live block, past its block word,
 * and not inside the block skip. */
uint64_t *ext_repair_word(struct shmheap_heap *h, heap_off off, heap_off skip)
{
	uint64_t bw;
	if (!off || off % HEAP_UNIT)
		return NULL;
	heap_off blk = chain_block_at(h, off, &bw);
	if (!blk || !(bw & BW_IN_USE) || off == blk || blk == skip)
		return NULL;
	return (uint64_t *)(void *)(h->base + off);
}

void ext_repair_free(struct shmheap_heap *h, heap_off blk)
{
	if (!ext_chain_live(h, blk))
		return;
	uint64_t *w = block_word(h->base, blk);
	__atomic_store_n(w, *w & (BW_SIZE_MASK | BW_PREV_MASK), __ATOMIC_RELEASE);
}

/* A record allocated by a process killed before it set the flag. */
static void finish_install(struct shmheap_heap *h)
{
	uint64_t end = heap_size_bytes(h->hdr);
	for (heap_off o = HEAP_FIRST_BLOCK; o < end;) {
		uint64_t w = *block_word(h->base, o);
		uint64_t size = block_step(o, w, end);
		if (!size)
			return;
		heap_off obj = o + HEAP_UNIT;
		if ((w & BW_IN_USE) && size - HEAP_UNIT >= sizeof(struct heap_ext) &&
		    *(uint64_t *)(void *)(h->base + obj) == ext_magic(h->seed, obj)) {
			ext_install(h, obj);
			return;
		}
		o += size;
	}
}

/* Counts the names and tombstones of the table, if it is sane. */
static void recount(struct shmheap_heap *h, struct heap_ext *x)
{
	uint64_t t = x->table;
	heap_off obj = t & EXT_TABLE_OFF_MASK;
	unsigned lg = (unsigned)(t >> EXT_TABLE_SHIFT);
	if (!t || lg > 31 || !block_of_object(h, h->base + obj))
		return;
	uint64_t cap = (uint64_t)1 << lg;
	uint64_t bsize = bw_size(*block_word(h->base, obj - HEAP_UNIT));
	if (cap * 8 > bsize - HEAP_UNIT)
		return;
	const uint64_t *slot = (const uint64_t *)(const void *)(h->base + obj);
	uint32_t names = 0, used = 0;
	for (uint64_t i = 0; i < cap; i++) {
		if (slot[i])
			used++;
		if (slot[i] && slot[i] != NAMES_TOMB)
			names++;
	}
	x->names = names;
	x->used = used;
}

static void finish_pending(struct shmheap_heap *h, struct heap_ext *x)
{
	struct heap_intent in = x->intent;
	heap_off self = unit_to_off(h->hdr->created) - HEAP_UNIT;
	uint64_t *w;

	switch (in.op) {
	case INTENT_ALLOC_INTO:
		w = ext_repair_word(h, in.b, in.a);
		if (!w || *w != handle_of(h->seed, in.a + HEAP_UNIT))
			ext_repair_free(h, in.a);
		break;
	case INTENT_FREE_FROM:
		w = ext_repair_word(h, in.b, in.a);
		if (w && *w == handle_of(h->seed, in.a + HEAP_UNIT))
			__atomic_store_n(w, 0, __ATOMIC_RELEASE);
		ext_repair_free(h, in.a);
		break;
	case INTENT_NAME_ADD:
		w = ext_repair_word(h, in.b, in.a);
		if (!w || (*w & NAMES_REF_OFF_MASK) != in.a + HEAP_UNIT)
			ext_repair_free(h, in.a);
		break;
	case INTENT_NAME_REMOVE:
		w = ext_repair_word(h, in.b, in.a);
		if (w && (*w & NAMES_REF_OFF_MASK) == in.a + HEAP_UNIT)
			__atomic_store_n(w, NAMES_TOMB, __ATOMIC_RELEASE);
		ext_repair_free(h, in.a);
		break;
	case INTENT_NAME_TABLE:
		if ((x->table & EXT_TABLE_OFF_MASK) == in.a + HEAP_UNIT) {
			if (in.c != self)
				ext_repair_free(h, in.c);
		} else if (in.a != self) {
			ext_repair_free(h, in.a);
		}
		break;
	case INTENT_QUEUE_CREATE:
	case INTENT_QUEUE_DESTROY:
	case INTENT_QUEUE_PUSH:
	case INTENT_QUEUE_POP:
		queue_finish(h, &in);
		break;
	default:
		break;
	}
	ext_end(x);
}

void ext_repair(struct shmheap_heap *h)
{
	if (!(h->hdr->flags & HEAP_FLAG_EXT))
		finish_install(h);
	struct heap_ext *x = ext_find(h);
	if (!x)
		return;
	if (x->intent.op != INTENT_NONE)
		finish_pending(h, x);
	recount(h, x);
}
