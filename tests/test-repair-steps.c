/* SPDX-License-Identifier: MIT */
/*
 * test-repair-steps.c - repair of heaps left half-changed, one case per step
 * of the commit protocol in lib/blocks.c.
 *
 * Each case builds a heap image to order (block words, footers, both treaps,
 * with chosen treap priorities so that the index has a known shape), then
 * replays the first k writes of one operation exactly as blocks.c makes them
 * (a split, a split leaving a 16-byte block, an exact fit, a free that merges
 * with both neighbours, a free that enters the treap below other nodes), and
 * leaves the lock owner-dead: a child takes it and exits.  The next connect
 * must repair the heap, find it clean, and hold exactly the objects of the
 * operation undone (before its commit, the store of the block word) or done
 * (from the commit on).  The crash torture test (tests/torture.c) kills
 * processes at random moments; this one visits every moment on purpose.
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

/*
 * The free blocks around the one an allocation takes (F) make a treap of
 * known shape: the top block at the root, F its left child with L and R as
 * its children.  L (40 bytes) is too small for the allocations below.
 */
#define ALLOC_IMAGE(fsize)                                                          \
	{                                                                           \
		{32, 1, 0}, {40, 0, 500}, {32, 1, 0}, {fsize, 0, 1000}, {32, 1, 0}, \
			{40, 0, 400}, {32, 1, 0}, {0, 0, 0},                        \
	}
enum { F = 3, AFTER_F = 4 }; /* indexes in ALLOC_IMAGE */
#define NEED 48u	     /* block size of the allocation (a 40-byte object) */

/* block_alloc, when the rest of F is a block of 24 bytes or more. */
static void split_big(struct img *m, int k)
{
	heap_off f = m->at[F], r = f + NEED, next = m->at[AFTER_F];
	uint64_t bw = *word(m, f), rest = bw_size(bw) - NEED;

	STEP; /* the rest's block word (and footer), keeping F's priority */
	*word(m, r) = rest | BW_PREV_USED | (bw & (BW_TAG_MASK << BW_TAG_SHIFT));
	if (rest >= BLOCK_FOOTER_MIN)
		*word(m, r + rest - HEAP_UNIT) = rest;
	STEP; /* the commit */
	*word(m, f) = used_word(m, f, NEED, bw & BW_PREV_MASK);
	STEP;
	set_prev(m, next, prev_state_for_free(rest));
	STEP; /* fi_move, half done: the new node has F's links, F still hangs in the tree */
	memcpy(word(m, r + HEAP_UNIT), word(m, f + HEAP_UNIT), 2 * HEAP_UNIT);
	STEP;
	fi_move(&m->fi, f, r, NULL);
}

/* block_alloc, when the rest of F is a 16-byte block. */
static void split_tiny(struct img *m, int k)
{
	heap_off f = m->at[F], r = f + NEED, next = m->at[AFTER_F];
	heap_off l = m->at[F - 2], rt = m->at[F + 2];
	uint64_t bw = *word(m, f);

	STEP; /* fi_remove of F, merging its subtrees: L took R as its right child,
	       * F's parent still points at F */
	ck_assert_uint_eq(((heap_unit *)(void *)word(m, l + HEAP_UNIT))[1], 0);
	((heap_unit *)(void *)word(m, l + HEAP_UNIT))[1] = off_to_unit(rt);
	STEP; /* fi_remove done */
	((heap_unit *)(void *)word(m, l + HEAP_UNIT))[1] = 0;
	fi_remove(&m->fi, f, NULL);
	STEP; /* the rest's block word */
	*word(m, r) = BLOCK_MIN | BW_PREV_USED |
		      (uint64_t)block_priority(m->seed, r) << BW_TAG_SHIFT;
	STEP; /* the commit */
	*word(m, f) = used_word(m, f, NEED, bw & BW_PREV_MASK);
	STEP;
	set_prev(m, next, BW_PREV_FREE16);
	STEP; /* fi_insert into the tiny treap, half done: links, but no root */
	memset(word(m, r + HEAP_UNIT), 0, HEAP_UNIT);
	STEP;
	fi_insert(&m->fi, r);
}

