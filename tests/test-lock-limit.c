/* SPDX-License-Identifier: MIT */
/*
 * test-lock-limit.c - SHMHEAP_CONNECT_WAIT_LIMIT: a stopped lock holder makes
 * the calls of a connection with a wait limit fail with ETIMEDOUT, and they
 * work again once the holder goes on.
 *
 * The holder takes the lock inside a shmheap_walk callback and stops itself
 * (SIGSTOP) there.  What the calls answered is recorded first and asserted
 * only after the holder has been continued, so that a failing test never
 * leaves a stopped process behind.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define LIMIT_MS 100

static int stop_in_walk(const struct shmheap_block *blk, void *arg)
{
	int held_fd = *(int *)arg;
	char c = 'h';
	(void)blk;
	tu_write_all(held_fd, &c, 1);
	raise(SIGSTOP);
	return 1;
}

struct stopper {
	const char *name;
	int held_fd;
};

static void hold_and_stop(void *arg)
{
	const struct stopper *s = arg;
	shmheap_memory_handle mem = shmheap_connect(s->name);
	TU_REQUIRE(mem, "holder: connect: %s", strerror(errno));
	int fd = s->held_fd;
	TU_REQUIRE(shmheap_walk(mem, stop_in_walk, &fd) >= 0, "holder: walk: %s",
		   strerror(errno));
	shmheap_disconnect(mem);
}

static shmheap_memory_handle connect_limited(const char *name, unsigned flags)
{
	struct shmheap_connect_options opts = {0};
	opts.flags = flags | SHMHEAP_CONNECT_WAIT_LIMIT;
	opts.wait_limit_ms = LIMIT_MS;
	return shmheap_connect_ex(name, &opts);
}

/* errno of a call that failed as it should, or -1 if it did not fail. */
#define FAILED_WITH(call) ((call) ? errno : -1)

START_TEST(a_stopped_holder_times_out_limited_calls)
{
	const char *name = tu_name("lock-limit");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);
	shmheap_memory_handle lim = connect_limited(name, 0);
	ck_assert_msg(lim != NULL, "connect: %s", strerror(errno));
	shmheap_memory_handle insp = connect_limited(name, SHMHEAP_CONNECT_INSPECT);
	ck_assert_ptr_nonnull(insp);
	void *obj = shmheap_alloc(lim, 100);
	ck_assert_ptr_nonnull(obj);

	int held[2];
	ck_assert_int_eq(pipe(held), 0);
	struct stopper s = {name, held[1]};
	pid_t pid = tu_fork(hold_and_stop, &s, 60);
	close(held[1]);
	char c;
	ck_assert_int_eq(tu_read_all(held[0], &c, 1), 0);
	close(held[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
	ck_assert(WIFSTOPPED(status));

	struct shmheap_stats st;
	errno = 0;
	int e_alloc = FAILED_WITH(shmheap_alloc(lim, 64) == NULL);
	errno = 0;
	int e_free_checked = FAILED_WITH(shmheap_free_checked(lim, obj) == -1);
	errno = 0;
	shmheap_free(lim, obj);
	int e_free = errno;
	errno = 0;
	int e_stats = FAILED_WITH(shmheap_stats(lim, &st) == -1);
	errno = 0;
	int e_grow = FAILED_WITH(shmheap_grow(lim, 2 << 20) == -1);
	errno = 0;
	int e_inspect = FAILED_WITH(shmheap_stats(insp, &st) == -1);
	errno = 0;
	shmheap_memory_handle late = connect_limited(name, 0);
#ifdef SHMHEAP_DEBUG /* whose connects verify the heap under the lock */
	int e_connect = FAILED_WITH(late == NULL);
#else
	/* Connect takes no lock (its holder lives): its first call waits. */
	int e_connect = late ? FAILED_WITH(shmheap_alloc(late, 64) == NULL) : -1;
#endif
	errno = 0;
	shmheap_memory_handle verified = connect_limited(name, SHMHEAP_CONNECT_VERIFY);
	int e_verify = FAILED_WITH(verified == NULL);
	shmheap_disconnect(verified);

	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "holder: %s", why);

	ck_assert_int_eq(e_alloc, ETIMEDOUT);
	ck_assert_int_eq(e_free_checked, ETIMEDOUT);
	ck_assert_int_eq(e_free, ETIMEDOUT);
	ck_assert_int_eq(e_stats, ETIMEDOUT);
	ck_assert_int_eq(e_grow, ETIMEDOUT);
	ck_assert_int_eq(e_inspect, ETIMEDOUT);
	ck_assert_int_eq(e_connect, ETIMEDOUT);
	ck_assert_int_eq(e_verify, ETIMEDOUT);
	shmheap_disconnect(late);

	/* The holder went on: everything works again, and the frees that
	 * timed out left the object allocated and intact. */
	ck_assert_int_eq(shmheap_stats(insp, &st), 0);
	ck_assert_uint_eq(st.objects, 1);
	ck_assert_int_eq(shmheap_free_checked(lim, obj), 0);
	void *p = shmheap_alloc(lim, 64);
	ck_assert_ptr_nonnull(p);
	shmheap_free(lim, p);
	ck_assert_int_eq(tu_check(lim), 0);
	late = connect_limited(name, 0);
	ck_assert_ptr_nonnull(late);
	shmheap_disconnect(late);
	shmheap_disconnect(insp);
	shmheap_disconnect(lim);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(a_wait_limit_must_be_given)
{
	const char *name = tu_name("lock-limit-opts");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);
	struct shmheap_connect_options opts = {.flags = SHMHEAP_CONNECT_WAIT_LIMIT};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &opts));
	ck_assert_int_eq(errno, EINVAL);
	/* Without the flag the field is not read: the two-field struct of
	 * earlier programs, and a stray value, both mean no limit. */
	opts = (struct shmheap_connect_options){.wait_limit_ms = 12345};
	shmheap_memory_handle c = shmheap_connect_ex(name, &opts);
	ck_assert_ptr_nonnull(c);
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *limit_suite(void)
{
	Suite *s = suite_create("lock-limit");
	TCase *tc = tu_tcase("limit", 120);
	tcase_add_test(tc, a_stopped_holder_times_out_limited_calls);
	tcase_add_test(tc, a_wait_limit_must_be_given);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(limit_suite());
}
