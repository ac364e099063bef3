/* SPDX-License-Identifier: MIT */
/*
 * test-fitmap-model.c - the fitmap (the free-block index of heaps made since
 * 0.6.0) against the plain first-fit model of tests/model.c, step by step.
 *
 * Random alloc (sizes skewed: mostly 1..64 bytes, some 65..600, a few up to
 * 64 KiB), free, realloc, shmheap_alloc_aligned now and then, and
 * shmheap_grow: every returned offset, and every failure (ENOMEM), must be
 * the model's; every 10,000 steps shmheap_check finds nothing and
 * shmheap_stats agrees with the model (free bytes, free blocks, largest free
 * block); at the end the whole listing is the model's.  A growable heap that
 * starts at one page grows a dozen times, moving its index to the new end
 * each time (fm_relocate) and gaining levels; a fixed heap fills up; a heap
 * that reaches its maximum fails from then on.
 *
 * SHMHEAP_TEST_FITMAP_OPS sets the steps of each run (1,000,000 by default;
 * a few thousand in a debug build, which verifies the heap after every call).
 * The same run on a heap with the treaps of 0.5 (the test library's
 * SHMHEAP_TEST_TREAP_HEAPS=1) gives the same offsets, step for step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "testutil.h"

#ifdef SHMHEAP_DEBUG
#define DEFAULT_OPS 3000ul
#else
#define DEFAULT_OPS 1000000ul
#endif
#define CHECK_EVERY 10000ul

static const struct model_config configs[] = {
	/* grows from one page to several MiB, past every level count up to 4;
	 * run on a treap heap too */
	{0x51f7a3c9d2e4b601, 4096, 64 << 20, 1, 500, 4000},
	/* fixed: fills up, allocations fail */
	{0x0c0ffee15bad5eed, 1 << 20, 0, 0, 300, 3000},
	/* grows to its maximum, then fails */
	{0x7e57ab1e00fa11ed, 4096, 2 << 20, 1, 300, 3000},
};

static size_t random_size(uint64_t *rng)
{
	uint64_t r = tu_rand(rng);
	unsigned pick = (unsigned)(r % 100);
	r >>= 8;
	if (pick < 72)
		return 1 + r % 64;
	if (pick < 97)
		return 65 + r % 536;
	return 601 + r % (65536 - 600);
}

static uint64_t random_alignment(uint64_t *rng)
{
	unsigned pick = (unsigned)(tu_rand(rng) % 100);
	if (pick < 40)
		return 16u << (pick % 3); /* 16, 32, 64 */
	if (pick < 95)
		return 128u << (pick % 4); /* 128 .. 1024 */
	return 4096;
}

struct tally {
	unsigned long fails, in_place, moved, aligned, grow_calls, grow_fails,
		grown_by_alloc;
	size_t last_size;
};

/* Every CHECK_EVERY steps: shmheap_check, shmheap_stats against the model,
 * and the kind of index the heap keeps (the object's length). */
static void check_against_model(struct model_run *r, int treap, unsigned long step)
{
	ck_assert_msg(tu_check(r->h) == 0, "step %lu: shmheap_check found problems",
		      step);
	struct shmheap_stats st;
	struct model_totals mt;
	ck_assert_int_eq(shmheap_stats(r->h, &st), 0);
	model_totals(&r->m, &mt);
	ck_assert_msg(st.heap_size == r->m.heap_size, "step %lu: heap of %zu, model %llu",
		      step, st.heap_size, (unsigned long long)r->m.heap_size);
	ck_assert_msg(st.free_bytes == mt.free_bytes &&
			      st.free_blocks == mt.free_blocks &&
			      st.largest_free == mt.largest_free,
		      "step %lu: free %zu bytes in %zu blocks, largest %zu; model %llu "
		      "in %llu, largest %llu",
		      step, st.free_bytes, st.free_blocks, st.largest_free,
		      (unsigned long long)mt.free_bytes,
		      (unsigned long long)mt.free_blocks,
		      (unsigned long long)mt.largest_free);
	ck_assert_uint_eq(st.objects, r->n_live);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(r->name, &info), 0);
	ck_assert_uint_eq(info.heap_size, st.heap_size);
	if (treap)
		ck_assert_uint_eq(info.object_size, info.heap_size);
	else
		ck_assert_msg(
			info.object_size > info.heap_size &&
				(info.object_size - info.heap_size) % PAGE == 0,
			"step %lu: object of %zu bytes for a heap of %zu: no fitmap",
			step, info.object_size, info.heap_size);
}

