/*
 * decl_alloc.c - alloc.h as the lab hands it out: its declarations, repeated
 * here word for word, agree with ours; function pointers of the lab's types
 * take the four functions; PAGESIZE and MINALLOC have the lab's values.  Then
 * the calls, through the pointers, return what the manual says (errno.h is
 * this file's own include: the lab's header has none).  Builds as C and C++.
 */
#include <errno.h>

#include "alloc.h"

/* The lab's alloc.h. */
int init_alloc();
int cleanup();
char *alloc(int);
void dealloc(char *);

#if PAGESIZE != 4096 || MINALLOC != 8
#error "PAGESIZE and MINALLOC are not the lab's"
#endif

static int failures;

static void expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	failures += !ok;
}

int main(void)
{
	int (*init)() = init_alloc;
	int (*done)() = cleanup;
	char *(*get)(int) = alloc;
	void (*put)(char *) = dealloc;

	expect(get(8) == NULL, "alloc before init_alloc: NULL");
	expect(done() == EINVAL, "cleanup before init_alloc: EINVAL");
	expect(init() == 0, "init_alloc: 0");
	char *p = get(PAGESIZE);
	expect(init() == EBUSY && p != NULL && get(MINALLOC) == NULL,
	       "init_alloc again: EBUSY, and the manager keeps its allocation");
	expect(get(12) == NULL && get(0) == NULL && get(-8) == NULL,
	       "alloc(12), alloc(0), alloc(-8): NULL");
	put(p);
	put(p + 8); /* not a chunk: ignored */
	put(NULL);
	expect(get(PAGESIZE) == p, "dealloc: the whole page free again");
	expect(done() == 0, "cleanup: 0");
	expect(done() == EINVAL, "cleanup again: EINVAL");
	printf("part A: the lab's declarations: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
