/* SPDX-License-Identifier: MIT */
/*
 * queue.c - shmheap_queue_*: bounded queues of handles in the heap (the
 * block's layout is in queue.h, the ring's steps in queue-ring.c).
 *
 * The protocol.  A position of the queue is taken by no one: each slot word
 * says itself what state its position is in, {lap, empty} or {lap, object},
 * and a call changes it by one 64-bit compare-and-swap on that word alone:
 *
 *   push  {L, 0}   -> {L, obj}     where L is the lap of the tail's position
 *   pop   {L, obj} -> {L + 1, 0}   where L is the lap of the head's position
 *
 * The head and tail words are hints: a producer acts on the slot of the
 * tail's position and a consumer on the head's, and whoever finds that
 * position already done moves the hint on by one (a compare-and-swap from
 * the value it read), whether it did the position or not.  A producer fills
 * only the position the tail names, and the tail passes a position only when
 * its slot was seen filled, so positions fill in order, and (alike) empty in
 * order: the ring is a FIFO of all its producers together, and so per
 * producer.  A hint lags its slots by one position at most.
 *
 * Kills.  A call commits with its compare-and-swap; before it, it changed
 * nothing but hints, after it, what is left (moving the hint, waking the
 * other side) anyone does.  So a process killed at any instruction of a
 * plain push or pop leaves the whole call done or none of it, and no
 * position is claimed by anyone: nothing can stay stuck.  What a kill can
 * lose is the handle in the caller's hands: the one a pop took and had not
 * returned, the one a push was given.  push_from and pop_into take the heap
 * lock (so that the intent log has one writer) and move the slot in two
 * steps: {L, obj} and {L, 0} become {L, obj} held (the top bit, P), then the
 * caller's slot is stored, then the ring's slot takes its next state.  Only
 * the holder of the heap lock makes or ends a held slot; a plain call that
 * meets one takes the lock (which a dead holder's repair frees) and looks
 * again.  The repair judges a killed call by the ring's slot at the logged
 * index alone: held, with the logged object, the call is rolled forward;
 * otherwise it either never moved the ring or finished (queue-repair.c).
 *
 * ABA.  A slot's word returns to a value only after 2^31 laps of the ring (a
 * lap field of 31 bits), so a compare-and-swap from a copy read before the
 * slot moved fails unless the caller slept through 2^31 laps; and even then
 * the slot it changes is in the very state it expects, at the head's (or
 * tail's) position of the present lap, so the call is still a correct push
 * or pop.  Hints are 64-bit counters and never return to a value.
 *
 * Destruction.  shmheap_queue_destroy runs under the lock, while plain calls
 * of other processes may be between their reads and their compare-and-swap.
 * It first seals the ring: every empty slot becomes SLOT_SEALED, every full
 * one held, then its object is freed, then the slot sealed; then the hints
 * and wait words get values no call expects, sleepers are woken, the magic
 * is cleared and the block freed.  A call that had read a word before the
 * seal fails its compare-and-swap (the word changed), looks again, and
 * finds the seal or the block gone: EIDRM.  A handle pushed before the seal
 * is freed with the queue, as documented; one whose push failed stays the
 * caller's.  What is left is a call that read its words before the seal and
 * does its compare-and-swap after the block was freed, reused, and written
 * with the very value it expects.  Every word a call changes without the
 * lock carries bits drawn when the queue was made: a slot word 31 bits of
 * lap + key, a hint 64 bits (the counter xor a key), a wait word 32 bits
 * (the count xor the key), and the call goes on only if two of these words
 * agree (the slot's lap with the hint's position).  The new owner would
 * have to write, at that offset, the value this queue's word had, drawn at
 * random: a chance of 2^-31 at most, for a call that stalled through the
 * whole destruction and reuse.  FUTEX_WAKE writes nothing.
 *
 * Validation.  The queue is checked at each attempt by its block word (read
 * once: live, of the size and tag seen at open), magic, id and capacity; the
 * handle pushed by its block word (read once: live, tag of its offset and
 * size), the object's first word (no queue's magic) and the record's and
 * table's offsets, without the lock.  A handle freed by another process
 * while it is pushed is the caller's race, as with any use after free.
 *
 * Waiting: the call watches the ring for a few microseconds, then counts
 * itself in its side's wait word (consumers in cons_wait, producers in
 * prod_wait), looks at the ring again and sleeps on the word's sequence
 * half (FUTEX_WAIT, shared).  A call that fills (empties) a slot reads the
 * other side's word after its compare-and-swap, and only if it counts
 * sleepers sets the count to 0, bumps the sequence and wakes them all: a
 * busy queue makes no system call.  Both sides use sequentially consistent
 * operations, so either the sleeper sees the slot or the waker the count.
 * A sleeper killed leaves one count, which costs the next call one needless
 * wake-up; a waker killed before its FUTEX_WAKE leaves sleepers who look
 * again when their slice (a second) ends; a sleeper whose slice ran out
 * takes itself off the count.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "inspect.h"
#include "lock.h"
#include "queue-ring.h"

enum queue_call { CALL_PUSH, CALL_POP, CALL_PUSH_FROM, CALL_POP_INTO };

/* A queue's identity: random, else from the clock; never 0. */
static uint64_t draw_id(heap_off obj)
{
	uint64_t id = 0;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id)) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		id = mix64((uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec) ^
		     mix64(obj ^ (uint64_t)getpid());
	}
	return id ? id : 1;
}

