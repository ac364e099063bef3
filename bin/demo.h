/* SPDX-License-Identifier: MIT */
/*
 * demo.h - what the segment demos (shmheap-shm-cnt, shmheap-pingpong) share:
 * a line on standard output in one write, a diagnostics macro, a stop flag
 * for SIGINT/SIGTERM/SIGHUP (SIGPIPE ignored), a bounded wait on a shared
 * integer that sleeps in the kernel (futex) instead of burning a core, and a
 * bounded wait for a child.
 *
 * The rule of the demos: no wait is without bound.  Whatever a process waits
 * for from the other (a word, a lock, its exit), it gives up after
 * DEMO_WAIT_S seconds, or at once when the other is gone, and says what it
 * waited for.
 */
#ifndef SHMHEAP_DEMO_H
#define SHMHEAP_DEMO_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* The longest a demo waits for the other process, in seconds. */
#define DEMO_WAIT_S 10

/*
 * One line "who: message" on standard output, written with one write(2), so
 * that the lines of two processes sharing the output come out whole and in
 * the order they were said.  0, or -1 after saying on standard error that it
 * could not be written (EPIPE when the reader has gone: SIGPIPE is ignored,
 * see demo_catch_signals).
 */
int demo_say(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* demo_die: one line "tool: message" on standard error, then exit status 1. */
#define demo_die(fmt, ...)                     \
	do {                                   \
		tool_warn(fmt, ##__VA_ARGS__); \
		exit(TOOL_EXIT_FAIL);          \
	} while (0)

/* Set by the handler that demo_catch_signals installs: the signal caught. */
extern volatile sig_atomic_t demo_stop;

/*
 * SIGINT, SIGTERM and SIGHUP set demo_stop; blocking calls return EINTR.
 * SIGPIPE is ignored: a write to a closed pipe fails with EPIPE instead of
 * killing the process before it has cleaned up.
 */
void demo_catch_signals(void);
/* Exits as the signal that stopped the demo would have (after the clean-up). */
_Noreturn void demo_exit_by_signal(void);

/* Milliseconds since *t (CLOCK_MONOTONIC). */
long demo_ms_since(const struct timespec *t);

/* Is the other process still there?  fn returns false once it is gone. */
struct demo_peer {
	bool (*alive)(void *arg);
	void *arg;
};

static inline void demo_futex_wake(_Atomic int *w)
{
	syscall(SYS_futex, (int *)w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Stores v with release order and wakes the waiters. */
static inline void demo_post(_Atomic int *w, int v)
{
	atomic_store_explicit(w, v, memory_order_release);
	demo_futex_wake(w);
}

/*
 * Waits (acquire) until *w == v.  Spins briefly, then sleeps on the futex,
 * waking every 100 ms to look at the stop flag and the peer (if any).
 * Returns 0, or -1 with errno EINTR (stopped by a signal), ESRCH (the peer is
 * gone) or ETIMEDOUT (DEMO_WAIT_S seconds passed).
 */
int demo_wait(_Atomic int *w, int v, const struct demo_peer *peer);

/*
 * Waits at most ms milliseconds for the child pid to exit, and stores its
 * wait status; a stop signal caught meanwhile is passed on to it (SIGTERM).
 * 0, or -1 with errno (ETIMEDOUT).
 */
int demo_reap(pid_t pid, int *wst, long ms);
/*
 * Ends the child pid: SIGTERM (and SIGCONT, should it be stopped), which lets
 * it clean up, then SIGKILL if it has not exited 2 seconds later.  Returns
 * its wait status.
 */
int demo_end_child(pid_t pid);

#endif /* SHMHEAP_DEMO_H */
