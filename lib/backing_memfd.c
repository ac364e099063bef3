/* SPDX-License-Identifier: MIT */
/*
 * backing_memfd.c - heaps known only by a descriptor.
 *
 * An anonymous heap lives in a memfd: shared with the children its creator
 * forks (they inherit the mapping and the descriptor, so growth works in any
 * of them) and with whoever receives the descriptor (shmheap_connect_fd).  It
 * has no name, so there is nothing to open or remove: the memory goes when
 * the last descriptor and mapping go.  shmheap_connect_fd adopts any
 * descriptor of a heap this way; a file heap's (whose heap starts after the
 * preamble) gets the file backing's operations instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"

int backing_memfd_create(struct backing *b, mode_t mode)
{
	b->ops = &backing_memfd;
	b->base_off = 0;
	b->fd = memfd_create("shmheap", MFD_CLOEXEC);
	if (b->fd < 0)
		return -1;
	/* Only a descriptor leads to it, but whoever is given one sees the mode. */
	if (fchmod(b->fd, mode) < 0) {
		int err = errno;
		backing_fd_close(b);
		errno = err;
		return -1;
	}
	return 0;
}

int backing_adopt_fd(struct backing *b, int fd)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	if ((fl & O_ACCMODE) != O_RDWR) {
		errno = EACCES; /* the heap is mapped writable */
		return -1;
	}
	/* pwrite through O_APPEND writes at the end, whatever the offset: a
	 * file heap's stamp would land past the heap (backing_file.c). */
	if (fl & O_APPEND) {
		errno = EINVAL;
		return -1;
	}
	b->ops = &backing_memfd;
	b->base_off = 0;
	b->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (b->fd < 0)
		return -1;
	/* The open file description is shared with the caller's fd: its
	 * O_NONBLOCK is left as it is, the type checked on our duplicate. */
	struct stat st;
	int err = 0;
	if (fstat(b->fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = EINVAL;
	else if (backing_file_adopt(b) < 0)
		err = errno;
	if (err) {
		backing_fd_close(b);
		errno = err;
		return -1;
	}
	return 0;
}

static int memfd_create_named(struct backing *b, const char *name, mode_t mode,
			      size_t len)
{
	(void)b;
	(void)name;
	(void)mode;
	(void)len;
	errno = EINVAL;
	return -1;
}

static int memfd_open(struct backing *b, const char *name, int read_only)
{
	(void)b;
	(void)name;
	(void)read_only;
	errno = EINVAL;
	return -1;
}

/* No name names an anonymous heap. */
static int memfd_remove(struct backing *b, const char *name)
{
	(void)b;
	(void)name;
	errno = EINVAL;
	return -1;
}

const struct backing_ops backing_memfd = {
	.create = memfd_create_named,
	.open = memfd_open,
	.length = backing_fd_length,
	.stat = backing_fd_stat,
	.extend = backing_fd_extend,
	.map_fixed = backing_fd_map_fixed,
	.read = backing_fd_read,
	.read_upto = backing_fd_read_upto,
	.close = backing_fd_close,
	.remove = memfd_remove,
};
