/* SPDX-License-Identifier: MIT */
/*
 * test-publish.c - shmheap_alloc_into and shmheap_free_from, and every step
 * of the calls that log their intent (alloc_into, free_from, name_set with
 * the table's growth and the extension record's installation, name_remove):
 * a child is killed at the step by the library's test hook
 * (SHMHEAP_TEST_KILL_AT=call:step), and the repair that follows must leave
 * a clean heap in which the call either happened or did not, as documented.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define SLOTS 8

static size_t live_blocks(shmheap_memory_handle h)
{
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	return st.objects + st.library_blocks;
}

START_TEST(alloc_into_and_free_from)
{
	const char *name = tu_name("publish");
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	ck_assert_ptr_nonnull(h);
	shmheap_object_handle *slot = shmheap_alloc(h, SLOTS * sizeof(*slot));
	ck_assert_ptr_nonnull(slot);
	memset(slot, 0, SLOTS * sizeof(*slot));
	size_t before = live_blocks(h);

	void *p = shmheap_alloc_into(h, 100, &slot[3]);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(shmheap_handle_to_ptr(h, slot[3]), p);
	memset(p, 0xab, 100);
	/* The last slot of the object works as well as the first. */
	ck_assert_ptr_nonnull(shmheap_alloc_into(h, 8, &slot[SLOTS - 1]));
	ck_assert_ptr_nonnull(shmheap_alloc_into(h, 0, &slot[0]));
	/* The directory's record is allocated once, with the first call. */
	ck_assert_uint_eq(live_blocks(h), before + 4);
	ck_assert_int_eq(tu_check(h), 0);

	ck_assert_int_eq(shmheap_free_from(h, &slot[3]), 0);
	ck_assert_uint_eq(slot[3].value, 0);
	ck_assert_uint_eq(live_blocks(h), before + 3);
	/* An empty slot: nothing to do, as free(NULL). */
	ck_assert_int_eq(shmheap_free_from(h, &slot[3]), 0);
	ck_assert_int_eq(shmheap_free_from(h, &slot[SLOTS - 1]), 0);
	ck_assert_int_eq(shmheap_free_from(h, &slot[0]), 0);
	ck_assert_uint_eq(live_blocks(h), before + 1);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(bad_slots)
{
	const char *name = tu_name("publish-bad");
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	ck_assert_ptr_nonnull(h);
	shmheap_object_handle *slot = shmheap_alloc(h, SLOTS * sizeof(*slot));
	ck_assert_ptr_nonnull(slot);
	memset(slot, 0, SLOTS * sizeof(*slot));
	shmheap_object_handle on_stack = {0};
	unsigned char *base = shmheap_underlying(h);

	ck_assert_ptr_null(shmheap_alloc_into(h, 8, &on_stack));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(shmheap_alloc_into(h, 8, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(shmheap_alloc_into(NULL, 8, slot));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(
		shmheap_alloc_into(h, 8,
				   (shmheap_object_handle *)(void *)((char *)slot + 4)));
	ck_assert_int_eq(errno, EINVAL);
	/* The header, a block word, free space. */
	ck_assert_ptr_null(
		shmheap_alloc_into(h, 8, (shmheap_object_handle *)(void *)base));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(shmheap_alloc_into(h, 8, slot - 1));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(shmheap_alloc_into(h, 8, slot + SLOTS));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(shmheap_alloc_into(h, (size_t)1 << 40, slot));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(slot[0].value, 0);

	/* A slot whose object was freed, after one that worked (the cache). */
	shmheap_object_handle *gone = shmheap_alloc(h, 16);
	ck_assert_ptr_nonnull(shmheap_alloc_into(h, 8, &gone[0]));
	ck_assert_int_eq(shmheap_free_from(h, &gone[0]), 0);
	shmheap_free(h, gone);
	ck_assert_ptr_null(shmheap_alloc_into(h, 8, &gone[1]));
	ck_assert_int_eq(errno, EINVAL);

	/* free_from: garbage, a stale handle, a slot inside what it names. */
	slot[0].value = 12345;
	ck_assert_int_eq(shmheap_free_from(h, &slot[0]), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(slot[0].value, 12345);
	ck_assert_ptr_nonnull(shmheap_alloc_into(h, 24, &slot[1]));
	slot[2] = slot[1];
	ck_assert_int_eq(shmheap_free_from(h, &slot[1]), 0);
	ck_assert_int_eq(shmheap_free_from(h, &slot[2]), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_ne(slot[2].value, 0);
	slot[3] = shmheap_ptr_to_handle(h, slot);
	ck_assert_int_eq(shmheap_free_from(h, &slot[3]), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_free_from(h, &on_stack), -1);
	ck_assert_int_eq(errno, EINVAL);

	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT};
	shmheap_memory_handle ro = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(ro);
	shmheap_object_handle *rs = shmheap_handle_to_ptr(ro,
							  shmheap_ptr_to_handle(h, slot));
	ck_assert_ptr_null(shmheap_alloc_into(ro, 8, &rs[4]));
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(shmheap_free_from(ro, &rs[4]), -1);
	ck_assert_int_eq(errno, EPERM);
	shmheap_disconnect(ro);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- every step of every logged call, killed ---- */

enum call { SET, REMOVE, ALLOC_INTO, FREE_FROM };

struct step {
	const char *at; /* SHMHEAP_TEST_KILL_AT */
	enum call call;
	int done;  /* 1: the repair completes the call; 0: it undoes it */
	int fresh; /* the heap has no directory yet */
};

static const struct step steps[] = {
	{"install:1", SET, 0, 1},	    {"name_table:1", SET, 0, 0},
	{"name_table:2", SET, 0, 0},	    {"name_table:3", SET, 0, 0},
	{"name_set:1", SET, 0, 0},	    {"name_set:2", SET, 0, 0},
	{"name_set:3", SET, 0, 0},	    {"name_set:4", SET, 1, 0},
	{"name_remove:1", REMOVE, 1, 0},    {"name_remove:2", REMOVE, 1, 0},
	{"name_remove:3", REMOVE, 1, 0},    {"alloc_into:1", ALLOC_INTO, 0, 0},
	{"alloc_into:2", ALLOC_INTO, 0, 0}, {"alloc_into:3", ALLOC_INTO, 1, 0},
	{"free_from:1", FREE_FROM, 1, 0},   {"free_from:2", FREE_FROM, 1, 0},
	{"free_from:3", FREE_FROM, 1, 0},   {"alloc_into:1", ALLOC_INTO, 0, 1},
	{"free_from:2", FREE_FROM, 1, 1},
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))
#define PRESET_NAMES 8 /* the ninth name grows the 16-slot table */

static void run_call(shmheap_memory_handle h, enum call c, shmheap_object_handle *slot,
		     shmheap_object_handle root)
{
	switch (c) {
	case SET:
		(void)shmheap_name_set(h, "new", root, 0);
		break;
	case REMOVE:
		(void)shmheap_name_remove(h, "n3");
		break;
	case ALLOC_INTO:
		(void)shmheap_alloc_into(h, 40, &slot[0]);
		break;
	case FREE_FROM:
		(void)shmheap_free_from(h, &slot[1]);
		break;
	}
}

static int count_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	(void)name;
	(void)hdl;
	++*(size_t *)arg;
	return 0;
}

static size_t count_names(shmheap_memory_handle h)
{
	size_t n = 0;
	ck_assert_int_eq(shmheap_name_walk(h, count_name, &n), 0);
	return n;
}

START_TEST(killed_at_every_step)
{
	const struct step *s = &steps[_i];
	const char *name = tu_name("publish-kill");
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	ck_assert_ptr_nonnull(h);
	shmheap_object_handle *slot = shmheap_alloc(h, SLOTS * sizeof(*slot));
	ck_assert_ptr_nonnull(slot);
	memset(slot, 0, SLOTS * sizeof(*slot));
	shmheap_object_handle root = shmheap_ptr_to_handle(h, slot);
	if (s->fresh) {
		void *p = shmheap_alloc(h, 32);
		ck_assert_ptr_nonnull(p);
		slot[1] = shmheap_ptr_to_handle(h, p);
	} else {
		ck_assert_ptr_nonnull(shmheap_alloc_into(h, 32, &slot[1]));
		char buf[16];
		for (int i = 0; i < PRESET_NAMES; i++) {
			snprintf(buf, sizeof(buf), "n%d", i);
			ck_assert_int_eq(shmheap_name_set(h, buf, root, 0), 0);
		}
	}
	struct shmheap_info info0, info;
	ck_assert_int_eq(shmheap_info(name, &info0), 0);
	size_t objects0 = live_blocks(h), names0 = s->fresh ? 0 : count_names(h);
	uint64_t slot1 = slot[1].value;

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(20);
		shmheap_disconnect(h); /* the parent's connection */
		setenv("SHMHEAP_TEST_KILL_AT", s->at, 1);
		shmheap_memory_handle c = shmheap_connect(name);
		if (!c)
			_exit(2);
		shmheap_object_handle *cs = shmheap_handle_to_ptr(c, root);
		run_call(c, s->call, cs, root);
		_exit(3); /* the step was not reached */
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "%s: the child was not killed at the step (status %#x)", s->at,
		      status);
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_OWNER_DEAD);

	/* The next locker repairs; the heap is clean. */
	ck_assert_int_eq(tu_check(h), 0);
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_FREE);
	ck_assert_int_eq((long)info.created, (long)info0.created);

	shmheap_object_handle got;
	size_t record = s->fresh; /* the record the call installed */
	switch (s->call) {
	case SET:
		ck_assert_int_eq(shmheap_name_get(h, "new", &got), s->done ? 0 : -1);
		ck_assert_uint_eq(count_names(h), names0 + s->done);
		ck_assert_uint_eq(live_blocks(h), objects0 + record + s->done);
		break;
	case REMOVE:
		ck_assert_int_eq(shmheap_name_get(h, "n3", &got), -1);
		ck_assert_int_eq(errno, ENOENT);
		ck_assert_uint_eq(count_names(h), names0 - 1);
		ck_assert_uint_eq(live_blocks(h), objects0 - 1);
		break;
	case ALLOC_INTO:
		ck_assert_uint_eq(live_blocks(h), objects0 + record + s->done);
		if (s->done)
			ck_assert_ptr_nonnull(shmheap_handle_to_ptr(h, slot[0]));
		else
			ck_assert_uint_eq(slot[0].value, 0);
		break;
	case FREE_FROM:
		ck_assert_uint_eq(slot[1].value, 0);
		ck_assert_uint_eq(live_blocks(h), objects0 + record - 1);
		ck_assert_int_eq(shmheap_free_checked(
					 h, shmheap_handle_to_ptr(
						    h, (shmheap_object_handle){slot1})),
				 -1);
		break;
	}
	/* And the calls work on. */
	ck_assert_int_eq(shmheap_name_set(h, "after", root, 0), 0);
	ck_assert_int_eq(shmheap_name_set(h, "new", root, SHMHEAP_NAME_REPLACE), 0);
	ck_assert_int_eq(shmheap_name_remove(h, "after"), 0);
	ck_assert_ptr_nonnull(shmheap_alloc_into(h, 16, &slot[5]));
	ck_assert_int_eq(shmheap_free_from(h, &slot[5]), 0);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- shmheap_free_from racing shmheap_free of the same object ---- */

