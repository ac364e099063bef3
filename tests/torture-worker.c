/* SPDX-License-Identifier: MIT */
/*
 * torture-worker.c - one worker of the crash torture test.
 *
 * A worker connects to the heap and loops: allocate an object of a random
 * size and fill it with a pattern, verify one, free one; in some rounds also
 * grow the heap and pass garbage to shmheap_free.  Everything it owns is in
 * its journal (torture-shared.h), which a replacement worker inherits when
 * the supervisor kills it.  Workers leave with _exit: the supervisor's atexit
 * cleanup must only run in the supervisor.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "torture-shared.h"

struct worker {
	int id;
	struct worker_journal *j;
	shmheap_memory_handle mem;
	shmheap_memory_handle other;
	uint64_t rng;
	uint64_t seq;
	size_t invalid_frees; /* garbage frees the library must have counted */
};

static uint64_t rnd(struct worker *w, uint64_t n)
{
	return torture_rand(&w->rng) % n;
}

static void set_call(struct worker *w, enum worker_call c)
{
	__atomic_store_n(&w->j->in_call, c, __ATOMIC_RELEASE);
}

static unsigned char *object_of(struct worker *w, const struct journal_slot *s)
{
	shmheap_object_handle hdl = {s->handle};
	unsigned char *p = shmheap_handle_to_ptr(w->mem, hdl);
	if (!p)
		torture_fail("worker %d: handle %#llx of its own object does not resolve",
			     w->id, (unsigned long long)s->handle);
	return p;
}

static void verify_slot(struct worker *w, struct journal_slot *s)
{
	unsigned char *p = object_of(w, s);
	size_t bad = pattern_check(p, s->size, s->key);
	if (bad != s->size)
		torture_fail(
			"worker %d: object %#llx (%u bytes) lost its data at byte %zu",
			w->id, (unsigned long long)s->handle, s->size, bad);
}

/* A random slot in the given state, or NULL. */
static struct journal_slot *pick_slot(struct worker *w, uint32_t state)
{
	unsigned start = (unsigned)rnd(w, TORTURE_SLOTS);
	for (unsigned i = 0; i < TORTURE_SLOTS; i++) {
		struct journal_slot *s = &w->j->slot[(start + i) % TORTURE_SLOTS];
		if (load_state(s) == state)
			return s;
	}
	return NULL;
}

static size_t random_size(struct worker *w)
{
	uint64_t r = rnd(w, 64);
	if (r == 0)
		return 4096 + rnd(w, 12 * 1024); /* forces growth, or ENOMEM */
	if (r < 32)
		return rnd(w, 65);
	return rnd(w, 513);
}

/* Allocates, fills and journals an object; NULL when the heap is full. */
static struct journal_slot *alloc_into(struct worker *w, struct journal_slot *s,
				       size_t size)
{
	s->size = (uint32_t)size;
	s->key = torture_mix(((uint64_t)w->id << 56) ^
			     ((uint64_t)w->j->generation << 40) ^ ++w->seq);
	store_state(s, SLOT_ALLOCATING);
	set_call(w, CALL_ALLOC);
	unsigned char *p = shmheap_alloc(w->mem, size);
	set_call(w, CALL_NONE);
	if (!p) {
		if (errno != ENOMEM)
			torture_fail("worker %d: shmheap_alloc(%zu): %s", w->id, size,
				     strerror(errno));
		store_state(s, SLOT_EMPTY);
		return NULL;
	}
	s->handle = shmheap_ptr_to_handle(w->mem, p).value;
	store_state(s, SLOT_FILLING);
	pattern_fill(p, size, s->key);
	store_state(s, SLOT_COMMITTED);
	return s;
}

static void free_slot(struct worker *w, struct journal_slot *s)
{
	verify_slot(w, s);
	unsigned char *p = object_of(w, s);
	store_state(s, SLOT_FREEING);
	set_call(w, CALL_FREE);
	int rc = shmheap_free_checked(w->mem, p);
	set_call(w, CALL_NONE);
	if (rc != 0)
		torture_fail("worker %d: freeing its object %#llx failed: %s", w->id,
			     (unsigned long long)s->handle, strerror(errno));
	store_state(s, SLOT_EMPTY);
}

static void expect_rejected(struct worker *w, void *ptr, const char *what)
{
	set_call(w, CALL_GARBAGE_FREE);
	errno = 0;
	int rc = shmheap_free_checked(w->mem, ptr);
	set_call(w, CALL_NONE);
	if (rc != -1 || errno != EINVAL)
		torture_fail(
			"worker %d: free of %s (%p) returned %d (%s), expected -1/EINVAL",
			w->id, what, ptr, rc, strerror(errno));
	w->invalid_frees++;
}

/*
 * Double frees are the supervisor's to make (torture-audit.c), while every
 * worker is paused: here another worker could have reused the block between
 * the two frees, and the second would then free its object, rightly so.
 */