static struct queue_obj *obj_at(struct shmheap_heap *h, heap_off obj)
{
	return (struct queue_obj *)(void *)(h->base + obj);
}

/* Under the lock: the version of the queue at obj when a live block there
 * holds one of either version (its capacity in *cap, as checked against the
 * block), else 0. */
static unsigned queue_at(struct shmheap_heap *h, heap_off obj, uint64_t *cap)
{
	heap_off blk = obj ? block_of_object(h, h->base + obj) : 0;
	if (!blk)
		return 0;
	uint64_t room = bw_size(*block_word(h->base, blk)) - HEAP_UNIT;
	struct queue_obj *o = obj_at(h, obj);
	if (room < sizeof(struct queue_obj_v1))
		return 0;
	uint64_t magic = __atomic_load_n(&o->magic, __ATOMIC_ACQUIRE);
	uint64_t c = o->capacity;
	if (!c || c > QUEUE_MAX_CAPACITY)
		return 0;
	*cap = c;
	if (magic == queue_magic(h->seed, obj, 1))
		return queue_v1_bytes(c) <= room ? 1 : 0;
	if (magic == queue_magic(h->seed, obj, QUEUE_VERSION) && queue_bytes(c) <= room &&
	    o->version == QUEUE_VERSION)
		return QUEUE_VERSION;
	return 0;
}

/* The object offsets of the record and of the names table, as the header
 * and the record say, for a comparison only (0: none). */
static void own_blocks(struct shmheap_heap *h, heap_off *rec, heap_off *table)
{
	*rec = *table = 0;
	if (!(__atomic_load_n(&h->hdr->flags, __ATOMIC_ACQUIRE) & HEAP_FLAG_EXT))
		return;
	*rec = unit_to_off(__atomic_load_n(&h->hdr->created, __ATOMIC_RELAXED));
	if (*rec < HEAP_FIRST_OBJECT ||
	    *rec > heap_size_bytes(h->hdr) - sizeof(struct heap_ext) ||
	    *rec + sizeof(struct heap_ext) > heap_mapped_bytes(h))
		return;
	const struct heap_ext *x = (const void *)(h->base + *rec);
	*table = __atomic_load_n(&x->table, __ATOMIC_RELAXED) & EXT_TABLE_OFF_MASK;
}

/* The object offset of a handle that may be queued: a live object of this
 * heap that is neither a queue nor the library's record or names table.
 * Without the lock: its block word is read once, as block_of_object would
 * check it; an object beyond this process's mapping is looked at again
 * under the lock, which maps what the heap grew by. */
static heap_off queueable(struct shmheap_heap *h, uint64_t value, int locked)
{
	heap_off obj = handle_off(h->seed, value), blk = obj - HEAP_UNIT, rec, table;
	uint64_t end = heap_size_bytes(h->hdr);
	if (obj < HEAP_FIRST_OBJECT || obj % HEAP_UNIT || obj >= end)
		goto bad;
	if (obj + HEAP_UNIT > heap_mapped_bytes(h)) {
		if (locked)
			goto bad; /* the lock mapped all there is */
		if (heap_lock_brief(h) < 0)
			return 0;
		obj = queueable(h, value, 1);
		int err = errno;
		heap_unlock_brief(h);
		errno = err;
		return obj;
	}
	uint64_t bw = __atomic_load_n(block_word(h->base, blk), __ATOMIC_ACQUIRE);
	uint64_t size = bw_size(bw);
	if (!(bw & BW_IN_USE) || size < BLOCK_MIN || size > end - blk ||
	    bw_tag(bw) != block_tag(h->seed, blk, size))
		goto bad;
	/* No queue, of either version, fits a smaller block. */
	if (size >= HEAP_UNIT + queue_v1_bytes(1)) {
		uint64_t first = __atomic_load_n(
			(const uint64_t *)(const void *)(h->base + obj), __ATOMIC_RELAXED);
		if (first == queue_magic(h->seed, obj, QUEUE_VERSION) ||
		    first == queue_magic(h->seed, obj, 1))
			goto bad;
	}
	own_blocks(h, &rec, &table);
	if (obj == rec || obj == table)
		goto bad;
	return obj;
bad:
	errno = EINVAL;
	return 0;
}

