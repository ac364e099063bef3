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
#include <string.h>

#include "freeindex.h"
#include "heapread.h"

struct tree {
	unsigned char *base;
	heap_unit *root;
	bool aug;	/* keeps subtree maxima (the main treap) */
	heap_unit span; /* a node's unit lies in [FI_LO, FI_LO + span], so
			 * that its words lie in the mapped heap */
	uint64_t end;	/* no node's block reaches past this (the mapped heap) */
	int *damaged;	/* set when a bad link is met (freeindex.h) */
};

/* The lowest unit a node may have: the first block's. */
#define FI_LO ((heap_unit)(HEAP_FIRST_BLOCK / HEAP_UNIT))

/* A node's links, left then right, as 32-bit unit offsets in its second word. */
typedef heap_unit link_word __attribute__((may_alias));

static inline uint64_t *node(const struct tree *t, heap_unit u)
{
	return block_word(t->base, unit_to_off(u));
}

static inline link_word *links_of(const struct tree *t, heap_unit u)
{
	return (link_word *)(void *)(t->base + unit_to_off(u) + HEAP_UNIT);
}

static inline uint64_t size_of(const struct tree *t, heap_unit u)
{
	return bw_size(node(t, u)[0]);
}

static inline uint32_t prio_of(const struct tree *t, heap_unit u)
{
	return bw_tag(node(t, u)[0]);
}

static inline void damage(const struct tree *t)
{
	*t->damaged = 1;
}

/*
 * The checks cost one compare per link, on the path every operation walks
 * anyway.  A link is followed only to a unit in [FI_LO, FI_LO + span], where
 * all of a node's words lie in the mapped heap; a link outside is treated as
 * none and the damage noted.  Every walk and recursion stops at
 * FI_MAX_DEPTH (noting damage), so a cycle of links ends too.  So no
 * operation leaves the heap or loops, whatever the links say.  The blocks an
 * operation hands back to its caller (a first fit, the last block) are
 * checked whole (node_ok), since the caller writes by their sizes.  Links in
 * the wrong order are left to shmheap_check: they misplace blocks, never
 * memory.
 */
static inline heap_unit checked(const struct tree *t, heap_unit v)
{
	/* One compare: v - FI_LO wraps above the span for v < FI_LO, 0 too. */
	if (__builtin_expect((heap_unit)(v - FI_LO) > t->span, 0) && v) {
		damage(t);
		return 0;
	}
	return v;
}

/* Whether the block at node u is one this treap may hold: free, of the
 * treap's sizes, and inside the heap. */
static inline bool node_ok(const struct tree *t, heap_unit u)
{
	uint64_t bw = node(t, u)[0], size = bw_size(bw);
	if ((bw & BW_IN_USE) || size > t->end - unit_to_off(u))
		return false;
	return t->aug ? size >= BLOCK_MAIN_MIN : size == BLOCK_MIN;
}

/* u, a node found for the caller, if its block is sound; else 0, noted. */
static inline heap_unit handed_out(const struct tree *t, heap_unit u)
{
	if (u && !node_ok(t, u)) {
		damage(t);
		return 0;
	}
	return u;
}

/* The child of u on side (0 left, 1 right), checked; 0 if none or bad. */
static inline heap_unit child_of(const struct tree *t, heap_unit u, int side)
{
	return checked(t, links_of(t, u)[side]);
}

static inline heap_unit left_of(const struct tree *t, heap_unit u)
{
	return child_of(t, u, 0);
}

static inline heap_unit right_of(const struct tree *t, heap_unit u)
{
	return child_of(t, u, 1);
}

static inline heap_unit root_of(const struct tree *t)
{
	return checked(t, *t->root);
}

/* The outermost node of t on one side (right: the last, else the first), in
 * *out (0: t is empty); false when the walk passed FI_MAX_DEPTH (damage). */
