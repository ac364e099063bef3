/* SPDX-License-Identifier: MIT */
/* test-api-handles.c - handles: round trips, refusal in other heaps, passing them between processes. */
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

START_TEST(handles_round_trip)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 16 * PAGE);
	void *objs[200];
	shmheap_object_handle hdls[200];
	for (int i = 0; i < 200; i++) {
		objs[i] = shmheap_alloc(h, (size_t)i * 3);
		hdls[i] = shmheap_ptr_to_handle(h, objs[i]);
		ck_assert_uint_ne(hdls[i].value, 0);
		ck_assert_ptr_eq(shmheap_handle_to_ptr(h, hdls[i]), objs[i]);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(hdls[i].value, hdls[j].value);
	}
	/* The null handle and NULL. */
	ck_assert_uint_eq(shmheap_ptr_to_handle(h, NULL).value, 0);
	ck_assert_ptr_null(shmheap_handle_to_ptr(h, (shmheap_object_handle){0}));

	/* Another connection resolves the same handles to its own addresses. */
	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 200; i++) {
		char *q = shmheap_handle_to_ptr(c, hdls[i]);
		ck_assert_uint_eq(q - (char *)shmheap_underlying(c),
				  (char *)objs[i] - (char *)shmheap_underlying(h));
		ck_assert_uint_eq(shmheap_ptr_to_handle(c, q).value, hdls[i].value);
	}
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(handles_refused_elsewhere)
{
	const char *na, *nb;
	shmheap_memory_handle a = make_heap(&na, PAGE);
	shmheap_memory_handle b = make_heap(&nb, PAGE);
	void *pa = shmheap_alloc(a, 16);
	shmheap_alloc(b, 16);
	shmheap_object_handle ha = shmheap_ptr_to_handle(a, pa);

	errno = 0;
	ck_assert_ptr_null(shmheap_handle_to_ptr(b, ha));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_handle_to_ptr(NULL, ha));
	ck_assert_int_eq(errno, EINVAL);

	/* Pointers that are not in the heap have no handle. */
	long on_stack;
	void *bad[] = {&on_stack, shmheap_underlying(a),
		       (char *)shmheap_underlying(a) + 8,
		       (char *)shmheap_underlying(a) + PAGE,
		       (char *)shmheap_underlying(a) + (1 << 30)};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_ptr_to_handle(a, bad[i]).value == 0,
			      "bad[%zu] got a handle", i);
		ck_assert_int_eq(errno, EINVAL);
	}
	errno = 0;
	ck_assert_uint_eq(shmheap_ptr_to_handle(NULL, pa).value, 0);
	ck_assert_int_eq(errno, EINVAL);

	/* A handle whose offset lies past the heap's end. */
	shmheap_object_handle far = {ha.value + ((uint64_t)1 << 30)};
	errno = 0;
	ck_assert_ptr_null(shmheap_handle_to_ptr(a, far));
	ck_assert_int_eq(errno, EINVAL);
	shmheap_object_handle low = {ha.value - 16 * 4}; /* into the header */
	errno = 0;
	ck_assert_ptr_null(shmheap_handle_to_ptr(a, low));
	ck_assert_int_eq(errno, EINVAL);

	shmheap_destroy(na, a);
	shmheap_destroy(nb, b);
}
END_TEST

struct pipe_child {
	const char *name;
	int in, out;
};

/* Connects by itself, checks what the handles name, answers with its own. */
static void handle_child(void *arg)
{
	struct pipe_child *pc = arg;
	shmheap_memory_handle h = shmheap_connect(pc->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	for (uint32_t i = 0; i < 50; i++) {
		shmheap_object_handle hdl;
		TU_REQUIRE(tu_read_all(pc->in, &hdl, sizeof(hdl)) == 0, "short read");
		void *p = shmheap_handle_to_ptr(h, hdl);
		TU_REQUIRE(p != NULL, "handle %u did not resolve: %s", i,
			   strerror(errno));
		TU_REQUIRE(tu_verify(p, 8 + i, 1, i) < 0, "object %u corrupt", i);
		void *q = shmheap_alloc(h, 8 + i);
		TU_REQUIRE(q != NULL, "alloc");
		tu_fill(q, 8 + i, 2, i);
		shmheap_object_handle reply = shmheap_ptr_to_handle(h, q);
		tu_write_all(pc->out, &reply, sizeof(reply));
	}
	shmheap_disconnect(h);
}

START_TEST(handles_cross_pipe_to_child)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 4 * PAGE);
	int down[2], up[2];
	ck_assert_int_eq(pipe(down), 0);
	ck_assert_int_eq(pipe(up), 0);
	struct pipe_child pc = {name, down[0], up[1]};
	pid_t pid = tu_fork(handle_child, &pc, 20);
	close(down[0]);
	close(up[1]);
	for (uint32_t i = 0; i < 50; i++) {
		void *p = shmheap_alloc(h, 8 + i);
		tu_fill(p, 8 + i, 1, i);
		shmheap_object_handle hdl = shmheap_ptr_to_handle(h, p);
		unsigned char bytes[sizeof(hdl)];
		memcpy(bytes, &hdl, sizeof(hdl)); /* a bitwise copy, nothing more */
		ck_assert_int_eq(write(down[1], bytes, sizeof(bytes)),
				 (ssize_t)sizeof(bytes));
		shmheap_object_handle reply;
		ck_assert_int_eq(tu_read_all(up[0], &reply, sizeof(reply)), 0);
		void *q = shmheap_handle_to_ptr(h, reply);
		ck_assert_ptr_nonnull(q);
		ck_assert_int_lt(tu_verify(q, 8 + i, 2, i), 0);
		ck_assert_int_lt(tu_verify(p, 8 + i, 1, i), 0);
	}
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	close(down[1]);
	close(up[0]);
	ck_assert_uint_eq(stats_of(h).objects, 100);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-handles");
	TCase *tc = tu_tcase("handles", 30);
	tcase_add_test(tc, handles_round_trip);
	tcase_add_test(tc, handles_refused_elsewhere);
	tcase_add_test(tc, handles_cross_pipe_to_child);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
