/* SPDX-License-Identifier: MIT */
/*
 * test-refuse.c - what the library refuses or leaves alone: names that are
 * no object name, set-user-ID and similar mode bits, shared-memory objects of
 * zeros that are not heaps, and files that mmf_create_or_open did not create.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmf.h"
#include "shmheap.h"
#include "testutil.h"

#define PAGE 4096

START_TEST(dot_names_are_invalid)
{
	/* "/.." named /dev itself: create failed with EEXIST, not EINVAL. */
	static const char *const names[] = {"/.", "/.."};
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		ck_assert_ptr_null(shmheap_create(names[i], 64 * 1024));
		ck_assert_int_eq(errno, EINVAL);
		errno = 0;
		ck_assert_ptr_null(shmheap_connect(names[i]));
		ck_assert_int_eq(errno, EINVAL);
		struct shmheap_info info;
		errno = 0;
		ck_assert_int_eq(shmheap_info(names[i], &info), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(special_mode_bits_are_refused)
{
	static const mode_t modes[] = {04777, 02700, 01600, 010000};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *name = tu_name("mode");
		struct shmheap_options o = {.mode = modes[i]};
		errno = 0;
		ck_assert_ptr_null(shmheap_create_ex(name, 64 * 1024, &o));
		ck_assert_int_eq(errno, EINVAL);
		ck_assert(!tu_shm_exists(name));
	}
	/* The permission bits themselves are still honoured exactly. */
	const char *name = tu_name("mode-ok");
	struct shmheap_options o = {.mode = 0640};
	shmheap_memory_handle mem = shmheap_create_ex(name, 64 * 1024, &o);
	ck_assert_ptr_nonnull(mem);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_uint_eq(info.mode, 0640);
	shmheap_destroy(name, mem);
}
END_TEST

/* An object of len zeros, last modified age_s seconds ago. */
static void make_zeros(const char *name, size_t len, time_t age_s)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_msg(fd >= 0, "shm_open %s: %s", name, strerror(errno));
	ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
	if (age_s) {
		struct timespec t[2];
		ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &t[0]), 0);
		t[0].tv_sec -= age_s;
		t[1] = t[0];
		ck_assert_int_eq(futimens(fd, t), 0);
	}
	close(fd);
}

START_TEST(old_zero_objects_are_not_heaps)
{
	/* Another program's object of zeros (or an empty one), a minute old:
	 * not a heap being created, but no heap at all. */
	static const size_t sizes[] = {0, PAGE, 16 * PAGE};
	for (size_t i = 0; i < 3; i++) {
		const char *name = tu_name("zeros-old");
		make_zeros(name, sizes[i], 60);
		struct shmheap_info info;
		errno = 0;
		ck_assert_int_eq(shmheap_info(name, &info), -1);
		ck_assert_int_eq(errno, EINVAL);
		errno = 0;
		ck_assert_ptr_null(shmheap_connect(name));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(fresh_zero_objects_are_heaps_being_made)
{
	/* What a creator's object looks like for a moment after it is sized. */
	const char *name = tu_name("zeros-new");
	make_zeros(name, 16 * PAGE, 0);
	struct shmheap_info info;
	errno = 0;
	ck_assert_int_eq(shmheap_info(name, &info), -1);
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

/* A file of len bytes of pattern c. */
static void make_file(const char *path, size_t len, int c)
{
	char *buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	memset(buf, c, len);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
}

/* 1 if the file is len bytes, all c from 0 to upto and zeros after. */
static int file_is(const char *path, size_t len, int c, size_t upto)
{
	struct stat st;
	if (stat(path, &st) < 0 || (size_t)st.st_size != len)
		return 0;
	unsigned char *buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	int ok = read(fd, buf, len) == (ssize_t)len;
	close(fd);
	for (size_t i = 0; ok && i < len; i++)
		ok = buf[i] == (i < upto ? (unsigned char)c : 0);
	free(buf);
	return ok;
}

START_TEST(mmf_leaves_a_file_it_did_not_create)
{
	char dir[] = "/tmp/shmheap-test-mmf.XXXXXX", victim[64], link[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(link, sizeof(link), "%s/planted", dir);
	make_file(victim, 2 * PAGE, 'v');
	ck_assert_int_eq(symlink(victim, link), 0);

	/* Smaller than the file: nothing is truncated, nothing written. */
	void *p = mmf_create_or_open(link, PAGE);
	ck_assert_ptr_nonnull(p);
	mmf_close(p, PAGE);
	ck_assert(file_is(victim, 2 * PAGE, 'v', 2 * PAGE));

	/* Larger: extended to exactly what was asked, its bytes untouched. */
	p = mmf_create_or_open(link, 4 * PAGE);
	ck_assert_ptr_nonnull(p);
	mmf_close(p, 4 * PAGE);
	ck_assert(file_is(victim, 4 * PAGE, 'v', 2 * PAGE));

	unlink(link);
	unlink(victim);
	rmdir(dir);
}
END_TEST

static Suite *refuse_suite(void)
{
	Suite *s = suite_create("refuse");
	TCase *tc = tu_tcase("refuse", 30);
	tcase_add_test(tc, dot_names_are_invalid);
	tcase_add_test(tc, special_mode_bits_are_refused);
	tcase_add_test(tc, old_zero_objects_are_not_heaps);
	tcase_add_test(tc, fresh_zero_objects_are_heaps_being_made);
	tcase_add_test(tc, mmf_leaves_a_file_it_did_not_create);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(refuse_suite());
}
