/* SPDX-License-Identifier: MIT */
/*
 * filepath.h - the path of a file heap ("file:PATH"), resolved once and
 * without following a symbolic link (filepath.c).
 *
 * The rule: no symbolic link anywhere in PATH is followed.  A link among the
 * directories fails with ELOOP; the last component is opened, created,
 * compared and removed relative to the directory that holds it, through one
 * descriptor of that directory, and the callers never follow a link there
 * either.  A relative PATH starts at the working directory.
 *
 * Why: a path resolved twice (once to check what it names, once to act on
 * it) lets whoever can rename a directory along it swap that directory for a
 * link to another one in between, and the action then lands on a file the
 * check never saw.  Following no link at all means a path can lead only
 * through directories, and a directory can be moved only by those who may
 * write it and its parents.
 *
 * It uses libc alone and keeps no state, so the library and the tools share
 * it (common/libcommon.la, linked into both): the tools then act on the very
 * entry the library would.  In libshmheap.so these functions stay internal
 * (-fvisibility=hidden and the version script).
 */
#ifndef SHMHEAP_FILEPATH_H
#define SHMHEAP_FILEPATH_H

struct file_path {
	int dirfd;	  /* the directory holding the last component (O_PATH) */
	const char *leaf; /* the last component: points into the path */
};

/*
 * Opens the directory of path into fp: 0, or -1 with errno (ELOOP for a
 * link among the directories; EINVAL for a path without a last component:
 * empty, ending in '/', or ending in "." or "..").
 */
int file_path_open(const char *path, struct file_path *fp);
/* The same by a walk of one component at a time: how file_path_open
 * resolves where openat2(2) is missing, and what the tests compare it with. */
int file_path_walk(const char *path, struct file_path *fp);
void file_path_close(struct file_path *fp);

#endif /* SHMHEAP_FILEPATH_H */
