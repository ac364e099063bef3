/* SPDX-License-Identifier: MIT */
/* ctl-maps.h - which processes map which objects of /dev/shm, from /proc/PID/maps. */
#ifndef SHMHEAP_CTL_MAPS_H
#define SHMHEAP_CTL_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct shm_mapping {
	pid_t pid;
	bool reader; /* the process runs this very program (see shm_maps_scan) */
	ino_t ino;
	char *name; /* "/x", as shm_open names it; SHM_MAPS_SYSV "0000abcd" for
		       a System V segment (key in hex); SHM_MAPS_FILE "/path" */
};

#define SHM_MAPS_SYSV "sysv:"
#define SHM_MAPS_FILE "file:"

struct shm_maps {
	struct shm_mapping *v;
	size_t n, cap;
	size_t unreadable;  /* processes whose maps we may not read */
	char *const *watch; /* resolved paths of files also looked for */
	size_t nwatch;
};

/*
 * Reads every process's maps once (this process excluded); 0 or -1 with errno.
 * The mappings of processes that run this very program (the same executable
 * file) are kept apart: another shmheap-ctl command only reads a heap (list,
 * inspect, check, map) or makes one, and is no user of it, so a concurrent
 * list never makes unlink refuse, nor shows in another list's PIDS.
 */
int shm_maps_scan(struct shm_maps *m);
/* The same, also noting the mappings of the files paths (resolved paths,
 * which must outlive m), under the names SHM_MAPS_FILE "/path". */
int shm_maps_scan_watching(struct shm_maps *m, char *const *paths, size_t npaths);
/*
 * The processes, in increasing order and each once, that map the object now
 * named name with inode ino (0: any inode).  A mapping of an unlinked object
 * that had the same name but is another inode does not count.
 * Returns how many, storing at most max of them.
 */
size_t shm_maps_pids(const struct shm_maps *m, const char *name, ino_t ino, pid_t *pids,
		     size_t max);
/* How many processes running this program map that object (see above). */
size_t shm_maps_readers(const struct shm_maps *m, const char *name, ino_t ino);
void shm_maps_free(struct shm_maps *m);

#endif /* SHMHEAP_CTL_MAPS_H */
