/* SPDX-License-Identifier: MIT */
/* report.h - the repetitions' figures and how they are printed. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include "bench.h"

#define MAX_REPS 64

/* One figure per repetition of one allocator on one workload; n == 0: not run. */
struct series {
	double v[MAX_REPS];
	unsigned n;
};

double series_median(const struct series *s);
void series_add(struct series *s, double v);

/*
 * Prints one row per allocator (median, min, max of s[i]) and then how
 * allocator 0 (ours) compares with each other one.  lower_better: the figure
 * is a cost (ns), else a rate (ops/s).
 */
void report_table(const char *title, const char *unit,
		  const struct bench_allocator *const *allocs, unsigned nallocs,
		  const struct series *s, int lower_better);

/* One line of the verdict list: "MET"/"MISSED" and the figures. */
void report_target(const char *what, int met, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* BENCH_REPORT_H */
