/* SPDX-License-Identifier: MIT */
/*
 * freeindex.h - the index of free blocks.  A heap made since 0.6.0 keeps it
 * in a flat map after its last block (HEAP_FLAG_FITMAP, fitmap.c); an older
 * heap keeps it inside the free blocks, as treaps (freeindex.c), and goes on
 * doing so.  Every fi_ call serves both.
 */
#ifndef SHMHEAP_FREEINDEX_H
#define SHMHEAP_FREEINDEX_H

#include "fitmap.h"
#include "layout.h"

/*
 * With random priorities a treap of 2^31 nodes is about 45 deep and almost
 * never deeper than 100; a deeper one was built by a corrupted or hostile
 * heap image, and is refused before the recursive operations walk it.
 */
#define FI_MAX_DEPTH 256

/*
 * The two treaps of one heap (see layout.h), as one connection sees them.
 * Every link is checked before it is followed (its node's words lie in the
 * mapping; no path is deeper than FI_MAX_DEPTH), and a block handed to the
 * caller is checked whole (free, of its treap's sizes, inside the mapping):
 * an operation that meets a bad one stops there and sets *damaged, which
 * the end of the locked call turns into EUCLEAN (lock.h, heap_end_call).
 */
struct free_index {
	unsigned char *base;
	struct heap_header *hdr;
	const size_t *mapped; /* the connection's mapped bytes */
	int *damaged;	      /* set when damage was met (under the lock) */
	bool flat;	      /* the heap keeps a fitmap (HEAP_FLAG_FITMAP) */
	struct fm_place *place; /* where it lies, kept by the connection */
};

/* A path from the main treap's root, as fi_first_fit leaves it. */
struct fi_path {
	unsigned depth;
	uint64_t last_max; /* the subtree maximum of the path's last node */
	heap_unit node[FI_MAX_DEPTH];
};

/* The lowest-addressed free block of at least need bytes, or 0.  When path
 * is given it receives the path to that block if the main treap holds it;
 * fi_remove and fi_move then skip walking down again. */
heap_off fi_first_fit(const struct free_index *fi, uint64_t need, struct fi_path *path);

/* The lowest-addressed free block at offset from or above of at least need
 * bytes, or 0 (aligned allocation walks the candidates with it). */
heap_off fi_first_fit_from(const struct free_index *fi, uint64_t need, heap_off from);

/* Adds the free block at off; its block word (size, priority) is written. */
void fi_insert(const struct free_index *fi, heap_off off);

/* Removes the free block at off, whose words (size, links, maximum) are still
 * intact; path is fi_first_fit's or NULL. */
void fi_remove(const struct free_index *fi, heap_off off, const struct fi_path *path);

/*
 * The large free block at old_off becomes the block at new_off, taking its
 * place in address order and its priority: new_off's block word is written,
 * old_off's links are still intact.  No other free block lies between them.
 * path is fi_first_fit's or NULL.
 */
void fi_move(const struct free_index *fi, heap_off old_off, heap_off new_off,
	     const struct fi_path *path);

/* The large free block at off has grown in place; its block word is written. */
void fi_grown(const struct free_index *fi, heap_off off);

/* The highest-addressed free block, or 0. */
heap_off fi_last(const struct free_index *fi);

/* Empties the index (before it is rebuilt from the blocks). */
void fi_clear(const struct free_index *fi);

/* The highest-addressed free block at or below off, or 0. */
heap_off fi_free_at_or_below(const struct free_index *fi, heap_off off);

/*
 * Verifies one treap (the tiny one or the main one, from its root): key
 * order, priorities, subtree maxima, that every node is a free block of the
 * right size inside the heap.  Reads the heap through r (heapread.h), no
 * node at or above heap_size.  Calls fn() for each node in address order,
 * with its block word, and bad() for each problem; returns the number of
 * problems.
 */
struct heap_reader;
typedef void (*fi_problem_fn)(heap_off off, const char *problem, void *arg);
typedef void (*fi_node_fn)(heap_off off, uint64_t bw, void *arg);
size_t fi_verify(const struct heap_reader *r, heap_unit root, bool tiny,
		 uint64_t heap_size, fi_node_fn fn, fi_problem_fn bad, void *arg);

#endif /* SHMHEAP_FREEINDEX_H */
