/* SPDX-License-Identifier: MIT */
/*
 * realloc.c - resizing objects, zeroed allocation and usable sizes.
 *
 * An object is resized in place when its block and a free right neighbour
 * together hold the new size: the block takes what it needs and the rest
 * (when it can be a block, 16 bytes or more) becomes the free block after it.
 * So shrinking splits off a tail that merges with a free right neighbour, and
 * growing eats into that neighbour.  Like every change in blocks.c, the
 * resize ends in one committing store, of the object's block word:
 *
 *   1. the free right neighbour leaves the index (derived state);
 *   2. the new free block's word and footer are written, inside the object
 *      (a shrink: bytes it gives up) or inside the neighbour (a growth);
 *   3. commit: the object's block word with its new size and tag;
 *   4. the next block's prev field, the old neighbour's word cleared, the
 *      new free block indexed.
 *
 * A process killed before 3 leaves the object as it was (save, for a shrink,
 * 8 bytes beyond the new size); from 3 on, resized.  heap_repair rebuilds
 * 1 and 4.  When the space is not there, the object moves: a new object is
 * allocated (the heap may grow), the contents copied and the old object
 * freed, each step one commit; a process killed between them leaves the old
 * object and, at worst, the new one allocated as well.
 */
#include <errno.h>
#include <string.h>

#include "blocks.h"
#include "lock.h"

/* Resizes the live block at off to need bytes without moving it, using a
 * free right neighbour; false (nothing changed) if it does not fit. */
static bool block_resize_in_place(struct shmheap_heap *h, heap_off off, uint64_t need)
{
	unsigned char *base = h->base;
	uint64_t end = heap_size_bytes(h->hdr);
	uint64_t *w = block_word(base, off);
	uint64_t bw = *w;
	uint64_t size = bw_size(bw);
	heap_off next = off + size;
	uint64_t nbw = next < end ? *block_word(base, next) : BW_IN_USE;
	uint64_t nsize = (nbw & BW_IN_USE) ? 0 : block_step(next, nbw, end);
	uint64_t avail = size + nsize;

	if (!(nbw & BW_IN_USE) && !nsize) {
		heap_met_damage(h); /* a free neighbour that is no block */
		return false;
	}

	if (need > avail)
		return false;
	uint64_t rest = avail - need;
	/* An 8-byte rest can hold no block: the object keeps it. */
	uint64_t new_size = rest >= BLOCK_MIN ? need : avail;
	if (new_size == size)
		return true;
	if (rest < BLOCK_MIN)
		rest = 0;
	heap_off r = off + new_size;
	/* A large neighbour's priority stays with the large rest, so that the
	 * block ending the heap keeps the top's (see BLOCK_PRIO_TOP). */
	uint32_t prio = 0;
	if (rest)
		prio = nsize >= BLOCK_MAIN_MIN && rest >= BLOCK_MAIN_MIN
			       ? bw_tag(nbw)
			       : block_free_priority(h, r, rest);

	/* The neighbour leaves the index first: the rest's word may land on
	 * its links (a growth by 8 bytes). */
	if (nsize)
		fi_remove(&h->index, next, NULL);
	if (rest) {
		*block_word(base, r) = rest | BW_PREV_USED |
				       (uint64_t)prio << BW_TAG_SHIFT;
		if (rest >= BLOCK_FOOTER_MIN)
			*block_word(base, r + rest - HEAP_UNIT) = rest;
	}
	block_commit(w, block_used_word(h, off, new_size, bw & BW_PREV_MASK));
	block_set_prev_of_next(h, off + avail,
			       rest ? prev_state_for_free(rest) : BW_PREV_USED);
	/* The old neighbour's word, now inside the object or the rest, must not
	 * pass for a block. */
	if (nsize)
		*block_word(base, next) = 0;
	if (rest)
		fi_insert(&h->index, r);
	return true;
}

EXPORT void *shmheap_realloc(shmheap_memory_handle mem, void *ptr, size_t size)
{
	if (!ptr)
		return shmheap_alloc(mem, size);
	if (heap_may_change(mem) < 0)
		return NULL;
	/* Size 0 shrinks to the smallest object, as shmheap_alloc(0) gives one:
	 * the object is never freed here, so NULL always means failure. */
	uint64_t need = block_need(size);
	if (!need) {
		errno = ENOMEM;
		return NULL;
	}

	if (heap_lock(mem) < 0)
		return NULL;
	void *ret = NULL;
	int err = 0;
	heap_off off = block_of_object(mem, ptr);
	if (!off) {
		err = EINVAL;
	} else if (block_resize_in_place(mem, off, need)) {
		ret = ptr;
	} else if (!mem->damaged) {
		heap_off noff = block_alloc_growing(mem, need);
		if (noff) {
			uint64_t old = bw_size(*block_word(mem->base, off)) - HEAP_UNIT;
			uint64_t new = bw_size(*block_word(mem->base, noff)) - HEAP_UNIT;
			ret = mem->base + noff + HEAP_UNIT;
			memcpy(ret, ptr, old < new ? old : new);
			block_free(mem, off);
		} else {
			err = errno == ENOSPC ? ENOSPC : ENOMEM;
		}
	}
	if (heap_end_call(mem, "shmheap_realloc") < 0)
		return NULL; /* EUCLEAN: a moved object stays where it was */
	if (!ret)
		errno = err;
	return ret;
}

EXPORT void *shmheap_calloc(shmheap_memory_handle mem, size_t n, size_t size)
{
	/* An overflowing product is a request no heap can satisfy: ENOMEM, as
	 * glibc's calloc reports it. */
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	unsigned char *p = shmheap_alloc(mem, n * size);
	if (!p)
		return NULL;
	/* The whole usable size.  The block is ours, so its size stays put;
	 * only its prev field may change, under the lock, meanwhile. */
	uint64_t bw = __atomic_load_n(block_word(p - HEAP_UNIT, 0), __ATOMIC_RELAXED);
	uint64_t usable = bw_size(bw) - HEAP_UNIT;
	memset(p, 0, usable);
	return p;
}

EXPORT size_t shmheap_usable_size(shmheap_memory_handle mem, void *ptr)
{
	if (!mem || !ptr) {
		errno = EINVAL;
		return 0;
	}
	if (heap_read_lock(mem) < 0)
		return 0;
	heap_off off = block_of_object(mem, ptr);
	size_t usable = off ? bw_size(*block_word(mem->base, off)) - HEAP_UNIT : 0;
	heap_read_unlock(mem);
	if (!off)
		errno = EINVAL;
	return usable;
}
