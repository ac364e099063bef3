/* SPDX-License-Identifier: MIT */
/*
 * test-pages.c - shmheap_pages, the allocator whose bookkeeping lives outside
 * the memory it manages: the whole region usable, sizes, no double booking,
 * splitting and merging, refused frees, a random sequence against a byte map
 * that knows where every free run is, a caller's region never touched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "shmheap_pages.h"
#include "testutil.h"

#define PAGE 4096

static void print_problem(size_t off, const char *problem, void *arg)
{
	(void)arg;
	fprintf(stderr, "problem at %zu: %s\n", off, problem);
}

static int pm_check(const shmheap_pages *pm)
{
	return shmheap_pages_check(pm, print_problem, NULL);
}

/* The blocks of a manager, as shmheap_pages_walk reports them. */
struct blocks {
	size_t n;
	struct shmheap_block b[4096];
};

static int take_block(const struct shmheap_block *blk, void *arg)
{
	struct blocks *l = arg;
	if (l->n == sizeof(l->b) / sizeof(l->b[0]))
		return 1;
	l->b[l->n++] = *blk;
	return 0;
}

static void walk(const shmheap_pages *pm, struct blocks *l)
{
	l->n = 0;
	ck_assert_int_eq(shmheap_pages_walk(pm, take_block, l), 0);
}

START_TEST(whole_page_after_create)
{
	shmheap_pages *pm = shmheap_pages_create(PAGE);
	ck_assert_ptr_nonnull(pm);
	char *base = shmheap_pages_base(pm);
	char *p = shmheap_pages_alloc(pm, PAGE);
	ck_assert_ptr_eq(p, base);
	memset(p, 0x5a, PAGE); /* every byte is the caller's */
	errno = 0;
	ck_assert_ptr_null(shmheap_pages_alloc(pm, 8));
	ck_assert_int_eq(errno, ENOMEM);
	struct shmheap_pages_stats st;
	ck_assert_int_eq(shmheap_pages_stats(pm, &st), 0);
	ck_assert_uint_eq(st.size, PAGE);
	ck_assert_uint_eq(st.used_bytes, PAGE);
	ck_assert_uint_eq(st.free_bytes, 0);
	ck_assert_uint_eq(st.largest_free, 0);
	ck_assert_uint_eq(st.allocations, 1);
	ck_assert_uint_eq(st.free_ranges, 0);
	ck_assert_int_eq(pm_check(pm), 0);
	ck_assert_int_eq(shmheap_pages_free_checked(pm, p), 0);
	ck_assert_int_eq(shmheap_pages_stats(pm, &st), 0);
	ck_assert_uint_eq(st.largest_free, PAGE);
	ck_assert_uint_eq(st.free_ranges, 1);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);
}
END_TEST

