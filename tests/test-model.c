/* SPDX-License-Identifier: MIT */
/*
 * test-model.c - the heap against a plain first-fit written here, step by step.
 *
 * The reference is the simplest allocator the documentation describes: a
 * sorted array of blocks that tile the heap from its first block word.  A block is an
 * 8-byte header and its object; an allocation of sz bytes needs
 * round_up(max(sz, 1), 8) + 8 bytes and takes the lowest free block that is
 * large enough, splitting it when at least 16 bytes remain (a smaller, 8-byte
 * rest can hold no block, so the object keeps it); a freed block merges with
 * free neighbours on both sides.  A growable heap that has no fitting block
 * grows as shmheap.h documents: by its size (at most 256 MiB), or by what the
 * request needs beyond a free block at the end, whichever is more, up to the
 * maximum.  Every returned offset, and the whole block listing every so
 * often, must equal the model's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "testutil.h"

struct config {
	uint64_t seed;
	size_t len, max;
	int growable;
	size_t low, high;  /* live objects the run hovers between */
	unsigned size_mix; /* 0: mixed sizes, 1: mostly tiny */
};

static const struct config configs[] = {
	{0x1234567, 4096, 64 << 20, 1, 200, 2000, 0}, /* grows from one page */
	{0xdeadbeef, 1 << 20, 0, 1, 500, 3000, 0},
	{0xfeedface, 64 << 10, 0, 0, 300, 1500, 0}, /* fixed: allocations fail */
	{0xabcdef01, 16 << 10, 0, 0, 300, 2000, 1}, /* fixed, tiny objects and holes */
	{0x5eed5eed, 4096, 256 << 10, 1, 300, 2500,
	 0}, /* grows to its maximum, then fails */
	{0x0badcafe, 4096, 8 << 20, 1, 100, 3000, 1},
};

static size_t random_size(uint64_t *rng, unsigned mix)
{
	uint64_t r = tu_rand(rng);
	unsigned pick = (unsigned)(r % 100);
	r >>= 8;
	if (mix == 1)
		return pick < 80 ? r % 25 : r % 200;
	if (pick < 55)
		return r % 33;
	if (pick < 88)
		return 33 + r % 224;
	if (pick < 99)
		return 257 + r % 1800;
	return 2049 + r % 14000;
}

START_TEST(random_ops_match_model)
{
	const struct config *cf = &configs[_i];
	unsigned long ops = tu_env_ulong("SHMHEAP_TEST_MODEL_OPS", 100000);
	const unsigned long every = 997;
	struct model_run r;
	model_run_start(&r, "model", cf->len, cf->max, cf->growable, cf->high, 7);
	uint64_t rng = cf->seed;
	unsigned long fails = 0;

	for (unsigned long step = 0; step < ops; step++) {
		unsigned bias = r.n_live < cf->low ? 70 : r.n_live >= cf->high ? 0 : 50;
		if (r.n_live == 0 || tu_rand(&rng) % 100 < bias) {
			size_t sz = random_size(&rng, cf->size_mix);
			uint64_t want = model_alloc(&r.m, sz);
			char call[40];
			snprintf(call, sizeof(call), "alloc(%zu)", sz);
			errno = 0;
			char *p = shmheap_alloc(r.h, sz);
			if (!model_run_expect(&r, p, want, step, call)) {
				fails++;
				continue;
			}
			model_run_add(&r, p, sz, step);
		} else {
			model_run_free_random(&r, &rng, step);
		}
		if (step % every == 0)
			compare_listing(r.h, &r.m, &r.l, step);
	}
	if (!cf->growable && ops >= 10000)
		ck_assert_msg(fails > 0,
			      "the fixed heap never ran out: the test lost its point");
	model_run_finish(&r, ops);
}
END_TEST

/* ---- fixed scenarios ------------------------------------------------------ */

static shmheap_memory_handle fixed_heap(const char **name, size_t len)
{
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	*name = tu_name("scenario");
	shmheap_memory_handle h = shmheap_create_ex(*name, len, &o);
	ck_assert_ptr_nonnull(h);
	return h;
}

static size_t off_of(shmheap_memory_handle h, void *p)
{
	return (size_t)((char *)p - (char *)shmheap_underlying(h));
}

/* The size walk reports for the block holding offset off, and whether it is in use. */
static size_t block_at(shmheap_memory_handle h, size_t off, int *in_use)
{
	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	size_t size = 0;
	*in_use = -1;
	for (size_t i = 0; i < l.n; i++)
		if (l.blk[i].offset == off) {
			size = l.blk[i].size;
			*in_use = l.blk[i].in_use;
		}
	tu_layout_free(&l);
	return size;
}

