/* SPDX-License-Identifier: MIT */
/*
 * queue.h - queues of handles (shmheap_queue_*): a layer over the heap, its
 * names directory and its intent log.
 *
 * A queue is one block of the heap, named in the directory:
 *
 *   +-------+----+----------+------+------+-----------+----------+---------+----------
 *   | magic | id | capacity | head | tail | not_empty | not_full | waiting | ring ...
 *   +-------+----+----------+------+------+-----------+----------+---------+----------
 *
 * head and tail count the handles taken and put since the queue was made;
 * the ring holds tail - head of them, the oldest at ring[head % capacity].
 * Every call changes the queue under the heap lock, so that a process killed
 * anywhere leaves it as the last call it completed left it: no position is
 * ever claimed by a process that may die.  A plain push commits with its
 * store of tail, a plain pop with its store of head.  push_from and pop_into
 * also change a slot: both stores are logged in the heap's intent log
 * (ext.h), with the position the call found, and the repair completes or
 * rolls back the call (queue-repair.c).
 *
 * Waiting sleeps outside the lock on a futex word of the queue: consumers on
 * not_empty, producers on not_full.  A waiter sets its bit in waiting before
 * it sleeps; a call that makes room or puts a handle clears the bit, bumps the
 * word and wakes every sleeper of that word.  A waiter killed in its sleep
 * leaves only a bit that costs the next call one needless wake-up.
 *
 * The magic is keyed by the heap's seed and the block's offset; the id is
 * drawn at creation.  Every call checks, under the lock, that the block a
 * process's handle names is still live and still holds that queue; a
 * destroyed queue (its block freed or reused) answers EIDRM.
 */
#ifndef SHMHEAP_QUEUE_H
#define SHMHEAP_QUEUE_H

#include "ext.h"
#include "names.h"
#include "view.h"

struct queue_obj {
	uint64_t magic;	    /* queue_magic(seed, object offset) */
	uint64_t id;	    /* drawn at creation; never 0 */
	uint64_t capacity;  /* slots of the ring, fixed */
	uint64_t head;	    /* handles taken since creation */
	uint64_t tail;	    /* handles put since creation */
	uint32_t not_empty; /* futex word of waiting consumers */
	uint32_t not_full;  /* futex word of waiting producers */
	uint32_t waiting;   /* QUEUE_WAIT_* bits */
	uint32_t reserved;
	uint64_t ring[];
};

#define QUEUE_WAIT_CONSUMER 0x1u
#define QUEUE_WAIT_PRODUCER 0x2u
/* The largest capacity: the ring must fit a heap. */
#define QUEUE_MAX_CAPACITY ((uint64_t)1 << 31)

static inline uint64_t queue_magic(uint32_t seed, heap_off obj)
{
	return mix64(obj ^ ((uint64_t)seed << 29) ^ 0x5155455545485153ull);
}

/* The bytes of a queue of capacity slots (its object's size). */
static inline uint64_t queue_bytes(uint64_t capacity)
{
	return sizeof(struct queue_obj) + capacity * sizeof(uint64_t);
}

/* A process's handle on a queue, with what every call checks the queue's
 * block against (computed once: the block's size and tag, the magic). */
struct shmheap_queue {
	struct shmheap_heap *mem;
	heap_off obj;	   /* the queue's object offset */
	uint64_t id;	   /* the queue it opened */
	uint64_t capacity; /* as read at open */
	uint64_t size;	   /* of its block */
	uint32_t tag;	   /* of its block, live */
	uint64_t magic;
};

/* queue-repair.c, from the repair of the intent log (ext.c), under the lock:
 * finishes a killed queue call of the log's entry in. */
HIDDEN void queue_finish(struct shmheap_heap *h, const struct heap_intent *in);
/* The queue whose object is at obj, if one is there: its queued objects are
 * freed, then its block (cleared in-use bits, as the repair frees). */
HIDDEN void queue_repair_free(struct shmheap_heap *h, heap_off obj);
/* queue-check.c: verifies every queue named in the directory of the view. */
HIDDEN void queue_verify(const struct heap_view *v, heap_problem_fn fn, void *arg);
/* 1 when the object at obj is a queue as the view shows it (a live block of
 * its size that carries the queue magic), its header copied into *q (each
 * field read once); else 0. */
HIDDEN int queue_view_obj(const struct heap_view *v, heap_off obj, struct queue_obj *q);

#endif /* SHMHEAP_QUEUE_H */
