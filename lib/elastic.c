/* SPDX-License-Identifier: MIT */
/*
 * elastic.c - shmheap_elastic: an allocator that maps 4 KiB pages one at a
 * time, only when no page it has can hold a request.
 *
 * Each page is described outside it by two bitmaps of its 512 eight-byte
 * units: "used" (the unit belongs to a live allocation) and "start" (an
 * allocation begins here).  A free chunk is a run of clear used bits, so
 * splitting and merging need no work of their own, a chunk never leaves its
 * page, and a whole page can serve one 4,096-byte request.
 *
 *   page 0  used  1111 1111 0000 1100 ...   start 1000 0010 0000 1000 ...
 *           allocations of 40 B (units 0-4) and 24 B (5-7), a free chunk (8-11) ...
 *
 * Which page: a tournament tree over the pages (in the order they were
 * mapped) holds each page's longest free run, so the first page with room
 * is found in O(log pages); a hash of page addresses finds a pointer's page
 * on free.  Within a page, first fit over at most 512 bits.
 *
 * The bookkeeping of the first INLINE_PAGES pages lives in the allocator's
 * own structure, so that the process's virtual size grows by exactly one
 * page each time one is mapped; beyond that the tables move to a mapping of
 * their own, which doubles (stats: bookkeeping_mapped) when a page is mapped.
 */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "align.h"
#include "export.h"
#include "shmheap_pages.h"

#define PAGE SHMHEAP_ELASTIC_PAGE_SIZE
#define GRAIN 8
#define UNITS (PAGE / GRAIN)
#define WORDS (UNITS / 64)
#define INLINE_PAGES 32

struct el_page {
	uintptr_t base;
	uint64_t used[WORDS];
	uint64_t start[WORDS];
};

struct el_table {
	size_t cap;	      /* pages the table holds; a power of two */
	struct el_page *page; /* [cap] in mapping order */
	uint16_t *largest;    /* [2 cap]: [cap + i] page i's longest free run in units,
			       * [k] the larger of [2k] and [2k + 1] */
	uint32_t *slot;	      /* [2 cap]: hash of page addresses, page index + 1 or 0 */
};

struct shmheap_elastic {
	struct el_table t;
	size_t pages, used_bytes, allocations, invalid_frees;
	bool caller_storage; /* made by shmheap_elastic_create_in: not ours to free */
	void *mapped; /* the tables' own mapping, once they outgrow the inline ones */
	size_t mapped_len;
	struct el_page inline_page[INLINE_PAGES];
	uint16_t inline_largest[2 * INLINE_PAGES];
	uint32_t inline_slot[2 * INLINE_PAGES];
};

/* ---- bitmaps of one page ---- */

/* The first unit at or after from whose bit is one (or zero), or UNITS. */
static unsigned next_bit(const uint64_t *w, unsigned from, bool one)
{
	while (from < UNITS) {
		uint64_t x = one ? w[from / 64] : ~w[from / 64];
		x &= ~0ull << (from % 64);
		if (x)
			return (from & ~63u) + (unsigned)__builtin_ctzll(x);
		from = (from & ~63u) + 64;
	}
	return UNITS;
}

static void set_bits(uint64_t *w, unsigned from, unsigned to, bool one)
{
	for (unsigned i = from; i < to;) {
		unsigned n = to - i < 64 - i % 64 ? to - i : 64 - i % 64;
		uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << (i % 64);
		if (one)
			w[i / 64] |= mask;
		else
			w[i / 64] &= ~mask;
		i += n;
	}
}

static bool bit(const uint64_t *w, unsigned i)
{
	return (w[i / 64] >> (i % 64)) & 1;
}

/* The end of the allocation that starts at unit u. */
static unsigned alloc_end(const struct el_page *pg, unsigned u)
{
	unsigned a = next_bit(pg->used, u + 1, false),
		 b = next_bit(pg->start, u + 1, true);
	return a < b ? a : b;
}

/* The lowest free run of at least need units (its first unit), or UNITS;
 * *longest gets the longest run when need is 0. */