static void step_realloc(struct model_run *r, uint64_t *rng, unsigned long step,
			 struct tally *t, uint64_t *result)
{
	size_t i = (size_t)(tu_rand(rng) % r->n_live);
	struct live *v = &r->live[i];
	size_t sz = random_size(rng);
	uint64_t want = model_realloc(&r->m, (uint64_t)(v->ptr - r->base), sz);
	char call[64];
	snprintf(call, sizeof(call), "realloc(%td, %zu)", v->ptr - r->base, sz);
	errno = 0;
	char *p = shmheap_realloc(r->h, v->ptr, sz);
	*result = want;
	if (!model_run_expect(r, p, want, step, call)) {
		MODEL_REQUIRE(tu_verify(v->ptr, v->size, r->owner, v->seq) < 0,
			      "step %lu: a failed realloc changed the object", step);
		t->fails++;
		return;
	}
	size_t kept = v->size < sz ? v->size : sz;
	MODEL_REQUIRE(tu_verify(p, kept, r->owner, v->seq) < 0,
		      "step %lu: realloc lost contents", step);
	MODEL_REQUIRE(shmheap_usable_size(r->h, p) ==
			      model_usable(&r->m, (uint64_t)(p - r->base)),
		      "step %lu: %s: usable size %zu, model %llu", step, call,
		      shmheap_usable_size(r->h, p),
		      (unsigned long long)model_usable(&r->m, (uint64_t)(p - r->base)));
	if (p == v->ptr)
		t->in_place++;
	else
		t->moved++;
	tu_fill(p, sz, r->owner, (uint32_t)step);
	*v = (struct live){p, sz, (uint32_t)step};
}

static void step_alloc(struct model_run *r, uint64_t *rng, unsigned long step,
		       struct tally *t, uint64_t *result)
{
	size_t sz = random_size(rng);
	uint64_t align = tu_rand(rng) % 16 == 0 ? random_alignment(rng) : 8;
	char call[64];
	uint64_t want;
	char *p;
	errno = 0;
	if (align == 8) {
		want = model_alloc(&r->m, sz);
		snprintf(call, sizeof(call), "alloc(%zu)", sz);
		p = shmheap_alloc(r->h, sz);
	} else {
		want = model_alloc_aligned(&r->m, sz, align);
		snprintf(call, sizeof(call), "aligned(%llu, %zu)",
			 (unsigned long long)align, sz);
		p = shmheap_alloc_aligned(r->h, align, sz);
	}
	*result = want;
	if (!model_run_expect(r, p, want, step, call)) {
		t->fails++;
		return;
	}
	if (align != 8) {
		MODEL_REQUIRE((uintptr_t)p % align == 0, "step %lu: %s misaligned", step,
			      call);
		t->aligned++;
	}
	model_run_add(r, p, sz, step);
}

/* shmheap_grow by one to four pages: what the model says, to the byte. */
static void step_grow(struct model_run *r, uint64_t *rng, unsigned long step,
		      struct tally *t, uint64_t *result)
{
	uint64_t to = r->m.heap_size + PAGE * (1 + tu_rand(rng) % 4) -
		      tu_rand(rng) % PAGE;
	int want = model_grow_to(&r->m, to);
	errno = 0;
	int got = shmheap_grow(r->h, (size_t)to);
	MODEL_REQUIRE(got == (want ? 0 : -1), "step %lu: shmheap_grow(%llu) gave %d (%s)",
		      step, (unsigned long long)to, got, strerror(errno));
	if (!want)
		MODEL_REQUIRE(errno == ENOMEM, "step %lu: shmheap_grow: %s", step,
			      strerror(errno));
	t->grow_calls++;
	t->grow_fails += !want;
	*result = want ? r->m.heap_size : 0;
}

/*
 * Runs configs[which] for ops steps on a heap with a fitmap, or with treaps;
 * trace (ops entries, or NULL) gets each step's result: the object's offset
 * (0 for a failure or a free) or the heap's size after a growth.
 */
static void run(unsigned which, unsigned long ops, int treap, uint64_t *trace,
		struct tally *t)
{
	const struct model_config *cf = &configs[which];
	struct model_run r;
	if (treap)
		ck_assert_int_eq(setenv("SHMHEAP_TEST_TREAP_HEAPS", "1", 1), 0);
	model_run_start(&r, treap ? "fitmap-treap" : "fitmap", cf->len, cf->max,
			cf->growable, cf->high, 29);
	unsetenv("SHMHEAP_TEST_TREAP_HEAPS");
	uint64_t rng = cf->seed;
	*t = (struct tally){.last_size = cf->len};

	for (unsigned long step = 0; step < ops; step++) {
		unsigned bias = r.n_live < cf->low ? 70 : r.n_live >= cf->high ? 0 : 48;
		unsigned pick = (unsigned)(tu_rand(&rng) % 1000);
		uint64_t result = 0;
		int grow = 0;
		if (r.n_live == 0 || pick < bias * 10)
			step_alloc(&r, &rng, step, t, &result);
		else if ((grow = pick >= 998))
			step_grow(&r, &rng, step, t, &result);
		else if (pick < bias * 10 + 120)
			step_realloc(&r, &rng, step, t, &result);
		else
			model_run_free_random(&r, &rng, step);
		if (trace)
			trace[step] = result;
		if (r.m.heap_size != t->last_size) {
			t->grown_by_alloc += !grow;
			t->last_size = r.m.heap_size;
		}
		if ((step + 1) % CHECK_EVERY == 0)
			check_against_model(&r, treap, step);
	}
	check_against_model(&r, treap, ops);
	model_run_finish(&r, ops);
}

