/* SPDX-License-Identifier: MIT */
/*
 * fitmap-check.c - the check of a fitmap (fm_verify, fitmap.h), read through
 * a heap reader: every bit a free block of the heap, every figure the
 * largest below it, the top the free block that ends the heap.
 */
#include <string.h>

#include "fitmap.h"
#include "heapread.h"

struct fm_check {
	const struct heap_reader *r;
	struct fm_geometry g;
	fm_node_fn fn;
	fm_problem_fn bad;
	void *arg;
	size_t problems;
};

static void complain(struct fm_check *c, heap_off off, const char *problem)
{
	c->problems++;
	if (c->bad)
		c->bad(off, problem, c->arg);
}

/* The figure i of level k, read through the reader. */
static uint16_t read_figure(const struct fm_check *c, unsigned k, uint64_t i)
{
	heap_off at = c->g.heap_size + c->g.level_off[k] + i * sizeof(uint16_t);
	uint64_t w = hr_word(c->r, at & ~(uint64_t)7);
	uint16_t part[4];
	memcpy(part, &w, sizeof(part));
	return part[(at & 7) / sizeof(uint16_t)];
}

size_t fm_verify(const struct heap_reader *r, uint64_t heap_size, fm_node_fn fn,
		 fm_problem_fn bad, void *arg)
{
	struct fm_check c = {.r = r, .fn = fn, .bad = bad, .arg = arg};
	fm_geometry_of(heap_size, &c.g);

	for (uint32_t reg = 0; reg < c.g.regions; reg++) {
		uint64_t bits = hr_word(r, heap_size + FM_HEAD + (uint64_t)reg * sizeof(uint64_t));
		uint32_t best = 0;
		while (bits) {
			heap_off off = unit_off(reg, (unsigned)__builtin_ctzll(bits));
			bits &= bits - 1;
			if (off < HEAP_FIRST_BLOCK) {
				complain(&c, off, "index bit before the first block");
				continue;
			}
			uint64_t bw = hr_word(r, off);
			uint64_t size = bw_size(bw);
			if (bw & BW_IN_USE)
				complain(&c, off, "index holds a block in use");
			if (size < BLOCK_MIN || size > heap_size - off)
				complain(&c, off, "indexed block has a bad size");
			else if (!(bw & BW_IN_USE) && size / HEAP_UNIT > best)
				best = (uint32_t)(size / HEAP_UNIT);
			if (c.fn)
				c.fn(off, bw, c.arg);
		}
		if (read_figure(&c, 0, reg) != figure_of(best))
			complain(&c, (uint64_t)reg * FM_REGION,
				 "index figure of a region is wrong");
	}
	for (unsigned k = 1; k < c.g.levels; k++) {
		for (uint64_t i = 0; i < c.g.level_len[k]; i++) {
			uint16_t best = 0;
			uint64_t from = i * FM_FANOUT, to = from + FM_FANOUT;
			if (to > c.g.level_len[k - 1])
				to = c.g.level_len[k - 1];
			for (uint64_t ch = from; ch < to; ch++) {
				uint16_t f = read_figure(&c, k - 1, ch);
				if (f > best)
					best = f;
			}
			if (read_figure(&c, k, i) != best) {
				complain(&c, 0, "index figure above the regions is wrong");
				return c.problems;
			}
		}
	}
	/* The top block, last in address order. */
	heap_off top = hr_word(r, heap_size);
	if (top) {
		uint64_t bw = top >= HEAP_FIRST_BLOCK && top < heap_size && !(top % HEAP_UNIT)
				      ? hr_word(r, top)
				      : BW_IN_USE;
		if ((bw & BW_IN_USE) || bw_size(bw) != heap_size - top)
			complain(&c, top, "index's top is not the free block ending the heap");
		else if (c.fn)
			c.fn(top, bw, c.arg);
	}
	return c.problems;
}
