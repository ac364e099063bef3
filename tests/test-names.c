/* SPDX-License-Identifier: MIT */
/*
 * test-names.c - the names directory (shmheap_name_*): its calls and errors,
 * 100,000 operations against a model, and 8 processes setting distinct and
 * colliding names at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static shmheap_object_handle new_object(shmheap_memory_handle h, size_t size)
{
	void *p = shmheap_alloc(h, size);
	ck_assert_ptr_nonnull(p);
	return shmheap_ptr_to_handle(h, p);
}

static int count_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	(void)name;
	(void)hdl;
	++*(size_t *)arg;
	return 0;
}

static size_t names_of(shmheap_memory_handle h)
{
	size_t n = 0;
	ck_assert_int_eq(shmheap_name_walk(h, count_name, &n), 0);
	return n;
}

START_TEST(set_get_remove)
{
	const char *name = tu_name("names");
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	ck_assert_ptr_nonnull(h);
	shmheap_object_handle a = new_object(h, 100), b = new_object(h, 8), got;
	struct shmheap_info before, after;
	ck_assert_int_eq(shmheap_info(name, &before), 0);

	/* A heap that never had a name. */
	ck_assert_int_eq(shmheap_name_get(h, "config", &got), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(shmheap_name_remove(h, "config"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(names_of(h), 0);

	ck_assert_int_eq(shmheap_name_set(h, "config", a, 0), 0);
	ck_assert_int_eq(shmheap_name_get(h, "config", &got), 0);
	ck_assert_uint_eq(got.value, a.value);
	ck_assert_int_eq(shmheap_name_set(h, "config", b, 0), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(shmheap_name_get(h, "config", &got), 0);
	ck_assert_uint_eq(got.value, a.value);
	ck_assert_int_eq(shmheap_name_set(h, "config", b, SHMHEAP_NAME_REPLACE), 0);
	ck_assert_int_eq(shmheap_name_get(h, "config", &got), 0);
	ck_assert_uint_eq(got.value, b.value);
	ck_assert_uint_eq(names_of(h), 1);
	ck_assert_int_eq(tu_check(h), 0);

	/* The creation time survives the directory's first use. */
	ck_assert_int_eq(shmheap_info(name, &after), 0);
	ck_assert_int_eq((long)after.created, (long)before.created);

	ck_assert_int_eq(shmheap_name_remove(h, "config"), 0);
	ck_assert_int_eq(shmheap_name_get(h, "config", &got), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(shmheap_name_remove(h, "config"), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* The object a removed name named stays allocated. */
	ck_assert_ptr_nonnull(shmheap_handle_to_ptr(h, a));
	ck_assert_int_eq(shmheap_free_checked(h, shmheap_handle_to_ptr(h, a)), 0);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(bad_input)
{
	const char *name = tu_name("names-bad");
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	ck_assert_ptr_nonnull(h);
	shmheap_object_handle a = new_object(h, 16), got, none = {0};
	char longest[SHMHEAP_NAME_MAX + 2];
	memset(longest, 'x', sizeof(longest));
	longest[SHMHEAP_NAME_MAX] = '\0';

	ck_assert_int_eq(shmheap_name_set(h, longest, a, 0), 0);
	ck_assert_int_eq(shmheap_name_get(h, longest, &got), 0);
	ck_assert_uint_eq(got.value, a.value);
	longest[SHMHEAP_NAME_MAX] = 'x';
	longest[SHMHEAP_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(shmheap_name_set(h, longest, a, 0), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(shmheap_name_get(h, longest, &got), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	ck_assert_int_eq(shmheap_name_set(h, "", a, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_name_set(h, NULL, a, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_name_set(NULL, "x", a, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_name_set(h, "x", a, 0x80), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_name_set(h, "x", none, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	shmheap_object_handle inside = {a.value + 8};
	ck_assert_int_eq(shmheap_name_set(h, "x", inside, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	shmheap_object_handle other = {a.value ^ ((uint64_t)1 << 40)};
	ck_assert_int_eq(shmheap_name_set(h, "x", other, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_name_get(h, "x", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_name_walk(h, NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* An inspecting connection reads names but may not change them. */
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT};
	shmheap_memory_handle ro = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(ro);
	longest[SHMHEAP_NAME_MAX] = '\0';
	ck_assert_int_eq(shmheap_name_get(ro, longest, &got), 0);
	ck_assert_uint_eq(got.value, a.value);
	ck_assert_int_eq(shmheap_name_set(ro, "y", a, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(shmheap_name_remove(ro, longest), -1);
	ck_assert_int_eq(errno, EPERM);
	shmheap_disconnect(ro);
	o.flags |= SHMHEAP_CONNECT_UNLOCKED;
	ro = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(ro);
	ck_assert_int_eq(shmheap_name_get(ro, longest, &got), 0);
	ck_assert_uint_eq(got.value, a.value);
	ck_assert_uint_eq(names_of(ro), 1);
	shmheap_disconnect(ro);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static int stop_after_one(const char *name, shmheap_object_handle hdl, void *arg)
{
	(void)name;
	(void)hdl;
	++*(int *)arg;
	return 1;
}

/* Names made of bytes that a C string may hold, some sharing prefixes. */
static void model_name(char *buf, size_t len, unsigned id)
{
	snprintf(buf, len, "%s/%u", id % 3 ? "obj" : "a-much-longer-prefix-for-names",
		 id);
}

#define MODEL_IDS 20000u
#define MODEL_OPS 100000u
#define MODEL_OBJECTS 64

START_TEST(model_100000)
{
	const char *name = tu_name("names-model");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);
	shmheap_object_handle obj[MODEL_OBJECTS];
	for (int i = 0; i < MODEL_OBJECTS; i++)
		obj[i] = new_object(h, 8 + (size_t)i);
	uint64_t *model = calloc(MODEL_IDS, sizeof(*model));
	ck_assert_ptr_nonnull(model);
	uint64_t rng = 20;
	size_t live = 0;
	unsigned long ops = tu_env_ulong("SHMHEAP_TEST_MODEL_OPS", MODEL_OPS);
	char buf[64];

	for (unsigned long n = 0; n < ops; n++) {
		unsigned id = (unsigned)(tu_rand(&rng) % MODEL_IDS);
		unsigned op = (unsigned)(tu_rand(&rng) % 8);
		shmheap_object_handle hdl = obj[tu_rand(&rng) % MODEL_OBJECTS], got;
		model_name(buf, sizeof(buf), id);
		if (op < 4) {
			unsigned flags = op == 3 ? SHMHEAP_NAME_REPLACE : 0;
			int r = shmheap_name_set(h, buf, hdl, flags);
			if (model[id] && !flags) {
				ck_assert_int_eq(r, -1);
				ck_assert_int_eq(errno, EEXIST);
			} else {
				ck_assert_int_eq(r, 0);
				live += !model[id];
				model[id] = hdl.value;
			}
		} else if (op < 6) {
			int r = shmheap_name_remove(h, buf);
			if (model[id]) {
				ck_assert_int_eq(r, 0);
				model[id] = 0;
				live--;
			} else {
				ck_assert_int_eq(r, -1);
				ck_assert_int_eq(errno, ENOENT);
			}
		} else {
			int r = shmheap_name_get(h, buf, &got);
			if (model[id]) {
				ck_assert_int_eq(r, 0);
				ck_assert_uint_eq(got.value, model[id]);
			} else {
				ck_assert_int_eq(r, -1);
				ck_assert_int_eq(errno, ENOENT);
			}
		}
		if (n % 25000 == 0)
			ck_assert_int_eq(tu_check(h), 0);
	}
	ck_assert_uint_eq(names_of(h), live);
	int seen = 0;
	ck_assert_int_eq(shmheap_name_walk(h, stop_after_one, &seen), 0);
	ck_assert_int_eq(seen, live ? 1 : 0);
	/* Every name of the model, and no other, is there. */
	for (unsigned id = 0; id < MODEL_IDS; id++) {
		shmheap_object_handle got;
		model_name(buf, sizeof(buf), id);
		int r = shmheap_name_get(h, buf, &got);
		ck_assert_int_eq(r, model[id] ? 0 : -1);
		if (model[id])
			ck_assert_uint_eq(got.value, model[id]);
		if (model[id])
			ck_assert_int_eq(shmheap_name_remove(h, buf), 0);
	}
	ck_assert_uint_eq(names_of(h), 0);
	ck_assert_int_eq(tu_check(h), 0);
	/* Only the directory's record and table remain besides the objects. */
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, MODEL_OBJECTS);
	ck_assert_uint_eq(st.library_blocks, 2);
	free(model);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(many_distinct_names)
{
	const char *name = tu_name("names-many");
	shmheap_memory_handle h = shmheap_create(name, 1 << 20);
	ck_assert_ptr_nonnull(h);
	shmheap_object_handle a = new_object(h, 8), got;
	unsigned long n = tu_env_ulong("SHMHEAP_TEST_MODEL_OPS", MODEL_OPS);
	char buf[32];
	for (unsigned long i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "name-%lu", i);
		ck_assert_int_eq(shmheap_name_set(h, buf, a, 0), 0);
	}
	ck_assert_uint_eq(names_of(h), n);
	ck_assert_int_eq(tu_check(h), 0);
	for (unsigned long i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "name-%lu", i);
		ck_assert_int_eq(shmheap_name_get(h, buf, &got), 0);
		ck_assert_uint_eq(got.value, a.value);
		ck_assert_int_eq(shmheap_name_remove(h, buf), 0);
	}
	ck_assert_uint_eq(names_of(h), 0);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

#define PROCS 8
#define DISTINCT 1000
#define COLLIDING 300

struct race {
	const char *name;
	int id;
	unsigned char *won; /* [PROCS][COLLIDING], shared */
};

static void racer(void *arg)
{
	struct race *r = arg;
	shmheap_memory_handle h = shmheap_connect(r->name);
	TU_REQUIRE(h, "connect: %s", strerror(errno));
	void *p = shmheap_alloc(h, 16);
	TU_REQUIRE(p, "alloc: %s", strerror(errno));
	*(int *)p = r->id;
	shmheap_object_handle mine = shmheap_ptr_to_handle(h, p);
	char buf[64];
	for (int i = 0; i < DISTINCT + COLLIDING; i++) {
		if (i % 4 != 3 && i / 4 < DISTINCT) {
			snprintf(buf, sizeof(buf), "proc-%d/%d", r->id, i);
			TU_REQUIRE(shmheap_name_set(h, buf, mine, 0) == 0, "set %s: %s",
				   buf, strerror(errno));
		}
		int k = i % COLLIDING;
		snprintf(buf, sizeof(buf), "shared/%d", k);
		if (shmheap_name_set(h, buf, mine, 0) == 0) {
			TU_REQUIRE(!r->won[r->id * COLLIDING + k], "won %s twice", buf);
			r->won[r->id * COLLIDING + k] = 1;
		} else {
			TU_REQUIRE(errno == EEXIST, "set %s: %s", buf, strerror(errno));
		}
	}
	shmheap_disconnect(h);
}

START_TEST(eight_processes)
{
	const char *name = tu_name("names-race");
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	ck_assert_ptr_nonnull(h);
	unsigned char *won = mmap(NULL, PROCS * COLLIDING, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(won, MAP_FAILED);
	memset(won, 0, PROCS * COLLIDING);
	struct race r[PROCS];
	pid_t pid[PROCS];
	for (int i = 0; i < PROCS; i++) {
		r[i] = (struct race){name, i, won};
		pid[i] = tu_fork(racer, &r[i], 120);
	}
	char why[256];
	ck_assert_msg(tu_wait_all(pid, PROCS, 150, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(tu_check(h), 0);

	char buf[64];
	shmheap_object_handle got;
	size_t distinct = 0;
	for (int p = 0; p < PROCS; p++) {
		for (int i = 0; i < DISTINCT + COLLIDING; i++) {
			if (!(i % 4 != 3 && i / 4 < DISTINCT))
				continue;
			snprintf(buf, sizeof(buf), "proc-%d/%d", p, i);
			ck_assert_int_eq(shmheap_name_get(h, buf, &got), 0);
			ck_assert_int_eq(*(int *)shmheap_handle_to_ptr(h, got), p);
			distinct++;
		}
	}
	for (int k = 0; k < COLLIDING; k++) {
		int winners = 0, winner = -1;
		for (int p = 0; p < PROCS; p++)
			if (won[p * COLLIDING + k]) {
				winners++;
				winner = p;
			}
		ck_assert_int_eq(winners, 1);
		snprintf(buf, sizeof(buf), "shared/%d", k);
		ck_assert_int_eq(shmheap_name_get(h, buf, &got), 0);
		ck_assert_int_eq(*(int *)shmheap_handle_to_ptr(h, got), winner);
	}
	ck_assert_uint_eq(names_of(h), distinct + COLLIDING);
	munmap(won, PROCS * COLLIDING);
	shmheap_destroy(name, h);
}
END_TEST

/* A directory full of hostile bytes is reported, never read out of bounds. */
START_TEST(damaged_directory)
{
	const char *name = tu_name("names-damaged");
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	ck_assert_ptr_nonnull(h);
	shmheap_object_handle a = new_object(h, 8), got;
	char buf[32];
	for (int i = 0; i < 40; i++) {
		snprintf(buf, sizeof(buf), "n%d", i);
		ck_assert_int_eq(shmheap_name_set(h, buf, a, 0), 0);
	}
	ck_assert_int_eq(tu_check(h), 0);
	/* Scribble over every object but a: the directory's blocks among them. */
	unsigned char *base = shmheap_underlying(h);
	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	uint64_t rng = 7;
	for (size_t i = 0; i < l.n; i++) {
		if (!l.blk[i].in_use ||
		    (uint64_t)l.blk[i].offset == (a.value & ((1ull << 35) - 1)))
			continue;
		for (size_t b = 0; b + 8 <= l.blk[i].size; b += 8) {
			uint64_t v = tu_rand(&rng);
			memcpy(base + l.blk[i].offset + b, &v, 8);
		}
	}
	tu_layout_free(&l);
	ck_assert_int_gt(shmheap_check(h, NULL, NULL), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(buf, sizeof(buf), "n%d", i);
		(void)shmheap_name_get(h, buf, &got);
#ifndef SHMHEAP_DEBUG /* which aborts when a changing call meets a damaged heap */
		(void)shmheap_name_remove(h, buf);
		(void)shmheap_name_set(h, buf, a, 0);
#endif
	}
	size_t n = 0;
	(void)shmheap_name_walk(h, count_name, &n);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tu_tcase("calls", 30);
	tcase_add_test(tc, set_get_remove);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, damaged_directory);
	suite_add_tcase(s, tc);
	tc = tu_tcase("model", 600);
	tcase_add_test(tc, model_100000);
	tcase_add_test(tc, many_distinct_names);
	suite_add_tcase(s, tc);
	tc = tu_tcase("processes", 200);
	tcase_add_test(tc, eight_processes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(names_suite());
}
