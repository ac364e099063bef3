/* SPDX-License-Identifier: MIT */
/* api-helpers.c - see api-helpers.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api-helpers.h"

/* Makes a plain shared-memory object holding exactly len bytes of buf. */
void make_object(const char *name, const void *buf, size_t len)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_msg(fd >= 0, "shm_open %s: %s", name, strerror(errno));
	if (len)
		ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* The bytes and size of a shared-memory object. */
unsigned char *read_object(const char *name, size_t *len)
{
	int fd = shm_open(name, O_RDONLY, 0);
	ck_assert_msg(fd >= 0, "shm_open %s: %s", name, strerror(errno));
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	unsigned char *buf = malloc(*len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, *len, 0), (ssize_t)*len);
	close(fd);
	return buf;
}

mode_t object_mode(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	return st.st_mode & 07777;
}

shmheap_memory_handle make_heap(const char **name, size_t len)
{
	*name = tu_name("heap");
	shmheap_memory_handle h = shmheap_create(*name, len);
	ck_assert_msg(h != NULL, "create %s: %s", *name, strerror(errno));
	return h;
}

shmheap_memory_handle make_fixed_heap(const char **name, size_t len)
{
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	*name = tu_name("fixed");
	shmheap_memory_handle h = shmheap_create_ex(*name, len, &o);
	ck_assert_msg(h != NULL, "create_ex %s: %s", *name, strerror(errno));
	return h;
}

struct shmheap_stats stats_of(shmheap_memory_handle h)
{
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	return st;
}

/* The whole object of a heap with three objects in it, taken from a real
 * heap: a copy of the heap alone lacks the index, and connect refuses it. */
unsigned char *heap_image(size_t len, size_t *object_len)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, len);
	memset(shmheap_alloc(h, 24), 0x11, 24);
	memset(shmheap_alloc(h, 8), 0x22, 8);
	memset(shmheap_alloc(h, 300), 0x33, 300);
	struct shmheap_info in;
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_eq(in.heap_size, len);
	ck_assert_uint_ge(in.object_size, len);
	unsigned char *img = read_object(name, object_len);
	ck_assert_uint_eq(*object_len, in.object_size);
	shmheap_destroy(name, h);
	return img;
}

void expect_connect_fails(const char *name, int err)
{
	errno = 0;
	shmheap_memory_handle h = shmheap_connect(name);
	ck_assert_msg(h == NULL, "connect %s succeeded on a damaged object", name);
	ck_assert_msg(errno == err, "connect: errno %d (%s), want %d (%s)", errno,
		      strerror(errno), err, strerror(err));
}

void count_problem(size_t offset, const char *problem, void *arg)
{
	struct problems *p = arg;
	ck_assert_ptr_nonnull(problem);
	if (p->n++ == 0)
		p->first_offset = offset;
}
