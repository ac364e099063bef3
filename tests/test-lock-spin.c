/* SPDX-License-Identifier: MIT */
/*
 * test-lock-spin.c - a locker of a cached heap watches a busy lock only while
 * its holder can be running: a holder notes the processor it took the lock
 * on, and a waiter on that same processor (where the holder, then, is not
 * running) goes straight on to yield and nap.
 *
 * Whether a waiter watched is told by a kill point of the test library
 * (lib/testhooks.h) at the start of its watch, "heap_lock_spin:1": a waiter
 * that watches is killed there, one that does not times out (a connection
 * with a wait limit) and exits.  Nothing here measures time.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layout.h"
#include "lock.h"
#include "testutil.h"

#define HEAP_BYTES (4u << 20)
#define BIG 4096 /* larger than any cached block: taken under the lock */
#define LIMIT_MS 50

/* Writes the holder's processor (plus one; 0: not known) as a holder would;
 * the test holds the lock itself, with pthread_mutex_lock. */
static void set_holder_cpu(pthread_mutex_t *m, unsigned cpu)
{
#if HEAP_LOCK_NOTES_HOLDER && defined(__x86_64__)
	m->__data.__elision = (short)cpu;
#elif HEAP_LOCK_NOTES_HOLDER
	unsigned w = (unsigned)m->__data.__spins;
	m->__data.__spins = (int)((w & 0xffffu) | cpu << 16);
#else
	(void)m;
	(void)cpu;
#endif
}

static shmheap_memory_handle create(const char *name, unsigned flags)
{
	struct shmheap_options opts = {.flags = flags};
	shmheap_memory_handle h = shmheap_create_ex(name, HEAP_BYTES, &opts);
	ck_assert_msg(h, "create %s: %s", name, strerror(errno));
	return h;
}

struct noter {
	const char *name;
	unsigned expect_noted;
};

/* Pinned to the last processor it may use, takes the lock once (a large
 * allocation) and reads what the lock says of its holder. */
static void take_and_read(void *arg)
{
	const struct noter *n = arg;
	cpu_set_t set;
	TU_REQUIRE(sched_getaffinity(0, sizeof(set), &set) == 0, "affinity");
	tu_pin_to_cpu((unsigned)CPU_COUNT(&set) - 1);
	shmheap_memory_handle mem = shmheap_connect(n->name);
	TU_REQUIRE(mem, "connect: %s", strerror(errno));
	void *p = shmheap_alloc(mem, BIG);
	TU_REQUIRE(p, "alloc: %s", strerror(errno));
	int cpu = sched_getcpu();
	TU_REQUIRE(cpu >= 0, "sched_getcpu: %s", strerror(errno));
	struct heap_header *hdr = shmheap_underlying(mem);
	unsigned noted = heap_lock_holder_cpu(&hdr->lock);
	if (n->expect_noted)
		TU_REQUIRE(noted == (unsigned)cpu + 1,
			   "the lock says its holder ran on %u - 1, not on %d", noted,
			   cpu);
	else
		TU_REQUIRE(noted == 0, "a default heap's holder noted %u", noted);
	shmheap_free(mem, p);
	shmheap_disconnect(mem);
}

START_TEST(a_cached_heaps_holder_notes_its_processor)
{
	if (!HEAP_LOCK_NOTES_HOLDER) {
		tu_skip("this C library's mutex has no room for the note");
		return;
	}
	const char *name = tu_name("note");
	shmheap_memory_handle h = create(name, SHMHEAP_CACHED);
	struct noter n = {name, 1};
	char why[256];
	ck_assert_msg(tu_wait(tu_fork(take_and_read, &n, 30), 30, why, sizeof(why)) == 0,
		      "%s", why);
	shmheap_destroy(name, h);
}
END_TEST

