/* SPDX-License-Identifier: MIT */
/*
 * workloads.c - the timed workloads, written once against struct
 * bench_allocator.  Only the operations themselves are timed: setting up the
 * fragmentation of W2 and releasing what is left at the end are not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* One W3 process: attach, report ready, wait for the start, replay. */
static void __attribute__((noreturn))
procs_child(const struct bench_allocator *a, void *heap, const struct churn_op *ops,
	    size_t nops, uint32_t nslots, int ready_fd, int go_fd)
{
	void **slots = checked_calloc(nslots, sizeof(*slots));
	char c = 'r';
	if (a->attach_child && a->attach_child(heap) < 0)
		c = 'f';
	if (write(ready_fd, &c, 1) != 1 || c == 'f')
		_exit(1);
	/* The parent closes the pipe to start everyone at once: read sees EOF. */
	while (read(go_fd, &c, 1) > 0)
		;
	int r = replay(a, heap, ops, nops, slots);
	/* No release: the heap is destroyed as a whole; exit ends the timing. */
	_exit(r < 0 ? 2 : 0);
}

double bench_procs(const struct bench_allocator *a, void *heap, unsigned nprocs,
		   struct churn_op *const *ops, size_t nops, uint32_t nslots, long *vcsw,
		   double *cpu)
{
	double cpu_ns = 0;
	int ready[2], go[2];
	unsigned started = 0;
	int failed = 0;

	*vcsw = 0;
	if (pipe(ready) < 0 || pipe(go) < 0) {
		perror("shmbench: pipe");
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
			procs_child(a, heap, ops[started], nops, nslots, ready[1], go[0]);
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

	uint64_t t0 = bench_now_ns();
	close(go[1]);
	for (unsigned i = 0; i < started; i++) {
		int status;
		struct rusage ru;
		if (wait4(-1, &status, 0, &ru) < 0) {
			perror("shmbench: wait4");
			return -1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr,
				"shmbench: %s: a W3 process failed (status %#x)\n",
				a->name, status);
			failed = 1;
		}
		*vcsw += ru.ru_nvcsw;
		cpu_ns += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
			  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
	}
	uint64_t t1 = bench_now_ns();
	*cpu = cpu_ns / ((double)nprocs * (double)nops);
	if (failed)
		return -1;
	return (double)nprocs * (double)nops * 1e9 / (double)(t1 - t0);
}

size_t bench_fill(const struct bench_allocator *a, void *heap, size_t size)
{
	size_t n = 0;
	while (a->alloc(heap, size))
		n++;
	return n;
}
