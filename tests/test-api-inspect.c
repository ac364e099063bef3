/* SPDX-License-Identifier: MIT */
/* test-api-inspect.c - shmheap_stats, shmheap_walk and shmheap_check. */
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

START_TEST(stats_of_fresh_heap)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, PAGE);
	ck_assert_uint_eq(st.header_size, PAGE - st.largest_free); /* the first object */
	ck_assert_uint_eq(st.header_size % SHMHEAP_ALIGNMENT, 0);
	ck_assert_uint_eq(st.used_bytes, 0);
	ck_assert_uint_eq(st.overhead_bytes, 0);
	ck_assert_uint_eq(st.free_bytes, PAGE - FIRST_BLOCK);
	ck_assert_uint_eq(st.largest_free, PAGE - HDR);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.invalid_frees, 0);
	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.blk[0].offset, HDR);
	ck_assert_uint_eq(l.blk[0].size, PAGE - HDR);
	ck_assert_int_eq(l.blk[0].in_use, 0);
	tu_layout_free(&l);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(stats_and_walk_of_known_layout)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *base = shmheap_underlying(h);
	const size_t o = HDR;		 /* the first object; its block 8 bytes before */
	char *a = shmheap_alloc(h, 1);	 /* a block of 16 bytes */
	char *b = shmheap_alloc(h, 24);	 /* 32 */
	char *c = shmheap_alloc(h, 100); /* 112 */
	ck_assert_ptr_eq(a, base + o);
	ck_assert_ptr_eq(b, base + o + 16);
	ck_assert_ptr_eq(c, base + o + 48);
	shmheap_free(h, b);

	const struct shmheap_block want[] = {{o, 8, 1, SHMHEAP_BLOCK_OBJECT},
					     {o + 16, 24, 0, SHMHEAP_BLOCK_FREE},
					     {o + 48, 104, 1, SHMHEAP_BLOCK_OBJECT},
					     {o + 160, PAGE - o - 160, 0,
					      SHMHEAP_BLOCK_FREE}};
	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	ck_assert_uint_eq(l.n, 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(l.blk[i].offset, want[i].offset);
		ck_assert_uint_eq(l.blk[i].size, want[i].size);
		ck_assert_int_eq(l.blk[i].in_use, want[i].in_use);
		ck_assert_int_eq(l.blk[i].kind, want[i].kind);
	}
	tu_layout_free(&l);

	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 2);
	ck_assert_uint_eq(st.used_bytes, 8 + 104);
	ck_assert_uint_eq(st.overhead_bytes, 16);
	ck_assert_uint_eq(st.free_blocks, 2);
	ck_assert_uint_eq(st.free_bytes, 32 + PAGE - (o + 152));
	ck_assert_uint_eq(st.largest_free, PAGE - o - 160);
	ck_assert_uint_eq(st.used_bytes + st.overhead_bytes + st.free_bytes + FIRST_BLOCK,
			  PAGE);
	ck_assert_int_eq(tu_check(h), 0);

	/* Freeing c merges it with both neighbours. */
	shmheap_free(h, c);
	st = stats_of(h);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.free_bytes, PAGE - (o + 8));
	ck_assert_uint_eq(st.largest_free, PAGE - (o + 16));
	shmheap_free(h, a);
	st = stats_of(h);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.largest_free, PAGE - HDR);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static int stop_after_two(const struct shmheap_block *blk, void *arg)
{
	(void)blk;
	return ++*(int *)arg == 2;
}

