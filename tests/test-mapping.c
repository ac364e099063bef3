/* SPDX-License-Identifier: MIT */
/*
 * test-mapping.c - mapping the heap as it grows: fork() while other threads
 * map, connect and shmheap_info racing a grower, and what growth reserves.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fallocate */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fitmap.h" /* fm_bytes: the index that follows the heap */
#include "testutil.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

/* ---- fork() while other threads map new heap space ----------------------- */

/*
 * A grower thread grows the heap a page at a time through its own connection;
 * two mapper threads keep mapping that new space into the main connection
 * (every handle_to_ptr maps what the heap grew by).  Meanwhile the main thread
 * forks again and again, and every child must map the heap as it is and use
 * it: a child that inherited a lock a mapper held at the fork would wait for
 * it forever, and die of its alarm.
 */
#define FORKS 200
#define FORK_MAX_HEAP (256 * MIB)
#define CHILD_ALARM_S 20

struct fork_ctx {
	const char *name;
	shmheap_memory_handle mem;
	shmheap_object_handle obj; /* 64 bytes filled with tu_fill(.., 7, 1) */
	int stop;
	int failed; /* a thread's call failed: its errno */
};

static void *grower(void *arg)
{
	struct fork_ctx *c = arg;
	shmheap_memory_handle g = shmheap_connect(c->name);
	if (!g) {
		__atomic_store_n(&c->failed, errno, __ATOMIC_RELAXED);
		return NULL;
	}
	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		struct shmheap_stats st;
		if (shmheap_stats(g, &st) < 0 || st.heap_size >= FORK_MAX_HEAP)
			break;
		if (shmheap_grow(g, st.heap_size + 4 * KIB) < 0) {
			__atomic_store_n(&c->failed, errno, __ATOMIC_RELAXED);
			break;
		}
		/* Leave the lock to the children now and then. */
		struct timespec pause = {0, 20000};
		nanosleep(&pause, NULL);
	}
	shmheap_disconnect(g);
	return NULL;
}

static void *mapper(void *arg)
{
	struct fork_ctx *c = arg;
	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED))
		if (!shmheap_handle_to_ptr(c->mem, c->obj)) {
			__atomic_store_n(&c->failed, errno, __ATOMIC_RELAXED);
			break;
		}
	return NULL;
}

/* In the child: resolve the handle (which maps all the heap has grown by),
 * use the heap, and grow it once more. */
static void fork_child(void *arg)
{
	struct fork_ctx *c = arg;
	char *p = shmheap_handle_to_ptr(c->mem, c->obj);
	TU_REQUIRE(p != NULL, "handle_to_ptr: %s", strerror(errno));
	TU_REQUIRE(tu_verify(p, 64, 7, 1) < 0, "the object changed");
	struct shmheap_stats st;
	TU_REQUIRE(shmheap_stats(c->mem, &st) == 0, "stats: %s", strerror(errno));
	char *q = shmheap_alloc(c->mem, 100);
	TU_REQUIRE(q != NULL, "alloc: %s", strerror(errno));
	shmheap_free(c->mem, q);
	if (st.heap_size < FORK_MAX_HEAP)
		TU_REQUIRE(shmheap_grow(c->mem, st.heap_size + 4 * KIB) == 0, "grow: %s",
			   strerror(errno));
}

