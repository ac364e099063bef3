/* SPDX-License-Identifier: MIT */
/*
 * pages.c - shmheap_pages: a private allocator over a region that holds no
 * bookkeeping at all.
 *
 *   region  [ used 24 | free 40 |  used 8  |        free 4024 ...       ]
 *   free treap (by offset, subtree max):   24:40   72:4024
 *   live table (hash, offset -> length):   0:24    64:8
 *
 * Both live in memory allocated with malloc, so every byte of the
 * region is available to callers and the manager never touches it (it may be
 * a caller's buffer that must not be written, or memory only others read).
 * Allocation is exact first fit: the lowest-addressed free range that fits,
 * found in one descent using the subtree maxima, its front handed out (split)
 * and the rest left free.  Freeing looks the pointer up in the live table
 * (anything else is refused) and merges the range with free neighbours, so
 * no two free ranges are ever adjacent.  All O(log n).
 *
 * Free ranges are separated by allocations, so there are at most one more of
 * them than of allocations: allocating reserves room for that many nodes, and
 * freeing never needs memory (nor fails).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "align.h"
#include "export.h"
#include "livetable.h"
#include "rangetree.h"
#include "shmheap_pages.h"

struct shmheap_pages {
	unsigned char *base;
	size_t size;
	size_t map_len; /* bytes mapped by shmheap_pages_create, 0 over a caller's region */
	struct rt_pool pool;
	struct rt_tree free_ranges;
	struct live_table live;
	size_t used_bytes;
	size_t invalid_frees;
};

#define GRAIN SHMHEAP_PAGES_GRAIN

static uint64_t seed_for(const void *p)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)(uintptr_t)p ^ ((uint64_t)ts.tv_nsec << 20) ^
	       (uint64_t)ts.tv_sec;
}

static shmheap_pages *manager_new(unsigned char *base, size_t len, size_t map_len)
{
	shmheap_pages *pm = calloc(1, sizeof(*pm));
	if (!pm) {
		errno = ENOMEM;
		return NULL;
	}
	pm->base = base;
	pm->size = len;
	pm->map_len = map_len;
	rt_pool_init(&pm->pool, seed_for(pm));
	if (rt_reserve(&pm->pool, 16) < 0) {
		free(pm);
		errno = ENOMEM;
		return NULL;
	}
	rt_insert(&pm->pool, &pm->free_ranges, 0, len);
	return pm;
}

EXPORT shmheap_pages *shmheap_pages_create(size_t len)
{
	size_t page = page_size();
	if (!len || len % GRAIN || len > SIZE_MAX - page) {
		errno = EINVAL;
		return NULL;
	}
	size_t map_len = round_up(len, page);
	void *base = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL; /* errno from mmap: ENOMEM */
	shmheap_pages *pm = manager_new(base, len, map_len);
	if (!pm) {
		munmap(base, map_len);
		errno = ENOMEM;
	}
	return pm;
}

EXPORT shmheap_pages *shmheap_pages_create_over(void *region, size_t len)
{
	if (!region || (uintptr_t)region % GRAIN || !len || len % GRAIN ||
	    len > UINTPTR_MAX - (uintptr_t)region) {
		errno = EINVAL;
		return NULL;
	}
	return manager_new(region, len, 0);
}

EXPORT void *shmheap_pages_base(const shmheap_pages *pm)
{
	if (!pm) {
		errno = EINVAL;
		return NULL;
	}
	return pm->base;
}

