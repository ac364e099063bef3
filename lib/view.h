/* SPDX-License-Identifier: MIT */
/*
 * view.h - a heap as one reading call sees it.  The views are made, and the
 * chain walked through them, by inspect.c (inspect.h); layers read their own
 * structures through them (layer.h).
 */
#ifndef SHMHEAP_VIEW_H
#define SHMHEAP_VIEW_H

#include <stdint.h>

#include "heapread.h"
#include "layout.h"

/*
 * What one reading call sees of a heap: [0, end) may be read through r (the
 * mapping under the lock, or bounded windows for an unlocked connection:
 * heapread.h), and every offset read from the heap is checked against end
 * before it is used; hdr is the header, read once into a copy; size is what
 * it says the heap spans (end is at most size, less when the object is
 * truncated); seed is the connection's, read when it connected.
 */
struct heap_view {
	struct heap_reader r;
	const struct heap_header *hdr;
	uint64_t size;
	uint64_t end;
	uint32_t seed;
};

typedef void (*heap_problem_fn)(heap_off off, const char *problem, void *arg);

/* The word at off (below end), read once. */
static inline uint64_t view_word(const struct heap_view *v, heap_off off)
{
	return hr_word(&v->r, off);
}

#endif /* SHMHEAP_VIEW_H */
