/* SPDX-License-Identifier: MIT */
/* demo.c - the signal handling the segment demos share (see demo.h). */
#include <signal.h>
#include <string.h>

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
}

void demo_exit_by_signal(void)
{
	int sig = demo_stop ? demo_stop : SIGTERM;
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}
