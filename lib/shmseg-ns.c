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
 * Lock: a System V semaphore set of one semaphore, with the key of id 0 (the
 * semaphore keys are a space of their own), mode 0600, 0 when free and 1 when
 * held.  Taking it is one semtimedop: wait until it is 0 and add 1, with
 * SEM_UNDO, so that the kernel gives it back when the holder exits however it
 * exits, even by SIGKILL; the wait is bounded.  The value, not the process,
 * holds it, so it also excludes the other threads of the process and the
 * library keeps no state of its own; a child forked meanwhile holds nothing.
 *
 * Only its owner can take it: unlike a name (the abstract socket this lock
 * used to be, which any user could bind and so stall every call for good), a
 * semaphore of mode 0600 can be operated on only by its owner (and root), and
 * only its owner or creator can change its owner or mode.  A set found under the key
 * is used only if this user both created and owns it and no one else has
 * access; otherwise another user made it (a squatter, or a namespace whose
 * hash collides) and the calls that take the lock fail at once with EACCES
 * rather than wait: it is not ours to wait for or to remove.
 *
 * Lifetime: the holder that leaves the namespace without a segment removes
 * the set (IPC_RMID) instead of releasing it; whoever waited on it sees it
 * gone (EIDRM) and starts again, making a new one.  So an empty namespace
 * leaves nothing in the system, as before; a set left by a process killed
 * inside a call is free (SEM_UNDO) and goes with the next call that finds the
 * namespace empty.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>
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

/* semctl(2): the caller defines it. */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/*
 * The namespace's lock, if there is one and it is ours: made and owned by
 * this user, one semaphore, no access for group or others.  -1 with ENOENT
 * when there is none, EACCES when the key holds another user's set.
 */
static int lock_find(const struct shmseg_ns *ns)
{
	int semid = semget(ns->base, 0, 0);
	if (semid < 0)
		return -1;
	struct semid_ds ds;
	if (semctl(semid, 0, IPC_STAT, (union semun){.buf = &ds}) < 0) {
		if (errno == EINVAL || errno == EIDRM) /* removed meanwhile */
			errno = ENOENT;
		return -1;
	}
	if (ds.sem_perm.uid != ns->uid || ds.sem_perm.cuid != ns->uid ||
	    (ds.sem_perm.mode & 077) != 0 || ds.sem_nsems != 1) {
		errno = EACCES;
		return -1;
	}
	return semid;
}

static long elapsed_ns(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

int shmseg_ns_lock(const struct shmseg_ns *ns)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left = (long)LOCK_WAIT_MS * 1000000 - elapsed_ns(&start);
		if (left <= 0) {
			errno = EAGAIN;
			return -1;
		}
		int semid = lock_find(ns);
		if (semid < 0 && errno == ENOENT) /* a new set is 0: free */
			semid = semget(ns->base, 1, IPC_CREAT | IPC_EXCL | 0600);
		if (semid < 0) {
			if (errno == EEXIST || errno == ENOENT) /* made or removed meanwhile */
				continue;
			return -1;
		}
		struct sembuf take[2] = {{0, 0, 0}, {0, 1, SEM_UNDO}};
		struct timespec tmo = {left / 1000000000, left % 1000000000};
		if (semtimedop(semid, take, 2, &tmo) == 0)
			return semid;
		/* EAGAIN: the time is up.  EIDRM, EINVAL: its last user removed it. */
		if (errno != EINTR && errno != EIDRM && errno != EINVAL)
			return -1;
	}
}

/* True if the namespace holds no segment of this user. */
static bool ns_empty(const struct shmseg_ns *ns)
{
	for (int id = 0; id < SHMSEG_MAX_IDS; id++) {
		int shmid = shmget(shmseg_key(ns, id), 0, 0);
		struct shmid_ds ds;
		if (shmid >= 0 && shmctl(shmid, IPC_STAT, &ds) == 0 &&
		    ds.shm_perm.uid == ns->uid && ds.shm_perm.cuid == ns->uid)
			return false;
	}
	return true;
}

void shmseg_ns_unlock(const struct shmseg_ns *ns, int semid)
{
	int err = errno;
	if (ns_empty(ns)) {
		semctl(semid, 0, IPC_RMID); /* releases it too: waiters start again */
	} else {
		struct sembuf give = {0, -1, SEM_UNDO};
		semop(semid, &give, 1);
	}
	errno = err;
}
