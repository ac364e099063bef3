/* SPDX-License-Identifier: MIT */
/* ctl-common.c - names, errors and careful heap access shared by the commands. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl-out.h"
#include "ctl.h"
#include "backingname.h"
#include "tool.h"

void ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char what[1024];
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* One tool_warn: the line goes out in one write. */
	tool_warn("%s%s%s (try '%s --help')", cmd ? cmd : "", cmd ? ": " : "", what,
		  tool_name());
	exit(TOOL_EXIT_USAGE);
}

int ctl_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char spec[64];
	/* A leading ':' makes a missing argument ':' rather than '?'. */
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	int c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?') {
		if (optopt)
			ctl_usage_error(argv[0], "unknown option '-%c'", optopt);
		ctl_usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
	}
	if (c == ':')
		ctl_usage_error(argv[0], "option '%s' needs an argument",
				argv[optind - 1]);
	return c;
}

const char *ctl_shown(const char *name)
{
	/* A few buffers in turn: no message shows more than two names. */
	static char ring[4][4 * (NAME_MAX + 1) + 8];
	static unsigned next;
	char *buf = ring[next++ % 4];
	char *p = printable(name);
	size_t n = strlen(p);
	if (n < sizeof(ring[0]))
		memcpy(buf, p, n + 1);
	else
		snprintf(buf, sizeof(ring[0]), "%.*s...", (int)sizeof(ring[0]) - 4, p);
	free(p);
	return buf;
}

void ctl_require_name(const char *name)
{
	struct tool_heap_name hn;
	const char *why;
	if (name[0] == '\0')
		tool_die(TOOL_EXIT_USAGE, "empty heap name");
	if (tool_heap_name_parse(name, false, &hn, &why) < 0)
		tool_die(TOOL_EXIT_USAGE, "%s: %s", ctl_shown(name), why);
}

const char *ctl_single_name(int argc, char **argv)
{
	if (optind >= argc)
		ctl_usage_error(argv[0], "missing heap name");
	if (optind + 1 < argc)
		ctl_usage_error(argv[0], "one heap at a time ('%s' is extra)",
				argv[optind + 1]);
	ctl_require_name(argv[optind]);
	return argv[optind];
}

unsigned ctl_parse_timeout(const char *cmd, const char *arg)
{
	unsigned long ms;
	/* 0 would mean the library's default, not "don't wait". */
	if (!tool_parse_uint(arg, 3600u * 1000u, &ms) || ms == 0)
		ctl_usage_error(
			cmd, "--timeout wants milliseconds from 1 to 3600000, not '%s'",
			arg);
	return (unsigned)ms;
}

const char *ctl_heap_error(int err)
{
	switch (err) {
	case ENOENT:
		return "no such shared-memory object";
	case EACCES:
	case EPERM:
		return "permission denied";
	case EINVAL:
		return "not a shmheap (no heap header, or truncated)";
	case EUCLEAN:
		return "corrupted heap header";
	case EAGAIN:
		return "not a complete shmheap (empty, or its creator has not finished)";
	case ENAMETOOLONG:
		return "name too long";
	case ELOOP:
		return "a directory of its path is a symbolic link, which is not followed";
	default:
		return strerror(err);
	}
}

void ctl_shm_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/dev/shm%s", name);
}

const char *ctl_lock_state_name(int state)
{
	switch (state) {
	case SHMHEAP_LOCK_FREE:
		return "free";
	case SHMHEAP_LOCK_HELD:
		return "held";
	case SHMHEAP_LOCK_OWNER_DEAD:
		return "owner-dead";
	case SHMHEAP_LOCK_UNRECOVERABLE:
		return "unrecoverable";
	default:
		return "unknown";
	}
}

static int connect_unlocked(struct ctl_heap *h)
{
	struct shmheap_connect_options o = {
		.flags = SHMHEAP_CONNECT_INSPECT | SHMHEAP_CONNECT_UNLOCKED,
	};
	h->mem = shmheap_connect_ex(h->name, &o);
	if (!h->mem)
		return -1;
	h->unlocked = true;
	return 0;
}

/* Records why the lock was not used; err is what lock_unusable accepted, or
 * the library's refusal (EPERM, EACCES). */
