/* SPDX-License-Identifier: MIT */
/*
 * driver.c - shmbench: runs the workloads of the allocator comparison on every
 * allocator, interleaved (A B C D, A B C D, ...) so that a slow phase of the
 * machine hits all of them alike, repeats, and prints medians and ratios.
 *
 *   shmbench [-q] [-r reps] [-a name,...] [-w w1,w2,w3,w4,space,tail] [-d divisor]
 *
 * -q (or BENCH_QUICK=1): a smoke run with a tenth of the operations.
 * -d: divide every operation count further, for profiling under valgrind.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "bench.h"
#include "report.h"

#define MAX_ALLOCS 6
#define W4_SIZES 3
#define W3_COUNTS 3
#define MiB ((size_t)1 << 20)

static const struct bench_allocator *const all_allocs[] = {
	&bench_shmheap, &bench_shmheap_cached,
#ifdef BENCH_HAVE_BOOST
	&bench_boost,
#endif
#ifdef BENCH_HAVE_APR
	&bench_apr,
#endif
	&bench_glibc,	&bench_pages,
};

/* Chosen only by name (-a): libshmheap over its other backings. */
static const struct bench_allocator *const backing_allocs[] = {
	&bench_shmheap_file,
	&bench_shmheap_anon,
};

struct params {
	unsigned reps;
	size_t w1_heap, w1_ops;
	uint32_t w1_slots;
	size_t w3_ops;
	uint32_t w3_slots;
	unsigned w3_procs[W3_COUNTS];
	size_t w4_holes[W4_SIZES], w4_allocs;
	unsigned w2_size; /* which W4 size is W2 */
	size_t space_heap;
	/* Allocators whose every operation walks a list (BENCH_LINEAR) get: */
	unsigned linear_div;	/* W1/W3 operations divided by this */
	size_t linear_holes;	/* W2/W4 only up to this many holes */
	unsigned linear_allocs; /* W2/W4 timed allocations divided by this */
	size_t linear_space;	/* Space on a heap this large */
};

static const struct params full = {
	.reps = 5,
	.w1_heap = 256 * MiB,
	.w1_ops = 2000000,
	.w1_slots = 10000,
	.w3_ops = 500000,
	.w3_slots = 2500,
	.w3_procs = {1, 2, 4},
	.w4_holes = {10000, 100000, 1000000},
	.w4_allocs = 100000,
	.w2_size = 1,
	.space_heap = 64 * MiB,
	.linear_div = 40,
	.linear_holes = 10000,
	.linear_allocs = 100,
	.linear_space = 4 * MiB,
};

static const struct params quick = {
	.reps = 3,
	.w1_heap = 256 * MiB,
	.w1_ops = 200000,
	.w1_slots = 10000,
	.w3_ops = 50000,
	.w3_slots = 2500,
	.w3_procs = {1, 2, 4},
	.w4_holes = {1000, 10000, 100000},
	.w4_allocs = 10000,
	.w2_size = 1,
	.space_heap = 64 * MiB,
	.linear_div = 40,
	.linear_holes = 10000,
	.linear_allocs = 100,
	.linear_space = 4 * MiB,
};

static struct params P;
static const struct bench_allocator *allocs[MAX_ALLOCS];
static unsigned nallocs;
static int want_w1, want_w2, want_w3, want_w4, want_space, want_tail;

static int is_linear(const struct bench_allocator *a)
{
	return (a->flags & BENCH_LINEAR) != 0;
}

static void *make_heap(const struct bench_allocator *a, size_t bytes)
{
	void *heap = a->create(bytes);
	if (!heap) {
		fprintf(stderr, "shmbench: %s: cannot create a heap of %zu bytes\n",
			a->name, bytes);
		exit(1);
	}
	a->prefault(heap);
	return heap;
}

