/* SPDX-License-Identifier: MIT */
/* test-api-lifetime.c - disconnecting, destroying, and where a heap is mapped. */
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

START_TEST(destroy_removes_name_others_keep_working)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	char *p = shmheap_alloc(c, 32);
	strcpy(p, "still here");

	shmheap_destroy(name, h);
	ck_assert(!tu_shm_exists(name));
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, ENOENT);

	/* The other connection still works, growth included. */
	ck_assert_str_eq(p, "still here");
	char *q = shmheap_alloc(c, 3 * PAGE);
	ck_assert_ptr_nonnull(q);
	memset(q, 1, 3 * PAGE);
	shmheap_free(c, p);
	shmheap_free(c, q);
	ck_assert_int_eq(tu_check(c), 0);
	ck_assert_uint_eq(stats_of(c).objects, 0);
	shmheap_disconnect(c);

	shmheap_disconnect(NULL); /* does nothing */
}
END_TEST

START_TEST(disconnect_keeps_object)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_object_handle hdl = shmheap_ptr_to_handle(h, strcpy(shmheap_alloc(h, 16),
								    "kept"));
	shmheap_disconnect(h);
	ck_assert(tu_shm_exists(name));
	h = shmheap_connect(name);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(shmheap_handle_to_ptr(h, hdl), "kept");
	shmheap_destroy(name, h);
	ck_assert(!tu_shm_exists(name));
}
END_TEST

START_TEST(underlying_is_heap_start)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *base = shmheap_underlying(h);
	ck_assert_ptr_nonnull(base);
	ck_assert_uint_eq((uintptr_t)base % PAGE, 0);
	ck_assert_ptr_eq(shmheap_alloc(h, 1), base + HDR);
	ck_assert_ptr_eq(shmheap_alloc(h, 1), base + 96);

	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	char *cbase = shmheap_underlying(c);
	ck_assert_ptr_ne(cbase, base);
	base[HDR] = 'x';
	ck_assert_int_eq(cbase[HDR], 'x');
	shmheap_disconnect(c);

	errno = 0;
	ck_assert_ptr_null(shmheap_underlying(NULL));
	ck_assert_int_eq(errno, EINVAL);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-lifetime");
	TCase *tc = tu_tcase("lifetime", 30);
	tcase_add_test(tc, destroy_removes_name_others_keep_working);
	tcase_add_test(tc, disconnect_keeps_object);
	tcase_add_test(tc, underlying_is_heap_start);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