static bool outermost(const struct tree *t, bool right, heap_unit *out)
{
	heap_unit u = root_of(t), next;
	for (unsigned d = 0; u && (next = child_of(t, u, right)); d++) {
		if (d == FI_MAX_DEPTH) {
			damage(t);
			return false;
		}
		u = next;
	}
	*out = u;
	return true;
}

/* The link of u on the side where key belongs. */
static inline link_word *toward(const struct tree *t, heap_unit u, heap_unit key)
{
	return &links_of(t, u)[key > u];
}

/* The child of u on the side where key belongs, checked. */
static inline heap_unit child_toward(const struct tree *t, heap_unit u, heap_unit key)
{
	return child_of(t, u, key > u);
}

/*
 * Stores skip unchanged values: the words stay clean in other processors'
 * caches, which is most of the cost of a lock shared between processes.
 */
static inline void store_link(link_word *slot, heap_unit v)
{
	if (*slot != v)
		*slot = v;
}

static inline void set_links(const struct tree *t, heap_unit u, heap_unit l, heap_unit r)
{
	link_word *k = links_of(t, u);
	store_link(&k[0], l);
	store_link(&k[1], r);
}

static inline uint64_t max_of(const struct tree *t, heap_unit u)
{
	return u ? node(t, u)[2] : 0;
}

static inline void store_max(const struct tree *t, heap_unit u, uint64_t m)
{
	uint64_t *w = &node(t, u)[2];
	if (*w != m)
		*w = m;
}

static inline void raise_max(const struct tree *t, heap_unit u, uint64_t size)
{
	if (node(t, u)[2] < size)
		node(t, u)[2] = size;
}

static inline uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;
	return m > c ? m : c;
}

static inline void update(const struct tree *t, heap_unit u)
{
	if (t->aug)
		store_max(t, u,
			  max3(size_of(t, u), max_of(t, left_of(t, u)),
			       max_of(t, right_of(t, u))));
}

/* The bound is the mapping, what memory may be touched: under the lock it
 * holds the heap's size (lock.c maps what others grew the heap by). */
static inline __attribute__((always_inline)) struct tree tree_for(
	const struct free_index *fi, uint64_t size)
{
	size_t mapped = __atomic_load_n(fi->mapped, __ATOMIC_RELAXED);
	bool aug = size >= BLOCK_MAIN_MIN;
	struct tree t;
	t.base = fi->base;
	t.root = aug ? &fi->hdr->main_root : &fi->hdr->tiny_root;
	t.aug = aug;
	/* A mapping is at least a page: mapped - the words never wraps. */
	t.span = off_to_unit(mapped - (aug ? BLOCK_MAIN_MIN : BLOCK_MIN)) - FI_LO;
	t.end = mapped;
	t.damaged = fi->damaged;
	return t;
}

/*
 * The recursive helpers below only ever work near the bottom of the treap:
 * a new node goes in where its random priority puts it (a small subtree is
 * split), and a removed node's two subtrees are joined along their facing
 * spines.  The paths from the root are walked by loops.
 */

/* Splits subtree u into the keys below key (*l) and above it (*r). */
static void split(const struct tree *t, heap_unit u, heap_unit key, heap_unit *l,
		  heap_unit *r, unsigned depth)
{
	heap_unit part;

	if (u && depth > FI_MAX_DEPTH) {
		damage(t);
		u = 0;
	}
	if (!u) {
		*l = *r = 0;
		return;
	}
	if (u < key) {
		split(t, right_of(t, u), key, &part, r, depth + 1);
		store_link(&links_of(t, u)[1], part);
		*l = u;
	} else {
		split(t, left_of(t, u), key, l, &part, depth + 1);
		store_link(&links_of(t, u)[0], part);
		*r = u;
	}
	update(t, u);
}

/* Joins subtrees a and b, every key of a lying below every key of b. */
static heap_unit merge(const struct tree *t, heap_unit a, heap_unit b, unsigned depth)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (depth > 2 * FI_MAX_DEPTH) {
		damage(t);
		return a;
	}
	if (prio_of(t, a) >= prio_of(t, b)) {
		store_link(&links_of(t, a)[1], merge(t, right_of(t, a), b, depth + 1));
		update(t, a);
		return a;
	}
	store_link(&links_of(t, b)[0], merge(t, a, left_of(t, b), depth + 1));
	update(t, b);
	return b;
}