START_TEST(bad_sizes_fail)
{
	shmheap_pages *pm = shmheap_pages_create(PAGE);
	ck_assert_ptr_nonnull(pm);
	static const size_t bad[] = {0, 1, 4, 12, 100, PAGE - 1, PAGE + 4};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(shmheap_pages_alloc(pm, bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
	errno = 0;
	ck_assert_ptr_null(shmheap_pages_alloc(pm, PAGE + 8)); /* larger than the page */
	ck_assert_int_eq(errno, ENOMEM);
	errno = 0;
	ck_assert_ptr_null(shmheap_pages_alloc(pm, SIZE_MAX - 7));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_ptr_null(shmheap_pages_alloc(NULL, 8));
	struct shmheap_pages_stats st;
	ck_assert_int_eq(shmheap_pages_stats(pm, &st), 0);
	ck_assert_uint_eq(st.allocations, 0);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);

	/* Managers of a size or over a region that is not a multiple of 8. */
	static uint64_t buf[64];
	errno = 0;
	ck_assert_ptr_null(shmheap_pages_create(0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(shmheap_pages_create(100));
	ck_assert_ptr_null(shmheap_pages_create(SIZE_MAX - 7));
	ck_assert_ptr_null(shmheap_pages_create_over(NULL, 64));
	ck_assert_ptr_null(shmheap_pages_create_over(buf, 0));
	ck_assert_ptr_null(shmheap_pages_create_over(buf, 60));
	errno = 0;
	ck_assert_ptr_null(shmheap_pages_create_over((char *)buf + 4, 64));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_pages_destroy(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(no_double_booking)
{
	shmheap_pages *pm = shmheap_pages_create(PAGE);
	ck_assert_ptr_nonnull(pm);
	char *p[PAGE / 8];
	size_t len[PAGE / 8];
	size_t n = 0, total = 0;
	/* Sizes 8, 16, 24 ... until the page is full, each chunk filled. */
	for (size_t sz = 8;; sz = sz % 64 + 8) {
		if (!(p[n] = shmheap_pages_alloc(pm, sz)))
			break;
		len[n] = sz;
		tu_fill(p[n], sz, 1, (uint32_t)n);
		total += sz;
		n++;
	}
	ck_assert_uint_ge(total, PAGE - 64);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(tu_verify(p[i], len[i], 1, (uint32_t)i), -1);
	/* Free every third, fill the holes again: the others stay intact. */
	for (size_t i = 0; i < n; i += 3)
		shmheap_pages_free(pm, p[i]);
	for (size_t i = 0; i < n; i += 3) {
		p[i] = shmheap_pages_alloc(pm, len[i]);
		ck_assert_ptr_nonnull(p[i]);
		tu_fill(p[i], len[i], 2, (uint32_t)i);
	}
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(tu_verify(p[i], len[i], i % 3 ? 1 : 2, (uint32_t)i), -1);
	ck_assert_int_eq(pm_check(pm), 0);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);
}
END_TEST

START_TEST(split_and_merge)
{
	shmheap_pages *pm = shmheap_pages_create(PAGE);
	ck_assert_ptr_nonnull(pm);
	char *base = shmheap_pages_base(pm);
	char *a = shmheap_pages_alloc(pm, 64), *b = shmheap_pages_alloc(pm, 64);
	char *c = shmheap_pages_alloc(pm, 64), *d = shmheap_pages_alloc(pm, 64);
	ck_assert_ptr_eq(a, base);
	ck_assert_ptr_eq(d, base + 192);
	struct blocks *l = malloc(sizeof(*l));

	/* Split: a freed 64-byte chunk serves 24 and then the 40 left. */
	shmheap_pages_free(pm, b);
	ck_assert_ptr_eq(shmheap_pages_alloc(pm, 24), b);
	ck_assert_ptr_eq(shmheap_pages_alloc(pm, 40), b + 24);
	shmheap_pages_free(pm, b);
	shmheap_pages_free(pm, b + 24); /* merges with b's 24 */
	walk(pm, l);
	ck_assert_uint_eq(l->n, 5);
	ck_assert_uint_eq(l->b[1].offset, 64);
	ck_assert_uint_eq(l->b[1].size, 64);
	ck_assert_int_eq(l->b[1].in_use, 0);

	/* Merge on both sides: a, (b free), c freed -> one range 0..192. */
	shmheap_pages_free(pm, a);
	shmheap_pages_free(pm, c);
	walk(pm, l);
	ck_assert_uint_eq(l->n, 3);
	ck_assert_uint_eq(l->b[0].offset, 0);
	ck_assert_uint_eq(l->b[0].size, 192);
	ck_assert_int_eq(l->b[0].in_use, 0);
	ck_assert_uint_eq(l->b[1].offset, 192);
	ck_assert_int_eq(l->b[1].in_use, 1);
	ck_assert_uint_eq(l->b[2].size, PAGE - 256);
	ck_assert_ptr_eq(shmheap_pages_alloc(pm, 192), a);

	/* Merge on the right only, then everything back to one range. */
	shmheap_pages_free(pm, d);
	walk(pm, l);
	ck_assert_uint_eq(l->n, 2);
	ck_assert_uint_eq(l->b[1].offset, 192);
	ck_assert_uint_eq(l->b[1].size, PAGE - 192);
	shmheap_pages_free(pm, a);
	walk(pm, l);
	ck_assert_uint_eq(l->n, 1);
	ck_assert_uint_eq(l->b[0].size, PAGE);
	ck_assert_int_eq(pm_check(pm), 0);
	free(l);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);
}
END_TEST

START_TEST(bad_frees_refused_unchanged)
{
	shmheap_pages *pm = shmheap_pages_create(PAGE),
		      *other = shmheap_pages_create(PAGE);
	ck_assert_ptr_nonnull(pm);
	ck_assert_ptr_nonnull(other);
	char *a = shmheap_pages_alloc(pm, 64), *b = shmheap_pages_alloc(pm, 128);
	char *o = shmheap_pages_alloc(other, 64);
	shmheap_pages_free(pm, a);
	struct blocks *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
	walk(pm, before);
	int local;
	void *bad[] = {a /* freed already */,
		       b + 8 /* interior */,
		       b + 3,
		       o /* another's */,
		       &local,
		       (char *)shmheap_pages_base(pm) + PAGE,
		       (void *)1};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_int_eq(shmheap_pages_free_checked(pm, bad[i]), -1);
		ck_assert_int_eq(errno, EINVAL);
		shmheap_pages_free(pm, bad[i]); /* the unchecked one ignores it */
		walk(pm, after);
		ck_assert_uint_eq(after->n, before->n);
		for (size_t k = 0; k < before->n; k++) {
			ck_assert_uint_eq(after->b[k].offset, before->b[k].offset);
			ck_assert_uint_eq(after->b[k].size, before->b[k].size);
			ck_assert_int_eq(after->b[k].in_use, before->b[k].in_use);
		}
	}
	struct shmheap_pages_stats st;
	ck_assert_int_eq(shmheap_pages_stats(pm, &st), 0);
	ck_assert_uint_eq(st.invalid_frees, 2 * sizeof(bad) / sizeof(bad[0]));
	ck_assert_uint_eq(st.allocations, 1);
	ck_assert_int_eq(shmheap_pages_free_checked(pm, NULL), 0);
	ck_assert_int_eq(shmheap_pages_free_checked(other, o), 0);
	ck_assert_int_eq(shmheap_pages_free_checked(pm, b), 0);
	ck_assert_int_eq(pm_check(pm), 0);
	ck_assert_int_eq(pm_check(other), 0);
	free(before);
	free(after);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);
	ck_assert_int_eq(shmheap_pages_destroy(other), 0);
}
END_TEST

/*
 * The model: one byte per 8-byte unit, 0 when free, else the number of the
 * allocation.  Exact first fit means the manager returns the lowest unit that
 * starts a free run of the size, and fails only when there is none.
 */
#define MODEL_UNITS 2048 /* a 16 KiB region */

static long model_first_fit(const uint32_t *owner, size_t need)
{
	size_t run = 0;
	for (size_t u = 0; u < MODEL_UNITS; u++) {
		run = owner[u] ? 0 : run + 1;
		if (run == need)
			return (long)(u + 1 - need);
	}
	return -1;
}

static size_t random_size(uint64_t *rng)
{
	uint64_t r = tu_rand(rng);
	switch (r % 8) {
	case 0:
		return 8 * (1 + (r >> 8) % 512); /* up to 4 KiB */
	case 1:
		return 8 * (1 + (r >> 8) % 1024); /* up to 8 KiB, rarely fits */
	default:
		return 8 * (1 + (r >> 8) % 32); /* small */
	}
}

/* 100,000 unless SHMHEAP_TEST_PAGES_OPS (or, as for the other suites,
 * SHMHEAP_TEST_MODEL_OPS, which check-valgrind-suites sets) says less. */
static size_t random_ops(void)
{
	return tu_env_ulong("SHMHEAP_TEST_PAGES_OPS",
			    tu_env_ulong("SHMHEAP_TEST_MODEL_OPS", 100000));
}

START_TEST(random_ops_match_byte_map)
{
	size_t ops = random_ops();
	uint64_t rng = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
	shmheap_pages *pm = shmheap_pages_create(MODEL_UNITS * 8);
	ck_assert_ptr_nonnull(pm);
	char *base = shmheap_pages_base(pm);
	uint32_t *owner = calloc(MODEL_UNITS, sizeof(*owner));
	struct live {
		char *p;
		size_t len;
	} *live = calloc(MODEL_UNITS, sizeof(*live));
	size_t nlive = 0, fails = 0, successes = 0;
	struct blocks *l = malloc(sizeof(*l));

	for (size_t op = 0; op < ops; op++) {
		int do_alloc = nlive == 0 || tu_rand(&rng) % 100 < 55;
		if (do_alloc) {
			size_t sz = random_size(&rng);
			long expect = model_first_fit(owner, sz / 8);
			errno = 0;
			char *p = shmheap_pages_alloc(pm, sz);
			if (expect < 0) {
				ck_assert_msg(
					!p,
					"op %zu: alloc(%zu) succeeded with no free run",
					op, sz);
				ck_assert_int_eq(errno, ENOMEM);
				fails++;
				continue;
			}
			ck_assert_msg(
				p == base + expect * 8,
				"op %zu: alloc(%zu) at %td, first fit is %ld (NULL means "
				"it failed although a run was free)",
				op, sz, p ? p - base : -1, expect * 8);
			for (size_t u = 0; u < sz / 8; u++)
				owner[expect + (long)u] = (uint32_t)op + 1;
			live[nlive++] = (struct live){p, sz};
			successes++;
		} else {
			size_t k = tu_rand(&rng) % nlive;
			ck_assert_int_eq(shmheap_pages_free_checked(pm, live[k].p), 0);
			memset(&owner[(live[k].p - base) / 8], 0,
			       live[k].len / 8 * sizeof(*owner));
			live[k] = live[--nlive];
		}
		if (op % 4096 == 0 || op == ops - 1) {
			ck_assert_int_eq(pm_check(pm), 0);
			/* The walk says exactly what the byte map says. */
			walk(pm, l);
			size_t u = 0;
			for (size_t i = 0; i < l->n; i++) {
				ck_assert_uint_eq(l->b[i].offset, u * 8);
				for (size_t k = 0; k < l->b[i].size / 8; k++)
					ck_assert_int_eq(owner[u + k] != 0,
							 l->b[i].in_use);
				u += l->b[i].size / 8;
			}
			ck_assert_uint_eq(u, MODEL_UNITS);
		}
	}
	ck_assert_uint_gt(fails, 0);
	ck_assert_uint_gt(successes, ops / 3);
	while (nlive)
		ck_assert_int_eq(shmheap_pages_free_checked(pm, live[--nlive].p), 0);
	struct shmheap_pages_stats st;
	ck_assert_int_eq(shmheap_pages_stats(pm, &st), 0);
	ck_assert_uint_eq(st.free_ranges, 1);
	ck_assert_uint_eq(st.largest_free, MODEL_UNITS * 8);
	free(l);
	free(live);
	free(owner);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);
}
END_TEST