/* --enable-debug verifies the whole heap in every call: fewer rounds there. */
#ifdef SHMHEAP_DEBUG
#define RACE_ROUNDS 2000
#else
#define RACE_ROUNDS 20000
#endif

struct race {
	shmheap_memory_handle h;
	shmheap_object_handle *slot;
	void *volatile obj;
	unsigned arrived, gen; /* a spinning barrier: both threads run at once */
	int won[2];
	unsigned both, neither;
};

static void race_barrier(struct race *r)
{
	unsigned gen = __atomic_load_n(&r->gen, __ATOMIC_ACQUIRE);
	if (__atomic_add_fetch(&r->arrived, 1, __ATOMIC_ACQ_REL) == 2) {
		__atomic_store_n(&r->arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r->gen, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	for (unsigned spins = 0; __atomic_load_n(&r->gen, __ATOMIC_ACQUIRE) == gen; spins++)
		if (spins > 4096)
			sched_yield();
}

/* A few dozen cycles, different each round, so that the two calls meet at
 * every point of each other. */
static void jitter(uint64_t *rng)
{
	for (volatile unsigned i = (unsigned)(tu_rand(rng) % 256); i > 0; i--)
		;
}

static void *race_free_from(void *arg)
{
	struct race *r = arg;
	uint64_t rng = 1;
	tu_pin_to_cpu(0);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		r->obj = shmheap_alloc_into(r->h, 40, r->slot);
		if (!r->obj)
			return NULL;
		race_barrier(r);
		jitter(&rng);
		r->won[0] = shmheap_free_from(r->h, r->slot) == 0;
		race_barrier(r);
		race_barrier(r); /* the other thread counts */
	}
	return NULL;
}

static void *race_free(void *arg)
{
	struct race *r = arg;
	uint64_t rng = 2;
	tu_pin_to_cpu(1);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		race_barrier(r);
		jitter(&rng);
		r->won[1] = shmheap_free_checked(r->h, r->obj) == 0;
		race_barrier(r);
		r->both += r->won[0] && r->won[1];
		r->neither += !r->won[0] && !r->won[1];
		race_barrier(r);
	}
	return NULL;
}

