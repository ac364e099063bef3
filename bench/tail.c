/* SPDX-License-Identifier: MIT */
/*
 * tail.c - tail latency: nprocs forked processes replay W1's churn on one
 * shared heap at once (as in W3), and every free+alloc pair is timed on its
 * own.  The latencies of all processes go to one shared array, and the
 * percentiles are taken over all of them: what a call costs when another
 * process is using the heap at the same moment, waits for the lock included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bench.h"

/* Longer pairs are recorded as this (4.29 s): the percentiles do not care. */
#define TAIL_CAP_NS UINT32_MAX

/* A tail worker's share (as W3's), and where its nops latencies go:
 * lat + i * nops of the shared array. */
struct tail_arg {
	struct bench_churn_arg churn; /* first: bench_churn_prepare's argument */
	uint32_t *lat;
};

static int tail_run(void *arg, unsigned w)
{
	struct tail_arg *ta = arg;
	const struct bench_churn_arg *ca = &ta->churn;
	const struct churn_op *ops = ca->ops[w];
	uint32_t *lat = ta->lat + (size_t)w * ca->nops;
	for (size_t i = 0; i < ca->nops; i++) {
		void **slot = &ca->slots[ops[i].slot];
		uint64_t t0 = bench_now_ns();
		if (*slot)
			ca->a->free(ca->heap, *slot);
		uint64_t *p = ca->a->alloc(ca->heap, ops[i].size);
		uint64_t took = bench_now_ns() - t0;
		*slot = p;
		if (!p)
			return 2;
		*p = i;
		lat[i] = took < TAIL_CAP_NS ? (uint32_t)took : TAIL_CAP_NS;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static double percentile(const uint32_t *sorted, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

int bench_tail(const struct bench_allocator *a, void *heap, unsigned nprocs,
	       struct churn_op *const *ops, size_t nops, uint32_t nslots,
	       struct bench_tail_result *res)
{
	size_t n = (size_t)nprocs * nops;
	size_t bytes = n * sizeof(uint32_t);

	uint32_t *lat = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED) {
		perror("shmbench: tail: mmap");
		return -1;
	}
	bench_populate(lat, bytes);
	struct tail_arg ta = {{a, heap, ops, nops, nslots, NULL}, lat};
	const struct bench_spawn s = {.a = a,
				      .heap = heap,
				      .nprocs = nprocs,
				      .what = "tail",
				      .prepare = bench_churn_prepare,
				      .run = tail_run,
				      .arg = &ta};
	struct bench_spawn_stats st;
	int failed = bench_spawn(&s, &st) < 0;
	if (!failed) {
		qsort(lat, n, sizeof(*lat), cmp_u32);
		res->p50 = percentile(lat, n, 0.50);
		res->p99 = percentile(lat, n, 0.99);
		res->p999 = percentile(lat, n, 0.999);
		res->max = lat[n - 1];
	}
	munmap(lat, bytes);
	return failed ? -1 : 0;
}
