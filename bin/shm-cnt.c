/* SPDX-License-Identifier: MIT */
/*
 * shm-cnt.c - shmheap-shm-cnt: two processes count in one shared page.
 *
 * The classic demo of a numbered shared segment: the process forks, both
 * processes shmseg_open(1) the same page, increment the counter in it N times
 * each under a user-level spin lock (or without it, --no-lock, to show lost
 * updates), print their final view of it and shmseg_close(1); the last close
 * removes the segment.
 */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "shmseg.h"
#include "tool.h"

#define SEGMENT_ID 1
#define DEFAULT_LOOPS 10000ul
#define MAX_LOOPS 1000000000ul

/* The shared page. */
struct shm_cnt {
	_Atomic int lock;    /* pid of the holder, 0 when free */
	_Atomic int arrived; /* processes that have opened the page */
	_Atomic long counter;
};

static const char usage_text[] =
	"Usage: shmheap-shm-cnt [OPTION]...\n"
	"Two processes increment a counter in shared segment 1, N times each;\n"
	"with the lock the larger printed value is 2N.\n"
	"\n"
	"      --loops N      increments per process (default 10000)\n"
	"      --no-lock      increment without the lock (the count falls short)\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show the version and exit\n"
	"\n"
	"See shmheap-shm-cnt(1).\n";

static bool pid_alive(void *arg)
{
	pid_t pid = *(pid_t *)arg;
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/*
 * The user-level spin lock.  It holds its owner's pid, so that a waiter can
 * take back a lock whose holder died; it yields the processor while it waits.
 * Returns -1 if a signal stopped the demo meanwhile.
 */
static int spin_lock(struct shm_cnt *c, int me)
{
	for (unsigned spins = 1;; spins++) {
		int expected = 0;
		if (atomic_compare_exchange_weak_explicit(&c->lock, &expected, me,
							  memory_order_acquire,
							  memory_order_relaxed))
			return 0;
		if (spins % 64 == 0) {
			if (demo_stop)
				return -1;
			sched_yield();
		}
		if (spins % 4096 == 0 && expected != 0 && kill(expected, 0) < 0 &&
		    errno == ESRCH)
			atomic_compare_exchange_strong(&c->lock, &expected, 0);
	}
}

static void spin_unlock(struct shm_cnt *c)
{
	atomic_store_explicit(&c->lock, 0, memory_order_release);
}

/* What each process does; returns its exit status. */
static int count(const char *who, pid_t peer, unsigned long loops, bool use_lock)
{
	struct shm_cnt *c;
	if (shmseg_open(SEGMENT_ID, (void **)&c) < 0)
		demo_die("%s: shmseg_open(%d): %s", who, SEGMENT_ID, strerror(errno));

	/* Both processes attached before either counts, so neither closes (and
	 * removes) the page while the other is still to open it. */
	int me = (int)getpid();
	struct demo_peer alive = {pid_alive, &peer};
	atomic_fetch_add(&c->arrived, 1);
	demo_futex_wake(&c->arrived);
	int status = TOOL_EXIT_OK;
	if (demo_wait(&c->arrived, 2, &alive) < 0) {
		status = TOOL_EXIT_FAIL;
		loops = 0;
	}
	for (unsigned long i = 0; i < loops && !demo_stop; i++) {
		if (!use_lock) {
			/* A load and a store, not one atomic increment: updates get lost. */
			long v = atomic_load_explicit(&c->counter, memory_order_relaxed);
			atomic_store_explicit(&c->counter, v + 1, memory_order_relaxed);
			continue;
		}
		if (spin_lock(c, me) < 0)
			break;
		atomic_store_explicit(&c->counter,
				      atomic_load_explicit(&c->counter,
							   memory_order_relaxed) +
					      1,
				      memory_order_relaxed);
		spin_unlock(c);
	}
	if (!demo_stop && status == TOOL_EXIT_OK)
		demo_say("%s: counter = %ld", who, atomic_load(&c->counter));
	if (shmseg_close(SEGMENT_ID) < 0)
		demo_die("%s: shmseg_close(%d): %s", who, SEGMENT_ID, strerror(errno));
	if (status != TOOL_EXIT_OK && !demo_stop)
		tool_warn("%s: the other process is gone", who);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"loops", required_argument, NULL, 'n'},
		{"no-lock", no_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	unsigned long loops = DEFAULT_LOOPS;
	bool use_lock = true;
	int c;

	tool_init(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!tool_parse_uint(optarg, MAX_LOOPS, &loops))
				tool_die(TOOL_EXIT_USAGE,
					 "--loops: '%s' is not a number from 0 to %lu",
					 optarg, MAX_LOOPS);
			break;
		case 'u':
			use_lock = false;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return TOOL_EXIT_OK;
		case 'V':
			tool_print_version();
			return TOOL_EXIT_OK;
		default:
			tool_die(TOOL_EXIT_USAGE,
				 "unknown option or missing argument: '%s'",
				 argv[optind - 1]);
		}
	}
	if (optind < argc)
		tool_die(TOOL_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);

	demo_catch_signals();
	fflush(stdout);
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0)
		demo_die("fork: %s", strerror(errno));
	if (child == 0)
		_exit(count("child", parent, loops, use_lock));

	int status = count("parent", child, loops, use_lock);
	if (demo_stop)
		kill(child, SIGTERM);
	int wst;
	while (waitpid(child, &wst, 0) < 0 && errno == EINTR)
		if (demo_stop)
			kill(child, SIGTERM);
	if (demo_stop)
		demo_exit_by_signal();
	if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
		status = TOOL_EXIT_FAIL;
	return status;
}