static unsigned page_first_fit(const struct el_page *pg, unsigned need, unsigned *longest)
{
	unsigned best = 0;
	for (unsigned at = next_bit(pg->used, 0, false); at < UNITS;) {
		unsigned end = next_bit(pg->used, at, true);
		if (need && end - at >= need)
			return at;
		if (end - at > best)
			best = end - at;
		at = next_bit(pg->used, end, false);
	}
	if (longest)
		*longest = best;
	return UNITS;
}

static unsigned page_longest(const struct el_page *pg)
{
	unsigned longest;
	page_first_fit(pg, 0, &longest);
	return longest;
}

/* ---- the tables ---- */

static size_t slot_of(uintptr_t base, size_t nslots)
{
	return (size_t)(((uint64_t)(base / PAGE) * 0x9e3779b97f4a7c15ull) >> 20) &
	       (nslots - 1);
}

static void hash_add(struct el_table *t, size_t i)
{
	size_t s = slot_of(t->page[i].base, 2 * t->cap);
	while (t->slot[s])
		s = (s + 1) & (2 * t->cap - 1);
	t->slot[s] = (uint32_t)(i + 1);
}

/* The index of the page at base, or -1. */
static long page_index(const struct el_table *t, uintptr_t base)
{
	for (size_t s = slot_of(base, 2 * t->cap), n = 0; n < 2 * t->cap; n++) {
		uint32_t v = t->slot[s];
		if (!v)
			return -1;
		if (t->page[v - 1].base == base)
			return (long)v - 1;
		s = (s + 1) & (2 * t->cap - 1);
	}
	return -1;
}

static void set_largest(struct el_table *t, size_t i, unsigned units)
{
	size_t k = t->cap + i;
	t->largest[k] = (uint16_t)units;
	for (k /= 2; k; k /= 2)
		t->largest[k] = t->largest[2 * k] > t->largest[2 * k + 1]
					? t->largest[2 * k]
					: t->largest[2 * k + 1];
}

/* The first page (in mapping order) with a free run of need units, or -1. */
static long first_page_with(const struct el_table *t, unsigned need)
{
	if (t->largest[1] < need)
		return -1;
	size_t k = 1;
	while (k < t->cap)
		k = t->largest[2 * k] >= need ? 2 * k : 2 * k + 1;
	return (long)(k - t->cap);
}

static size_t table_bytes(size_t cap)
{
	return cap * sizeof(struct el_page) + 2 * cap * sizeof(uint16_t) +
	       2 * cap * sizeof(uint32_t);
}

/* Room for one more page: the tables move to a mapping twice their size. */
static int table_grow(shmheap_elastic *em)
{
	size_t sys = page_size();
	size_t cap = 2 * em->t.cap;
	if (cap > UINT32_MAX / 2) {
		errno = ENOMEM;
		return -1;
	}
	size_t len = round_up(table_bytes(cap), sys);
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	struct el_table t = {
		.cap = cap,
		.page = (struct el_page *)(void *)m,
		.largest = (uint16_t *)(void *)(m + cap * sizeof(struct el_page)),
	};
	t.slot = (uint32_t *)(void *)(t.largest + 2 * cap);
	memcpy(t.page, em->t.page, em->pages * sizeof(struct el_page));
	/* The mapping is zeroed: empty leaves and slots.  Refill both. */
	for (size_t i = 0; i < em->pages; i++) {
		hash_add(&t, i);
		t.largest[cap + i] = em->t.largest[em->t.cap + i];
	}
	for (size_t k = cap - 1; k; k--)
		t.largest[k] = t.largest[2 * k] > t.largest[2 * k + 1]
				       ? t.largest[2 * k]
				       : t.largest[2 * k + 1];
	if (em->mapped)
		munmap(em->mapped, em->mapped_len);
	em->mapped = m;
	em->mapped_len = len;
	em->t = t;
	return 0;
}

/* Maps a page and adds it; its index, or -1. */
static long add_page(shmheap_elastic *em)
{
	if (em->pages == em->t.cap && table_grow(em) < 0)
		return -1;
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED)
		return -1;
	size_t i = em->pages++;
	em->t.page[i] = (struct el_page){.base = (uintptr_t)p};
	hash_add(&em->t, i);
	set_largest(&em->t, i, UNITS);
	return (long)i;
}

