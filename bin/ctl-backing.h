/* SPDX-License-Identifier: MIT */
/*
 * ctl-backing.h - what shmheap-ctl does beside the library for each backing:
 * the object's owner and mode, the processes that map it, its removal.
 */
#ifndef SHMHEAP_CTL_BACKING_H
#define SHMHEAP_CTL_BACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ctl-maps.h"
#include "backingname.h"

/* The backing of a name ctl_require_name accepted. */
enum heap_backing ctl_backing_of(const char *name);
/*
 * Owner, mode, size and identity of the object name names, without following
 * anything the caller did not name: for /name the entry of /dev/shm, for
 * file:PATH the file (lstat: a symbolic link is shown as one), for sysv:KEY
 * the segment's IPC_STAT (st_ino is its shmid).  0, or -1 with errno.
 */
int ctl_object_stat(const char *name, struct stat *st);
/* The processes mapping that object (st from ctl_object_stat, or NULL). */
size_t ctl_object_pids(const struct shm_maps *maps, const char *name,
		       const struct stat *st, pid_t *pids, size_t max);
/* How many processes running this program map it (see shm_maps_scan). */
size_t ctl_object_readers(const struct shm_maps *maps, const char *name,
			  const struct stat *st);
/* The file paths shm_maps_scan must watch for these names (file: only):
 * fills paths[] with the resolved paths of the file: names, returns how many. */
size_t ctl_watch_paths(char **names, size_t n, char **paths);
/*
 * Removes the name (shm_unlink, unlink, or IPC_RMID); 0, or -1 with errno.
 * A file: name is removed through the directory its path leads to without a
 * symbolic link (ELOOP for a link among the directories, as in the library),
 * and with heap_only only if it is a heap when it is removed (EINVAL).
 */
int ctl_object_remove(const char *name, bool heap_only);
/*
 * What a failed call's errno means for name, in the backing's words: for a
 * missing object "no such shared-memory object", "No such file or directory"
 * or "no System V segment with key 0x...", else ctl_heap_error's text.  The
 * text lives until the next few calls.
 */
const char *ctl_name_error(const char *name, int err);
/* The segment's attach count (sysv: only); -1 with errno if unknown. */
long ctl_sysv_attached(const char *name);

#endif /* SHMHEAP_CTL_BACKING_H */
