/* SPDX-License-Identifier: MIT */
/*
 * backing_file.c - heaps in regular files ("file:PATH").
 *
 * The file starts with a preamble page that belongs to the library, and the
 * heap follows at file offset FILE_PREAMBLE: the heap's own header has no
 * room to spare (its first 80 bytes are the lab's contract).  The preamble
 * holds a magic and the heap's life stamp: the boot id of the system and the
 * file's device and inode numbers when its lock was last known good.
 *
 * Why the stamp.  A file outlives every process that used it: after a reboot,
 * or in a copy (cp, a restore from backup), the heap's robust mutex may name
 * a thread that died with the machine, or never existed here, or whose id an
 * unrelated live thread now has.  The kernel only marks a robust mutex's
 * owner dead when that thread exits; no exit will ever come for these, so
 * locking it would wait forever.  A lock taken in this life of the file was
 * taken while the stamp matched; so when the stamp differs from (this boot,
 * this inode), no live thread can hold the lock, and it is re-initialised and
 * the heap repaired as after a crash (revive, called by heap.c on connect).
 *
 * Who decides, and the lock that orders them.  A connect reads the stamp; if
 * it is of this life, the heap's lock is good, and the connect goes on
 * without taking any lock here: the stamp is only ever written after the
 * reset it stands for is complete.  A connect that finds it stale takes the
 * reset lock (below), reads the stamp again, and only if it is still stale
 * resets the heap's lock, repairs and writes the new stamp; so no connect
 * touches a stale lock word before the reset, and only one connect resets.
 *
 * The reset lock must be one that no user without write access can hold, or
 * a reader of a 0644 heap could stop its owner's connects.  File locks cannot
 * be: flock(2) takes LOCK_EX through a read-only descriptor, and a read-only
 * descriptor may hold an fcntl F_RDLCK (traditional or OFD) on any byte
 * range, beyond the end of the file too, which every F_WRLCK on that range
 * waits for; so any protocol in which a writer must obtain a lock can be
 * stalled by a reader.  The reset lock is therefore in memory only writers
 * can write: a robust, process-shared mutex in the preamble page, which a
 * connect maps writable (through its read-write descriptor) for the reset
 * only.  Inspecting connects, whose descriptors are read-only, never revive
 * and so take no lock at all.
 *
 * That mutex outlives the machine like the heap's own, so it carries a life
 * of its own: the stamp of the life it was initialised in, behind a gate
 * word that is even when mutex and stamp are whole and odd while a connect
 * initialises them.  A connect that finds the reset lock of another life
 * claims the gate (compare-and-swap from even to odd), initialises the mutex,
 * writes its stamp and opens the gate (the next even value); the others wait
 * for the gate, then take the mutex.  A gate is closed by the file it names
 * (device and inode, in the gate word itself), so a copy taken while it was
 * closed is claimed anew.  A connect that dies in the few instructions
 * between claim and opening leaves the gate closed for this boot: later
 * connects of a stale heap then fail with ETIMEDOUT (a process is not judged
 * dead by a timeout) until a reboot or a copy of the file.  One that dies
 * while holding the mutex is seen by the next (EOWNERDEAD), which resets
 * anew.  Every wait is bounded by STAMP_LOCK_MS (ETIMEDOUT).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backing.h"
#include "filepath.h"
#include "lock.h" /* heap_lock_init: a robust, process-shared mutex */

#define FILE_PREAMBLE 4096
#define FILE_MAGIC "shmheap file 1\n"
#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
/* How long a connect waits for another one's stamp check or reset. */
#define STAMP_LOCK_MS 5000

struct file_stamp {
	char boot_id[40]; /* as the kernel prints it, NUL-padded */
	uint64_t dev;
	uint64_t ino;
};

struct file_preamble {
	char magic[16]; /* FILE_MAGIC, NUL-terminated */
	struct file_stamp stamp;
};