/* ---- the interface ---- */

_Static_assert(sizeof(struct shmheap_elastic) <= SHMHEAP_ELASTIC_STORAGE,
	       "shmheap_elastic_create_in's storage is too small");

static void elastic_init(shmheap_elastic *em)
{
	em->t = (struct el_table){
		.cap = INLINE_PAGES,
		.page = em->inline_page,
		.largest = em->inline_largest,
		.slot = em->inline_slot,
	};
}

EXPORT shmheap_elastic *shmheap_elastic_create(void)
{
	shmheap_elastic *em = calloc(1, sizeof(*em));
	if (!em) {
		errno = ENOMEM;
		return NULL;
	}
	elastic_init(em);
	return em;
}

EXPORT shmheap_elastic *shmheap_elastic_create_in(void *storage, size_t len)
{
	if (!storage || (uintptr_t)storage % _Alignof(struct shmheap_elastic) ||
	    len < SHMHEAP_ELASTIC_STORAGE) {
		errno = EINVAL;
		return NULL;
	}
	shmheap_elastic *em = storage;
	memset(em, 0, sizeof(*em));
	elastic_init(em);
	em->caller_storage = true;
	return em;
}

EXPORT void *shmheap_elastic_alloc(shmheap_elastic *em, size_t size)
{
	if (!em || !size || size % GRAIN || size > PAGE) {
		errno = EINVAL;
		return NULL;
	}
	unsigned need = (unsigned)(size / GRAIN);
	long i = first_page_with(&em->t, need);
	if (i < 0 && (i = add_page(em)) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	struct el_page *pg = &em->t.page[i];
	unsigned u = page_first_fit(pg, need, NULL);
	set_bits(pg->used, u, u + need, true);
	set_bits(pg->start, u, u + 1, true);
	set_largest(&em->t, (size_t)i, page_longest(pg));
	em->used_bytes += size;
	em->allocations++;
	return (void *)(pg->base + (uintptr_t)u * GRAIN);
}

EXPORT int shmheap_elastic_free_checked(shmheap_elastic *em, void *ptr)
{
	if (!ptr)
		return 0;
	if (!em) {
		errno = EINVAL;
		return -1;
	}
	uintptr_t p = (uintptr_t)ptr;
	long i = page_index(&em->t, p - p % PAGE);
	struct el_page *pg = i < 0 ? NULL : &em->t.page[i];
	unsigned u = (unsigned)(p % PAGE / GRAIN);
	if (!pg || p % GRAIN || !bit(pg->start, u)) {
		em->invalid_frees++;
		errno = EINVAL;
		return -1;
	}
	unsigned end = alloc_end(pg, u);
	set_bits(pg->used, u, end, false);
	set_bits(pg->start, u, u + 1, false);
	set_largest(&em->t, (size_t)i, page_longest(pg));
	em->used_bytes -= (size_t)(end - u) * GRAIN;
	em->allocations--;
	return 0;
}

EXPORT void shmheap_elastic_free(shmheap_elastic *em, void *ptr)
{
	(void)shmheap_elastic_free_checked(em, ptr);
}

EXPORT int shmheap_elastic_destroy(shmheap_elastic *em)
{
	if (!em) {
		errno = EINVAL;
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < em->pages; i++)
		if (munmap((void *)em->t.page[i].base, PAGE) < 0)
			r = -1;
	if (em->mapped && munmap(em->mapped, em->mapped_len) < 0)
		r = -1;
	if (em->caller_storage)
		memset(em, 0, sizeof(*em));
	else
		free(em);
	return r;
}

EXPORT int shmheap_elastic_stats(const shmheap_elastic *em,
				 struct shmheap_elastic_stats *st)
{
	if (!em || !st) {
		errno = EINVAL;
		return -1;
	}
	size_t chunks = 0;
	for (size_t i = 0; i < em->pages; i++) {
		const struct el_page *pg = &em->t.page[i];
		for (unsigned at = next_bit(pg->used, 0, false); at < UNITS;
		     at = next_bit(pg->used, next_bit(pg->used, at, true), false))
			chunks++;
	}
	*st = (struct shmheap_elastic_stats){
		.pages = em->pages,
		.used_bytes = em->used_bytes,
		.free_bytes = em->pages * PAGE - em->used_bytes,
		.largest_free = (size_t)em->t.largest[1] * GRAIN,
		.allocations = em->allocations,
		.free_chunks = chunks,
		.bookkeeping_bytes = sizeof(*em) + em->mapped_len,
		.bookkeeping_mapped = em->mapped_len,
		.invalid_frees = em->invalid_frees,
	};
	return 0;
}

EXPORT int shmheap_elastic_walk(const shmheap_elastic *em, shmheap_elastic_walk_fn fn,
				void *arg)
{
	if (!em || !fn) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < em->pages; i++) {
		const struct el_page *pg = &em->t.page[i];
		for (unsigned at = 0, end; at < UNITS; at = end) {
			int in_use = bit(pg->used, at);
			end = in_use ? alloc_end(pg, at) : next_bit(pg->used, at, true);
			struct shmheap_elastic_block blk = {
				.addr = (void *)(pg->base + (uintptr_t)at * GRAIN),
				.page = i,
				.offset = (size_t)at * GRAIN,
				.size = (size_t)(end - at) * GRAIN,
				.in_use = in_use,
			};
			if (fn(&blk, arg))
				return 0;
		}
	}
	return 0;
}

