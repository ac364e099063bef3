/* SPDX-License-Identifier: MIT */
/*
 * test-model-resize.c - aligned allocation and realloc against a plain
 * first-fit model, step by step (the model of tests/test-model.c, extended).
 *
 * Aligned: the object goes into the lowest free block that can hold it
 * aligned; the space in front becomes a free block (an 8-byte gap, which can
 * be no block, moves the object one alignment further); a heap that has no
 * such block grows as for an object of need + alignment + 8 bytes.
 * Realloc: in place when the block and a free right neighbour hold the new
 * size (the rest, from 16 bytes, stays free behind it); else a new object by
 * first fit while the old one is still allocated, then the old one freed.
 * Both are in model.c, which tests/test-fitmap-model.c shares.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "testutil.h"

static const struct model_config configs[] = {
	{0x1234567, 4096, 64 << 20, 1, 200, 2000},
	{0xfeedface, 64 << 10, 0, 0, 300, 1500},     /* fixed: allocations fail */
	{0x5eed5eed, 4096, 512 << 10, 1, 300, 2500}, /* grows to its maximum */
	{0xabcdef01, 16 << 10, 0, 0, 100, 600},	     /* small and crowded */
};

static size_t random_size(uint64_t *rng)
{
	uint64_t r = tu_rand(rng);
	unsigned pick = (unsigned)(r % 100);
	r >>= 8;
	if (pick < 50)
		return r % 33;
	if (pick < 85)
		return 33 + r % 224;
	if (pick < 99)
		return 257 + r % 1800;
	return 2049 + r % 9000;
}

/* Alignments: mostly small and cache lines, now and then a page. */
static uint64_t random_alignment(uint64_t *rng)
{
	unsigned pick = (unsigned)(tu_rand(rng) % 100);
	if (pick < 30)
		return 16;
	if (pick < 50)
		return 32;
	if (pick < 75)
		return 64;
	if (pick < 85)
		return 8;
	if (pick < 97)
		return 128u << (tu_rand(rng) % 4); /* 128 .. 1024 */
	return 2048u << (tu_rand(rng) % 2);	   /* 2048, 4096 */
}

START_TEST(random_ops_match_model)
{
	const struct model_config *cf = &configs[_i];
	unsigned long ops = tu_env_ulong("SHMHEAP_TEST_MODEL_OPS", 100000) / 2;
	const unsigned long every = 499;
	struct model_run r;
	model_run_start(&r, "model-resize", cf->len, cf->max, cf->growable, cf->high, 9);
	uint64_t rng = cf->seed;
	unsigned long fails = 0, in_place = 0, moved = 0, aligned = 0;
	char call[64];

	for (unsigned long step = 0; step < ops; step++) {
		unsigned bias = r.n_live < cf->low ? 70 : r.n_live >= cf->high ? 0 : 45;
		unsigned pick = (unsigned)(tu_rand(&rng) % 100);
		if (r.n_live == 0 || pick < bias) {
			size_t sz = random_size(&rng);
			uint64_t align = random_alignment(&rng);
			uint64_t want = model_alloc_aligned(&r.m, sz, align);
			snprintf(call, sizeof(call), "aligned(%llu, %zu)",
				 (unsigned long long)align, sz);
			errno = 0;
			char *p = shmheap_alloc_aligned(r.h, align, sz);
			if (!model_run_expect(&r, p, want, step, call)) {
				fails++;
				continue;
			}
			ck_assert_uint_eq((uintptr_t)p % align, 0);
			model_run_add(&r, p, sz, step);
			aligned++;
		} else if (pick < bias + 20) {
			size_t i = (size_t)(tu_rand(&rng) % r.n_live);
			struct live *v = &r.live[i];
			size_t sz = random_size(&rng);
			uint64_t want = model_realloc(&r.m, (uint64_t)(v->ptr - r.base),
						      sz);
			snprintf(call, sizeof(call), "realloc(%td, %zu)", v->ptr - r.base,
				 sz);
			errno = 0;
			char *p = shmheap_realloc(r.h, v->ptr, sz);
			if (!model_run_expect(&r, p, want, step, call)) {
				ck_assert_int_lt(tu_verify(v->ptr, v->size, r.owner,
							   v->seq),
						 0);
				fails++;
				continue;
			}
			size_t kept = v->size < sz ? v->size : sz;
			ck_assert_msg(tu_verify(p, kept, r.owner, v->seq) < 0,
				      "step %lu: realloc lost contents", step);
			ck_assert_uint_eq(shmheap_usable_size(r.h, p),
					  model_usable(&r.m, (uint64_t)(p - r.base)));
			if (p == v->ptr)
				in_place++;
			else
				moved++;
			tu_fill(p, sz, r.owner, (uint32_t)step);
			*v = (struct live){p, sz, (uint32_t)step};
		} else {
			model_run_free_random(&r, &rng, step);
		}
		if (step % every == 0)
			compare_listing(r.h, &r.m, &r.l, step);
	}
	if (ops >= 10000) {
		ck_assert_msg(
			in_place > 0 && moved > 0 && aligned > 0,
			"the run lost its point: %lu in place, %lu moved, %lu aligned",
			in_place, moved, aligned);
		if (!cf->growable)
			ck_assert_msg(fails > 0, "the fixed heap never ran out");
	}
	model_run_finish(&r, ops);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model-resize");
	TCase *tc = tu_tcase("random", 120);
	tcase_add_loop_test(tc, random_ops_match_model, 0,
			    (int)(sizeof(configs) / sizeof(configs[0])));
	suite_add_tcase(s, tc);
	return tu_run(s);
}
