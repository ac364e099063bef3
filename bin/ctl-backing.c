/* SPDX-License-Identifier: MIT */
/* ctl-backing.c - per-backing object access for shmheap-ctl (see ctl-backing.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "ctl-backing.h"
#include "ctl.h"
#include "tool.h"
/* The library's own resolution of a file: path (common/, shared with it). */
#include "filepath.h"

enum heap_backing ctl_backing_of(const char *name)
{
	struct tool_heap_name hn;
	const char *why;
	return tool_heap_name_parse(name, false, &hn, &why) == 0 ? hn.backing
								 : HEAP_POSIX;
}

static key_t key_of(const char *name)
{
	struct tool_heap_name hn;
	const char *why;
	return tool_heap_name_parse(name, false, &hn, &why) == 0 ? hn.key : IPC_PRIVATE;
}

/* The segment's id for its key, without asking for any permission. */
static int sysv_id(const char *name)
{
	key_t key = key_of(name);
	if (key == IPC_PRIVATE) {
		errno = EINVAL;
		return -1;
	}
	return shmget(key, 0, 0);
}

static int sysv_stat(const char *name, struct stat *st)
{
	int id = sysv_id(name);
	struct shmid_ds ds;
	if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0)
		return -1;
	*st = (struct stat){0};
	st->st_mode = S_IFREG | (ds.shm_perm.mode & 0777);
	st->st_uid = ds.shm_perm.uid;
	st->st_gid = ds.shm_perm.gid;
	st->st_size = (off_t)ds.shm_segsz;
	st->st_ino = (ino_t)id;
	st->st_nlink = 1;
	return 0;
}

/* The entry itself, in the directory its path leads to without links. */
static int file_stat(const char *path, struct stat *st)
{
	struct file_path fp;
	if (file_path_open(path, &fp) < 0)
		return -1;
	int ret = fstatat(fp.dirfd, fp.leaf, st, AT_SYMLINK_NOFOLLOW);
	int err = errno;
	file_path_close(&fp);
	errno = err;
	return ret;
}

int ctl_object_stat(const char *name, struct stat *st)
{
	char path[CTL_PATH_LEN];
	switch (ctl_backing_of(name)) {
	case HEAP_FILE:
		return file_stat(name + strlen("file:"), st);
	case HEAP_SYSV:
		return sysv_stat(name, st);
	default:
		ctl_shm_path(path, sizeof(path), name);
		return stat(path, st);
	}
}

/* The name maps uses for the object, st as for ctl_object_pids (malloc'ed),
 * or NULL when it cannot map it. */
static char *maps_name(const char *name, const struct stat *st)
{
	char *real, *full;
	switch (ctl_backing_of(name)) {
	case HEAP_FILE:
		/* /proc/PID/maps names the file by its resolved path. */
		real = realpath(name + strlen("file:"), NULL);
		if (!real)
			return NULL;
		full = xmalloc(strlen(SHM_MAPS_FILE) + strlen(real) + 1);
		strcpy(full, SHM_MAPS_FILE);
		strcat(full, real);
		free(real);
		return full;
	case HEAP_SYSV:
		/* A segment shows as "/SYSV%08x (deleted)", its inode the shmid. */
		if (!st)
			return NULL;
		full = xmalloc(32);
		snprintf(full, 32, SHM_MAPS_SYSV "%08x", (unsigned)key_of(name));
		return full;
	default:
		return xstrdup(name);
	}
}

size_t ctl_object_pids(const struct shm_maps *maps, const char *name,
		       const struct stat *st, pid_t *pids, size_t max)
{
	char *mapped = maps_name(name, st);
	if (!mapped)
		return 0;
	size_t n = shm_maps_pids(maps, mapped, st ? st->st_ino : 0, pids, max);
	free(mapped);
	return n;
}

size_t ctl_object_readers(const struct shm_maps *maps, const char *name,
			  const struct stat *st)
{
	char *mapped = maps_name(name, st);
	if (!mapped)
		return 0;
	size_t n = shm_maps_readers(maps, mapped, st ? st->st_ino : 0);
	free(mapped);
	return n;
}