static void note_unlocked(struct ctl_heap *h, int err)
{
	if ((err == EPERM || err == EACCES) && h->info.uid != geteuid())
		snprintf(h->why_unlocked, sizeof(h->why_unlocked),
			 "owned by uid %lu, not by the caller, so its lock is not taken",
			 (unsigned long)h->info.uid);
	else if (err == EPERM && (h->info.mode & 022))
		snprintf(h->why_unlocked, sizeof(h->why_unlocked),
			 "mode %04o lets other users write it, so its lock is not taken",
			 (unsigned)h->info.mode & 07777);
	else if (err == EPERM)
		snprintf(
			h->why_unlocked, sizeof(h->why_unlocked),
			"another user may write it (its creator), so its lock is not taken");
	else if (err == EACCES)
		snprintf(h->why_unlocked, sizeof(h->why_unlocked),
			 "no write permission, so the lock cannot be taken");
	else if (err == ETIMEDOUT && h->info.lock_owner)
		snprintf(h->why_unlocked, sizeof(h->why_unlocked),
			 "lock held by pid %ld, not taken within %u ms",
			 (long)h->info.lock_owner, h->timeout_ms);
	else if (err == ETIMEDOUT)
		snprintf(h->why_unlocked, sizeof(h->why_unlocked),
			 "lock not taken within %u ms", h->timeout_ms);
	else if (h->info.lock_state == SHMHEAP_LOCK_UNRECOVERABLE)
		snprintf(
			h->why_unlocked, sizeof(h->why_unlocked),
			"lock is unrecoverable (a holder died and the heap was not repaired)");
	else if (h->info.lock_owner)
		snprintf(
			h->why_unlocked, sizeof(h->why_unlocked),
			"lock owner pid %ld died; the heap needs the repair its next user does",
			(long)h->info.lock_owner);
	else
		snprintf(h->why_unlocked, sizeof(h->why_unlocked),
			 "lock owner died; the heap needs the repair its next user does");
}

static bool lock_unusable(int err)
{
	return err == ETIMEDOUT || err == EOWNERDEAD || err == ENOTRECOVERABLE;
}

/* The lock cannot be used (err): read without it, saying why. */
static int fall_back_unlocked(struct ctl_heap *h, int err)
{
	/* The lock may have changed hands since shmheap_info: look again. */
	struct shmheap_info now;
	if (shmheap_info(h->name, &now) == 0)
		h->info = now;
	note_unlocked(h, err);
	if (h->mem)
		shmheap_disconnect(h->mem);
	h->mem = NULL;
	return connect_unlocked(h);
}

int ctl_heap_open(struct ctl_heap *h, const char *name, unsigned timeout_ms)
{
	*h = (struct ctl_heap){.name = name, .timeout_ms = timeout_ms};
	if (shmheap_info(name, &h->info) < 0)
		return -1;
	/* Waiting for a dead owner's lock is pointless, and taking it would repair. */
	if (h->info.lock_state == SHMHEAP_LOCK_OWNER_DEAD ||
	    h->info.lock_state == SHMHEAP_LOCK_UNRECOVERABLE) {
		note_unlocked(h, EOWNERDEAD);
		return connect_unlocked(h);
	}
	struct shmheap_connect_options o = {
		.flags = SHMHEAP_CONNECT_INSPECT,
		.lock_timeout_ms = timeout_ms,
	};
	/* A heap another user may write is never locked, nor mapped writable
	 * (shmheap(7), Security): the library decides, from the object it
	 * opened, and refuses it (EPERM) before touching the lock. */
	h->mem = shmheap_connect_ex(name, &o);
	if (h->mem)
		return 0;
	/* Taking the lock needs write access; reading the heap does not. */
	if (!lock_unusable(errno) && errno != EACCES && errno != EPERM)
		return -1;
	return fall_back_unlocked(h, errno);
}

int ctl_heap_run(struct ctl_heap *h, int (*op)(shmheap_memory_handle mem, void *arg),
		 void *arg)
{
	if (op(h->mem, arg) == 0)
		return 0;
	if (h->unlocked || !lock_unusable(errno))
		return -1;
	if (fall_back_unlocked(h, errno) < 0)
		return -1;
	return op(h->mem, arg);
}

void ctl_heap_close(struct ctl_heap *h)
{
	if (h->mem)
		shmheap_disconnect(h->mem);
	h->mem = NULL;
}
