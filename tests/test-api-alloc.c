/* SPDX-License-Identifier: MIT */
/* test-api-alloc.c - allocation and release: alignment, rounding, exhaustion, invalid frees. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layout.h" /* header field offsets, to forge damaged heaps */
#include "mmf.h"
#include "testutil.h"
#include "api-helpers.h"

START_TEST(alloc_aligns_and_rounds)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 64 * PAGE);
	char *base = shmheap_underlying(h);
	size_t expect = HDR;
	for (size_t sz = 0; sz <= 300; sz++) {
		char *p = shmheap_alloc(h, sz);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % SHMHEAP_ALIGNMENT, 0);
		ck_assert_uint_eq((size_t)(p - base), expect);
		memset(p, 0xee, sz ? sz : 8);
		size_t rounded = sz ? (sz + 7) / 8 * 8 : 8;
		expect += rounded + 8;
	}
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 301);
	ck_assert_uint_eq(st.overhead_bytes, 301 * 8);
	ck_assert_uint_eq(st.used_bytes + st.overhead_bytes + FIRST_BLOCK, expect - 8);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(alloc_zero_is_unique_object)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	uint64_t *a = shmheap_alloc(h, 0), *b = shmheap_alloc(h, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq((char *)b - (char *)a, 16);
	*a = 0x1111111111111111ull;
	*b = 0x2222222222222222ull;
	ck_assert_uint_eq(*a, 0x1111111111111111ull);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 2);
	ck_assert_uint_eq(st.used_bytes, 16);
	ck_assert_int_eq(shmheap_free_checked(h, a), 0);
	ck_assert_int_eq(shmheap_free_checked(h, b), 0);
	ck_assert_uint_eq(stats_of(h).objects, 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(alloc_huge_fails_cleanly)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_alloc(h, 40);
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	const size_t huge[] = {SIZE_MAX,
			       SIZE_MAX - 1,
			       SIZE_MAX - 6,
			       SIZE_MAX - 7,
			       SIZE_MAX - 8,
			       SIZE_MAX - 15,
			       SIZE_MAX / 2 + 1,
			       (size_t)1 << 40,
			       SHMHEAP_MAX_HEAP_SIZE,
			       SHMHEAP_MAX_HEAP_SIZE - 8,
			       SHMHEAP_DEFAULT_MAX_SIZE,
			       SHMHEAP_DEFAULT_MAX_SIZE - HDR};
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_alloc(h, huge[i]) == NULL, "alloc(%zu) succeeded",
			      huge[i]);
		ck_assert_msg(errno == ENOMEM, "alloc(%zu): errno %d", huge[i], errno);
		tu_layout_take(h, &after);
		ck_assert(tu_layout_equal(&before, &after));
		ck_assert_uint_eq(stats_of(h).heap_size, PAGE);
	}
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(NULL, 8));
	ck_assert_int_eq(errno, EINVAL);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(alloc_fixed_heap_exhausted)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	/* The whole free block, exactly. */
	void *all = shmheap_alloc(h, PAGE - HDR);
	ck_assert_ptr_eq(all, (char *)shmheap_underlying(h) + HDR);
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(h, 0));
	ck_assert_int_eq(errno, ENOMEM);
	tu_layout_take(h, &after);
	ck_assert(tu_layout_equal(&before, &after));
	shmheap_free(h, all);

	/* 4024 free bytes hold 250 blocks of 16, and a 24-byte last one. */
	int n = 0;
	void *p;
	while ((p = shmheap_alloc(h, 8)))
		n++;
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(n, 251);
	tu_layout_take(h, &before);
	ck_assert_uint_eq(before.n, 251);
	ck_assert_uint_eq(before.blk[250].size, 16);
	ck_assert_int_eq(before.blk[250].in_use, 1);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, PAGE);
	ck_assert_uint_eq(st.free_blocks, 0);
	ck_assert_uint_eq(st.free_bytes, 0);
	ck_assert_uint_eq(st.largest_free, 0);
	ck_assert_int_eq(tu_check(h), 0);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- free --------------------------------------------------------------- */

