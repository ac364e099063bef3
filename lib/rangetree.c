/* SPDX-License-Identifier: MIT */
/*
 * rangetree.c - treaps of address ranges with a subtree maximum (see
 * rangetree.h).  Random priorities keep them about 2 ln n deep, so the
 * recursive operations below stay shallow (about 25 levels for 100,000
 * ranges) and every operation is O(log n) expected.
 */
#include <errno.h>
#include <stdlib.h>

#include "rangetree.h"

#define N(p, i) ((p)->node[(i)])

static size_t max3(size_t a, size_t b, size_t c)
{
	size_t m = a > b ? a : b;
	return m > c ? m : c;
}

static void pull(struct rt_pool *p, rt_idx i)
{
	struct rt_node *n = &N(p, i);
	n->max = max3(n->len, n->left ? N(p, n->left).max : 0,
		      n->right ? N(p, n->right).max : 0);
}

static uint32_t next_prio(struct rt_pool *p)
{
	uint64_t x = p->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

void rt_pool_init(struct rt_pool *p, uint64_t seed)
{
	*p = (struct rt_pool){.rng = seed | 1};
}

void rt_pool_fini(struct rt_pool *p)
{
	free(p->node);
	p->node = NULL;
	p->cap = p->free_head = p->spare = 0;
}

size_t rt_pool_bytes(const struct rt_pool *p)
{
	return (size_t)p->cap * sizeof(struct rt_node);
}

int rt_reserve(struct rt_pool *p, rt_idx n)
{
	if (p->spare >= n)
		return 0;
	/* Grow by half (at least 16) so that reserving stays amortised O(1). */
	uint64_t want = (uint64_t)p->cap + (n - p->spare);
	uint64_t cap = p->cap ? p->cap + p->cap / 2 : 16;
	if (cap < want)
		cap = want;
	if (cap > UINT32_MAX) {
		errno = ENOMEM;
		return -1;
	}
	struct rt_node *node = realloc(p->node, (size_t)cap * sizeof(*node));
	if (!node) {
		errno = ENOMEM;
		return -1;
	}
	p->node = node;
	/* Entry 0 stays unused; the new entries go on the free list. */
	for (uint64_t i = cap - 1; i >= (p->cap ? p->cap : 1); i--) {
		node[i].left = p->free_head;
		p->free_head = (rt_idx)i;
		p->spare++;
	}
	p->cap = (rt_idx)cap;
	return 0;
}

static rt_idx take(struct rt_pool *p, size_t off, size_t len)
{
	rt_idx i = p->free_head; /* the caller reserved it */
	p->free_head = N(p, i).left;
	p->spare--;
	N(p,
	  i) = (struct rt_node){.off = off, .len = len, .max = len, .prio = next_prio(p)};
	return i;
}

static void give_back(struct rt_pool *p, rt_idx i)
{
	N(p, i).left = p->free_head;
	p->free_head = i;
	p->spare++;
}

/* Splits t into the ranges below off (*lo) and the others (*hi). */
static void split(struct rt_pool *p, rt_idx t, size_t off, rt_idx *lo, rt_idx *hi)
{
	if (!t) {
		*lo = *hi = 0;
		return;
	}
	if (N(p, t).off < off) {
		split(p, N(p, t).right, off, &N(p, t).right, hi);
		*lo = t;
	} else {
		split(p, N(p, t).left, off, lo, &N(p, t).left);
		*hi = t;
	}
	pull(p, t);
}

/* Joins two treaps, every range of a below every range of b. */
static rt_idx join(struct rt_pool *p, rt_idx a, rt_idx b)
{
	if (!a || !b)
		return a ? a : b;
	if (N(p, a).prio >= N(p, b).prio) {
		N(p, a).right = join(p, N(p, a).right, b);
		pull(p, a);
		return a;
	}
	N(p, b).left = join(p, a, N(p, b).left);
	pull(p, b);
	return b;
}

void rt_insert(struct rt_pool *p, struct rt_tree *t, size_t off, size_t len)
{
	rt_idx n = take(p, off, len), lo, hi;
	split(p, t->root, off, &lo, &hi);
	t->root = join(p, join(p, lo, n), hi);
	t->count++;
}

static rt_idx remove_at(struct rt_pool *p, rt_idx t, size_t off, rt_idx *gone)
{
	if (!t)
		return 0;
	struct rt_node *n = &N(p, t);
	if (off == n->off) {
		*gone = t;
		return join(p, n->left, n->right);
	}
	if (off < n->off)
		n->left = remove_at(p, n->left, off, gone);
	else
		n->right = remove_at(p, n->right, off, gone);
	if (*gone)
		pull(p, t);
	return t;
}

size_t rt_remove(struct rt_pool *p, struct rt_tree *t, size_t off)
{
	rt_idx gone = 0;
	t->root = remove_at(p, t->root, off, &gone);
	if (!gone)
		return 0;
	size_t len = N(p, gone).len;
	give_back(p, gone);
	t->count--;
	return len;
}

rt_idx rt_find(const struct rt_pool *p, const struct rt_tree *t, size_t off)
{
	rt_idx i = t->root;
	while (i && N(p, i).off != off)
		i = off < N(p, i).off ? N(p, i).left : N(p, i).right;
	return i;
}

rt_idx rt_first_fit(const struct rt_pool *p, const struct rt_tree *t, size_t len)
{
	rt_idx i = t->root;
	if (!i || N(p, i).max < len)
		return 0;
	for (;;) {
		rt_idx l = N(p, i).left;
		if (l && N(p, l).max >= len)
			i = l;
		else if (N(p, i).len >= len)
			return i;
		else
			i = N(p, i).right; /* its max is >= len: the subtree's is */
	}
}

rt_idx rt_below(const struct rt_pool *p, const struct rt_tree *t, size_t off)
{
	rt_idx i = t->root, best = 0;
	while (i) {
		if (N(p, i).off < off) {
			best = i;
			i = N(p, i).right;
		} else {
			i = N(p, i).left;
		}
	}
	return best;
}

rt_idx rt_at_or_above(const struct rt_pool *p, const struct rt_tree *t, size_t off)
{
	rt_idx i = t->root, best = 0;
	while (i) {
		if (N(p, i).off >= off) {
			best = i;
			i = N(p, i).left;
		} else {
			i = N(p, i).right;
		}
	}
	return best;
}

static void reshape_at(struct rt_pool *p, rt_idx t, rt_idx target, size_t key, size_t off,
		       size_t len)
{
	if (t == target) {
		N(p, t).off = off;
		N(p, t).len = len;
	} else {
		reshape_at(p, key < N(p, t).off ? N(p, t).left : N(p, t).right, target,
			   key, off, len);
	}
	pull(p, t);
}

void rt_reshape(struct rt_pool *p, struct rt_tree *t, rt_idx n, size_t off, size_t len)
{
	reshape_at(p, t->root, n, N(p, n).off, off, len);
}

struct verify {
	const struct rt_pool *p;
	rt_visit_fn visit;
	rt_problem_fn bad;
	void *arg;
	size_t problems, nodes;
	bool have_last;
	size_t last;
};

static void problem(struct verify *v, size_t off, const char *what)
{
	v->problems++;
	if (v->bad)
		v->bad(off, what, v->arg);
}

static void verify_at(struct verify *v, rt_idx t, uint32_t parent_prio, unsigned depth)
{
	const struct rt_pool *p = v->p;
	if (!t)
		return;
	if (t >= p->cap || depth > 1000 || ++v->nodes > p->cap) {
		problem(v, 0, "tree link out of the pool, or a cycle");
		return;
	}
	const struct rt_node *n = &N(p, t);
	if (n->prio > parent_prio)
		problem(v, n->off, "node priority above its parent's");
	verify_at(v, n->left, n->prio, depth + 1);
	if (v->have_last && n->off <= v->last)
		problem(v, n->off, "ranges out of address order");
	v->have_last = true;
	v->last = n->off;
	size_t m = max3(n->len, n->left ? N(p, n->left).max : 0,
			n->right ? N(p, n->right).max : 0);
	if (n->max != m)
		problem(v, n->off, "subtree maximum is wrong");
	if (v->visit)
		v->visit(n, v->arg);
	verify_at(v, n->right, n->prio, depth + 1);
}

size_t rt_verify(const struct rt_pool *p, const struct rt_tree *t, rt_visit_fn visit,
		 rt_problem_fn bad, void *arg)
{
	struct verify v = {.p = p, .visit = visit, .bad = bad, .arg = arg};
	verify_at(&v, t->root, UINT32_MAX, 0);
	if (v.nodes != t->count)
		problem(&v, 0, "node count differs from the tree's count");
	return v.problems;
}