/* Whether the run did what it is there for, at full length. */
static void assert_point(unsigned which, unsigned long ops, const struct tally *t)
{
	const struct model_config *cf = &configs[which];
	fprintf(stderr,
		"fitmap model %u: %lu steps, %lu failed, %lu realloc in place, %lu "
		"moved, %lu aligned, %lu grow calls (%lu refused), %lu growths by allocation\n",
		which, ops, t->fails, t->in_place, t->moved, t->aligned, t->grow_calls,
		t->grow_fails, t->grown_by_alloc);
	if (ops < 100000)
		return;
	ck_assert_msg(t->in_place > 0 && t->moved > 0 && t->aligned > 0 &&
			      t->grow_calls > 0,
		      "the run lost its point");
	if (!cf->growable || cf->max < (8u << 20))
		ck_assert_msg(t->fails > 0, "the heap never ran out");
	if (cf->growable)
		ck_assert_msg(t->grown_by_alloc >= 5, "the heap grew only %lu times",
			      t->grown_by_alloc);
}

START_TEST(random_ops_match_model)
{
	unsigned long ops = tu_env_ulong("SHMHEAP_TEST_FITMAP_OPS", DEFAULT_OPS);
	struct tally t;
	run((unsigned)_i, ops, 0, NULL, &t);
	assert_point((unsigned)_i, ops, &t);
}
END_TEST

/* The growing heap's run, with a fitmap and then with the treaps of 0.5:
 * each against the model, and the two step for step. */
START_TEST(growing_fitmap_and_treap_agree)
{
	unsigned long ops = tu_env_ulong("SHMHEAP_TEST_FITMAP_OPS", DEFAULT_OPS);
	uint64_t *flat = malloc(ops * sizeof(*flat)),
		 *treap = malloc(ops * sizeof(*treap));
	ck_assert_ptr_nonnull(flat);
	ck_assert_ptr_nonnull(treap);
	struct tally t;
	run(0, ops, 0, flat, &t);
	assert_point(0, ops, &t);
	run(0, ops, 1, treap, &t);
	for (unsigned long i = 0; i < ops; i++)
		MODEL_REQUIRE(flat[i] == treap[i], "step %lu: fitmap %llu, treap %llu", i,
			      (unsigned long long)flat[i], (unsigned long long)treap[i]);
	free(flat);
	free(treap);
}
END_TEST

/*
 * Above 256 KiB a figure is a code that two sizes within 1/1024 of each other
 * share (figure_of, lib/fitmap.h): a region whose block of 600 KiB has the
 * code of 600 KiB + 16 bytes promises that size.  A search for it must pass
 * that region and take the 700 KiB block after it, as first fit, plain and
 * aligned; 600 KiB still takes the first hole, and what fits neither the top.
 */
START_TEST(shared_codes_are_passed)
{
	const char *name = tu_name("fitmap-code");
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	shmheap_memory_handle h = shmheap_create_ex(name, 8u << 20, &o);
	ck_assert_ptr_nonnull(h);
	char *a = shmheap_alloc(h, 600u << 10), *b = shmheap_alloc(h, 8);
	char *c = shmheap_alloc(h, 700u << 10), *d = shmheap_alloc(h, 8);
	ck_assert(a && b && c && d);
	shmheap_free(h, a);
	shmheap_free(h, c);
	ck_assert_int_eq(tu_check(h), 0);

	char *q = shmheap_alloc(h, (600u << 10) + 16);
	ck_assert_ptr_eq(q, c);
	shmheap_free(h, q);
	q = shmheap_alloc_aligned(h, 8, (600u << 10) + 16);
	ck_assert_ptr_eq(q, c);
	shmheap_free(h, q);
	char *big = shmheap_alloc(h, 800u << 10);
	ck_assert(big > d); /* from the top */
	char *r = shmheap_alloc(h, 600u << 10);
	ck_assert_ptr_eq(r, a);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fitmap-model");
	TCase *tc = tu_tcase("random", 600);
	tcase_add_test(tc, growing_fitmap_and_treap_agree);
	tcase_add_test(tc, shared_codes_are_passed);
	tcase_add_loop_test(tc, random_ops_match_model, 1,
			    (int)(sizeof(configs) / sizeof(configs[0])));
	suite_add_tcase(s, tc);
	return tu_run(s);
}