/* block_alloc, when F is 8 bytes too large for a rest: the object takes it. */
static void exact_fit(struct img *m, int k)
{
	heap_off f = m->at[F], next = m->at[AFTER_F];
	uint64_t bw = *word(m, f);

	STEP;
	fi_remove(&m->fi, f, NULL);
	STEP; /* the commit */
	*word(m, f) = used_word(m, f, bw_size(bw), bw & BW_PREV_MASK);
	STEP;
	set_prev(m, next, BW_PREV_USED);
}

/*
 * Freeing X between two free blocks: P (kept, as it is large enough to stay
 * in the treap) absorbs X and N.  N is 24 bytes, so the block after it
 * changes its prev field from FREE24 to FREE_BIG.
 */
#define MERGE_IMAGE                                                             \
	{                                                                       \
		{32, 1, 0}, {40, 0, 700}, {48, 1, 0}, {24, 0, 600}, {32, 1, 0}, \
			{0, 0, 0},                                              \
	}
enum { P = 1, X = 2, N = 3, AFTER_N = 4 };

static void free_merge(struct img *m, int k)
{
	heap_off p = m->at[P], x = m->at[X], n = m->at[N], next = m->at[AFTER_N];
	uint64_t total = (x - p) + (n - x) + bw_size(*word(m, n));

	STEP; /* the commit: X's word says free */
	*word(m, x) = (*word(m, x) & (BW_SIZE_MASK | BW_PREV_MASK)) |
		      (uint64_t)block_priority(m->seed, x) << BW_TAG_SHIFT;
	STEP; /* N leaves the index */
	fi_remove(&m->fi, n, NULL);
	STEP; /* the merge commit: P spans all three */
	*word(m, p) = total | (*word(m, p) & BW_PREV_MASK) |
		      (*word(m, p) & (BW_TAG_MASK << BW_TAG_SHIFT));
	STEP;
	*word(m, p + total - HEAP_UNIT) = total;
	STEP;
	set_prev(m, next, prev_state_for_free(total));
	STEP; /* the words inside the merged block */
	*word(m, x) = 0;
	*word(m, n) = 0;
	STEP;
	fi_grown(&m->fi, p);
}

/*
 * Freeing X with used blocks on both sides: X enters the treap.  A and B have
 * priorities below and above X's, so the insertion stops below B and splits
 * B's left subtree (A) around X.
 */
enum { A = 1, XI = 3, B = 5 };

static void free_insert(struct img *m, int k)
{
	heap_off x = m->at[XI];
	uint32_t prio = block_priority(m->seed, x);

	STEP; /* the commit */
	*word(m, x) = (*word(m, x) & (BW_SIZE_MASK | BW_PREV_MASK)) |
		      (uint64_t)prio << BW_TAG_SHIFT;
	STEP; /* fi_insert half done: X's links and maximum, B still points at A */
	((heap_unit *)(void *)word(m, x + HEAP_UNIT))[0] = off_to_unit(m->at[A]);
	((heap_unit *)(void *)word(m, x + HEAP_UNIT))[1] = 0;
	*word(m, x + 2 * HEAP_UNIT) = bw_size(*word(m, x));
	STEP;
	fi_insert(&m->fi, x);
}

START_TEST(split_leaving_a_large_block)
{
	const struct spec before[] = ALLOC_IMAGE(72);
	const struct spec after[] = {{32, 1, 0},   {40, 0, 0}, {32, 1, 0},
				     {NEED, 1, 0}, {24, 0, 0}, {32, 1, 0},
				     {40, 0, 0},   {32, 1, 0}, {0, 0, 0}};
	for (int k = 0; k <= 5; k++) {
		struct img m;
		build(&m, "split", before);
		split_big(&m, k);
		char what[64];
		snprintf(what, sizeof(what), "split, %d steps", k);
		expect_repaired(&m, k < 2 ? before : after, what);
	}
}
END_TEST

