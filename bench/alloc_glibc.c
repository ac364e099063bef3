/* SPDX-License-Identifier: MIT */
/*
 * alloc_glibc.c - glibc malloc, the private-memory reference.  It has no heap
 * to create: the size only says how much to make resident beforehand.  Forked
 * children each use their own private malloc (nothing is shared).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define CHUNK ((size_t)1 << 20)

static size_t glibc_bytes;

static void *glibc_create(size_t bytes)
{
	glibc_bytes = bytes;
	return &glibc_bytes;
}

/*
 * Touch the memory through malloc itself and keep it: 1 MiB chunks stay in the
 * main arena (below the mmap threshold) and are not trimmed when freed.
 */
static void glibc_prefault(void *heap)
{
	static int tuned;
	if (!tuned) {
		mallopt(M_MMAP_THRESHOLD, 32 << 20);
		mallopt(M_TRIM_THRESHOLD, 1 << 30);
		tuned = 1;
	}
	size_t n = *(size_t *)heap / CHUNK;
	void **chunks = calloc(n, sizeof(*chunks));
	if (!chunks)
		return;
	for (size_t i = 0; i < n; i++)
		if ((chunks[i] = malloc(CHUNK)))
			memset(chunks[i], 0, CHUNK);
	for (size_t i = 0; i < n; i++)
		free(chunks[i]);
	free(chunks);
}

static void *glibc_alloc(void *heap, size_t n)
{
	(void)heap;
	return malloc(n);
}

static void glibc_free(void *heap, void *p)
{
	(void)heap;
	free(p);
}

static void glibc_destroy(void *heap)
{
	(void)heap;
}

const struct bench_allocator bench_glibc = {
	.name = "glibc",
	.flags = 0,
	.create = glibc_create,
	.prefault = glibc_prefault,
	.attach_child = NULL,
	.alloc = glibc_alloc,
	.free = glibc_free,
	.destroy = glibc_destroy,
};
