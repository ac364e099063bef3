/* SPDX-License-Identifier: MIT */
/* testutil-skip.c - skipped test cases and their reasons; private mounts without root. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "testutil.h"

/*
 * With CK_FORK=yes each test case runs in a process of its own, so what it
 * records must outlive that process: the count and a child's reason live in a
 * shared page the runner maps before the first case.
 */
struct skip_state {
	unsigned whole;	 /* test cases skipped whole */
	char reason[256]; /* the last tu_child_skip's */
};

static struct skip_state *state;

void tu_skip_init(void)
{
	if (state)
		return;
	void *p = mmap(NULL, sizeof(*state), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		state = p;
}

int tu_skip_status(int ran, int failed)
{
	if (failed)
		return EXIT_FAILURE;
	if (state && ran > 0 && __atomic_load_n(&state->whole, __ATOMIC_SEQ_CST) >= (unsigned)ran)
		return TU_SKIP_STATUS;
	return EXIT_SUCCESS;
}

/* START_TEST(name) makes a function name_fn (Check 0.11 and later). */
static int test_name_len(const char *fn)
{
	size_t n = strlen(fn);
	if (n > 3 && strcmp(fn + n - 3, "_fn") == 0)
		n -= 3;
	return (int)n;
}

void tu_skip_in(const char *fn, int whole, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "SKIP: %s/%.*s%s: %s\n", program_invocation_short_name,
		test_name_len(fn), fn, whole ? "" : " (in part)", why);
	if (whole && state)
		__atomic_add_fetch(&state->whole, 1, __ATOMIC_SEQ_CST);
}

int tu_need_root_in(const char *fn, const char *why)
{
	if (geteuid() == 0)
		return 0;
	tu_skip_in(fn, 1, "not root: %s", why);
	return 1;
}

void tu_child_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (state)
		vsnprintf(state->reason, sizeof(state->reason), fmt, ap);
	va_end(ap);
	tu_child_exit(TU_SKIP_STATUS);
}

const char *tu_child_skip_reason(void)
{
	return state && state->reason[0] ? state->reason : "the child skipped its part";
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A user namespace mapping only our ids onto themselves: in it this process
 * holds the capabilities to mount in a mount namespace it owns, and the files
 * it makes still belong to the same user outside. */
static int own_user_namespace(char *why, size_t len)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		snprintf(why, len, "no mount namespace (needs root or a user namespace): %s",
			 strerror(errno));
		return -1;
	}
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0) {
		snprintf(why, len, "uid_map of a user namespace: %s", strerror(errno));
		return -1;
	}
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if ((write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) ||
	    write_file("/proc/self/gid_map", map) < 0) {
		snprintf(why, len, "gid_map of a user namespace: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int tu_private_mounts(char *why, size_t len)
{
	if (unshare(CLONE_NEWNS) < 0 && own_user_namespace(why, len) < 0)
		return -1;
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(why, len, "cannot make mounts private: %s", strerror(errno));
		return -1;
	}
	return 0;
}
