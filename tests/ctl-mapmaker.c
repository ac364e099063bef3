/* SPDX-License-Identifier: MIT */
/*
 * ctl-mapmaker.c - heaps for the tests (and the pictures) of shmheap-ctl map.
 *
 *   firstfit NAME        first fit at work in a heap of a few pages: objects
 *                        of mixed sizes in address order, some freed, then
 *                        smaller ones placed in the first holes they fit
 *   blocks NAME COUNT    COUNT blocks of 16 bytes: objects of 8 bytes, every
 *                        other one freed (the last free block is the rest
 *                        of the heap)
 *   states NAME          a cached heap (made by the caller) with every state:
 *                        objects, free blocks, blocks in this process's
 *                        cache (a child holds them, sleeping, and its pid is
 *                        printed), the cache table and a name
 *
 * Heaps are made by the caller (shmheap-ctl create); NAME is connected to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmheap.h"

#define CHILD_LIFETIME 300

static _Noreturn void die(const char *what, const char *name)
{
	fprintf(stderr, "ctl-mapmaker: %s: %s: %s\n", name, what, strerror(errno));
	exit(1);
}

static shmheap_memory_handle connect_to(const char *name)
{
	shmheap_memory_handle mem = shmheap_connect(name);
	if (!mem)
		die("connect", name);
	return mem;
}

static void *alloc(shmheap_memory_handle mem, size_t n, const char *name)
{
	void *p = shmheap_alloc(mem, n);
	if (!p)
		die("alloc", name);
	return p;
}

/*
 * 24 objects of 96 to 320 bytes from the start of the heap; 8 of them freed
 * (two pairs of neighbours merge), leaving holes of several sizes; then 4
 * new objects, each placed by first fit in the lowest hole it fits, which
 * is not always the one it fits best.
 */
static int firstfit(const char *name)
{
	static const size_t sizes[] = {96, 240, 160, 48, 320, 128};
	static const int freed[] = {2, 5, 6, 9, 13, 14, 17, 20};
	static const size_t later[] = {120, 40, 200, 64};
	shmheap_memory_handle mem = connect_to(name);
	void *obj[24];
	for (int i = 0; i < 24; i++)
		obj[i] = alloc(mem, sizes[i % 6], name);
	for (size_t i = 0; i < sizeof(freed) / sizeof(freed[0]); i++)
		shmheap_free(mem, obj[freed[i]]);
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		alloc(mem, later[i], name);
	shmheap_disconnect(mem);
	return 0;
}

static int blocks(const char *name, const char *count)
{
	long n = strtol(count, NULL, 10);
	if (n < 2)
		return 2;
	shmheap_memory_handle mem = connect_to(name);
	void **obj = malloc((size_t)n * sizeof(*obj));
	if (!obj)
		die("malloc", name);
	for (long i = 0; i < n; i++)
		obj[i] = alloc(mem, 8, name);
	for (long i = 1; i < n; i += 2)
		shmheap_free(mem, obj[i]);
	free(obj);
	shmheap_disconnect(mem);
	return 0;
}

/* A child keeps freed small objects in its cache while it sleeps. */
static int states(const char *name)
{
	shmheap_memory_handle mem = connect_to(name);
	void *a = alloc(mem, 4000, name);
	alloc(mem, 2000, name);
	shmheap_free(mem, a);
	if (shmheap_name_set(mem, "answer",
			     shmheap_ptr_to_handle(mem, alloc(mem, 64, name)), 0) < 0)
		die("name_set", name);
	shmheap_disconnect(mem);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", name);
	if (pid > 0) {
		printf("%ld\n", (long)pid);
		return 0;
	}
	mem = connect_to(name);
	void *small[8];
	for (int i = 0; i < 8; i++)
		small[i] = alloc(mem, 48, name);
	for (int i = 0; i < 8; i += 2)
		shmheap_free(mem, small[i]);
	fclose(stdout);
	sleep(CHILD_LIFETIME);
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
			"Usage: ctl-mapmaker firstfit|blocks|states NAME [COUNT]\n");
		return 2;
	}
	if (strcmp(argv[1], "firstfit") == 0)
		return firstfit(argv[2]);
	if (strcmp(argv[1], "blocks") == 0 && argc > 3)
		return blocks(argv[2], argv[3]);
	if (strcmp(argv[1], "states") == 0)
		return states(argv[2]);
	/* "debug NAME": 0 in a library built with --enable-debug, which verifies
	 * the whole heap after every call (a heap of 1,000,000 blocks would then
	 * take hours to make). */
	if (strcmp(argv[1], "debug") == 0) {
#ifdef SHMHEAP_DEBUG
		return 0;
#else
		return 1;
#endif
	}
	fprintf(stderr, "ctl-mapmaker: unknown command '%s'\n", argv[1]);
	return 2;
}
