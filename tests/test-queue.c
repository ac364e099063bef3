/* SPDX-License-Identifier: MIT */
/*
 * test-queue.c - the calls of shmheap_queue_*: order, capacity, timeouts,
 * the errors of each call, push_from and pop_into with their slots, destroy
 * (queued objects freed, EIDRM for every other handle, sleepers woken),
 * shmheap_queue_walk, and a producer and a consumer in two processes on
 * every kind of heap.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "queue-testutil.h"

static shmheap_object_handle new_object(shmheap_memory_handle h, size_t size)
{
	void *p = shmheap_alloc(h, size);
	ck_assert_ptr_nonnull(p);
	return shmheap_ptr_to_handle(h, p);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

START_TEST(fifo_capacity_and_timeouts)
{
	struct qt_heap hp;
	qt_make(&hp, QT_POSIX, 1 << 20, 0);
	shmheap_queue *q = shmheap_queue_create(hp.h, "fifo", 3);
	ck_assert_ptr_nonnull(q);
	shmheap_object_handle in[4], out;
	for (int i = 0; i < 4; i++)
		in[i] = new_object(hp.h, 64);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(shmheap_queue_push(q, in[i], 0), 0);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_push(q, in[3], 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_push(q, in[3], 30), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_ge(ms_since(&t0), 29);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(shmheap_queue_pop(q, &out, 0), 0);
		ck_assert_uint_eq(out.value, in[i].value);
	}
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop(q, &out, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop(q, &out, 20), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	/* Around the ring many times. */
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(shmheap_queue_push(q, in[i % 4], -1), 0);
		ck_assert_int_eq(shmheap_queue_push(q, in[(i + 1) % 4], -1), 0);
		ck_assert_int_eq(shmheap_queue_pop(q, &out, -1), 0);
		ck_assert_uint_eq(out.value, in[i % 4].value);
		ck_assert_int_eq(shmheap_queue_pop(q, &out, -1), 0);
		ck_assert_uint_eq(out.value, in[(i + 1) % 4].value);
	}
	ck_assert_int_eq(tu_check(hp.h), 0);
	ck_assert_int_eq(shmheap_queue_close(q), 0);
	ck_assert_int_eq(shmheap_queue_destroy(hp.h, "fifo"), 0);
	qt_destroy(&hp);
}
END_TEST

