/* SPDX-License-Identifier: MIT */
/*
 * torture-audit.c - the supervisor's view of the heap after each kill.
 *
 * Every live block must be claimed by exactly one journalled object, with one
 * exception: the dead worker's allocation in flight, which may have produced
 * one block nobody knows about.  That block is the "wholly allocated" outcome
 * of a killed allocation; its absence is the "wholly free" one.  Either way
 * shmheap_check must pass.  The supervisor frees such orphans (and the
 * object of a killed free that had not happened yet, and a half-filled one),
 * so that a round can end with an empty heap; the dead worker's committed
 * objects stay allocated and pass, with its journal, to its replacement.
 *
 * The supervisor also frees every such object a second time: with every
 * worker paused nobody can reuse the block in between, so the double free
 * must be refused.  (A worker could not test that: between its two frees
 * another worker may be given the same block, and the second free then
 * rightly frees that object.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "torture-audit.h"

struct live_block {
	size_t offset; /* of the object */
	size_t size;
	int claimed;
};

struct live_set {
	struct live_block *v;
	size_t n, cap;
};

static int collect_live(const struct shmheap_block *blk, void *arg)
{
	struct live_set *ls = arg;
	if (!blk->in_use)
		return 0;
	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? 2 * ls->cap : 256;
		ls->v = realloc(ls->v, ls->cap * sizeof(*ls->v));
		if (!ls->v)
			torture_fail("out of memory");
	}
	ls->v[ls->n++] = (struct live_block){blk->offset, blk->size, 0};
	return 0;
}

static void collect(shmheap_memory_handle mem, struct live_set *ls)
{
	ls->n = 0;
	if (shmheap_walk(mem, collect_live, ls) < 0)
		torture_fail("shmheap_walk: %s", strerror(errno));
	/* A cached heap's first block is its cache table, no object. */
	struct shmheap_cache_stats cs;
	if (shmheap_cache_stats(mem, &cs, NULL, 0) == 0 && cs.slots && ls->n &&
	    ls->v[0].offset == HEAP_FIRST_OBJECT)
		ls->v[0].claimed = 1;
}

/* Cached heaps: after the sweep of shmheap_check no block is left in a dead
 * process's cache, and used + free (cached included) + bookkeeping bytes
 * account for the whole heap. */
static void audit_caches(shmheap_memory_handle mem, const char *when)
{
	struct shmheap_cache_stats cs;
	struct shmheap_cache_proc procs[16];
	struct shmheap_stats st;
	if (shmheap_cache_stats(mem, &cs, procs, 16) < 0 || shmheap_stats(mem, &st) < 0)
		torture_fail("%s: cache figures: %s", when, strerror(errno));
	if (!cs.slots)
		return;
	for (size_t i = 0; i < cs.attached && i < 16; i++)
		if (!procs[i].alive)
			torture_fail("%s: dead process %ld still holds %zu cached bytes",
				     when, (long)procs[i].pid, procs[i].cached_bytes);
	if (st.header_size - 8 + st.used_bytes + st.overhead_bytes + st.free_bytes !=
		    st.heap_size ||
	    cs.cached_bytes > st.free_bytes)
		torture_fail(
			"%s: header %zu, used %zu + %zu, free %zu (cached %zu) do not "
			"make the heap's %zu bytes",
			when, st.header_size, st.used_bytes, st.overhead_bytes,
			st.free_bytes, cs.cached_bytes, st.heap_size);
}

