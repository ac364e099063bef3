/* SPDX-License-Identifier: MIT */
/*
 * info.c - what a heap's header says, read without connecting to the heap.
 *
 * Tools list every heap with this (any backing a name chooses): it opens the
 * object read-only,
 * reads the header with pread (so a short object cannot raise SIGBUS), and
 * never takes the lock, so a heap whose lock is held, or whose holder died,
 * is described as it is.
 */
#include <errno.h>

#include "ext.h"
#include "fitmap.h"
#include "heap.h"
#include "heapname.h"
#include "lock.h"

static int info_of(const char *name, struct shmheap_info *info)
{
	struct heap_name n;
	if (!info) {
		errno = EINVAL;
		return -1;
	}
	if (heap_name_parse(name, &n) < 0)
		return -1;
	struct backing b = {.ops = n.ops, .fd = -1, .shmid = -1};
	if (b.ops->open(&b, n.arg, 1) < 0)
		return -1;

	struct heap_header hdr;
	struct stat st;
	size_t len;
	int state = heap_read_header(&b, &hdr, &len);
	time_t created = state > 0 ? ext_created_time(&b, &hdr) : 0;
	int ret = -1;
	if (state == 0)
		errno = EAGAIN; /* its creator has not finished it */
	else if (state > 0 && b.ops->stat(&b, &st) == 0)
		ret = 0;
	int err = errno;
	b.ops->close(&b);
	errno = err;
	if (ret < 0)
		return -1;

	*info = (struct shmheap_info){
		.version = hdr.version,
		.heap_size = heap_size_bytes(&hdr),
		.max_size = heap_max_bytes(&hdr),
		.object_size = len,
		.growable = (hdr.flags & HEAP_FLAG_GROWABLE) != 0,
		.created = created,
		.uid = st.st_uid,
		.gid = st.st_gid,
		.mode = st.st_mode & 07777,
		.damaged = (hdr.flags & HEAP_FLAG_DAMAGED) != 0,
		/* heap_read_header checked the size against HEAP_MAX_SIZE. */
		.index_size = (hdr.flags & HEAP_FLAG_FITMAP) ? fm_bytes(heap_size_bytes(&hdr)) : 0,
	};
	info->lock_state = heap_lock_probe(&hdr.lock, &info->lock_owner);
	return 0;
}

/*
 * shmheap_info has three versions, as shmheap_stats has two (inspect.c).  The
 * default, SHMHEAP_0.6, fills the whole structure.  Programs linked against
 * 0.5 call shmheap_info@SHMHEAP_0.5 with the structure of then, which ends at
 * damaged; those linked against 0.1 to 0.4 call shmheap_info@SHMHEAP_0.1,
 * whose structure ends at lock_owner (damaged fits its padding on 64-bit
 * systems, not on all).  Neither older version writes past its structure.
 */
struct shmheap_info_0_1 {
	unsigned version;
	size_t heap_size, max_size, object_size;
	int growable;
	time_t created;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int lock_state;
	pid_t lock_owner;
};

/* Flat, as it was declared: damaged right after lock_owner. */
struct shmheap_info_0_5 {
	unsigned version;
	size_t heap_size, max_size, object_size;
	int growable;
	time_t created;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int lock_state;
	pid_t lock_owner;
	int damaged;
};

/* The fields of the 0.1 structure, which every version has, from all. */
#define INFO_0_1_FIELDS(all)                                                        \
	.version = (all).version, .heap_size = (all).heap_size,                    \
	.max_size = (all).max_size, .object_size = (all).object_size,              \
	.growable = (all).growable, .created = (all).created, .uid = (all).uid,    \
	.gid = (all).gid, .mode = (all).mode, .lock_state = (all).lock_state,      \
	.lock_owner = (all).lock_owner

EXPORT int shmheap_info_0_6(const char *name, struct shmheap_info *info);
EXPORT int shmheap_info_0_5(const char *name, struct shmheap_info_0_5 *info);
EXPORT int shmheap_info_0_1(const char *name, struct shmheap_info_0_1 *info);

__asm__(".symver shmheap_info_0_6, shmheap_info@@SHMHEAP_0.6");
int shmheap_info_0_6(const char *name, struct shmheap_info *info)
{
	return info_of(name, info);
}

/* The whole structure, for an older version to copy its part from (info,
 * the caller's, only checked). */
static int info_for_older(const char *name, const void *info, struct shmheap_info *all)
{
	if (!info) {
		errno = EINVAL;
		return -1;
	}
	return info_of(name, all);
}

__asm__(".symver shmheap_info_0_5, shmheap_info@SHMHEAP_0.5");
int shmheap_info_0_5(const char *name, struct shmheap_info_0_5 *info)
{
	struct shmheap_info all;
	if (info_for_older(name, info, &all) < 0)
		return -1;
	*info = (struct shmheap_info_0_5){INFO_0_1_FIELDS(all), .damaged = all.damaged};
	return 0;
}

__asm__(".symver shmheap_info_0_1, shmheap_info@SHMHEAP_0.1");
int shmheap_info_0_1(const char *name, struct shmheap_info_0_1 *info)
{
	struct shmheap_info all;
	if (info_for_older(name, info, &all) < 0)
		return -1;
	*info = (struct shmheap_info_0_1){INFO_0_1_FIELDS(all)};
	return 0;
}
