/* SPDX-License-Identifier: MIT */
/* report.c - medians, spreads and ratios, printed as plain-text tables. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

double series_median(const struct series *s)
{
	double v[MAX_REPS];
	memcpy(v, s->v, s->n * sizeof(v[0]));
	return bench_median(v, s->n);
}

void series_add(struct series *s, double v)
{
	if (s->n < MAX_REPS)
		s->v[s->n++] = v;
}

static void min_max(const struct series *s, double *lo, double *hi)
{
	*lo = *hi = s->v[0];
	for (unsigned i = 1; i < s->n; i++) {
		if (s->v[i] < *lo)
			*lo = s->v[i];
		if (s->v[i] > *hi)
			*hi = s->v[i];
	}
}

void report_table(const char *title, const char *unit,
		  const struct bench_allocator *const *allocs, unsigned nallocs,
		  const struct series *s, int lower_better)
{
	printf("\n%s\n", title);
	printf("  %-10s %14s %14s %14s  (%s, %u reps)\n", "allocator", "median", "min",
	       "max", unit, s[0].n);
	for (unsigned i = 0; i < nallocs; i++) {
		if (!s[i].n) {
			printf("  %-10s %14s\n", allocs[i]->name, "not run");
			continue;
		}
		double lo, hi;
		min_max(&s[i], &lo, &hi);
		printf("  %-10s %14.1f %14.1f %14.1f\n", allocs[i]->name,
		       series_median(&s[i]), lo, hi);
	}
	if (!s[0].n)
		return;
	double ours = series_median(&s[0]);
	for (unsigned i = 1; i < nallocs; i++) {
		if (!s[i].n || ours <= 0)
			continue;
		double theirs = series_median(&s[i]);
		double speedup = lower_better ? theirs / ours : ours / theirs;
		printf("  %s vs %-8s %.2fx %s\n", allocs[0]->name, allocs[i]->name,
		       speedup >= 1 ? speedup : 1 / speedup,
		       speedup >= 1 ? "faster" : "slower");
	}
}

void report_target(const char *what, int met, const char *fmt, ...)
{
	va_list ap;
	printf("  %-7s %-44s ", met ? "MET" : "MISSED", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}
