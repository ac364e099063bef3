/* SPDX-License-Identifier: MIT */
/*
 * alloc_shmheap.c - libshmheap under test: a fixed-size heap
 * (SHMHEAP_NO_GROW) of the workload's size, like the competitors' segments,
 * in two kinds: "shmheap" (exact first fit) and "shmheap-cached"
 * (SHMHEAP_CACHED: each process allocates and frees small objects through a
 * cache of its own).  Forked children connect by name, as cooperating
 * processes would, so each also gets a cache of its own.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "shmheap.h"

struct shmheap_bench {
	shmheap_memory_handle mem;
	char name[64];
};

static void *create_heap(size_t bytes, const char *label, unsigned flags)
{
	struct shmheap_bench *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	bench_shm_name(b->name, sizeof(b->name), label, 1);
	struct shmheap_options opts = {.flags = SHMHEAP_NO_GROW | flags};
	b->mem = shmheap_create_ex(b->name, bytes, &opts);
	if (!b->mem) {
		perror("shmbench: shmheap_create_ex");
		bench_shm_forget(b->name);
		free(b);
		return NULL;
	}
	return b;
}

static void *shmheap_bench_create(size_t bytes)
{
	return create_heap(bytes, "shmheap", 0);
}

static void *cached_bench_create(size_t bytes)
{
	return create_heap(bytes, "shmheap-cached", SHMHEAP_CACHED);
}

static void shmheap_bench_prefault(void *heap)
{
	struct shmheap_bench *b = heap;
	struct shmheap_stats st;
	if (shmheap_stats(b->mem, &st) == 0)
		bench_populate(shmheap_underlying(b->mem), st.heap_size);
}

static int shmheap_bench_attach(void *heap)
{
	struct shmheap_bench *b = heap;
	/* The inherited connection (and its cache) stays the parent's; this
	 * one is the child's. */
	b->mem = shmheap_connect(b->name);
	if (!b->mem) {
		perror("shmbench: shmheap_connect");
		return -1;
	}
	return 0;
}

static void *shmheap_bench_alloc(void *heap, size_t n)
{
	return shmheap_alloc(((struct shmheap_bench *)heap)->mem, n);
}

static void shmheap_bench_free(void *heap, void *p)
{
	shmheap_free(((struct shmheap_bench *)heap)->mem, p);
}

static void shmheap_bench_destroy(void *heap)
{
	struct shmheap_bench *b = heap;
	shmheap_destroy(b->name, b->mem);
	bench_shm_forget(b->name);
	free(b);
}

const struct bench_allocator bench_shmheap = {
	.name = "shmheap",
	.flags = BENCH_SHARED | BENCH_BOUNDED,
	.create = shmheap_bench_create,
	.prefault = shmheap_bench_prefault,
	.attach_child = shmheap_bench_attach,
	.alloc = shmheap_bench_alloc,
	.free = shmheap_bench_free,
	.destroy = shmheap_bench_destroy,
};

const struct bench_allocator bench_shmheap_cached = {
	.name = "shmheap-cached",
	.flags = BENCH_SHARED | BENCH_BOUNDED,
	.create = cached_bench_create,
	.prefault = shmheap_bench_prefault,
	.attach_child = shmheap_bench_attach,
	.alloc = shmheap_bench_alloc,
	.free = shmheap_bench_free,
	.destroy = shmheap_bench_destroy,
};
