/* SPDX-License-Identifier: MIT */
/*
 * inspect.h - reading a heap that may be damaged or changing through a view
 * (view.h), and checking it (inspect.c).
 */
#ifndef SHMHEAP_INSPECT_H
#define SHMHEAP_INSPECT_H

#include <stdint.h>

#include "export.h"
#include "layout.h"
#include "shmheap.h"
#include "view.h"

struct shmheap_heap;

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
