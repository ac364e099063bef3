/* SPDX-License-Identifier: MIT */
/*
 * shm-cnt.c - shmheap-shm-cnt: two processes count in one shared page.
 *
 * The classic demo of a numbered shared segment: the process forks, both
 * processes shmseg_open(1) the same page, increment the counter in it N times
 * each under a lock (or without it, --no-lock, to show lost updates), print
 * their final view of it and shmseg_close(1); the last close removes the
 * segment.
 *
 * The page may be shared with other runs in the namespace, or left by a run
 * that was killed, so nothing in it may make a process wait for good, and no
 * wait is without bound (DEMO_WAIT_S):
 * - Each process tells the other through a pipe that it has the page open and
 *   waits for the other's word before it counts, so that neither closes (and
 *   removes) the page before the other has it.  The pipes belong to this run
 *   alone, and the kernel closes a process's ends when it dies, however it
 *   dies: the other then reads end-of-file rather than wait.
 * - The lock is a robust process-shared mutex: when its holder dies, the
 *   kernel hands it to the next process that locks it (EOWNERDEAD), whatever
 *   became of the holder's pid.
 * - The first process that finds the page zero sets it up (the mutex) and
 *   marks it ready; a page whose first word is neither zero nor one of those
 *   marks holds something else, and is refused.
 * - SIGPIPE is ignored: a line that cannot be written (EPIPE) is an error like
 *   any other; the process still closes the page, and exits 1.
 * - The child dies with its parent (PR_SET_PDEATHSIG), by SIGTERM, after
 *   closing the page.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "shmseg.h"
#include "tool.h"

#define SEGMENT_ID 1
#define DEFAULT_LOOPS 10000ul
#define MAX_LOOPS 1000000000ul

/* The first word of the page: 0 (a new page), then these. */
#define PAGE_SETTING_UP 0x636e7430 /* "cnt0" */
#define PAGE_READY 0x636e7431	   /* "cnt1" */

/* The shared page. */
struct shm_cnt {
	_Atomic int state;    /* 0, PAGE_SETTING_UP or PAGE_READY */
	pthread_mutex_t lock; /* robust, process-shared */
	_Atomic long counter;
};

/* One process's side of the run. */
struct side {
	const char *who, *other; /* "parent" and "child", or the reverse */
	int from_other, to_other; /* the pipes between the two */
	unsigned long loops;
	bool use_lock;
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

/*
 * Tells the other process that this one has the page open, and waits for the
 * same word from it.  0, or -1: stopped by a signal, the other has ended
 * (it says why itself), or DEMO_WAIT_S seconds passed (said here).
 */
static int meet(const struct side *sd)
{
	if (write_all(sd->to_other, "o", 1) < 0)
		return -1; /* EPIPE: the other has ended */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left = DEMO_WAIT_S * 1000L - demo_ms_since(&start);
		if (demo_stop)
			return -1;
		if (left <= 0) {
			tool_warn("%s: waited %d s for the %s to open segment %d", sd->who,
				  DEMO_WAIT_S, sd->other, SEGMENT_ID);
			return -1;
		}
		struct pollfd p = {sd->from_other, POLLIN, 0};
		if (poll(&p, 1, (int)left) <= 0)
			continue; /* EINTR or the time is up: looked at above */
		char c;
		ssize_t n = read(sd->from_other, &c, 1);
		if (n == 1)
			return 0;
		if (n == 0 || errno != EINTR)
			return -1;
	}
}

