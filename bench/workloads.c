/* SPDX-License-Identifier: MIT */
/*
 * workloads.c - the timed workloads, written once against struct
 * bench_allocator.  Only the operations themselves are timed: setting up the
 * fragmentation of W2 and releasing what is left at the end are not.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static void *checked_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p) {
		perror("shmbench");
		exit(1);
	}
	return p;
}

static void release_all(const struct bench_allocator *a, void *heap, void **objs,
			size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (objs[i])
			a->free(heap, objs[i]);
}

/* The loop of W1 and W3; 0, or -1 when an allocation failed. */
static int replay(const struct bench_allocator *a, void *heap, const struct churn_op *ops,
		  size_t nops, void **slots)
{
	for (size_t i = 0; i < nops; i++) {
		void **slot = &slots[ops[i].slot];
		if (*slot)
			a->free(heap, *slot);
		uint64_t *p = a->alloc(heap, ops[i].size);
		*slot = p;
		if (!p)
			return -1;
		*p = i; /* the user's first write: the object's cache line */
	}
	return 0;
}

double bench_churn(const struct bench_allocator *a, void *heap,
		   const struct churn_op *ops, size_t nops, uint32_t nslots, double *cpu)
{
	void **slots = checked_calloc(nslots, sizeof(*slots));
	uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
	int r = replay(a, heap, ops, nops, slots);
	uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
	*cpu = (double)(c1 - c0) / (double)nops;
	release_all(a, heap, slots, nslots);
	free(slots);
	if (r < 0) {
		fprintf(stderr, "shmbench: %s: W1 allocation failed\n", a->name);
		return -1;
	}
	return (double)(t1 - t0) / (double)nops;
}

double bench_fragmented(const struct bench_allocator *a, void *heap, size_t holes,
			size_t small, size_t allocs, size_t big, double *cpu)
{
	size_t nsmall = 2 * holes;
	void **smalls = checked_calloc(nsmall, sizeof(*smalls));
	void **bigs = checked_calloc(allocs, sizeof(*bigs));
	double result = -1;

	for (size_t i = 0; i < nsmall; i++) {
		if (!(smalls[i] = a->alloc(heap, small))) {
			fprintf(stderr, "shmbench: %s: W2 setup allocation %zu failed\n",
				a->name, i);
			goto out;
		}
	}
	for (size_t i = 1; i < nsmall; i += 2) {
		a->free(heap, smalls[i]);
		smalls[i] = NULL;
	}

	uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
	for (size_t i = 0; i < allocs; i++) {
		uint64_t *p = a->alloc(heap, big);
		bigs[i] = p;
		if (!p)
			break;
		*p = i;
	}
	uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
	*cpu = (double)(c1 - c0) / (double)allocs;
	if (allocs && !bigs[allocs - 1])
		fprintf(stderr, "shmbench: %s: W2 allocation failed\n", a->name);
	else
		result = (double)(t1 - t0) / (double)allocs;
out:
	release_all(a, heap, bigs, allocs);
	release_all(a, heap, smalls, nsmall);
	free(bigs);
	free(smalls);
	return result;
}

int bench_churn_prepare(void *arg, unsigned i)
{
	struct bench_churn_arg *ca = arg;
	(void)i;
	ca->slots = calloc(ca->nslots, sizeof(*ca->slots));
	if (!ca->slots) {
		perror("shmbench");
		return -1;
	}
	return 0;
}

/* One W3 worker, once all have started. */
static int procs_run(void *arg, unsigned i)
{
	struct bench_churn_arg *ca = arg;
	int r = replay(ca->a, ca->heap, ca->ops[i], ca->nops, ca->slots);
	/* No release: the heap is destroyed as a whole; exit ends the timing. */
	return r < 0 ? 2 : 0;
}

double bench_procs(const struct bench_allocator *a, void *heap, unsigned nprocs,
		   struct churn_op *const *ops, size_t nops, uint32_t nslots, long *vcsw,
		   double *cpu)
{
	struct bench_churn_arg ca = {a, heap, ops, nops, nslots, NULL};
	const struct bench_spawn s = {.a = a,
				      .heap = heap,
				      .nprocs = nprocs,
				      .what = "W3",
				      .prepare = bench_churn_prepare,
				      .run = procs_run,
				      .arg = &ca};
	struct bench_spawn_stats st;
	int r = bench_spawn(&s, &st);
	*vcsw = st.vcsw;
	*cpu = st.cpu_ns / ((double)nprocs * (double)nops);
	if (r < 0)
		return -1;
	return (double)nprocs * (double)nops * 1e9 / (double)(st.end_ns - st.start_ns);
}

size_t bench_fill(const struct bench_allocator *a, void *heap, size_t size)
{
	size_t n = 0;
	while (a->alloc(heap, size))
		n++;
	return n;
}
