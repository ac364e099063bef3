/* SPDX-License-Identifier: MIT */
/*
 * shmheap-lab-ealloc - the scenarios of part B of the memory-management lab,
 * run on the lab's own interface (ealloc.h) over libshmheap's
 * shmheap_elastic.  After every step it prints the virtual size of the
 * process (VSZ, from /proc/self/statm), how much it grew, and a verdict: the
 * allocator may map one 4 KiB page only when no page it has can hold the
 * request.  The exit status says whether every verdict was as expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/ealloc.h"
#include "tool.h"

static int step_no, failures;
static long last_vsz;

/* The VSZ in bytes, read without stdio (whose buffers would be malloc'd). */
static long vsz(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		tool_die(TOOL_EXIT_FAIL, "/proc/self/statm: cannot open");
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		tool_die(TOOL_EXIT_FAIL, "/proc/self/statm: cannot read");
	buf[n] = 0;
	return strtol(buf, NULL, 10) * sysconf(_SC_PAGESIZE);
}

/* One step: what was done, and how many pages it should have mapped. */
static void step(const char *what, long expect_pages)
{
	long now = vsz(), grew = now - last_vsz;
	char verdict[96];
	int ok = grew == expect_pages * PAGESIZE;
	long pages = grew / PAGESIZE;
	if (ok)
		snprintf(verdict, sizeof(verdict), "%s mapped, as expected",
			 expect_pages == 0   ? "no page"
			 : expect_pages == 1 ? "1 page"
					     : "pages");
	else
		snprintf(verdict, sizeof(verdict),
			 "UNEXPECTED: VSZ grew by %ld KiB (%ld pages), "
			 "expected %ld page%s",
			 grew / 1024, pages, expect_pages, expect_pages == 1 ? "" : "s");
	printf("step %2d: %-44s VSZ %7ld KiB %+5ld KiB  %s\n", ++step_no, what,
	       now / 1024, grew / 1024, verdict);
	failures += !ok;
	last_vsz = now;
}

static void check(int ok, const char *what)
{
	printf("step %2d: %-44s %s\n", ++step_no, what, ok ? "ok" : "FAILED");
	failures += !ok;
}

static int holds(const char *p, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

static char *alloc_fill(int size, char c)
{
	char *p = alloc(size);
	if (p)
		memset(p, c, (size_t)size);
	return p;
}

static void usage(FILE *f)
{
	fputs("Usage: shmheap-lab-ealloc [OPTION]\n"
	      "Runs the scenarios of part B of the memory-management lab on its own\n"
	      "interface (lab/ealloc.h) and prints, after every step, the virtual size\n"
	      "of the process (VSZ), how much it grew, and whether that is as expected:\n"
	      "the allocator maps one 4 KiB page only when no page it has can hold the\n"
	      "request.\n"
	      "\n"
	      "  -h, --help     show this help and exit\n"
	      "  -V, --version  show the version and exit\n"
	      "\n"
	      "Exit status: 0 every verdict as expected, 1 one was not, 2 usage error.\n"
	      "See shmheap-lab-ealloc(1).\n",
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
	if (sysconf(_SC_PAGESIZE) != PAGESIZE)
		printf("note: the system page is %ld bytes: each 4 KiB mapping takes one\n",
		       sysconf(_SC_PAGESIZE));
	/* Unbuffered: no stdio buffer appears in the middle of the measurements. */
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("Part B: an elastic allocator, one 4 KiB page mapped at a time, on demand\n");
	last_vsz = vsz();
	printf("start:   %-44s VSZ %7ld KiB\n", "", last_vsz / 1024);

	/* init_alloc and cleanup return nothing, as the lab declares them:
	 * errno tells. */
	errno = 0;
	init_alloc();
	if (errno != 0)
		tool_die(TOOL_EXIT_FAIL, "init_alloc failed: %s", strerror(errno));
	step("init_alloc", 0);

	char *a = alloc_fill(1024, 'a');
	step("alloc(1024) a: the first page", 1);
	char *b = alloc_fill(1024, 'b');
	char *c = alloc_fill(1024, 'c');
	char *d = alloc_fill(1024, 'd');
	step("alloc(1024) b, c, d: the first page is full", 0);
	char *e = alloc_fill(1024, 'e');
	step("alloc(1024) e: no room, a second page", 1);
	char *f = alloc_fill(3072, 'f');
	step("alloc(3072) f: the rest of the second page", 0);
	check(a && b && c && d && e && f && holds(a, 1024, 'a') && holds(b, 1024, 'b') &&
		      holds(c, 1024, 'c') && holds(d, 1024, 'd') && holds(e, 1024, 'e') &&
		      holds(f, 3072, 'f'),
	      "a-f hold their own bytes (no double booking)");

	dealloc(b);
	dealloc(c);
	step("dealloc b and c", 0);
	char *bc = alloc_fill(2048, 'B');
	step("alloc(2048): b and c merged, no new page", 0);
	check(bc == b, "alloc(2048) took b's place");
	char *g = alloc_fill(256, 'g');
	step("alloc(256): no page has room, a third page", 1);
	dealloc(e);
	dealloc(f);
	char *whole = alloc_fill(4096, 'w');
	step("dealloc e, f; alloc(4096): the second page", 0);
	check(whole == e, "alloc(4096) took the whole second page");
	char *h = alloc_fill(3840, 'h');
	step("alloc(3840): the rest of the third page", 0);
	char *i = alloc_fill(4096, 'i');
	step("alloc(4096): a fourth page", 1);
	check(holds(a, 1024, 'a') && holds(bc, 2048, 'B') && holds(d, 1024, 'd') &&
		      holds(g, 256, 'g') && holds(whole, 4096, 'w') &&
		      holds(h, 3840, 'h') && holds(i, 4096, 'i'),
	      "every chunk still holds its own bytes");
	int crossing = 0;
	char *all[] = {a, bc, d, g, whole, h, i};
	int sizes[] = {1024, 2048, 1024, 256, 4096, 3840, 4096};
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
		crossing |= (size_t)((uintptr_t)all[k] % PAGESIZE) + (size_t)sizes[k] >
			    PAGESIZE;
	check(!crossing, "no chunk crosses a page boundary");
	check(alloc(12) == NULL && alloc(4104) == NULL, "alloc(12) and alloc(4104) fail");
	step("the refused requests mapped nothing", 0);

	errno = 0;
	cleanup();
	check(errno == 0, "cleanup: every page unmapped");
	printf("%s: %d step%s, %d failed\n", failures ? "FAILED" : "passed", step_no,
	       step_no == 1 ? "" : "s", failures);
	return failures ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
}
