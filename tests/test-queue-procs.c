/* SPDX-License-Identifier: MIT */
/*
 * test-queue-procs.c - producers and consumers in processes of their own:
 * 2 x 2 and 8 x 8 on one queue, each producer's objects numbered; every
 * object must be delivered exactly once (a count per object in the heap),
 * and each consumer must see each producer's numbers rising (per-producer
 * order).  Producers alternate push and push_from, consumers pop and
 * pop_into; the queue is small, so that both sides wait.  The heap must then
 * check clean and hold no object of the run.  SHMHEAP_TEST_PROCS_OPS sets the
 * objects of each producer (20,000 by default).
 *
 * Then the destruction of a queue while other processes push and pop plain
 * values on it without the lock: they get EIDRM and open the next queue of
 * the name, every object is freed once (by its consumer, by its producer
 * whose push failed, or by the destruction), and the heap checks clean.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue-testutil.h"

#define MAX_PROCS 8
#define STOP UINT32_MAX /* the producer number of the objects that stop consumers */

struct item {
	uint32_t producer, seq;
};

struct run {
	struct qt_heap hp;
	int producers, consumers;
	uint32_t per_producer;
	shmheap_object_handle seen;  /* uint32_t counts, producer-major */
	shmheap_object_handle slots; /* one slot per process */
	int id;
};

static void producer(void *arg)
{
	struct run *r = arg;
	shmheap_memory_handle h = qt_child_connect(&r->hp);
	shmheap_queue *q = shmheap_queue_open(h, "work");
	TU_REQUIRE(q != NULL, "open: %s", strerror(errno));
	shmheap_object_handle *slot =
		(shmheap_object_handle *)shmheap_handle_to_ptr(h, r->slots) + r->id;
	for (uint32_t i = 0; i < r->per_producer; i++) {
		int rc;
		if (i % 2) {
			struct item *it = shmheap_alloc_into(h, sizeof(*it), slot);
			TU_REQUIRE(it != NULL, "alloc_into: %s", strerror(errno));
			*it = (struct item){(uint32_t)r->id, i};
			rc = shmheap_queue_push_from(q, slot, -1);
		} else {
			struct item *it = shmheap_alloc(h, sizeof(*it));
			TU_REQUIRE(it != NULL, "alloc: %s", strerror(errno));
			*it = (struct item){(uint32_t)r->id, i};
			rc = shmheap_queue_push(q, shmheap_ptr_to_handle(h, it), -1);
		}
		TU_REQUIRE(rc == 0, "producer %d, push %u: %s", r->id, i,
			   strerror(errno));
	}
	shmheap_queue_close(q);
	tu_child_exit(0);
}

static void consumer(void *arg)
{
	struct run *r = arg;
	shmheap_memory_handle h = qt_child_connect(&r->hp);
	shmheap_queue *q = shmheap_queue_open(h, "work");
	TU_REQUIRE(q != NULL, "open: %s", strerror(errno));
	uint32_t *seen = shmheap_handle_to_ptr(h, r->seen);
	shmheap_object_handle *slot =
		(shmheap_object_handle *)shmheap_handle_to_ptr(h, r->slots) + r->id;
	int64_t last[MAX_PROCS];
	for (int p = 0; p < MAX_PROCS; p++)
		last[p] = -1;
	for (uint64_t n = 0;; n++) {
		shmheap_object_handle got;
		int into = n % 2;
		int rc = into ? shmheap_queue_pop_into(q, slot, -1)
			      : shmheap_queue_pop(q, &got, -1);
		TU_REQUIRE(rc == 0, "consumer %d: %s", r->id, strerror(errno));
		if (into)
			got = *slot;
		struct item *it = shmheap_handle_to_ptr(h, got);
		TU_REQUIRE(it != NULL, "consumer %d popped a handle of nothing", r->id);
		struct item v = *it;
		if (into)
			TU_REQUIRE(shmheap_free_from(h, slot) == 0, "free_from: %s",
				   strerror(errno));
		else
			TU_REQUIRE(shmheap_free_checked(h, it) == 0, "free: %s",
				   strerror(errno));
		if (v.producer == STOP)
			break;
		TU_REQUIRE(v.producer < (uint32_t)r->producers && v.seq < r->per_producer,
			   "consumer %d: object %u/%u is no producer's", r->id,
			   v.producer, v.seq);
		TU_REQUIRE((int64_t)v.seq > last[v.producer],
			   "consumer %d: producer %u's %u came after its %lld", r->id,
			   v.producer, v.seq, (long long)last[v.producer]);
		last[v.producer] = v.seq;
		__atomic_add_fetch(&seen[v.producer * r->per_producer + v.seq], 1,
				   __ATOMIC_RELAXED);
	}
	shmheap_queue_close(q);
	tu_child_exit(0);
}