/* A workload that allocates and frees at random; write: fill what it gets. */
static void workload(shmheap_pages *pm, unsigned char *shadow, int write, uint64_t seed)
{
	uint64_t rng = seed;
	char *base = shmheap_pages_base(pm);
	void *live[256] = {0};
	for (int op = 0; op < 20000; op++) {
		size_t k = tu_rand(&rng) % 256;
		if (live[k]) {
			ck_assert_int_eq(shmheap_pages_free_checked(pm, live[k]), 0);
			live[k] = NULL;
		} else if ((live[k] = shmheap_pages_alloc(pm, random_size(&rng))) &&
			   write) {
			size_t len = 8;
			memset(live[k], (int)(op & 0xff), len);
			memset(shadow + ((char *)live[k] - base), (int)(op & 0xff), len);
		}
	}
	for (size_t k = 0; k < 256; k++)
		shmheap_pages_free(pm, live[k]);
}

START_TEST(caller_region_untouched)
{
	size_t len = 64 * 1024;
	unsigned char *region = mmap(NULL, len, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(region, MAP_FAILED);
	unsigned char *shadow = malloc(len);
	uint64_t rng = 42;
	for (size_t i = 0; i < len; i++)
		region[i] = (unsigned char)tu_rand(&rng);
	memcpy(shadow, region, len);

	/* Read-only memory: a single write by the manager would crash the test. */
	ck_assert_int_eq(mprotect(region, len, PROT_READ), 0);
	shmheap_pages *pm = shmheap_pages_create_over(region, len);
	ck_assert_ptr_nonnull(pm);
	ck_assert_ptr_eq(shmheap_pages_base(pm), region);
	workload(pm, shadow, 0, 1);
	ck_assert_int_eq(pm_check(pm), 0);
	ck_assert_mem_eq(region, shadow, len);

	/* A workload that writes its chunks: every other byte is as it was. */
	ck_assert_int_eq(mprotect(region, len, PROT_READ | PROT_WRITE), 0);
	workload(pm, shadow, 1, 2);
	ck_assert_int_eq(pm_check(pm), 0);
	ck_assert_mem_eq(region, shadow, len);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);
	/* The caller's region stays mapped and unchanged after destroy. */
	ck_assert_mem_eq(region, shadow, len);
	free(shadow);
	munmap(region, len);
}
END_TEST

