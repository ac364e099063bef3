/* SPDX-License-Identifier: MIT */
/*
 * test-backing-anon.c - anonymous heaps (shmheap_create_anonymous): shared
 * with forked children through the inherited handle, growing in any of them,
 * and joined by an unrelated process that receives the descriptor over a Unix
 * socket (shmheap_fd, shmheap_connect_fd).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define SIZE (64u << 10)
#define CHILDREN 4
#define ROUNDS 200

struct ring_arg {
	shmheap_memory_handle h;
	int me;
	int in, out; /* from the previous child, to the next */
};

/* Each child sends handles of objects it fills to the next child, which
 * verifies and frees what it receives. */
static void ring_child(void *arg)
{
	struct ring_arg *a = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(a->me + 1);
	for (uint32_t i = 0; i < ROUNDS; i++) {
		size_t len = 8 + tu_rand(&rng) % 3000;
		void *p = shmheap_alloc(a->h, len);
		TU_REQUIRE(p, "alloc %zu: %s", len, strerror(errno));
		tu_fill(p, len, (uint32_t)a->me, i);
		struct {
			shmheap_object_handle hdl;
			size_t len;
		} msg = {shmheap_ptr_to_handle(a->h, p), len}, got;
		tu_write_all(a->out, &msg, sizeof(msg));
		TU_REQUIRE(tu_read_all(a->in, &got, sizeof(got)) == 0, "read");
		void *q = shmheap_handle_to_ptr(a->h, got.hdl);
		int from = (a->me + CHILDREN - 1) % CHILDREN;
		TU_REQUIRE(q && tu_verify(q, got.len, (uint32_t)from, i) < 0,
			   "object %u of child %d", i, from);
		TU_REQUIRE(shmheap_free_checked(a->h, q) == 0, "free");
	}
}

START_TEST(forked_children_share_an_anonymous_heap)
{
	shmheap_memory_handle h = shmheap_create_anonymous(SIZE, NULL);
	ck_assert_ptr_nonnull(h);
	int pipes[CHILDREN][2];
	for (int i = 0; i < CHILDREN; i++)
		ck_assert_int_eq(pipe(pipes[i]), 0);
	struct ring_arg args[CHILDREN];
	pid_t pids[CHILDREN];
	for (int i = 0; i < CHILDREN; i++) {
		args[i] = (struct ring_arg){h, i, pipes[i][0],
					    pipes[(i + 1) % CHILDREN][1]};
		pids[i] = tu_fork(ring_child, &args[i], 60);
	}
	char why[256];
	ck_assert_msg(tu_wait_all(pids, CHILDREN, 60, why, sizeof(why)) == 0, "%s", why);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(NULL, h);
}
END_TEST

struct grow_arg {
	shmheap_memory_handle h;
	int out;
};

static void grow_child(void *arg)
{
	struct grow_arg *a = arg;
	void *p = shmheap_alloc(a->h, 4 * SIZE);
	TU_REQUIRE(p, "alloc: %s", strerror(errno));
	tu_fill(p, 4 * SIZE, 9, 9);
	shmheap_object_handle hdl = shmheap_ptr_to_handle(a->h, p);
	tu_write_all(a->out, &hdl, sizeof(hdl));
}

START_TEST(growth_in_a_child_is_seen_by_the_parent)
{
	shmheap_memory_handle h = shmheap_create_anonymous(SIZE, NULL);
	ck_assert_ptr_nonnull(h);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct grow_arg a = {h, pfd[1]};
	pid_t pid = tu_fork(grow_child, &a, 30);
	shmheap_object_handle hdl;
	ck_assert_int_eq(tu_read_all(pfd[0], &hdl, sizeof(hdl)), 0);
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	void *p = shmheap_handle_to_ptr(h, hdl);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_lt(tu_verify(p, 4 * SIZE, 9, 9), 0);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_gt(st.heap_size, 4 * SIZE);
	ck_assert_int_eq(tu_check(h), 0);
	/* A heap that must not grow stays as it is, in children too. */
	struct shmheap_options fixed = {.flags = SHMHEAP_NO_GROW};
	shmheap_memory_handle f = shmheap_create_anonymous(SIZE, &fixed);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_null(shmheap_alloc(f, 2 * SIZE));
	ck_assert_int_eq(errno, ENOMEM);
	shmheap_disconnect(f);
	close(pfd[0]);
	close(pfd[1]);
	shmheap_disconnect(h);
}
END_TEST

