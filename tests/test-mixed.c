/* SPDX-License-Identifier: MIT */
/*
 * test-mixed.c - every allocation call, on every kind of heap, at once.
 *
 * The calls were added feature by feature (realloc and aligned allocation,
 * names and slots, cached heaps, backings); this suite runs them together.
 * Two processes share one heap and each runs a random mix of alloc, calloc,
 * aligned allocation, realloc, free, usable_size, alloc_into/free_from and
 * names over objects of its own, verifying every object's bytes after each
 * step.  The heap kinds: POSIX shared memory, a cached heap, a file heap and
 * an anonymous heap (whose children use the inherited handle).  Afterwards
 * the heap must check clean and hold no more objects than before the workers
 * started, and refuse a second free (tried only then: while the workers run,
 * the other one may own an object at a freed address).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define HEAP_BYTES (4u << 20)
#define WORKERS 2
#define OBJECTS 48 /* live objects a worker keeps at most */
#define SLOTS 8	   /* handles in the worker's slot table */
#define STEPS 4000

enum kind { POSIX, CACHED, FILE_HEAP, ANONYMOUS, KINDS };

/* Made by the unchecked fixture, in the runner process: file heaps go here. */
static char file_dir[64];

struct object {
	unsigned char *p;
	size_t size;
	uint32_t seq;
	int slot; /* the slot table entry that names it, or -1 */
};

struct worker {
	shmheap_memory_handle h;
	uint32_t id;
	uint64_t rng;
	uint32_t seq;
	struct object obj[OBJECTS];
	size_t n;
	shmheap_object_handle *slots; /* SLOTS handles inside the heap */
	int slot_used[SLOTS];
};

static size_t random_size(struct worker *w)
{
	uint64_t r = tu_rand(&w->rng);
	return r % 4 == 0 ? r % 2000 : r % 200;
}

static void keep(struct worker *w, void *p, size_t size, int slot)
{
	uint32_t seq = ++w->seq;
	tu_fill(p, size, w->id, seq);
	w->obj[w->n++] = (struct object){p, size, seq, slot};
}

static void verify_all(struct worker *w, const char *after)
{
	for (size_t i = 0; i < w->n; i++) {
		struct object *o = &w->obj[i];
		long bad = tu_verify(o->p, o->size, w->id, o->seq);
		TU_REQUIRE(bad < 0,
			   "worker %u: object of %zu bytes wrong at %ld after %s", w->id,
			   o->size, bad, after);
	}
}

static void drop(struct worker *w, size_t i)
{
	w->obj[i] = w->obj[--w->n];
}

static void step_free(struct worker *w, size_t i)
{
	struct object o = w->obj[i];
	if (o.slot >= 0) {
		TU_REQUIRE(shmheap_free_from(w->h, &w->slots[o.slot]) == 0,
			   "free_from: %s", strerror(errno));
		TU_REQUIRE(w->slots[o.slot].value == 0, "free_from left the slot set");
		w->slot_used[o.slot] = 0;
	} else {
		TU_REQUIRE(shmheap_free_checked(w->h, o.p) == 0, "free: %s",
			   strerror(errno));
	}
	drop(w, i);
}

static void step_realloc(struct worker *w, size_t i)
{
	struct object *o = &w->obj[i];
	if (o->slot >= 0)
		return; /* a slot names its object by handle: keep it in place */
	size_t size = random_size(w);
	unsigned char *q = shmheap_realloc(w->h, o->p, size);
	if (!q) {
		TU_REQUIRE(errno == ENOMEM, "realloc: %s", strerror(errno));
		return;
	}
	size_t kept = size < o->size ? size : o->size;
	long bad = tu_verify(q, kept, w->id, o->seq);
	/* tu_verify of a prefix: the pattern is a function of the position. */
	TU_REQUIRE(bad < 0, "realloc %zu -> %zu lost byte %ld", o->size, size, bad);
	uint32_t seq = ++w->seq;
	tu_fill(q, size, w->id, seq);
	*o = (struct object){q, size, seq, -1};
}