/* Records the path from the root to key; false if key is not found on it. */
static bool find_path(const struct tree *t, heap_unit key, struct fi_path *p)
{
	p->depth = 0;
	for (heap_unit u = root_of(t); u; u = child_toward(t, u, key)) {
		if (p->depth == FI_MAX_DEPTH) {
			damage(t);
			return false;
		}
		p->node[p->depth++] = u;
		if (u == key)
			return true;
	}
	return false;
}

/* The path to key: the one given if it ends there (fi_first_fit's), else a new one. */
static const struct fi_path *path_to(const struct tree *t, heap_unit key,
				     const struct fi_path *given, struct fi_path *scratch)
{
	if (given && given->depth && given->node[given->depth - 1] == key)
		return given;
	return find_path(t, key, scratch) ? scratch : NULL;
}

/* The link that holds the path's node i. */
static link_word *slot_of(const struct tree *t, const struct fi_path *p, unsigned i)
{
	return i ? toward(t, p->node[i - 1], p->node[i]) : t->root;
}

/* Stands for an old subtree maximum that is not known. */
#define MAX_UNKNOWN UINT64_MAX

/*
 * Node i of the path has a new subtree maximum, below, where it had old
 * (MAX_UNKNOWN if not known): recomputes those of nodes i-1, ... 0.  Once one
 * comes out unchanged, so would every one above.  Knowing old spares most
 * reads of the other child: a maximum that rose only needs comparing, and
 * one that fell matters only to ancestors whose maximum it was.
 */
static void refresh_up(const struct tree *t, const struct fi_path *p, unsigned i,
		       uint64_t below, uint64_t old)
{
	while (i-- > 0) {
		heap_unit u = p->node[i];
		uint64_t cur = node(t, u)[2], m;
		if (old != MAX_UNKNOWN && below >= old) {
			if (cur >= below)
				return;
			m = below;
		} else {
			if (old != MAX_UNKNOWN && cur > old)
				return;
			/* Indexing rather than ?: keeps the side, a coin toss, off
			 * the branch predictor. */
			heap_unit other = child_of(t, u, p->node[i + 1] < u);
			m = max3(size_of(t, u), below, max_of(t, other));
			if (cur == m)
				return;
		}
		node(t, u)[2] = m;
		old = cur;
		below = m;
	}
}

/* Inserts x where its priority puts it, splitting the subtree found there. */
static void tree_insert_split(const struct tree *t, heap_unit x)
{
	uint64_t size = size_of(t, x);
	uint32_t prio = prio_of(t, x);
	link_word *slot = t->root;
	heap_unit u = root_of(t);
	unsigned depth = 0;

	while (u && prio_of(t, u) >= prio) {
		if (++depth > FI_MAX_DEPTH) {
			damage(t);
			return;
		}
		if (t->aug)
			raise_max(t, u, size);
		slot = toward(t, u, x);
		u = child_toward(t, u, x);
	}
	heap_unit l, r;
	split(t, u, x, &l, &r, depth);
	set_links(t, x, l, r);
	update(t, x);
	*slot = x;
}

/*
 * Inserts x as a leaf, raising the maxima on the way down, then rotates it up
 * while its priority beats its parent's: fewer than two rotations expected,
 * each touching nodes near the bottom that are already in the cache, where
 * a split would read the other child of every node on its path.  A path
 * longer than a random treap can have is left to tree_insert_split.
 */