/* Before the fix: free_from freed with a plain store after checking the
 * object under the lock, while a free through the cache changes the word
 * with a compare-and-swap and no lock: now and then both succeeded. */
START_TEST(free_from_racing_free)
{
	const char *name = tu_name("race");
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	struct race r = {.h = shmheap_create_ex(name, 4 << 20, &o)};
	ck_assert_ptr_nonnull(r.h);
	r.slot = shmheap_alloc(r.h, sizeof(*r.slot));
	ck_assert_ptr_nonnull(r.slot);
	r.slot->value = 0;
	/* The first call allocates the directory's record. */
	ck_assert_ptr_nonnull(shmheap_alloc_into(r.h, 40, r.slot));
	ck_assert_int_eq(shmheap_free_from(r.h, r.slot), 0);
	size_t before = live_blocks(r.h);
	pthread_t a, b;
	ck_assert_int_eq(pthread_create(&a, NULL, race_free_from, &r), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, race_free, &r), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_msg(r.both == 0 && r.neither == 0,
		      "of %d rounds, %u had two frees succeed and %u none", RACE_ROUNDS,
		      r.both, r.neither);
	ck_assert_int_eq(tu_check(r.h), 0);
	ck_assert_uint_eq(live_blocks(r.h), before);
	shmheap_destroy(name, r.h);
}
END_TEST

static Suite *publish_suite(void)
{
	Suite *s = suite_create("publish");
	TCase *tc = tu_tcase("calls", 30);
	tcase_add_test(tc, alloc_into_and_free_from);
	tcase_add_test(tc, bad_slots);
	tcase_add_test(tc, free_from_racing_free);
	suite_add_tcase(s, tc);
	tc = tu_tcase("kill-steps", 60);
	tcase_add_loop_test(tc, killed_at_every_step, 0, (int)NSTEPS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(publish_suite());
}