#define GREETING "hello over SCM_RIGHTS"
#define ANSWER "answered from an exec'd process"

/* The helper sits beside this program. */
static void helper_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	snprintf(buf, len, "%s/backing-fd-helper", self);
}

START_TEST(descriptor_passed_to_an_execd_process_joins)
{
	char helper[PATH_MAX + 32];
	helper_path(helper, sizeof(helper));
	shmheap_memory_handle h = shmheap_create_anonymous(SIZE, NULL);
	ck_assert_ptr_nonnull(h);
	char *text = shmheap_alloc(h, sizeof(GREETING));
	ck_assert_ptr_nonnull(text);
	memcpy(text, GREETING, sizeof(GREETING));
	shmheap_object_handle hdl = shmheap_ptr_to_handle(h, text);

	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char arg[16];
		close(sv[0]);
		snprintf(arg, sizeof(arg), "%d", sv[1]);
		alarm(30);
		execl(helper, helper, arg, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	int fd = shmheap_fd(h);
	ck_assert_int_ge(fd, 0);
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = {&hdl, sizeof(hdl)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	ck_assert_int_eq(sendmsg(sv[0], &msg, 0), (ssize_t)sizeof(hdl));

	shmheap_object_handle reply;
	int got = tu_read_all(sv[0], &reply, sizeof(reply));
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "helper: %s", why);
	ck_assert_int_eq(got, 0);
	const char *answer = shmheap_handle_to_ptr(h, reply);
	ck_assert_ptr_nonnull(answer);
	ck_assert_str_eq(answer, ANSWER);
	ck_assert_int_eq(tu_check(h), 0);
	close(sv[0]);
	shmheap_disconnect(h);
}
END_TEST

START_TEST(connect_fd_refuses_what_is_no_heap)
{
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_fd(-1));
	ck_assert_int_eq(errno, EBADF);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_ptr_null(shmheap_connect_fd(pfd[1])); /* write-only */
	ck_assert_int_eq(errno, EACCES);
	close(pfd[0]);
	close(pfd[1]);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_null(shmheap_connect_fd(sv[0]));
	ck_assert_int_eq(errno, EINVAL);
	close(sv[0]);
	close(sv[1]);

	shmheap_memory_handle h = shmheap_create_anonymous(SIZE, NULL);
	ck_assert_ptr_nonnull(h);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", shmheap_fd(h));
	int ro = open(path, O_RDONLY);
	ck_assert_int_ge(ro, 0);
	ck_assert_ptr_null(shmheap_connect_fd(ro)); /* mapped writable: refused */
	ck_assert_int_eq(errno, EACCES);
	close(ro);

	/* The caller keeps its descriptor, whatever the heap does with its own. */
	int mine = dup(shmheap_fd(h));
	shmheap_memory_handle g = shmheap_connect_fd(mine);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_ne(shmheap_fd(g), mine);
	shmheap_disconnect(g);
	ck_assert_int_ge(fcntl(mine, F_GETFD), 0);
	close(mine);

	/* No name is an anonymous heap's: destroy with one refuses it. */
	ck_assert_int_eq(shmheap_sync(h), 0);
	errno = 0;
	shmheap_destroy(tu_name("anon"), h);
	ck_assert_int_eq(errno, EINVAL);

	/* Bad lengths and options, as for shmheap_create_ex. */
	ck_assert_ptr_null(shmheap_create_anonymous(0, NULL));
	ck_assert_int_eq(errno, EINVAL);
	struct shmheap_options bad = {.flags = 0x80};
	ck_assert_ptr_null(shmheap_create_anonymous(SIZE, &bad));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backing-anon");
	TCase *tc = tu_tcase("anon", 60);
	tcase_add_test(tc, forked_children_share_an_anonymous_heap);
	tcase_add_test(tc, growth_in_a_child_is_seen_by_the_parent);
	tcase_add_test(tc, descriptor_passed_to_an_execd_process_joins);
	tcase_add_test(tc, connect_fd_refuses_what_is_no_heap);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