static void run_procs(enum qt_kind kind, int producers, int consumers, size_t capacity)
{
	struct run r = {.producers = producers, .consumers = consumers};
	r.per_producer = (uint32_t)tu_env_ulong("SHMHEAP_TEST_PROCS_OPS", 20000);
	if (producers > 2)
		r.per_producer /= 4;
	qt_make(&r.hp, kind, 16 << 20, 2);
	shmheap_memory_handle h = r.hp.h;
	size_t nseen = (size_t)producers * r.per_producer;
	uint32_t *seen = shmheap_calloc(h, nseen ? nseen : 1, sizeof(*seen));
	shmheap_object_handle *slots = shmheap_calloc(h, (size_t)(producers + consumers),
						      sizeof(*slots));
	ck_assert(seen && slots);
	r.seen = shmheap_ptr_to_handle(h, seen);
	r.slots = shmheap_ptr_to_handle(h, slots);
	shmheap_queue *q = shmheap_queue_create(h, "work", capacity);
	ck_assert_ptr_nonnull(q);
	size_t live0 = qt_live_objects(h);

	pid_t pids[2 * MAX_PROCS];
	int n = 0;
	for (int i = 0; i < consumers; i++) {
		r.id = producers + i;
		pids[n++] = tu_fork(consumer, &r, 240);
	}
	for (int i = 0; i < producers; i++) {
		r.id = i;
		pids[n++] = tu_fork(producer, &r, 240);
	}
	char why[256] = "";
	ck_assert_msg(tu_wait_all(pids + consumers, producers, 300, why, sizeof(why)) ==
			      0,
		      "a producer: %s", why);
	for (int i = 0; i < consumers; i++) {
		struct item *stop = shmheap_alloc(h, sizeof(*stop));
		ck_assert_ptr_nonnull(stop);
		*stop = (struct item){STOP, 0};
		ck_assert_int_eq(shmheap_queue_push(q, shmheap_ptr_to_handle(h, stop),
						    -1),
				 0);
	}
	ck_assert_msg(tu_wait_all(pids, consumers, 300, why, sizeof(why)) == 0,
		      "a consumer: %s", why);
	for (size_t i = 0; i < nseen; i++)
		ck_assert_msg(seen[i] == 1,
			      "producer %zu's object %zu delivered %u times",
			      i / r.per_producer, i % r.per_producer, seen[i]);
	ck_assert_uint_eq(qt_live_objects(h), live0);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_queue_close(q);
	ck_assert_int_eq(shmheap_queue_destroy(h, "work"), 0);
	qt_destroy(&r.hp);
}

START_TEST(two_by_two)
{
	run_procs((enum qt_kind)_i, 2, 2, 16);
}
END_TEST

START_TEST(eight_by_eight)
{
	run_procs((enum qt_kind)_i, 8, 8, 32);
}
END_TEST

/* ---- destruction under plain calls ---- */

#define RACERS 4
#define RACE_ROUNDS 300

struct race {
	struct qt_heap hp;
	shmheap_object_handle stop; /* a uint32_t: the parent's signal to end */
	int id;
};

