/* SPDX-License-Identifier: MIT */
/*
 * alloc_backings.c - libshmheap over its other backings, to set beside the
 * POSIX heap of alloc_shmheap.c: "shmheap-file", a heap in a regular file
 * (in $BENCH_FILE_DIR, default /var/tmp, so a disk file rather than tmpfs),
 * and "shmheap-anon", an anonymous heap whose forked children join it
 * through its descriptor.  Only chosen with -a: the default run is unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "shmheap.h"

#define FILE_NAME_MAX 512

struct backing_bench {
	shmheap_memory_handle mem;
	char name[FILE_NAME_MAX]; /* "file:PATH"; empty for an anonymous heap */
};

static void *file_create(size_t bytes)
{
	struct backing_bench *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	const char *dir = getenv("BENCH_FILE_DIR");
	char tag[64];
	bench_shm_name(tag, sizeof(tag), "file", 0);
	bench_shm_forget(tag); /* no /dev/shm object: removed in destroy */
	snprintf(b->name, sizeof(b->name), "file:%s/%s", dir && *dir ? dir : "/var/tmp",
		 tag);
	struct shmheap_options opts = {.flags = SHMHEAP_NO_GROW};
	b->mem = shmheap_create_ex(b->name, bytes, &opts);
	if (!b->mem) {
		perror("shmbench: shmheap_create_ex(file:)");
		free(b);
		return NULL;
	}
	return b;
}

static void prefault(void *heap)
{
	struct backing_bench *b = heap;
	struct shmheap_stats st;
	if (shmheap_stats(b->mem, &st) == 0)
		bench_populate(shmheap_underlying(b->mem), st.heap_size);
}

static int file_attach(void *heap)
{
	struct backing_bench *b = heap;
	b->mem = shmheap_connect(b->name);
	if (!b->mem) {
		perror("shmbench: shmheap_connect(file:)");
		return -1;
	}
	return 0;
}

static void *backing_alloc(void *heap, size_t n)
{
	return shmheap_alloc(((struct backing_bench *)heap)->mem, n);
}

static void backing_free(void *heap, void *p)
{
	shmheap_free(((struct backing_bench *)heap)->mem, p);
}

static void file_destroy(void *heap)
{
	struct backing_bench *b = heap;
	shmheap_destroy(b->name, b->mem);
	free(b);
}

const struct bench_allocator bench_shmheap_file = {
	.name = "shmheap-file",
	.flags = BENCH_SHARED | BENCH_BOUNDED,
	.create = file_create,
	.prefault = prefault,
	.attach_child = file_attach,
	.alloc = backing_alloc,
	.free = backing_free,
	.destroy = file_destroy,
};

static void *anon_create(size_t bytes)
{
	struct backing_bench *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	struct shmheap_options opts = {.flags = SHMHEAP_NO_GROW};
	b->mem = shmheap_create_anonymous(bytes, &opts);
	if (!b->mem) {
		perror("shmbench: shmheap_create_anonymous");
		free(b);
		return NULL;
	}
	return b;
}

/* The child joins through the inherited descriptor, as a connection of its
 * own, the way the POSIX and file children connect by name. */
static int anon_attach(void *heap)
{
	struct backing_bench *b = heap;
	int fd = shmheap_fd(b->mem);
	b->mem = fd < 0 ? NULL : shmheap_connect_fd(fd);
	if (!b->mem) {
		perror("shmbench: shmheap_connect_fd");
		return -1;
	}
	return 0;
}

static void anon_destroy(void *heap)
{
	struct backing_bench *b = heap;
	shmheap_disconnect(b->mem);
	free(b);
}

const struct bench_allocator bench_shmheap_anon = {
	.name = "shmheap-anon",
	.flags = BENCH_SHARED | BENCH_BOUNDED,
	.create = anon_create,
	.prefault = prefault,
	.attach_child = anon_attach,
	.alloc = backing_alloc,
	.free = backing_free,
	.destroy = anon_destroy,
};