static void step_name(struct worker *w, size_t i)
{
	char name[64];
	snprintf(name, sizeof(name), "mixed-%u-%zu", w->id, (size_t)(w->obj[i].seq % 16));
	shmheap_object_handle hdl = shmheap_ptr_to_handle(w->h, w->obj[i].p), got;
	int rc = shmheap_name_set(w->h, name, hdl, SHMHEAP_NAME_REPLACE);
	if (rc < 0) {
		TU_REQUIRE(errno == ENOMEM, "name_set: %s", strerror(errno));
		return;
	}
	TU_REQUIRE(shmheap_name_get(w->h, name, &got) == 0 && got.value == hdl.value,
		   "name_get after set");
	if (tu_rand(&w->rng) % 2) {
		TU_REQUIRE(shmheap_name_remove(w->h, name) == 0, "name_remove: %s",
			   strerror(errno));
		errno = 0;
		TU_REQUIRE(shmheap_name_get(w->h, name, &got) == -1 && errno == ENOENT,
			   "name_get after remove");
	}
}

static void step_new(struct worker *w, unsigned op)
{
	size_t size = random_size(w);
	void *p = NULL;
	int slot = -1;
	switch (op) {
	case 0:
		p = shmheap_alloc(w->h, size);
		break;
	case 1: {
		size_t n = 1 + tu_rand(&w->rng) % 16;
		size = (size / n + 1) * n;
		p = shmheap_calloc(w->h, n, size / n);
		for (size_t b = 0; p && b < size; b++)
			TU_REQUIRE(((unsigned char *)p)[b] == 0, "calloc byte %zu not 0",
				   b);
		break;
	}
	case 2: {
		size_t align = (size_t)8 << (tu_rand(&w->rng) % 10); /* 8 .. 4096 */
		p = shmheap_alloc_aligned(w->h, align, size);
		TU_REQUIRE(!p || (uintptr_t)p % align == 0, "alignment %zu not kept",
			   align);
		break;
	}
	default:
		for (int s = 0; s < SLOTS; s++)
			if (!w->slot_used[s])
				slot = s;
		if (slot < 0)
			return;
		p = shmheap_alloc_into(w->h, size, &w->slots[slot]);
		TU_REQUIRE(!p || shmheap_handle_to_ptr(w->h, w->slots[slot]) == p,
			   "alloc_into: the slot does not name the object");
		if (p)
			w->slot_used[slot] = 1;
		break;
	}
	if (!p) {
		TU_REQUIRE(errno == ENOMEM, "allocation (op %u): %s", op,
			   strerror(errno));
		return;
	}
	TU_REQUIRE(shmheap_usable_size(w->h, p) >= size, "usable size below %zu", size);
	keep(w, p, size, slot);
}

static void work(shmheap_memory_handle h, uint32_t id)
{
	struct worker *w = calloc(1, sizeof(*w));
	TU_REQUIRE(w != NULL, "calloc");
	*w = (struct worker){.h = h, .id = id, .rng = 0x9e3779b97f4a7c15ull * (id + 1)};
	w->slots = shmheap_calloc(h, SLOTS, sizeof(*w->slots));
	TU_REQUIRE(w->slots != NULL, "slot table: %s", strerror(errno));
	for (unsigned i = 0; i < STEPS; i++) {
		unsigned op = (unsigned)(tu_rand(&w->rng) % 8);
		if (w->n == OBJECTS || (w->n && op >= 4)) {
			size_t k = tu_rand(&w->rng) % w->n;
			if (w->n == OBJECTS || op == 4)
				step_free(w, k);
			else if (op == 5)
				step_realloc(w, k);
			else if (op == 6)
				step_name(w, k);
			else
				step_free(w, k);
		} else {
			step_new(w, op % 4);
		}
		verify_all(w, "a step");
	}
	/* Most steps made an object (a full heap would make none). */
	TU_REQUIRE(w->seq > STEPS / 4, "worker %u made only %u objects", id, w->seq);
	while (w->n)
		step_free(w, w->n - 1);
	for (uint32_t k = 0; k < 16; k++) {
		char name[64];
		snprintf(name, sizeof(name), "mixed-%u-%u", id, k);
		TU_REQUIRE(shmheap_name_remove(h, name) == 0 || errno == ENOENT,
			   "name_remove at the end: %s", strerror(errno));
	}
	shmheap_free(h, w->slots);
	free(w);
}