START_TEST(free_null_does_nothing)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_alloc(h, 8);
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	shmheap_free(h, NULL);
	ck_assert_int_eq(shmheap_free_checked(h, NULL), 0);
	shmheap_free(NULL, NULL);
	ck_assert_int_eq(shmheap_free_checked(NULL, NULL), 0);
	tu_layout_take(h, &after);
	ck_assert(tu_layout_equal(&before, &after));
	ck_assert_uint_eq(stats_of(h).invalid_frees, 0);
	errno = 0;
	ck_assert_int_eq(shmheap_free_checked(NULL, &before), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(free_invalid_pointers_refused)
{
	const char *name, *other_name;
	shmheap_memory_handle h = make_heap(&name, 4 * PAGE);
	shmheap_memory_handle other = make_heap(&other_name, PAGE);
	char *base = shmheap_underlying(h);
	char *a = shmheap_alloc(h, 32);
	char *b = shmheap_alloc(h, 8);
	char *c = shmheap_alloc(h, 100);
	char *d = shmheap_alloc(h, 16);
	char *e = shmheap_alloc(h, 64);
	memset(a, 0xaa, 32);
	memset(c, 0xcc, 100);
	memset(e, 0xee, 64);
	shmheap_free(h, b);
	shmheap_free(h, d);
	char *o = shmheap_alloc(other, 32); /* same offset as a, other heap */
	ck_assert_uint_eq(o - (char *)shmheap_underlying(other), a - base);
	long on_stack;
	char *on_malloc = malloc(64);

	char *bad[] = {
		(char *)&on_stack,
		on_malloc,
		a + 1,
		a + 4,
		a + 8,
		a + 24,
		c + 8,
		c + 64,
		c + 96,
		b, /* already freed */
		d, /* freed and merged */
		base,
		base + 8,
		base + FIRST_BLOCK,
		base + FIRST_BLOCK + 4, /* header, block word */
		e + 64 + 8,
		e + 64 + 16, /* free space after e's 64 bytes */
		base + 4 * PAGE - 8,
		base + 4 * PAGE,
		base + 4 * PAGE + 8, /* at and past the end */
		base + (1 << 30),    /* reserved, never mapped */
		base - 8,
		base - PAGE, /* before the heap */
		o,	     /* a live object of another heap */
		(char *)(uintptr_t)8,
		(char *)(uintptr_t)-8,
	};
	struct tu_layout before = {0}, after = {0}, other_before = {0}, other_after = {0};
	tu_layout_take(h, &before);
	tu_layout_take(other, &other_before);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_free_checked(h, bad[i]) == -1,
			      "free of bad[%zu] accepted", i);
		ck_assert_msg(errno == EINVAL, "bad[%zu]: errno %d", i, errno);
		shmheap_free(h, bad[i]);
		tu_layout_take(h, &after);
		ck_assert_msg(tu_layout_equal(&before, &after),
			      "free of bad[%zu] changed the heap", i);
		ck_assert_uint_eq(stats_of(h).invalid_frees, 2 * (i + 1));
	}
	tu_layout_take(other, &other_after);
	ck_assert(tu_layout_equal(&other_before, &other_after));
	ck_assert_uint_eq(stats_of(other).invalid_frees, 0);
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq((unsigned char)a[i], 0xaa);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq((unsigned char)c[i], 0xcc);
	ck_assert_int_eq(tu_check(h), 0);

	/* The genuine objects still free normally. */
	ck_assert_int_eq(shmheap_free_checked(h, a), 0);
	ck_assert_int_eq(shmheap_free_checked(h, c), 0);
	ck_assert_int_eq(shmheap_free_checked(h, e), 0);
	ck_assert_int_eq(shmheap_free_checked(other, o), 0);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_int_eq(tu_check(h), 0);

	free(on_malloc);
	tu_layout_free(&before);
	tu_layout_free(&after);
	tu_layout_free(&other_before);
	tu_layout_free(&other_after);
	shmheap_destroy(other_name, other);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(invalid_frees_count_per_connection)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_memory_handle c = shmheap_connect(name);
	char *p = shmheap_alloc(h, 16);
	shmheap_free(c, p + 8);
	ck_assert_uint_eq(stats_of(c).invalid_frees, 1);
	ck_assert_uint_eq(stats_of(h).invalid_frees, 0);
	/* A connection may free what another allocated. */
	ck_assert_int_eq(shmheap_free_checked(c, shmheap_handle_to_ptr(
							 c, shmheap_ptr_to_handle(h, p))),
			 0);
	ck_assert_uint_eq(stats_of(h).objects, 0);
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-alloc");
	TCase *tc = tu_tcase("alloc", 30);
	tcase_add_test(tc, alloc_aligns_and_rounds);
	tcase_add_test(tc, alloc_zero_is_unique_object);
	tcase_add_test(tc, alloc_huge_fails_cleanly);
	tcase_add_test(tc, alloc_fixed_heap_exhausted);
	suite_add_tcase(s, tc);

	tc = tu_tcase("free", 30);
	tcase_add_test(tc, free_null_does_nothing);
	tcase_add_test(tc, free_invalid_pointers_refused);
	tcase_add_test(tc, invalid_frees_count_per_connection);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