START_TEST(walk_stops_and_errors)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	for (int i = 0; i < 5; i++)
		shmheap_alloc(h, 8);
	int calls = 0;
	ck_assert_int_eq(shmheap_walk(h, stop_after_two, &calls), 0);
	ck_assert_int_eq(calls, 2);
	errno = 0;
	ck_assert_int_eq(shmheap_walk(h, NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_walk(NULL, stop_after_two, &calls), -1);
	ck_assert_int_eq(errno, EINVAL);
	struct shmheap_stats st;
	errno = 0;
	ck_assert_int_eq(shmheap_stats(NULL, &st), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_stats(h, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_check(NULL, NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	shmheap_destroy(name, h);
}
END_TEST

/* How many blocks of each kind a walk reports, and whether in_use agrees. */
struct kinds {
	size_t n[5];
	int disagree;
};

static int count_kind(const struct shmheap_block *blk, void *arg)
{
	struct kinds *k = arg;
	if (blk->kind < SHMHEAP_BLOCK_FREE || blk->kind > SHMHEAP_BLOCK_LIBRARY) {
		k->disagree++;
		return 0;
	}
	k->n[blk->kind]++;
	int used = blk->kind == SHMHEAP_BLOCK_OBJECT ||
		   blk->kind == SHMHEAP_BLOCK_LIBRARY;
	if (blk->in_use != used)
		k->disagree++;
	return 0;
}

static struct kinds kinds_of(shmheap_memory_handle h)
{
	struct kinds k = {0};
	ck_assert_int_eq(shmheap_walk(h, count_kind, &k), 0);
	ck_assert_int_eq(k.disagree, 0);
	return k;
}

START_TEST(walk_reports_block_kinds)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	void *a = shmheap_alloc(h, 8), *b = shmheap_alloc(h, 24);
	shmheap_free(h, a);
	struct kinds k = kinds_of(h);
	ck_assert_uint_eq(k.n[SHMHEAP_BLOCK_FREE], 2);
	ck_assert_uint_eq(k.n[SHMHEAP_BLOCK_OBJECT], 1);
	ck_assert_uint_eq(k.n[SHMHEAP_BLOCK_CACHED] + k.n[SHMHEAP_BLOCK_LIBRARY], 0);
	/* A name: the directory's record, its table and the entry are the
	 * library's; the object named stays an object. */
	ck_assert_int_eq(shmheap_name_set(h, "b", shmheap_ptr_to_handle(h, b), 0), 0);
	k = kinds_of(h);
	ck_assert_uint_eq(k.n[SHMHEAP_BLOCK_LIBRARY], 3);
	ck_assert_uint_eq(k.n[SHMHEAP_BLOCK_OBJECT], 1);
	ck_assert_int_eq(shmheap_name_set(h, "b2", shmheap_ptr_to_handle(h, b), 0), 0);
	ck_assert_uint_eq(kinds_of(h).n[SHMHEAP_BLOCK_LIBRARY], 4);
	shmheap_destroy(name, h);

	/* A cached heap: its table is the library's; a small object freed goes
	 * to this process's cache, still free space. */
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	name = tu_name("cached");
	h = shmheap_create_ex(name, 1 << 20, &o);
	ck_assert_ptr_nonnull(h);
	void *c = shmheap_alloc(h, 32);
	ck_assert_ptr_nonnull(c);
	shmheap_free(h, c);
	k = kinds_of(h);
	ck_assert_uint_eq(k.n[SHMHEAP_BLOCK_LIBRARY], 1);
	ck_assert_uint_ge(k.n[SHMHEAP_BLOCK_CACHED], 1);
	struct shmheap_cache_stats cs;
	ck_assert_int_eq(shmheap_cache_stats(h, &cs, NULL, 0), 0);
	ck_assert_uint_eq(k.n[SHMHEAP_BLOCK_CACHED], cs.cached_blocks);
	shmheap_destroy(name, h);
}
END_TEST

/* The library's bytes, as a walk shows them: the blocks of kind LIBRARY. */
struct library_sum {
	size_t blocks, bytes;
};

static int sum_library(const struct shmheap_block *blk, void *arg)
{
	struct library_sum *sum = arg;
	if (blk->kind == SHMHEAP_BLOCK_LIBRARY) {
		sum->blocks++;
		sum->bytes += blk->size + SHMHEAP_ALIGNMENT;
	}
	return 0;
}

/* The structure and the version of shmheap_stats that programs built against
 * 0.1 to 0.4 call. */
struct stats_0_1 {
	size_t heap_size, max_size, header_size, used_bytes, free_bytes, overhead_bytes,
		largest_free, objects, free_blocks, invalid_frees;
};
int stats_0_1(shmheap_memory_handle mem, struct stats_0_1 *st);
__asm__(".symver stats_0_1, shmheap_stats@SHMHEAP_0.1");

START_TEST(stats_count_library_blocks_apart)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	void *b = shmheap_alloc(h, 24);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(shmheap_name_set(h, "b", shmheap_ptr_to_handle(h, b), 0), 0);
	ck_assert_int_eq(shmheap_name_set(h, "b2", shmheap_ptr_to_handle(h, b), 0), 0);
	struct library_sum lib = {0};
	ck_assert_int_eq(shmheap_walk(h, sum_library, &lib), 0);
	ck_assert_uint_eq(lib.blocks, 4);

	/* One object named twice is one object, not five. */
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 1);
	ck_assert_uint_eq(st.used_bytes, shmheap_usable_size(h, b));
	ck_assert_uint_eq(st.overhead_bytes, SHMHEAP_ALIGNMENT);
	ck_assert_uint_eq(st.library_blocks, lib.blocks);
	ck_assert_uint_eq(st.library_bytes, lib.bytes);
	/* Every byte after the header's 72 is in exactly one figure. */
	ck_assert_uint_eq(st.used_bytes + st.overhead_bytes + st.free_bytes + st.library_bytes,
			  st.heap_size - st.header_size + SHMHEAP_ALIGNMENT);

	/* The older version writes only its own structure, and counts the
	 * library's blocks as objects, as it always did. */
	struct {
		struct stats_0_1 st;
		size_t canary[2];
	} old = {.canary = {0x5a5a5a5a, 0xa5a5a5a5}};
	ck_assert_int_eq(stats_0_1(h, &old.st), 0);
	ck_assert_uint_eq(old.canary[0], 0x5a5a5a5a);
	ck_assert_uint_eq(old.canary[1], 0xa5a5a5a5);
	ck_assert_uint_eq(old.st.objects, 1 + lib.blocks);
	ck_assert_uint_eq(old.st.used_bytes + old.st.overhead_bytes,
			  st.used_bytes + st.overhead_bytes + st.library_bytes);
	ck_assert_uint_eq(old.st.free_bytes, st.free_bytes);
	ck_assert_uint_eq(old.st.heap_size, st.heap_size);
	errno = 0;
	ck_assert_int_eq(stats_0_1(NULL, &old.st), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(stats_0_1(h, NULL), -1);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(check_reports_damage)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 8);
	char *b = shmheap_alloc(h, 40);
	shmheap_alloc(h, 8);
	shmheap_free(h, a);
	struct problems pr = {0};
	ck_assert_int_eq(shmheap_check(h, count_problem, &pr), 0);
	ck_assert_int_eq(pr.n, 0);

	/* A live block word with its tag changed. */
	uint64_t *bw = (uint64_t *)(void *)(b - 8);
	uint64_t saved = *bw;
	*bw ^= (uint64_t)1 << 40;
	pr = (struct problems){0};
	int n = shmheap_check(h, count_problem, &pr);
	ck_assert_int_ge(n, 1);
	ck_assert_int_eq(pr.n, n);
	ck_assert_uint_eq(pr.first_offset,
			  (size_t)(b - 8 - (char *)shmheap_underlying(h)));
	*bw = saved;

	/* A free block's footer overwritten (a use-after-free would do this). */
	char *big = shmheap_alloc(h, 200);
	shmheap_alloc(h, 16); /* a live neighbour, so big stays a block of its own */
	shmheap_free(h, big);
	/* Its 208-byte block ends 200 bytes after the object: footer at 192. */
	uint64_t *footer = (uint64_t *)(void *)(big + 192);
	saved = *footer;
	*footer = 12345;
	pr = (struct problems){0};
	ck_assert_int_ge(shmheap_check(h, count_problem, &pr), 1);
	ck_assert_int_ge(pr.n, 1);
	*footer = saved;
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* A shmheap_check callback that keeps the first problem's words. */
static void first_problem(size_t offset, const char *problem, void *arg)
{
	char *first = arg;
	(void)offset;
	if (!*first)
		snprintf(first, 128, "%s", problem);
}

/*
 * The header's flags chose the heap's layers when it was connected (its
 * caches, say): a flag that changes afterwards is damage the check reports,
 * whichever flag it is.
 */
START_TEST(check_reports_changed_flags)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	struct heap_header *hdr = shmheap_underlying(h);
	char first[128] = "";
	ck_assert_int_eq(shmheap_check(h, first_problem, first), 0);

	uint16_t saved = hdr->flags;
	hdr->flags ^= HEAP_FLAG_GROWABLE;
	ck_assert_int_eq(shmheap_check(h, first_problem, first), 1);
	ck_assert_str_eq(first, "header flags changed");
	hdr->flags = saved;
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-inspect");
	TCase *tc = tu_tcase("inspect", 30);
	tcase_add_test(tc, stats_of_fresh_heap);
	tcase_add_test(tc, stats_and_walk_of_known_layout);
	tcase_add_test(tc, walk_stops_and_errors);
	tcase_add_test(tc, check_reports_damage);
	tcase_add_test(tc, check_reports_changed_flags);
	tcase_add_test(tc, walk_reports_block_kinds);
	tcase_add_test(tc, stats_count_library_blocks_apart);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