static void w1_targets(const struct series *s, const char *how)
{
	char what[64];
	for (unsigned i = 0; i < nallocs; i++) {
		const struct bench_allocator *a = allocs[i];
		if (!strcmp(a->name, "boost")) {
			double r = series_median(&s[i]) / series_median(&s[0]);
			snprintf(what, sizeof(what), "W1: >=5x fewer ns than Boost%s",
				 how);
			report_target(what, r >= 5, "%.2fx", r);
		} else if (!strcmp(a->name, "glibc")) {
			double r = series_median(&s[0]) / series_median(&s[i]);
			snprintf(what, sizeof(what), "W1: within 2.5x of glibc malloc%s",
				 how);
			report_target(what, r <= 2.5, "%.2fx glibc's ns", r);
		}
	}
}

static void run_w1(void)
{
	struct series s[MAX_ALLOCS] = {0}, cs[MAX_ALLOCS] = {0};
	struct churn_op *ops = churn_ops_make(1, P.w1_ops, P.w1_slots, 8, 512);

	printf("\n# W1 churn: %zu MiB heap, %u slots, %zu ops, sizes 8..512\n",
	       P.w1_heap / MiB, P.w1_slots, P.w1_ops);
	for (unsigned rep = 0; rep < P.reps; rep++) {
		for (unsigned i = 0; i < nallocs; i++) {
			const struct bench_allocator *a = allocs[i];
			size_t n = is_linear(a) ? P.w1_ops / P.linear_div : P.w1_ops;
			void *heap = make_heap(a, P.w1_heap);
			double cpu;
			double v = bench_churn(a, heap, ops, n, P.w1_slots, &cpu);
			a->destroy(heap);
			if (v < 0)
				exit(1);
			series_add(&s[i], v);
			series_add(&cs[i], cpu);
			printf("W1 rep %u %-8s %7zu ops %10.1f ns/pair %10.1f cpu-ns/pair\n",
			       rep, a->name, n, v, cpu);
			fflush(stdout);
		}
	}
	free(ops);
	report_table("== W1 churn: ns per free+alloc pair", "ns/pair", allocs, nallocs, s,
		     1);
	report_table("== W1 churn, CPU time of the process: ns per free+alloc pair",
		     "cpu-ns/pair", allocs, nallocs, cs, 1);
	printf("\nTargets W1\n");
	w1_targets(s, "");
	w1_targets(cs, " (CPU time)");
}

static size_t w4_heap_bytes(size_t holes, size_t allocs_n)
{
	/* Room for any allocator's per-block overhead (at most 64 bytes here). */
	size_t bytes = 2 * holes * (64 + 64) + allocs_n * (128 + 64) + 16 * MiB;
	return (bytes + MiB - 1) / MiB * MiB;
}

static void w4_targets(struct series (*s)[MAX_ALLOCS], unsigned boost, const char *how)
{
	char what[64];
	for (unsigned k = 0; k < W4_SIZES; k++) {
		double ours = series_median(&s[k][0]);
		if (boost) {
			double theirs = series_median(&s[k][boost]);
			snprintf(what, sizeof(what), "W2/W4: beat Boost at %zu holes%s",
				 P.w4_holes[k], how);
			report_target(what, ours < theirs, "%.1f vs %.1f ns", ours,
				      theirs);
		}
		if (k) {
			double g = ours / series_median(&s[k - 1][0]);
			snprintf(what, sizeof(what),
				 "W4: growth <=1.5x, %zu->%zu holes%s", P.w4_holes[k - 1],
				 P.w4_holes[k], how);
			report_target(what, g <= 1.5, "%.2fx", g);
		}
	}
}

