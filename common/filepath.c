/* SPDX-License-Identifier: MIT */
/*
 * filepath.c - a file heap's path resolved once, following no symbolic link
 * (the rule and its reason are in filepath.h).
 *
 * openat2(2) with RESOLVE_NO_SYMLINKS does it in one call.  Where it is
 * missing (kernels before 5.6, or a sandbox that refuses it), the directories
 * are walked one at a time, each opened O_PATH | O_NOFOLLOW relative to the
 * one before and its type checked on the descriptor: O_PATH needs only
 * search permission, as a path lookup does, so the walk reaches what the
 * kernel's lookup reaches.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(SYS_openat2) && defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif
#endif

#include "filepath.h"

/* Copies the directory part of path into dir and finds the last component. */
static int split(const char *path, char dir[PATH_MAX], const char **leaf)
{
	if (!path || !*path) {
		errno = EINVAL;
		return -1;
	}
	const char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path;
	if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!slash)
		strcpy(dir, ".");
	else if (n == 0)
		strcpy(dir, "/");
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	*leaf = last;
	return 0;
}

/* Opens dir (split's) one component at a time: its descriptor, or -1. */
static int walk(char *dir)
{
	int fd = open(dir[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;
	for (char *c = strtok_r(dir, "/", &save); fd >= 0 && c;
	     c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		int err = next < 0 ? errno : 0;
		struct stat st;
		if (!err && fstat(next, &st) < 0)
			err = errno;
		else if (!err && S_ISLNK(st.st_mode))
			err = ELOOP; /* what openat2 says of a link */
		else if (!err && !S_ISDIR(st.st_mode))
			err = ENOTDIR;
		close(fd);
		fd = next;
		if (err) {
			if (next >= 0)
				close(next);
			errno = err;
			return -1;
		}
	}
	return fd;
}

int file_path_walk(const char *path, struct file_path *fp)
{
	char dir[PATH_MAX];
	const char *leaf;
	if (split(path, dir, &leaf) < 0)
		return -1;
	int fd = walk(dir);
	if (fd < 0)
		return -1;
	*fp = (struct file_path){fd, leaf};
	return 0;
}

int file_path_open(const char *path, struct file_path *fp)
{
#ifdef HAVE_OPENAT2
	char dir[PATH_MAX];
	const char *leaf;
	if (split(path, dir, &leaf) < 0)
		return -1;
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS};
	long fd = syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
	if (fd >= 0) {
		*fp = (struct file_path){(int)fd, leaf};
		return 0;
	}
	/* Older kernels say ENOSYS; some seccomp filters say EPERM. */
	if (errno != ENOSYS && errno != EPERM)
		return -1;
#endif
	return file_path_walk(path, fp);
}

void file_path_close(struct file_path *fp)
{
	if (fp->dirfd >= 0)
		close(fp->dirfd);
	fp->dirfd = -1;
}
