/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the benchmark's allocator interface and workloads.
 *
 * Each allocator under test sits behind a struct bench_allocator, so that the
 * workloads (workloads.c) replay exactly the same operations on every one of
 * them.  The adapters are alloc_*.c (and alloc_boost.cc, which is C++).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* bench_allocator.flags */
#define BENCH_SHARED 0x1u  /* forked children can allocate from the parent's heap */
#define BENCH_BOUNDED 0x2u /* create's size is a hard limit: the space test applies */
#define BENCH_LINEAR 0x4u  /* cost grows with the objects: run scaled-down counts */

struct bench_allocator {
	const char *name;
	unsigned flags;
	/* A heap of bytes bytes (the size of the shared object), or NULL. */
	void *(*create)(size_t bytes);
	/* Makes the heap's pages resident, so that page faults are not timed. */
	void (*prefault)(void *heap);
	/* In a forked child, before its first allocation; 0 or -1.  May be NULL. */
	int (*attach_child)(void *heap);
	void *(*alloc)(void *heap, size_t n);
	void (*free)(void *heap, void *p);
	void (*destroy)(void *heap);
};

extern const struct bench_allocator bench_shmheap;
extern const struct bench_allocator bench_shmheap_cached; /* SHMHEAP_CACHED */
extern const struct bench_allocator bench_glibc;
extern const struct bench_allocator bench_pages; /* private, out-of-band bookkeeping */
/* libshmheap over a file and an anonymous heap (alloc_backings.c); -a only. */
extern const struct bench_allocator bench_shmheap_file;
extern const struct bench_allocator bench_shmheap_anon;
#ifdef BENCH_HAVE_BOOST
extern const struct bench_allocator bench_boost;
#endif
#ifdef BENCH_HAVE_APR
extern const struct bench_allocator bench_apr;
#endif

/* shm.c: names for the shared objects, removed again if the run is interrupted. */
/* Writes a fresh object name ("/shmbench-PID-N-tag", without the slash when
 * slash is 0) into buf and remembers it until bench_shm_forget. */
void bench_shm_name(char *buf, size_t len, const char *tag, int slash);
void bench_shm_forget(const char *name);
/* Installs the handlers that remove remembered objects on SIGINT/SIGTERM/exit. */
void bench_shm_cleanup_on_exit(void);
/* madvise(MADV_POPULATE_WRITE) over [base, base+len), ignoring failure. */
void bench_populate(void *base, size_t len);

/* ops.c: operation sequences, generated once from a fixed seed. */
struct churn_op {
	uint32_t slot;
	uint32_t size;
};
/* nops operations on slots [0, nslots), sizes in [min, max]. */
struct churn_op *churn_ops_make(uint64_t seed, size_t nops, uint32_t nslots, uint32_t min,
				uint32_t max);

/* timing.c: CLOCK_MONOTONIC, and the CPU time of the calling thread (which a
 * loaded machine's preemptions do not inflate). */
uint64_t bench_now_ns(void);
uint64_t bench_cpu_ns(void);
double bench_median(double *v, size_t n);

/* workloads.c: each returns its figure, or a negative value on failure. */
/* W1: ns per free+alloc pair over ops[0..nops); *cpu gets CPU ns per pair. */
double bench_churn(const struct bench_allocator *a, void *heap,
		   const struct churn_op *ops, size_t nops, uint32_t nslots, double *cpu);
/* W2/W4: 2*holes blocks of small bytes, every other freed, then ns per
 * allocation of allocs blocks of big bytes; *cpu gets CPU ns per allocation. */
double bench_fragmented(const struct bench_allocator *a, void *heap, size_t holes,
			size_t small, size_t allocs, size_t big, double *cpu);
/* W3: nprocs forked processes each replay ops[p] (nops each, nslots own slots)
 * on the one heap; ops per second of all of them, from their common start to
 * the last exit.  *vcsw gets the children's voluntary context switches, *cpu
 * their CPU time (user and system) per operation in ns. */
double bench_procs(const struct bench_allocator *a, void *heap, unsigned nprocs,
		   struct churn_op *const *ops, size_t nops, uint32_t nslots, long *vcsw,
		   double *cpu);
/* Space: objects of size bytes allocated until the first failure. */
size_t bench_fill(const struct bench_allocator *a, void *heap, size_t size);

/* spawn.c: nprocs forked workers on one heap, started at the same moment.
 * Worker i (0 <= i < nprocs) calls prepare(arg, i) if set (not timed; 0 or -1)
 * and the allocator's attach_child, reports ready, waits for the start and
 * exits with run(arg, i) (0: success).  A worker has its own copy of *arg. */
struct bench_spawn {
	const struct bench_allocator *a;
	void *heap;
	unsigned nprocs;
	const char *what; /* the workload, for messages: "W3", "tail" */
	int (*prepare)(void *arg, unsigned i);
	int (*run)(void *arg, unsigned i);
	void *arg;
};
struct bench_spawn_stats {
	uint64_t start_ns, end_ns; /* the start, and the last worker's exit */
	long vcsw;		   /* voluntary context switches of all workers */
	double cpu_ns;		   /* their CPU time, user and system */
};
/* 0 when every worker started and exited with 0, else -1 (said on stderr);
 * *st is filled in as far as the workers ran. */
int bench_spawn(const struct bench_spawn *s, struct bench_spawn_stats *st);

/* workloads.c: a W3 or tail worker's share: ops[i] (nops of them) replayed on
 * nslots slots of its own, which bench_churn_prepare (a bench_spawn prepare)
 * allocates in the worker. */
struct bench_churn_arg {
	const struct bench_allocator *a;
	void *heap;
	struct churn_op *const *ops;
	size_t nops;
	uint32_t nslots;
	void **slots;
};
int bench_churn_prepare(void *arg, unsigned i);

/* tail.c: Tail, nprocs forked processes replaying ops[p] at once on the one
 * heap as in W3, every free+alloc pair timed; percentiles over all pairs of
 * all processes, in ns.  0, or -1 on failure. */
struct bench_tail_result {
	double p50, p99, p999, max;
};
int bench_tail(const struct bench_allocator *a, void *heap, unsigned nprocs,
	       struct churn_op *const *ops, size_t nops, uint32_t nslots,
	       struct bench_tail_result *res);

#ifdef __cplusplus
}
#endif
#endif /* BENCH_H */