static void run_w4(void)
{
	struct series s[W4_SIZES][MAX_ALLOCS] = {0}, cs[W4_SIZES][MAX_ALLOCS] = {0};
	unsigned first = want_w4 ? 0 : P.w2_size,
		 last = want_w4 ? W4_SIZES - 1 : P.w2_size;

	printf("\n# W2/W4 fragmented: 2*holes blocks of 64 B, every other freed, then %zu "
	       "allocations of 128 B\n",
	       P.w4_allocs);
	for (unsigned rep = 0; rep < P.reps; rep++) {
		for (unsigned k = first; k <= last; k++) {
			size_t holes = P.w4_holes[k];
			for (unsigned i = 0; i < nallocs; i++) {
				const struct bench_allocator *a = allocs[i];
				size_t n = P.w4_allocs;
				if (is_linear(a)) {
					if (holes > P.linear_holes)
						continue;
					n /= P.linear_allocs;
				}
				void *heap = make_heap(a,
						       w4_heap_bytes(holes, P.w4_allocs));
				double cpu;
				double v = bench_fragmented(a, heap, holes, 64, n, 128,
							    &cpu);
				a->destroy(heap);
				if (v < 0)
					exit(1);
				series_add(&s[k][i], v);
				series_add(&cs[k][i], cpu);
				printf("W4 rep %u %-8s %7zu holes %6zu allocs %10.1f ns/alloc %10.1f "
				       "cpu-ns/alloc\n",
				       rep, a->name, holes, n, v, cpu);
				fflush(stdout);
			}
		}
	}

	char title[128];
	if (want_w2) {
		snprintf(title, sizeof(title),
			 "== W2 fragmented (%zu holes): ns per 128-byte allocation",
			 P.w4_holes[P.w2_size]);
		report_table(title, "ns/alloc", allocs, nallocs, s[P.w2_size], 1);
		report_table("   the same, CPU time of the process", "cpu-ns/alloc",
			     allocs, nallocs, cs[P.w2_size], 1);
	}
	if (!want_w4)
		return;
	for (unsigned k = 0; k < W4_SIZES; k++) {
		snprintf(title, sizeof(title),
			 "== W4 scaling, %zu holes: ns per allocation", P.w4_holes[k]);
		report_table(title, "ns/alloc", allocs, nallocs, s[k], 1);
		report_table("   the same, CPU time of the process", "cpu-ns/alloc",
			     allocs, nallocs, cs[k], 1);
	}
	printf("\n  growth per tenfold holes (median ns at 10n / at n):\n");
	for (unsigned i = 0; i < nallocs; i++) {
		printf("  %-10s", allocs[i]->name);
		for (unsigned k = 1; k < W4_SIZES; k++)
			if (s[k][i].n && s[k - 1][i].n)
				printf("  %zu->%zu: %.2fx", P.w4_holes[k - 1],
				       P.w4_holes[k],
				       series_median(&s[k][i]) /
					       series_median(&s[k - 1][i]));
		putchar('\n');
	}
	unsigned boost = 0;
	for (unsigned i = 1; i < nallocs; i++)
		if (!strcmp(allocs[i]->name, "boost"))
			boost = i;
	printf("\nTargets W2/W4\n");
	w4_targets(s, boost, "");
	w4_targets(cs, boost, " CPU");
}

