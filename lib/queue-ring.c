/* SPDX-License-Identifier: MIT */
/*
 * queue-ring.c - a queue's ring without the heap lock: the position a call
 * acts on, the hints, the seal of a destroyed queue, and the waits (the
 * protocol, and why it is safe, atop queue.c).
 *
 * Every word here is shared memory that any process may change at any
 * moment: each is read once into a local, and what is done depends on that
 * copy alone.  A word is changed only by a compare-and-swap from the copy
 * (the seal aside, which runs under the lock), so a stale copy changes
 * nothing.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpu.h"
#include "queue-ring.h"
#include "testhooks.h"

/* The longest sleep between two looks at a queue: it bounds the sleep of a
 * waiter whose queue was destroyed, and its word reused, before it slept. */
#define QUEUE_SLICE_MS 1000
/* A watch shorter than this is not worth its clock readings: none. */
#define QUEUE_WATCH_MIN_NS 100u
/* The most pauses between two looks of a watching caller. */
#define QUEUE_WATCH_PAUSES 256
/* More helping steps than a sound ring ever asks of one call: each hint lags
 * the slots by one position at most. */
#define RING_HELP_MAX 64
/* A wait word's count at or above this is no count: the seal (or damage). */
#define WAIT_COUNT_MAX (1u << 24)
#define WAIT_SEALED (1u << 30)

#define SEQ_CST __ATOMIC_SEQ_CST

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *t)
{
	return syscall(SYS_futex, word, op, val, t, NULL, 0);
}

/* The futex word of a wait word: its low half, the sequence. */
static uint32_t *wait_seq(uint64_t *word)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint32_t *)(void *)word;
#else
	return (uint32_t *)(void *)word + 1;
#endif
}

static uint64_t wait_word(uint32_t key, uint32_t count, uint32_t seq)
{
	return (uint64_t)(count ^ key) << 32 | seq;
}

static uint32_t wait_count(uint32_t key, uint64_t w)
{
	return (uint32_t)(w >> 32) ^ key;
}

struct queue_obj *ring_queue(struct shmheap_queue *q)
{
	struct shmheap_heap *h = q->mem;
	uint64_t bw = __atomic_load_n(block_word(h->base, q->obj - HEAP_UNIT),
				      __ATOMIC_RELAXED);
	struct queue_obj *o = (struct queue_obj *)(void *)(h->base + q->obj);
	if ((bw & BW_IN_USE) && bw_size(bw) == q->size && bw_tag(bw) == q->tag &&
	    q->obj + q->size <= heap_size_bytes(h->hdr) + HEAP_UNIT &&
	    __atomic_load_n(&o->magic, __ATOMIC_ACQUIRE) == q->magic &&
	    __atomic_load_n(&o->id, __ATOMIC_RELAXED) == q->id &&
	    __atomic_load_n(&o->capacity, __ATOMIC_RELAXED) == q->capacity)
		return o;
	errno = EIDRM;
	return NULL;
}

/* The lap of position p (keyed, as slots hold it), and its index in *index:
 * p / capacity and p % capacity.  A division costs tens of cycles, a call
 * needs one, and the capacity is fixed: the quotient is estimated with the
 * reciprocal computed at open (one low at most) and corrected. */
static uint32_t pos_lap(const struct shmheap_queue *q, uint64_t p, uint64_t *index)
{
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;
	uint64_t lap = (uint64_t)(((u128)p * q->recip) >> 64);
	uint64_t r = p - lap * q->capacity;
	while (r >= q->capacity) {
		r -= q->capacity;
		lap++;
	}
#else
	uint64_t lap = p / q->capacity, r = p % q->capacity;
#endif
	*index = r;
	return ((uint32_t)lap + q->key) & SLOT_LAP_MASK;
}

/* a - b for laps, which count modulo 2^31. */
static int32_t lap_diff(uint32_t a, uint32_t b)
{
	return (int32_t)((a - b) << 1) >> 1;
}

void ring_advance(struct shmheap_queue *q, uint64_t *word, uint64_t p)
{
	uint64_t raw = p ^ q->hint_key;
	__atomic_compare_exchange_n(word, &raw, (p + 1) ^ q->hint_key, false, SEQ_CST,
				    __ATOMIC_RELAXED);
}

/*
 * The states a slot may show the call whose hint says position p (lap L):
 *
 *   slot            producer                   consumer
 *   {L-1, obj}      full                       (cannot be)
 *   {L-1, obj} P    held: a pop_into           (cannot be)
 *   {L, 0}          ready                      empty
 *   {L, obj}        p is filled: help          ready
 *   {L, obj} P      p is filled: help          held
 *   {L+1, ...}      p is done: help            p is done: help
 *   sealed          gone                       gone
 *
 * Any other lap while the hint still says p contradicts the invariants (a
 * hint lags its slots by one position at most): RING_BAD.
 */
