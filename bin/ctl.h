/* SPDX-License-Identifier: MIT */
/* ctl.h - what the shmheap-ctl commands share. */
#ifndef SHMHEAP_CTL_H
#define SHMHEAP_CTL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <shmheap.h>

/* Each command parses its own options; argv[0] is the command's name. */
int ctl_list(int argc, char **argv);
int ctl_inspect(int argc, char **argv);
int ctl_check(int argc, char **argv);
int ctl_unlink(int argc, char **argv);
int ctl_create(int argc, char **argv);
int ctl_segments(int argc, char **argv); /* ctl-segments.c */
int ctl_map(int argc, char **argv);	 /* ctl-map.c */

/* check: the heap could not be checked at all (no such object, not a heap,
 * permission denied); a damaged header is a problem found (status 1). */
#define CTL_EXIT_CANNOT 3

/* How long inspect, list and check wait for the heap lock by default. */
#define CTL_DEFAULT_TIMEOUT_MS 1000u

/* Bad arguments: one line naming the problem, exit status 2. */
_Noreturn void ctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct option;
/* getopt_long, dying with a one-line usage error on an unknown option or a
 * missing argument. */
int ctl_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* Dies with a usage error unless name is "/x": a leading '/' and no other. */
void ctl_require_name(const char *name);
/* The one heap name left after the options (checked), or a usage error. */
const char *ctl_single_name(int argc, char **argv);
/* name as messages and plain output show it (see printable()). */
const char *ctl_shown(const char *name);
/* --timeout's argument, in milliseconds. */
unsigned ctl_parse_timeout(const char *cmd, const char *arg);
/* What a failed shmheap_info or shmheap_connect_ex errno means for a name. */
const char *ctl_heap_error(int err);
#define CTL_PATH_LEN (sizeof("/dev/shm") + NAME_MAX + 1)
/* "/dev/shm" + name: where the object lives, for stat. */
void ctl_shm_path(char *buf, size_t len, const char *name);

/*
 * A heap opened for reading by an inspection command.  A heap another user
 * may write (its owner or creator is another user, or its mode has a group or
 * other write bit: the library's rule, which refuses it EPERM) is read
 * without its lock, with pread, never mapped: locking it would let that user
 * write into this process (see shmheap(7), Security).
 * The lock of the caller's own heap is taken with a timeout; when it cannot
 * be (held too long, or its owner died and reading under it would need a
 * repair, which would be a write), the heap is read without it.  why_unlocked
 * says why: the figures may then be torn.
 */
struct ctl_heap {
	const char *name;
	struct shmheap_info info;
	shmheap_memory_handle mem;
	unsigned timeout_ms;
	bool unlocked;
	char why_unlocked[160];
};

/* shmheap_info, then connect for inspection; 0, or -1 with errno. */
int ctl_heap_open(struct ctl_heap *h, const char *name, unsigned timeout_ms);
/*
 * Runs op on the heap; when the lock cannot be taken, reconnects without it
 * and runs op again from the start (op must reset whatever it accumulates).
 */
int ctl_heap_run(struct ctl_heap *h, int (*op)(shmheap_memory_handle mem, void *arg),
		 void *arg);
void ctl_heap_close(struct ctl_heap *h);
/* The lock state of info in words: "free", "held by pid 12", ... */
const char *ctl_lock_state_name(int state);

#endif /* SHMHEAP_CTL_H */