static void run_w3(void)
{
	struct series s[W3_COUNTS][MAX_ALLOCS] = {0};
	struct series cs[W3_COUNTS][MAX_ALLOCS] = {0};
	struct series cpus[W3_COUNTS][MAX_ALLOCS] = {0};
	unsigned maxp = P.w3_procs[W3_COUNTS - 1];
	struct churn_op **ops = calloc(maxp, sizeof(*ops));
	if (!ops)
		exit(1);
	for (unsigned p = 0; p < maxp; p++)
		ops[p] = churn_ops_make(100 + p, P.w3_ops, P.w3_slots, 8, 512);

	printf("\n# W3 processes: each runs W1 on its own %u slots for %zu ops, one shared "
	       "%zu MiB heap\n",
	       P.w3_slots, P.w3_ops, P.w1_heap / MiB);
	for (unsigned rep = 0; rep < P.reps; rep++) {
		for (unsigned k = 0; k < W3_COUNTS; k++) {
			for (unsigned i = 0; i < nallocs; i++) {
				const struct bench_allocator *a = allocs[i];
				size_t n = is_linear(a) ? P.w3_ops / P.linear_div
							: P.w3_ops;
				long vcsw;
				double cpu;
				void *heap = make_heap(a, P.w1_heap);
				double v = bench_procs(a, heap, P.w3_procs[k], ops, n,
						       P.w3_slots, &vcsw, &cpu);
				a->destroy(heap);
				if (v < 0)
					exit(1);
				series_add(&s[k][i], v);
				series_add(&cs[k][i], (double)vcsw);
				series_add(&cpus[k][i], cpu);
				printf("W3 rep %u %-8s %u procs x %6zu ops %10.0f ops/s %7ld "
				       "voluntary switches %8.1f cpu-ns/op\n",
				       rep, a->name, P.w3_procs[k], n, v, vcsw, cpu);
				fflush(stdout);
			}
		}
	}
	for (unsigned p = 0; p < maxp; p++)
		free(ops[p]);
	free(ops);

	for (unsigned k = 0; k < W3_COUNTS; k++) {
		char title[96];
		snprintf(title, sizeof(title), "== W3, %u process%s: total ops/s",
			 P.w3_procs[k], P.w3_procs[k] > 1 ? "es" : "");
		report_table(title, "ops/s", allocs, nallocs, s[k], 0);
	}
	printf("\n  throughput relative to one process (medians); voluntary context switches "
	       "of all processes (median):\n");
	for (unsigned i = 0; i < nallocs; i++) {
		printf("  %-10s", allocs[i]->name);
		for (unsigned k = 0; k < W3_COUNTS; k++)
			printf("  %up: %.2fx (%.0f cs)", P.w3_procs[k],
			       series_median(&s[k][i]) / series_median(&s[0][i]),
			       series_median(&cs[k][i]));
		printf("%s\n",
		       allocs[i]->flags & BENCH_SHARED ? "" : "  [private heaps]");
	}
	printf("\n  CPU time (user+system) of the processes per operation, ns (medians):\n");
	for (unsigned i = 0; i < nallocs; i++) {
		printf("  %-10s", allocs[i]->name);
		for (unsigned k = 0; k < W3_COUNTS; k++)
			printf("  %up: %8.1f", P.w3_procs[k], series_median(&cpus[k][i]));
		putchar('\n');
	}
	printf("\nTargets W3\n");
	for (unsigned k = 1; k < W3_COUNTS; k++) {
		double need = P.w3_procs[k] == 2 ? 0.8 : 0.6;
		double r = series_median(&s[k][0]) / series_median(&s[0][0]);
		char what[64];
		snprintf(what, sizeof(what), "W3: %u processes >= %.1fx of one",
			 P.w3_procs[k], need);
		report_target(what, r >= need, "%.2fx", r);
	}
}

static void run_space(void)
{
	double ours = 0;

	printf("\n== Space: 64-byte objects until allocation fails\n");
	printf("  %-10s %10s %10s %12s %8s\n", "allocator", "heap MiB", "objects",
	       "payload B", "share");
	for (unsigned i = 0; i < nallocs; i++) {
		const struct bench_allocator *a = allocs[i];
		if (!(a->flags & BENCH_BOUNDED)) {
			printf("  %-10s %10s\n", a->name, "n/a (no bound)");
			continue;
		}
		size_t bytes = is_linear(a) ? P.linear_space : P.space_heap;
		void *heap = make_heap(a, bytes);
		size_t n = bench_fill(a, heap, 64);
		a->destroy(heap);
		double share = (double)n * 64 / (double)bytes;
		printf("  %-10s %10zu %10zu %12zu %7.2f%%\n", a->name, bytes / MiB, n,
		       n * 64, 100 * share);
		if (i == 0)
			ours = share;
	}
	printf("\nTargets Space\n");
	report_target("Space: >=88% payload, 64-byte objects", ours >= 0.88, "%.2f%%",
		      100 * ours);
}