enum ring_state ring_find(struct shmheap_queue *q, struct queue_obj *o, int producer,
			  struct ring_spot *at)
{
	uint64_t *hint = producer ? &o->tail : &o->head;
	for (unsigned helped = 0; helped < RING_HELP_MAX;) {
		uint64_t raw = __atomic_load_n(hint, __ATOMIC_ACQUIRE);
		uint64_t p = raw ^ q->hint_key, index;
		uint32_t lap = pos_lap(q, p, &index);
		uint64_t s = __atomic_load_n(&o->ring[index], SEQ_CST);
		int held = (s & SLOT_PENDING) != 0, full = slot_unit(s) != 0;
		if (held && !full)
			return RING_GONE;
		int32_t d = lap_diff(slot_lap(s), lap);
		if (d == 0 && producer == !full) {
			if (held)
				return RING_HELD;
			*at = (struct ring_spot){p, index, s};
			return RING_READY;
		}
		if (d == 0 && !producer)
			return RING_BLOCKED;
		if (d == -1 && producer && full)
			return held ? RING_HELD : RING_BLOCKED;
		if (d == 0 || d == 1) {
			ring_advance(q, hint, p);
			helped++;
			continue;
		}
		/* Our copy of the hint was stale, or the ring is damaged. */
		if (__atomic_load_n(hint, __ATOMIC_ACQUIRE) == raw)
			return RING_BAD;
	}
	return RING_BAD;
}

static int blocked(struct shmheap_queue *q, struct queue_obj *o, int producer)
{
	struct ring_spot at;
	return ring_find(q, o, producer, &at) == RING_BLOCKED;
}

static uint64_t ns_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)((now.tv_sec - start->tv_sec) * 1000000000L + now.tv_nsec -
			  start->tv_nsec);
}

/*
 * Before it sleeps, a caller watches the ring for up to QUEUE_WATCH_NS: the
 * process at the other end, if it runs, changes it within a microsecond or
 * two, and a sleep and a wake-up cost both sides a system call.  1 when the
 * queue no longer looks full (empty) within budget nanoseconds.
 */
static int watch(struct shmheap_queue *q, struct queue_obj *o, int producer,
		 uint32_t budget)
{
	if (budget < QUEUE_WATCH_MIN_NS)
		return 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned pauses = 1;; pauses = pauses < QUEUE_WATCH_PAUSES ? 2 * pauses : pauses) {
		/* Each look reads the line the other end writes, and takes it
		 * from it: looks ever further apart let it run on and fill
		 * (or empty) several slots between two. */
		for (unsigned j = 0; j < pauses; j++)
			cpu_relax();
		if (!blocked(q, o, producer))
			return 1;
		if (ns_since(&start) >= budget)
			return 0;
	}
}

/*
 * What the next wait of this side watches for.  A watch pays when the other
 * end acts within it; when it does not, the caller sleeps anyway, and the
 * watch cost a few microseconds of a processor and, the scheduler counting
 * them, a later start when the wake-up comes.  So a wait that slept long
 * halves the next watch (down to none), and one that ended within
 * QUEUE_WATCH_NS, watching or asleep, restores it: a busy queue watches, an
 * idle one sleeps at once and is woken nearly as fast as on a bare futex.
 */
static void watch_learn(struct shmheap_queue *q, int producer, uint32_t budget,
			uint64_t waited_ns)
{
	uint32_t next = waited_ns < QUEUE_WATCH_NS ? QUEUE_WATCH_NS : budget / 2;
	if (next != budget)
		__atomic_store_n(&q->watch_ns[producer], next, __ATOMIC_RELAXED);
}

static long ms_until(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (deadline->tv_sec - now.tv_sec) * 1000L +
		  (deadline->tv_nsec - now.tv_nsec) / 1000000L;
	if (ms <= 0 &&
	    (deadline->tv_sec > now.tv_sec ||
	     (deadline->tv_sec == now.tv_sec && deadline->tv_nsec > now.tv_nsec)))
		ms = 1; /* less than a millisecond left */
	return ms;
}

/* Counts the caller among the sleepers of word: the sequence it then sleeps
 * on in *seq, or -1 (the queue is sealed or the word damaged). */
static int enlist(struct shmheap_queue *q, uint64_t *word, uint32_t *seq)
{
	uint64_t w = __atomic_load_n(word, __ATOMIC_RELAXED);
	for (;;) {
		uint32_t n = wait_count(q->key, w);
		if (n >= WAIT_COUNT_MAX)
			return -1;
		if (__atomic_compare_exchange_n(word, &w, wait_word(q->key, n + 1, (uint32_t)w),
						false, SEQ_CST, __ATOMIC_RELAXED)) {
			*seq = (uint32_t)w;
			return 0;
		}
	}
}

/* A sleeper whose sequence did not move (its slice ran out, or it did not
 * sleep) takes itself off the count; one whose did was taken off by the
 * waker. */
