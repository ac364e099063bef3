/* SPDX-License-Identifier: MIT */
/*
 * test-lock-recovery.c - a heap whose lock holder died, and one whose repair
 * failed, as every later caller and shmheap_info see them.
 *
 * The test processes take the heap's robust mutex (the first field of the
 * header, see lib/layout.h) directly, through the mapping a child inherits
 * from the test, to put it in each of glibc's states: held, owner dead, owner
 * dead while being repaired, and released unrepaired (not recoverable).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layout.h"
#include "testutil.h"

#define WORKERS 4

static pthread_mutex_t *heap_mutex(shmheap_memory_handle h)
{
	return &((struct heap_header *)shmheap_underlying(h))->lock;
}

struct breaker {
	shmheap_memory_handle h; /* inherited from the test process */
	int break_chain;	 /* make the repair fail */
};

/* Takes the lock and exits holding it (optionally breaking the chain first). */
static void die_holding(void *arg)
{
	const struct breaker *b = arg;
	TU_REQUIRE(pthread_mutex_lock(heap_mutex(b->h)) == 0, "breaker: lock");
	if (b->break_chain)
		*(uint64_t *)(void *)((char *)shmheap_underlying(b->h) +
				      HEAP_FIRST_BLOCK) = 0;
}

static void run_child(void (*fn)(void *), void *arg)
{
	char why[256];
	pid_t pid = tu_fork(fn, arg, 30);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
}

/* Takes the lock of a heap whose holder died, and releases it without making
 * it consistent: glibc then calls the mutex not recoverable. */
static void release_unrepaired(void *arg)
{
	shmheap_memory_handle h = arg;
	TU_REQUIRE(pthread_mutex_lock(heap_mutex(h)) == EOWNERDEAD,
		   "the holder did not die");
	TU_REQUIRE(pthread_mutex_unlock(heap_mutex(h)) == 0, "unlock");
}

struct worker {
	const char *name;
	int ready_fd, go_fd;
};

/* A connected process: once told to go, every call must fail at once with
 * ENOTRECOVERABLE, however often it tries. */
static void expect_unrecoverable(void *arg)
{
	const struct worker *w = arg;
	char c = 'r';
	shmheap_memory_handle mem = shmheap_connect(w->name);
	TU_REQUIRE(mem, "worker: connect: %s", strerror(errno));
	tu_write_all(w->ready_fd, &c, 1);
	TU_REQUIRE(tu_read_all(w->go_fd, &c, 1) == 0, "worker: no go");
	for (int i = 0; i < 3; i++) {
		errno = 0;
		TU_REQUIRE(!shmheap_alloc(mem, 64) && errno == ENOTRECOVERABLE,
			   "worker: alloc %d: %s", i, strerror(errno));
		struct shmheap_stats st;
		errno = 0;
		TU_REQUIRE(shmheap_stats(mem, &st) == -1 && errno == ENOTRECOVERABLE,
			   "worker: stats %d: %s", i, strerror(errno));
	}
	shmheap_disconnect(mem);
}

/* Connected workers, blocked until send_go. */
static void start_workers(const char *name, pid_t *pids, int *go)
{
	int ready[2], gop[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(gop), 0);
	struct worker w = {name, ready[1], gop[0]};
	for (int i = 0; i < WORKERS; i++)
		pids[i] = tu_fork(expect_unrecoverable, &w, 60);
	close(ready[1]);
	close(gop[0]);
	for (int i = 0; i < WORKERS; i++) {
		char c;
		ck_assert_msg(tu_read_all(ready[0], &c, 1) == 0,
			      "a worker did not connect");
	}
	close(ready[0]);
	*go = gop[1];
}

static void send_go(int go)
{
	char bytes[WORKERS] = {0};
	tu_write_all(go, bytes, sizeof(bytes));
	close(go);
}

static void assert_lock_state(const char *name, int state)
{
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.lock_state, state);
}

/* The calls of a process connected to an unrecoverable heap, and connect. */
static void assert_unusable(const char *name, shmheap_memory_handle h, void *obj)
{
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(h, 8));
	ck_assert_int_eq(errno, ENOTRECOVERABLE);
	errno = 0;
	ck_assert_int_eq(shmheap_free_checked(h, obj), -1);
	ck_assert_int_eq(errno, ENOTRECOVERABLE);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, ENOTRECOVERABLE);
}