struct child_arg {
	enum kind kind;
	const char *name;
	shmheap_memory_handle inherited;
	uint32_t id;
};

static void child(void *p)
{
	struct child_arg *a = p;
	shmheap_memory_handle h = a->kind == ANONYMOUS ? a->inherited
						       : shmheap_connect(a->name);
	TU_REQUIRE(h != NULL, "connect %s: %s", a->name, strerror(errno));
	work(h, a->id);
	if (a->kind != ANONYMOUS)
		shmheap_disconnect(h);
}

static shmheap_memory_handle make(enum kind kind, const char **name)
{
	static char path[128];
	struct shmheap_options cached = {.flags = SHMHEAP_CACHED};
	shmheap_memory_handle h = NULL;
	*name = NULL;
	switch (kind) {
	case POSIX:
		*name = tu_name("mixed");
		h = shmheap_create(*name, HEAP_BYTES);
		break;
	case CACHED:
		*name = tu_name("mixed-cached");
		h = shmheap_create_ex(*name, HEAP_BYTES, &cached);
		break;
	case FILE_HEAP:
		snprintf(path, sizeof(path), "file:%s/heap-%ld", file_dir,
			 (long)getpid());
		*name = path;
		h = shmheap_create(*name, HEAP_BYTES);
		break;
	default:
		h = shmheap_create_anonymous(HEAP_BYTES, NULL);
		break;
	}
	ck_assert_msg(h != NULL, "create kind %d: %s", (int)kind, strerror(errno));
	return h;
}

START_TEST(every_call_on_every_kind)
{
	enum kind kind = (enum kind)_i;
	const char *name;
	shmheap_memory_handle h = make(kind, &name);
	struct shmheap_stats before, after;
	ck_assert_int_eq(shmheap_stats(h, &before), 0);

	struct child_arg args[WORKERS];
	pid_t pids[WORKERS];
	for (uint32_t i = 0; i < WORKERS; i++) {
		args[i] = (struct child_arg){kind, name, h, i + 1};
		pids[i] = tu_fork(child, &args[i], 240);
	}
	char why[256] = "";
	int rc = tu_wait_all(pids, WORKERS, 300, why, sizeof(why));
	ck_assert_msg(rc == 0, "kind %d: %s", (int)kind, why);

	ck_assert_int_eq(tu_check(h), 0);
	/* Every kind refuses a second free, and the size of a freed object. */
	void *p = shmheap_alloc(h, 100);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(shmheap_free_checked(h, p), 0);
	errno = 0;
	ck_assert_int_eq(shmheap_free_checked(h, p), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(shmheap_usable_size(h, p), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_stats(h, &after), 0);
	/* The names directory may keep its (empty) blocks; nothing else stays. */
	ck_assert_uint_le(after.objects, before.objects + 2);
	shmheap_destroy(name, h);
}
END_TEST

static void make_file_dir(void)
{
	snprintf(file_dir, sizeof(file_dir), "%s", "/tmp/shmheap-test-mixed.XXXXXX");
	if (!mkdtemp(file_dir))
		file_dir[0] = 0;
}

static void remove_file_dir(void)
{
	char cmd[128];
	if (!file_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", file_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", file_dir);
}

static Suite *mixed_suite(void)
{
	Suite *s = suite_create("mixed");
	TCase *tc = tu_tcase("mixed", 600);
	tcase_add_unchecked_fixture(tc, make_file_dir, remove_file_dir);
	tcase_add_loop_test(tc, every_call_on_every_kind, POSIX, KINDS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(mixed_suite());
}
