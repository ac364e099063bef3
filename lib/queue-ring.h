/* SPDX-License-Identifier: MIT */
/*
 * queue-ring.h - a queue's ring and waits without the heap lock
 * (queue-ring.c); the protocol and its argument are atop queue.c.
 */
#ifndef SHMHEAP_QUEUE_RING_H
#define SHMHEAP_QUEUE_RING_H

#include <time.h>

#include "queue.h"

/* The position a call acts on: its number, its slot's index, and the word
 * the slot held when found. */
struct ring_spot {
	uint64_t pos, index, seen;
};

/* What ring_find found at the position a call would act on. */
enum ring_state {
	RING_READY,   /* the slot may be changed: *at says which */
	RING_BLOCKED, /* full (producer) or empty (consumer) */
	RING_HELD,    /* a call holding the heap lock is moving the slot */
	RING_GONE,    /* the ring is sealed: the queue was destroyed */
	RING_BAD,     /* the words contradict each other */
};

/* The queue q opened, read without the lock, or NULL with errno EIDRM: the
 * block word must be that of a live block of the size and tag found at
 * open, and the magic, id and capacity the same. */
HIDDEN struct queue_obj *ring_queue(struct shmheap_queue *q);
/* The position a producer (consumer) of q acts on: RING_READY with it in
 * *at; the hint is moved on past positions already done ("helping"). */
HIDDEN enum ring_state ring_find(struct shmheap_queue *q, struct queue_obj *o,
				 int producer, struct ring_spot *at);
/* Moves the hint at word from position p to p + 1 (if it still says p). */
HIDDEN void ring_advance(struct shmheap_queue *q, uint64_t *word, uint64_t p);
/* Wakes the sleepers of a wait word (cons_wait, prod_wait) if it counts
 * any; a push wakes consumers, a pop producers. */
HIDDEN void ring_wake(struct shmheap_queue *q, uint64_t *word);
/* A producer's (consumer's) wait for the ring to change: watches it for a
 * moment, then sleeps on its side's word until woken, the deadline (NULL:
 * none), or a slice of QUEUE_SLICE_MS.  0: look again; -1 with errno
 * (ETIMEDOUT, EINTR, EIDRM). */
HIDDEN int ring_wait(struct shmheap_queue *q, struct queue_obj *o, int producer,
		     const struct timespec *deadline);
/* destroy, under the lock: every word a call changes without the lock gets
 * a value no call expects, and sleepers are woken (cap: the capacity, as
 * checked by the caller).  Each queued object is
 * given to release (after the slot is marked held), then its slot sealed. */
HIDDEN void ring_seal(struct shmheap_heap *h, struct queue_obj *o, uint64_t cap,
		      void (*release)(struct shmheap_heap *h, heap_off obj, void *arg),
		      void *arg);

#endif /* SHMHEAP_QUEUE_RING_H */
