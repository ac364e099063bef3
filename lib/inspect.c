/* SPDX-License-Identifier: MIT */
/*
 * inspect.c - walking the blocks, statistics, and the integrity check.
 *
 * The check is the one place that states every invariant of the layout;
 * tests, shmheap-ctl and debugging all call it.
 */
#include <errno.h>

#include "heap.h"

/* Calls fn for each block in address order, under the caller's lock. */
static int walk_blocks(struct shmheap_heap *h, shmheap_walk_fn fn, void *arg)
{
	uint64_t end = heap_size_bytes(h->hdr);
	for (heap_off off = HEAP_FIRST_BLOCK; off < end;) {
		uint64_t bw = *block_word(h->base, off);
		uint64_t size = bw_size(bw);
		if (size < BLOCK_MIN || size > end - off) {
			errno = EUCLEAN; /* the chain is broken: shmheap_check says where */
			return -1;
		}
		struct shmheap_block blk = {off + HEAP_UNIT, size - HEAP_UNIT, (bw & BW_IN_USE) != 0};
		if (fn(&blk, arg))
			break;
		off += size;
	}
	return 0;
}

EXPORT int shmheap_walk(shmheap_memory_handle mem, shmheap_walk_fn fn, void *arg)
{
	if (!mem || !fn) {
		errno = EINVAL;
		return -1;
	}
	if (heap_read_lock(mem) < 0)
		return -1;
	int ret = walk_blocks(mem, fn, arg);
	int err = errno;
	heap_read_unlock(mem);
	errno = err;
	return ret;
}

static int count_block(const struct shmheap_block *blk, void *arg)
{
	struct shmheap_stats *st = arg;
	if (blk->in_use) {
		st->objects++;
		st->used_bytes += blk->size;
		st->overhead_bytes += HEAP_UNIT;
	} else {
		st->free_blocks++;
		st->free_bytes += blk->size + HEAP_UNIT;
		if (blk->size > st->largest_free)
			st->largest_free = blk->size;
	}
	return 0;
}

EXPORT int shmheap_stats(shmheap_memory_handle mem, struct shmheap_stats *st)
{
	if (!mem || !st) {
		errno = EINVAL;
		return -1;
	}
	*st = (struct shmheap_stats){0};
	if (heap_read_lock(mem) < 0)
		return -1;
	int ret = walk_blocks(mem, count_block, st);
	int err = errno;
	st->heap_size = heap_size_bytes(mem->hdr);
	st->max_size = heap_max_bytes(mem->hdr);
	heap_read_unlock(mem);
	errno = err;
	st->header_size = HEAP_FIRST_OBJECT;
	st->invalid_frees = __atomic_load_n(&mem->invalid_frees, __ATOMIC_RELAXED);
	return ret;
}

struct check_ctx {
	struct shmheap_heap *h;
	uint64_t end;
	shmheap_problem_fn fn;
	void *arg;
	int problems;
	heap_off cursor; /* the next free block the index must name */
	bool tiny;
};

static void report(struct check_ctx *c, heap_off off, const char *problem)
{
	c->problems++;
	if (c->fn)
		c->fn(off, problem, c->arg);
}

static void fi_report(heap_off off, const char *problem, void *arg)
{
	report(arg, off, problem);
}

/* The first free block at or after off that belongs in the treap being checked. */
static heap_off next_free(struct check_ctx *c, heap_off off)
{
	while (off < c->end) {
		uint64_t bw = *block_word(c->h->base, off);
		uint64_t size = bw_size(bw);
		if (size < BLOCK_MIN || size > c->end - off)
			return c->end;
		if (!(bw & BW_IN_USE) && (size == BLOCK_MIN) == c->tiny)
			return off;
		off += size;
	}
	return c->end;
}

/* Index nodes come in address order and must be exactly the free blocks. */
static void match_node(heap_off off, void *arg)
{
	struct check_ctx *c = arg;
	if (off != next_free(c, c->cursor))
		report(c, off, "free-block index and block chain disagree");
	uint64_t size = bw_size(*block_word(c->h->base, off));
	if (off >= c->cursor && size >= BLOCK_MIN && size <= c->end - off)
		c->cursor = off + size;
}

static void check_chain(struct check_ctx *c)
{
	unsigned char *base = c->h->base;
	uint64_t prev_state = BW_PREV_USED;
	bool prev_free = false;

	for (heap_off off = HEAP_FIRST_BLOCK; off < c->end;) {
		uint64_t bw = *block_word(base, off);
		uint64_t size = bw_size(bw);
		if (size < BLOCK_MIN || size > c->end - off) {
			report(c, off, "block size breaks the chain (blocks do not tile the heap)");
			return;
		}
		bool used = bw & BW_IN_USE;
		if ((bw & BW_PREV_MASK) != prev_state)
			report(c, off, "block's prev field disagrees with the block before it");
		if (used && bw_tag(bw) != block_tag(c->h->seed, off, size))
			report(c, off, "live block's tag is wrong");
		if (!used && prev_free)
			report(c, off, "two adjacent free blocks");
		if (!used && size >= BLOCK_FOOTER_MIN &&
		    *block_word(base, off + size - HEAP_UNIT) != size)
			report(c, off, "free block's footer is wrong");
		prev_free = !used;
		prev_state = used ? BW_PREV_USED : prev_state_for_free(size);
		off += size;
	}
}

static void check_header(struct check_ctx *c)
{
	const struct heap_header *hdr = c->h->hdr;
	if (hdr->magic != HEAP_MAGIC || hdr->version != HEAP_LAYOUT_VERSION)
		report(c, 0, "header magic or layout version is wrong");
	if (hdr->max_pages < hdr->size_pages ||
	    heap_max_bytes(hdr) > HEAP_MAX_SIZE)
		report(c, 0, "header sizes are inconsistent");
	if (hdr->seed != c->h->seed)
		report(c, 0, "header seed changed");
}

int heap_verify(struct shmheap_heap *mem, shmheap_problem_fn fn, void *arg)
{
	struct check_ctx c = {mem, heap_size_bytes(mem->hdr), fn, arg, 0, HEAP_FIRST_BLOCK, false};
	check_header(&c);
	check_chain(&c);
	for (int tiny = 0; tiny < 2; tiny++) {
		c.tiny = tiny;
		c.cursor = HEAP_FIRST_BLOCK;
		/* fi_report counts each problem it is told of. */
		fi_verify(&mem->index, tiny, c.end, match_node, fi_report, &c);
		if (next_free(&c, c.cursor) != c.end)
			report(&c, next_free(&c, c.cursor), "free block missing from the index");
	}
	return c.problems;
}

EXPORT int shmheap_check(shmheap_memory_handle mem, shmheap_problem_fn fn, void *arg)
{
	if (!mem) {
		errno = EINVAL;
		return -1;
	}
	if (heap_read_lock(mem) < 0)
		return -1;
	int problems = heap_verify(mem, fn, arg);
	heap_read_unlock(mem);
	return problems;
}
