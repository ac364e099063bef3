/* SPDX-License-Identifier: MIT */
/*
 * test-unlocked-cost.c - what reading a heap without its lock costs (issue
 * 31): memory bounded whatever the heap's size, and a poller that keeps
 * calling stats, walk and check on a heap that another process grows,
 * truncates and re-creates, which must see torn figures (EUCLEAN, problems)
 * and never crash.
 *
 * SHMHEAP_CONNECT_UNLOCKED forces the path that another user's heap takes,
 * so these tests need no second user.  No timing is asserted: the poller
 * prints how long its calls took.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define MIB (1024u * 1024u)

/* ---- item: memory stays bounded whatever the heap's size ------------------- */

#define BIG_HEAP (256u * MIB)
#define RSS_BOUND_KIB (64u * 1024u)
#define BIG_NAMES 64
#ifdef SHMHEAP_DEBUG
/* --enable-debug verifies the whole heap after every allocation: fewer,
 * larger objects still fill it. */
#define BIG_OBJECT_MAX 131072u
#define BIG_MIN_OBJECTS 1000u
#else
#define BIG_OBJECT_MAX 4000u
#define BIG_MIN_OBJECTS 40000u
#endif

/*
 * Fills a 256 MiB heap with objects of 1 to BIG_OBJECT_MAX bytes (every third
 * one freed again) and a few names, so that the blocks span the whole heap.
 * Runs in a child: the test process never maps the heap, so a reader forked
 * from it starts small.
 */
static void fill_big(void *arg)
{
	const char *name = arg;
	struct shmheap_options o = {.max_size = BIG_HEAP};
	shmheap_memory_handle h = shmheap_create_ex(name, BIG_HEAP, &o);
	TU_REQUIRE(h != NULL, "create: %s", strerror(errno));
	uint64_t seed = 31;
	void *prev = NULL;
	for (size_t i = 0;; i++) {
		void *p = shmheap_alloc(h, 1 + tu_rand(&seed) % BIG_OBJECT_MAX);
		if (!p)
			break;
		if (i % 3 == 2)
			shmheap_free(h, prev);
		prev = p;
	}
	for (int i = 0; i < BIG_NAMES; i++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "object-%d", i);
		void *p = shmheap_alloc(h, 8); /* into a freed block */
		TU_REQUIRE(p != NULL, "alloc for a name");
		TU_REQUIRE(shmheap_name_set(h, nm, shmheap_ptr_to_handle(h, p), 0) == 0,
			   "name_set: %s", strerror(errno));
	}
	TU_REQUIRE(tu_check(h) == 0, "the filled heap is not sound");
	shmheap_disconnect(h);
}

static int count_block(const struct shmheap_block *blk, void *arg)
{
	(void)blk;
	++*(size_t *)arg;
	return 0;
}

static int count_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	(void)name;
	(void)hdl;
	++*(size_t *)arg;
	return 0;
}

/* Reads the whole heap without its lock, every way there is, then checks
 * its own peak memory. */
static void read_big(void *arg)
{
	const char *name = arg;
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT |
						     SHMHEAP_CONNECT_UNLOCKED};
	shmheap_memory_handle u = shmheap_connect_ex(name, &o);
	TU_REQUIRE(u != NULL, "unlocked connect: %s", strerror(errno));
	struct shmheap_stats st;
	TU_REQUIRE(shmheap_stats(u, &st) == 0, "stats: %s", strerror(errno));
	TU_REQUIRE(st.heap_size == BIG_HEAP && st.objects > BIG_MIN_OBJECTS &&
			   st.used_bytes > BIG_HEAP / 3,
		   "stats: %zu objects, %zu bytes used in %zu", st.objects, st.used_bytes,
		   st.heap_size);
	size_t blocks = 0, names = 0;
	TU_REQUIRE(shmheap_walk(u, count_block, &blocks) == 0, "walk: %s",
		   strerror(errno));
	size_t counted = st.objects + st.library_blocks + st.free_blocks;
	TU_REQUIRE(blocks == counted && st.library_blocks > BIG_NAMES,
		   "walk: %zu blocks, stats %zu (%zu the library's)", blocks, counted,
		   st.library_blocks);
	TU_REQUIRE(shmheap_check(u, NULL, NULL) == 0, "check found problems");
	TU_REQUIRE(shmheap_name_walk(u, count_name, &names) == 0 && names == BIG_NAMES,
		   "name_walk: %zu names (%s)", names, strerror(errno));
	shmheap_object_handle hdl;
	TU_REQUIRE(shmheap_name_get(u, "object-7", &hdl) == 0, "name_get: %s",
		   strerror(errno));
	shmheap_disconnect(u);
	struct rusage ru;
	TU_REQUIRE(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
	TU_REQUIRE(ru.ru_maxrss <= (long)RSS_BOUND_KIB,
		   "an unlocked inspection of a %u MiB heap peaked at %ld KiB (bound %u)",
		   BIG_HEAP / MIB, ru.ru_maxrss, RSS_BOUND_KIB);
	fprintf(stderr, "unlocked inspection of a %u MiB heap: peak %ld KiB\n",
		BIG_HEAP / MIB, ru.ru_maxrss);
}

