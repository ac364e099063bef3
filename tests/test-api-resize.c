/* SPDX-License-Identifier: MIT */
/*
 * test-api-resize.c - shmheap_realloc, shmheap_calloc, shmheap_alloc_aligned
 * and shmheap_usable_size: where objects land, what they keep, what is refused.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "api-helpers.h"

static size_t off_of(shmheap_memory_handle h, const void *p)
{
	return (size_t)((const char *)p - (const char *)shmheap_underlying(h));
}

/* The walk's entry for the object or free block at offset off. */
static struct shmheap_block block_at(shmheap_memory_handle h, size_t off)
{
	struct tu_layout l = {0};
	struct shmheap_block b = {0, 0, -1, 0};
	tu_layout_take(h, &l);
	for (size_t i = 0; i < l.n; i++)
		if (l.blk[i].offset == off)
			b = l.blk[i];
	tu_layout_free(&l);
	return b;
}

START_TEST(realloc_grows_into_free_right_neighbour)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 40), *b = shmheap_alloc(h, 64),
	     *c = shmheap_alloc(h, 8);
	tu_fill(a, 40, 1, 1);
	shmheap_free(h, b); /* a 72-byte free block right of a */
	char *g = shmheap_realloc(h, a, 96);
	ck_assert_ptr_eq(g, a); /* in place */
	ck_assert_int_lt(tu_verify(g, 40, 1, 1), 0);
	ck_assert_uint_eq(shmheap_usable_size(h, g), 96);
	/* The 16 bytes left became a free block between a and c. */
	struct shmheap_block rest = block_at(h, off_of(h, g) + 96 + 8);
	ck_assert_int_eq(rest.in_use, 0);
	ck_assert_uint_eq(rest.size, 8);
	ck_assert_uint_eq(off_of(h, c), off_of(h, g) + 96 + 16 + 8);
	/* Growing by the last 16 bytes takes the whole neighbour. */
	ck_assert_ptr_eq(shmheap_realloc(h, g, 112), a);
	ck_assert_uint_eq(shmheap_usable_size(h, a), 112);
	ck_assert_int_eq(tu_check(h), 0);
	ck_assert_int_lt(tu_verify(a, 40, 1, 1), 0);
	shmheap_free(h, c);
	shmheap_free(h, a);
	ck_assert_uint_eq(stats_of(h).free_blocks, 1);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(realloc_takes_an_eight_byte_rest)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 16), *b = shmheap_alloc(h, 16),
	     *c = shmheap_alloc(h, 8);
	shmheap_free(h, b); /* 24 free bytes */
	ck_assert_ptr_eq(shmheap_realloc(h, a, 24), a);
	/* 24 + 24 - 32 = 16 bytes stay free; then 32 + 16 - 40 = 8 cannot. */
	ck_assert_uint_eq(shmheap_usable_size(h, a), 24);
	ck_assert_ptr_eq(shmheap_realloc(h, a, 32), a);
	ck_assert_uint_eq(shmheap_usable_size(h, a), 40);
	ck_assert_uint_eq(off_of(h, c), off_of(h, a) + 48);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(realloc_shrinks_in_place_and_frees_the_tail)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 200), *b = shmheap_alloc(h, 8);
	tu_fill(a, 200, 2, 2);
	/* Used right neighbour, a shrink by 8 bytes: 8 bytes make no block. */
	ck_assert_ptr_eq(shmheap_realloc(h, a, 192), a);
	ck_assert_uint_eq(shmheap_usable_size(h, a), 200);
	/* Used right neighbour: the tail becomes a free block of its own. */
	ck_assert_ptr_eq(shmheap_realloc(h, a, 100), a);
	ck_assert_int_lt(tu_verify(a, 100, 2, 2), 0);
	ck_assert_uint_eq(shmheap_usable_size(h, a), 104);
	struct shmheap_block t = block_at(h, off_of(h, a) + 104 + 8);
	ck_assert_int_eq(t.in_use, 0);
	ck_assert_uint_eq(t.size, 200 - 104 - 8);
	/* With a free right neighbour 8 bytes do go: they join it. */
	ck_assert_ptr_eq(shmheap_realloc(h, a, 96), a);
	ck_assert_uint_eq(shmheap_usable_size(h, a), 96);
	ck_assert_int_lt(tu_verify(a, 96, 2, 2), 0);
	/* Free right neighbour: the tail merges with it. */
	ck_assert_ptr_eq(shmheap_realloc(h, a, 8), a);
	ck_assert_uint_eq(shmheap_usable_size(h, a), 8);
	t = block_at(h, off_of(h, a) + 16);
	ck_assert_int_eq(t.in_use, 0);
	ck_assert_uint_eq(t.size, 200 - 8 - 8);
	ck_assert_uint_eq(off_of(h, b), off_of(h, a) + 208);
	ck_assert_uint_eq(stats_of(h).free_blocks, 2);
	/* Size 0 keeps the smallest object: it is not freed. */
	ck_assert_ptr_eq(shmheap_realloc(h, a, 0), a);
	ck_assert_uint_eq(stats_of(h).objects, 2);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(realloc_moves_when_blocked)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 48), *b = shmheap_alloc(h, 8);
	tu_fill(a, 48, 3, 3);
	char *m = shmheap_realloc(h, a, 300);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_ne(m, a);
	ck_assert_uint_eq(off_of(h, m), off_of(h, b) + 16); /* first fit: after b */
	ck_assert_int_lt(tu_verify(m, 48, 3, 3), 0);
	/* The old object is free (and the front is one free block). */
	struct shmheap_block old = block_at(h, off_of(h, a));
	ck_assert_int_eq(old.in_use, 0);
	ck_assert_int_eq(shmheap_free_checked(h, a), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* b is blocked by m; first fit moves it into a's old place, whose
	 * 8-byte rest it keeps. */
	tu_fill(b, 8, 6, 6);
	char *n = shmheap_realloc(h, b, 40);
	ck_assert_ptr_eq(n, a);
	ck_assert_uint_eq(shmheap_usable_size(h, n), 48);
	ck_assert_int_lt(tu_verify(n, 8, 6, 6), 0);
	ck_assert_int_eq(block_at(h, off_of(h, b)).in_use, 0);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(realloc_refuses_and_keeps)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 64), *b = shmheap_alloc(h, 64);
	tu_fill(a, 64, 4, 4);
	struct tu_layout before = {0}, after = {0};
	char local[64];
	char *bad[] = {a + 8, a + 1, local, b + 4096, (char *)shmheap_underlying(h)};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(shmheap_realloc(h, bad[i], 16));
		ck_assert_int_eq(errno, EINVAL);
		errno = 0;
		ck_assert_uint_eq(shmheap_usable_size(h, bad[i]), 0);
		ck_assert_int_eq(errno, EINVAL);
	}
	shmheap_free(h, b);
	errno = 0;
	ck_assert_ptr_null(shmheap_realloc(h, b, 16)); /* freed already */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(shmheap_usable_size(h, b), 0);
	errno = 0;
	ck_assert_uint_eq(shmheap_usable_size(h, NULL), 0);
	ck_assert_int_eq(errno, EINVAL);
	/* Too large for the fixed heap: NULL, ENOMEM, the object untouched. */
	tu_layout_take(h, &before);
	errno = 0;
	ck_assert_ptr_null(shmheap_realloc(h, a, 2 * PAGE));
	ck_assert_int_eq(errno, ENOMEM);
	errno = 0;
	ck_assert_ptr_null(shmheap_realloc(h, a, SIZE_MAX));
	ck_assert_int_eq(errno, ENOMEM);
	tu_layout_take(h, &after);
	ck_assert(tu_layout_equal(&before, &after));
	ck_assert_int_lt(tu_verify(a, 64, 4, 4), 0);
	/* NULL acts as shmheap_alloc; a NULL heap is refused. */
	char *n = shmheap_realloc(h, NULL, 10);
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(shmheap_usable_size(h, n), 16);
	errno = 0;
	ck_assert_ptr_null(shmheap_realloc(NULL, a, 8));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tu_check(h), 0);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(realloc_inspecting_connection_refused)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 64);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT};
	shmheap_memory_handle r = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(r);
	char *ra = (char *)shmheap_underlying(r) + off_of(h, a);
	errno = 0;
	ck_assert_ptr_null(shmheap_realloc(r, ra, 8));
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_null(shmheap_calloc(r, 1, 8));
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_null(shmheap_alloc_aligned(r, 64, 8));
	ck_assert_int_eq(errno, EPERM);
	/* Reading a size changes nothing: allowed. */
	ck_assert_uint_eq(shmheap_usable_size(r, ra), 64);
	shmheap_disconnect(r);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(realloc_grows_the_heap)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 1000), *b = shmheap_alloc(h, 8);
	tu_fill(a, 1000, 5, 5);
	char *g = shmheap_realloc(h, a, 20000);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_lt(tu_verify(g, 1000, 5, 5), 0);
	ck_assert_uint_ge(stats_of(h).heap_size, 20000);
	ck_assert_int_eq(shmheap_free_checked(h, b), 0);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(calloc_zeroes_reused_memory)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	unsigned char *a = shmheap_alloc(h, 500);
	memset(a, 0xa5, 500);
	shmheap_free(h, a);
	unsigned char *z = shmheap_calloc(h, 25, 20);
	ck_assert_ptr_eq(z, a); /* the same memory, first fit */
	size_t usable = shmheap_usable_size(h, z);
	ck_assert_uint_ge(usable, 500);
	for (size_t i = 0; i < usable; i++)
		ck_assert_msg(z[i] == 0, "byte %zu is %#x", i, z[i]);
	/* Zero elements or zero size: a unique smallest object. */
	void *e = shmheap_calloc(h, 0, 16), *f = shmheap_calloc(h, 16, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_ne(e, f);
	ck_assert_uint_eq(shmheap_usable_size(h, e), 8);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(calloc_overflow_is_enomem)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	const size_t pairs[][2] = {{SIZE_MAX, 2},
				   {2, SIZE_MAX},
				   {(size_t)1 << 32, (size_t)1 << 32},
				   {SIZE_MAX / 3 + 1, 3},
				   {(size_t)1 << 20,
				    (size_t)1 << 20}}; /* no overflow, too big */
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(shmheap_calloc(h, pairs[i][0], pairs[i][1]));
		ck_assert_int_eq(errno, ENOMEM);
	}
	tu_layout_take(h, &after);
	ck_assert(tu_layout_equal(&before, &after));
	ck_assert_uint_eq(stats_of(h).heap_size, PAGE);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(aligned_every_alignment)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	void *objs[64];
	int n = 0;
	for (size_t al = 8; al <= 4096; al *= 2) {
		for (size_t sz = 0; sz <= 200; sz += 40) {
			char *p = shmheap_alloc_aligned(h, al, sz);
			ck_assert_msg(p != NULL, "align %zu size %zu: %s", al, sz,
				      strerror(errno));
			ck_assert_msg((uintptr_t)p % al == 0, "align %zu: %p", al,
				      (void *)p);
			ck_assert_uint_eq(off_of(h, p) % al, 0);
			ck_assert_uint_ge(shmheap_usable_size(h, p), sz ? sz : 1);
			memset(p, 0x5a, sz);
			objs[n++] = p;
		}
		ck_assert_int_eq(tu_check(h), 0);
	}
	/* The gaps in front are free blocks: freeing all leaves one block. */
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(shmheap_free_checked(h, objs[i]), 0);
	ck_assert_uint_eq(stats_of(h).free_blocks, 1);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(aligned_refuses_bad_alignments)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	const size_t bad[] = {0,  1,   2,    4,	    12,	      24,
			      48, 100, 8192, 65536, SIZE_MAX, ((size_t)1 << 63) + 8};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(shmheap_alloc_aligned(h, bad[i], 16));
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_uint_eq(stats_of(h).objects, 0);
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc_aligned(h, 64, SIZE_MAX));
	ck_assert_int_eq(errno, ENOMEM);
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc_aligned(NULL, 64, 8));
	ck_assert_int_eq(errno, EINVAL);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(aligned_gap_rules)
{
	/* Offsets from the first object f, which the figures below take to be
	 * 16 bytes past a multiple of 64 (as the layout puts it). */
	const size_t f = tu_header_size();
	ck_assert_uint_eq(f % 64, 16);
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	/* The first object would be at f; 64-aligned it goes to f + 48, and the
	 * 48 bytes in front (from f's block word) become a free block. */
	char *a = shmheap_alloc_aligned(h, 64, 8);
	ck_assert_uint_eq(off_of(h, a), f + 48);
	struct shmheap_block gap = block_at(h, f);
	ck_assert_int_eq(gap.in_use, 0);
	ck_assert_uint_eq(gap.size, 40);
	/* Exact first fit: that gap is the lowest block that holds these. */
	char *b = shmheap_alloc_aligned(h, 16, 8); /* f: no gap */
	ck_assert_uint_eq(off_of(h, b), f);
	char *c = shmheap_alloc_aligned(h, 32, 8); /* free from f + 8: f + 16, no gap */
	ck_assert_uint_eq(off_of(h, c), f + 16);
	/* 16 bytes left at f + 24: a 64-aligned object does not fit there. */
	char *d = shmheap_alloc_aligned(h, 64, 8); /* free from f + 56: f + 112 */
	ck_assert_uint_eq(off_of(h, d), f + 112);
	gap = block_at(h, f + 64);
	ck_assert_int_eq(gap.in_use, 0);
	ck_assert_uint_eq(gap.size, 40);
	char *e = shmheap_alloc_aligned(h, 16, 0); /* the 16 bytes at f + 24 */
	ck_assert_uint_eq(off_of(h, e), f + 32);
	ck_assert_uint_eq(shmheap_usable_size(h, e), 8);
	ck_assert_int_eq(tu_check(h), 0);
	/* Nothing in a one-page heap is 4096-aligned after the header. */
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc_aligned(h, 4096, 8));
	ck_assert_int_eq(errno, ENOMEM);
	shmheap_destroy(name, h);

	/* An 8-byte gap can be no block: the object moves one alignment on. */
	h = make_fixed_heap(&name, PAGE);
	char *x = shmheap_alloc(h, 16); /* its block ends at f + 16 */
	ck_assert_uint_eq(off_of(h, x), f);
	char *y = shmheap_alloc_aligned(h, 16, 8); /* f + 32 would leave 8 */
	ck_assert_uint_eq(off_of(h, y), f + 48);
	gap = block_at(h, f + 24);
	ck_assert_int_eq(gap.in_use, 0);
	ck_assert_uint_eq(gap.size, 16);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-resize");
	TCase *tc = tu_tcase("realloc", 30);
	tcase_add_test(tc, realloc_grows_into_free_right_neighbour);
	tcase_add_test(tc, realloc_takes_an_eight_byte_rest);
	tcase_add_test(tc, realloc_shrinks_in_place_and_frees_the_tail);
	tcase_add_test(tc, realloc_moves_when_blocked);
	tcase_add_test(tc, realloc_refuses_and_keeps);
	tcase_add_test(tc, realloc_inspecting_connection_refused);
	tcase_add_test(tc, realloc_grows_the_heap);
	suite_add_tcase(s, tc);
	tc = tu_tcase("calloc", 30);
	tcase_add_test(tc, calloc_zeroes_reused_memory);
	tcase_add_test(tc, calloc_overflow_is_enomem);
	suite_add_tcase(s, tc);
	tc = tu_tcase("aligned", 30);
	tcase_add_test(tc, aligned_every_alignment);
	tcase_add_test(tc, aligned_refuses_bad_alignments);
	tcase_add_test(tc, aligned_gap_rules);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