EXPORT void *shmheap_pages_alloc(shmheap_pages *pm, size_t size)
{
	if (!pm || !size || size % GRAIN) {
		errno = EINVAL;
		return NULL;
	}
	/* Room for what this allocation and a later free may need, before
	 * anything changes: a table entry, and nodes for live + 2 free ranges. */
	size_t nodes = pm->live.count + 2, have = pm->free_ranges.count;
	if (lt_reserve(&pm->live) < 0 ||
	    (nodes > have && rt_reserve(&pm->pool, (rt_idx)(nodes - have)) < 0))
		return NULL;
	rt_idx f = rt_first_fit(&pm->pool, &pm->free_ranges, size);
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	size_t off = pm->pool.node[f].off, len = pm->pool.node[f].len;
	if (len == size)
		rt_remove(&pm->pool, &pm->free_ranges, off);
	else
		rt_reshape(&pm->pool, &pm->free_ranges, f, off + size, len - size);
	lt_add(&pm->live, off, size);
	pm->used_bytes += size;
	return pm->base + off;
}

/* Frees the live range at off, of len bytes, merging it with its neighbours. */
static void release(shmheap_pages *pm, size_t off, size_t len)
{
	struct rt_pool *p = &pm->pool;
	rt_idx lo = rt_below(p, &pm->free_ranges, off);
	rt_idx hi = rt_at_or_above(p, &pm->free_ranges, off);
	if (lo && p->node[lo].off + p->node[lo].len != off)
		lo = 0;
	if (hi && off + len != p->node[hi].off)
		hi = 0;
	if (lo && hi) {
		size_t lo_off = p->node[lo].off,
		       all = p->node[lo].len + len + p->node[hi].len;
		rt_remove(p, &pm->free_ranges,
			  p->node[hi].off); /* nodes keep their index */
		rt_reshape(p, &pm->free_ranges, lo, lo_off, all);
	} else if (lo) {
		rt_reshape(p, &pm->free_ranges, lo, p->node[lo].off,
			   p->node[lo].len + len);
	} else if (hi) {
		rt_reshape(p, &pm->free_ranges, hi, off, len + p->node[hi].len);
	} else {
		rt_insert(p, &pm->free_ranges, off, len); /* a node reserved by alloc */
	}
}

EXPORT int shmheap_pages_free_checked(shmheap_pages *pm, void *ptr)
{
	if (!ptr)
		return 0;
	if (!pm) {
		errno = EINVAL;
		return -1;
	}
	uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)pm->base;
	size_t len = 0;
	if (p >= b && p - b < pm->size && (p - b) % GRAIN == 0)
		len = lt_remove(&pm->live, p - b);
	if (!len) {
		pm->invalid_frees++;
		errno = EINVAL;
		return -1;
	}
	pm->used_bytes -= len;
	release(pm, p - b, len);
	return 0;
}

EXPORT void shmheap_pages_free(shmheap_pages *pm, void *ptr)
{
	(void)shmheap_pages_free_checked(pm, ptr);
}

EXPORT int shmheap_pages_destroy(shmheap_pages *pm)
{
	if (!pm) {
		errno = EINVAL;
		return -1;
	}
	int r = 0;
	if (pm->map_len && munmap(pm->base, pm->map_len) < 0)
		r = -1;
	rt_pool_fini(&pm->pool);
	lt_fini(&pm->live);
	free(pm);
	return r;
}

EXPORT int shmheap_pages_stats(const shmheap_pages *pm, struct shmheap_pages_stats *st)
{
	if (!pm || !st) {
		errno = EINVAL;
		return -1;
	}
	rt_idx root = pm->free_ranges.root;
	*st = (struct shmheap_pages_stats){
		.size = pm->size,
		.used_bytes = pm->used_bytes,
		.free_bytes = pm->size - pm->used_bytes,
		.largest_free = root ? pm->pool.node[root].max : 0,
		.allocations = pm->live.count,
		.free_ranges = pm->free_ranges.count,
		.bookkeeping_bytes = sizeof(*pm) + rt_pool_bytes(&pm->pool) +
				     pm->live.cap * sizeof(struct lt_entry),
		.invalid_frees = pm->invalid_frees,
	};
	return 0;
}