/* 1 GiB, 100,000 live allocations: every operation is a treap descent. */
START_TEST(large_manager_many_allocations)
{
	size_t n = random_ops(); /* live allocations */
	shmheap_pages *pm = shmheap_pages_create((size_t)1 << 30);
	ck_assert_ptr_nonnull(pm);
	void **p = calloc(n, sizeof(*p));
	uint64_t rng = 7;
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_nonnull(
			p[i] = shmheap_pages_alloc(pm, 8 * (1 + tu_rand(&rng) % 128)));
	/* Free every other one: n/2 holes, then a churn of frees and allocations. */
	for (size_t i = 0; i < n; i += 2) {
		shmheap_pages_free(pm, p[i]);
		p[i] = NULL;
	}
	for (size_t i = 0; i < 4 * n; i++) {
		size_t k = tu_rand(&rng) % n;
		if (p[k]) {
			ck_assert_int_eq(shmheap_pages_free_checked(pm, p[k]), 0);
			p[k] = NULL;
		} else {
			ck_assert_ptr_nonnull(p[k] = shmheap_pages_alloc(
						      pm, 8 * (1 + tu_rand(&rng) % 128)));
		}
	}
	struct shmheap_pages_stats st;
	ck_assert_int_eq(shmheap_pages_stats(pm, &st), 0);
	ck_assert_uint_gt(st.allocations, n / 4);
	ck_assert_uint_gt(st.free_ranges, n / 8);
	ck_assert_int_eq(pm_check(pm), 0);
	free(p);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);
}
END_TEST

