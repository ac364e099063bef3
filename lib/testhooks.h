/* SPDX-License-Identifier: MIT */
/*
 * testhooks.h - hooks for the tests, compiled into the library built for
 * them (lib/libshmheap-test.la, with -DSHMHEAP_TEST_HOOKS) and into nothing
 * else: in the installed library each hook expands to nothing at all, so no
 * environment variable of the tests is read there, and no test can reach a
 * user's process through it.  PostgreSQL's injection points work the same way.
 *
 * SHMHEAP_KILL_POINT(call, step): a numbered step of a call that logs its
 * intent.  With SHMHEAP_TEST_KILL_AT=call:step in the environment (of a
 * process whose real and effective ids agree), the process SIGKILLs itself
 * there, so that a test can leave a heap at every step of the call and check
 * the repair that follows (tests/test-publish.c).
 *
 * SHMHEAP_TEST_TREAP_HEAPS(): true when SHMHEAP_TEST_TREAP_HEAPS=1 is in the
 * environment: new heaps keep the free-block treaps of 0.5 and earlier
 * instead of a fitmap, so that the tests can make the heaps older libraries
 * made and go on using them.
 */
#ifndef SHMHEAP_TESTHOOKS_H
#define SHMHEAP_TESTHOOKS_H

#ifdef SHMHEAP_TEST_HOOKS

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read at each step: the test build keeps no state for its hooks. */
static inline void testhook_kill_point(const char *call, int step)
{
	const char *at = secure_getenv("SHMHEAP_TEST_KILL_AT");
	if (!at)
		return;
	char here[64];
	snprintf(here, sizeof(here), "%s:%d", call, step);
	if (strcmp(here, at) == 0)
		raise(SIGKILL);
}
#define SHMHEAP_KILL_POINT(call, step) testhook_kill_point(call, step)

static inline int testhook_treap_heaps(void)
{
	const char *v = secure_getenv("SHMHEAP_TEST_TREAP_HEAPS");
	return v && strcmp(v, "1") == 0;
}
#define SHMHEAP_TEST_TREAP_HEAPS() testhook_treap_heaps()

#else

#define SHMHEAP_KILL_POINT(call, step) ((void)0)
#define SHMHEAP_TEST_TREAP_HEAPS() 0

#endif

#endif /* SHMHEAP_TESTHOOKS_H */
