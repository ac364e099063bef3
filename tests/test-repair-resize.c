/* SPDX-License-Identifier: MIT */
/*
 * test-repair-resize.c - repair of heaps left half-changed by shmheap_realloc
 * in place (lib/realloc.c) and by an aligned allocation that carves a gap
 * (lib/aligned.c), one case per step, as tests/test-repair-steps.c does for
 * lib/blocks.c.
 *
 * Each case builds a heap image to order, replays the first k writes of one
 * operation exactly as the library makes them, and leaves the lock
 * owner-dead.  The next connect must repair the heap, find it clean, and hold
 * the blocks of the operation undone (before its commit) or done (from the
 * commit on); an aligned allocation has two commits, and the first alone
 * must undo to the image before.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "repair-images.h"
#include "testutil.h"

static uint32_t free_prio(heap_off off, uint64_t size, uint32_t seed)
{
	return off + size == HEAP_BYTES ? BLOCK_PRIO_TOP : block_priority(seed, off);
}

/*
 * shmheap_realloc in place of the object X (block x of spec) to need bytes,
 * with or without a free right neighbour, as block_resize_in_place does it.
 */
static void resize(struct img *m, int x, uint64_t need, int k)
{
	heap_off off = m->at[x], next = m->at[x + 1];
	uint64_t bw = *word(m, off), size = bw_size(bw);
	uint64_t nbw = *word(m, next);
	uint64_t nsize = (nbw & BW_IN_USE) ? 0 : bw_size(nbw);
	uint64_t avail = size + nsize, rest = avail - need;
	ck_assert_uint_ge(avail, need);
	ck_assert_uint_ge(rest, BLOCK_MIN); /* the cases below all leave a rest */
	heap_off r = off + need;
	uint32_t prio = nsize >= BLOCK_MAIN_MIN && rest >= BLOCK_MAIN_MIN
				? bw_tag(nbw)
				: free_prio(r, rest, m->seed);

	if (nsize) {
		STEP;
		fi_remove(&m->fi, next, NULL);
	}
	STEP; /* the rest's block word */
	*word(m, r) = rest | BW_PREV_USED | (uint64_t)prio << BW_TAG_SHIFT;
	STEP; /* its footer */
	if (rest >= BLOCK_FOOTER_MIN)
		*word(m, r + rest - HEAP_UNIT) = rest;
	STEP; /* the commit */
	*word(m, off) = used_word(m, off, need, bw & BW_PREV_MASK);
	STEP;
	if (off + avail < HEAP_BYTES)
		set_prev(m, off + avail, prev_state_for_free(rest));
	if (nsize) {
		STEP;
		*word(m, next) = 0;
	}
	STEP;
	fi_insert(&m->fi, r);
}

/* The number of steps before resize's commit. */
static int resize_commit_step(struct img *m, int x)
{
	return (*word(m, m->at[x + 1]) & BW_IN_USE) ? 2 : 3;
}

static void run_resize(const char *tag, const struct spec *before,
		       const struct spec *after, int x, uint64_t need)
{
	for (int k = 0; k <= 8; k++) {
		struct img m;
		build(&m, tag, before);
		int commit = resize_commit_step(&m, x);
		resize(&m, x, need, k);
		char what[80];
		snprintf(what, sizeof(what), "%s, %d steps", tag, k);
		expect_repaired(&m, k <= commit ? before : after, what);
	}
}

START_TEST(grow_into_neighbour)
{
	/* X (48) grows to 80 into N (72): a 40-byte rest keeps N's priority. */
	const struct spec before[] = {{32, 1, 0},   {48, 1, 0}, {72, 0, 1000}, {32, 1, 0},
				      {40, 0, 400}, {32, 1, 0}, {0, 0, 0}};
	const struct spec after[] = {{32, 1, 0}, {80, 1, 0}, {40, 0, 0}, {32, 1, 0},
				     {40, 0, 0}, {32, 1, 0}, {0, 0, 0}};
	run_resize("grow", before, after, 1, 80);
}
END_TEST

START_TEST(grow_by_eight_over_the_links)
{
	/* X grows by 8 bytes: the rest's block word lands on N's links, which
	 * is why N leaves the index first. */
	const struct spec before[] = {{32, 1, 0},   {48, 1, 0}, {72, 0, 1000}, {32, 1, 0},
				      {40, 0, 400}, {32, 1, 0}, {0, 0, 0}};
	const struct spec after[] = {{32, 1, 0}, {56, 1, 0}, {64, 0, 0}, {32, 1, 0},
				     {40, 0, 0}, {32, 1, 0}, {0, 0, 0}};
	run_resize("grow8", before, after, 1, 56);
}
END_TEST

START_TEST(grow_into_the_top_block)
{
	/* N is the top block: the rest keeps the top's priority. */
	const struct spec before[] = {
		{32, 1, 0}, {40, 0, 300}, {32, 1, 0}, {48, 1, 0}, {0, 0, 0}};
	const struct spec after[] = {
		{32, 1, 0}, {40, 0, 0}, {32, 1, 0}, {200, 1, 0}, {0, 0, 0}};
	run_resize("growtop", before, after, 3, 200);
}
END_TEST