size_t ctl_watch_paths(char **names, size_t n, char **paths)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (ctl_backing_of(names[i]) != HEAP_FILE)
			continue;
		char *real = realpath(names[i] + strlen("file:"), NULL);
		if (real)
			paths[k++] = real;
	}
	return k;
}

/*
 * 0 if the entry of fp is a heap (its header damaged or not), judged by the
 * library in that very directory: the tool works in it meanwhile, so that the
 * name the library is given is the entry's own name there and nothing else.
 * -1 with errno (EINVAL: no heap).
 */
static int heap_in(const struct file_path *fp)
{
	char name[sizeof("file:") + NAME_MAX];
	struct shmheap_info info;
	if (strlen(fp->leaf) > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(name, sizeof(name), "file:%s", fp->leaf);
	int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (here < 0 || fchdir(fp->dirfd) < 0) {
		int err = errno;
		if (here >= 0)
			close(here);
		errno = err;
		return -1;
	}
	int ret = shmheap_info(name, &info);
	int err = errno;
	/* The next name may be relative to where the tool was. */
	if (fchdir(here) < 0)
		tool_die(TOOL_EXIT_FAIL, "cannot return to the working directory: %s",
			 strerror(errno));
	close(here);
	errno = err;
	return ret == 0 || err == EUCLEAN ? 0 : -1;
}

/*
 * Removes file:PATH's entry through the one directory PATH leads to without
 * a link.  Without --force, only a heap: the entry is opened, judged a heap
 * in that directory, and removed only if it is still the file opened (device
 * and inode number).  Whoever could swap another file in and back out between
 * those steps may rename that entry, and so remove it themselves: the tool
 * removes nothing they could not.
 */
static int file_remove(const char *path, bool heap_only)
{
	struct file_path fp;
	if (file_path_open(path, &fp) < 0)
		return -1;
	int ret = -1, fd = -1;
	struct stat opened, now;
	if (!heap_only) {
		ret = unlinkat(fp.dirfd, fp.leaf, 0); /* a link is removed itself */
		goto out;
	}
	fd = openat(fp.dirfd, fp.leaf,
		    O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			errno = EINVAL; /* a link at the end is no heap */
		goto out;
	}
	if (fstat(fd, &opened) < 0)
		goto out;
	if (!S_ISREG(opened.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if (heap_in(&fp) < 0 || fstatat(fp.dirfd, fp.leaf, &now, AT_SYMLINK_NOFOLLOW) < 0)
		goto out;
	if (now.st_dev != opened.st_dev || now.st_ino != opened.st_ino) {
		errno = EINVAL; /* another file since */
		goto out;
	}
	ret = unlinkat(fp.dirfd, fp.leaf, 0);
out:;
	int err = errno;
	if (fd >= 0)
		close(fd);
	file_path_close(&fp);
	errno = err;
	return ret;
}

int ctl_object_remove(const char *name, bool heap_only)
{
	int id;
	switch (ctl_backing_of(name)) {
	case HEAP_FILE:
		return file_remove(name + strlen("file:"), heap_only);
	case HEAP_SYSV:
		id = sysv_id(name);
		return id < 0 ? -1 : shmctl(id, IPC_RMID, NULL);
	default:
		return shm_unlink(name);
	}
}

const char *ctl_name_error(const char *name, int err)
{
	/* A few buffers in turn, as ctl_shown keeps: one message, two names. */
	static char ring[4][64];
	static unsigned next;
	if (err != ENOENT)
		return ctl_heap_error(err);
	switch (ctl_backing_of(name)) {
	case HEAP_FILE:
		return strerror(err);
	case HEAP_SYSV: {
		char *buf = ring[next++ % 4];
		snprintf(buf, sizeof(ring[0]), "no System V segment with key 0x%08x",
			 (unsigned)key_of(name));
		return buf;
	}
	default:
		return ctl_heap_error(err);
	}
}

long ctl_sysv_attached(const char *name)
{
	int id = sysv_id(name);
	struct shmid_ds ds;
	if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0)
		return -1;
	return (long)ds.shm_nattch;
}