/* A slot that may take part in push_from or pop_into: not inside the queue. */
static heap_off slot_for(struct shmheap_queue *q, const shmheap_object_handle *slot)
{
	heap_off sblk;
	heap_off soff = ext_slot_offset(q->mem, slot, &sblk);
	if (soff && sblk + HEAP_UNIT == q->obj) {
		errno = EINVAL;
		return 0;
	}
	return soff;
}

/* The errno of a ring found in state r, which is neither ready nor blocked. */
static int ring_errno(struct shmheap_queue *q, enum ring_state r)
{
	if (r == RING_GONE || !ring_queue(q))
		return EIDRM;
	return EUCLEAN;
}

/*
 * A plain push (of the object whose unit is unit) or pop (into *arg),
 * without the lock: 0 done, 1 the queue is full or empty, -1 with errno set.
 */
static int plain_once(struct shmheap_queue *q, struct queue_obj *o, int producer,
		      shmheap_object_handle *arg, uint32_t unit)
{
	struct shmheap_heap *h = q->mem;
	for (;;) {
		struct ring_spot at;
		enum ring_state r = ring_find(q, o, producer, &at);
		if (r == RING_BLOCKED)
			return 1;
		if (r == RING_HELD) {
			/* A call under the lock is moving the slot: its end, or
			 * the repair of its death, comes with the lock. */
			if (heap_lock_brief(h) < 0)
				return -1;
			r = ring_queue(q) ? ring_find(q, o, producer, &at) : RING_GONE;
			heap_unlock_brief(h);
			if (r == RING_READY || r == RING_BLOCKED)
				continue;
		}
		if (r != RING_READY) {
			errno = ring_errno(q, r);
			return -1;
		}
		uint64_t seen = at.seen;
		uint64_t next = producer ? seen | unit : slot_make(slot_lap(seen) + 1, 0);
		if (!__atomic_compare_exchange_n(&o->ring[at.index], &seen, next, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			continue;
		if (!producer)
			arg->value = handle_of(h->seed, unit_to_off(slot_unit(seen)));
		SHMHEAP_KILL_POINT(producer ? "queue_push" : "queue_pop", 1);
		ring_advance(q, producer ? &o->tail : &o->head, at.pos);
		SHMHEAP_KILL_POINT(producer ? "queue_push" : "queue_pop", 2);
		ring_wake(q, producer ? &o->cons_wait : &o->prod_wait);
		return 0;
	}
}

/*
 * push_from or pop_into, under the lock: 0 done (*wake: the wait word whose
 * sleepers to wake), 1 the queue is full or empty, -1 with errno set.  The
 * log names the ring's index before the slot is held, so that the repair
 * looks there (queue-repair.c).
 */
static int logged_once(struct shmheap_queue *q, struct queue_obj *o, int producer,
		       shmheap_object_handle *arg, uint64_t **wake)
{
	struct shmheap_heap *h = q->mem;
	const char *call = producer ? "queue_push_from" : "queue_pop_into";
	(void)call; /* by the kill points of the test build alone */
	heap_off soff = slot_for(q, arg), obj = 0;
	if (!soff)
		return -1;
	uint64_t value = __atomic_load_n(&arg->value, __ATOMIC_ACQUIRE);
	if (producer && !(obj = queueable(h, value, 1)))
		return -1;
	if (!producer && value) {
		errno = EINVAL; /* the slot must be empty */
		return -1;
	}
	struct heap_ext *x = ext_get(h);
	if (!x)
		return -1;
	for (;;) {
		struct ring_spot at;
		enum ring_state r = ring_find(q, o, producer, &at);
		if (r == RING_BLOCKED)
			return 1;
		if (r != RING_READY) {
			errno = ring_errno(q, r); /* held: no one else holds the lock */
			return -1;
		}
		uint64_t seen = at.seen, *slot = &o->ring[at.index];
		uint64_t held = seen | SLOT_PENDING | (producer ? off_to_unit(obj) : 0);
		uint64_t handle =
			producer ? value : handle_of(h->seed, unit_to_off(slot_unit(seen)));
		x->intent.pos = (uint32_t)at.index;
		ext_begin(x, producer ? INTENT_QUEUE_PUSH : INTENT_QUEUE_POP, q->obj, soff,
			  handle);
		SHMHEAP_KILL_POINT(call, 1);
		if (!__atomic_compare_exchange_n(slot, &seen, held, false, __ATOMIC_SEQ_CST,
						 __ATOMIC_RELAXED)) {
			ext_end(x);
			continue;
		}
		SHMHEAP_KILL_POINT(call, 2);
		__atomic_store_n(&arg->value, producer ? 0 : handle, __ATOMIC_RELEASE);
		SHMHEAP_KILL_POINT(call, 3);
		__atomic_store_n(slot,
				 producer ? held & ~SLOT_PENDING
					  : slot_make(slot_lap(seen) + 1, 0),
				 __ATOMIC_SEQ_CST);
		SHMHEAP_KILL_POINT(call, 4);
		ext_end(x);
		ring_advance(q, producer ? &o->tail : &o->head, at.pos);
		*wake = producer ? &o->cons_wait : &o->prod_wait;
		return 0;
	}
}

static int locked_once(struct shmheap_queue *q, int producer, shmheap_object_handle *arg,
		       struct queue_obj **o)
{
	struct shmheap_heap *h = q->mem;
	if (heap_lock_brief(h) < 0)
		return -1;
	uint64_t *wake = NULL;
	*o = ring_queue(q);
	int ret = *o ? logged_once(q, *o, producer, arg, &wake) : -1;
	int err = errno;
	heap_debug_verify(h, "shmheap_queue");
	heap_unlock_brief(h);
	if (wake)
		ring_wake(q, wake);
	errno = err;
	return ret;
}

static int queue_call_ring(struct shmheap_queue *q, enum queue_call call,
			   shmheap_object_handle *arg, int timeout_ms)
{
	if (!q || !arg) {
		errno = EINVAL;
		return -1;
	}
	struct shmheap_heap *h = q->mem;
	if (heap_may_change(h) < 0)
		return -1;
	struct timespec deadline;
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	int producer = call == CALL_PUSH || call == CALL_PUSH_FROM;
	int logged = call == CALL_PUSH_FROM || call == CALL_POP_INTO;
	uint32_t unit = 0;
	struct queue_obj *o = logged ? NULL : ring_queue(q);
	if (call == CALL_PUSH) {
		/* EIDRM before any complaint about the handle. */
		heap_off obj = o ? queueable(h, arg->value, 0) : 0;
		if (!obj)
			return -1;
		unit = off_to_unit(obj);
	}
	for (;;) {
		int ret;
		if (logged)
			ret = locked_once(q, producer, arg, &o);
		else
			ret = o ? plain_once(q, o, producer, arg, unit) : -1;
		if (ret <= 0)
			return ret;
		if (timeout_ms == 0) {
			errno = EAGAIN;
			return -1;
		}
		if (ring_wait(q, o, producer, timeout_ms > 0 ? &deadline : NULL) < 0)
			return -1;
		if (!logged)
			o = ring_queue(q);
	}
}

/*
 * A call that met damage (EUCLEAN) marks the heap, as the calls under the
 * lock do (heap_end_call), so that later connects refuse it; the plain calls
 * met it without the lock, and the mark needs none.
 */
static int queue_call(struct shmheap_queue *q, enum queue_call call,
		      shmheap_object_handle *arg, int timeout_ms)
{
	int ret = queue_call_ring(q, call, arg, timeout_ms);
	if (ret < 0 && errno == EUCLEAN)
		heap_flag_damaged(q->mem);
	return ret;
}

EXPORT int shmheap_queue_push(shmheap_queue *q, shmheap_object_handle h, int timeout_ms)
{
	return queue_call(q, CALL_PUSH, &h, timeout_ms);
}

EXPORT int shmheap_queue_pop(shmheap_queue *q, shmheap_object_handle *h, int timeout_ms)
{
	return queue_call(q, CALL_POP, h, timeout_ms);
}

EXPORT int shmheap_queue_push_from(shmheap_queue *q, shmheap_object_handle *slot,
				   int timeout_ms)
{
	return queue_call(q, CALL_PUSH_FROM, slot, timeout_ms);
}

EXPORT int shmheap_queue_pop_into(shmheap_queue *q, shmheap_object_handle *slot,
				  int timeout_ms)
{
	return queue_call(q, CALL_POP_INTO, slot, timeout_ms);
}

/* The queue named name, under the lock: its object offset (its version in
 * *version), or 0 with errno ENOENT (no such name) or EINVAL (the name
 * names something else). */
static heap_off find_queue(struct shmheap_heap *h, const char *name, size_t len,
			   heap_off *entry, heap_off *tslot, unsigned *version)
{
	struct heap_ext *x = ext_find(h);
	uint64_t handle, cap;
	heap_off e, s = x ? names_find(h, x, name, len, &e, &handle) : 0;
	if (!s)
		return 0;
	heap_off obj = handle_off(h->seed, handle);
	if (!(*version = queue_at(h, obj, &cap))) {
		errno = EINVAL;
		return 0;
	}
	if (entry)
		*entry = e;
	if (tslot)
		*tslot = s;
	return obj;
}

/* The checks every call that takes a name makes first. */
static ssize_t name_call(shmheap_memory_handle mem, const char *name)
{
	ssize_t len = names_length(name);
	if (len < 0 || heap_may_change(mem) < 0)
		return -1;
	return len;
}

static void unlock_keep_errno(struct shmheap_heap *h, const char *call)
{
	int err = errno;
	heap_debug_verify(h, call);
	heap_unlock(h);
	errno = err;
}

/* A new queue's words, the magic last. */
static void init_queue(struct shmheap_heap *h, heap_off obj, uint64_t capacity)
{
	struct queue_obj *o = obj_at(h, obj);
	memset(o, 0, sizeof(*o));
	o->id = draw_id(obj);
	o->capacity = capacity;
	o->version = QUEUE_VERSION;
	o->key = (uint32_t)(mix64(o->id) & SLOT_LAP_MASK) | 1;
	uint64_t hint = queue_hint_key(o->id);
	o->tail = o->head = hint; /* position 0 */
	o->cons_wait = o->prod_wait = (uint64_t)o->key << 32; /* none asleep */
	for (uint64_t i = 0; i < capacity; i++)
		o->ring[i] = slot_make(o->key, 0); /* lap 0, empty */
	__atomic_store_n(&o->magic, queue_magic(h->seed, obj, QUEUE_VERSION),
			 __ATOMIC_RELEASE);
}

/* Makes the queue's block and names it, one logged operation (queue.h). */
static heap_off make_queue(struct shmheap_heap *h, const char *name, size_t len,
			   uint64_t capacity)
{
	struct heap_ext *x = ext_get(h);
	if (!x || names_reserve(h, x, name, len) < 0)
		return 0;
	uint64_t need = block_need(queue_bytes(capacity));
	heap_off blk = need ? ext_predict(h, need) : 0;
	if (!blk) {
		if (!need)
			errno = ENOMEM;
		return 0;
	}
	ext_begin(x, INTENT_QUEUE_CREATE, 0, 0, blk);
	SHMHEAP_KILL_POINT("queue_create", 1);
	if (ext_alloc_predicted(h, need, blk) < 0) {
		ext_end(x);
		return 0;
	}
	heap_off obj = blk + HEAP_UNIT;
	init_queue(h, obj, capacity);
	SHMHEAP_KILL_POINT("queue_create", 2);
	if (names_link(h, x, name, len, handle_of(h->seed, obj), INTENT_QUEUE_CREATE,
		       "queue_name") < 0) {
		int err = errno;
		block_free(h, blk);
		ext_end(x);
		errno = err;
		return 0;
	}
	ext_end(x);
	return obj;
}

static shmheap_queue *handle_on(struct shmheap_queue *q, struct shmheap_heap *h,
				heap_off obj)
{
	struct queue_obj *o = obj_at(h, obj);
	uint64_t bw = *block_word(h->base, obj - HEAP_UNIT);
	*q = (struct shmheap_queue){
		.mem = h,
		.obj = obj,
		.id = o->id,
		.capacity = o->capacity,
		.size = bw_size(bw),
		.tag = bw_tag(bw),
		.key = o->key,
		.magic = o->magic,
		.hint_key = queue_hint_key(o->id),
		.recip = UINT64_MAX / o->capacity,
		.watch_ns = {QUEUE_WATCH_NS, QUEUE_WATCH_NS},
	};
	return q;
}

/* A new handle on the queue called name: made first when create, found
 * otherwise.  A queue of libshmheap 0.4.0 is refused with EPROTO. */
static shmheap_queue *queue_handle_new(shmheap_memory_handle mem, const char *name,
				       size_t capacity, bool create)
{
	ssize_t len = name_call(mem, name);
	if (len < 0)
		return NULL;
	if (create && (capacity == 0 || capacity > QUEUE_MAX_CAPACITY)) {
		errno = EINVAL;
		return NULL;
	}
	struct shmheap_queue *q = malloc(sizeof(*q));
	if (!q)
		return NULL;
	if (heap_lock(mem) < 0) {
		free(q);
		return NULL;
	}
	unsigned version = QUEUE_VERSION;
	heap_off obj = create ? make_queue(mem, name, (size_t)len, capacity)
			      : find_queue(mem, name, (size_t)len, NULL, NULL, &version);
	if (obj && version != QUEUE_VERSION) {
		obj = 0;
		errno = EPROTO;
	}
	if (obj)
		handle_on(q, mem, obj);
	unlock_keep_errno(mem, create ? "shmheap_queue_create" : "shmheap_queue_open");
	if (!obj) {
		free(q);
		return NULL;
	}
	return q;
}

EXPORT shmheap_queue *shmheap_queue_create(shmheap_memory_handle mem, const char *name,
					   size_t capacity)
{
	return queue_handle_new(mem, name, capacity, true);
}

EXPORT shmheap_queue *shmheap_queue_open(shmheap_memory_handle mem, const char *name)
{
	return queue_handle_new(mem, name, 0, false);
}

EXPORT int shmheap_queue_close(shmheap_queue *q)
{
	if (!q) {
		errno = EINVAL;
		return -1;
	}
	free(q);
	return 0;
}

/* Frees a queued object (an object freed meanwhile is not freed again; one
 * whose free through a cache wins the race stays freed once). */
static void release_queued(struct shmheap_heap *h, heap_off at, void *arg)
{
	heap_off self = *(const heap_off *)arg;
	heap_off blk = at ? block_of_object(h, h->base + at) : 0;
	if (blk && blk + HEAP_UNIT != self)
		(void)block_release(h, blk);
	SHMHEAP_KILL_POINT("queue_destroy", 4);
}

/* A queue of version 1: the objects it holds, oldest first. */
static void release_v1(struct shmheap_heap *h, heap_off obj, uint64_t cap)
{
	struct queue_obj_v1 *o = (struct queue_obj_v1 *)(void *)(h->base + obj);
	/* Its sleepers (processes of 0.4.0) wake and find it gone. */
	__atomic_store_n(&o->not_empty, o->not_empty + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&o->not_full, o->not_full + 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &o->not_empty, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	syscall(SYS_futex, &o->not_full, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	uint64_t tail = o->tail;
	if (tail - o->head > cap)
		tail = o->head; /* damaged: its handles are not trusted */
	for (uint64_t head = o->head; head != tail; head++) {
		release_queued(h, handle_off(h->seed, o->ring[head % cap]), &obj);
		__atomic_store_n(&o->head, head + 1, __ATOMIC_RELEASE);
	}
}

EXPORT int shmheap_queue_destroy(shmheap_memory_handle mem, const char *name)
{
	ssize_t len = name_call(mem, name);
	if (len < 0)
		return -1;
	if (heap_lock(mem) < 0)
		return -1;
	int ret = -1;
	heap_off entry, tslot;
	unsigned version;
	uint64_t cap;
	heap_off obj = find_queue(mem, name, (size_t)len, &entry, &tslot, &version);
	struct heap_ext *x = obj ? ext_find(mem) : NULL;
	if (x) {
		struct queue_obj *o = obj_at(mem, obj);
		queue_at(mem, obj, &cap);
		ext_begin(x, INTENT_QUEUE_DESTROY, entry, tslot, obj - HEAP_UNIT);
		names_unlink(mem, x, tslot, entry, "queue_destroy");
		if (version == QUEUE_VERSION)
			ring_seal(mem, o, cap, release_queued, &obj);
		else
			release_v1(mem, obj, cap);
		__atomic_store_n(&o->magic, 0, __ATOMIC_RELEASE);
		SHMHEAP_KILL_POINT("queue_destroy", 5);
		block_free(mem, obj - HEAP_UNIT);
		ext_end(x);
		ret = 0;
	}
	unlock_keep_errno(mem, "shmheap_queue_destroy");
	return ret;
}
