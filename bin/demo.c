/* SPDX-License-Identifier: MIT */
/* demo.c - what the segment demos share (see demo.h). */
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

#include "demo.h"

volatile sig_atomic_t demo_stop;

static void on_signal(int sig)
{
	demo_stop = sig;
}

void demo_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void demo_exit_by_signal(void)
{
	int sig = demo_stop ? demo_stop : SIGTERM;
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

int demo_say(const char *who, const char *fmt, ...)
{
	char line[1024];
	size_t room = sizeof(line) - 1; /* keeps a byte for the newline */
	int n = snprintf(line, room, "%s: ", who);
	size_t len = n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
	va_list ap;
	va_start(ap, fmt);
	n = vsnprintf(line + len, room - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n < room - len ? (size_t)n : room - len - 1;
	line[len++] = '\n';
	if (write_all(STDOUT_FILENO, line, len) == 0)
		return 0;
	tool_warn("%s: writing standard output: %s", who, strerror(errno));
	return -1;
}

long demo_ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

int demo_wait(_Atomic int *w, int v, const struct demo_peer *peer)
{
	for (int spin = 0; spin < 200; spin++)
		if (atomic_load_explicit(w, memory_order_acquire) == v)
			return 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int cur = atomic_load_explicit(w, memory_order_acquire);
		if (cur == v)
			return 0;
		if (demo_stop) {
			errno = EINTR;
			return -1;
		}
		if (demo_ms_since(&start) >= DEMO_WAIT_S * 1000L) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct timespec tmo = {0, 100 * 1000 * 1000};
		if (syscall(SYS_futex, (int *)w, FUTEX_WAIT, cur, &tmo, NULL, 0) < 0 &&
		    errno == ETIMEDOUT && peer && !peer->alive(peer->arg)) {
			if (atomic_load_explicit(w, memory_order_acquire) == v)
				return 0;
			errno = ESRCH;
			return -1;
		}
	}
}

int demo_reap(pid_t pid, int *wst, long ms)
{
	struct timespec start, nap = {0, 1000000}; /* 1 ms, doubling up to 100 ms */
	clock_gettime(CLOCK_MONOTONIC, &start);
	bool passed_on = false;
	for (;;) {
		pid_t r = waitpid(pid, wst, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (demo_stop && !passed_on) {
			kill(pid, SIGTERM);
			passed_on = true;
		}
		if (demo_ms_since(&start) >= ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 100000000)
			nap.tv_nsec *= 2;
	}
}

int demo_end_child(pid_t pid)
{
	int wst = 0;
	kill(pid, SIGTERM);
	kill(pid, SIGCONT);
	if (demo_reap(pid, &wst, 2000) == 0)
		return wst;
	kill(pid, SIGKILL);
	demo_reap(pid, &wst, DEMO_WAIT_S * 1000L);
	return wst;
}