START_TEST(shrink_into_free_neighbour)
{
	const struct spec before[] = {{32, 1, 0},   {96, 1, 0}, {40, 0, 900}, {32, 1, 0},
				      {40, 0, 400}, {32, 1, 0}, {0, 0, 0}};
	const struct spec after[] = {{32, 1, 0}, {32, 1, 0}, {104, 0, 0}, {32, 1, 0},
				     {40, 0, 0}, {32, 1, 0}, {0, 0, 0}};
	run_resize("shrinkmerge", before, after, 1, 32);
}
END_TEST

START_TEST(shrink_beside_used_neighbour)
{
	const struct spec before[] = {{32, 1, 0},   {96, 1, 0}, {32, 1, 0},
				      {40, 0, 400}, {32, 1, 0}, {0, 0, 0}};
	const struct spec after[] = {{32, 1, 0}, {48, 1, 0}, {48, 0, 0}, {32, 1, 0},
				     {40, 0, 0}, {32, 1, 0}, {0, 0, 0}};
	run_resize("shrink", before, after, 1, 48);
}
END_TEST

START_TEST(shrink_leaving_a_tiny_block)
{
	const struct spec before[] = {{32, 1, 0}, {48, 1, 0}, {32, 1, 0}, {0, 0, 0}};
	const struct spec after[] = {
		{32, 1, 0}, {32, 1, 0}, {16, 0, 0}, {32, 1, 0}, {0, 0, 0}};
	run_resize("shrink16", before, after, 1, 32);
}
END_TEST

/*
 * An aligned allocation from the free block F (block 2: 144..344) of an
 * object of need bytes at a, with a gap in front, as block_alloc_aligned
 * does it.  Returns the number of steps before its second commit.
 */
#define ALIGNED_IMAGE                                                            \
	{                                                                        \
		{32, 1, 0}, {40, 1, 0}, {200, 0, 800}, {32, 1, 0}, {40, 0, 300}, \
			{32, 1, 0}, {0, 0, 0},                                   \
	}
enum { AF = 2 };

static void carve(struct img *m, heap_off a, uint64_t need, int k)
{
	heap_off b = m->at[AF];
	uint64_t bw = *word(m, b), size = bw_size(bw);
	uint64_t gap = a - b, asize = size - gap, rest = size - gap - need;
	heap_off r = a + need;

	STEP;
	fi_remove(&m->fi, b, NULL);
	STEP; /* the second free block's word and footer */
	*word(m, a) = asize | prev_state_for_free(gap) |
		      (uint64_t)free_prio(a, asize, m->seed) << BW_TAG_SHIFT;
	*word(m, a + asize - HEAP_UNIT) = asize;
	STEP; /* first commit: F becomes the gap */
	*word(m, b) = gap | (bw & BW_PREV_MASK) |
		      (uint64_t)free_prio(b, gap, m->seed) << BW_TAG_SHIFT;
	STEP;
	if (gap >= BLOCK_FOOTER_MIN)
		*word(m, a - HEAP_UNIT) = gap;
	STEP; /* the rest's word and footer */
	*word(m, r) = rest | BW_PREV_USED |
		      (uint64_t)free_prio(r, rest, m->seed) << BW_TAG_SHIFT;
	*word(m, r + rest - HEAP_UNIT) = rest;
	STEP; /* second commit: the object */
	*word(m, a) = used_word(m, a, need, prev_state_for_free(gap));
	STEP;
	set_prev(m, b + size, prev_state_for_free(rest));
	STEP;
	fi_insert(&m->fi, b);
	STEP;
	fi_insert(&m->fi, r);
}

START_TEST(aligned_with_a_gap)
{
	/* F spans 144..344; a 64-aligned 40-byte object goes to 192 (block at
	 * 184), leaving a 40-byte gap and a 112-byte rest. */
	const struct spec before[] = ALIGNED_IMAGE;
	const struct spec after[] = {{32, 1, 0}, {40, 1, 0},  {40, 0, 0},
				     {48, 1, 0}, {112, 0, 0}, {32, 1, 0},
				     {40, 0, 0}, {32, 1, 0},  {0, 0, 0}};
	for (int k = 0; k <= 9; k++) {
		struct img m;
		build(&m, "aligned", before);
		ck_assert_uint_eq(m.at[AF], 144);
		carve(&m, 184, 48, k);
		char what[80];
		snprintf(what, sizeof(what), "aligned with a gap, %d steps", k);
		expect_repaired(&m, k < 6 ? before : after, what);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("repair-resize");
	TCase *tc = tu_tcase("realloc", 60);
	tcase_add_test(tc, grow_into_neighbour);
	tcase_add_test(tc, grow_by_eight_over_the_links);
	tcase_add_test(tc, grow_into_the_top_block);
	tcase_add_test(tc, shrink_into_free_neighbour);
	tcase_add_test(tc, shrink_beside_used_neighbour);
	tcase_add_test(tc, shrink_leaving_a_tiny_block);
	suite_add_tcase(s, tc);
	tc = tu_tcase("aligned", 60);
	tcase_add_test(tc, aligned_with_a_gap);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
