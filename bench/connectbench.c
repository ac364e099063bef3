/* SPDX-License-Identifier: MIT */
/*
 * connectbench.c - what shmheap_connect costs as heaps grow (issue 33).
 *
 * For each heap size it creates a heap, fills it with objects of 48 bytes
 * (blocks of 56), frees every other one (so half of the blocks are free and
 * in the free index), then connects and disconnects many times and prints
 * the median, 90th percentile and longest connect, next to a few connects
 * with SHMHEAP_CONNECT_VERIFY (the full check every connect made before).
 * One heap exists at a time; each is destroyed before the next is made.
 * The "8M blocks" row is the heap: 4,000,000 live objects of 48 bytes
 * between 4,000,000 free blocks.  Not a test: the figures depend on the
 * machine, whose load average is printed before and after.
 *
 *   bench/connectbench [connects [largest_mib]]     (default 201 2048)
 *
 * Needs largest_mib of free /dev/shm (and memory).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmheap.h>

#include "bench.h"

#define OBJECT 48u
#define BLOCK 56u /* the object and its block word */
#define VERIFY_CONNECTS 3

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double load_now(void)
{
	double l[1];
	return getloadavg(l, 1) == 1 ? l[0] : -1;
}

/* Fills mem with objects of 48 bytes, at most max of them, and frees every
 * other one; the number of blocks in its chain, or 0 on failure. */
static size_t fill(shmheap_memory_handle mem, size_t max)
{
	void **p = malloc(max * sizeof(*p));
	if (!p)
		return 0;
	size_t n = 0;
	while (n < max && (p[n] = shmheap_alloc(mem, OBJECT)))
		n++;
	for (size_t i = 0; i < n; i += 2)
		shmheap_free(mem, p[i]);
	free(p);
	return n;
}

/* The time of one connect, or 0 on failure (disconnects after timing). */
static uint64_t time_connect(const char *name, unsigned flags)
{
	struct shmheap_connect_options o = {.flags = flags};
	uint64_t t0 = bench_now_ns();
	shmheap_memory_handle c = flags ? shmheap_connect_ex(name, &o)
					: shmheap_connect(name);
	uint64_t t = bench_now_ns() - t0;
	if (!c) {
		fprintf(stderr, "connectbench: connect %s: %s\n", name, strerror(errno));
		return 0;
	}
	shmheap_disconnect(c);
	return t ? t : 1;
}

static int one_size(const char *label, size_t bytes, size_t max_objects,
		    unsigned connects)
{
	char name[64];
	snprintf(name, sizeof(name), "/shmheap-connectbench-%ld", (long)getpid());
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	shmheap_memory_handle mem = shmheap_create_ex(name, bytes, &o);
	if (!mem) {
		fprintf(stderr, "connectbench: create %zu bytes: %s\n", bytes,
			strerror(errno));
		return -1;
	}
	uint64_t t0 = bench_now_ns();
	size_t blocks = fill(mem, max_objects);
	double fill_s = (double)(bench_now_ns() - t0) / 1e9;
	uint64_t *t = malloc(connects * sizeof(*t));
	int ret = blocks && t ? 0 : -1;
	if (ret)
		fprintf(stderr, "connectbench: filling the heap failed\n");
	for (unsigned i = 0; i < connects && !ret; i++)
		if (!(t[i] = time_connect(name, 0)))
			ret = -1;
	uint64_t v[VERIFY_CONNECTS];
	for (unsigned i = 0; i < VERIFY_CONNECTS && !ret; i++)
		if (!(v[i] = time_connect(name, SHMHEAP_CONNECT_VERIFY)))
			ret = -1;
	if (!ret) {
		qsort(t, connects, sizeof(*t), cmp_u64);
		qsort(v, VERIFY_CONNECTS, sizeof(*v), cmp_u64);
		printf("%-10s %9.1f %10zu %9.3f %9.3f %9.3f %12.3f %7.1f\n", label,
		       (double)bytes / (1 << 20), blocks, (double)t[connects / 2] / 1e3,
		       (double)t[connects * 9 / 10] / 1e3, (double)t[connects - 1] / 1e3,
		       (double)v[VERIFY_CONNECTS / 2] / 1e3, fill_s);
		fflush(stdout);
	}
	free(t);
	shmheap_destroy(name, mem);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned connects = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 201;
	size_t largest = argc > 2 ? strtoul(argv[2], NULL, 10) : 2048;
	if (connects < 1 || largest < 1) {
		fprintf(stderr, "usage: connectbench [connects [largest_mib]]\n");
		return 2;
	}
	printf("# connectbench: %u connects per heap; load average %.2f at the start\n",
	       connects, load_now());
	printf("# times in us: connect median, p90, longest; with "
	       "SHMHEAP_CONNECT_VERIFY median of %d\n",
	       VERIFY_CONNECTS);
	printf("%-10s %9s %10s %9s %9s %9s %12s %7s\n", "heap", "MiB", "blocks", "median",
	       "p90", "max", "verify-med", "fill-s");
	int ret = 0;
	for (size_t mib = 1; mib <= largest && !ret; mib *= 4) {
		char label[32];
		snprintf(label, sizeof(label), "%zuM", mib);
		ret = one_size(label, mib << 20, (mib << 20) / BLOCK, connects);
		if (mib < largest && mib * 4 > largest && !ret) {
			snprintf(label, sizeof(label), "%zuM", largest);
			ret = one_size(label, largest << 20, (largest << 20) / BLOCK,
				       connects);
		}
	}
	/* The heap: 8,000,000 blocks, half of them free. */
	size_t blocks = 8000000;
	size_t bytes = (blocks * BLOCK + (1u << 20)) / (1u << 20) * (1u << 20);
	if (!ret && bytes <= largest << 20)
		ret = one_size("8M-blocks", bytes, blocks, connects);
	printf("# load average %.2f at the end\n", load_now());
	return ret ? 1 : 0;
}