START_TEST(split_leaving_a_tiny_block)
{
	const struct spec before[] = ALLOC_IMAGE(64);
	const struct spec after[] = {{32, 1, 0},   {40, 0, 0}, {32, 1, 0},
				     {NEED, 1, 0}, {16, 0, 0}, {32, 1, 0},
				     {40, 0, 0},   {32, 1, 0}, {0, 0, 0}};
	for (int k = 0; k <= 7; k++) {
		struct img m;
		build(&m, "split16", before);
		split_tiny(&m, k);
		char what[64];
		snprintf(what, sizeof(what), "split leaving 16 bytes, %d steps", k);
		expect_repaired(&m, k < 4 ? before : after, what);
	}
}
END_TEST

START_TEST(exact_fit_takes_the_whole_block)
{
	const struct spec before[] = ALLOC_IMAGE(56);
	const struct spec after[] = {{32, 1, 0}, {40, 0, 0}, {32, 1, 0}, {56, 1, 0},
				     {32, 1, 0}, {40, 0, 0}, {32, 1, 0}, {0, 0, 0}};
	for (int k = 0; k <= 3; k++) {
		struct img m;
		build(&m, "exact", before);
		exact_fit(&m, k);
		char what[64];
		snprintf(what, sizeof(what), "exact fit, %d steps", k);
		expect_repaired(&m, k < 2 ? before : after, what);
	}
}
END_TEST

START_TEST(free_merging_both_neighbours)
{
	const struct spec before[] = MERGE_IMAGE;
	const struct spec after[] = {{32, 1, 0},
				     {40 + 48 + 24, 0, 0},
				     {32, 1, 0},
				     {0, 0, 0}};
	for (int k = 0; k <= 7; k++) {
		struct img m;
		build(&m, "merge", before);
		free_merge(&m, k);
		char what[64];
		snprintf(what, sizeof(what), "free and merge, %d steps", k);
		expect_repaired(&m, k < 1 ? before : after, what);
	}
}
END_TEST

START_TEST(free_entering_the_treap)
{
	/* X (block 3) lies between A and B; their priorities straddle X's. */
	for (int k = 0; k <= 3; k++) {
		struct img m;
		struct spec before[] = {{32, 1, 0}, {40, 0, 0}, {32, 1, 0}, {48, 1, 0},
					{32, 1, 0}, {40, 0, 0}, {32, 1, 0}, {0, 0, 0}};
		heap_off x = HEAP_FIRST_BLOCK + 32 + 40 + 32;
		/* Build once to learn the seed, which fixes X's priority. */
		build(&m, "insert", before);
		uint32_t px = block_priority(m.seed, x);
		shmheap_destroy(m.name, m.h);
		before[A].prio = px / 2;
		before[B].prio = px + (BLOCK_PRIO_TOP - px) / 2;
		build(&m, "insert", before);
		ck_assert_uint_eq(m.at[XI], x);
		free_insert(&m, k);
		const struct spec after[] = {{32, 1, 0}, {40, 0, 0}, {32, 1, 0},
					     {48, 0, 0}, {32, 1, 0}, {40, 0, 0},
					     {32, 1, 0}, {0, 0, 0}};
		char what[64];
		snprintf(what, sizeof(what), "free into the treap, %d steps", k);
		expect_repaired(&m, k < 1 ? before : after, what);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("repair-steps");
	TCase *tc = tu_tcase("alloc", 60);
	tcase_add_test(tc, split_leaving_a_large_block);
	tcase_add_test(tc, split_leaving_a_tiny_block);
	tcase_add_test(tc, exact_fit_takes_the_whole_block);
	suite_add_tcase(s, tc);
	tc = tu_tcase("free", 60);
	tcase_add_test(tc, free_merging_both_neighbours);
	tcase_add_test(tc, free_entering_the_treap);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
