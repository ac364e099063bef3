/* SPDX-License-Identifier: MIT */
/*
 * backing_sysv.c - heaps in System V shared memory segments ("sysv:KEY").
 *
 * A segment has its size for life, so these heaps never grow: the segment is
 * made at the heap's size by create, and extend only accepts what is there.
 * There is no descriptor: the backing keeps the segment's id, maps it with
 * shmat(..., SHM_REMAP) over the range mapping.c reserved, and reads the
 * header without mapping the heap by attaching the segment read-only for a
 * moment.  The segment is always attached whole, so map_fixed refuses any
 * range but [0, segment size): a header claiming another size could
 * otherwise have shmat map past the reservation.  The owner is
 * shm_perm.uid, as the owner of a file is; IPC_SET may give it away, but the
 * kernel keeps the owner's rights for the creator (shm_perm.cuid), so the
 * creator counts among those who may write the segment (backing_writers.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "backing.h"
#include "heapname.h"

static int sysv_key(const char *digits, key_t *key)
{
	return heap_name_sysv_key(digits, key);
}

static int sysv_create(struct backing *b, const char *digits, mode_t mode, size_t len)
{
	key_t key;
	if (sysv_key(digits, &key) < 0)
		return -1;
	/* shmget applies no umask: mode is the segment's mode as asked. */
	b->shmid = shmget(key, len, IPC_CREAT | IPC_EXCL | (int)(mode & 0777));
	return b->shmid < 0 ? -1 : 0;
}

static int segment_stat(struct backing *b, struct shmid_ds *ds)
{
	return shmctl(b->shmid, IPC_STAT, ds);
}

static int sysv_open(struct backing *b, const char *digits, int read_only)
{
	key_t key;
	struct shmid_ds ds;
	b->read_only = read_only;
	if (sysv_key(digits, &key) < 0)
		return -1;
	b->shmid = shmget(key, 0, 0);
	if (b->shmid < 0)
		return -1;
	/* Without read permission IPC_STAT fails (EACCES), as open would. */
	if (segment_stat(b, &ds) < 0) {
		b->shmid = -1;
		return -1;
	}
	return 0;
}

static int sysv_stat(struct backing *b, struct stat *st)
{
	struct shmid_ds ds;
	if (segment_stat(b, &ds) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | (ds.shm_perm.mode & 0777);
	st->st_uid = ds.shm_perm.uid;
	st->st_gid = ds.shm_perm.gid;
	st->st_size = (off_t)ds.shm_segsz;
	st->st_nlink = 1;
	/* A segment is sized when it is made: its creation time stands for the
	 * time it was sized (heap.c's test for a heap still being made). */
	st->st_mtim.tv_sec = ds.shm_ctime;
	st->st_ctim.tv_sec = ds.shm_ctime;
	st->st_atim.tv_sec = ds.shm_atime;
	return 0;
}

static int sysv_creator(struct backing *b, uid_t *uid)
{
	struct shmid_ds ds;
	if (segment_stat(b, &ds) < 0)
		return -1;
	*uid = ds.shm_perm.cuid;
	return 0;
}

static int sysv_length(struct backing *b, size_t *len)
{
	struct shmid_ds ds;
	if (segment_stat(b, &ds) < 0)
		return -1;
	*len = ds.shm_segsz;
	return 0;
}

static int sysv_extend(struct backing *b, size_t old_len, size_t len)
{
	size_t have;
	(void)old_len;
	if (sysv_length(b, &have) < 0)
		return -1;
	if (len > have) {
		errno = ENOSPC; /* a segment never grows */
		return -1;
	}
	return 0;
}

static void *sysv_map_fixed(struct backing *b, void *addr, size_t off, size_t len)
{
	size_t have;
	if (sysv_length(b, &have) < 0)
		return NULL;
	if (off != 0 || len != have) {
		errno = EINVAL;
		return NULL;
	}
	void *p = shmat(b->shmid, addr, SHM_REMAP | (b->read_only ? SHM_RDONLY : 0));
	return p == (void *)-1 ? NULL : p;
}

static ssize_t sysv_read_upto(struct backing *b, void *buf, size_t len, size_t off)
{
	size_t have;
	if (sysv_length(b, &have) < 0)
		return -1;
	if (off >= have)
		return 0;
	if (len > have - off)
		len = have - off;
	const unsigned char *p = shmat(b->shmid, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return -1;
	memcpy(buf, p + off, len);
	shmdt(p);
	return (ssize_t)len;
}

static int sysv_read(struct backing *b, void *buf, size_t len, size_t off)
{
	ssize_t n = sysv_read_upto(b, buf, len, off);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The mapping goes with mapping.c's munmap of the reservation. */
static void sysv_close(struct backing *b)
{
	b->shmid = -1;
}

/* A segment marked for removal loses its key, so the key names another one
 * or none. */
static int sysv_is_named(struct backing *b, const char *digits)
{
	key_t key;
	if (sysv_key(digits, &key) < 0)
		return -1;
	int id = shmget(key, 0, 0);
	if (id < 0)
		return -1;
	return id == b->shmid;
}

/* Removed by b's id, which the key was just found to give. */
static int sysv_remove(struct backing *b, const char *digits)
{
	int same = sysv_is_named(b, digits);
	if (same <= 0) {
		if (same == 0)
			errno = EINVAL;
		return -1;
	}
	return shmctl(b->shmid, IPC_RMID, NULL);
}

const struct backing_ops backing_sysv = {
	.create = sysv_create,
	.open = sysv_open,
	.length = sysv_length,
	.stat = sysv_stat,
	.creator = sysv_creator,
	.extend = sysv_extend,
	.map_fixed = sysv_map_fixed,
	.read = sysv_read,
	.read_upto = sysv_read_upto,
	.close = sysv_close,
	.remove = sysv_remove,
};
