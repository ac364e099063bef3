/* SPDX-License-Identifier: MIT */
/*
 * alloc_shmheap_cached.c - libshmheap's cached heaps (SHMHEAP_CACHED) under
 * test: like alloc_shmheap.c, a fixed-size heap of the workload's size, but
 * each process allocates and frees small objects through its own cache.
 * Forked children connect by name, so each gets a cache of its own.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "shmheap.h"

struct cached_bench {
	shmheap_memory_handle mem;
	char name[64];
};

static void *cached_bench_create(size_t bytes)
{
	struct cached_bench *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	bench_shm_name(b->name, sizeof(b->name), "shmheap-cached", 1);
	struct shmheap_options opts = {.flags = SHMHEAP_NO_GROW | SHMHEAP_CACHED};
	b->mem = shmheap_create_ex(b->name, bytes, &opts);
	if (!b->mem) {
		perror("shmbench: shmheap_create_ex");
		bench_shm_forget(b->name);
		free(b);
		return NULL;
	}
	return b;
}

static void cached_bench_prefault(void *heap)
{
	struct cached_bench *b = heap;
	struct shmheap_stats st;
	if (shmheap_stats(b->mem, &st) == 0)
		bench_populate(shmheap_underlying(b->mem), st.heap_size);
}

static int cached_bench_attach(void *heap)
{
	struct cached_bench *b = heap;
	/* The inherited connection's cache stays the parent's. */
	b->mem = shmheap_connect(b->name);
	if (!b->mem) {
		perror("shmbench: shmheap_connect");
		return -1;
	}
	return 0;
}

static void *cached_bench_alloc(void *heap, size_t n)
{
	return shmheap_alloc(((struct cached_bench *)heap)->mem, n);
}

static void cached_bench_free(void *heap, void *p)
{
	shmheap_free(((struct cached_bench *)heap)->mem, p);
}

static void cached_bench_destroy(void *heap)
{
	struct cached_bench *b = heap;
	shmheap_destroy(b->name, b->mem);
	bench_shm_forget(b->name);
	free(b);
}

const struct bench_allocator bench_shmheap_cached = {
	.name = "shmheap-cached",
	.flags = BENCH_SHARED | BENCH_BOUNDED,
	.create = cached_bench_create,
	.prefault = cached_bench_prefault,
	.attach_child = cached_bench_attach,
	.alloc = cached_bench_alloc,
	.free = cached_bench_free,
	.destroy = cached_bench_destroy,
};
