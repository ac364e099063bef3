/*
 * decl_ealloc.c - ealloc.h as the lab hands it out: its declarations,
 * repeated here word for word, agree with ours; function pointers of the lab's
 * types take the four functions (init_alloc and cleanup return nothing);
 * PAGESIZE and MINALLOC have the lab's values.  Then the calls, through the
 * pointers, report errors only through errno and alloc's NULL, as the manual
 * says (errno.h is this file's own include).  Builds as C and C++.
 */
#include <errno.h>

#include "ealloc.h"

/* The lab's ealloc.h. */
void init_alloc(void);
char *alloc(int);
void dealloc(char *);
void cleanup(void);

#if PAGESIZE != 4096 || MINALLOC != 256
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
	void (*init)(void) = init_alloc;
	void (*done)(void) = cleanup;
	char *(*get)(int) = alloc;
	void (*put)(char *) = dealloc;

	errno = 0;
	expect(get(MINALLOC) == NULL && errno == EINVAL,
	       "alloc before init_alloc: NULL, EINVAL");
	errno = 0;
	done();
	expect(errno == EINVAL, "cleanup before init_alloc: errno EINVAL");
	errno = 0;
	init();
	expect(errno == 0, "init_alloc: errno untouched");
	char *p = get(PAGESIZE);
	errno = 0;
	init();
	expect(errno == EBUSY && p != NULL, "init_alloc again: errno EBUSY");
	char *q = get(PAGESIZE);
	expect(q != NULL && q != p, "... and the allocator keeps its allocation");
	errno = 0;
	expect(get(12) == NULL && errno == EINVAL, "alloc(12): NULL, EINVAL");
	expect(get(PAGESIZE + 8) == NULL, "alloc(4104): NULL");
	char *small = get(8);
	expect(small != NULL, "alloc(8): more than the lab's multiples of 256");
	put(small);
	put(q);
	put(p + 8); /* not a chunk: ignored */
	put(NULL);
	put(p);
	expect(get(PAGESIZE) == p, "dealloc: the first page free again");
	errno = 0;
	done();
	expect(errno == 0, "cleanup: errno untouched");
	errno = 0;
	done();
	expect(errno == EINVAL, "cleanup again: errno EINVAL");
	printf("part B: the lab's declarations: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
