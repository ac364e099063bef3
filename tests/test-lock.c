/* SPDX-License-Identifier: MIT */
/*
 * test-lock.c - how calls wait for a heap whose lock another process holds.
 *
 * A holder process keeps the lock for as long as the test wants by walking
 * the heap with a callback that blocks on a pipe.  Waiters then must not get
 * in while it holds the lock, must all get in once it lets go (or dies), and
 * an inspecting connection must give up after its timeout.
 *
 * That the waiters were blocked is proved, not assumed from a pause: each
 * waiter, once its allocation returns, checks a flag in shared memory that
 * the test sets only just before it lets the holder go, and fails if it was
 * not set; and before that the test sees every waiter asleep inside
 * shmheap_alloc (/proc/PID/stat) and none of them finished.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define WAITERS 3

struct holder {
	const char *name;
	int held_fd;	/* the holder writes a byte here once it holds the lock */
	int release_fd; /* ... and lets go when it reads one from here */
};

static int block_in_walk(const struct shmheap_block *blk, void *arg)
{
	const struct holder *h = arg;
	char c = 'h', ignored;
	(void)blk;
	tu_write_all(h->held_fd, &c, 1);
	(void)tu_read_all(h->release_fd, &ignored, 1);
	return 1; /* one block is enough: stop the walk */
}

static void hold_lock(void *arg)
{
	const struct holder *h = arg;
	shmheap_memory_handle mem = shmheap_connect(h->name);
	TU_REQUIRE(mem, "holder: connect: %s", strerror(errno));
	TU_REQUIRE(shmheap_walk(mem, block_in_walk, (void *)h) >= 0, "holder: walk: %s",
		   strerror(errno));
	shmheap_disconnect(mem);
}

/* Starts a holder and returns once it holds the lock; let_go(*release)
 * releases it. */
static pid_t start_holder(const char *name, int *release)
{
	int held[2], rel[2];
	ck_assert_int_eq(pipe(held), 0);
	ck_assert_int_eq(pipe(rel), 0);
	struct holder h = {name, held[1], rel[0]};
	pid_t pid = tu_fork(hold_lock, &h, 60);
	close(held[1]);
	close(rel[0]);
	char c;
	ck_assert_msg(tu_read_all(held[0], &c, 1) == 0, "the holder never took the lock");
	close(held[0]);
	*release = rel[1];
	return pid;
}

struct waiter {
	const char *name;
	int ready_fd;	     /* a waiter writes a byte here once connected */
	int go_fd;	     /* ... and allocates once it reads one from here */
	int entering_fd;     /* ... writing a byte here just before the call */
	const int *released; /* shared: set once the holder may let go */
};

/* By a byte, not by closing: children forked later hold copies of the pipe. */
static void let_go(int release)
{
	char c = 'g';
	tu_write_all(release, &c, 1);
	close(release);
}

static void alloc_one(void *arg)
{
	const struct waiter *w = arg;
	char c = 'r';
	/* Connected first: connecting to a heap whose lock stays busy gives
	 * up after a while (ETIMEDOUT), which is not what is tested here. */
	shmheap_memory_handle mem = shmheap_connect(w->name);
	TU_REQUIRE(mem, "waiter: connect: %s", strerror(errno));
	tu_write_all(w->ready_fd, &c, 1);
	TU_REQUIRE(tu_read_all(w->go_fd, &c, 1) == 0, "waiter: no go");
	tu_write_all(w->entering_fd, &c, 1);
	char *p = shmheap_alloc(mem, 100);
	TU_REQUIRE(__atomic_load_n(w->released, __ATOMIC_ACQUIRE),
		   "waiter: allocated while another process held the lock");
	TU_REQUIRE(p, "waiter: alloc: %s", strerror(errno));
	tu_fill(p, 100, (uint32_t)getpid(), 1);
	shmheap_disconnect(mem);
}

/* Starts connected waiters; *go is the pipe on which each one waits for a
 * byte before it allocates, *entering the one it writes to just before. */
static void start_waiters(const char *name, const int *released, pid_t *pids, int *go,
			  int *entering)
{
	int ready[2], gop[2], ent[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(gop), 0);
	ck_assert_int_eq(pipe(ent), 0);
	struct waiter w = {name, ready[1], gop[0], ent[1], released};
	for (int i = 0; i < WAITERS; i++)
		pids[i] = tu_fork(alloc_one, &w, 60);
	close(ready[1]);
	close(gop[0]);
	close(ent[1]);
	*entering = ent[0];
	for (int i = 0; i < WAITERS; i++) {
		char c;
		ck_assert_msg(tu_read_all(ready[0], &c, 1) == 0,
			      "a waiter did not connect");
	}
	close(ready[0]);
	*go = gop[1];
}