START_TEST(check_reports_nothing_on_fresh_and_full)
{
	shmheap_pages *pm = shmheap_pages_create(8);
	ck_assert_ptr_nonnull(pm);
	ck_assert_int_eq(pm_check(pm), 0);
	void *p = shmheap_pages_alloc(pm, 8);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pm_check(pm), 0);
	errno = 0;
	ck_assert_int_eq(shmheap_pages_check(NULL, NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_pages_walk(pm, NULL, NULL), -1);
	ck_assert_int_eq(shmheap_pages_stats(pm, NULL), -1);
	ck_assert_int_eq(shmheap_pages_destroy(pm), 0);
}
END_TEST

static Suite *pages_suite(void)
{
	Suite *s = suite_create("pages");
	TCase *tc = tu_tcase("scenarios", 30);
	tcase_add_test(tc, whole_page_after_create);
	tcase_add_test(tc, bad_sizes_fail);
	tcase_add_test(tc, no_double_booking);
	tcase_add_test(tc, split_and_merge);
	tcase_add_test(tc, bad_frees_refused_unchanged);
	tcase_add_test(tc, caller_region_untouched);
	tcase_add_test(tc, check_reports_nothing_on_fresh_and_full);
	suite_add_tcase(s, tc);

	tc = tu_tcase("random", 300);
	tcase_add_loop_test(tc, random_ops_match_byte_map, 0, 2);
	tcase_add_test(tc, large_manager_many_allocations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(pages_suite());
}
