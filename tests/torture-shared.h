/* SPDX-License-Identifier: MIT */
/*
 * torture-shared.h - what the crash torture test's supervisor and workers share.
 *
 * The control region is an anonymous shared mapping made before any fork, so
 * it outlives every worker and needs no name in /dev/shm.  Each worker keeps
 * a journal of its objects there.  A journal slot's state is always written
 * last (release order), after the fields it vouches for, so after a SIGKILL
 * the supervisor knows exactly which call was in flight:
 *
 *   EMPTY -> ALLOCATING (size, key written; shmheap_alloc in flight)
 *         -> FILLING    (shmheap_alloc returned; handle written; pattern half-written)
 *         -> COMMITTED  (pattern complete: the object must keep it until freed)
 *         -> FREEING    (pattern verified; shmheap_free_checked in flight)
 *         -> EMPTY
 */
#ifndef TORTURE_SHARED_H
#define TORTURE_SHARED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "layout.h"
#include "shmheap.h"

#define TORTURE_WORKERS 4
#define TORTURE_SLOTS 48

enum slot_state {
	SLOT_EMPTY = 0,
	SLOT_ALLOCATING,
	SLOT_FILLING,
	SLOT_COMMITTED,
	SLOT_FREEING,
};

/* What a worker was doing when it died, for the closing statistics. */
enum worker_call {
	CALL_NONE = 0,
	CALL_ALLOC,
	CALL_FREE,
	CALL_GARBAGE_FREE,
	CALL_GROW,
	CALL_OTHER, /* connect, stats */
	CALL_KINDS
};

struct journal_slot {
	uint64_t handle; /* shmheap_object_handle.value; valid from FILLING on */
	uint64_t key;	 /* the object's pattern */
	uint32_t size;	 /* bytes asked for */
	uint32_t state;	 /* enum slot_state, stored last */
};

struct worker_journal {
	struct journal_slot slot[TORTURE_SLOTS];
	pid_t pid;
	uint32_t generation; /* how many processes have had this id */
	uint64_t ops;	     /* completed operations: the progress counter */
	uint32_t paused;     /* acknowledges the supervisor's pause request */
	uint32_t in_call;    /* enum worker_call */
};

/* How one heap lifetime (a "round") is run. */
struct round_config {
	int growable;	/* heap grows on demand and by explicit shmheap_grow */
	int garbage;	/* workers also pass garbage to shmheap_free */
	size_t initial; /* initial heap size */
	size_t max;	/* growth limit (== initial when not growable) */
};

struct torture_shared {
	char heap_name[64];
	char other_name[64];   /* a second heap, for pointers from another heap */
	uint64_t other_object; /* handle of an object in it */
	uint64_t seed;
	struct round_config cfg;
	uint64_t grow_target; /* next size an explicit grow asks for */
	uint32_t pause;	      /* workers stop at a safe point while set */
	uint32_t stop;	      /* workers disconnect and exit */
	uint32_t failed;
	char failure[512];
	struct worker_journal worker[TORTURE_WORKERS];
};

extern struct torture_shared *shared;

/* Records the first failure (any process) and exits; the supervisor reports it. */
__attribute__((noreturn, format(printf, 1, 2))) void torture_fail(const char *fmt, ...);

void worker_main(int id);

/* splitmix64: the library's mixer after a golden-ratio step. */
static inline uint64_t torture_mix(uint64_t x)
{
	return mix64(x + 0x9e3779b97f4a7c15ull);
}

/* A small PRNG; every process seeds its own from the run's seed. */
static inline uint64_t torture_rand(uint64_t *state)
{
	*state = torture_mix(*state);
	return *state;
}

static inline void pattern_fill(unsigned char *p, size_t n, uint64_t key)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = torture_mix(key + i);
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* The first byte that does not hold the pattern, or n. */
static inline size_t pattern_check(const unsigned char *p, size_t n, uint64_t key)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = torture_mix(key + i);
		size_t k = n - i < 8 ? n - i : 8;
		if (memcmp(p + i, &v, k))
			return i;
	}
	return n;
}

static inline uint32_t load_state(const struct journal_slot *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

static inline void store_state(struct journal_slot *s, uint32_t state)
{
	__atomic_store_n(&s->state, state, __ATOMIC_RELEASE);
}

#endif /* TORTURE_SHARED_H */
