/* SPDX-License-Identifier: MIT */
/*
 * lab-cycles - 1,000 init_alloc/cleanup cycles of part A (alloc.h) and of
 * part B (ealloc.h), each header used in a file of its own of this one
 * program.  Afterwards the virtual size must be what it was (nothing left
 * mapped); lab-valgrind.sh runs it under valgrind for the rest (nothing
 * leaked).  Exit 0 when all is well.
 *
 *   lab-cycles [--no-vsz] [cycles]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab-cycles.h"

static long vsz_pages(void)
{
	long pages = -1;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld", &pages) != 1)
			pages = -1;
		fclose(f);
	}
	return pages;
}

int main(int argc, char **argv)
{
	int check_vsz = 1, n = 1000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-vsz"))
			check_vsz = 0;
		else
			n = atoi(argv[i]);
	}
	/* One cycle of each first, so that stdio and malloc have settled. */
	if (cycles_alloc(1) || cycles_ealloc(1)) {
		fprintf(stderr, "lab-cycles: a first cycle failed\n");
		return 1;
	}
	long before = vsz_pages();
	if (cycles_alloc(n)) {
		fprintf(stderr, "lab-cycles: part A: a cycle failed\n");
		return 1;
	}
	long mid = vsz_pages();
	if (cycles_ealloc(n)) {
		fprintf(stderr, "lab-cycles: part B: a cycle failed\n");
		return 1;
	}
	long after = vsz_pages();
	printf("lab-cycles: %d cycles of part A and of part B; VSZ %ld, %ld, %ld pages\n",
	       n, before, mid, after);
	if (check_vsz && (mid != before || after != before)) {
		fprintf(stderr, "lab-cycles: the cycles left memory mapped\n");
		return 1;
	}
	return 0;
}