/* Lets the waiters allocate. */
static void send_waiters(int go)
{
	char bytes[WAITERS] = {0};
	tu_write_all(go, bytes, sizeof(bytes));
	close(go);
}

/* The scheduling state of a process ('R', 'S', 'D', 'Z', ...), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *paren = strrchr(buf, ')'); /* the command may hold spaces */
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

static void assert_none_finished(const pid_t *pids)
{
	for (int i = 0; i < WAITERS; i++) {
		int status;
		ck_assert_msg(waitpid(pids[i], &status, WNOHANG) == 0,
			      "waiter %d finished while another process held the lock",
			      i);
	}
}

/*
 * Every waiter has entered shmheap_alloc (it said so on *entering) and is
 * seen asleep there, blocked on the lock, and none has finished.  A waiter
 * that got past the lock would instead run on and exit (and fail: see
 * alloc_one).  Waits without a bound of its own: Check's timeout ends a test
 * whose waiter never blocks.
 */
static void assert_all_blocked(const pid_t *pids, int entering)
{
	for (int i = 0; i < WAITERS; i++) {
		char c;
		ck_assert_msg(tu_read_all(entering, &c, 1) == 0,
			      "a waiter died before allocating");
	}
	close(entering);
	for (int i = 0; i < WAITERS; i++) {
		while (proc_state(pids[i]) != 'S') {
			assert_none_finished(pids);
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
	}
	assert_none_finished(pids);
}

static void assert_waiters_allocated(shmheap_memory_handle h, const pid_t *pids)
{
	char why[256];
	ck_assert_msg(tu_wait_all(pids, WAITERS, 60, why, sizeof(why)) == 0, "%s", why);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, WAITERS);
	ck_assert_int_eq(tu_check(h), 0);
}

/* A heap whose lock a holder holds while connected waiters try to allocate. */
struct contended {
	const char *name;
	shmheap_memory_handle h;
	pid_t holder, waiters[WAITERS];
	int release;   /* for let_go() */
	int *released; /* shared with the waiters: see release_holder() */
};

static void contend(struct contended *c, const char *tag)
{
	c->name = tu_name(tag);
	c->h = shmheap_create(c->name, 1 << 20);
	ck_assert_ptr_nonnull(c->h);
	c->released = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(c->released, MAP_FAILED);
	*c->released = 0;
	int go, entering;
	start_waiters(c->name, c->released, c->waiters, &go, &entering);
	c->holder = start_holder(c->name, &c->release);
	send_waiters(go);
	assert_all_blocked(c->waiters, entering);
}

/* From now on a waiter may get in: the holder is about to let go or die. */
static void release_holder(struct contended *c)
{
	__atomic_store_n(c->released, 1, __ATOMIC_RELEASE);
}

START_TEST(waiters_get_in_once_the_holder_lets_go)
{
	struct contended c;
	contend(&c, "lock-release");

	release_holder(&c);
	let_go(c.release);
	char why[256];
	ck_assert_msg(tu_wait(c.holder, 30, why, sizeof(why)) == 0, "%s", why);
	assert_waiters_allocated(c.h, c.waiters);
	munmap(c.released, sizeof(int));
	shmheap_destroy(c.name, c.h);
}
END_TEST

START_TEST(waiters_get_in_when_the_holder_dies)
{
	struct contended c;
	contend(&c, "lock-death");

	release_holder(&c);
	ck_assert_int_eq(kill(c.holder, SIGKILL), 0);
	ck_assert_int_eq(waitpid(c.holder, NULL, 0), c.holder);
	close(c.release);
	assert_waiters_allocated(c.h, c.waiters);
	munmap(c.released, sizeof(int));
	shmheap_destroy(c.name, c.h);
}
END_TEST

START_TEST(inspection_gives_up_after_its_timeout)
{
	const char *name = tu_name("lock-timeout");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);

	int release;
	pid_t holder = start_holder(name, &release);
	struct shmheap_connect_options opts = {.flags = SHMHEAP_CONNECT_INSPECT,
					       .lock_timeout_ms = 100};
	shmheap_memory_handle in = shmheap_connect_ex(name, &opts);
	ck_assert_ptr_nonnull(in);
	struct shmheap_stats st;
	errno = 0;
	ck_assert_int_eq(shmheap_stats(in, &st), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);

	let_go(release);
	char why[256];
	ck_assert_msg(tu_wait(holder, 30, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(shmheap_stats(in, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	shmheap_disconnect(in);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tu_tcase("waiting", 120);
	tcase_add_test(tc, waiters_get_in_once_the_holder_lets_go);
	tcase_add_test(tc, waiters_get_in_when_the_holder_dies);
	tcase_add_test(tc, inspection_gives_up_after_its_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(lock_suite());
}
