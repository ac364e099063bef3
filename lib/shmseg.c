/* SPDX-License-Identifier: MIT */
/*
 * shmseg.c - numbered shared segments (shmseg(3)) on System V shared memory.
 *
 * Why System V: the kernel keeps each segment's attach count (shm_nattch) and
 * drops an attachment when its process exits, whatever kills it, so the count
 * is right after crashes without a table of owners to audit.  An id is a key
 * of the caller's namespace (shmseg-ns.c); where this process attached it is
 * read back from /proc/self/maps (shmseg-maps.c).  The calls that check a
 * count and then act on it (attach, destroy, open, close) hold the namespace
 * lock, so that a segment is never removed under a process attaching it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

#include "align.h"
#include "shmseg-internal.h"
#include "shmseg.h"

static bool id_valid(int id)
{
	return id >= 0 && id < SHMSEG_MAX_IDS;
}

/*
 * The System V id of segment id, and its state; -1 with ENOENT when there is
 * none, EACCES when the key holds a segment the caller does not own.
 */
static int lookup(const struct shmseg_ns *ns, int id, struct shmid_ds *ds)
{
	int shmid = shmget(shmseg_key(ns, id), 0, 0);
	if (shmid < 0)
		return -1;
	if (shmctl(shmid, IPC_STAT, ds) < 0) {
		if (errno == EINVAL || errno == EIDRM) /* removed meanwhile */
			errno = ENOENT;
		return -1;
	}
	if (ds->shm_perm.uid != ns->uid || ds->shm_perm.cuid != ns->uid) {
		errno = EACCES;
		return -1;
	}
	return shmid;
}

/* Attaches shmid at addr (NULL: anywhere), never over another mapping. */
static void *attach_at(int shmid, const struct shmid_ds *ds, void *addr)
{
	void *cur;
	if (shmseg_maps_find(shmid, &cur) < 0)
		return NULL;
	if (cur) {
		errno = EBUSY;
		return NULL;
	}
	if (addr) {
		int o = shmseg_maps_overlap(addr, ds->shm_segsz);
		if (o != 0) {
			if (o > 0)
				errno = EEXIST;
			return NULL;
		}
	}
	/* Without SHM_REMAP the kernel refuses (EINVAL) to map over anything. */
	void *p = shmat(shmid, addr, 0);
	if (p == (void *)-1) {
		int err = errno;
		if (addr && err == EINVAL && shmseg_maps_overlap(addr, ds->shm_segsz) > 0)
			err = EEXIST; /* another thread mapped there since */
		errno = err;
		return NULL;
	}
	return p;
}

EXPORT int shmseg_create(size_t size)
{
	struct shmseg_ns ns;
	size_t pg = page_size();
	if (size == 0 || size > SIZE_MAX - pg) {
		errno = EINVAL;
		return -1;
	}
	if (shmseg_ns_get(&ns) < 0)
		return -1;
	size = round_up(size, pg);
	/* IPC_EXCL makes the kernel pick the winner when creators race. */
	for (int id = 0; id < SHMSEG_MAX_IDS; id++) {
		if (shmget(shmseg_key(&ns, id), size, IPC_CREAT | IPC_EXCL | 0600) >= 0)
			return id;
		if (errno != EEXIST)
			return -1;
	}
	errno = ENOSPC;
	return -1;
}

/* The start of every call on one id: the arguments are checked (EINVAL
 * unless id is valid and args_ok), then the caller's namespace is found. */
static int enter_ns(int id, bool args_ok, struct shmseg_ns *ns)
{
	if (!id_valid(id) || !args_ok) {
		errno = EINVAL;
		return -1;
	}
	return shmseg_ns_get(ns);
}

/* The same, then the namespace's lock is taken: its descriptor, or -1. */
static int enter_ns_locked(int id, bool args_ok, struct shmseg_ns *ns)
{
	if (enter_ns(id, args_ok, ns) < 0)
		return -1;
	return shmseg_ns_lock(ns);
}

