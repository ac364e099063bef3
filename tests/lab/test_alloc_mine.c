/*
 * test_alloc_mine.c - a test program for part A of the memory-management lab,
 * written as a student would and built the student's way:
 *
 *   cc test_alloc_mine.c $(pkg-config --cflags --libs shmheap-lab)
 *
 * It checks the page is wholly usable, that chunks are never double-booked,
 * and that free chunks are split and merged.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define PAGESIZE 4096

static int failures;

static void verdict(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
	if (!ok)
		failures++;
}

int main(void)
{
	char *chunk[PAGESIZE / 8];

	if (init_alloc()) {
		printf("FAIL: init_alloc\n");
		return 1;
	}

	/* The whole page, then nothing more. */
	char *page = alloc(PAGESIZE);
	verdict(page != NULL, "one allocation of the whole 4096-byte page");
	verdict(alloc(8) == NULL, "the full page refuses 8 more bytes");
	dealloc(page);

	/* Sizes the manager must refuse. */
	verdict(alloc(12) == NULL, "12 bytes (not a multiple of 8) is refused");
	verdict(alloc(PAGESIZE + 8) == NULL,
		"4104 bytes (more than the page) is refused");

	/* 512 chunks of 8 bytes, each filled with its own number. */
	int n = 0;
	while (n < PAGESIZE / 8 && (chunk[n] = alloc(8)) != NULL) {
		memset(chunk[n], n % 251, 8);
		n++;
	}
	verdict(n == PAGESIZE / 8, "512 chunks of 8 bytes fill the page");
	int intact = 1;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < 8; j++)
			if (chunk[i][j] != (char)(i % 251))
				intact = 0;
	verdict(intact, "no chunk overwrote another (no double booking)");

	/* Free two neighbours: a 16-byte request fits in the merged hole. */
	dealloc(chunk[100]);
	dealloc(chunk[101]);
	char *merged = alloc(16);
	verdict(merged == chunk[100],
		"two freed neighbours merge into one 16-byte chunk");

	/* Free everything: the merged page serves 4096 bytes again. */
	dealloc(merged);
	for (int i = 0; i < n; i++)
		if (i != 100 && i != 101)
			dealloc(chunk[i]);
	page = alloc(PAGESIZE);
	verdict(page != NULL, "after freeing all chunks the page merges back whole");
	dealloc(page);

	/* Split: a freed 64-byte chunk serves 24 bytes, and then the 40 left over. */
	char *a = alloc(64), *b = alloc(64);
	dealloc(a);
	char *c = alloc(24), *d = alloc(40);
	verdict(c == a && d == a + 24 && b != NULL,
		"a freed 64-byte chunk splits into 24 + 40");

	if (cleanup()) {
		printf("FAIL: cleanup\n");
		return 1;
	}
	printf("%s: %d failure(s)\n", failures ? "FAILED" : "ALL PASSED", failures);
	return failures != 0;
}