/* The reset lock, further in the preamble page (zero in a new file). */
#define FILE_RESET_OFF 1024
struct file_reset {
	/* Low half a count, even when lock and life are whole, odd while a
	 * connect initialises them; high half the file's tag (file_tag). */
	uint64_t gate;
	struct file_stamp life; /* the life the lock was initialised in */
	pthread_mutex_t lock;
};

_Static_assert(sizeof(struct file_preamble) <= FILE_RESET_OFF,
	       "the stamp ends before the reset lock");
_Static_assert(FILE_RESET_OFF + sizeof(struct file_reset) <= FILE_PREAMBLE,
	       "the preamble fits its page");

/* The stamp this boot gives the file b has open. */
static int current_stamp(struct backing *b, struct file_stamp *s)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	if (fstat(b->fd, &st) < 0)
		return -1;
	s->dev = (uint64_t)st.st_dev;
	s->ino = (uint64_t)st.st_ino;
	/* Without /proc the boot is unknown: device and inode still tell a copy. */
	int fd = open(BOOT_ID_PATH, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, s->boot_id, sizeof(s->boot_id) - 1);
		close(fd);
		if (n < 0)
			n = 0;
		s->boot_id[n] = '\0';
		char *nl = strchr(s->boot_id, '\n');
		if (nl)
			memset(nl, 0, sizeof(s->boot_id) - (size_t)(nl - s->boot_id));
	}
	return 0;
}

