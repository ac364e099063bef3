/* SPDX-License-Identifier: MIT */
/*
 * alloc_pages.c - libshmheap's private page manager (shmheap_pages), whose
 * bookkeeping lives outside the region it manages: a region of the
 * workload's size mapped by shmheap_pages_create.  Sizes are rounded up to
 * 8, which the manager requires.  Private: forked children each use their
 * own copy, as with glibc.
 */
#include <stdio.h>

#include "bench.h"
#include "shmheap_pages.h"

static void *pages_create(size_t bytes)
{
	shmheap_pages *pm = shmheap_pages_create(bytes);
	if (!pm)
		perror("shmbench: shmheap_pages_create");
	return pm;
}

static void pages_prefault(void *heap)
{
	struct shmheap_pages_stats st;
	if (shmheap_pages_stats(heap, &st) == 0)
		bench_populate(shmheap_pages_base(heap), st.size);
}

static void *pages_alloc(void *heap, size_t n)
{
	return shmheap_pages_alloc(heap, (n + 7) & ~(size_t)7);
}

static void pages_free(void *heap, void *p)
{
	shmheap_pages_free(heap, p);
}

static void pages_destroy(void *heap)
{
	shmheap_pages_destroy(heap);
}

const struct bench_allocator bench_pages = {
	.name = "pages",
	.flags = BENCH_BOUNDED,
	.create = pages_create,
	.prefault = pages_prefault,
	.attach_child = NULL,
	.alloc = pages_alloc,
	.free = pages_free,
	.destroy = pages_destroy,
};