START_TEST(errors_of_each_call)
{
	struct qt_heap hp;
	qt_make(&hp, QT_POSIX, 1 << 20, 0);
	shmheap_memory_handle h = hp.h;
	shmheap_object_handle obj = new_object(h, 64), out;
	char longname[SHMHEAP_NAME_MAX + 2];
	memset(longname, 'q', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;

	shmheap_queue *q = shmheap_queue_create(h, "q", 8);
	ck_assert_ptr_nonnull(q);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(h, "q", 8));
	ck_assert_int_eq(errno, EEXIST);
	/* One directory: an object's name is taken for a queue too. */
	ck_assert_int_eq(shmheap_name_set(h, "plain", obj, 0), 0);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(h, "plain", 8));
	ck_assert_int_eq(errno, EEXIST);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_open(h, "plain"));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_destroy(h, "plain"), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_open(h, "missing"));
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_destroy(h, "missing"), -1);
	ck_assert_int_eq(errno, ENOENT);

	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(h, "zero", 0));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(h, "", 8));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(h, NULL, 8));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(h, longname, 8));
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(NULL, "x", 8));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(h, "huge", (size_t)1 << 40));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(h, "big", (size_t)1 << 30));
	ck_assert(errno == ENOMEM || errno == ENOSPC);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_open(h, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_close(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* What may be queued: a live object of this heap, not a queue. */
	shmheap_object_handle bad[4] = {{0}, {obj.value ^ ((uint64_t)1 << 40)}, {0}, {0}};
	ck_assert_int_eq(shmheap_name_get(h, "q", &bad[2]), 0); /* the queue itself */
	bad[3] = new_object(h, 64);
	shmheap_free(h, shmheap_handle_to_ptr(h, bad[3])); /* freed */
	for (int i = 0; i < 4; i++) {
		errno = 0;
		ck_assert_int_eq(shmheap_queue_push(q, bad[i], 0), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	errno = 0;
	ck_assert_int_eq(shmheap_queue_push(NULL, obj, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop(q, NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop(NULL, &out, 0), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* An inspecting connection may not change the heap. */
	struct shmheap_connect_options ro = {.flags = SHMHEAP_CONNECT_INSPECT};
	shmheap_memory_handle insp = shmheap_connect_ex(hp.name, &ro);
	ck_assert_ptr_nonnull(insp);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_open(insp, "q"));
	ck_assert_int_eq(errno, EPERM);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_create(insp, "q2", 4));
	ck_assert_int_eq(errno, EPERM);
	shmheap_disconnect(insp);

	ck_assert_int_eq(tu_check(h), 0);
	shmheap_queue_close(q);
	ck_assert_int_eq(shmheap_queue_destroy(h, "q"), 0);
	qt_destroy(&hp);
}
END_TEST

START_TEST(push_from_and_pop_into)
{
	struct qt_heap hp;
	qt_make(&hp, QT_POSIX, 1 << 20, 0);
	shmheap_memory_handle h = hp.h;
	shmheap_object_handle *slot = shmheap_calloc(h, 4, sizeof(*slot));
	ck_assert_ptr_nonnull(slot);
	shmheap_queue *q = shmheap_queue_create(h, "moves", 2);
	ck_assert_ptr_nonnull(q);
	size_t live0 = qt_live_objects(h);

	ck_assert_ptr_nonnull(shmheap_alloc_into(h, 64, &slot[0]));
	uint64_t moved = slot[0].value;
	ck_assert_int_eq(shmheap_queue_push_from(q, &slot[0], 0), 0);
	ck_assert_uint_eq(slot[0].value, 0);
	ck_assert_int_eq(shmheap_queue_pop_into(q, &slot[3], 0), 0);
	ck_assert_uint_eq(slot[3].value, moved);
	ck_assert_uint_eq(qt_live_objects(h), live0 + 1);

	/* The slot of pop_into must be empty; that of push_from must not. */
	ck_assert_int_eq(shmheap_queue_push_from(q, &slot[3], 0), 0);
	slot[2] = slot[1] = (shmheap_object_handle){0};
	slot[1].value = moved; /* a copy: not empty */
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop_into(q, &slot[1], 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	slot[1].value = 0;
	errno = 0;
	ck_assert_int_eq(shmheap_queue_push_from(q, &slot[2], 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* A slot outside the heap, or inside the queue itself. */
	shmheap_object_handle on_stack = {0}, qh;
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop_into(q, &on_stack, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_name_get(h, "moves", &qh), 0);
	shmheap_object_handle *inside = shmheap_handle_to_ptr(h, qh);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop_into(q, inside + 6, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop_into(q, NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Empty and full. */
	ck_assert_int_eq(shmheap_queue_pop_into(q, &slot[1], 0), 0);
	ck_assert_uint_eq(slot[1].value, moved);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop_into(q, &slot[2], 10), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_eq(slot[2].value, 0);
	ck_assert_ptr_nonnull(shmheap_alloc_into(h, 8, &slot[0]));
	ck_assert_ptr_nonnull(shmheap_alloc_into(h, 8, &slot[2]));
	ck_assert_int_eq(shmheap_queue_push_from(q, &slot[0], 0), 0);
	ck_assert_int_eq(shmheap_queue_push_from(q, &slot[1], 0), 0);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_push_from(q, &slot[2], 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_ne(slot[2].value, 0); /* neither */
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_queue_close(q);
	ck_assert_int_eq(shmheap_queue_destroy(h, "moves"), 0);
	qt_destroy(&hp);
}
END_TEST

/* A child blocked in a pop of queue "dq", woken by the destroy. */
struct sleeper {
	const struct qt_heap *hp;
	int producer;
};

static void sleep_in_call(void *arg)
{
	struct sleeper *s = arg;
	shmheap_memory_handle h = qt_child_connect(s->hp);
	shmheap_queue *q = shmheap_queue_open(h, "dq");
	TU_REQUIRE(q != NULL, "open: %s", strerror(errno));
	shmheap_object_handle got = {0};
	int rc;
	if (s->producer) {
		void *p = shmheap_alloc(h, 16);
		TU_REQUIRE(p != NULL, "alloc");
		rc = shmheap_queue_push(q, shmheap_ptr_to_handle(h, p), -1);
	} else {
		rc = shmheap_queue_pop(q, &got, -1);
	}
	TU_REQUIRE(rc == -1 && errno == EIDRM, "a sleeper got %d (%s), not EIDRM", rc,
		   strerror(errno));
	errno = 0;
	TU_REQUIRE(shmheap_queue_pop(q, &got, 0) == -1 && errno == EIDRM, "then %s",
		   strerror(errno));
	shmheap_queue_close(q);
	tu_child_exit(0);
}

struct found {
	const char *name;
	struct shmheap_queue_stats st;
	int seen;
};

static int found_one(const char *n, const struct shmheap_queue_stats *st, void *arg)
{
	struct found *f = arg;
	if (strcmp(n, f->name) == 0) {
		f->st = *st;
		f->seen = 1;
	}
	return 0;
}

/* The threads asleep in the producers' or consumers' calls of a queue. */
static int waiting_in(shmheap_memory_handle h, const char *name, int producers)
{
	struct found f = {name, {0}, 0};
	ck_assert_int_eq(shmheap_queue_walk(h, found_one, &f), 0);
	ck_assert(f.seen);
	return producers ? f.st.producers_waiting : f.st.consumers_waiting;
}

/* Waits (at most 10 s) until n threads sleep in the queue's calls. */
static void await_sleepers(shmheap_memory_handle h, const char *name, int producers,
			   int n)
{
	for (int i = 0; i < 10000 && waiting_in(h, name, producers) != n; i++)
		usleep(1000);
	ck_assert_int_eq(waiting_in(h, name, producers), n);
}

START_TEST(destroy_frees_and_others_get_eidrm)
{
	struct qt_heap hp;
	qt_make(&hp, QT_POSIX, 1 << 20, 0);
	shmheap_memory_handle h = hp.h;
	size_t live0 = qt_live_objects(h);
	shmheap_queue *q = shmheap_queue_create(h, "dq", 4);
	ck_assert_ptr_nonnull(q);
	size_t live1 = qt_live_objects(h);
	struct sleeper s = {&hp, 0};
	pid_t consumers[2] = {tu_fork(sleep_in_call, &s, 30),
			      tu_fork(sleep_in_call, &s, 30)};
	await_sleepers(h, "dq", 0, 2);
	char why[256] = "";
	ck_assert_int_eq(shmheap_queue_destroy(h, "dq"), 0);
	ck_assert_int_eq(tu_wait_all(consumers, 2, 30, why, sizeof(why)), 0);
	errno = 0;
	ck_assert_ptr_null(shmheap_queue_open(h, "dq"));
	ck_assert_int_eq(errno, ENOENT);
	shmheap_object_handle got;
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop(q, &got, 0), -1);
	ck_assert_int_eq(errno, EIDRM);
	shmheap_queue_close(q);
	/* The directory keeps its record and its (empty) table. */
	ck_assert_uint_eq(qt_live_objects(h), live0 + 2);

	/* A full queue: its producers sleep, and destroy frees what it holds. */
	q = shmheap_queue_create(h, "dq", 4);
	ck_assert_ptr_nonnull(q);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(shmheap_queue_push(q, new_object(h, 100), 0), 0);
	ck_assert_uint_eq(qt_live_objects(h), live1 + 4);
	s.producer = 1;
	pid_t producer = tu_fork(sleep_in_call, &s, 30);
	await_sleepers(h, "dq", 1, 1);
	ck_assert_int_eq(shmheap_queue_destroy(h, "dq"), 0);
	ck_assert_int_eq(tu_wait(producer, 30, why, sizeof(why)), 0);
	/* The queue, its name's entry and its four objects went; the producer's
	 * object stays. */
	ck_assert_uint_eq(qt_live_objects(h), live1 - 2 + 1);
	/* A new queue at the same place is another queue. */
	shmheap_queue *q2 = shmheap_queue_create(h, "dq", 4);
	ck_assert_ptr_nonnull(q2);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_push(q, new_object(h, 8), 0), -1);
	ck_assert_int_eq(errno, EIDRM);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_queue_close(q);
	shmheap_queue_close(q2);
	qt_destroy(&hp);
}
END_TEST

/* Child of every_kind: consumes ROUNDS handles in order, frees them. */
#define ROUNDS 2000

static void consumer(void *arg)
{
	const struct qt_heap *hp = arg;
	shmheap_memory_handle h = qt_child_connect(hp);
	shmheap_queue *q = shmheap_queue_open(h, "k");
	TU_REQUIRE(q != NULL, "open: %s", strerror(errno));
	for (uint32_t i = 0; i < ROUNDS; i++) {
		shmheap_object_handle got;
		TU_REQUIRE(shmheap_queue_pop(q, &got, -1) == 0, "pop: %s",
			   strerror(errno));
		uint32_t *p = shmheap_handle_to_ptr(h, got);
		TU_REQUIRE(p && *p == i, "got %u, not %u", p ? *p : 0, i);
		shmheap_free(h, p);
	}
	shmheap_queue_close(q);
	tu_child_exit(0);
}

START_TEST(every_kind)
{
	struct qt_heap hp;
	qt_make(&hp, (enum qt_kind)_i, 1 << 20, 1);
	size_t live0 = qt_live_objects(hp.h);
	shmheap_queue *q = shmheap_queue_create(hp.h, "k", 8);
	ck_assert_ptr_nonnull(q);
	size_t live1 = qt_live_objects(hp.h);
	pid_t pid = tu_fork(consumer, &hp, 60);
	for (uint32_t i = 0; i < ROUNDS; i++) {
		uint32_t *p = shmheap_alloc(hp.h, 64);
		ck_assert_ptr_nonnull(p);
		*p = i;
		ck_assert_int_eq(shmheap_queue_push(q, shmheap_ptr_to_handle(hp.h, p),
						    -1),
				 0);
	}
	char why[256] = "";
	ck_assert_msg(tu_wait(pid, 60, why, sizeof(why)) == 0, "%s: %s",
		      qt_kind_name(hp.kind), why);
	ck_assert_uint_eq(qt_live_objects(hp.h), live1);
	ck_assert_int_eq(tu_check(hp.h), 0);
	shmheap_queue_close(q);
	ck_assert_int_eq(shmheap_queue_destroy(hp.h, "k"), 0);
	ck_assert_uint_le(qt_live_objects(hp.h), live0 + 2); /* record, table */
	qt_destroy(&hp);
}
END_TEST

static int list_queue(const char *name, const struct shmheap_queue_stats *st, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 256 - n, "%s:%zu/%zu;", name, st->length, st->capacity);
	return 0;
}

struct kinds {
	size_t offset;
	int kind;
};

static int kind_of(const struct shmheap_block *blk, void *arg)
{
	struct kinds *k = arg;
	if (blk->offset == k->offset)
		k->kind = blk->kind;
	return 0;
}

START_TEST(walk_lists_queues)
{
	struct qt_heap hp;
	qt_make(&hp, QT_POSIX, 1 << 20, 0);
	char buf[256] = "";
	ck_assert_int_eq(shmheap_queue_walk(hp.h, list_queue, buf), 0);
	ck_assert_str_eq(buf, "");
	shmheap_queue *a = shmheap_queue_create(hp.h, "a", 5);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(shmheap_name_set(hp.h, "not-a-queue", new_object(hp.h, 8), 0),
			 0);
	ck_assert_int_eq(shmheap_queue_push(a, new_object(hp.h, 8), 0), 0);
	ck_assert_int_eq(shmheap_queue_push(a, new_object(hp.h, 8), 0), 0);
	ck_assert_int_eq(shmheap_queue_walk(hp.h, list_queue, buf), 0);
	ck_assert_str_eq(buf, "a:2/5;");
	/* shmheap_walk reports the queue as the library's own block. */
	shmheap_object_handle qh;
	ck_assert_int_eq(shmheap_name_get(hp.h, "a", &qh), 0);
	struct kinds k = {(size_t)((unsigned char *)shmheap_handle_to_ptr(hp.h, qh) -
				   (unsigned char *)shmheap_underlying(hp.h)),
			  0};
	ck_assert_int_eq(shmheap_walk(hp.h, kind_of, &k), 0);
	ck_assert_int_eq(k.kind, SHMHEAP_BLOCK_LIBRARY);
	ck_assert_int_eq(waiting_in(hp.h, "a", 0), 0);
	ck_assert_int_eq(waiting_in(hp.h, "a", 1), 0);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_walk(hp.h, NULL, buf), -1);
	ck_assert_int_eq(errno, EINVAL);
	shmheap_queue_close(a);
	qt_destroy(&hp);
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = bt_tcase("calls", 120);
	tcase_add_test(tc, fifo_capacity_and_timeouts);
	tcase_add_test(tc, errors_of_each_call);
	tcase_add_test(tc, push_from_and_pop_into);
	tcase_add_test(tc, destroy_frees_and_others_get_eidrm);
	tcase_add_test(tc, walk_lists_queues);
	tcase_add_loop_test(tc, every_kind, 0, QT_KINDS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return bt_run(queue_suite());
}
