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
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* Longer pairs are recorded as this (4.29 s): the percentiles do not care. */
#define TAIL_CAP_NS UINT32_MAX

static void __attribute__((noreturn))
tail_child(const struct bench_allocator *a, void *heap, const struct churn_op *ops,
	   size_t nops, uint32_t nslots, uint32_t *lat, int ready_fd, int go_fd)
{
	void **slots = calloc(nslots, sizeof(*slots));
	char c = 'r';
	if (!slots || (a->attach_child && a->attach_child(heap) < 0))
		c = 'f';
	if (write(ready_fd, &c, 1) != 1 || c == 'f')
		_exit(1);
	while (read(go_fd, &c, 1) > 0)
		;
	for (size_t i = 0; i < nops; i++) {
		void **slot = &slots[ops[i].slot];
		uint64_t t0 = bench_now_ns();
		if (*slot)
			a->free(heap, *slot);
		uint64_t *p = a->alloc(heap, ops[i].size);
		uint64_t took = bench_now_ns() - t0;
		*slot = p;
		if (!p)
			_exit(2);
		*p = i;
		lat[i] = took < TAIL_CAP_NS ? (uint32_t)took : TAIL_CAP_NS;
	}
	_exit(0);
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
	int ready[2], go[2], failed = 0;
	unsigned started = 0;

	uint32_t *lat = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED) {
		perror("shmbench: tail: mmap");
		return -1;
	}
	bench_populate(lat, bytes);
	if (pipe(ready) < 0 || pipe(go) < 0) {
		perror("shmbench: pipe");
		munmap(lat, bytes);
		return -1;
	}
	fflush(NULL);
	for (; started < nprocs; started++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("shmbench: fork");
			failed = 1;
			break;
		}
		if (!pid) {
			close(ready[0]);
			close(go[1]);
			tail_child(a, heap, ops[started], nops, nslots,
				   lat + (size_t)started * nops, ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (unsigned i = 0; i < started; i++) {
		char c;
		if (read(ready[0], &c, 1) != 1 || c != 'r')
			failed = 1;
	}
	close(ready[0]);
	close(go[1]);
	for (unsigned i = 0; i < started; i++) {
		int status;
		if (wait(&status) < 0) {
			perror("shmbench: wait");
			failed = 1;
			break;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr,
				"shmbench: %s: a tail process failed (status %#x)\n",
				a->name, status);
			failed = 1;
		}
	}
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