EXPORT void *shmseg_attach(int id, void *addr)
{
	struct shmseg_ns ns;
	int lock = enter_ns_locked(id, (uintptr_t)addr % SHMLBA == 0, &ns);
	if (lock < 0)
		return NULL;
	void *p = NULL;
	struct shmid_ds ds;
	int shmid = lookup(&ns, id, &ds);
	if (shmid >= 0)
		p = attach_at(shmid, &ds, addr);
	shmseg_ns_unlock(&ns, lock);
	return p;
}

/* Detaches this process's attachment of shmid; EINVAL if there is none. */
static int detach_shmid(int shmid)
{
	void *addr;
	if (shmseg_maps_find(shmid, &addr) < 0)
		return -1;
	if (!addr) {
		errno = EINVAL;
		return -1;
	}
	return shmdt(addr);
}

EXPORT int shmseg_detach(int id)
{
	struct shmseg_ns ns;
	if (enter_ns(id, true, &ns) < 0)
		return -1;
	struct shmid_ds ds;
	int shmid = lookup(&ns, id, &ds);
	if (shmid < 0)
		return -1;
	return detach_shmid(shmid);
}

EXPORT int shmseg_destroy(int id)
{
	struct shmseg_ns ns;
	int lock = enter_ns_locked(id, true, &ns);
	if (lock < 0)
		return -1;
	struct shmid_ds ds;
	int ret = -1;
	int shmid = lookup(&ns, id, &ds);
	if (shmid >= 0) {
		if (ds.shm_nattch > 0)
			errno = EBUSY;
		else
			ret = shmctl(shmid, IPC_RMID, NULL);
	}
	shmseg_ns_unlock(&ns, lock);
	return ret;
}

EXPORT int shmseg_open(int id, void **ptr)
{
	struct shmseg_ns ns;
	int lock = enter_ns_locked(id, ptr != NULL, &ns);
	if (lock < 0)
		return -1;
	struct shmid_ds ds;
	bool created = false;
	int shmid;
	void *p = NULL;
	/* shmseg_create does not take the lock: retry if it takes the key first. */
	for (int tries = 0; tries < 3; tries++) {
		shmid = lookup(&ns, id, &ds);
		if (shmid >= 0 || errno != ENOENT)
			break;
		shmid = shmget(shmseg_key(&ns, id), page_size(),
			       IPC_CREAT | IPC_EXCL | 0600);
		if (shmid >= 0) {
			created = true;
			if (shmctl(shmid, IPC_STAT, &ds) < 0) {
				int err = errno;
				shmctl(shmid, IPC_RMID, NULL);
				errno = err;
				shmid = -1;
			}
			break;
		}
		if (errno != EEXIST)
			break;
	}
	if (shmid >= 0) {
		p = attach_at(shmid, &ds, NULL);
		if (!p && created) {
			int err = errno;
			shmctl(shmid, IPC_RMID, NULL);
			errno = err;
		}
	}
	shmseg_ns_unlock(&ns, lock);
	if (!p)
		return -1;
	*ptr = p;
	return 0;
}

EXPORT int shmseg_close(int id)
{
	struct shmseg_ns ns;
	int lock = enter_ns_locked(id, true, &ns);
	if (lock < 0)
		return -1;
	struct shmid_ds ds;
	int ret = -1;
	int shmid = lookup(&ns, id, &ds);
	if (shmid >= 0 && detach_shmid(shmid) == 0) {
		ret = 0;
		/* Under the lock nobody attaches between this count and the removal. */
		if (shmctl(shmid, IPC_STAT, &ds) == 0 && ds.shm_nattch == 0)
			shmctl(shmid, IPC_RMID, NULL);
	}
	shmseg_ns_unlock(&ns, lock);
	return ret;
}

EXPORT int shmseg_stat(int id, struct shmseg_stat *st)
{
	struct shmseg_ns ns;
	if (enter_ns(id, st != NULL, &ns) < 0)
		return -1;
	struct shmid_ds ds;
	int shmid = lookup(&ns, id, &ds);
	if (shmid < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->id = id;
	st->size = ds.shm_segsz;
	st->nattach = (unsigned long)ds.shm_nattch;
	st->creator = ds.shm_cpid;
	st->last = ds.shm_lpid;
	st->sysv_key = (int)shmseg_key(&ns, id);
	st->sysv_id = shmid;
	return 0;
}