/* Heaps whose waiters nap at once (default heaps) do not pay for the note. */
START_TEST(a_default_heaps_holder_notes_nothing)
{
	const char *name = tu_name("nonote");
	shmheap_memory_handle h = create(name, 0);
	struct noter n = {name, 0};
	char why[256];
	ck_assert_msg(tu_wait(tu_fork(take_and_read, &n, 30), 30, why, sizeof(why)) == 0,
		      "%s", why);
	shmheap_destroy(name, h);
}
END_TEST

/*
 * A waiter pinned to the first processor it may use: connects (with a wait
 * limit), reports its processor, and once told to, asks for a large block
 * while the test holds the lock, with the kill point of the watch armed.
 * Exits 0 when the call timed out, 3 when it answered anything else.
 */
static pid_t start_waiter(const char *name, int *cpu_fd, int *go_fd)
{
	int ready[2], go[2];
	ck_assert(pipe(ready) == 0 && pipe(go) == 0);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		alarm(30); /* a hang ends with SIGALRM, not SIGKILL */
		tu_pin_to_cpu(0);
		struct shmheap_connect_options opts = {0};
		opts.flags = SHMHEAP_CONNECT_WAIT_LIMIT;
		opts.wait_limit_ms = LIMIT_MS;
		shmheap_memory_handle mem = shmheap_connect_ex(name, &opts);
		int cpu = sched_getcpu();
		if (!mem || cpu < 0)
			_exit(2);
		tu_write_all(ready[1], &cpu, sizeof(cpu));
		char c;
		if (tu_read_all(go[0], &c, 1) != 0)
			_exit(2);
		setenv("SHMHEAP_TEST_KILL_AT", "heap_lock_spin:1", 1);
		void *p = shmheap_alloc(mem, BIG);
		_exit(!p && errno == ETIMEDOUT ? 0 : 3);
	}
	close(ready[1]);
	close(go[0]);
	*cpu_fd = ready[0];
	*go_fd = go[1];
	return pid;
}

/* How the waiter ended while the test held the lock, its holder noted on
 * the waiter's processor (here) or on none (0). */
static int waiter_status(const char *name, struct heap_header *hdr, int here)
{
	int cpu_fd, go_fd, cpu, status;
	pid_t pid = start_waiter(name, &cpu_fd, &go_fd);
	ck_assert_msg(tu_read_all(cpu_fd, &cpu, sizeof(cpu)) == 0, "waiter failed");
	ck_assert_int_eq(pthread_mutex_lock(&hdr->lock), 0);
	set_holder_cpu(&hdr->lock, here ? (unsigned)cpu + 1 : 0);
	tu_write_all(go_fd, "g", 1);
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	pthread_mutex_unlock(&hdr->lock);
	close(cpu_fd);
	close(go_fd);
	ck_assert_int_eq(r, pid);
	return status;
}

START_TEST(a_waiter_on_the_holders_processor_does_not_watch)
{
	if (!HEAP_LOCK_NOTES_HOLDER) {
		tu_skip("this C library's mutex has no room for the note");
		return;
	}
	const char *name = tu_name("spin");
	shmheap_memory_handle h = create(name, SHMHEAP_CACHED);
	struct heap_header *hdr = shmheap_underlying(h);

	/* The holder took the lock where the waiter runs: it is not running,
	 * and the waiter does not watch; it waits, then times out. */
	int status = waiter_status(name, hdr, 1);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "waiter on the holder's processor: status %#x (killed by %d: it "
		      "watched a holder that could not run)",
		      status, WIFSIGNALED(status) ? WTERMSIG(status) : 0);

	/* The holder's processor is not known: the waiter watches (and the
	 * kill point shows it). */
	status = waiter_status(name, hdr, 0);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "waiter beside a holder that may run: status %#x, not killed "
		      "where it starts to watch",
		      status);

	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *spin_suite(void)
{
	Suite *s = suite_create("lock-spin");
	TCase *tc = tu_tcase("spin", 60);
	tcase_add_test(tc, a_cached_heaps_holder_notes_its_processor);
	tcase_add_test(tc, a_default_heaps_holder_notes_nothing);
	tcase_add_test(tc, a_waiter_on_the_holders_processor_does_not_watch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(spin_suite());
}
