/* SPDX-License-Identifier: MIT */
/*
 * liveness.c - how a cached heap tells that the owner of a cache slot has
 * ended, so that the blocks of its cache may return to the heap.
 *
 * The rule: a slot is swept only when the kernel says that its owner has
 * ended.  A wrong "ended" hands one cache's blocks to two processes; a wrong
 * "runs" only keeps a bounded cache (at most the table's depth in blocks of
 * each size class) out of use.  So every doubt answers "runs".
 *
 * The signal is a lock on a byte.  A connection that claims slot i takes an
 * open-file-description (OFD) write lock on byte 2^62 + i of the heap's
 * object, far beyond its end, where nothing is ever read or written.  The
 * kernel keeps the lock while the description is open and drops it when the
 * last descriptor of it closes: at disconnect, at exec (O_CLOEXEC), and when
 * the process ends, however it ends.  A sweeper asks with F_OFD_GETLK through
 * its own descriptor: no lock means that the owner has certainly ended.  The
 * lock is the process's, not a thread's: a main thread that called
 * pthread_exit while others run (its /proc entry then reads "zombie") does
 * not drop it.  Testing it needs no /proc access to the owner (hidepid=2
 * hides other users' processes), only a descriptor of the object, and knows
 * no pid namespaces: processes in different ones that share a heap see each
 * other's locks.
 *
 * The lock is taken on a description of its own, opened again through
 * /proc/thread-self/fd: the connection's descriptor may be shared (a memfd
 * passed to other processes, a descriptor given to shmheap_connect_fd), and
 * a test made through the description that holds a lock does not see it.
 * A write lock needs a writable description, so a user who may only read the
 * heap can neither take a slot's byte nor fake a live owner.
 *
 * What the lock cannot tell: fork copies descriptors, so a child that
 * outlives its parent holds the parent's lock.  The child never uses the
 * parent's cache (cache-front.c's MADV_WIPEONFORK guard), so the slot may be swept
 * once the owner itself has ended: a held lock is followed by a look at the
 * owner's pid, which is only ever taken as proof of an end (below).  When no
 * end can be proven, the slot stays reserved until the child exits, execs or
 * disconnects; shmheap_cache_stats and shmheap-ctl report it.
 *
 * Without the lock (System V heaps have no descriptor; no /proc to open the
 * description through; the byte held by a stale child), the owner is judged
 * by its pid, which means something only in the owner's pid namespace: the
 * slot records the namespace (the inode of /proc/thread-self/ns/pid), and a
 * sweeper in another one cannot tell.  In the same namespace kill(pid, 0)
 * failing with ESRCH means that no process has the pid: the owner has ended;
 * EPERM (another user's process) means that one has.  A pid that exists may
 * have gone to a newer process, whose start time (/proc/PID/stat field 22,
 * recorded at claim) then differs, if this namespace's /proc shows it; a
 * hidden entry (hidepid) tells nothing, and a zombie leader whose threads run
 * keeps its start time.  Start times count from boot as the reader's time
 * namespace sees it, so they are compared only within one time namespace.
 *
 * Slots of libshmheap 0.3.1 and older record no namespace (their mark is 0,
 * or left over and failing its check): they are judged by pid as those
 * versions judged them, as if in this namespace, except that a zombie or
 * unreadable /proc entry no longer counts as an end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"
#include "liveness.h"

static int byte_lock(int fd, int cmd, short type, unsigned slot, struct flock *fl)
{
	*fl = (struct flock){.l_type = type,
			     .l_whence = SEEK_SET,
			     .l_start = LIVENESS_LOCK_BASE + (off_t)slot,
			     .l_len = 1};
	return fcntl(fd, cmd, fl);
}

int liveness_open(int fd)
{
	char path[64];
	struct stat a, b;
	if (fd < 0)
		return -1;
	/* thread-self: a leader that called pthread_exit has no fd table. */
	snprintf(path, sizeof(path), "/proc/thread-self/fd/%d", fd);
	int p = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (p < 0)
		return -1;
	if (fstat(fd, &a) < 0 || fstat(p, &b) < 0 || !S_ISREG(b.st_mode) ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(p);
		return -1;
	}
	return p;
}

int liveness_hold(int lock_fd, unsigned slot)
{
	struct flock fl;
	if (lock_fd < 0)
		return -1;
	return byte_lock(lock_fd, F_OFD_SETLK, F_WRLCK, slot, &fl);
}

void liveness_release(int lock_fd, unsigned slot)
{
	struct flock fl;
	if (lock_fd < 0)
		return;
	/* Explicitly: a forked child may hold the description open too. */
	(void)byte_lock(lock_fd, F_OFD_SETLK, F_UNLCK, slot, &fl);
	close(lock_fd);
}

/* 1 if slot's byte is locked, 0 if not, -1 if that cannot be told. */
static int byte_held(int fd, unsigned slot)
{
	struct flock fl;
	if (fd < 0 || byte_lock(fd, F_OFD_GETLK, F_WRLCK, slot, &fl) < 0)
		return -1;
	return fl.l_type != F_UNLCK;
}