static void garbage_free(struct worker *w)
{
	unsigned char *base = shmheap_underlying(w->mem);
	struct journal_slot *s = pick_slot(w, SLOT_COMMITTED);
	unsigned kind = (unsigned)rnd(w, 6);
	uint64_t local = 0;

	if ((kind == 3 || kind == 4) && (!s || s->size < 16))
		kind = 0;
	switch (kind) {
	case 0:
		expect_rejected(w, &local, "a stack variable");
		break;
	case 1: {
		shmheap_object_handle hdl = {shared->other_object};
		expect_rejected(w, shmheap_handle_to_ptr(w->other, hdl),
				"another heap's object");
		break;
	}
	case 2:
		expect_rejected(w, base + 8 * rnd(w, 10), "a pointer into the header");
		break;
	case 3:
		expect_rejected(w, object_of(w, s) + 1 + rnd(w, 7),
				"an unaligned pointer");
		verify_slot(w, s);
		break;
	case 4:
		expect_rejected(w, object_of(w, s) + 8 * (1 + rnd(w, (s->size - 8) / 8)),
				"an interior pointer");
		verify_slot(w, s);
		break;
	case 5:
		expect_rejected(w, base + shared->cfg.max + 8 * rnd(w, 512),
				"a pointer past the heap");
		break;
	}
}

static void grow(struct worker *w)
{
	uint64_t step = 4096 * (1 + rnd(w, 4));
	uint64_t target = __atomic_add_fetch(&shared->grow_target, step,
					     __ATOMIC_RELAXED);
	if (target > shared->cfg.max)
		return;
	set_call(w, CALL_GROW);
	int rc = shmheap_grow(w->mem, target);
	set_call(w, CALL_NONE);
	if (rc != 0)
		torture_fail("worker %d: shmheap_grow(%llu): %s", w->id,
			     (unsigned long long)target, strerror(errno));
}

static void step(struct worker *w)
{
	uint64_t r = rnd(w, 1000);
	struct journal_slot *s;

	if (shared->cfg.garbage && r < 60) {
		garbage_free(w);
	} else if (shared->cfg.growable && r < 65) {
		grow(w);
	} else if (r < 550 && (s = pick_slot(w, SLOT_EMPTY))) {
		if (!alloc_into(w, s, random_size(w)) &&
		    (s = pick_slot(w, SLOT_COMMITTED)))
			free_slot(w, s);
	} else if (r < 650 && (s = pick_slot(w, SLOT_COMMITTED))) {
		verify_slot(w, s);
	} else if ((s = pick_slot(w, SLOT_COMMITTED))) {
		free_slot(w, s);
	}
}

/* Waits at a safe point (no call in flight, journal exact) while asked to. */
static void safe_point(struct worker *w)
{
	if (!__atomic_load_n(&shared->pause, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&w->j->paused, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&shared->pause, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&shared->stop, __ATOMIC_ACQUIRE)) {
		struct timespec ts = {0, 50000};
		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&w->j->paused, 0, __ATOMIC_RELEASE);
}

/*
 * The heap lock is not fair: a worker looping on it can keep taking it back
 * from a waiter that was just woken, starving it for seconds on a busy
 * machine.  Short rests between operations keep the survivors' progress
 * check about hangs, not about scheduling luck.
 */
static void pause_briefly(struct worker *w)
{
	if (rnd(w, 32))
		return;
	struct timespec ts = {0, 1000};
	nanosleep(&ts, NULL);
}

static void finish(struct worker *w)
{
	struct shmheap_stats st;
	set_call(w, CALL_OTHER);
	if (shmheap_stats(w->mem, &st) < 0)
		torture_fail("worker %d: shmheap_stats: %s", w->id, strerror(errno));
	if (st.invalid_frees != w->invalid_frees)
		torture_fail("worker %d: %zu invalid frees counted, %zu made", w->id,
			     st.invalid_frees, w->invalid_frees);
	shmheap_disconnect(w->other);
	shmheap_disconnect(w->mem);
	_exit(0);
}

void worker_main(int id)
{
	struct worker w = {.id = id, .j = &shared->worker[id]};

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	w.rng = torture_mix(shared->seed ^ ((uint64_t)id << 32) ^ w.j->generation);

	set_call(&w, CALL_OTHER);
	w.mem = shmheap_connect(shared->heap_name);
	if (!w.mem)
		torture_fail("worker %d: connecting to %s: %s", id, shared->heap_name,
			     strerror(errno));
	if (shared->cfg.garbage) {
		w.other = shmheap_connect(shared->other_name);
		if (!w.other)
			torture_fail("worker %d: connecting to %s: %s", id,
				     shared->other_name, strerror(errno));
	}
	set_call(&w, CALL_NONE);

	for (;;) {
		safe_point(&w);
		if (__atomic_load_n(&shared->stop, __ATOMIC_ACQUIRE))
			finish(&w);
		step(&w);
		__atomic_add_fetch(&w.j->ops, 1, __ATOMIC_RELEASE);
		pause_briefly(&w);
	}
}