START_TEST(a_failed_repair_fails_every_later_call)
{
	const char *name = tu_name("lock-norecover");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);
	void *obj = shmheap_alloc(h, 100);
	ck_assert_ptr_nonnull(obj);

	pid_t pids[WORKERS];
	int go;
	start_workers(name, pids, &go);
	struct breaker b = {h, 1};
	run_child(die_holding, &b);
	/* The first worker to lock repairs, fails (the chain is broken) and
	 * leaves the mutex unrecoverable; every other one must then fail too. */
	send_go(go);
	char why[256];
	ck_assert_msg(tu_wait_all(pids, WORKERS, 30, why, sizeof(why)) == 0, "%s", why);

	assert_lock_state(name, SHMHEAP_LOCK_UNRECOVERABLE);
	assert_unusable(name, h, obj);
	assert_lock_state(name, SHMHEAP_LOCK_UNRECOVERABLE);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(a_lock_released_unrepaired_shows_unrecoverable)
{
	const char *name = tu_name("lock-unrepaired");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);
	void *obj = shmheap_alloc(h, 100);
	ck_assert_ptr_nonnull(obj);

	pid_t pids[WORKERS];
	int go;
	start_workers(name, pids, &go);
	struct breaker b = {h, 0};
	run_child(die_holding, &b);
	run_child(release_unrepaired, h);
	/* The lock word is free now: only __owner says the mutex is dead. */
	assert_lock_state(name, SHMHEAP_LOCK_UNRECOVERABLE);

	send_go(go);
	char why[256];
	ck_assert_msg(tu_wait_all(pids, WORKERS, 30, why, sizeof(why)) == 0, "%s", why);
	assert_unusable(name, h, obj);
	assert_lock_state(name, SHMHEAP_LOCK_UNRECOVERABLE);
	shmheap_destroy(name, h);
}
END_TEST

struct repairer {
	shmheap_memory_handle h;
	int locked_fd; /* a byte once it holds the lock of the dead owner */
	int die_fd;    /* it exits, without repairing, when it reads one */
};

static void start_repair_and_die(void *arg)
{
	const struct repairer *r = arg;
	char c = 'l';
	TU_REQUIRE(pthread_mutex_lock(heap_mutex(r->h)) == EOWNERDEAD,
		   "the holder did not die");
	tu_write_all(r->locked_fd, &c, 1);
	(void)tu_read_all(r->die_fd, &c, 1);
}

START_TEST(a_killed_repairer_leaves_the_repair_to_the_next_locker)
{
	const char *name = tu_name("lock-repairer");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);
	void *objs[10];
	for (uint32_t i = 0; i < 10; i++) {
		objs[i] = shmheap_alloc(h, 40 + i * 8);
		ck_assert_ptr_nonnull(objs[i]);
		tu_fill(objs[i], 40 + i * 8, 7, i);
	}

	struct breaker b = {h, 0};
	run_child(die_holding, &b);
	assert_lock_state(name, SHMHEAP_LOCK_OWNER_DEAD);

	int locked[2], die[2];
	ck_assert_int_eq(pipe(locked), 0);
	ck_assert_int_eq(pipe(die), 0);
	struct repairer r = {h, locked[1], die[0]};
	pid_t pid = tu_fork(start_repair_and_die, &r, 30);
	close(locked[1]);
	close(die[0]);
	char c = 'd';
	ck_assert_int_eq(tu_read_all(locked[0], &c, 1), 0);
	close(locked[0]);

	/* Repairing: held by a live process, not unrecoverable. */
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_HELD);
	ck_assert_int_eq(info.lock_owner, pid);

	tu_write_all(die[1], &c, 1);
	close(die[1]);
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	assert_lock_state(name, SHMHEAP_LOCK_OWNER_DEAD);

	/* The next locker repairs, as after any death. */
	shmheap_memory_handle c2 = shmheap_connect(name);
	ck_assert_msg(c2 != NULL, "connect: %s", strerror(errno));
	void *p = shmheap_alloc(c2, 64);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(tu_check(c2), 0);
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_int_eq(tu_verify(objs[i], 40 + i * 8, 7, i), -1);
	assert_lock_state(name, SHMHEAP_LOCK_FREE);
	shmheap_disconnect(c2);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *recovery_suite(void)
{
	Suite *s = suite_create("lock-recovery");
	TCase *tc = tu_tcase("recovery", 120);
	tcase_add_test(tc, a_failed_repair_fails_every_later_call);
	tcase_add_test(tc, a_lock_released_unrepaired_shows_unrecoverable);
	tcase_add_test(tc, a_killed_repairer_leaves_the_repair_to_the_next_locker);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(recovery_suite());
}
