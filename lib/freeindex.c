/* SPDX-License-Identifier: MIT */
/*
 * freeindex.c - exact first-fit in O(log n): treaps of free blocks keyed by
 * address.
 *
 * First-fit wants the lowest-addressed free block that is large enough.  The
 * main treap orders the free blocks of 24 bytes and more by address and keeps,
 * in each node, the largest block size of its subtree: the search goes left
 * whenever the left subtree has a block that fits, so it ends at the first
 * fitting block after one root-to-leaf path.  16-byte blocks have no room for
 * that maximum (block word and two links fill them); only an 8-byte object fits
 * them, so they sit in a second treap whose lowest node is the candidate.
 *
 * Priorities are random and stored in the block word, so a node keeps its
 * priority when its block is split from the front or merged: fi_move and
 * fi_grown then only fix the subtree maxima along one path, with no rotation.
 * Nodes are 32-bit unit offsets; expected depth is about 2 ln n.
 */
#include "freeindex.h"

struct tree {
	unsigned char *base;
	heap_unit *root;
	bool aug; /* keeps subtree maxima (the main treap) */
};

static inline uint64_t *node(const struct tree *t, heap_unit u)
{
	return block_word(t->base, unit_to_off(u));
}

static inline uint64_t size_of(const struct tree *t, heap_unit u)
{
	return bw_size(node(t, u)[0]);
}

static inline uint32_t prio_of(const struct tree *t, heap_unit u)
{
	return bw_tag(node(t, u)[0]);
}

static inline heap_unit left_of(const struct tree *t, heap_unit u)
{
	return (heap_unit)node(t, u)[1];
}

static inline heap_unit right_of(const struct tree *t, heap_unit u)
{
	return (heap_unit)(node(t, u)[1] >> 32);
}

static inline void set_links(const struct tree *t, heap_unit u, heap_unit l, heap_unit r)
{
	node(t, u)[1] = (uint64_t)l | (uint64_t)r << 32;
}

static inline void set_left(const struct tree *t, heap_unit u, heap_unit l)
{
	set_links(t, u, l, right_of(t, u));
}

static inline void set_right(const struct tree *t, heap_unit u, heap_unit r)
{
	set_links(t, u, left_of(t, u), r);
}

static inline uint64_t max_of(const struct tree *t, heap_unit u)
{
	return u ? node(t, u)[2] : 0;
}

static inline uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;
	return m > c ? m : c;
}

static inline void update(const struct tree *t, heap_unit u)
{
	if (t->aug)
		node(t, u)[2] = max3(size_of(t, u), max_of(t, left_of(t, u)),
				     max_of(t, right_of(t, u)));
}

static struct tree tree_for(const struct free_index *fi, uint64_t size)
{
	struct tree t = {fi->base, &fi->hdr->main_root, true};
	if (size < BLOCK_MAIN_MIN) {
		t.root = &fi->hdr->tiny_root;
		t.aug = false;
	}
	return t;
}

/* Splits subtree u into the keys below key (*l) and above it (*r). */
static void split(const struct tree *t, heap_unit u, heap_unit key, heap_unit *l, heap_unit *r)
{
	heap_unit part;

	if (!u) {
		*l = *r = 0;
		return;
	}
	if (u < key) {
		split(t, right_of(t, u), key, &part, r);
		set_right(t, u, part);
		*l = u;
	} else {
		split(t, left_of(t, u), key, l, &part);
		set_left(t, u, part);
		*r = u;
	}
	update(t, u);
}

/* Joins subtrees a and b, every key of a lying below every key of b. */
static heap_unit merge(const struct tree *t, heap_unit a, heap_unit b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (prio_of(t, a) >= prio_of(t, b)) {
		set_right(t, a, merge(t, right_of(t, a), b));
		update(t, a);
		return a;
	}
	set_left(t, b, merge(t, a, left_of(t, b)));
	update(t, b);
	return b;
}

static heap_unit insert(const struct tree *t, heap_unit u, heap_unit x)
{
	heap_unit l, r;

	if (!u || prio_of(t, x) > prio_of(t, u)) {
		split(t, u, x, &l, &r);
		set_links(t, x, l, r);
		update(t, x);
		return x;
	}
	if (x < u)
		set_left(t, u, insert(t, left_of(t, u), x));
	else
		set_right(t, u, insert(t, right_of(t, u), x));
	update(t, u);
	return u;
}

static heap_unit remove_key(const struct tree *t, heap_unit u, heap_unit key)
{
	if (!u)
		return 0;
	if (u == key)
		return merge(t, left_of(t, u), right_of(t, u));
	if (key < u)
		set_left(t, u, remove_key(t, left_of(t, u), key));
	else
		set_right(t, u, remove_key(t, right_of(t, u), key));
	update(t, u);
	return u;
}

/* Puts repl in key's place (same links) and recomputes maxima on the path. */
static heap_unit replace_key(const struct tree *t, heap_unit u, heap_unit key, heap_unit repl)
{
	if (!u)
		return 0;
	if (u == key) {
		if (repl != key)
			node(t, repl)[1] = node(t, key)[1];
		update(t, repl);
		return repl;
	}
	if (key < u)
		set_left(t, u, replace_key(t, left_of(t, u), key, repl));
	else
		set_right(t, u, replace_key(t, right_of(t, u), key, repl));
	update(t, u);
	return u;
}