static void report(shmheap_problem_fn fn, void *arg, size_t *n, size_t off,
		   const char *what)
{
	(*n)++;
	if (fn)
		fn(off, what, arg);
}

EXPORT int shmheap_elastic_check(const shmheap_elastic *em, shmheap_problem_fn fn,
				 void *arg)
{
	if (!em) {
		errno = EINVAL;
		return -1;
	}
	const struct el_table *t = &em->t;
	size_t n = 0, used = 0, allocs = 0;
	if (em->pages > t->cap)
		report(fn, arg, &n, 0, "more pages than the tables hold");
	for (size_t i = 0; i < em->pages && i < t->cap; i++) {
		const struct el_page *pg = &t->page[i];
		size_t where = i * PAGE;
		if (!pg->base || pg->base % PAGE)
			report(fn, arg, &n, where,
			       "page address missing or not page-aligned");
		else if (page_index(t, pg->base) != (long)i)
			report(fn, arg, &n, where, "page missing from the address hash");
		for (unsigned w = 0; w < WORDS; w++) {
			if (pg->start[w] & ~pg->used[w])
				report(fn, arg, &n, where + w * 64 * GRAIN,
				       "an allocation starts in free space");
			used += (size_t)__builtin_popcountll(pg->used[w]);
			allocs += (size_t)__builtin_popcountll(pg->start[w]);
		}
		for (unsigned u = 0; u < UNITS; u++)
			if (bit(pg->used, u) && (!u || !bit(pg->used, u - 1)) &&
			    !bit(pg->start, u))
				report(fn, arg, &n, where + u * GRAIN,
				       "used space that belongs to no allocation");
		if (t->largest[t->cap + i] != page_longest(pg))
			report(fn, arg, &n, where,
			       "the page's longest free run is recorded wrong");
	}
	for (size_t i = em->pages; i < t->cap; i++)
		if (t->largest[t->cap + i])
			report(fn, arg, &n, i * PAGE,
			       "free space recorded for a page not mapped");
	for (size_t k = 1; k < t->cap; k++) {
		uint16_t m = t->largest[2 * k] > t->largest[2 * k + 1]
				     ? t->largest[2 * k]
				     : t->largest[2 * k + 1];
		if (t->largest[k] != m)
			report(fn, arg, &n, 0, "the tree of free runs is inconsistent");
	}
	if (used * GRAIN != em->used_bytes)
		report(fn, arg, &n, 0, "used units do not add up to the used bytes");
	if (allocs != em->allocations)
		report(fn, arg, &n, 0,
		       "allocation starts do not add up to the allocations");
	return (int)(n > INT32_MAX ? INT32_MAX : n);
}