static void tree_insert(const struct tree *t, heap_unit x)
{
	uint64_t size = size_of(t, x);
	uint32_t prio = prio_of(t, x);
	struct fi_path p;
	link_word *slot = t->root;

	p.depth = 0;
	for (heap_unit u = root_of(t); u; u = child_toward(t, u, x)) {
		if (u == x) { /* indexed already: the chain and index disagree */
			damage(t);
			return;
		}
		if (p.depth == FI_MAX_DEPTH) {
			tree_insert_split(t, x);
			return;
		}
		if (t->aug)
			raise_max(t, u, size);
		p.node[p.depth++] = u;
		slot = toward(t, u, x);
	}
	set_links(t, x, 0, 0);
	if (t->aug)
		store_max(t, x, size);
	*slot = x;

	unsigned i = p.depth;
	while (i > 0 && prio_of(t, p.node[i - 1]) < prio) {
		heap_unit parent = p.node[--i];
		link_word *pl = links_of(t, parent), *xl = links_of(t, x);
		int side = x > parent; /* x is parent's right child */
		store_link(&pl[side], xl[!side]);
		store_link(&xl[!side], parent);
		update(t, parent);
		store_link(i ? toward(t, p.node[i - 1], x) : t->root, x);
	}
	if (i < p.depth)
		update(t, x);
}

static void tree_remove(const struct tree *t, heap_unit x, const struct fi_path *given)
{
	struct fi_path scratch;
	const struct fi_path *p = path_to(t, x, given, &scratch);
	if (!p) {
		damage(t); /* a free block the index does not hold */
		return;
	}
	unsigned i = p->depth - 1;
	uint64_t old = t->aug ? node(t, x)[2] : 0;
	heap_unit joined = merge(t, left_of(t, x), right_of(t, x), 0);
	store_link(slot_of(t, p, i), joined);
	if (t->aug)
		refresh_up(t, p, i, max_of(t, joined), old);
}

/* The main treap's node old becomes node new (see fi_move). */
static void tree_move(const struct tree *t, heap_unit old, heap_unit new,
		      const struct fi_path *given)
{
	struct fi_path scratch;
	const struct fi_path *p = path_to(t, old, given, &scratch);
	if (!p) {
		damage(t);
		return;
	}
	unsigned i = p->depth - 1;
	/* old's block word and maximum may lie under new's words by now;
	 * fi_first_fit noted the maximum before anything was written. */
	uint64_t old_max = p == given ? given->last_max : MAX_UNKNOWN;
	heap_unit l = left_of(t, old), r = right_of(t, old);
	set_links(t, new, l, r);
	store_link(slot_of(t, p, i), new);
	update(t, new);
	refresh_up(t, p, i, max_of(t, new), old_max);
}

heap_off fi_first_fit(const struct free_index *fi, uint64_t need, struct fi_path *path)
{
	if (fi->flat) {
		if (path)
			path->depth = 0;
		return fm_first_fit(fi, need);
	}
	struct tree main_t = tree_for(fi, BLOCK_MAIN_MIN);
	heap_unit best = 0;
	heap_unit u = root_of(&main_t);
	unsigned depth = 0;

	if (u && max_of(&main_t, u) >= need) {
		/* The maxima lead straight down to the first fit: one path. */
		for (;;) {
			if (depth == FI_MAX_DEPTH) {
				damage(&main_t);
				break;
			}
			if (path)
				path->node[depth] = u;
			depth++;
			heap_unit l = left_of(&main_t, u);
			if (l && max_of(&main_t, l) >= need) {
				u = l;
			} else if (size_of(&main_t, u) >= need) {
				best = handed_out(&main_t, u);
				if (path)
					path->last_max = max_of(&main_t, u);
				break;
			} else if (!(u = right_of(&main_t, u))) {
				damage(&main_t); /* a maximum no block has */
				break;
			}
		}
	}
	if (path)
		path->depth = best ? depth : 0;
	if (need <= BLOCK_MIN) {
		struct tree tiny = tree_for(fi, BLOCK_MIN);
		heap_unit v;
		if (!outermost(&tiny, false, &v))
			return 0;
		v = handed_out(&tiny, v);
		if (v && (!best || v < best))
			best = v;
	}
	return unit_to_off(best);
}

void fi_insert(const struct free_index *fi, heap_off off)
{
	if (fi->flat) {
		fm_insert(fi, off);
		return;
	}
	struct tree t = tree_for(fi, bw_size(*block_word(fi->base, off)));
	tree_insert(&t, off_to_unit(off));
}

