/* SPDX-License-Identifier: MIT */
/* mmf.c - a regular file mapped shared into memory (exercise 0). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heap.h"
#include "mmf.h"

/* Opens name, creating it with sz reserved bytes if it does not exist. */
static int open_sized(const char *name, size_t sz)
{
	int fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int err = posix_fallocate(fd, 0, (off_t)sz);
		if (err) {
			close(fd);
			unlink(name);
			errno = err;
			return -1;
		}
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	fd = open(name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* Mapping past the end of a shorter file would fault later (SIGBUS). */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < sz) {
		int err = errno;
		close(fd);
		errno = (err && err != EEXIST) ? err : EINVAL;
		return -1;
	}
	return fd;
}

EXPORT void *mmf_create_or_open(const char *name, size_t sz)
{
	if (!name || sz == 0) {
		errno = EINVAL;
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