START_TEST(fork_while_threads_map)
{
	struct fork_ctx c = {.name = tu_name("fork")};
	struct shmheap_options o = {.max_size = FORK_MAX_HEAP};
	c.mem = shmheap_create_ex(c.name, 64 * KIB, &o);
	ck_assert_ptr_nonnull(c.mem);
	char *p = shmheap_alloc(c.mem, 64);
	ck_assert_ptr_nonnull(p);
	tu_fill(p, 64, 7, 1);
	c.obj = shmheap_ptr_to_handle(c.mem, p);

	pthread_t t[3];
	ck_assert_int_eq(pthread_create(&t[0], NULL, grower, &c), 0);
	ck_assert_int_eq(pthread_create(&t[1], NULL, mapper, &c), 0);
	ck_assert_int_eq(pthread_create(&t[2], NULL, mapper, &c), 0);

	char why[256] = "";
	int bad = 0;
	for (int i = 0; i < FORKS && !bad; i++) {
		pid_t pid = tu_fork(fork_child, &c, CHILD_ALARM_S);
		bad = tu_wait_all(&pid, 1, CHILD_ALARM_S + 10, why, sizeof(why)) < 0;
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ck_assert_msg(!bad, "a child forked while threads mapped: %s", why);
	ck_assert_msg(c.failed == 0, "a thread's call failed: %s", strerror(c.failed));
	ck_assert_int_eq(tu_check(c.mem), 0);
	shmheap_destroy(c.name, c.mem);
}
END_TEST

/* ---- connect and shmheap_info while the heap grows ----------------------- */

/*
 * A grower process grows the heap a page at a time, with an object filling
 * each new page so that each growth also moves the index's root, and pauses
 * between growths so that the readers get the lock too; readers connect and
 * ask shmheap_info (and now and then connect) in a loop until it is done.  A healthy heap must never be
 * reported as no heap (EINVAL) or a damaged one (EUCLEAN).
 */
#define RACE_START (64 * KIB)
#define RACE_GROWTHS 1500
#define RACE_MAX_HEAP (RACE_START + RACE_GROWTHS * 4 * KIB)
#define READERS 2

static void race_grower(void *arg)
{
	const char *name = arg;
	shmheap_memory_handle h = shmheap_connect(name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	struct shmheap_stats st;
	TU_REQUIRE(shmheap_stats(h, &st) == 0, "stats: %s", strerror(errno));
	TU_REQUIRE(shmheap_alloc(h, st.largest_free) != NULL, "alloc: %s",
		   strerror(errno));
	for (size_t size = RACE_START + 4 * KIB; size <= RACE_MAX_HEAP; size += 4 * KIB) {
		TU_REQUIRE(shmheap_grow(h, size) == 0, "grow: %s", strerror(errno));
		/* The new page's free block is the index's root now; fill it. */
		TU_REQUIRE(shmheap_alloc(h, 4 * KIB - 16) != NULL, "alloc: %s",
			   strerror(errno));
		struct timespec pause = {0, 100000};
		nanosleep(&pause, NULL);
	}
	shmheap_disconnect(h);
}

struct race_reader {
	const char *name;
	int fd; /* where the reader writes its counts */
};

struct race_counts {
	unsigned long connects, infos, bad_connect, bad_info;
	int connect_errno, info_errno;
};

static void race_reader(void *arg)
{
	struct race_reader *r = arg;
	struct race_counts n = {0};
	/* The grower is done when the heap has its maximum size. */
	for (;;) {
		struct shmheap_info info;
		if (shmheap_info(r->name, &info) == 0) {
			n.infos++;
			if (info.heap_size >= RACE_MAX_HEAP)
				break;
		} else {
			n.bad_info++;
			n.info_errno = errno;
		}
		/* Connecting costs more (it verifies the heap): one in four. */
		if (n.infos % 4)
			continue;
		shmheap_memory_handle h = shmheap_connect(r->name);
		if (h) {
			n.connects++;
			shmheap_disconnect(h);
		} else {
			n.bad_connect++;
			n.connect_errno = errno;
		}
	}
	tu_write_all(r->fd, &n, sizeof(n));
}

START_TEST(connect_and_info_while_growing)
{
	const char *name = tu_name("race");
	struct shmheap_options o = {.max_size = RACE_MAX_HEAP};
	shmheap_memory_handle h = shmheap_create_ex(name, 64 * KIB, &o);
	ck_assert_ptr_nonnull(h);

	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pids[1 + READERS];
	pids[0] = tu_fork(race_grower, (void *)name, 100);
	struct race_reader r = {name, fds[1]};
	for (int i = 0; i < READERS; i++)
		pids[1 + i] = tu_fork(race_reader, &r, 100);
	close(fds[1]);
	char why[256] = "";
	int waited = tu_wait_all(pids, 1 + READERS, 110, why, sizeof(why));
	ck_assert_msg(waited == 0, "%s", why);

	for (int i = 0; i < READERS; i++) {
		struct race_counts n;
		ck_assert_int_eq(tu_read_all(fds[0], &n, sizeof(n)), 0);
		ck_assert_msg(n.bad_connect == 0,
			      "%lu of %lu connects failed, the last with %s",
			      n.bad_connect, n.bad_connect + n.connects,
			      strerror(n.connect_errno));
		ck_assert_msg(n.bad_info == 0,
			      "%lu of %lu shmheap_info failed, the last with %s",
			      n.bad_info, n.bad_info + n.infos, strerror(n.info_errno));
		ck_assert_uint_gt(n.connects, 0);
	}
	close(fds[0]);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- growth reserves the new range only ---------------------------------- */

/*
 * The memory of a free stretch in the middle of the heap is given back to the
 * system (a hole punched in the object).  Growing the heap must reserve the
 * memory of the new range, and leave the old range alone: the object's
 * allocated blocks grow by the new range, not by the hole as well.  The
 * object is the heap and its free-block index after it: the new range runs
 * from the old object's end (where the old index lay, now heap) to the end of
 * the new index.
 */
START_TEST(growth_reserves_only_the_new_range)
{
	const char *name = tu_name("sparse");
	struct shmheap_options o = {.max_size = 8 * MIB};
	shmheap_memory_handle h = shmheap_create_ex(name, 1 * MIB, &o);
	ck_assert_ptr_nonnull(h);
	int fd = shm_open(name, O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	/* Inside the free block that spans the heap, away from its words. */
	int punched = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 256 * KIB,
				512 * KIB);
	if (punched < 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
		close(fd);
		shmheap_destroy(name, h);
		return; /* a /dev/shm without holes cannot tell */
	}
	ck_assert_msg(punched == 0, "fallocate: %s", strerror(errno));
	struct stat before, after;
	ck_assert_int_eq(fstat(fd, &before), 0);

	ck_assert_int_eq(shmheap_grow(h, 2 * MIB), 0);

	ck_assert_int_eq(fstat(fd, &after), 0);
	ck_assert_uint_eq((size_t)before.st_size, 1 * MIB + fm_bytes(1 * MIB));
	ck_assert_uint_eq((size_t)after.st_size, 2 * MIB + fm_bytes(2 * MIB));
	size_t grown = (size_t)(after.st_size - before.st_size);
	size_t added = (size_t)(after.st_blocks - before.st_blocks) * 512;
	ck_assert_msg(added >= grown, "growth reserved %zu bytes, not the new %zu",
		      added, grown);
	ck_assert_msg(added < grown + 512 * KIB,
		      "growth reserved %zu bytes: the old range's hole was filled too",
		      added);
	close(fd);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *mapping_suite(void)
{
	Suite *s = suite_create("mapping");
	TCase *tc = tu_tcase("fork", 240);
	tcase_add_test(tc, fork_while_threads_map);
	suite_add_tcase(s, tc);
	tc = tu_tcase("growth-race", 120);
	tcase_add_test(tc, connect_and_info_while_growing);
	suite_add_tcase(s, tc);
	tc = tu_tcase("reserve", 30);
	tcase_add_test(tc, growth_reserves_only_the_new_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(mapping_suite());
}
