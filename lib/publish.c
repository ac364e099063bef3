/* SPDX-License-Identifier: MIT */
/*
 * publish.c - shmheap_alloc_into and shmheap_free_from: an allocation and
 * the store of its handle into a slot inside the heap, or the clearing of a
 * slot and the release of what it named, as one step for a process killed
 * at any instruction (the intent log of ext.c makes them so).
 *
 * A slot must lie inside a live object.  Finding the object that holds an
 * arbitrary address walks the block chain from the nearest free block below
 * it (found in the free-block index); the last object found is remembered
 * per connection, so that the slots of one shared structure are checked in
 * O(1).
 */
#include <errno.h>

#include "blocks.h"
#include "ext.h"
#include "lock.h"

/* The block of the live object that holds the 8 bytes at off, or 0. */
static heap_off holder(struct shmheap_heap *h, heap_off off)
{
	uint64_t end = heap_size_bytes(h->hdr);
	struct ext_conn *e = h->ext;
	if (e && e->slot_blk && off >= e->slot_blk + HEAP_UNIT &&
	    off + HEAP_UNIT <= e->slot_blk + bw_size(e->slot_bw) &&
	    *block_word(h->base, e->slot_blk) == e->slot_bw)
		return e->slot_blk;
	heap_off start = HEAP_FIRST_BLOCK;
	heap_off f = fi_free_at_or_below(&h->index, off);
	if (f > start)
		start = f;
	for (heap_off o = start; o < end;) {
		uint64_t bw = *block_word(h->base, o);
		uint64_t size = block_step(o, bw, end);
		if (!size)
			return 0;
		if (off < o + size) {
			if (!(bw & BW_IN_USE) || off < o + HEAP_UNIT ||
			    off + HEAP_UNIT > o + size ||
			    bw_tag(bw) != block_tag(h->seed, o, size))
				return 0;
			if (e) {
				e->slot_blk = o;
				e->slot_bw = bw;
			}
			return o;
		}
		o += size;
	}
	return 0;
}

/* The offset of a valid slot; 0 with errno EINVAL.  The record and the
 * names table are no place for a slot. */
heap_off ext_slot_offset(struct shmheap_heap *h, const shmheap_object_handle *slot,
			 heap_off *blk)
{
	uintptr_t p = (uintptr_t)slot, b = (uintptr_t)h->base;
	uint64_t end = heap_size_bytes(h->hdr);
	if (p < b + HEAP_FIRST_OBJECT || p - b > end - HEAP_UNIT || (p - b) % HEAP_UNIT)
		goto bad;
	heap_off off = p - b;
	*blk = holder(h, off);
	if (!*blk)
		goto bad;
	if (h->hdr->flags & HEAP_FLAG_EXT) {
		/* The record ext_find checked, not another read of the header. */
		const struct heap_ext *x = ext_find(h);
		heap_off rec = x ? (heap_off)((const unsigned char *)x - h->base)
				 : unit_to_off(h->hdr->created);
		uint64_t table = x ? __atomic_load_n(&x->table, __ATOMIC_RELAXED) : 0;
		if (*blk + HEAP_UNIT == rec ||
		    (table && *blk + HEAP_UNIT == (table & EXT_TABLE_OFF_MASK)))
			goto bad;
	}
	return off;
bad:
	errno = EINVAL;
	return 0;
}

/* As heap_may_change, and a NULL slot is EINVAL too. */
static int may_change(shmheap_memory_handle mem, const void *slot)
{
	if (!slot) {
		errno = EINVAL;
		return -1;
	}
	return heap_may_change(mem);
}

EXPORT void *shmheap_alloc_into(shmheap_memory_handle mem, size_t size,
				shmheap_object_handle *slot)
{
	if (may_change(mem, slot) < 0)
		return NULL;
	uint64_t need = block_need(size);
	if (!need) {
		errno = ENOMEM;
		return NULL;
	}
	if (heap_lock(mem) < 0)
		return NULL;
	void *ret = NULL;
	heap_off sblk, blk = 0;
	heap_off soff = ext_slot_offset(mem, slot, &sblk);
	struct heap_ext *x = soff ? ext_get(mem) : NULL;
	if (x)
		blk = ext_predict(mem, need);
	if (blk) {
		ext_begin(x, INTENT_ALLOC_INTO, blk, soff, 0);
		ext_step(mem, "alloc_into", 1);
		if (ext_alloc_predicted(mem, need, blk) == 0) {
			ext_step(mem, "alloc_into", 2);
			__atomic_store_n(&slot->value,
					 handle_of(mem->seed, blk + HEAP_UNIT),
					 __ATOMIC_RELEASE);
			ext_step(mem, "alloc_into", 3);
			ret = mem->base + blk + HEAP_UNIT;
		}
		ext_end(x);
	}
	if (heap_end_call(mem, "shmheap_alloc_into") < 0)
		return NULL; /* EUCLEAN: damage met */
	return ret;
}

EXPORT int shmheap_free_from(shmheap_memory_handle mem, shmheap_object_handle *slot)
{
	if (may_change(mem, slot) < 0)
		return -1;
	if (heap_lock(mem) < 0)
		return -1;
	int ret = -1;
	heap_off sblk, blk = 0;
	heap_off soff = ext_slot_offset(mem, slot, &sblk);
	uint64_t value = soff ? __atomic_load_n(&slot->value, __ATOMIC_ACQUIRE) : 0;
	if (soff && !value) {
		ret = 0; /* like free(NULL) */
		goto out;
	}
	heap_off obj = handle_off(mem->seed, value);
	if (obj)
		blk = block_of_object(mem, mem->base + obj);
	/* A slot inside the object it names would be freed with it. */
	if (!soff || !blk || blk == sblk) {
		errno = EINVAL;
		goto out;
	}
	struct heap_ext *x = ext_get(mem);
	if (!x || blk + HEAP_UNIT == (heap_off)((unsigned char *)x - mem->base) ||
	    blk + HEAP_UNIT == (__atomic_load_n(&x->table, __ATOMIC_RELAXED) &
				EXT_TABLE_OFF_MASK)) {
		if (x)
			errno = EINVAL;
		goto out;
	}
	ext_begin(x, INTENT_FREE_FROM, blk, soff, 0);
	ext_step(mem, "free_from", 1);
	/* A free of the same object through a cache takes no lock: of the two,
	 * the one whose compare-and-swap changes the live word wins. */
	if (block_release(mem, blk) < 0) {
		ext_end(x);
		__atomic_add_fetch(&mem->invalid_frees, 1, __ATOMIC_RELAXED);
		errno = EINVAL;
		goto out;
	}
	ext_step(mem, "free_from", 2);
	__atomic_store_n(&slot->value, 0, __ATOMIC_RELEASE);
	ext_step(mem, "free_from", 3);
	ext_end(x);
	ret = 0;
out:
	if (heap_end_call(mem, "shmheap_free_from") < 0)
		ret = -1; /* EUCLEAN: damage met */
	return ret;
}
