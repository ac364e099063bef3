/* SPDX-License-Identifier: MIT */
/*
 * test-threads.c - threads of one process on one heap, and two heaps at once.
 *
 * Worker threads fail through TU_REQUIRE (message, _exit), which ends the
 * test process: Check's assertions are only safe in the test's own thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define THREADS 4
#define MAX_LIVE 512

struct obj {
	char *ptr;
	uint32_t size, owner, seq;
};

/* An object handed from thread to thread, as a handle. */
struct parcel {
	shmheap_object_handle hdl;
	uint32_t size, owner, seq;
};

struct mailbox {
	pthread_mutex_t lock;
	struct parcel slot[256];
	size_t n;
};

struct thread_arg {
	int id;
	unsigned long ops;
	shmheap_memory_handle h;  /* shared by all threads, or ... */
	const char *connect_name; /* ... a connection of the thread's own */
	struct mailbox *box;
	shmheap_memory_handle other; /* a second heap used alongside, or NULL */
	unsigned long rejected;	     /* frees the other heap refused */
};

static void release(shmheap_memory_handle h, struct obj *live, size_t *n, size_t i,
		    int id)
{
	struct obj o = live[i];
	live[i] = live[--*n];
	long bad = tu_verify(o.ptr, o.size, o.owner, o.seq);
	TU_REQUIRE(bad < 0, "thread %d: object of %u corrupt at byte %ld", id, o.owner,
		   bad);
	TU_REQUIRE(shmheap_free_checked(h, o.ptr) == 0, "thread %d: free: %s", id,
		   strerror(errno));
}

static void *hammer(void *p)
{
	struct thread_arg *a = p;
	shmheap_memory_handle h = a->h;
	if (a->connect_name) {
		h = shmheap_connect(a->connect_name);
		TU_REQUIRE(h != NULL, "thread %d: connect: %s", a->id, strerror(errno));
	}
	struct obj *live = calloc(MAX_LIVE, sizeof(*live));
	size_t n = 0;
	uint64_t rng = 0x2545f4914f6cdd1dull ^
		       (uint64_t)(a->id + 1) * 0x9e3779b97f4a7c15ull;
	uint32_t tag = (uint32_t)a->id + 100;

	for (unsigned long op = 0; op < a->ops; op++) {
		unsigned bias = n < 32 ? 75 : n > MAX_LIVE - 64 ? 20 : 50;
		if (!n || tu_rand(&rng) % 100 < bias) {
			uint64_t r = tu_rand(&rng);
			uint32_t size = (uint32_t)(r % 16 == 0 ? r % 4096 : r % 128);
			char *q = shmheap_alloc(h, size);
			TU_REQUIRE(q != NULL, "thread %d: alloc(%u): %s", a->id, size,
				   strerror(errno));
			tu_fill(q, size, tag, (uint32_t)op);
			live[n++] = (struct obj){q, size, tag, (uint32_t)op};
		} else {
			release(h, live, &n, (size_t)(tu_rand(&rng) % n), a->id);
		}
		if (a->other && op % 8 == 0 && n) {
			/* The other heap must refuse this heap's objects and handles. */
			struct obj o = live[tu_rand(&rng) % n];
			TU_REQUIRE(shmheap_free_checked(a->other, o.ptr) == -1 &&
					   errno == EINVAL,
				   "thread %d: the other heap freed a foreign object",
				   a->id);
			a->rejected++;
			errno = 0;
			TU_REQUIRE(shmheap_handle_to_ptr(a->other,
							 shmheap_ptr_to_handle(h,
									       o.ptr)) ==
						   NULL &&
					   errno == EINVAL,
				   "thread %d: the other heap resolved a foreign handle",
				   a->id);
			TU_REQUIRE(tu_verify(o.ptr, o.size, o.owner, o.seq) < 0,
				   "thread %d: damaged", a->id);
		}
		if (a->box && op % 16 == 0) {
			pthread_mutex_lock(&a->box->lock);
			if (a->box->n && (tu_rand(&rng) & 1)) {
				/* Take one over: resolve, verify, keep. */
				struct parcel s = a->box->slot[--a->box->n];
				pthread_mutex_unlock(&a->box->lock);
				char *q = shmheap_handle_to_ptr(h, s.hdl);
				TU_REQUIRE(q != NULL, "thread %d: handle did not resolve",
					   a->id);
				TU_REQUIRE(tu_verify(q, s.size, s.owner, s.seq) < 0,
					   "thread %d: received object corrupt", a->id);
				if (n == MAX_LIVE)
					release(h, live, &n, 0, a->id);
				live[n++] = (struct obj){q, s.size, s.owner, s.seq};
			} else if (n && a->box->n < 256) {
				size_t i = (size_t)(tu_rand(&rng) % n);
				struct obj o = live[i];
				live[i] = live[--n];
				a->box->slot[a->box->n++] =
					(struct parcel){shmheap_ptr_to_handle(h, o.ptr),
							o.size, o.owner, o.seq};
				pthread_mutex_unlock(&a->box->lock);
			} else {
				pthread_mutex_unlock(&a->box->lock);
			}
		}
	}
	while (n)
		release(h, live, &n, n - 1, a->id);
	free(live);
	if (a->connect_name)
		shmheap_disconnect(h);
	return NULL;
}

