/* SPDX-License-Identifier: MIT */
/*
 * shm.c - names of the benchmark's shared objects, and their removal when a
 * run is interrupted: the heaps are hundreds of MiB of /dev/shm each.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define LIVE_MAX 4
#define NAME_MAX_LEN 64

static char live[LIVE_MAX][NAME_MAX_LEN];
static unsigned counter;

void bench_shm_name(char *buf, size_t len, const char *tag, int slash)
{
	snprintf(buf, len, "%sshmbench-%ld-%u-%s", slash ? "/" : "", (long)getpid(),
		 counter++, tag);
	for (unsigned i = 0; i < LIVE_MAX; i++) {
		if (!live[i][0]) {
			/* Boost adds the slash itself; shm_unlink needs one. */
			snprintf(live[i], NAME_MAX_LEN, "/%s", buf + (slash ? 1 : 0));
			return;
		}
	}
}

void bench_shm_forget(const char *name)
{
	if (*name == '/')
		name++;
	for (unsigned i = 0; i < LIVE_MAX; i++)
		if (live[i][0] && !strcmp(live[i] + 1, name))
			live[i][0] = '\0';
}

static void remove_live(void)
{
	for (unsigned i = 0; i < LIVE_MAX; i++)
		if (live[i][0])
			shm_unlink(live[i]);
}

static void on_signal(int sig)
{
	remove_live();
	signal(sig, SIG_DFL);
	raise(sig);
}

void bench_shm_cleanup_on_exit(void)
{
	atexit(remove_live);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

void bench_populate(void *base, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)base & ~(uintptr_t)(page - 1);
	uintptr_t end = (uintptr_t)base + len;
	(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}