static void delist(struct shmheap_queue *q, uint64_t *word, uint32_t seq)
{
	uint64_t w = __atomic_load_n(word, __ATOMIC_RELAXED);
	for (;;) {
		uint32_t n = wait_count(q->key, w);
		if ((uint32_t)w != seq || n == 0 || n >= WAIT_COUNT_MAX)
			return;
		if (__atomic_compare_exchange_n(word, &w, wait_word(q->key, n - 1, seq),
						false, SEQ_CST, __ATOMIC_RELAXED))
			return;
	}
}

void ring_wake(struct shmheap_queue *q, uint64_t *word)
{
	uint64_t w = __atomic_load_n(word, SEQ_CST);
	for (;;) {
		uint32_t n = wait_count(q->key, w);
		if (n == 0 || n >= WAIT_COUNT_MAX)
			return;
		if (__atomic_compare_exchange_n(word, &w,
						wait_word(q->key, 0, (uint32_t)w + 1), false,
						SEQ_CST, __ATOMIC_RELAXED))
			break;
	}
	/* Killed here, the sleepers were not woken: each looks again when its
	 * slice (QUEUE_SLICE_MS) runs out, and finds the ring changed. */
	SHMHEAP_KILL_POINT("queue_wake", 1);
	futex(wait_seq(word), FUTEX_WAKE, INT_MAX, NULL);
}

int ring_wait(struct shmheap_queue *q, struct queue_obj *o, int producer,
	      const struct timespec *deadline)
{
	uint32_t budget = __atomic_load_n(&q->watch_ns[producer], __ATOMIC_RELAXED);
	if (watch(q, o, producer, budget)) {
		watch_learn(q, producer, budget, 0);
		return 0;
	}
	uint64_t *word = producer ? &o->prod_wait : &o->cons_wait;
	uint32_t seq;
	if (enlist(q, word, &seq) < 0) {
		/* The ring is sealed before the words: a sealed word of a ring
		 * that is not is damage. */
		struct ring_spot at;
		errno = ring_find(q, o, producer, &at) == RING_GONE || !ring_queue(q)
				? EIDRM
				: EUCLEAN;
		return -1;
	}
	SHMHEAP_KILL_POINT("queue_wait", 1);
	/* Counted before this look: a call that fills (empties) a slot after
	 * it sees the count and wakes us. */
	if (!blocked(q, o, producer) || !ring_queue(q)) {
		delist(q, word, seq);
		return 0;
	}
	long ms = deadline ? ms_until(deadline) : QUEUE_SLICE_MS;
	if (ms <= 0) {
		delist(q, word, seq);
		errno = ETIMEDOUT;
		return -1;
	}
	if (ms > QUEUE_SLICE_MS)
		ms = QUEUE_SLICE_MS;
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L}, slept;
	clock_gettime(CLOCK_MONOTONIC, &slept);
	long r = futex(wait_seq(word), FUTEX_WAIT, seq, &t);
	int err = errno;
	watch_learn(q, producer, budget, ns_since(&slept));
	delist(q, word, seq);
	if (r < 0 && err == EINTR) {
		errno = EINTR;
		return -1;
	}
	return 0;
}

void ring_seal(struct shmheap_heap *h, struct queue_obj *o, uint64_t cap,
	       void (*release)(struct shmheap_heap *h, heap_off obj, void *arg), void *arg)
{
	for (uint64_t i = 0; i < cap; i++) {
		uint64_t *slot = &o->ring[i];
		uint64_t s = __atomic_load_n(slot, SEQ_CST);
		for (;;) {
			if (s == SLOT_SEALED)
				break;
			if (!slot_unit(s)) {
				if (__atomic_compare_exchange_n(slot, &s, SLOT_SEALED, false,
								SEQ_CST, SEQ_CST))
					break;
				continue;
			}
			/* Held first, so that no consumer takes what is freed. */
			if (!(s & SLOT_PENDING) &&
			    !__atomic_compare_exchange_n(slot, &s, s | SLOT_PENDING, false,
							 SEQ_CST, SEQ_CST))
				continue;
			release(h, unit_to_off(slot_unit(s)), arg);
			__atomic_store_n(slot, SLOT_SEALED, SEQ_CST);
			break;
		}
	}
	uint32_t key = o->key;
	__atomic_store_n(&o->tail, 0, SEQ_CST);
	__atomic_store_n(&o->head, 0, SEQ_CST);
	uint64_t *words[2] = {&o->cons_wait, &o->prod_wait};
	for (int i = 0; i < 2; i++) {
		uint32_t seq = (uint32_t)__atomic_load_n(words[i], SEQ_CST) + 1;
		__atomic_store_n(words[i], wait_word(key, WAIT_SEALED, seq), SEQ_CST);
		futex(wait_seq(words[i]), FUTEX_WAKE, INT_MAX, NULL);
	}
}
