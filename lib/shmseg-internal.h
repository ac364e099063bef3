/* SPDX-License-Identifier: MIT */
/*
 * shmseg-internal.h - what the files of the segment API share: how an id of a
 * namespace becomes a System V key, the namespace lock, and what
 * /proc/self/maps says about this process's attachments.
 */
#ifndef SHMHEAP_SHMSEG_INTERNAL_H
#define SHMHEAP_SHMSEG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ipc.h>

#include "export.h"

/* The environment variable that names the namespace. */
#define SHMSEG_ENV "SHMHEAP_SEGMENTS"
/* Longest namespace name accepted. */
#define SHMSEG_NS_MAX 255

/*
 * The namespace of the calling process: its effective uid and the name in
 * SHMHEAP_SEGMENTS (empty: the user's default namespace).
 */
struct shmseg_ns {
	key_t base; /* key of id 0; id n has base + n */
	unsigned uid;
};

/* Fills ns from the environment; -1 with EINVAL if the name is too long. */
HIDDEN int shmseg_ns_get(struct shmseg_ns *ns);
static inline key_t shmseg_key(const struct shmseg_ns *ns, int id)
{
	return ns->base + id;
}

/*
 * The namespace lock, a System V semaphore only this user can take, given
 * back by the kernel when its holder exits, however it exits.  Returns its
 * identifier to pass to shmseg_ns_unlock; -1 with EAGAIN after a bounded
 * wait, EACCES at once if another user holds its key.  Unlocking a namespace
 * left without segments removes the lock.
 */
HIDDEN int shmseg_ns_lock(const struct shmseg_ns *ns);
HIDDEN void shmseg_ns_unlock(const struct shmseg_ns *ns, int lock);

/*
 * Where this process has System V segment shmid attached: the lowest start of
 * its mappings, or NULL.  -1 with errno if /proc/self/maps cannot be read.
 */
HIDDEN int shmseg_maps_find(int shmid, void **addr);
/* 1 if [addr, addr + len) overlaps a mapping of this process, 0 if not, -1. */
HIDDEN int shmseg_maps_overlap(const void *addr, size_t len);

#endif /* SHMHEAP_SHMSEG_INTERNAL_H */