/*
 * The start time of the process with that pid in the /proc mounted here:
 * 1 with it in *start, or 0 if it cannot be read (gone, hidden, no /proc).
 */
static int proc_start(const char *dir, uint64_t *start)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%s/stat", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* The command name (field 2) may hold anything up to its last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (field == 22) {
			char *end;
			errno = 0;
			*start = strtoull(p, &end, 10);
			return end != p && errno == 0 && *start != 0;
		}
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

/* The inode number of a namespace of the calling thread: 1 with it in *ino,
 * 0 if the kernel has no such namespace, -1 if it cannot be read. */
static int ns_inode(const char *kind, uint32_t *ino)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/thread-self/ns/%s", kind);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!st.st_ino || st.st_ino > UINT32_MAX)
		return -1;
	*ino = (uint32_t)st.st_ino;
	return 1;
}

static uint64_t self_ns(void)
{
	uint32_t pid_ns, time_ns;
	if (ns_inode("pid", &pid_ns) != 1)
		return 0;
	/* A kernel without time namespaces (before 5.6) has one boot time. */
	switch (ns_inode("time", &time_ns)) {
	case 0:
		time_ns = UINT32_MAX;
		break;
	case -1:
		return 0;
	}
	return (uint64_t)pid_ns << 32 | time_ns;
}

/* Whether /proc/PID names the processes of this pid namespace. */
static bool proc_is_ours(void)
{
	char path[32];
	struct stat self, mine;
	snprintf(path, sizeof(path), "/proc/%ld", (long)getpid());
	return stat("/proc/self", &self) == 0 && stat(path, &mine) == 0 &&
	       self.st_dev == mine.st_dev && self.st_ino == mine.st_ino;
}

static void look_at_self(struct liveness_self *self)
{
	if (self->looked)
		return;
	self->looked = true;
	self->ns = self_ns();
	self->proc_ours = proc_is_ours();
}

static uint32_t mark_check(const struct liveness_owner *o)
{
	uint64_t x = mix64(o->pid ^ mix64(o->start ^ mix64(o->ns)));
	return (uint32_t)(x >> 32) & ~(LIVENESS_MARK_LOCKED | LIVENESS_MARK_OURS);
}

void liveness_describe(struct liveness_owner *o)
{
	uint64_t start;
	*o = (struct liveness_owner){.pid = (uint32_t)getpid(), .ns = self_ns()};
	if (proc_start("self", &start))
		o->start = start;
}

void liveness_mark(struct liveness_owner *o, bool locked)
{
	o->mark = mark_check(o) | LIVENESS_MARK_OURS | (locked ? LIVENESS_MARK_LOCKED : 0);
}

static bool mark_ok(const struct liveness_owner *o)
{
	return (o->mark & LIVENESS_MARK_OURS) &&
	       (o->mark & ~(LIVENESS_MARK_LOCKED | LIVENESS_MARK_OURS)) == mark_check(o);
}

/* By the owner's pid (see above); same_ns: only if in this pid namespace. */
static int by_pid(const struct liveness_owner *o, bool same_ns, struct liveness_self *self)
{
	if (o->pid > INT_MAX)
		return LIVENESS_GONE; /* no process has such a pid (a damaged slot) */
	look_at_self(self);
	if (same_ns && (!o->ns || o->ns >> 32 != self->ns >> 32 || !self->ns))
		return LIVENESS_UNSURE;
	if (kill((pid_t)o->pid, 0) < 0 && errno != EPERM)
		return errno == ESRCH ? LIVENESS_GONE : LIVENESS_UNSURE;
	/* Someone has the pid: the owner, or a process that got it since. */
	if (!o->start || !self->proc_ours || (same_ns && o->ns != self->ns))
		return LIVENESS_UNSURE;
	char dir[16];
	uint64_t start;
	snprintf(dir, sizeof(dir), "%u", o->pid);
	if (!proc_start(dir, &start))
		return LIVENESS_UNSURE;
	return start == o->start ? LIVENESS_RUNS : LIVENESS_GONE;
}

int liveness_judge(int fd, unsigned slot, const struct liveness_owner *o,
		   struct liveness_self *self)
{
	if (!o->pid)
		return LIVENESS_GONE;
	bool ours = mark_ok(o);
	if (!ours || !(o->mark & LIVENESS_MARK_LOCKED))
		return by_pid(o, ours, self);
	int held = byte_held(fd, slot);
	if (held == 0)
		return LIVENESS_GONE;
	/* Held by the owner, or by a child it forked (which never uses the
	 * cache): an owner proven to have ended frees the slot. */
	if (by_pid(o, true, self) == LIVENESS_GONE)
		return LIVENESS_GONE;
	return held > 0 ? LIVENESS_RUNS : LIVENESS_UNSURE;
}
