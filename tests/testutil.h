/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - helpers shared by the Check suites of libshmheap.
 *
 * Names: every shared-memory object a suite makes is called
 * "/shmheap-test-<runner pid>-<pid>-<n>-<tag>".  The process that made it
 * unlinks it in the checked teardown; the runner (the process that called
 * tu_run) also sweeps its whole prefix after every test case, at exit and on
 * a fatal signal, which catches what a failed or killed test left behind.
 *
 * Children: worker processes forked by a test report failure through their
 * exit status (TU_REQUIRE prints why and _exits 1) rather than through Check,
 * whose assertions belong to the test process.  Every child runs under an
 * alarm, and every wait for a child has a timeout, so a deadlock fails the
 * test instead of hanging it.
 *
 * Skips: make check runs as root and as an ordinary user (tests/README).  A
 * test case that needs what this run lacks (root for another uid, a mount
 * namespace for a tmpfs of its own) runs the part it can and reports the
 * rest on one line of stderr, which lands in the suite's .log:
 *
 *     SKIP: <program>/<test>: <why>              the whole test case
 *     SKIP: <program>/<test> (in part): <why>    a part; the rest ran
 *
 * Check has no "skipped" result for a test case, so a skipped case passes;
 * tu_run exits 77 (Automake's SKIP) only if every case it ran was skipped
 * whole.  The calls:
 *
 *     if (tu_need_root("only root can give a file to another user"))
 *             return;                            (whole case, root only)
 *     if (geteuid() != 0)
 *             tu_skip_part("not root: no other user to be; the owner reads");
 *     tu_skip("no private tmpfs: %s", why);      (whole case, then return)
 *
 * Call them in the test case's own body: they name it by __func__.  Begin a
 * reason that is about root with "not root: ".
 * A forked child that cannot do its part calls tu_child_skip(why); the
 * parent's tu_wait then returns 1 with the reason in why, and the test case
 * calls tu_skip("%s", why) and returns.  tu_private_mounts gives a child a
 * mount namespace of its own even without root, where the kernel allows.
 */
#ifndef SHMHEAP_TESTUTIL_H
#define SHMHEAP_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shmheap.h"

#define TU_PREFIX "shmheap-test-"
#define TU_NAME_MAX 96
/* The exit status of a skipped test (Automake's) or child (tu_child_skip). */
#define TU_SKIP_STATUS 77

/* Runs the suite (and the parent-side cleanup); returns an exit status. */
int tu_run(Suite *s);
/* A test case with the cleanup fixtures and the given timeout (seconds). */
TCase *tu_tcase(const char *name, double timeout_s);

/* A fresh object name, registered for cleanup by this process. */
const char *tu_name(const char *tag);
/* Unlinks the names this process registered (checked teardown). */
void tu_unlink_mine(void);
/* Unlinks every object of this runner, whichever process made it. */
void tu_sweep(void);
/* 1 if an object of that name exists in /dev/shm. */
int tu_shm_exists(const char *name);

/* Ends a forked child with status (under valgrind without its leak check). */
__attribute__((noreturn)) void tu_child_exit(int status);
/* Fails the calling child process: message on stderr, _exit(1). */
__attribute__((format(printf, 3, 4), noreturn)) void tu_child_fail(const char *file,
								   int line,
								   const char *fmt, ...);
#define TU_REQUIRE(cond, ...)                                           \
	do {                                                            \
		if (!(cond))                                            \
			tu_child_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* Forks a child that runs fn(arg) under alarm(timeout_s) and exits 0. */
pid_t tu_fork(void (*fn)(void *), void *arg, unsigned timeout_s);
/* Puts the calling thread on the nth CPU it may use, if there is one, so that
 * two racing threads run at once rather than taking turns on one CPU. */
void tu_pin_to_cpu(unsigned nth);
/* Waits at most timeout_s for pid; kills it on timeout.  Returns 0 if it
 * exited with status 0, 1 if it called tu_child_skip (its reason in why),
 * else -1, describing what happened in why. */
int tu_wait(pid_t pid, unsigned timeout_s, char *why, size_t len);
/* tu_wait for each child; the first failure's description goes to why. */
int tu_wait_all(const pid_t *pids, int n, unsigned timeout_s, char *why, size_t len);

/* Skips (see the top of this file).  tu_need_root returns 1, having
 * reported the whole case skipped, when the process is not root. */
#define tu_need_root(why) tu_need_root_in(__func__, (why))
#define tu_skip(...) tu_skip_in(__func__, 1, __VA_ARGS__)
#define tu_skip_part(...) tu_skip_in(__func__, 0, __VA_ARGS__)
int tu_need_root_in(const char *fn, const char *why);
__attribute__((format(printf, 3, 4))) void tu_skip_in(const char *fn, int whole,
						      const char *fmt, ...);
/* In a forked child: hands the reason to the parent's tu_wait, exits 77. */
__attribute__((format(printf, 1, 2), noreturn)) void tu_child_skip(const char *fmt, ...);
/* In a forked child: a mount namespace of its own whose mounts nobody else
 * sees, so that it may mount a tmpfs: as root directly, otherwise inside a
 * user namespace that maps only this user and group.  0, or -1 with the
 * reason in why. */
int tu_private_mounts(char *why, size_t len);
/* For tu_run: sets up skip counting; the exit status for the run. */
void tu_skip_init(void);
int tu_skip_status(int ran, int failed);
/* For tu_wait: the reason the last child gave tu_child_skip. */
const char *tu_child_skip_reason(void);

/* Whole reads and writes on pipes; tu_read_all returns -1 on EOF or error. */
void tu_write_all(int fd, const void *buf, size_t len);
int tu_read_all(int fd, void *buf, size_t len);

/* A small fast generator (xorshift64*), deterministic for a given seed. */
static inline uint64_t tu_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* A block listing of a heap, as shmheap_walk reports it. */
struct tu_layout {
	size_t n, cap;
	struct shmheap_block *blk;
};
void tu_layout_take(shmheap_memory_handle mem, struct tu_layout *l);
int tu_layout_equal(const struct tu_layout *a, const struct tu_layout *b);
void tu_layout_free(struct tu_layout *l);

/* shmheap_check with every problem printed on stderr. */
int tu_check(shmheap_memory_handle mem);

/*
 * The heap name, which another user than the caller may write, as the
 * library must treat it: connect and an inspecting connect fail with EPERM,
 * an unlocked inspection reads it and finds it sound, and a connection that
 * trusts the owner may allocate in it.  Returns that connection (ck_assert
 * on any failure).
 */
shmheap_memory_handle tu_expect_needs_trust(const char *name);

/* Fills and verifies an object with bytes derived from (owner, seq). */
void tu_fill(void *p, size_t len, uint32_t owner, uint32_t seq);
/* The offset of the first wrong byte, or -1 if all are right. */
long tu_verify(const void *p, size_t len, uint32_t owner, uint32_t seq);

/* An unsigned integer from the environment, or def. */
unsigned long tu_env_ulong(const char *var, unsigned long def);

/*
 * The layout as the public API reports it, for tests that expect offsets:
 * the bytes before the first object (shmheap_stats' header_size, so the
 * first object's offset) and the bookkeeping bytes of each object (so the
 * first block starts at tu_header_size() - tu_block_overhead()).
 */
size_t tu_header_size(void);
size_t tu_block_overhead(void);

#endif /* SHMHEAP_TESTUTIL_H */
