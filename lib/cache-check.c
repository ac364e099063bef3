/* SPDX-License-Identifier: MIT */
/*
 * cache-check.c - what a walk or a check of a cached heap makes of its caches
 * (the cache layer's view hooks, layer.h): the table, read through a view
 * and checked before use; the blocks in processes' caches, which are free
 * space to a walk; and the problems only a cached heap can have.
 */
#include "cache.h"
#include "inspect.h"
#include "layer.h"

unsigned cache_view_table(const struct heap_view *v, struct cache_view_table *t)
{
	*t = (struct cache_view_table){0};
	if (!(v->hdr->flags & HEAP_FLAG_CACHED) ||
	    v->end < HEAP_FIRST_OBJECT + sizeof(struct cache_table))
		return 0;
	uint64_t bw = view_word(v, HEAP_FIRST_BLOCK);
	uint64_t size = bw_size(bw);
	if (cache_kind(v->seed, HEAP_FIRST_BLOCK, bw) != CACHE_KIND_TABLE ||
	    size < HEAP_UNIT + sizeof(struct cache_table) ||
	    size > v->end - HEAP_FIRST_BLOCK)
		return 0;
	hr_read(&v->r, HEAP_FIRST_OBJECT, &t->hdr, sizeof(t->hdr));
	t->block = size;
	return cache_table_slots(&t->hdr, t->block);
}

void cache_view_slot_read(const struct heap_view *v, const struct cache_view_table *t,
			  unsigned i, struct cache_slot *s)
{
	heap_off off = HEAP_FIRST_OBJECT + cache_table_head(t->hdr.depth) +
		       i * cache_slot_stride(t->hdr.depth);
	hr_read(&v->r, off, s, sizeof(*s));
}

int cache_view_slot(const struct heap_view *v, heap_off off, uint64_t bw)
{
	if (!(v->hdr->flags & HEAP_FLAG_CACHED))
		return -1;
	int kind = cache_kind(v->seed, off, bw);
	return kind >= 0 ? kind : -1;
}

int cache_block_kind(const struct heap_view *v, heap_off off, uint64_t bw)
{
	if (cache_view_slot(v, off, bw) >= 0)
		return HEAP_BLOCK_HELD;
	struct cache_view_table t;
	if (off == HEAP_FIRST_BLOCK && cache_kind(v->seed, off, bw) == CACHE_KIND_TABLE &&
	    cache_view_table(v, &t))
		return HEAP_BLOCK_OWN;
	return HEAP_BLOCK_OBJECT;
}

/* The table, or a block in the cache of a claimed slot. */
int cache_check_block(const struct heap_view *v, heap_off off, uint64_t bw,
		      heap_problem_fn fn, void *arg)
{
	struct cache_view_table t;
	unsigned slots = cache_view_table(v, &t);
	int kind = slots ? cache_kind(v->seed, off, bw) : CACHE_KIND_OTHER;
	if (kind == CACHE_KIND_TABLE)
		return 1;
	if (kind < 0 || (unsigned)kind >= slots)
		return 0;
	struct cache_slot s;
	cache_view_slot_read(v, &t, (unsigned)kind, &s);
	if (!s.pid)
		fn(off, "cached block belongs to no process's cache", arg);
	return 1;
}

void cache_check(const struct heap_view *v, heap_problem_fn fn, void *arg)
{
	struct cache_view_table t;
	if ((v->hdr->flags & HEAP_FLAG_CACHED) && !cache_view_table(v, &t))
		fn(HEAP_FIRST_BLOCK, "cache table is damaged", arg);
}
