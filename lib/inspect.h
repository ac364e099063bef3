/* SPDX-License-Identifier: MIT */
/*
 * inspect.h - reading a heap that may be damaged or changing, and checking
 * it (inspect.c).
 */
#ifndef SHMHEAP_INSPECT_H
#define SHMHEAP_INSPECT_H

#include <stdint.h>

#include "export.h"
#include "layout.h"
#include "shmheap.h"

struct shmheap_heap;

/*
 * What one reading call sees of a heap: [base, base + end) may be read, and
 * every offset read from the heap is checked against end before it is used;
 * size is what the header says the heap spans (end is at most size, less when
 * the object is truncated); seed is the connection's, read when it connected.
 */
struct heap_view {
	const unsigned char *base;
	const struct heap_header *hdr;
	uint64_t size;
	uint64_t end;
	uint32_t seed;
};

typedef void (*heap_problem_fn)(heap_off off, const char *problem, void *arg);

/* The word at off (below end), read once. */
static inline uint64_t view_word(const struct heap_view *v, heap_off off)
{
	return __atomic_load_n((const uint64_t *)(const void *)(v->base + off),
			       __ATOMIC_RELAXED);
}

/* Calls fn for each block of the chain in address order, until fn returns
 * non-zero (then 0); -1 with errno EUCLEAN when the chain breaks before the
 * heap's end (it is damaged, or its object truncated). */
HIDDEN int heap_view_blocks(const struct heap_view *v,
			    int (*fn)(const struct heap_view *v, heap_off off,
				      uint64_t bw, void *arg),
			    void *arg);
/* 1 when a live block with at least bytes of object starts at obj - 8. */
HIDDEN int heap_view_live(const struct heap_view *v, heap_off obj, uint64_t bytes);
/* Runs fn over a view of the heap: under the read lock, or over a private
 * copy for an unlocked connection. */
HIDDEN int heap_view_run(struct shmheap_heap *h,
			 int (*fn)(const struct heap_view *v, void *arg), void *arg);

/* Checks every invariant, under the lock the caller holds; returns the
 * number of problems. */
HIDDEN int heap_verify(struct shmheap_heap *h, shmheap_problem_fn fn, void *arg);

#endif /* SHMHEAP_INSPECT_H */
