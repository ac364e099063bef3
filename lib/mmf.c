/* SPDX-License-Identifier: MIT */
/* mmf.c - a regular file mapped shared into memory (exercise 0). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "align.h"
#include "export.h"
#include "mmf.h"

/*
 * Opens name, creating it if it does not exist, with at least sz bytes
 * reserved.  Processes racing to create the same file all extend it to sz,
 * since a file that is mapped past its end would raise SIGBUS later.  The
 * path is the caller's and is followed like open(2) follows it, so the file
 * may be someone else's: it is never truncated, never extended past sz, and
 * only the range past its old end is reserved, so that no byte it held is
 * written (a posix_fallocate emulation writes the blocks it reserves).
 */
static int open_sized(const char *name, size_t sz)
{
	bool created = true;
	int fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(name, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;

	struct stat st;
	int err = 0;
	if (fstat(fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = EINVAL;
	else if ((size_t)st.st_size < sz)
		err = posix_fallocate(fd, st.st_size, (off_t)sz - st.st_size);
	if (err) {
		close(fd);
		if (created)
			unlink(name);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * The lab promises a page multiple, but a user of the library cannot be held
 * to it: sz is rounded up to whole pages, so that every byte of the mapping's
 * last page lies inside the file.  false if that overflows.
 */
static bool round_to_pages(size_t *sz)
{
	size_t unit = page_size();
	if (*sz > SIZE_MAX - (unit - 1) || *sz > (size_t)INT64_MAX - (unit - 1))
		return false;
	*sz = round_up(*sz, unit);
	return true;
}

EXPORT void *mmf_create_or_open(const char *name, size_t sz)
{
	if (!name || sz == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (!round_to_pages(&sz)) {
		errno = EFBIG;
		return NULL;
	}
	int fd = open_sized(name, sz);
	if (fd < 0)
		return NULL;
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int err = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = err;
		return NULL;
	}
	return p;
}

EXPORT void mmf_close(void *ptr, size_t sz)
{
	if (ptr && sz)
		munmap(ptr, sz);
}
