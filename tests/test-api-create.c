/* SPDX-License-Identifier: MIT */
/* test-api-create.c - creating heaps: shmheap_create and shmheap_create_ex, their objects, modes and errors. */
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

#include "fitmap.h" /* fm_bytes: the index that follows the heap */
#include "layout.h" /* header field offsets, to forge damaged heaps */
#include "mmf.h"
#include "testutil.h"
#include "api-helpers.h"

START_TEST(create_makes_object_of_len)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 4 * PAGE);
	size_t len;
	free(read_object(name, &len));
	/* The heap of len bytes, then its free-block index. */
	ck_assert_uint_eq(len, 4 * PAGE + fm_bytes(4 * PAGE));
	ck_assert_uint_eq(object_mode(name), 0600);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, 4 * PAGE);
	ck_assert_uint_eq(st.max_size, SHMHEAP_DEFAULT_MAX_SIZE);
	shmheap_destroy(name, h);
	ck_assert(!tu_shm_exists(name));
}
END_TEST

START_TEST(create_mode_ignores_umask)
{
	mode_t old = umask(0);
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	ck_assert_uint_eq(object_mode(name), 0600);
	shmheap_destroy(name, h);

	umask(077);
	struct shmheap_options o = {.mode = 0644};
	name = tu_name("mode");
	h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(object_mode(name), 0644);
	shmheap_destroy(name, h);

	umask(022);
	o.mode = 0660;
	name = tu_name("mode");
	h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(object_mode(name), 0660);
	shmheap_destroy(name, h);
	umask(old);
}
END_TEST

START_TEST(create_existing_object_untouched)
{
	const char *name = tu_name("raw");
	unsigned char buf[2 * PAGE];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	make_object(name, buf, sizeof(buf));

	errno = 0;
	ck_assert_ptr_null(shmheap_create(name, PAGE));
	ck_assert_int_eq(errno, EEXIST);
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	errno = 0;
	ck_assert_ptr_null(shmheap_create_ex(name, PAGE, &o));
	ck_assert_int_eq(errno, EEXIST);

	size_t len;
	unsigned char *now = read_object(name, &len);
	ck_assert_uint_eq(len, sizeof(buf));
	ck_assert_mem_eq(now, buf, sizeof(buf));
	free(now);
	shm_unlink(name);
}
END_TEST

START_TEST(create_existing_heap_untouched)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *p = shmheap_alloc(h, 100);
	memset(p, 0x5a, 100);
	size_t len;
	unsigned char *before = read_object(name, &len);

	errno = 0;
	ck_assert_ptr_null(shmheap_create(name, 2 * PAGE));
	ck_assert_int_eq(errno, EEXIST);
	size_t len2;
	unsigned char *after = read_object(name, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(before, after, len);
	free(before);
	free(after);

	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(tu_check(c), 0);
	ck_assert_uint_eq(stats_of(c).objects, 1);
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(create_invalid_names)
{
	char longname[NAME_MAX + 8];
	longname[0] = '/';
	memset(longname + 1, 'a', sizeof(longname) - 2);
	longname[sizeof(longname) - 1] = '\0';
	const char *bad[] = {NULL,   "",    "/",  "x",	   "noslash",
			     "/a/b", "/a/", "//", longname};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_create(bad[i], PAGE) == NULL,
			      "create accepted name %zu", i);
		ck_assert_msg(errno == EINVAL, "name %zu: errno %d", i, errno);
		errno = 0;
		ck_assert_ptr_null(shmheap_create_ex(bad[i], PAGE, NULL));
		ck_assert_int_eq(errno, EINVAL);
		errno = 0;
		ck_assert_ptr_null(shmheap_connect(bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert(!tu_shm_exists("/x"));
}
END_TEST

START_TEST(create_invalid_sizes)
{
	/* Other lengths are rounded up to pages: see tests/test-sizes.c. */
	const size_t bad[] = {0,
			      1,
			      8,
			      SHMHEAP_MIN_SIZE - 1,
			      SIZE_MAX,
			      SIZE_MAX - PAGE + 1,
			      SHMHEAP_MAX_HEAP_SIZE + 1,
			      SHMHEAP_MAX_HEAP_SIZE + PAGE};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *name = tu_name("size");
		errno = 0;
		ck_assert_msg(shmheap_create(name, bad[i]) == NULL,
			      "create accepted len %zu", bad[i]);
		ck_assert_msg(errno == EINVAL, "len %zu: errno %d", bad[i], errno);
		ck_assert_msg(!tu_shm_exists(name), "len %zu left an object behind",
			      bad[i]);
	}
}
END_TEST

START_TEST(create_ex_invalid_options)
{
	const struct shmheap_options bad[] = {
		{.max_size = PAGE},			    /* below len */
		{.max_size = SHMHEAP_MAX_HEAP_SIZE + PAGE}, /* beyond the layout */
		{.flags = 0x100}, /* unknown flag (0x2 is SHMHEAP_CACHED) */
		{.flags = ~0u},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *name = tu_name("opts");
		errno = 0;
		ck_assert_msg(shmheap_create_ex(name, 2 * PAGE, &bad[i]) == NULL,
			      "create_ex accepted options %zu", i);
		ck_assert_msg(errno == EINVAL, "options %zu: errno %d", i, errno);
		ck_assert(!tu_shm_exists(name));
	}
}
END_TEST

START_TEST(create_ex_options_apply)
{
	const char *name = tu_name("opts");
	struct shmheap_options o = {0};
	shmheap_memory_handle h = shmheap_create_ex(name, 2 * PAGE, &o);
	ck_assert_ptr_nonnull(h);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, 2 * PAGE);
	ck_assert_uint_eq(st.max_size, SHMHEAP_DEFAULT_MAX_SIZE);
	ck_assert_uint_eq(object_mode(name), 0600);
	shmheap_destroy(name, h);

	name = tu_name("opts");
	o = (struct shmheap_options){.max_size = 1 << 20};
	h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(stats_of(h).max_size, 1 << 20);
	shmheap_destroy(name, h);

	h = make_fixed_heap(&name, 3 * PAGE);
	st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, 3 * PAGE);
	ck_assert_uint_eq(st.max_size, 3 * PAGE);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-create");
	TCase *tc = tu_tcase("create", 30);
	tcase_add_test(tc, create_makes_object_of_len);
	tcase_add_test(tc, create_mode_ignores_umask);
	tcase_add_test(tc, create_existing_object_untouched);
	tcase_add_test(tc, create_existing_heap_untouched);
	tcase_add_test(tc, create_invalid_names);
	tcase_add_test(tc, create_invalid_sizes);
	tcase_add_test(tc, create_ex_invalid_options);
	tcase_add_test(tc, create_ex_options_apply);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
