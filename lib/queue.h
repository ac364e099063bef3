/* SPDX-License-Identifier: MIT */
/*
 * queue.h - queues of handles (shmheap_queue_*): a layer over the heap, its
 * names directory and its intent log.  The protocol, and why it is safe, is
 * told atop queue.c.
 *
 * A queue is one block of the heap, named in the directory.  Its words, by
 * byte offset in the object (the three groups are 64 bytes apart, so that the
 * producers' words, the consumers' and the ring never share a cache line):
 *
 *     0  magic      queue_magic(seed, object offset, QUEUE_VERSION)
 *     8  id         drawn at creation; never 0
 *    16  capacity   slots of the ring, fixed
 *    24  version    QUEUE_VERSION;  key: 31 bits drawn at creation
 *    64  tail       a hint: positions filled, xor queue_hint_key(id)
 *    72  cons_wait  consumers asleep: (count ^ key) << 32 | futex sequence
 *   128  head       a hint: positions emptied, xor queue_hint_key(id)
 *   136  prod_wait  producers asleep, as cons_wait
 *   192  ring       capacity slot words
 *
 * Position p of the queue (p = 0, 1, ...) lives in slot p % capacity during
 * lap p / capacity.  A slot word is
 *
 *   63    62            32 31                 0
 *   +---+-----------------+--------------------+
 *   | P | lap + key (31)  | unit offset of the  |
 *   |   |                 | object, 0: empty    |
 *   +---+-----------------+--------------------+
 *
 * and a slot goes {lap, 0} -> {lap, obj} -> {lap + 1, 0}, each by one
 * compare-and-swap of the word.  P marks a slot a call holding the heap lock
 * is moving (push_from, pop_into, destroy): no other call changes such a
 * word.  A sealed slot (P with no object) belongs to a destroyed queue.
 * push_from and pop_into log the index of the slot they hold in the intent's
 * pos (for a queue of version 1 it held the low 32 bits of a counter).
 *
 * The queues made by libshmheap 0.4.0 had another layout (struct
 * queue_obj_v1: counters under the heap lock, a ring of handles), told by
 * their magic (version 1).  They are not opened (EPROTO) but can be
 * destroyed, and the repair still ends a killed destruction of one.
 */
#ifndef SHMHEAP_QUEUE_H
#define SHMHEAP_QUEUE_H

#include "ext.h"
#include "names.h"
#include "view.h"

#define QUEUE_VERSION 2u

struct queue_obj {
	uint64_t magic;
	uint64_t id;
	uint64_t capacity;
	uint32_t version;
	uint32_t key;
	uint64_t reserved0[4];
	uint64_t tail;
	uint64_t cons_wait;
	uint64_t reserved1[6];
	uint64_t head;
	uint64_t prod_wait;
	uint64_t reserved2[6];
	uint64_t ring[];
};

_Static_assert(offsetof(struct queue_obj, tail) == 64, "producers' line");
_Static_assert(offsetof(struct queue_obj, head) == 128, "consumers' line");
_Static_assert(offsetof(struct queue_obj, ring) == 192, "the ring's lines");

/* A queue of libshmheap 0.4.0 (version 1): head and tail counted the
 * handles taken and put, the ring held tail - head handles from
 * ring[head % capacity]. */
struct queue_obj_v1 {
	uint64_t magic, id, capacity, head, tail;
	uint32_t not_empty, not_full, waiting, reserved;
	uint64_t ring[];
};

/* The largest capacity: the ring must fit a heap. */
#define QUEUE_MAX_CAPACITY ((uint64_t)1 << 31)

#define SLOT_PENDING (UINT64_C(1) << 63)
#define SLOT_LAP_MASK 0x7fffffffu
#define SLOT_SEALED SLOT_PENDING

static inline uint64_t queue_magic(uint32_t seed, heap_off obj, unsigned version)
{
	return mix64(obj ^ ((uint64_t)seed << 29) ^ 0x5155455545485153ull ^
		     ((uint64_t)(version - 1) << 61));
}

/* What the hints are stored xor'ed with: every word a call changes without
 * the lock holds 31 bits or more drawn at the queue's creation (queue.c). */
static inline uint64_t queue_hint_key(uint64_t id)
{
	return mix64(id ^ 0x48494e544b455953ull) | 1;
}

static inline uint32_t slot_lap(uint64_t s)
{
	return (uint32_t)(s >> 32) & SLOT_LAP_MASK;
}

static inline uint32_t slot_unit(uint64_t s)
{
	return (uint32_t)s;
}

static inline uint64_t slot_make(uint32_t lap, uint32_t unit)
{
	return (uint64_t)(lap & SLOT_LAP_MASK) << 32 | unit;
}

/* The bytes of a queue of capacity slots (its object's size). */
static inline uint64_t queue_bytes(uint64_t capacity)
{
	return sizeof(struct queue_obj) + capacity * sizeof(uint64_t);
}

static inline uint64_t queue_v1_bytes(uint64_t capacity)
{
	return sizeof(struct queue_obj_v1) + capacity * sizeof(uint64_t);
}

/* The longest a waiting call watches the ring before it sleeps. */
#define QUEUE_WATCH_NS 3000u

/* A process's handle on a queue, with what every call checks the queue's
 * block against (computed once: the block's size and tag, the magic) and the
 * keys of its words. */
struct shmheap_queue {
	struct shmheap_heap *mem;
	heap_off obj;	   /* the queue's object offset */
	uint64_t id;	   /* the queue it opened */
	uint64_t capacity; /* as read at open */
	uint64_t size;	   /* of its block */
	uint32_t tag;	   /* of its block, live */
	uint32_t key;	   /* the laps' and counts' key */
	uint64_t magic;
	uint64_t hint_key;
	uint64_t recip; /* UINT64_MAX / capacity: divides without a division */
	/* How long a consumer's (0) and a producer's (1) wait watches the
	 * ring before it sleeps, as the last waits taught (queue-ring.c). */
	uint32_t watch_ns[2];
};

/* queue-repair.c, from the repair of the intent log (ext.c), under the lock:
 * finishes a killed queue call of the log's entry in. */
HIDDEN void queue_finish(struct shmheap_heap *h, const struct heap_intent *in);
/* The queue whose object is at obj, if one is there (of either version): its
 * queued objects are freed, then its block (cleared in-use bits, as the
 * repair frees). */
HIDDEN void queue_repair_free(struct shmheap_heap *h, heap_off obj);
/* queue-inspect.c: verifies every queue named in the directory of the view. */
HIDDEN void queue_verify(const struct heap_view *v, heap_problem_fn fn, void *arg);
/* 1 when the object at obj is a queue as the view shows it (a live block of
 * its size that carries the queue magic), its header copied into *q (each
 * field read once); else 0.  A queue of version 1 counts, its header left
 * zero but for magic, id and capacity. */
HIDDEN int queue_view_obj(const struct heap_view *v, heap_off obj, struct queue_obj *q);

#endif /* SHMHEAP_QUEUE_H */
