/* SPDX-License-Identifier: MIT */
/*
 * test-destroy.c - shmheap_destroy removes a name only if it names the
 * handle's heap.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define SIZE 4096u

START_TEST(destroy_removes_the_handles_heap)
{
	const char *name = tu_name("own");
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	errno = 0;
	shmheap_destroy(name, h);
	ck_assert_int_eq(errno, 0);
	ck_assert(!tu_shm_exists(name));
}
END_TEST

START_TEST(destroy_refuses_another_heaps_name)
{
	const char *a = tu_name("a"), *b = tu_name("b");
	shmheap_memory_handle ha = shmheap_create(a, SIZE);
	shmheap_memory_handle hb = shmheap_create(b, SIZE);
	ck_assert_ptr_nonnull(ha);
	ck_assert_ptr_nonnull(hb);
	int *obj = shmheap_alloc(hb, sizeof(int));
	ck_assert_ptr_nonnull(obj);
	*obj = 42;
	shmheap_object_handle hdl = shmheap_ptr_to_handle(hb, obj);

	errno = 0;
	shmheap_destroy(b, ha); /* a's handle, b's name */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(tu_shm_exists(a));
	ck_assert(tu_shm_exists(b));
	/* b is untouched and still usable; ha was disconnected all the same. */
	shmheap_memory_handle again = shmheap_connect(b);
	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(*(int *)shmheap_handle_to_ptr(again, hdl), 42);
	shmheap_disconnect(again);

	shmheap_memory_handle ca = shmheap_connect(a);
	ck_assert_ptr_nonnull(ca);
	errno = 0;
	shmheap_destroy(a, ca); /* another connection to a: its heap all the same */
	ck_assert_int_eq(errno, 0);
	ck_assert(!tu_shm_exists(a));
	shmheap_destroy(b, hb);
	ck_assert(!tu_shm_exists(b));
}
END_TEST

/* The name was removed and given to a new heap since the handle connected. */
START_TEST(destroy_refuses_a_reused_name)
{
	const char *name = tu_name("reused");
	shmheap_memory_handle old = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(old);
	shmheap_memory_handle first = shmheap_connect(name);
	ck_assert_ptr_nonnull(first);
	shmheap_destroy(name, first);
	ck_assert(!tu_shm_exists(name));
	shmheap_memory_handle fresh = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(fresh);

	errno = 0;
	shmheap_destroy(name, old);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(tu_shm_exists(name));
	ck_assert_int_eq(tu_check(fresh), 0);
	shmheap_destroy(name, fresh);
	ck_assert(!tu_shm_exists(name));
}
END_TEST

/* A link to the heap is not the heap: it is neither followed nor removed. */
START_TEST(destroy_refuses_a_link)
{
	const char *name = tu_name("target"), *link = tu_name("link");
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	char target[TU_NAME_MAX + 16], path[TU_NAME_MAX + 16];
	snprintf(target, sizeof(target), "/dev/shm%s", name);
	snprintf(path, sizeof(path), "/dev/shm%s", link);
	ck_assert_int_eq(symlink(target, path), 0);

	errno = 0;
	shmheap_destroy(link, h);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(tu_shm_exists(name));
	ck_assert_int_eq(unlink(path), 0); /* the link was still there */

	shmheap_memory_handle again = shmheap_connect(name);
	ck_assert_ptr_nonnull(again);
	shmheap_destroy(name, again);
	ck_assert(!tu_shm_exists(name));
}
END_TEST

START_TEST(destroy_of_a_missing_name)
{
	const char *name = tu_name("gone"), *missing = tu_name("missing");
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	errno = 0;
	shmheap_destroy(missing, h);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert(tu_shm_exists(name));
	h = shmheap_connect(name);
	ck_assert_ptr_nonnull(h);
	shmheap_destroy(name, h);
	ck_assert(!tu_shm_exists(name));
}
END_TEST

static Suite *destroy_suite(void)
{
	Suite *s = suite_create("destroy");
	TCase *tc = tu_tcase("destroy", 30);
	tcase_add_test(tc, destroy_removes_the_handles_heap);
	tcase_add_test(tc, destroy_refuses_another_heaps_name);
	tcase_add_test(tc, destroy_refuses_a_reused_name);
	tcase_add_test(tc, destroy_refuses_a_link);
	tcase_add_test(tc, destroy_of_a_missing_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(destroy_suite());
}