EXPORT int shmheap_pages_walk(const shmheap_pages *pm, shmheap_walk_fn fn, void *arg)
{
	if (!pm || !fn) {
		errno = EINVAL;
		return -1;
	}
	/* Free ranges in order from the treap; between them, allocations follow
	 * each other, each found by its offset in the table. */
	const struct rt_pool *p = &pm->pool;
	for (size_t at = 0; at < pm->size;) {
		rt_idx f = rt_at_or_above(p, &pm->free_ranges, at);
		struct shmheap_block blk = {.offset = at, .kind = SHMHEAP_BLOCK_FREE};
		if (f && p->node[f].off == at) {
			blk.size = p->node[f].len;
		} else {
			blk.size = lt_get(&pm->live, at);
			blk.in_use = 1;
			blk.kind = SHMHEAP_BLOCK_OBJECT;
			if (!blk.size) { /* damaged: shmheap_pages_check says where */
				errno = EUCLEAN;
				return -1;
			}
		}
		if (fn(&blk, arg))
			return 0;
		at += blk.size;
	}
	return 0;
}

struct pages_check {
	const shmheap_pages *pm;
	shmheap_problem_fn fn;
	void *arg;
	size_t problems;
	size_t sum;
};

static void check_problem(size_t off, const char *what, void *arg)
{
	struct pages_check *c = arg;
	c->problems++;
	if (c->fn)
		c->fn(off, what, c->arg);
}

static void check_range(struct pages_check *c, size_t off, size_t len)
{
	if (!len || off % GRAIN || len % GRAIN)
		check_problem(off, "range empty or not a multiple of 8", c);
	else if (off > c->pm->size || len > c->pm->size - off)
		check_problem(off, "range outside the region", c);
	c->sum += len;
}

static void check_visit(const struct rt_node *n, void *arg)
{
	check_range(arg, n->off, n->len);
}

EXPORT int shmheap_pages_check(const shmheap_pages *pm, shmheap_problem_fn fn, void *arg)
{
	if (!pm) {
		errno = EINVAL;
		return -1;
	}
	struct pages_check c = {.pm = pm, .fn = fn, .arg = arg};
	const struct live_table *lt = &pm->live;
	c.problems += rt_verify(&pm->pool, &pm->free_ranges, check_visit, check_problem,
				&c);
	size_t free_sum = c.sum, entries = 0;
	c.sum = 0;
	for (size_t i = 0; i < lt->cap; i++) {
		if (!lt->slot[i].len)
			continue;
		entries++;
		check_range(&c, lt->slot[i].off, lt->slot[i].len);
		if (lt_get(lt, lt->slot[i].off) != lt->slot[i].len)
			check_problem(lt->slot[i].off,
				      "allocation not found where it is hashed", &c);
	}
	if (entries != lt->count)
		check_problem(0, "live table count is wrong", &c);
	if (c.sum != pm->used_bytes)
		check_problem(0, "live allocations do not add up to the used bytes", &c);
	if (free_sum + c.sum != pm->size)
		check_problem(0, "free and live ranges do not add up to the region", &c);
	if (c.problems)
		goto out; /* the walk below relies on sane sizes */
	/* Together the ranges tile the region, and no two free ones touch. */
	const struct rt_pool *p = &pm->pool;
	size_t at = 0, seen = 0;
	int last_free = 0;
	while (at < pm->size) {
		rt_idx f = rt_at_or_above(p, &pm->free_ranges, at);
		if (f && p->node[f].off == at) {
			if (last_free)
				check_problem(at, "adjacent free ranges not merged", &c);
			last_free = 1;
			at += p->node[f].len;
			continue;
		}
		size_t len = lt_get(lt, at);
		last_free = 0;
		if (len) {
			seen++;
			at += len;
			continue;
		}
		check_problem(at, "bytes in no range, or ranges overlap", &c);
		if (!f)
			break;
		at = p->node[f].off;
	}
	if (seen != lt->count)
		check_problem(0, "allocations overlap", &c);
out:
	return (int)(c.problems > INT32_MAX ? INT32_MAX : c.problems);
}
