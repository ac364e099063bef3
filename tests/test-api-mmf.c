/* SPDX-License-Identifier: MIT */
/* test-api-mmf.c - the exercise-0 interface: mmf_create_or_open and mmf_close. */
#include <dirent.h>
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

#include "layout.h" /* header field offsets, to forge damaged heaps */
#include "mmf.h"
#include "testutil.h"
#include "api-helpers.h"

/*
 * The directory is made and removed by the runner (an unchecked fixture), so
 * it goes away also when a test fails in its forked child; each test empties
 * it after itself.
 */
static char mmf_dir[64];

static void mmf_dir_make(void)
{
	snprintf(mmf_dir, sizeof(mmf_dir), "/tmp/shmheap-test-mmf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(mmf_dir));
}

static void mmf_dir_empty(void)
{
	DIR *d = opendir(mmf_dir);
	if (!d)
		return;
	struct dirent *e;
	char path[128 + NAME_MAX];
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", mmf_dir, e->d_name);
			unlink(path);
		}
	closedir(d);
}

static void mmf_dir_remove(void)
{
	mmf_dir_empty();
	rmdir(mmf_dir);
}

START_TEST(mmf_creates_and_shares)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/data", mmf_dir);
	size_t sz = 4 * PAGE;
	unsigned char *p = mmf_create_or_open(path, sz);
	ck_assert_msg(p != NULL, "mmf_create_or_open: %s", strerror(errno));
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size, sz);
	ck_assert(S_ISREG(st.st_mode));
	for (size_t i = 0; i < sz; i++)
		ck_assert_uint_eq(p[i], 0);

	/* A second mapping of the same file sees the first one's writes. */
	unsigned char *q = mmf_create_or_open(path, sz);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_ne(p, q);
	for (size_t i = 0; i < sz; i++)
		p[i] = (unsigned char)(i % 251);
	for (size_t i = 0; i < sz; i++)
		ck_assert_uint_eq(q[i], i % 251);
	q[sz - 1] = 0x42;
	ck_assert_uint_eq(p[sz - 1], 0x42);
	mmf_close(q, sz);
	mmf_close(p, sz);

	/* The data outlives every mapping. */
	p = mmf_create_or_open(path, sz);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p[sz - 1], 0x42);
	for (size_t i = 0; i < sz - 1; i++)
		ck_assert_uint_eq(p[i], i % 251);
	mmf_close(p, sz);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size, sz);

	mmf_close(NULL, sz); /* does nothing */
}
END_TEST

START_TEST(mmf_errors)
{
	char path[128];
	errno = 0;
	ck_assert_ptr_null(mmf_create_or_open(NULL, PAGE));
	ck_assert_int_eq(errno, EINVAL);
	snprintf(path, sizeof(path), "%s/data", mmf_dir);
	errno = 0;
	ck_assert_ptr_null(mmf_create_or_open(path, 0));
	ck_assert_int_eq(errno, EINVAL);

	snprintf(path, sizeof(path), "%s/no/such/dir", mmf_dir);
	errno = 0;
	ck_assert_ptr_null(mmf_create_or_open(path, PAGE));
	ck_assert_int_eq(errno, ENOENT);

	/* An existing file shorter than asked is extended, its data kept (a
	 * mapping past its end would fault later). */
	snprintf(path, sizeof(path), "%s/short", mmf_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	close(fd);
	char *m = mmf_create_or_open(path, PAGE);
	ck_assert_ptr_nonnull(m);
	ck_assert_mem_eq(m, "abc", 3);
	ck_assert_int_eq(m[PAGE - 1], 0);
	mmf_close(m, PAGE);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, PAGE);

	/* A directory is not a file to map. */
	errno = 0;
	ck_assert_ptr_null(mmf_create_or_open(mmf_dir, PAGE));
	ck_assert(errno != 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-mmf");
	TCase *tc = tu_tcase("mmf", 30);
	tcase_add_unchecked_fixture(tc, mmf_dir_make, mmf_dir_remove);
	tcase_add_checked_fixture(tc, NULL, mmf_dir_empty);
	tcase_add_test(tc, mmf_creates_and_shares);
	tcase_add_test(tc, mmf_errors);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