void fi_remove(const struct free_index *fi, heap_off off, const struct fi_path *path)
{
	if (fi->flat) {
		fm_remove(fi, off);
		return;
	}
	struct tree t = tree_for(fi, bw_size(*block_word(fi->base, off)));
	tree_remove(&t, off_to_unit(off), t.aug ? path : NULL);
}

void fi_move(const struct free_index *fi, heap_off old_off, heap_off new_off,
	     const struct fi_path *path)
{
	if (fi->flat) {
		fm_move(fi, old_off, new_off);
		return;
	}
	struct tree t = tree_for(fi, BLOCK_MAIN_MIN);
	tree_move(&t, off_to_unit(old_off), off_to_unit(new_off), path);
}

void fi_grown(const struct free_index *fi, heap_off off)
{
	if (fi->flat) {
		fm_grown(fi, off);
		return;
	}
	struct tree t = tree_for(fi, BLOCK_MAIN_MIN);
	heap_unit key = off_to_unit(off);
	uint64_t size = bw_size(*block_word(fi->base, off));

	/* Growing only raises maxima, so they can be fixed top-down. */
	unsigned depth = 0;
	for (heap_unit u = root_of(&t); u; u = child_toward(&t, u, key)) {
		if (depth++ == FI_MAX_DEPTH) {
			damage(&t);
			return;
		}
		raise_max(&t, u, size);
		if (u == key)
			return;
	}
	damage(&t); /* the block is not indexed */
}

heap_off fi_last(const struct free_index *fi)
{
	if (fi->flat)
		return fm_last(fi);
	heap_unit last = 0;
	for (int tiny = 0; tiny < 2; tiny++) {
		struct tree t = tree_for(fi, tiny ? BLOCK_MIN : BLOCK_MAIN_MIN);
		heap_unit u;
		if (!outermost(&t, true, &u))
			return 0;
		u = handed_out(&t, u);
		if (u > last)
			last = u;
	}
	return unit_to_off(last);
}

void fi_clear(const struct free_index *fi)
{
	if (fi->flat) {
		fm_clear(fi);
		return;
	}
	fi->hdr->main_root = 0;
	fi->hdr->tiny_root = 0;
}