/*
 * Tail latency with TAIL_PROCS processes (W3's sequences and counts): p50,
 * p99 and p99.9 of the ns per free+alloc pair, each the median over the
 * repetitions.  Every shared allocator takes part, so a new one (such as a
 * cached shmheap mode) is measured as soon as it is in all_allocs.
 */
#define TAIL_PROCS 2u
#define TAIL_FIGURES 4

static void run_tail(void)
{
	static const char *const what[TAIL_FIGURES] = {"p50", "p99", "p99.9", "max"};
	struct series s[TAIL_FIGURES][MAX_ALLOCS] = {0};
	struct churn_op *ops[TAIL_PROCS];
	for (unsigned p = 0; p < TAIL_PROCS; p++)
		ops[p] = churn_ops_make(100 + p, P.w3_ops, P.w3_slots, 8, 512);

	printf("\n# Tail: %u processes each run W1 on its own %u slots for %zu ops, one "
	       "shared %zu MiB heap; every free+alloc pair timed\n",
	       TAIL_PROCS, P.w3_slots, P.w3_ops, P.w1_heap / MiB);
	for (unsigned rep = 0; rep < P.reps; rep++) {
		for (unsigned i = 0; i < nallocs; i++) {
			const struct bench_allocator *a = allocs[i];
			if (!(a->flags & BENCH_SHARED))
				continue;
			size_t n = is_linear(a) ? P.w3_ops / P.linear_div : P.w3_ops;
			struct bench_tail_result r;
			void *heap = make_heap(a, P.w1_heap);
			int rc = bench_tail(a, heap, TAIL_PROCS, ops, n, P.w3_slots, &r);
			a->destroy(heap);
			if (rc < 0)
				exit(1);
			double v[TAIL_FIGURES] = {r.p50, r.p99, r.p999, r.max};
			for (unsigned f = 0; f < TAIL_FIGURES; f++)
				series_add(&s[f][i], v[f]);
			printf("Tail rep %u %-8s p50 %8.0f  p99 %8.0f  p99.9 %9.0f  max %11.0f "
			       "ns/pair\n",
			       rep, a->name, r.p50, r.p99, r.p999, r.max);
			fflush(stdout);
		}
	}
	for (unsigned p = 0; p < TAIL_PROCS; p++)
		free(ops[p]);

	printf("\n== Tail, %u processes: ns per free+alloc pair (medians of %u reps)\n",
	       TAIL_PROCS, P.reps);
	printf("  %-16s", "allocator");
	for (unsigned f = 0; f < TAIL_FIGURES; f++)
		printf(" %11s", what[f]);
	putchar('\n');
	for (unsigned i = 0; i < nallocs; i++) {
		if (!(allocs[i]->flags & BENCH_SHARED))
			continue;
		printf("  %-16s", allocs[i]->name);
		for (unsigned f = 0; f < TAIL_FIGURES; f++)
			printf(" %11.0f", series_median(&s[f][i]));
		putchar('\n');
	}
}

static void choose(const char *list, int allocators)
{
	char *copy = strdup(list), *save = NULL;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!allocators) {
			if (!strcmp(w, "w1"))
				want_w1 = 1;
			else if (!strcmp(w, "w2"))
				want_w2 = 1;
			else if (!strcmp(w, "w3"))
				want_w3 = 1;
			else if (!strcmp(w, "w4"))
				want_w4 = 1;
			else if (!strcmp(w, "space"))
				want_space = 1;
			else if (!strcmp(w, "tail"))
				want_tail = 1;
			else
				goto bad;
			continue;
		}
		unsigned i, k;
		for (i = 0; i < sizeof(all_allocs) / sizeof(all_allocs[0]); i++)
			if (!strcmp(w, all_allocs[i]->name))
				break;
		for (k = 0; k < sizeof(backing_allocs) / sizeof(backing_allocs[0]); k++)
			if (!strcmp(w, backing_allocs[k]->name))
				break;
		if (k < sizeof(backing_allocs) / sizeof(backing_allocs[0]) &&
		    nallocs < MAX_ALLOCS) {
			allocs[nallocs++] = backing_allocs[k];
			continue;
		}
		if (i == sizeof(all_allocs) / sizeof(all_allocs[0]))
			goto bad;
		if (i == 0)
			continue; /* ours is always first */
		allocs[nallocs++] = all_allocs[i];
	}
	free(copy);
	return;
