/* SPDX-License-Identifier: MIT */
/* backing_posix.c - heaps in POSIX shared memory objects (shm_open). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"

int backing_valid_name(const char *name)
{
	if (!name || name[0] != '/' || name[1] == '\0')
		return 0;
	size_t len = strnlen(name, NAME_MAX + 1);
	if (len > NAME_MAX)
		return 0;
	/* "/." and "/.." would name /dev/shm and /dev, not an object in /dev/shm. */
	if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
		return 0;
	return strchr(name + 1, '/') == NULL;
}

static int posix_create(struct backing *b, const char *name, mode_t mode, size_t len)
{
	(void)len; /* sized by extend */
	return backing_fd_create(b, shm_open, name, 0, mode);
}

int backing_fd_create(struct backing *b, backing_open_fn open_fn, const char *name,
		      int flags, mode_t mode)
{
	b->fd = open_fn(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | flags, mode);
	if (b->fd < 0)
		return -1;
	/* The open applies the umask; the caller asked for exactly this mode. */
	if (fchmod(b->fd, mode) < 0) {
		int err = errno;
		b->ops->remove(b, name);
		backing_fd_close(b);
		errno = err;
		return -1;
	}
	return 0;
}

/* A link, or a FIFO, a device: no heap (EINVAL); see backing_fd_open. */
static int posix_open(struct backing *b, const char *name, int read_only)
{
	return backing_fd_open(b, shm_open, name, 0, read_only, 0);
}

/*
 * Anyone may put a FIFO, a device or a symbolic link under a heap's name (in
 * /dev/shm, or where a file heap's path leads): opening a FIFO for reading
 * would wait for a writer forever.  So the open never blocks and never
 * follows a link, the descriptor's type is checked (not the name's, which may
 * change meanwhile), and only then is O_NONBLOCK cleared.  Anything but a
 * regular file is no heap (EINVAL).
 */
int backing_fd_open(struct backing *b, backing_open_fn open_fn, const char *name,
		    int flags, int read_only, int also_einval)
{
	b->read_only = read_only;
	b->fd = open_fn(name,
			(read_only ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_NOFOLLOW |
				O_CLOEXEC | flags,
			0);
	if (b->fd < 0) {
		if (errno == ELOOP || (also_einval && errno == also_einval))
			errno = EINVAL; /* a symbolic link (or as the backing says) */
		return -1;
	}
	return backing_fd_check_regular(b);
}

int backing_fd_check_regular(struct backing *b)
{
	struct stat st;
	int err = 0;
	if (fstat(b->fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = EINVAL;
	else {
		int fl = fcntl(b->fd, F_GETFL);
		if (fl < 0 || fcntl(b->fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
			err = errno;
	}
	if (err) {
		close(b->fd);
		b->fd = -1;
		errno = err;
		return -1;
	}
	return 0;
}

int backing_fd_stat(struct backing *b, struct stat *st)
{
	return fstat(b->fd, st);
}

/* The heap's length: the object's beyond base_off. */
int backing_fd_length(struct backing *b, size_t *len)
{
	struct stat st;
	if (backing_fd_stat(b, &st) < 0)
		return -1;
	*len = st.st_size > b->base_off ? (size_t)(st.st_size - b->base_off) : 0;
	return 0;
}

int backing_fd_extend(struct backing *b, size_t old_len, size_t len)
{
	if (len <= old_len)
		return 0;
	int err = posix_fallocate(b->fd, b->base_off + (off_t)old_len,
				  (off_t)(len - old_len));
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

void *backing_fd_map_fixed(struct backing *b, void *addr, size_t off, size_t len)
{
	int prot = b->read_only ? PROT_READ : PROT_READ | PROT_WRITE;
	void *p = mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, b->fd,
		       b->base_off + (off_t)off);
	return p == MAP_FAILED ? NULL : p;
}

int backing_fd_read(struct backing *b, void *buf, size_t len, size_t off)
{
	ssize_t n = backing_fd_read_upto(b, buf, len, off);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

ssize_t backing_fd_read_upto(struct backing *b, void *buf, size_t len, size_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(b->fd, (unsigned char *)buf + got, len - got,
				  b->base_off + (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break; /* the object ends here */
		got += (size_t)n;
	}
	return (ssize_t)got;
}

void backing_fd_close(struct backing *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

/* glibc's shm_open puts every object in this directory. */
#define SHM_DIR "/dev/shm"

static int posix_is_named(struct backing *b, const char *name)
{
	char path[sizeof(SHM_DIR) + NAME_MAX + 1];
	struct stat mine, named;
	if (!backing_valid_name(name)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "%s%s", SHM_DIR, name);
	if (fstat(b->fd, &mine) < 0 ||
	    fstatat(AT_FDCWD, path, &named, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
}

/* /dev/shm is one directory, sticky: only the object's owner (or root) can
 * put another object under its name between the look and the removal. */
static int posix_remove(struct backing *b, const char *name)
{
	int same = posix_is_named(b, name);
	if (same <= 0) {
		if (same == 0)
			errno = EINVAL;
		return -1;
	}
	return shm_unlink(name);
}

const struct backing_ops backing_posix_shm = {
	.create = posix_create,
	.open = posix_open,
	.length = backing_fd_length,
	.stat = backing_fd_stat,
	.extend = backing_fd_extend,
	.map_fixed = backing_fd_map_fixed,
	.read = backing_fd_read,
	.read_upto = backing_fd_read_upto,
	.close = backing_fd_close,
	.remove = posix_remove,
};