static int write_preamble(struct backing *b, const struct file_stamp *s)
{
	struct file_preamble p;
	memset(&p, 0, sizeof(p));
	memcpy(p.magic, FILE_MAGIC, sizeof(FILE_MAGIC));
	p.stamp = *s;
	ssize_t n = pwrite(b->fd, &p, sizeof(p), 0);
	if (n < 0)
		return -1;
	if ((size_t)n != sizeof(p)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Reads the preamble: 0, or -1 (EINVAL when the file has none). */
static int read_preamble(int fd, struct file_preamble *p)
{
	ssize_t n = pread(fd, p, sizeof(*p), 0);
	if (n < 0)
		return -1;
	if ((size_t)n != sizeof(*p) || memcmp(p->magic, FILE_MAGIC, sizeof(FILE_MAGIC))) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Removes fp's entry if it is the file fd has open (a link to it is
 * another file): 0, or -1 (EINVAL for another file, ENOENT for none). */
static int unlink_same(const struct file_path *fp, int fd)
{
	struct stat mine, named;
	if (fstat(fd, &mine) < 0 ||
	    fstatat(fp->dirfd, fp->leaf, &named, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (mine.st_dev != named.st_dev || mine.st_ino != named.st_ino) {
		errno = EINVAL;
		return -1;
	}
	return unlinkat(fp->dirfd, fp->leaf, 0);
}

/* The new file is made in, and on failure removed from, the one directory
 * that filepath.c resolved: never a file that is not this one. */
static int file_create(struct backing *b, const char *path, mode_t mode, size_t len)
{
	(void)len; /* sized by extend */
	struct file_path fp;
	struct file_stamp s;
	b->base_off = FILE_PREAMBLE;
	if (file_path_open(path, &fp) < 0)
		return -1;
	/* O_EXCL: an existing name, a link included, is EEXIST. */
	b->fd = openat(fp.dirfd, fp.leaf,
		       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
		       mode);
	int err = b->fd < 0 ? errno : 0;
	/* The open applies the umask; the caller asked for exactly this mode.
	 * The page is reserved (ENOSPC here, never SIGBUS later) and the stamp
	 * written before the heap gets a byte: a heap is never without one. */
	if (!err && (fchmod(b->fd, mode) < 0 || current_stamp(b, &s) < 0))
		err = errno;
	if (!err)
		err = posix_fallocate(b->fd, 0, FILE_PREAMBLE);
	if (!err && write_preamble(b, &s) < 0)
		err = errno;
	if (err && b->fd >= 0) {
		unlink_same(&fp, b->fd);
		backing_fd_close(b);
	}
	file_path_close(&fp);
	errno = err;
	return err ? -1 : 0;
}

/* Never blocks on the file's type (a FIFO), never follows a link at PATH's
 * end; anything but a regular file (a directory too) is no heap (EINVAL). */
static int file_open(struct backing *b, const char *path, int read_only)
{
	struct file_path fp;
	b->base_off = FILE_PREAMBLE;
	b->read_only = read_only;
	if (file_path_open(path, &fp) < 0)
		return -1;
	b->fd = openat(fp.dirfd, fp.leaf,
		       (read_only ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_NOFOLLOW |
			       O_NOCTTY | O_CLOEXEC);
	int err = errno;
	file_path_close(&fp);
	if (b->fd < 0) {
		errno = err == ELOOP || err == EISDIR ? EINVAL : err;
		return -1;
	}
	if (backing_fd_check_regular(b) < 0)
		return -1;
	/* A file with heap bytes has its preamble (written before them); a
	 * shorter one may be a heap its creator is still sizing (heap.c waits). */
	struct stat st;
	struct file_preamble p;
	err = 0;
	if (fstat(b->fd, &st) < 0)
		err = errno;
	else if (st.st_size > FILE_PREAMBLE && read_preamble(b->fd, &p) < 0)
		err = errno;
	if (err) {
		backing_fd_close(b);
		errno = err;
		return -1;
	}
	return 0;
}

int backing_file_adopt(struct backing *b)
{
	struct file_preamble p;
	if (read_preamble(b->fd, &p) < 0)
		return errno == EINVAL ? 0 : -1;
	b->ops = &backing_file;
	b->base_off = FILE_PREAMBLE;
	return 0;
}

/* The entry is compared and removed through one descriptor of its directory. */
static int file_remove(struct backing *b, const char *path)
{
	struct file_path fp;
	if (file_path_open(path, &fp) < 0)
		return -1;
	int ret = unlink_same(&fp, b->fd);
	int err = errno;
	file_path_close(&fp);
	errno = err;
	return ret;
}

static int file_sync(struct backing *b, void *addr, size_t len)
{
	if (msync(addr, len, MS_SYNC) < 0)
		return -1;
	/* The file's length and the preamble, which are not in the mapping. */
	return fdatasync(b->fd);
}

/*
 * 1 if stamp s is of the life now describes, else 0.  A boot id that the
 * stamp's writer or this process could not read (no /proc in its mount
 * namespace) is not compared: a live heap must never look stale to a process
 * that merely sees less of the system.
 */
static int stamp_matches(const struct file_stamp *s, const struct file_stamp *now)
{
	if (s->dev != now->dev || s->ino != now->ino)
		return 0;
	if (!s->boot_id[0] || !now->boot_id[0])
		return 1;
	return memcmp(s->boot_id, now->boot_id, sizeof(now->boot_id)) == 0;
}

/* 1 if the file's stamp is now's, 0 if it is of another life, -1 on error. */
static int stamp_fresh(struct backing *b, const struct file_stamp *now)
{
	struct file_preamble p;
	if (read_preamble(b->fd, &p) < 0)
		return -1;
	return stamp_matches(&p.stamp, now);
}

/* One step of a bounded wait: 0 after a millisecond's sleep, or -1
 * (ETIMEDOUT) once STAMP_LOCK_MS steps have been taken. */
static int wait_step(unsigned *waited)
{
	if ((*waited)++ >= STAMP_LOCK_MS) {
		errno = ETIMEDOUT;
		return -1;
	}
	struct timespec ms = {0, 1000000};
	nanosleep(&ms, NULL);
	return 0;
}

/* The file in the high half of a gate word: its device and inode, folded. */
static uint64_t file_tag(const struct file_stamp *s)
{
	uint64_t h = s->ino * 0x9e3779b97f4a7c15u ^ s->dev * 0xc2b2ae3d27d4eb4fu;
	return (h ^ h >> 32) << 32;
}

/* Makes r's mutex one of this life (see the top of the file): 0, or -1. */
static int reset_lock_of_now(struct file_reset *r, const struct file_stamp *now,
			     unsigned *waited)
{
	const uint64_t tag = file_tag(now);
	for (;;) {
		uint64_t gate = __atomic_load_n(&r->gate, __ATOMIC_ACQUIRE);
		uint32_t count = (uint32_t)gate;
		if ((count & 1) && (gate & ~(uint64_t)UINT32_MAX) == tag) {
			/* another connect is initialising it */
			if (wait_step(waited) < 0)
				return -1;
			continue;
		}
		if (!(count & 1)) {
			struct file_stamp life = r->life;
			/* Read whole only if the gate stayed as it was. */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&r->gate, __ATOMIC_RELAXED) != gate)
				continue;
			if (stamp_matches(&life, now))
				return 0;
		}
		/* Of another life, or closed in another file (a copy): claim it. */
		uint64_t claimed = tag | (uint32_t)((count + 1) | 1);
		if (!__atomic_compare_exchange_n(&r->gate, &gate, claimed, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue; /* another connect claimed it first */
		int ret = heap_lock_init(&r->lock);
		int err = errno;
		r->life = *now;
		__atomic_store_n(&r->gate, tag | (uint32_t)(claimed + 1),
				 __ATOMIC_RELEASE);
		errno = err;
		return ret;
	}
}

/* Takes r's mutex, waiting as long as waited allows: 0, or -1. */
static int reset_lock_take(struct file_reset *r, const struct file_stamp *now,
			   unsigned *waited)
{
	if (reset_lock_of_now(r, now, waited) < 0)
		return -1;
	for (;;) {
		int err = pthread_mutex_trylock(&r->lock);
		if (err == EOWNERDEAD) /* a connect died resetting: the stamp says */
			err = pthread_mutex_consistent(&r->lock);
		if (err == 0)
			return 0;
		if (err != EBUSY) {
			errno = err == ENOTRECOVERABLE ? EINVAL : err;
			return -1;
		}
		if (wait_step(waited) < 0)
			return -1;
	}
}

static int file_revive(struct backing *b, int (*reset)(void *arg), void *arg)
{
	struct file_stamp now;
	if (current_stamp(b, &now) < 0)
		return -1;
	int fresh = stamp_fresh(b, &now);
	if (fresh != 0)
		return fresh < 0 ? -1 : 0;
	/* Stale: reset under the reset lock, in the preamble page. */
	unsigned char *page = mmap(NULL, FILE_PREAMBLE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, b->fd, 0);
	if (page == MAP_FAILED)
		return -1;
	struct file_reset *r = (struct file_reset *)(void *)(page + FILE_RESET_OFF);
	unsigned waited = 0;
	int ret = reset_lock_take(r, &now, &waited);
	if (ret == 0) {
		/* Another connect may have reset it meanwhile: hence the second look. */
		fresh = stamp_fresh(b, &now);
		if (fresh < 0 ||
		    (fresh == 0 && (reset(arg) < 0 || write_preamble(b, &now) < 0)))
			ret = -1;
		int err = errno;
		pthread_mutex_unlock(&r->lock);
		errno = err;
	}
	int err = errno;
	munmap(page, FILE_PREAMBLE);
	errno = err;
	return ret;
}

const struct backing_ops backing_file = {
	.create = file_create,
	.open = file_open,
	.length = backing_fd_length,
	.stat = backing_fd_stat,
	.extend = backing_fd_extend,
	.map_fixed = backing_fd_map_fixed,
	.read = backing_fd_read,
	.read_upto = backing_fd_read_upto,
	.close = backing_fd_close,
	.remove = file_remove,
	.sync = file_sync,
	.revive = file_revive,
};