/* Before the fix each call read a private copy of the whole heap: 256 MiB. */
START_TEST(unlocked_memory_is_bounded)
{
	const char *name = tu_name("big");
	char why[256];
	pid_t pid = tu_fork(fill_big, (void *)name, 100);
	ck_assert_msg(tu_wait(pid, 110, why, sizeof(why)) == 0, "%s", why);
	pid = tu_fork(read_big, (void *)name, 100);
	ck_assert_msg(tu_wait(pid, 110, why, sizeof(why)) == 0, "%s", why);
	shm_unlink(name);
}
END_TEST

/* ---- item: a poller on a heap that grows, shrinks and is re-created -------- */

#define POLL_MAX (4u * MIB)
#define POLL_STEP (64u * 1024u)
#define POLL_RECONNECT 100 /* calls between connects: the name's heap changes */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Until its pipe closes: creates the heap, grows it step by step to 4 MiB
 * allocating as it goes, then (every other round) truncates the object
 * under the readers to half a step, and removes it; then again.
 */
static void churner(void *arg)
{
	const char *name = ((const char *const *)arg)[0];
	int stop_fd = (int)(intptr_t)((void *const *)arg)[1];
	close((int)(intptr_t)((void *const *)arg)[2]);
	fcntl(stop_fd, F_SETFL, O_NONBLOCK);
	uint64_t seed = 7;
	for (unsigned round = 0;; round++) {
		struct shmheap_options o = {.max_size = POLL_MAX};
		shmheap_memory_handle h = shmheap_create_ex(name, POLL_STEP, &o);
		TU_REQUIRE(h != NULL, "create: %s", strerror(errno));
		for (size_t size = 2 * POLL_STEP; size <= POLL_MAX; size += POLL_STEP) {
			TU_REQUIRE(shmheap_grow(h, size) == 0, "grow: %s",
				   strerror(errno));
			for (int i = 0; i < 16; i++) {
				void *p = shmheap_alloc(h, 8 + tu_rand(&seed) % 3000);
				if (p && tu_rand(&seed) % 3 == 0)
					shmheap_free(h, p);
			}
		}
		shmheap_disconnect(h);
		if (round % 2) {
			int fd = shm_open(name, O_RDWR, 0);
			TU_REQUIRE(fd >= 0, "shm_open: %s", strerror(errno));
			TU_REQUIRE(ftruncate(fd, POLL_STEP / 2) == 0, "ftruncate");
			close(fd);
		}
		TU_REQUIRE(shm_unlink(name) == 0, "shm_unlink: %s", strerror(errno));
		char c;
		if (read(stop_fd, &c, 1) == 0)
			break;
	}
}

/* A failed connect to a heap that is being replaced says why, never more. */
static shmheap_memory_handle poll_connect(const char *name)
{
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT |
						     SHMHEAP_CONNECT_UNLOCKED};
	for (;;) {
		shmheap_memory_handle u = shmheap_connect_ex(name, &o);
		if (u)
			return u;
		TU_REQUIRE(errno == ENOENT || errno == EINVAL || errno == EAGAIN ||
				   errno == EUCLEAN,
			   "connect: %s", strerror(errno));
	}
}

/* One third each of stats, walk and check; a failure says EUCLEAN. */
static void poller(void *arg)
{
	const char *name = ((const char *const *)arg)[0];
	close((int)(intptr_t)((void *const *)arg)[1]);
	close((int)(intptr_t)((void *const *)arg)[2]);
	unsigned long calls = tu_env_ulong("SHMHEAP_TEST_POLL_CALLS", 60000);
	unsigned long torn = 0;
	shmheap_memory_handle u = NULL;
	double t0 = now();
	for (unsigned long i = 0; i < calls; i++) {
		if (i % POLL_RECONNECT == 0) {
			shmheap_disconnect(u);
			u = poll_connect(name);
		}
		struct shmheap_stats st;
		size_t n = 0;
		int r;
		switch (i % 3) {
		case 0:
			r = shmheap_stats(u, &st);
			break;
		case 1:
			r = shmheap_walk(u, count_block, &n);
			break;
		default:
			r = shmheap_check(u, NULL, NULL);
			torn += r > 0;
			r = r > 0 ? 0 : r;
			break;
		}
		TU_REQUIRE(r == 0 || errno == EUCLEAN, "call %lu: %s", i,
			   strerror(errno));
		torn += r != 0;
	}
	shmheap_disconnect(u);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"%lu unlocked stats/walk/check calls in %.2f s, %.2f s of CPU (%lu torn)\n",
		calls, now() - t0,
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		torn);
}

