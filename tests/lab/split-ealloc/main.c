/*
 * main.c - a part B program split over two files, as students split theirs:
 * this file initialises the allocator, util.c allocates from it, and each
 * file frees what the other allocated.  Built the student's way, as C or C++:
 *
 *   cc main.c util.c $(pkg-config --cflags --libs shmheap-lab)
 *
 * Nothing but ealloc.h is included: like the lab's test_ealloc.c, this file
 * calls system() and exit() (and printf, snprintf, getpid) through it.
 */
#include "ealloc.h"

char *util_alloc(int size);
void util_dealloc(char *p);

static void expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		exit(1);
}

/* The virtual size, printed the way the lab's test program prints it. */
static void show_vsz(void)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "grep VmSize /proc/%d/status", (int)getpid());
	fflush(stdout);
	if (system(cmd) != 0)
		exit(1);
}

int main(void)
{
	init_alloc();
	printf("main.c: init_alloc()\n");
	show_vsz();
	char *a = util_alloc(2048);
	expect(a != NULL, "util.c: alloc(2048) from the allocator main.c initialised");
	char *b = alloc(2048);
	expect(b == a + 2048, "main.c: alloc(2048) fills the rest of the same page");
	char *c = util_alloc(MINALLOC);
	expect(c != NULL && (unsigned long)c / PAGESIZE != (unsigned long)a / PAGESIZE,
	       "util.c: alloc(256) needs a second page");
	show_vsz();
	dealloc(a);
	util_dealloc(b);
	char *whole = util_alloc(PAGESIZE);
	expect(whole == a,
	       "main.c freed util.c's chunk, util.c main.c's: alloc(4096) fits");
	util_dealloc(whole);
	dealloc(c);
	cleanup();
	printf("part B, two files: one allocator\n");
	exit(0);
}
