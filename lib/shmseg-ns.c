/* SPDX-License-Identifier: MIT */
/*
 * shmseg-ns.c - namespaces of segment ids, and the lock that serialises the
 * calls that look at an attach count and act on it.
 *
 * Keys: id n of a namespace is the System V key
 *	0x40000000 | hash20(euid, name) << 10 | n
 * so that a namespace is a block of SHMSEG_MAX_IDS consecutive keys.  Another
 * namespace (or another program) may hash to the same block; the segments a
 * caller did not create are refused with EACCES (see shmseg.c), so a
 * collision can cost ids but never hands one user another user's memory.
 *
 * Lock: a Unix socket bound to an abstract name derived from the namespace.
 * bind() is atomic, no file is left behind, and the name is released by the
 * kernel when the holder closes it or dies, even by SIGKILL.  The same name
 * also excludes the other threads of the process, so the library keeps no
 * state of its own.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shmseg-internal.h"
#include "shmseg.h"

_Static_assert(SHMSEG_MAX_IDS == 1024, "the key layout keeps 10 bits for the id");

/* How long a caller waits for the namespace lock before failing with EAGAIN. */
#define LOCK_WAIT_MS 5000

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 16777619u;
	}
	return h;
}

int shmseg_ns_get(struct shmseg_ns *ns)
{
	const char *name = getenv(SHMSEG_ENV);
	if (!name)
		name = "";
	size_t len = strlen(name);
	if (len > SHMSEG_NS_MAX) {
		errno = EINVAL;
		return -1;
	}
	ns->uid = (unsigned)geteuid();
	uint32_t h = fnv1a(2166136261u, &ns->uid, sizeof(ns->uid));
	h = fnv1a(h, name, len);
	h ^= h >> 20; /* fold the high bits in */
	ns->base = (key_t)(0x40000000u | (h & 0xfffffu) << 10);
	return 0;
}

int shmseg_ns_lock(const struct shmseg_ns *ns)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	/* sun_path[0] == '\0': the abstract namespace. */
	int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "shmheap-segments/%u/%08x", ns->uid, (unsigned)ns->base);
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				      (size_t)n);

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timespec nap = {0, 200000}; /* 0.2 ms, doubling up to 10 ms */
	long waited_ns = 0;
	for (int tries = 0;; tries++) {
		if (bind(fd, (struct sockaddr *)&sa, salen) == 0)
			return fd;
		if (errno != EADDRINUSE)
			break;
		if (waited_ns >= (long)LOCK_WAIT_MS * 1000000) {
			errno = EAGAIN;
			break;
		}
		/* The lock is held for a few system calls: yield first, then sleep. */
		if (tries < 16) {
			sched_yield();
			continue;
		}
		nanosleep(&nap, NULL);
		waited_ns += nap.tv_nsec;
		if (nap.tv_nsec < 10000000)
			nap.tv_nsec *= 2;
	}
	int err = errno;
	close(fd);
	errno = err;
	return -1;
}

void shmseg_ns_unlock(int fd)
{
	int err = errno;
	close(fd);
	errno = err;
}
