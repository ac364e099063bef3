/* SPDX-License-Identifier: MIT */
/*
 * test-lock-fairness.c - a process that keeps the heap busy must not lock
 * another one out.
 *
 * A hog process calls shmheap_stats in a loop on a heap of half a million
 * blocks, so it holds the lock nearly all the time and takes it again at once
 * after each release.  Meanwhile another process must finish a bounded
 * number of allocations: it must be done while the hog still runs (the hog
 * gives up by itself after a generous guard, which fails the test).  Nothing
 * here measures time; the longest wait is printed for information only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#ifdef SHMHEAP_DEBUG
/* --enable-debug verifies the whole heap after every allocation: building
 * 500,000 blocks would be quadratic, and each stats call is long anyway. */
#define BLOCKS 5000
#else
#define BLOCKS 500000
#endif
#define ALLOCS 100
#define HOG_GUARD_S 60

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct hog {
	const char *name;
	int busy_fd; /* a byte once it has walked the heap once */
	int stop_fd; /* non-blocking: it stops when a byte arrives */
};

static void hog(void *arg)
{
	const struct hog *g = arg;
	shmheap_memory_handle mem = shmheap_connect(g->name);
	TU_REQUIRE(mem, "hog: connect: %s", strerror(errno));
	struct shmheap_stats st;
	TU_REQUIRE(shmheap_stats(mem, &st) == 0 && st.objects >= BLOCKS, "hog: stats");
	char c = 'b';
	tu_write_all(g->busy_fd, &c, 1);
	double end = now_s() + HOG_GUARD_S;
	unsigned long walks = 0;
	/* Between two walks only now and then a look at the pipe and the clock,
	 * so that the hog takes the lock again at once, as a busy program does. */
	while (walks % 16 || read(g->stop_fd, &c, 1) != 1) {
		TU_REQUIRE(walks % 16 || now_s() < end,
			   "the other process was still waiting after %d s", HOG_GUARD_S);
		TU_REQUIRE(shmheap_stats(mem, &st) == 0, "hog: stats: %s",
			   strerror(errno));
		walks++;
	}
	printf("hog: %lu walks of the heap\n", walks);
	fflush(stdout);
	shmheap_disconnect(mem);
}

struct allocator {
	const char *name;
	int ready_fd, go_fd;
};

static void allocate_some(void *arg)
{
	const struct allocator *a = arg;
	char c = 'r';
	shmheap_memory_handle mem = shmheap_connect(a->name);
	TU_REQUIRE(mem, "allocator: connect: %s", strerror(errno));
	tu_write_all(a->ready_fd, &c, 1);
	TU_REQUIRE(tu_read_all(a->go_fd, &c, 1) == 0, "allocator: no go");
	double longest = 0, start = now_s();
	for (uint32_t i = 0; i < ALLOCS; i++) {
		double t0 = now_s();
		void *p = shmheap_alloc(mem, 100);
		double took = now_s() - t0;
		longest = took > longest ? took : longest;
		TU_REQUIRE(p, "allocator: alloc %u: %s", i, strerror(errno));
		tu_fill(p, 100, (uint32_t)getpid(), i);
		/* Each allocation must get the lock anew from the hog. */
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	printf("allocator: %d allocations beside the hog in %.3f s, longest %.1f ms\n",
	       ALLOCS, now_s() - start, longest * 1e3);
	fflush(stdout);
	shmheap_disconnect(mem);
}

START_TEST(a_busy_process_does_not_lock_out_another)
{
	const char *name = tu_name("lock-fair");
	shmheap_memory_handle h = shmheap_create(name, 16 << 20);
	ck_assert_ptr_nonnull(h);
	for (int i = 0; i < BLOCKS; i++)
		ck_assert_ptr_nonnull(shmheap_alloc(h, 8));

	int ready[2], go[2], busy[2], stop[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(busy), 0);
	ck_assert_int_eq(pipe(stop), 0);
	ck_assert_int_eq(fcntl(stop[0], F_SETFL, O_NONBLOCK), 0);

	/* The allocator connects first: connecting verifies the heap under the
	 * lock, which is not what is tested here. */
	struct allocator a = {name, ready[1], go[0]};
	pid_t apid = tu_fork(allocate_some, &a, HOG_GUARD_S + 30);
	char c = 'x';
	ck_assert_int_eq(tu_read_all(ready[0], &c, 1), 0);

	struct hog g = {name, busy[1], stop[0]};
	pid_t hpid = tu_fork(hog, &g, HOG_GUARD_S + 30);
	ck_assert_int_eq(tu_read_all(busy[0], &c, 1), 0);

	tu_write_all(go[1], &c, 1);
	char why[256];
	int done = tu_wait(apid, HOG_GUARD_S + 10, why, sizeof(why));
	tu_write_all(stop[1], &c, 1);
	ck_assert_msg(done == 0, "allocator: %s", why);
	/* Exit status 0: the hog was still busy when the allocator finished. */
	ck_assert_msg(tu_wait(hpid, 30, why, sizeof(why)) == 0, "hog: %s", why);

	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, BLOCKS + ALLOCS);
	for (int fd = 0; fd < 2; fd++) {
		close(ready[fd]);
		close(go[fd]);
		close(busy[fd]);
		close(stop[fd]);
	}
	shmheap_destroy(name, h);
}
END_TEST

static Suite *fairness_suite(void)
{
	Suite *s = suite_create("lock-fairness");
	TCase *tc = tu_tcase("fairness", HOG_GUARD_S + 60);
	tcase_add_test(tc, a_busy_process_does_not_lock_out_another);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(fairness_suite());
}
