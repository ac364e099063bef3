/* SPDX-License-Identifier: MIT */
/*
 * demo.h - what the segment demos (shmheap-shm-cnt, shmheap-pingpong) share:
 * two printf-like diagnostics macros, a stop flag for SIGINT/SIGTERM/SIGHUP,
 * and a wait on a shared integer that sleeps in the kernel (futex) instead of
 * burning a core, and gives up when the other process is gone.
 */
#ifndef SHMHEAP_DEMO_H
#define SHMHEAP_DEMO_H

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/*
 * demo_say: one line on standard output, flushed at once, so that the lines
 * of two processes sharing the output come out in the order they were said.
 * demo_die: one line "tool: message" on standard error, then exit status 1.
 */
#define demo_say(fmt, ...)                       \
	do {                                     \
		printf(fmt "\n", ##__VA_ARGS__); \
		fflush(stdout);                  \
	} while (0)
#define demo_die(fmt, ...)                     \
	do {                                   \
		tool_warn(fmt, ##__VA_ARGS__); \
		exit(TOOL_EXIT_FAIL);          \
	} while (0)

/* Set by the handler that demo_catch_signals installs: the signal caught. */
extern volatile sig_atomic_t demo_stop;

/* SIGINT, SIGTERM and SIGHUP set demo_stop; blocking calls return EINTR. */
void demo_catch_signals(void);
/* Exits as the signal that stopped the demo would have (after the clean-up). */
_Noreturn void demo_exit_by_signal(void);

/* Is the other process still there?  fn returns false once it is gone. */
struct demo_peer {
	bool (*alive)(void *arg);
	void *arg;
};

static inline void demo_futex_wake(_Atomic int *w)
{
	syscall(SYS_futex, (int *)w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Stores v with release order and wakes the waiter. */
static inline void demo_post(_Atomic int *w, int v)
{
	atomic_store_explicit(w, v, memory_order_release);
	demo_futex_wake(w);
}

/*
 * Waits (acquire) until *w == v.  Spins briefly, then sleeps on the futex,
 * waking every 100 ms to look at the stop flag and the peer.  Returns 0, or
 * -1 when stopped by a signal or the peer is gone.
 */
static inline int demo_wait(_Atomic int *w, int v, const struct demo_peer *peer)
{
	for (int spin = 0; spin < 200; spin++)
		if (atomic_load_explicit(w, memory_order_acquire) == v)
			return 0;
	for (;;) {
		int cur = atomic_load_explicit(w, memory_order_acquire);
		if (cur == v)
			return 0;
		if (demo_stop)
			return -1;
		struct timespec tmo = {0, 100 * 1000 * 1000};
		if (syscall(SYS_futex, (int *)w, FUTEX_WAIT, cur, &tmo, NULL, 0) < 0 &&
		    errno == ETIMEDOUT && peer && !peer->alive(peer->arg))
			return atomic_load_explicit(w, memory_order_acquire) == v ? 0
										  : -1;
	}
}

#endif /* SHMHEAP_DEMO_H */