heap_off fi_first_fit(const struct free_index *fi, uint64_t need)
{
	struct tree main_t = tree_for(fi, BLOCK_MAIN_MIN);
	heap_unit best = 0;
	heap_unit u = *main_t.root;

	if (u && max_of(&main_t, u) >= need) {
		for (;;) {
			heap_unit l = left_of(&main_t, u);
			if (l && max_of(&main_t, l) >= need) {
				u = l;
			} else if (size_of(&main_t, u) >= need) {
				best = u;
				break;
			} else {
				u = right_of(&main_t, u);
			}
		}
	}
	if (need <= BLOCK_MIN) {
		struct tree tiny = tree_for(fi, BLOCK_MIN);
		heap_unit v = *tiny.root;
		while (v && left_of(&tiny, v))
			v = left_of(&tiny, v);
		if (v && (!best || v < best))
			best = v;
	}
	return unit_to_off(best);
}

void fi_insert(const struct free_index *fi, heap_off off)
{
	struct tree t = tree_for(fi, bw_size(*block_word(fi->base, off)));
	*t.root = insert(&t, *t.root, off_to_unit(off));
}

void fi_remove(const struct free_index *fi, heap_off off)
{
	struct tree t = tree_for(fi, bw_size(*block_word(fi->base, off)));
	*t.root = remove_key(&t, *t.root, off_to_unit(off));
}

void fi_move(const struct free_index *fi, heap_off old_off, heap_off new_off)
{
	struct tree t = tree_for(fi, BLOCK_MAIN_MIN);
	*t.root = replace_key(&t, *t.root, off_to_unit(old_off), off_to_unit(new_off));
}

void fi_grown(const struct free_index *fi, heap_off off)
{
	struct tree t = tree_for(fi, BLOCK_MAIN_MIN);
	heap_unit key = off_to_unit(off);
	uint64_t size = bw_size(*block_word(fi->base, off));

	/* Growing only raises maxima, so they can be fixed top-down. */
	for (heap_unit u = *t.root; u; u = key < u ? left_of(&t, u) : right_of(&t, u)) {
		if (node(&t, u)[2] < size)
			node(&t, u)[2] = size;
		if (u == key)
			break;
	}
}

heap_off fi_last(const struct free_index *fi)
{
	heap_unit last = 0;
	for (int tiny = 0; tiny < 2; tiny++) {
		struct tree t = tree_for(fi, tiny ? BLOCK_MIN : BLOCK_MAIN_MIN);
		heap_unit u = *t.root;
		while (u && right_of(&t, u))
			u = right_of(&t, u);
		if (u > last)
			last = u;
	}
	return unit_to_off(last);
}

void fi_clear(const struct free_index *fi)
{
	fi->hdr->main_root = 0;
	fi->hdr->tiny_root = 0;
}

struct verify_ctx {
	const struct tree *t;
	uint64_t heap_size;
	fi_node_fn fn;
	fi_problem_fn bad;
	void *arg;
	size_t problems;
};

static void complain(struct verify_ctx *c, heap_unit u, const char *problem)
{
	c->problems++;
	if (c->bad)
		c->bad(unit_to_off(u), problem, c->arg);
}

/*
 * Checks subtree u, whose keys must lie strictly between lo and hi and whose
 * priorities may not exceed prio; returns its largest block size.  The strict
 * key bounds make every path finite even in a corrupted heap.
 */
static uint64_t verify_subtree(struct verify_ctx *c, heap_unit u, uint64_t lo, uint64_t hi,
			       uint32_t prio, unsigned depth)
{
	const struct tree *t = c->t;
	heap_off off = unit_to_off(u);

	if (!u)
		return 0;
	if (depth > FI_MAX_DEPTH) {
		complain(c, u, "index deeper than a random treap can be");
		return 0;
	}
	if (u <= lo || u >= hi || off < HEAP_FIRST_BLOCK ||
	    off + (t->aug ? BLOCK_MAIN_MIN : BLOCK_MIN) > c->heap_size) {
		complain(c, u, "index link outside its range");
		return 0;
	}
	uint64_t bw = node(t, u)[0];
	uint64_t size = bw_size(bw);
	if (bw & BW_IN_USE)
		complain(c, u, "index holds a block in use");
	if (size < BLOCK_MIN || off + size > c->heap_size)
		complain(c, u, "indexed block has a bad size");
	else if (t->aug ? size < BLOCK_MAIN_MIN : size != BLOCK_MIN)
		complain(c, u, "indexed block is in the wrong treap");
	if (bw_tag(bw) > prio)
		complain(c, u, "treap priority above its parent's");
	uint64_t lmax = verify_subtree(c, left_of(t, u), lo, u, bw_tag(bw), depth + 1);
	if (c->fn)
		c->fn(off, c->arg);
	uint64_t rmax = verify_subtree(c, right_of(t, u), u, hi, bw_tag(bw), depth + 1);
	uint64_t m = max3(size, lmax, rmax);
	if (t->aug && node(t, u)[2] != m)
		complain(c, u, "subtree maximum is wrong");
	return m;
}

size_t fi_verify(const struct free_index *fi, bool tiny, uint64_t heap_size, fi_node_fn fn,
		 fi_problem_fn bad, void *arg)
{
	struct tree t = tree_for(fi, tiny ? BLOCK_MIN : BLOCK_MAIN_MIN);
	struct verify_ctx c = {&t, heap_size, fn, bad, arg, 0};
	verify_subtree(&c, *t.root, 0, UINT64_MAX, UINT32_MAX, 0);
	return c.problems;
}
