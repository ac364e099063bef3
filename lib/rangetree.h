/* SPDX-License-Identifier: MIT */
/*
 * rangetree.h - ranges [off, off+len) in treaps keyed by off, each node
 * knowing the longest range of its subtree, so that the lowest range of at
 * least n bytes is found in one descent.  The nodes live in a pool of their
 * own (ordinary process memory), never in the memory the ranges describe.
 */
#ifndef SHMHEAP_RANGETREE_H
#define SHMHEAP_RANGETREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t rt_idx; /* a node of the pool; 0 is "none" */

struct rt_node {
	size_t off, len;
	size_t max; /* the longest len in this subtree */
	uint32_t prio;
	rt_idx left, right; /* a free node's left links the pool's free list */
};

struct rt_pool {
	struct rt_node *node; /* node[0] is unused */
	rt_idx cap;	      /* entries of node[] */
	rt_idx free_head;
	rt_idx spare; /* free nodes on the list */
	uint64_t rng; /* priorities */
};

struct rt_tree {
	rt_idx root;
	size_t count;
};

/* The pool is empty; seed makes the priorities. */
void rt_pool_init(struct rt_pool *p, uint64_t seed);
void rt_pool_fini(struct rt_pool *p);
/* Makes sure n nodes can be taken without failing; -1 (ENOMEM) otherwise. */
int rt_reserve(struct rt_pool *p, rt_idx n);
/* Bytes the pool holds. */
size_t rt_pool_bytes(const struct rt_pool *p);

/* Adds [off, off+len), overlapping none of the tree's ranges; needs a reserved node. */
void rt_insert(struct rt_pool *p, struct rt_tree *t, size_t off, size_t len);
/* Removes the range that starts at off; its len, or 0 if there is none. */
size_t rt_remove(struct rt_pool *p, struct rt_tree *t, size_t off);
/* The node of the range starting at off, or 0. */
rt_idx rt_find(const struct rt_pool *p, const struct rt_tree *t, size_t off);
/* The lowest-addressed range of at least len bytes, or 0. */
rt_idx rt_first_fit(const struct rt_pool *p, const struct rt_tree *t, size_t len);
/* The range with the highest off below off, or 0. */
rt_idx rt_below(const struct rt_pool *p, const struct rt_tree *t, size_t off);
/* The range with the lowest off at or above off, or 0. */
rt_idx rt_at_or_above(const struct rt_pool *p, const struct rt_tree *t, size_t off);
/* Node n becomes [off, off+len) without changing its place in address order. */
void rt_reshape(struct rt_pool *p, struct rt_tree *t, rt_idx n, size_t off, size_t len);

/* Verifies order, priorities, maxima and the count; reports each problem
 * with the offending node's off and calls visit() for every node in order.
 * Returns the number of problems. */
typedef void (*rt_problem_fn)(size_t off, const char *problem, void *arg);
typedef void (*rt_visit_fn)(const struct rt_node *n, void *arg);
size_t rt_verify(const struct rt_pool *p, const struct rt_tree *t, rt_visit_fn visit,
		 rt_problem_fn bad, void *arg);

#endif /* SHMHEAP_RANGETREE_H */
