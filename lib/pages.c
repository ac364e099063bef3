/* SPDX-License-Identifier: MIT */
/*
 * pages.c - shmheap_pages: a private allocator over a region that holds no
 * bookkeeping at all.
 *
 *   region  [ used 24 | free 40 |  used 8  |        free 4024 ...       ]
 *   free treap (by offset, subtree max):   24:40   72:4024
 *   live treap (by offset):           0:24   64:8
 *
 * Both treaps live in a node pool allocated with malloc, so every byte of the
 * region is available to callers and the manager never touches it (it may be
 * a caller's buffer that must not be written, or memory only others read).
 * Allocation is exact first fit: the lowest-addressed free range that fits,
 * found in one descent using the subtree maxima, its front handed out (split)
 * and the rest left free.  Freeing looks the pointer up in the live treap
 * (anything else is refused) and merges the range with free neighbours, so
 * no two free ranges are ever adjacent.  All O(log n).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "heap.h"
#include "rangetree.h"
#include "shmheap_pages.h"

struct shmheap_pages {
	unsigned char *base;
	size_t size;
	size_t map_len; /* bytes mapped by shmheap_pages_create, 0 over a caller's region */
	struct rt_pool pool;
	struct rt_tree free_ranges, live;
	size_t used_bytes;
	size_t invalid_frees;
};

#define GRAIN SHMHEAP_PAGES_GRAIN

static uint64_t seed_for(const void *p)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)(uintptr_t)p ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
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
	long ps = sysconf(_SC_PAGESIZE);
	size_t page = ps > 0 ? (size_t)ps : 4096;
	if (!len || len % GRAIN || len > SIZE_MAX - page) {
		errno = EINVAL;
		return NULL;
	}
	size_t map_len = (len + page - 1) / page * page;
	void *base = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			  0);
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
	/* The one node the live treap may need, before anything changes. */
	if (rt_reserve(&pm->pool, 1) < 0)
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
	rt_insert(&pm->pool, &pm->live, off, size);
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
		size_t lo_off = p->node[lo].off, all = p->node[lo].len + len + p->node[hi].len;
		rt_remove(p, &pm->free_ranges, p->node[hi].off); /* nodes keep their index */
		rt_reshape(p, &pm->free_ranges, lo, lo_off, all);
	} else if (lo) {
		rt_reshape(p, &pm->free_ranges, lo, p->node[lo].off, p->node[lo].len + len);
	} else if (hi) {
		rt_reshape(p, &pm->free_ranges, hi, off, len + p->node[hi].len);
	} else {
		rt_insert(p, &pm->free_ranges, off, len); /* reuses the live node just freed */
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
		len = rt_remove(&pm->pool, &pm->live, p - b);
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
		.bookkeeping_bytes = sizeof(*pm) + rt_pool_bytes(&pm->pool),
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
	/* Both treaps in address order, merged; each step one O(log n) lookup. */
	const struct rt_pool *p = &pm->pool;
	size_t at = 0;
	for (;;) {
		rt_idx f = rt_at_or_above(p, &pm->free_ranges, at);
		rt_idx u = rt_at_or_above(p, &pm->live, at);
		if (!f && !u)
			return 0;
		int in_use = !f || (u && p->node[u].off < p->node[f].off);
		const struct rt_node *n = &p->node[in_use ? u : f];
		struct shmheap_block blk = { .offset = n->off, .size = n->len, .in_use = in_use };
		if (fn(&blk, arg))
			return 0;
		at = n->off + n->len;
	}
}

struct pages_check {
	const shmheap_pages *pm;
	shmheap_problem_fn fn;
	void *arg;
	size_t problems;
	size_t sum;
	size_t nodes;
	size_t *offs; /* the ranges of one treap, in order: off, len, off, len ... */
	size_t room;  /* ranges offs holds */
};

static void check_problem(size_t off, const char *what, void *arg)
{
	struct pages_check *c = arg;
	c->problems++;
	if (c->fn)
		c->fn(off, what, c->arg);
}

static void check_visit(const struct rt_node *n, void *arg)
{
	struct pages_check *c = arg;
	if (!n->len || n->off % GRAIN || n->len % GRAIN)
		check_problem(n->off, "range empty or not a multiple of 8", c);
	else if (n->off > c->pm->size || n->len > c->pm->size - n->off)
		check_problem(n->off, "range outside the region", c);
	c->sum += n->len;
	if (c->nodes < c->room) {
		c->offs[2 * c->nodes] = n->off;
		c->offs[2 * c->nodes + 1] = n->len;
	}
	c->nodes++;
}

EXPORT int shmheap_pages_check(const shmheap_pages *pm, shmheap_problem_fn fn, void *arg)
{
	if (!pm) {
		errno = EINVAL;
		return -1;
	}
	struct pages_check c = { .pm = pm, .fn = fn, .arg = arg };
	size_t nf = pm->free_ranges.count, nl = pm->live.count;
	size_t *fr = calloc(2 * nf + 2, sizeof(size_t)), *lv = calloc(2 * nl + 2, sizeof(size_t));
	if (!fr || !lv) {
		free(fr);
		free(lv);
		errno = ENOMEM;
		return -1;
	}
	c.offs = fr;
	c.room = nf;
	c.problems += rt_verify(&pm->pool, &pm->free_ranges, check_visit, check_problem, &c);
	size_t free_sum = c.sum;
	if (c.nodes != nf)
		goto out; /* the treap is broken: reported; the rest would read past offs */
	c.offs = lv;
	c.room = nl;
	c.sum = c.nodes = 0;
	c.problems += rt_verify(&pm->pool, &pm->live, check_visit, check_problem, &c);
	if (c.nodes != nl)
		goto out;
	if (c.sum != pm->used_bytes)
		check_problem(0, "live allocations do not add up to the used bytes", &c);
	if (free_sum + c.sum != pm->size)
		check_problem(0, "free and live ranges do not add up to the region", &c);
	/* Together the ranges tile the region, and no two free ones touch. */
	size_t at = 0, i = 0, j = 0;
	int last_free = 0;
	while (i < nf || j < nl) {
		int take_free = j == nl || (i < nf && fr[2 * i] < lv[2 * j]);
		size_t off = take_free ? fr[2 * i] : lv[2 * j];
		size_t len = take_free ? fr[2 * i + 1] : lv[2 * j + 1];
		if (off != at)
			check_problem(off, off < at ? "ranges overlap" : "bytes in no range", &c);
		else if (take_free && last_free)
			check_problem(off, "adjacent free ranges not merged", &c);
		last_free = take_free;
		at = off + len;
		take_free ? i++ : j++;
	}
	if (at != pm->size)
		check_problem(at, "ranges end before the region does", &c);
out:
	free(fr);
	free(lv);
	return (int)(c.problems > INT32_MAX ? INT32_MAX : c.problems);
}