/* Makes a new page a counter page, or waits for the process that does. */
static int page_ready(struct shm_cnt *c, const char *who)
{
	int s = 0;
	if (atomic_compare_exchange_strong(&c->state, &s, PAGE_SETTING_UP)) {
		pthread_mutexattr_t a;
		int e = pthread_mutexattr_init(&a);
		if (e == 0) {
			e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
			if (e == 0)
				e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
			if (e == 0)
				e = pthread_mutex_init(&c->lock, &a);
			pthread_mutexattr_destroy(&a);
		}
		if (e != 0) {
			demo_post(&c->state, 0); /* for another to try */
			tool_warn("%s: cannot set up the lock: %s", who, strerror(e));
			return -1;
		}
		demo_post(&c->state, PAGE_READY);
		return 0;
	}
	if (s != PAGE_SETTING_UP && s != PAGE_READY) {
		tool_warn("%s: segment %d is not a counter page (its first word is %#x)",
			  who, SEGMENT_ID, (unsigned)s);
		return -1;
	}
	if (demo_wait(&c->state, PAGE_READY, NULL) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		tool_warn("%s: waited %d s for segment %d to be set up", who, DEMO_WAIT_S,
			  SEGMENT_ID);
	return -1;
}

/*
 * Takes the page's lock: at once if it is free, else in slices of 100 ms (to
 * look at the stop flag) for at most DEMO_WAIT_S seconds.
 */
static int lock_page(struct shm_cnt *c, const char *who)
{
	int e = pthread_mutex_trylock(&c->lock);
	if (e == EBUSY) {
		struct timespec start;
		clock_gettime(CLOCK_MONOTONIC, &start);
		do {
			if (demo_stop)
				return -1;
			if (demo_ms_since(&start) >= DEMO_WAIT_S * 1000L) {
				tool_warn("%s: waited %d s for the lock of segment %d", who,
					  DEMO_WAIT_S, SEGMENT_ID);
				return -1;
			}
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 100000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			e = pthread_mutex_timedlock(&c->lock, &until);
		} while (e == ETIMEDOUT);
	}
	if (e == EOWNERDEAD) {
		/* Its holder died; the counter is whole, written in one store. */
		e = pthread_mutex_consistent(&c->lock);
		if (e != 0)
			pthread_mutex_unlock(&c->lock);
	}
	if (e != 0) {
		tool_warn("%s: cannot lock segment %d: %s", who, SEGMENT_ID, strerror(e));
		return -1;
	}
	return 0;
}

/* The loop of increments; 0, or -1 if stopped or the lock failed. */
static int add(struct shm_cnt *c, const struct side *sd)
{
	for (unsigned long i = 0; i < sd->loops; i++) {
		if (demo_stop)
			return -1;
		if (sd->use_lock && lock_page(c, sd->who) < 0)
			return -1;
		/* A load and a store, not one atomic increment: without the lock,
		 * the other process's updates between the two get lost. */
		long v = atomic_load_explicit(&c->counter, memory_order_relaxed);
		atomic_store_explicit(&c->counter, v + 1, memory_order_relaxed);
		if (sd->use_lock)
			pthread_mutex_unlock(&c->lock);
	}
	return 0;
}

/* What each process does; returns its exit status. */
static int count(const struct side *sd)
{
	struct shm_cnt *c;
	if (shmseg_open(SEGMENT_ID, (void **)&c) < 0) {
		tool_warn("%s: shmseg_open(%d): %s", sd->who, SEGMENT_ID, strerror(errno));
		return TOOL_EXIT_FAIL;
	}
	int status = TOOL_EXIT_FAIL;
	if (meet(sd) == 0 && page_ready(c, sd->who) == 0 && add(c, sd) == 0) {
		status = TOOL_EXIT_OK;
		if (demo_say(sd->who, "counter = %ld", atomic_load(&c->counter)) < 0)
			status = TOOL_EXIT_FAIL;
	}
	if (shmseg_close(SEGMENT_ID) < 0) {
		tool_warn("%s: shmseg_close(%d): %s", sd->who, SEGMENT_ID, strerror(errno));
		status = TOOL_EXIT_FAIL;
	}
	return status;
}

/* The child's part: it dies with its parent, after closing the page. */
static _Noreturn void child_main(pid_t parent, int down[2], int up[2],
				 unsigned long loops, bool use_lock)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) /* died before the line above */
		demo_stop = SIGTERM;
	close(down[1]);
	close(up[0]);
	struct side sd = {"child", "parent", down[0], up[1], loops, use_lock};
	int status = count(&sd);
	if (demo_stop)
		demo_exit_by_signal();
	_exit(status);
}

/*
 * Drops segment 1 if no one has it attached, as a last close would have: the
 * way to clean up after a child killed before it could close it.
 */
static void drop_page(void)
{
	void *p;
	if (shmseg_open(SEGMENT_ID, &p) == 0)
		shmseg_close(SEGMENT_ID);
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
	int down[2], up[2]; /* parent to child, child to parent */
	if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0)
		demo_die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0)
		demo_die("fork: %s", strerror(errno));
	if (child == 0)
		child_main(parent, down, up, loops, use_lock);
	close(down[0]);
	close(up[1]);

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	struct side sd = {"parent", "child", up[0], down[1], loops, use_lock};
	int status = count(&sd);
	close(up[0]); /* a child still waiting for the word reads end-of-file */
	close(down[1]);
	if (demo_stop)
		kill(child, SIGTERM);
	/* The child has as much to do as the parent had: as long again, and more. */
	long patience = DEMO_WAIT_S * 1000L + demo_ms_since(&start);
	int wst;
	if (demo_reap(child, &wst, patience) < 0) {
		tool_warn("parent: waited %ld s for the child to finish; ending it",
			  patience / 1000);
		wst = demo_end_child(child);
		drop_page();
		status = TOOL_EXIT_FAIL;
	} else if (WIFSIGNALED(wst) && !demo_stop) {
		tool_warn("parent: the child was killed by signal %d (%s)", WTERMSIG(wst),
			  strsignal(WTERMSIG(wst)));
		drop_page();
	}
	if (demo_stop)
		demo_exit_by_signal();
	if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
		status = TOOL_EXIT_FAIL;
	return status;
}
