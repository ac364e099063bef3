/* SPDX-License-Identifier: MIT */
/*
 * test-debug.c - what ./configure --enable-debug adds: a call that changes a
 * heap verifies all of it before letting go of the lock, and aborts when it
 * finds damage.  An ordinary build does not look; the damage is then only
 * found by shmheap_check.  Either way the test knows which build it runs in
 * (config.h) and asserts that build's behaviour.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layout.h"
#include "testutil.h"

struct damaged {
	shmheap_memory_handle h;
	char *victim;
};

/* Changes a live object's tag: the one damage no allocation elsewhere meets. */
static void damage_tag(char *obj)
{
	*(uint64_t *)(void *)(obj - HEAP_UNIT) ^= (uint64_t)1 << BW_TAG_SHIFT;
}

static void alloc_after_damage(void *arg)
{
	const struct damaged *d = arg;
	damage_tag(d->victim);
	/* Debug builds abort in here; others return an object. */
	TU_REQUIRE(shmheap_alloc(d->h, 32) != NULL, "alloc: %s", strerror(errno));
}

START_TEST(mutating_call_verifies_the_heap)
{
	const char *name = tu_name("debug");
	struct damaged d;
	d.h = shmheap_create(name, 1 << 16);
	ck_assert_ptr_nonnull(d.h);
	d.victim = shmheap_alloc(d.h, 64);
	ck_assert_ptr_nonnull(d.victim);
	ck_assert_int_eq(tu_check(d.h), 0);

	pid_t pid = tu_fork(alloc_after_damage, &d, 30);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
#ifdef SHMHEAP_DEBUG
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "a debug build did not abort on a damaged heap (status %#x)",
		      status);
#else
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "an ordinary build failed the allocation (status %#x)", status);
#endif
	/* The child's damage is in the shared heap: the check finds it.  The
	 * child that aborted held the lock: the repair the check made first
	 * checked the heap whole and marked it damaged, a second problem. */
#ifdef SHMHEAP_DEBUG
	ck_assert_int_eq(shmheap_check(d.h, NULL, NULL), 2);
#else
	ck_assert_int_eq(shmheap_check(d.h, NULL, NULL), 1);
#endif
	shmheap_destroy(name, d.h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("debug");
	TCase *tc = tu_tcase("verify-after-change", 60);
	tcase_add_test(tc, mutating_call_verifies_the_heap);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