struct verify_ctx {
	const struct heap_reader *r;
	bool aug;
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
 * key bounds make every path finite even in a corrupted heap.  A node's words
 * are read once, through the reader (the heap may be read without its lock).
 */
static uint64_t verify_subtree(struct verify_ctx *c, heap_unit u, uint64_t lo,
			       uint64_t hi, uint32_t prio, unsigned depth)
{
	heap_off off = unit_to_off(u);

	if (!u)
		return 0;
	if (depth > FI_MAX_DEPTH) {
		complain(c, u, "index deeper than a random treap can be");
		return 0;
	}
	if (u <= lo || u >= hi || off < HEAP_FIRST_BLOCK ||
	    off + (c->aug ? BLOCK_MAIN_MIN : BLOCK_MIN) > c->heap_size) {
		complain(c, u, "index link outside its range");
		return 0;
	}
	uint64_t bw = hr_word(c->r, off);
	uint64_t links = hr_word(c->r, off + HEAP_UNIT);
	uint64_t max = c->aug ? hr_word(c->r, off + 2 * HEAP_UNIT) : 0;
	heap_unit child[2]; /* as links_of lays them out */
	memcpy(child, &links, sizeof(child));
	uint64_t size = bw_size(bw);
	if (bw & BW_IN_USE)
		complain(c, u, "index holds a block in use");
	if (size < BLOCK_MIN || off + size > c->heap_size)
		complain(c, u, "indexed block has a bad size");
	else if (c->aug ? size < BLOCK_MAIN_MIN : size != BLOCK_MIN)
		complain(c, u, "indexed block is in the wrong treap");
	if (bw_tag(bw) > prio)
		complain(c, u, "treap priority above its parent's");
	uint64_t lmax = verify_subtree(c, child[0], lo, u, bw_tag(bw), depth + 1);
	if (c->fn)
		c->fn(off, bw, c->arg);
	uint64_t rmax = verify_subtree(c, child[1], u, hi, bw_tag(bw), depth + 1);
	uint64_t m = max3(size, lmax, rmax);
	if (c->aug && max != m)
		complain(c, u, "subtree maximum is wrong");
	return m;
}

size_t fi_verify(const struct heap_reader *r, heap_unit root, bool tiny,
		 uint64_t heap_size, fi_node_fn fn, fi_problem_fn bad, void *arg)
{
	struct verify_ctx c = {r, !tiny, heap_size, fn, bad, arg, 0};
	verify_subtree(&c, root, 0, UINT64_MAX, UINT32_MAX, 0);
	return c.problems;
}

/*
 * The first node of subtree u at unit key or above whose block has at least
 * need bytes (subtree maxima prune the search); 0 if none.  The search may
 * go down both sides of a node, so damaged links (a node reached twice, or a
 * cycle) could make it visit nodes exponentially often within the depth
 * bound: *budget, the most nodes the heap can hold, bounds the visits.
 */
static heap_unit first_from(const struct tree *t, heap_unit u, heap_unit key,
			    uint64_t need, unsigned depth, uint64_t *budget)
{
	if (!u || max_of(t, u) < need)
		return 0;
	if (depth > FI_MAX_DEPTH || !*budget) {
		damage(t);
		return 0;
	}
	--*budget;
	if (u >= key) {
		heap_unit l = first_from(t, left_of(t, u), key, need, depth + 1, budget);
		if (l)
			return l;
		if (size_of(t, u) >= need)
			return u;
	}
	return first_from(t, right_of(t, u), key, need, depth + 1, budget);
}

heap_off fi_first_fit_from(const struct free_index *fi, uint64_t need, heap_off from)
{
	if (fi->flat)
		return fm_first_fit_from(fi, need, from);
	struct tree main_t = tree_for(fi, BLOCK_MAIN_MIN);
	heap_unit key = off_to_unit(from);
	/* A node per BLOCK_MAIN_MIN bytes at most. */
	uint64_t budget = main_t.end / BLOCK_MAIN_MIN + 1;
	heap_unit best = handed_out(&main_t, first_from(&main_t, root_of(&main_t), key,
							need, 0, &budget));

	if (need <= BLOCK_MIN) {
		/* The lowest tiny block at key or above. */
		struct tree tiny = tree_for(fi, BLOCK_MIN);
		heap_unit v = 0;
		unsigned depth = 0;
		for (heap_unit u = root_of(&tiny); u && depth++ < FI_MAX_DEPTH;) {
			if (u >= key) {
				v = u;
				u = left_of(&tiny, u);
			} else {
				u = right_of(&tiny, u);
			}
		}
		v = handed_out(&tiny, v);
		if (v && (!best || v < best))
			best = v;
	}
	return unit_to_off(best);
}

/* The highest-addressed node of treap t at or below unit key; 0 if none. */
static heap_unit at_or_below(const struct tree *t, heap_unit key)
{
	heap_unit best = 0;
	unsigned depth = 0;
	for (heap_unit u = root_of(t); u && depth++ < FI_MAX_DEPTH;) {
		if (u <= key) {
			best = u;
			u = right_of(t, u);
		} else {
			u = left_of(t, u);
		}
	}
	return best;
}

heap_off fi_free_at_or_below(const struct free_index *fi, heap_off off)
{
	if (fi->flat)
		return fm_free_at_or_below(fi, off);
	heap_unit best = 0;
	for (int tiny = 0; tiny < 2; tiny++) {
		struct tree t = tree_for(fi, tiny ? BLOCK_MIN : BLOCK_MAIN_MIN);
		heap_unit u = at_or_below(&t, off_to_unit(off));
		if (u > best)
			best = u;
	}
	return unit_to_off(best);
}
