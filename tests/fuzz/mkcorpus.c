/* SPDX-License-Identifier: MIT */
/*
 * mkcorpus.c - writes the seed corpus of fuzz-heap: images of real heaps.
 *
 * Usage: mkcorpus DIR.  Each file is fuzz-heap's control byte and then the
 * bytes of a heap's object (the heap, then its free-block index) made
 * through the library: empty, with objects of many
 * sizes, after frees (free blocks of every index), grown, full; a few are
 * repeated with the other control bits, and a few are cut short or damaged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmheap.h"

static const char *dir;
static char name[64];

static void save(const char *file, unsigned ctl, const void *img, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "wb");
	if (!f || fputc((int)ctl, f) == EOF || fwrite(img, 1, len, f) != len ||
	    fclose(f)) {
		fprintf(stderr, "mkcorpus: writing %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* The length of the heap's object: the heap, then its free-block index. */
static size_t object_len(void)
{
	struct shmheap_info in;
	if (shmheap_info(name, &in) < 0) {
		fprintf(stderr, "mkcorpus: %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return in.object_size;
}

static void save_heap(const char *file, shmheap_memory_handle mem)
{
	if (shmheap_check(mem, NULL, NULL) != 0) {
		fprintf(stderr, "mkcorpus: %s: the heap is not sound\n", file);
		exit(1);
	}
	save(file, 0, shmheap_underlying(mem), object_len());
}

static shmheap_memory_handle make(size_t len, size_t max)
{
	struct shmheap_options o = {.max_size = max, .flags = max ? 0 : SHMHEAP_NO_GROW};
	shm_unlink(name); /* left by an earlier run that failed */
	shmheap_memory_handle mem = shmheap_create_ex(name, len, &o);
	if (!mem) {
		fprintf(stderr, "mkcorpus: creating %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return mem;
}

static void done(shmheap_memory_handle mem)
{
	shmheap_destroy(name, mem);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	dir = argv[1];
	snprintf(name, sizeof(name), "/shmheap-mkcorpus-%d", (int)getpid());
	void *p[256];
	shmheap_memory_handle mem;

	mem = make(4096, 0);
	save_heap("empty-4k", mem);
	save("empty-4k-exact", 2, shmheap_underlying(mem), object_len());
	save("empty-4k-rawmutex", 1, shmheap_underlying(mem), object_len());
	save("empty-4k-short", 0, shmheap_underlying(mem), 200);
	done(mem);

	mem = make(8192, 1 << 20);
	save_heap("empty-8k-growable", mem);
	done(mem);

	/* Objects of every small size: blocks of 16, 24, 32 bytes and up. */
	mem = make(8192, 0);
	for (int i = 0; i < 40; i++)
		p[i] = shmheap_alloc(mem, (size_t)(i * 13 % 97));
	save_heap("objects", mem);
	for (int i = 0; i < 40; i += 3)
		shmheap_free(mem, p[i]);
	save_heap("objects-after-frees", mem);
	for (int i = 1; i < 40; i += 3)
		shmheap_free(mem, p[i]);
	save_heap("objects-after-more-frees", mem);
	done(mem);

	/* 16- and 24-byte holes: the tiny treap and the small main blocks. */
	mem = make(4096, 0);
	for (int i = 0; i < 60; i++)
		p[i] = shmheap_alloc(mem, i % 2 ? 8 : 16);
	for (int i = 0; i < 60; i += 2)
		shmheap_free(mem, p[i + (i / 2) % 2]);
	save_heap("tiny-holes", mem);
	done(mem);

	/* Full: allocated until ENOMEM. */
	mem = make(4096, 0);
	int n = 0;
	while (n < 256 && (p[n] = shmheap_alloc(mem, 24 + (size_t)n % 5 * 8)))
		n++;
	save_heap("full", mem);
	shmheap_free(mem, p[n / 2]);
	save_heap("full-one-hole", mem);
	done(mem);

	/* Grown: 4 KiB at first, then objects that do not fit. */
	mem = make(4096, 64 << 10);
	for (int i = 0; i < 6; i++)
		p[i] = shmheap_alloc(mem, 1500);
	save_heap("grown", mem);
	shmheap_free(mem, p[5]);
	shmheap_free(mem, p[1]);
	save_heap("grown-after-frees", mem);
	done(mem);

	/* Everything freed again: one free block. */
	mem = make(8192, 0);
	for (int i = 0; i < 30; i++)
		p[i] = shmheap_alloc(mem, (size_t)i * 7);
	for (int i = 29; i >= 0; i--)
		shmheap_free(mem, p[i]);
	save_heap("all-freed", mem);
	done(mem);

	printf("mkcorpus: wrote the seed images to %s\n", dir);
	return 0;
}