static shmheap_queue *race_open(shmheap_memory_handle h, const uint32_t *stop)
{
	for (;;) {
		shmheap_queue *q = shmheap_queue_open(h, "race");
		if (q || __atomic_load_n(stop, __ATOMIC_ACQUIRE))
			return q;
		TU_REQUIRE(errno == ENOENT, "open: %s", strerror(errno));
		usleep(100);
	}
}

static void racer(void *arg)
{
	struct race *r = arg;
	shmheap_memory_handle h = qt_child_connect(&r->hp);
	const uint32_t *stop = shmheap_handle_to_ptr(h, r->stop);
	int producer = r->id % 2 == 0;
	shmheap_queue *q = race_open(h, stop);
	while (q && !__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
		shmheap_object_handle o = {0};
		int rc;
		if (producer) {
			void *p = shmheap_alloc(h, 32);
			TU_REQUIRE(p != NULL, "alloc: %s", strerror(errno));
			rc = shmheap_queue_push(q, shmheap_ptr_to_handle(h, p), 5);
			if (rc < 0)
				shmheap_free(h, p); /* still ours */
		} else {
			rc = shmheap_queue_pop(q, &o, 5);
			if (rc == 0)
				TU_REQUIRE(shmheap_free_checked(h, shmheap_handle_to_ptr(h, o)) ==
						   0,
					   "a popped object is not live: %s", strerror(errno));
		}
		TU_REQUIRE(rc == 0 || errno == ETIMEDOUT || errno == EIDRM, "racer %d: %s",
			   r->id, strerror(errno));
		if (rc < 0 && errno == EIDRM) {
			shmheap_queue_close(q);
			q = race_open(h, stop);
		}
	}
	if (q)
		shmheap_queue_close(q);
	tu_child_exit(0);
}

START_TEST(destroy_under_plain_calls)
{
	struct race r;
	qt_make(&r.hp, (enum qt_kind)_i, 4 << 20, 4);
	shmheap_memory_handle h = r.hp.h;
	uint32_t *stop = shmheap_calloc(h, 1, sizeof(*stop));
	ck_assert_ptr_nonnull(stop);
	r.stop = shmheap_ptr_to_handle(h, stop);
	shmheap_queue *q = shmheap_queue_create(h, "race", 4);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(shmheap_queue_close(q), 0);
	size_t live0 = qt_live_objects(h);
	pid_t pids[RACERS];
	for (int i = 0; i < RACERS; i++) {
		r.id = i;
		pids[i] = tu_fork(racer, &r, 240);
	}
	uint64_t rng = 0x7ace5eedu + (uint64_t)_i;
	for (int round = 0; round < RACE_ROUNDS; round++) {
		usleep((useconds_t)(tu_rand(&rng) % 2000));
		ck_assert_int_eq(shmheap_queue_destroy(h, "race"), 0);
		if (round % 50 == 49)
			ck_assert_int_eq(tu_check(h), 0);
		q = shmheap_queue_create(h, "race", 1 + tu_rand(&rng) % 8);
		ck_assert_ptr_nonnull(q);
		ck_assert_int_eq(shmheap_queue_close(q), 0);
	}
	__atomic_store_n(stop, 1, __ATOMIC_RELEASE);
	char why[256] = "";
	ck_assert_msg(tu_wait_all(pids, RACERS, 300, why, sizeof(why)) == 0, "a racer: %s",
		      why);
	ck_assert_int_eq(shmheap_queue_destroy(h, "race"), 0);
	/* The last queue's block and entry went with it, its objects too. */
	ck_assert_uint_eq(qt_live_objects(h), live0 - 2);
	ck_assert_int_eq(tu_check(h), 0);
	qt_destroy(&r.hp);
}
END_TEST

static Suite *procs_suite(void)
{
	Suite *s = suite_create("queue-procs");
	TCase *tc = bt_tcase("procs", 600);
	tcase_add_loop_test(tc, two_by_two, 0, QT_KINDS);
	tcase_add_loop_test(tc, eight_by_eight, QT_POSIX, QT_CACHED + 1);
	tcase_add_loop_test(tc, destroy_under_plain_calls, QT_POSIX, QT_CACHED + 1);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return bt_run(procs_suite());
}