START_TEST(tiny_hole_found_by_small_alloc)
{
	const char *name;
	shmheap_memory_handle h = fixed_heap(&name, PAGE);
	const size_t first = tu_header_size(); /* the first object's offset */
	void *a = shmheap_alloc(h, 8), *b = shmheap_alloc(h, 8), *c = shmheap_alloc(h, 8);
	ck_assert_uint_eq(off_of(h, a), first);
	ck_assert_uint_eq(off_of(h, b), first + 16);
	ck_assert_uint_eq(off_of(h, c), first + 32);
	shmheap_free(h, b);
	int used;
	ck_assert_uint_eq(block_at(h, first + 16, &used), 8);
	ck_assert_int_eq(used, 0);

	/* Too small for 9 bytes: they go to the end; 8, 1 and 0 bytes fit. */
	void *big = shmheap_alloc(h, 9);
	ck_assert_uint_eq(off_of(h, big), first + 48);
	const size_t fits[] = {8, 1, 0, 5};
	for (size_t i = 0; i < 4; i++) {
		void *x = shmheap_alloc(h, fits[i]);
		ck_assert_msg(x == b, "alloc(%zu) at %zu, want the hole at %zu", fits[i],
			      off_of(h, x), first + 16);
		shmheap_free(h, x);
	}
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(lowest_fitting_hole_wins)
{
	const char *name;
	shmheap_memory_handle h = fixed_heap(&name, PAGE);
	const size_t first = tu_header_size(); /* the first object's offset */
	void *p[8];
	const size_t sz[8] = {32, 8, 8, 8, 40, 8, 24, 8};
	for (int i = 0; i < 8; i++)
		p[i] = shmheap_alloc(h, sz[i]);
	/* Free blocks (at their block words; with the first object at 80: at 72,
	 * 128, 160 and 224): 40 bytes, 16, 48 and 32. */
	shmheap_free(h, p[0]);
	shmheap_free(h, p[2]);
	shmheap_free(h, p[4]);
	shmheap_free(h, p[6]);
	ck_assert_int_eq(tu_check(h), 0);

	/* 8 bytes: the lowest block (40), split, leaving 24 after it. */
	void *x = shmheap_alloc(h, 8);
	ck_assert_uint_eq(off_of(h, x), first);
	int used;
	ck_assert_uint_eq(block_at(h, first + 16, &used), 16);
	ck_assert_int_eq(used, 0);
	/* 16 bytes fit that 24-byte rest exactly. */
	void *y = shmheap_alloc(h, 16);
	ck_assert_uint_eq(off_of(h, y), first + 16);
	/* 24 bytes skip the 16-byte hole and split the 48-byte one. */
	void *z = shmheap_alloc(h, 24);
	ck_assert_uint_eq(off_of(h, z), first + 88);
	ck_assert_uint_eq(block_at(h, first + 120, &used), 8);
	ck_assert_int_eq(used, 0);
	/* The 16-byte hole is the first for a 1-byte object. */
	void *w = shmheap_alloc(h, 1);
	ck_assert_uint_eq(off_of(h, w), off_of(h, p[2]));
	/* 16 bytes: the 32-byte block is used whole, since its 8-byte
	 * rest could hold no block. */
	void *v = shmheap_alloc(h, 16);
	ck_assert_uint_eq(off_of(h, v), first + 152);
	ck_assert_uint_eq(block_at(h, first + 152, &used), 24);
	ck_assert_int_eq(used, 1);
	/* Now only the 16-byte block after z is left before the tail. */
	void *t = shmheap_alloc(h, 0);
	ck_assert_uint_eq(off_of(h, t), first + 120);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(free_merges_both_sides)
{
	const char *name;
	shmheap_memory_handle h = fixed_heap(&name, PAGE);
	const size_t first = tu_header_size(); /* the first object's offset */
	void *a = shmheap_alloc(h, 8), *b = shmheap_alloc(h, 16),
	     *c = shmheap_alloc(h, 24);
	void *d = shmheap_alloc(h, 8);
	shmheap_free(h, a);
	shmheap_free(h, c);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.free_blocks, 3);
	shmheap_free(h, b); /* joins a and c */
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.free_blocks, 2);
	int used;
	ck_assert_uint_eq(block_at(h, first, &used), 16 + 24 + 32 - 8);
	ck_assert_int_eq(used, 0);
	shmheap_free(h, d); /* joins the front and the tail */
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(block_at(h, first, &used), PAGE - first);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tu_tcase("scenarios", 30);
	tcase_add_test(tc, tiny_hole_found_by_small_alloc);
	tcase_add_test(tc, lowest_fitting_hole_wins);
	tcase_add_test(tc, free_merges_both_sides);
	suite_add_tcase(s, tc);

	tc = tu_tcase("random", 120);
	tcase_add_loop_test(tc, random_ops_match_model, 0,
			    (int)(sizeof(configs) / sizeof(configs[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(model_suite());
}