bad:
	fprintf(stderr, "shmbench: unknown %s: %s\n",
		allocators ? "allocator" : "workload", list);
	exit(2);
}

static void print_setup(void)
{
	struct utsname u;
	time_t now = time(NULL);
	char when[64];
	uname(&u);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	printf("shmbench: %s, %s %s %s\n", when, u.sysname, u.release, u.machine);
	printf("allocators (in run order):");
	for (unsigned i = 0; i < nallocs; i++)
		printf(" %s", allocs[i]->name);
	printf("\nrepetitions: %u, interleaved; figures are medians\n", P.reps);
	printf("shmheap: fixed-size heaps (SHMHEAP_NO_GROW) of the workload's size; W3 "
	       "children connect by name\n");
	printf("every heap is made resident (MADV_POPULATE_WRITE; glibc: 1 MiB chunks "
	       "touched and freed) before timing\n");
	for (unsigned i = 0; i < nallocs; i++)
		if (is_linear(allocs[i]))
			printf("%s is linear in the number of blocks, so it runs scaled down: W1 "
			       "and W3 1/%u of the operations (a prefix of the same sequence), "
			       "W2/W4 only up to %zu holes with 1/%u of the allocations, Space on "
			       "a %zu MiB heap; its figures are per operation\n",
			       allocs[i]->name, P.linear_div, P.linear_holes,
			       P.linear_allocs, P.linear_space / MiB);
	printf("glibc malloc is private to one process: in W3 each process uses its own\n");
	printf("pages is libshmheap's private page manager (shmheap_pages), bookkeeping outside "
	       "its region, sizes rounded up to 8; private like glibc\n");
}

int main(int argc, char **argv)
{
	const char *env = getenv("BENCH_QUICK");
	const char *alist = NULL, *wlist = "w1,w2,w3,w4,space,tail";
	unsigned reps = 0, div = 1;
	int opt;

	P = env && *env && strcmp(env, "0") ? quick : full;
	while ((opt = getopt(argc, argv, "qr:a:w:d:h")) != -1) {
		switch (opt) {
		case 'q':
			P = quick;
			break;
		case 'r':
			reps = (unsigned)atoi(optarg);
			break;
		case 'a':
			alist = optarg;
			break;
		case 'w':
			wlist = optarg;
			break;
		case 'd':
			div = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: shmbench [-q] [-r reps] [-a name,...] "
				"[-w w1,w2,w3,w4,space,tail] [-d divisor]\n"
				"  -a also: shmheap-file, shmheap-anon (libshmheap over a "
				"file, an anonymous heap)\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (reps)
		P.reps = reps < MAX_REPS ? reps : MAX_REPS;
	if (div > 1) {
		P.w1_ops /= div;
		P.w3_ops /= div;
		P.w4_allocs /= div;
		for (unsigned k = 0; k < W4_SIZES; k++)
			P.w4_holes[k] /= div;
	}

	allocs[nallocs++] = &bench_shmheap;
	if (alist)
		choose(alist, 1);
	else
		for (unsigned i = 1; i < sizeof(all_allocs) / sizeof(all_allocs[0]); i++)
			allocs[nallocs++] = all_allocs[i];
	choose(wlist, 0);

	bench_shm_cleanup_on_exit();
	print_setup();
	if (want_w1)
		run_w1();
	if (want_w2 || want_w4)
		run_w4();
	if (want_w3)
		run_w3();
	if (want_space)
		run_space();
	if (want_tail)
		run_tail();
	return 0;
}