/* Before the fix 60,000 calls took longer than 30 s. */
START_TEST(unlocked_poller_on_a_changing_heap)
{
	const char *name = tu_name("churn");
	int stop[2];
	ck_assert_int_eq(pipe(stop), 0);
	void *arg[3] = {(void *)name, (void *)(intptr_t)stop[0],
			(void *)(intptr_t)stop[1]};
	char why[256];
	pid_t c = tu_fork(churner, arg, 280);
	pid_t p = tu_fork(poller, arg, 280);
	int polled = tu_wait(p, 290, why, sizeof(why));
	close(stop[1]);
	char cwhy[256];
	int churned = tu_wait(c, 60, cwhy, sizeof(cwhy));
	close(stop[0]);
	ck_assert_msg(polled == 0, "poller: %s", why);
	ck_assert_msg(churned == 0, "churner: %s", cwhy);
}
END_TEST

/* ---- item: the queues as an unlocked reader sees them ---------------------- */

struct queue_seen {
	size_t queues, capacity, length;
	int consumers;
};

static int see_queue(const char *name, const struct shmheap_queue_stats *st, void *arg)
{
	struct queue_seen *q = arg;
	(void)name;
	q->queues++;
	q->capacity = st->capacity;
	q->length = st->length;
	q->consumers = st->consumers_waiting;
	return 0;
}

static int count_library(const struct shmheap_block *blk, void *arg)
{
	if (blk->kind == SHMHEAP_BLOCK_LIBRARY)
		++*(size_t *)arg;
	return 0;
}

/* Waits in a pop on the empty queue until the test pushes. */
static void pop_one(void *arg)
{
	shmheap_memory_handle h = shmheap_connect(arg);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	shmheap_queue *q = shmheap_queue_open(h, "q");
	TU_REQUIRE(q != NULL, "queue_open: %s", strerror(errno));
	shmheap_object_handle got;
	TU_REQUIRE(shmheap_queue_pop(q, &got, 60000) == 0, "pop: %s", strerror(errno));
	shmheap_queue_close(q);
	shmheap_disconnect(h);
}

/* A queue read through the windows: its figures, its block the library's
 * own, and the consumer asleep in it counted by the kernel (the futex word
 * read with pread, not through the mapping). */
START_TEST(unlocked_queue_walk)
{
	const char *name = tu_name("queue");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);
	shmheap_queue *q = shmheap_queue_create(h, "q", 8);
	ck_assert_ptr_nonnull(q);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT |
						     SHMHEAP_CONNECT_UNLOCKED};
	shmheap_memory_handle u = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(u);
	pid_t pid = tu_fork(pop_one, (void *)name, 100);
	struct queue_seen seen = {0};
	/* Bounded: the child gives up its pop after a minute. */
	for (int i = 0; i < 6000 && seen.consumers != 1; i++) {
		seen = (struct queue_seen){0};
		ck_assert_int_eq(shmheap_queue_walk(u, see_queue, &seen), 0);
		if (seen.consumers != 1)
			usleep(10000);
	}
	ck_assert_uint_eq(seen.queues, 1);
	ck_assert_uint_eq(seen.capacity, 8);
	ck_assert_uint_eq(seen.length, 0);
	ck_assert_int_eq(seen.consumers, 1);
	size_t library = 0;
	ck_assert_int_eq(shmheap_walk(u, count_library, &library), 0);
	ck_assert_uint_ge(library, 3); /* the record, the names table, the queue */
	ck_assert_int_eq(shmheap_check(u, NULL, NULL), 0);
	void *p = shmheap_alloc(h, 8);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(shmheap_queue_push(q, shmheap_ptr_to_handle(h, p), 1000), 0);
	char why[256];
	ck_assert_msg(tu_wait(pid, 110, why, sizeof(why)) == 0, "%s", why);
	shmheap_disconnect(u);
	shmheap_queue_close(q);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *unlocked_cost_suite(void)
{
	Suite *s = suite_create("unlocked-cost");
	TCase *tc = tu_tcase("memory", 240);
	tcase_add_test(tc, unlocked_memory_is_bounded);
	suite_add_tcase(s, tc);
	tc = tu_tcase("poller", 300);
	tcase_add_test(tc, unlocked_poller_on_a_changing_heap);
	suite_add_tcase(s, tc);
	tc = tu_tcase("queue", 120);
	tcase_add_test(tc, unlocked_queue_walk);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(unlocked_cost_suite());
}
