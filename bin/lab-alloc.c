/* SPDX-License-Identifier: MIT */
/*
 * shmheap-lab-alloc - the scenarios of part A of the memory-management lab,
 * run on the lab's own interface (alloc.h: init_alloc, alloc, dealloc,
 * cleanup) over libshmheap's shmheap_pages: one 4 KiB page, every byte of it
 * usable, chunks split and merged.  One progress line per step, "ok" or
 * "FAILED" with the reason; the exit status says whether all passed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lab/alloc.h"
#include "tool.h"

#define PAGESIZE 4096
#define CHUNKS (PAGESIZE / 8)

static int step_no, failures;

static void step(int ok, const char *fmt, const char *what)
{
	printf("step %2d: %-58s %s\n", ++step_no, what, ok ? "ok" : "FAILED");
	if (!ok) {
		printf("         %s\n", fmt);
		failures++;
	}
	fflush(stdout);
}

static char pattern(size_t chunk, size_t i)
{
	return (char)((chunk * 31 + i * 7) & 0xff);
}

static void fill(char *p, size_t len, size_t chunk)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(chunk, i);
}

static int intact(const char *p, size_t len, size_t chunk)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(chunk, i))
			return 0;
	return 1;
}

static void usage(FILE *f)
{
	fputs("Usage: shmheap-lab-alloc [OPTION]\n"
	      "Runs the scenarios of part A of the memory-management lab on its own\n"
	      "interface (lab/alloc.h: init_alloc, alloc, dealloc, cleanup): one 4 KiB\n"
	      "page, every byte of it usable, chunks split and merged in first fit.\n"
	      "One line per step, \"ok\" or \"FAILED\" with the reason.\n"
	      "\n"
	      "  -h, --help     show this help and exit\n"
	      "  -V, --version  show the version and exit\n"
	      "\n"
	      "Exit status: 0 every step passed, 1 a step failed, 2 usage error.\n"
	      "See shmheap-lab-alloc(1).\n",
	      f);
}

int main(int argc, char **argv)
{
	tool_init(argv[0]);
	if (tool_help_or_version(argc, argv, usage))
		return TOOL_EXIT_OK;
	if (argc > 1)
		tool_die(TOOL_EXIT_USAGE, "unexpected argument: %s (try '%s --help')",
			 argv[1], tool_name());
	static char *chunk[CHUNKS];
	static size_t len[CHUNKS];

	printf("Part A: a memory manager of one 4 KiB page, bookkeeping outside the page\n");
	if (init_alloc() != 0)
		tool_die(TOOL_EXIT_FAIL, "init_alloc failed");
	step(1, "", "init_alloc: one 4096-byte page mapped");

	char *page = alloc(PAGESIZE);
	step(page != NULL, "alloc(4096) returned NULL: the page is not wholly usable",
	     "alloc(4096): the whole page in one chunk");
	if (page)
		memset(page, 0x5a, PAGESIZE);
	step(alloc(8) == NULL, "alloc(8) succeeded on a full page",
	     "alloc(8) on the full page fails");
	dealloc(page);

	step(alloc(12) == NULL, "alloc(12) succeeded",
	     "alloc(12), not a multiple of 8, fails");
	step(alloc(PAGESIZE + 8) == NULL, "alloc(4104) succeeded",
	     "alloc(4104), more than the page, fails");
	step(alloc(0) == NULL && alloc(-8) == NULL, "alloc(0) or alloc(-8) succeeded",
	     "alloc(0) and alloc(-8) fail");

	size_t n = 0;
	while (n < CHUNKS && (chunk[n] = alloc(8)) != NULL) {
		len[n] = 8;
		fill(chunk[n], 8, n);
		n++;
	}
	step(n == CHUNKS, "fewer than 512 chunks of 8 bytes fit",
	     "512 x alloc(8) fill the page");
	int ok = 1;
	for (size_t i = 0; i < n; i++)
		ok &= intact(chunk[i], 8, i);
	step(ok, "a chunk's contents were overwritten",
	     "each of the 512 chunks holds its own data");

	for (size_t i = 0; i < n; i++)
		dealloc(chunk[i]);
	page = alloc(PAGESIZE);
	step(page != NULL, "the freed chunks did not merge back into one page",
	     "dealloc all 512, then alloc(4096): merged");
	dealloc(page);

	char *a = alloc(1024), *b = alloc(1024), *c = alloc(1024), *d = alloc(1024);
	step(a && b == a + 1024 && c == b + 1024 && d == c + 1024,
	     "chunks not laid out in order",
	     "4 x alloc(1024): first fit, in address order");
	dealloc(b);
	char *b1 = alloc(512), *b2 = alloc(512);
	step(b1 == b && b2 == b + 512, "the freed 1024 bytes were not split 512 + 512",
	     "dealloc(b), 2 x alloc(512): b's chunk is split");
	dealloc(b1);
	dealloc(b2);
	dealloc(c);
	char *bc = alloc(2048);
	step(bc == b, "b and c did not merge into 2048 bytes",
	     "dealloc b's halves and c, alloc(2048): merged");
	step(alloc(1024) == NULL, "a fifth 1024-byte chunk was given out",
	     "alloc(1024) when only 0 bytes are free fails");
	dealloc(a);
	dealloc(bc);
	dealloc(d);

	/* A random mix of allocations and frees, every chunk's contents checked. */
	uint64_t rng = 88172645463325252ull;
	size_t live = 0, allocated = 0;
	ok = 1;
	memset(chunk, 0, sizeof(chunk));
	for (int op = 0; op < 20000 && ok; op++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		size_t k = rng % 64;
		if (chunk[k]) {
			ok &= intact(chunk[k], len[k], k);
			dealloc(chunk[k]);
			chunk[k] = NULL;
			live--;
		} else if ((chunk[k] = alloc((int)(8 * (1 + (rng >> 20) % 64)))) !=
			   NULL) {
			len[k] = 8 * (1 + (rng >> 20) % 64);
			fill(chunk[k], len[k], k);
			live++;
			allocated++;
		}
	}
	for (size_t k = 0; k < 64; k++)
		if (chunk[k]) {
			ok &= intact(chunk[k], len[k], k);
			dealloc(chunk[k]);
		}
	page = alloc(PAGESIZE);
	char what[80];
	snprintf(what, sizeof(what),
		 "20000 random alloc/dealloc (%zu allocations), all intact", allocated);
	step(ok && page != NULL,
	     "a chunk was overwritten, or the page did not merge back", what);
	dealloc(page);

	step(cleanup() == 0, "cleanup failed", "cleanup: the page is unmapped");
	printf("%s: %d step%s, %d failed\n", failures ? "FAILED" : "passed", step_no,
	       step_no == 1 ? "" : "s", failures);
	return failures ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
}
