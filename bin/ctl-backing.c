/* SPDX-License-Identifier: MIT */
/* ctl-backing.c - per-backing object access for shmheap-ctl (see ctl-backing.h). */
#include <errno.h>
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

int ctl_object_stat(const char *name, struct stat *st)
{
	char path[CTL_PATH_LEN];
	switch (ctl_backing_of(name)) {
	case HEAP_FILE:
		return lstat(name + strlen("file:"), st);
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

int ctl_object_remove(const char *name)
{
	int id;
	switch (ctl_backing_of(name)) {
	case HEAP_FILE:
		return unlink(name + strlen("file:"));
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
