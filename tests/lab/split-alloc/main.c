/*
 * main.c - a part A program split over two files, as students split theirs:
 * this file initialises the manager, util.c allocates from it, and each file
 * frees what the other allocated.  Built the student's way, as C or C++:
 *
 *   cc main.c util.c $(pkg-config --cflags --libs shmheap-lab)
 *
 * Nothing but alloc.h is included: printf, memset and exit come through it,
 * as they do through the lab's own alloc.h.
 */
#include "alloc.h"

char *util_alloc(int size);
void util_dealloc(char *p);

static void expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		exit(1);
}

int main(void)
{
	expect(init_alloc() == 0, "main.c: init_alloc()");
	char *a = util_alloc(1024);
	expect(a != NULL, "util.c: alloc(1024) from the manager main.c initialised");
	char *b = alloc(PAGESIZE - 1024);
	expect(b == a + 1024, "main.c: alloc(3072) lands right after util.c's chunk");
	memset(a, 'a', 1024);
	memset(b, 'b', PAGESIZE - 1024);
	expect(util_alloc(MINALLOC) == NULL,
	       "util.c: alloc(8) refused, the page is full");
	dealloc(a);
	util_dealloc(b);
	char *whole = util_alloc(PAGESIZE);
	expect(whole == a,
	       "main.c freed util.c's chunk, util.c main.c's: alloc(4096) fits");
	dealloc(whole);
	expect(cleanup() == 0, "main.c: cleanup()");
	printf("part A, two files: one manager\n");
	return 0;
}