/* Frees what is left in the mailbox (its objects were verified on the way in). */
static void empty_box(shmheap_memory_handle h, struct mailbox *box)
{
	while (box->n) {
		struct parcel s = box->slot[--box->n];
		char *q = shmheap_handle_to_ptr(h, s.hdl);
		ck_assert_ptr_nonnull(q);
		ck_assert_int_lt(tu_verify(q, s.size, s.owner, s.seq), 0);
		ck_assert_int_eq(shmheap_free_checked(h, q), 0);
	}
}

static void run_threads(struct thread_arg *args, int n)
{
	pthread_t t[8];
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &args[i]), 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
}

static void expect_empty(shmheap_memory_handle h)
{
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_int_eq(tu_check(h), 0);
}

static unsigned long thread_ops(void)
{
	return tu_env_ulong("SHMHEAP_TEST_THREAD_OPS", 50000);
}

START_TEST(threads_share_one_connection)
{
	const char *name = tu_name("threads");
	/* From one page, so that threads also grow the heap under each other. */
	shmheap_memory_handle h = shmheap_create(name, 4096);
	ck_assert_ptr_nonnull(h);
	struct mailbox box = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct thread_arg args[THREADS];
	for (int i = 0; i < THREADS; i++)
		args[i] = (struct thread_arg){.id = i,
					      .ops = thread_ops(),
					      .h = h,
					      .box = &box};
	run_threads(args, THREADS);
	empty_box(h, &box);
	expect_empty(h);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_gt(st.heap_size, 4096);
	ck_assert_uint_eq(st.invalid_frees, 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(threads_with_own_connections)
{
	const char *name = tu_name("conns");
	shmheap_memory_handle h = shmheap_create(name, 4096);
	ck_assert_ptr_nonnull(h);
	struct mailbox box = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct thread_arg args[THREADS];
	for (int i = 0; i < THREADS; i++)
		args[i] = (struct thread_arg){.id = i,
					      .ops = thread_ops(),
					      .connect_name = name,
					      .box = &box};
	run_threads(args, THREADS);
	empty_box(h, &box);
	expect_empty(h);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(two_heaps_at_once)
{
	const char *na = tu_name("heap-a"), *nb = tu_name("heap-b");
	shmheap_memory_handle a = shmheap_create(na, 64 << 10);
	shmheap_memory_handle b = shmheap_create(nb, 64 << 10);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	struct thread_arg args[THREADS];
	for (int i = 0; i < THREADS; i++)
		args[i] = (struct thread_arg){.id = i,
					      .ops = thread_ops() / 2,
					      .h = i % 2 ? b : a,
					      .other = i % 2 ? a : b};
	run_threads(args, THREADS);
	expect_empty(a);
	expect_empty(b);
	unsigned long refused_by_a = 0, refused_by_b = 0;
	for (int i = 0; i < THREADS; i++) {
		ck_assert_uint_gt(args[i].rejected, 0);
		if (i % 2)
			refused_by_a += args[i].rejected;
		else
			refused_by_b += args[i].rejected;
	}
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(a, &st), 0);
	ck_assert_uint_eq(st.invalid_frees, refused_by_a);
	ck_assert_int_eq(shmheap_stats(b, &st), 0);
	ck_assert_uint_eq(st.invalid_frees, refused_by_b);
	shmheap_destroy(na, a);
	shmheap_destroy(nb, b);
}
END_TEST

static Suite *threads_suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tu_tcase("threads", 120);
	tcase_add_test(tc, threads_share_one_connection);
	tcase_add_test(tc, threads_with_own_connections);
	tcase_add_test(tc, two_heaps_at_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(threads_suite());
}