/* The live block whose object starts at offset (walk order is address order). */
static struct live_block *find_live(struct live_set *ls, size_t offset)
{
	size_t lo = 0, hi = ls->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ls->v[mid].offset == offset)
			return &ls->v[mid];
		if (ls->v[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void report_problem(size_t offset, const char *problem, void *arg)
{
	fprintf(stderr, "torture: %s: heap problem at offset %zu: %s\n",
		(const char *)arg, offset, problem);
}

void audit_check(shmheap_memory_handle mem, const char *when)
{
	int problems = shmheap_check(mem, report_problem, (void *)when);
	if (problems != 0)
		torture_fail("%s: shmheap_check returned %d (%s)", when, problems,
			     problems < 0 ? strerror(errno) : "problems listed above");
	audit_caches(mem, when);
}

static size_t offset_of(shmheap_memory_handle mem, const struct journal_slot *s)
{
	shmheap_object_handle hdl = {s->handle};
	unsigned char *p = shmheap_handle_to_ptr(mem, hdl);
	if (!p)
		torture_fail("handle %#llx does not resolve: %s",
			     (unsigned long long)s->handle, strerror(errno));
	return (size_t)(p - (unsigned char *)shmheap_underlying(mem));
}

static size_t double_frees; /* made by the supervisor's connection this round */

static void double_free(shmheap_memory_handle mem, size_t offset, const char *what)
{
	unsigned char *p = (unsigned char *)shmheap_underlying(mem) + offset;
	errno = 0;
	int rc = shmheap_free_checked(mem, p);
	if (rc != -1 || errno != EINVAL)
		torture_fail(
			"freeing %s at offset %zu twice: returned %d (%s), expected -1/EINVAL",
			what, offset, rc, strerror(errno));
	double_frees++;
}

static void supervisor_free(shmheap_memory_handle mem, size_t offset, const char *what)
{
	unsigned char *p = (unsigned char *)shmheap_underlying(mem) + offset;
	if (shmheap_free_checked(mem, p) != 0)
		torture_fail("freeing %s at offset %zu: %s", what, offset,
			     strerror(errno));
	double_free(mem, offset, what);
}

/* A committed object must be live, claimed once, and hold its pattern. */
static void verify_committed(shmheap_memory_handle mem, struct live_set *ls, int w,
			     const struct journal_slot *s, struct audit_counts *counts)
{
	size_t off = offset_of(mem, s);
	struct live_block *b = find_live(ls, off);
	if (!b)
		torture_fail(
			"worker %d's object at offset %zu (%u bytes) is not allocated", w,
			off, s->size);
	if (b->claimed)
		torture_fail("offset %zu is claimed by two journalled objects", off);
	if (b->size < s->size)
		torture_fail(
			"worker %d's object at offset %zu has %zu bytes, %u were asked for",
			w, off, b->size, s->size);
	b->claimed = 1;
	size_t bad = pattern_check((unsigned char *)shmheap_underlying(mem) + off,
				   s->size, s->key);
	if (bad != s->size)
		torture_fail(
			"worker %d's object at offset %zu (%u bytes) lost its data at byte %zu",
			w, off, s->size, bad);
	counts->objects_verified++;
}

static struct live_block *only_orphan(struct live_set *ls)
{
	struct live_block *orphan = NULL;
	for (size_t i = 0; i < ls->n; i++) {
		if (ls->v[i].claimed)
			continue;
		if (orphan)
			torture_fail(
				"live blocks at offsets %zu and %zu belong to nobody (leak)",
				orphan->offset, ls->v[i].offset);
		orphan = &ls->v[i];
	}
	return orphan;
}

/* Settles the dead worker's call in flight; returns the slot it was in. */
static void settle_inflight(shmheap_memory_handle mem, struct live_set *ls, int victim,
			    struct journal_slot *s, struct audit_counts *counts)
{
	uint32_t state = s ? load_state(s) : SLOT_EMPTY;
	struct live_block *b = NULL;

	if (state == SLOT_FILLING || state == SLOT_FREEING) {
		size_t off = offset_of(mem, s);
		b = find_live(ls, off);
		if (b && !b->claimed) {
			b->claimed = 1;
			supervisor_free(mem, off, "a dead worker's object");
			if (state == SLOT_FILLING)
				counts->half_filled++;
			else
				counts->inflight_free_undone++;
		} else if (state == SLOT_FILLING) {
			torture_fail("worker %d died filling the object at offset %zu, "
				     "which is not allocated",
				     victim, off);
		} else {
			if (!b)
				double_free(mem, off, "a dead worker's freed object");
			counts->inflight_free_done++;
		}
	}

	struct live_block *orphan = only_orphan(ls);
	if (orphan && state != SLOT_ALLOCATING)
		torture_fail(
			"the live block at offset %zu (%zu bytes) belongs to nobody (leak)",
			orphan->offset, orphan->size);
	if (state == SLOT_ALLOCATING) {
		if (orphan) {
			if (orphan->size < s->size)
				torture_fail(
					"the half-made object at offset %zu has %zu bytes, "
					"%u were asked for",
					orphan->offset, orphan->size, s->size);
			orphan->claimed = 1;
			supervisor_free(mem, orphan->offset,
					"an allocation in flight at a kill");
			counts->inflight_alloc_kept++;
		} else {
			counts->inflight_alloc_gone++;
		}
	}
	if (s)
		store_state(s, SLOT_EMPTY);
}

void audit_after_kill(shmheap_memory_handle mem, int victim, struct audit_counts *counts)
{
	static struct live_set ls;
	struct journal_slot *inflight = NULL;

	audit_check(mem, "after a kill");
	collect(mem, &ls);
	for (int w = 0; w < TORTURE_WORKERS; w++) {
		for (unsigned i = 0; i < TORTURE_SLOTS; i++) {
			struct journal_slot *s = &shared->worker[w].slot[i];
			uint32_t state = load_state(s);
			if (state == SLOT_COMMITTED) {
				verify_committed(mem, &ls, w, s, counts);
			} else if (state != SLOT_EMPTY) {
				if (w != victim)
					torture_fail(
						"paused worker %d has a call in flight (slot %u)",
						w, i);
				if (inflight)
					torture_fail(
						"dead worker %d had two calls in flight",
						w);
				inflight = s;
			}
		}
	}
	settle_inflight(mem, &ls, victim, inflight, counts);
	audit_check(mem, "after settling a dead worker's journal");
}

void audit_final(shmheap_memory_handle mem, struct audit_counts *counts)
{
	static struct live_set ls;
	struct shmheap_stats st;

	audit_check(mem, "at the end of a round");
	collect(mem, &ls);
	for (int w = 0; w < TORTURE_WORKERS; w++) {
		for (unsigned i = 0; i < TORTURE_SLOTS; i++) {
			struct journal_slot *s = &shared->worker[w].slot[i];
			uint32_t state = load_state(s);
			if (state == SLOT_EMPTY)
				continue;
			if (state != SLOT_COMMITTED)
				torture_fail("worker %d exited with a call in flight", w);
			verify_committed(mem, &ls, w, s, counts);
			supervisor_free(mem, offset_of(mem, s), "a journalled object");
			store_state(s, SLOT_EMPTY);
		}
	}
	struct live_block *orphan = only_orphan(&ls);
	if (orphan)
		torture_fail(
			"the live block at offset %zu (%zu bytes) belongs to nobody (leak)",
			orphan->offset, orphan->size);

	audit_check(mem, "after freeing everything");
	if (shmheap_stats(mem, &st) < 0)
		torture_fail("shmheap_stats: %s", strerror(errno));
	/* In a cached heap the supervisor's own cache may hold free blocks. */
	struct shmheap_cache_stats cs;
	if (shmheap_cache_stats(mem, &cs, NULL, 0) < 0)
		torture_fail("shmheap_cache_stats: %s", strerror(errno));
	if (cs.slots && st.objects == 0 && st.used_bytes == 0 && cs.attached <= 1 &&
	    st.free_blocks <= 2 * cs.cached_blocks + 1)
		st.free_blocks = 1, st.largest_free = st.heap_size - st.header_size;
	if (st.objects != 0 || st.free_blocks != 1 || st.used_bytes != 0 ||
	    st.largest_free != st.heap_size - st.header_size)
		torture_fail("after freeing everything: %zu objects, %zu free blocks, "
			     "largest free %zu of %zu bytes",
			     st.objects, st.free_blocks, st.largest_free, st.heap_size);
	if (st.invalid_frees != double_frees)
		torture_fail(
			"the supervisor's connection counted %zu invalid frees, %zu made",
			st.invalid_frees, double_frees);
	counts->double_frees += double_frees;
	double_frees = 0;
}
