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

#include "freeindex.h" /* lib/freeindex.c is linked in to build the treaps */
#include "layout.h"
#include "testutil.h"

#define HEAP_BYTES 4096

/* A block of an image: size 0 fills the heap to its end (the top block). */
struct spec {
	uint64_t size;
	int used;
	uint32_t prio; /* of a free block; the top block gets BLOCK_PRIO_TOP */
};

struct img {
	const char *name;
	shmheap_memory_handle h;
	unsigned char *base;
	struct free_index fi;
	uint32_t seed;
	heap_off at[16]; /* where each block of the spec starts */
};

static uint64_t *word(struct img *m, heap_off off)
{
	return block_word(m->base, off);
}

static uint64_t used_word(struct img *m, heap_off off, uint64_t size, uint64_t prev)
{
	return size | prev | BW_IN_USE |
	       (uint64_t)block_tag(m->seed, off, size) << BW_TAG_SHIFT;
}

static void free_word(struct img *m, heap_off off, uint64_t size, uint64_t prev,
		      uint32_t prio)
{
	*word(m, off) = size | prev | (uint64_t)prio << BW_TAG_SHIFT;
	if (size >= BLOCK_FOOTER_MIN)
		*word(m, off + size - HEAP_UNIT) = size;
}

/* Lays the blocks of spec over a fresh heap and indexes the free ones. */
static void build(struct img *m, const char *tag, const struct spec *spec)
{
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	m->name = tu_name(tag);
	m->h = shmheap_create_ex(m->name, HEAP_BYTES, &o);
	ck_assert_msg(m->h != NULL, "create: %s", strerror(errno));
	m->base = shmheap_underlying(m->h);
	m->fi.base = m->base;
	m->fi.hdr = (struct heap_header *)(void *)m->base;
	m->seed = m->fi.hdr->seed;

	heap_off off = HEAP_FIRST_BLOCK;
	uint64_t prev = BW_PREV_USED;
	fi_clear(&m->fi);
	for (int i = 0; off < HEAP_BYTES; i++) {
		uint64_t size = spec[i].size ? spec[i].size : HEAP_BYTES - off;
		m->at[i] = off;
		if (spec[i].used) {
			*word(m, off) = used_word(m, off, size, prev);
			prev = BW_PREV_USED;
		} else {
			uint32_t prio = off + size == HEAP_BYTES ? BLOCK_PRIO_TOP
								 : spec[i].prio;
			free_word(m, off, size, prev, prio);
			fi_insert(&m->fi, off);
			prev = prev_state_for_free(size);
		}
		off += size;
	}
	ck_assert_int_eq(tu_check(m->h), 0); /* the image starts out sane */
}

/* The block at off: its new prev field. */
static void set_prev(struct img *m, heap_off off, uint64_t prev)
{
	*word(m, off) = (*word(m, off) & ~BW_PREV_MASK) | prev;
}

/* Takes the heap lock in a child that then exits: the lock is owner-dead. */
static void kill_holder(struct img *m)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int err = pthread_mutex_lock(&m->fi.hdr->lock);
		_exit(err == 0 ? 0 : 1);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the holder did not lock");
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(m->name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_OWNER_DEAD);
}

/* Repairs by connecting, then compares the blocks with want (sizes as in a
 * spec: block sizes, 0 for the rest of the heap). */
static void expect_repaired(struct img *m, const struct spec *want, const char *what)
{
	kill_holder(m);
	shmheap_memory_handle c = shmheap_connect(m->name);
	ck_assert_msg(c != NULL, "%s: connect after the crash: %s", what,
		      strerror(errno));
	ck_assert_msg(tu_check(c) == 0, "%s: the repaired heap is not clean", what);

	struct tu_layout got = {0}, exp = {0};
	tu_layout_take(c, &got);
	heap_off off = HEAP_FIRST_BLOCK;
	for (int i = 0; off < HEAP_BYTES; i++) {
		uint64_t size = want[i].size ? want[i].size : HEAP_BYTES - off;
		if (exp.n == exp.cap) {
			exp.cap = exp.cap ? 2 * exp.cap : 16;
			exp.blk = realloc(exp.blk, exp.cap * sizeof(*exp.blk));
			ck_assert_ptr_nonnull(exp.blk);
		}
		exp.blk[exp.n++] = (struct shmheap_block){off + HEAP_UNIT,
							  size - HEAP_UNIT, want[i].used};
		off += size;
	}
	ck_assert_msg(tu_layout_equal(&got, &exp),
		      "%s: %zu blocks after repair, want %zu", what, got.n, exp.n);
	/* Repaired for good: the heap is usable at once. */
	void *p = shmheap_alloc(c, 8);
	ck_assert_ptr_nonnull(p);
	shmheap_free(c, p);
	ck_assert_int_eq(tu_check(c), 0);
	tu_layout_free(&got);
	tu_layout_free(&exp);
	shmheap_disconnect(c);
	shmheap_destroy(m->name, m->h);
}

/* Stops an operation after its first k steps. */
#define STEP                    \
	do {                    \
		if (k-- <= 0)   \
			return; \
	} while (0)

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
