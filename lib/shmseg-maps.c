/* SPDX-License-Identifier: MIT */
/*
 * shmseg-maps.c - this process's attachments, read from /proc/self/maps.
 *
 * The kernel already records where each System V segment is attached (a
 * mapping named "/SYSV<key>" whose inode field is the segment's id), so the
 * library keeps no table of its own: nothing to get out of step after a fork,
 * a stray shmdt() or a thread racing another.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmseg-internal.h"

/* One line of maps, the fields we use. */
struct maps_line {
	uintptr_t start, end;
	unsigned long long inode;
	const char *path; /* "" for anonymous mappings */
};

/*
 * Calls fn for each line of /proc/self/maps until it returns non-zero;
 * returns that value, 0 at the end, or -1 with errno.  Reads with plain
 * read(2) into a stack buffer: no allocation, no stdio lock.
 */
static int maps_each(int (*fn)(const struct maps_line *l, void *arg), void *arg)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[8192];
	size_t have = 0;
	int ret = 0;
	bool eof = false, skipping = false;
	while (ret == 0) {
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			if (have == sizeof(buf)) { /* a line longer than buf: its path */
				skipping = true;
				have = 0;
			}
			if (eof)
				break;
			ssize_t n = read(fd, buf + have, sizeof(buf) - have);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				ret = -1;
				break;
			}
			if (n == 0)
				eof = true;
			have += (size_t)n;
			continue;
		}
		*nl = '\0';
		if (!skipping) {
			struct maps_line l;
			int pathpos = 0;
			char perms[8];
			unsigned long long off;
			unsigned dmaj, dmin;
			if (sscanf(buf,
				   "%" SCNxPTR "-%" SCNxPTR " %7s %llx %x:%x %llu %n",
				   &l.start, &l.end, perms, &off, &dmaj, &dmin, &l.inode,
				   &pathpos) >= 7) {
				l.path = pathpos ? buf + pathpos : "";
				ret = fn(&l, arg);
			}
		}
		skipping = false;
		size_t used = (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have - used);
		have -= used;
	}
	int err = errno;
	close(fd);
	errno = err;
	return ret;
}

struct find_arg {
	unsigned long long shmid;
	uintptr_t lowest;
	bool found;
};

static int find_one(const struct maps_line *l, void *arg)
{
	struct find_arg *a = arg;
	if (l->inode == a->shmid && strncmp(l->path, "/SYSV", 5) == 0 &&
	    (!a->found || l->start < a->lowest)) {
		a->lowest = l->start;
		a->found = true;
	}
	return 0;
}

int shmseg_maps_find(int shmid, void **addr)
{
	struct find_arg a = {(unsigned long long)shmid, 0, false};
	if (maps_each(find_one, &a) < 0)
		return -1;
	*addr = a.found ? (void *)a.lowest : NULL;
	return 0;
}

struct overlap_arg {
	uintptr_t start, end;
};

static int overlaps_one(const struct maps_line *l, void *arg)
{
	const struct overlap_arg *a = arg;
	return l->start < a->end && a->start < l->end;
}

int shmseg_maps_overlap(const void *addr, size_t len)
{
	struct overlap_arg a = {(uintptr_t)addr, (uintptr_t)addr + len};
	if (a.end < a.start) /* wraps around: overlaps the top of the address space */
		return 1;
	return maps_each(overlaps_one, &a);
}
