/* SPDX-License-Identifier: MIT */
/*
 * queue-inspect.c - the queues as readers see them: shmheap_check's part
 * (queue_verify) and shmheap_queue_walk, both over a view of a heap that may
 * be damaged or changing (ext.h), which they never read past.
 *
 * How many threads sleep in a queue's calls is the kernel's to say: each
 * futex word's sleepers are counted by requeueing them onto the same word
 * (FUTEX_CMP_REQUEUE, waking none), which leaves them asleep where they
 * were.  A count kept in the queue would stay wrong after a waiter is killed.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "connection.h"
#include "inspect.h"
#include "queue.h"

/* Where in a wait word its futex word, the sequence, lies. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SEQ_HALF 0
#else
#define SEQ_HALF 4
#endif

int queue_view_obj(const struct heap_view *v, heap_off obj, struct queue_obj *q)
{
	if (!heap_view_live(v, obj, sizeof(struct queue_obj_v1)))
		return 0;
	uint64_t magic = hr_word_acquire(&v->r, obj);
	if (magic == queue_magic(v->seed, obj, 1)) {
		struct queue_obj_v1 o1;
		hr_read(&v->r, obj, &o1, sizeof(o1));
		*q = (struct queue_obj){.magic = o1.magic, .id = o1.id, .capacity = o1.capacity};
		return q->magic == magic && q->capacity && q->capacity <= QUEUE_MAX_CAPACITY &&
		       heap_view_live(v, obj, queue_v1_bytes(q->capacity));
	}
	if (magic != queue_magic(v->seed, obj, QUEUE_VERSION) ||
	    !heap_view_live(v, obj, sizeof(struct queue_obj)))
		return 0;
	/* The header once: the queue may change meanwhile. */
	hr_read(&v->r, obj, q, sizeof(*q));
	return q->magic == magic && q->capacity && q->capacity <= QUEUE_MAX_CAPACITY &&
	       heap_view_live(v, obj, queue_bytes(q->capacity));
}

struct verify_ctx {
	const struct heap_view *v;
	heap_problem_fn fn;
	void *arg;
};

/* 1 when the word at off still holds s (read again). */
static int unchanged(const struct heap_view *v, heap_off off, uint64_t s)
{
	return hr_word_acquire(&v->r, off) == s;
}

/*
 * The ring changes under the check (plain calls take no lock), so each slot
 * is read once, and a full one whose object is not live (or is a queue) is
 * reported only if it still holds it when read again: a pop and a free in
 * between are no problem.  A held slot is a call under the lock, or a dead
 * one the intent log reports.
 */
static void verify_one(struct verify_ctx *c, heap_off obj)
{
	const struct heap_view *v = c->v;
	uint64_t magic = heap_view_live(v, obj, HEAP_UNIT) ? hr_word(&v->r, obj) : 0;
	if (magic != queue_magic(v->seed, obj, QUEUE_VERSION) &&
	    magic != queue_magic(v->seed, obj, 1))
		return; /* an ordinary name */
	struct queue_obj o, other;
	if (!queue_view_obj(v, obj, &o)) {
		c->fn(obj, "queue's capacity does not fit its block", c->arg);
		return;
	}
	if (o.magic != queue_magic(v->seed, obj, QUEUE_VERSION))
		return; /* of version 1: not opened, not checked */
	if (o.version != QUEUE_VERSION)
		c->fn(obj, "queue's version is unknown", c->arg);
	for (uint64_t i = 0; i < o.capacity; i++) {
		heap_off slot = obj + offsetof(struct queue_obj, ring) + 8 * i;
		uint64_t s = hr_word(&v->r, slot);
		if (s == SLOT_SEALED) {
			c->fn(slot, "queue's ring is sealed but the queue is named", c->arg);
			return;
		}
		if (!slot_unit(s))
			continue;
		heap_off at = unit_to_off(slot_unit(s));
		if (!heap_view_live(v, at, HEAP_UNIT)) {
			if (unchanged(v, slot, s))
				c->fn(slot, "queued handle names no live object", c->arg);
		} else if (queue_view_obj(v, at, &other) && unchanged(v, slot, s)) {
			c->fn(slot, "queued handle names a queue", c->arg);
		}
	}
}

static int verify_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	struct verify_ctx *c = arg;
	(void)name;
	heap_off obj = handle_off(c->v->seed, hdl.value);
	if (obj)
		verify_one(c, obj);
	return 0;
}

void queue_verify(const struct heap_view *v, heap_problem_fn fn, void *arg)
{
	struct verify_ctx c = {v, fn, arg};
	/* A damaged directory is reported by the names' own check. */
	(void)names_view_walk(v, verify_name, &c);
}

/* The threads asleep on the futex word at off of h's mapping, or -1 if the
 * kernel cannot say.  An unlocked connection reads the word with pread, not
 * through the mapping (the object may have been truncated under it: SIGBUS);
 * the kernel's own access then fails EFAULT instead. */
static int sleepers(struct shmheap_heap *h, heap_off off)
{
	uint32_t *word = (uint32_t *)(void *)(h->base + off);
	for (int tries = 0; tries < 16; tries++) {
		uint32_t seen;
		if (!(h->connect_flags & SHMHEAP_CONNECT_UNLOCKED))
			seen = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		else if (h->backing.ops->read(&h->backing, &seen, sizeof(seen), off) < 0)
			return -1;
		long n = syscall(SYS_futex, word, FUTEX_CMP_REQUEUE, 0,
				 (void *)(uintptr_t)INT_MAX, word, seen);
		if (n >= 0)
			return n > INT_MAX ? INT_MAX : (int)n;
		if (errno != EAGAIN)
			return -1;
	}
	return -1;
}

struct walk_ctx {
	struct shmheap_heap *h;
	const struct heap_view *v;
	shmheap_queue_walk_fn fn;
	void *arg;
};

static int walk_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	struct walk_ctx *w = arg;
	heap_off obj = handle_off(w->v->seed, hdl.value);
	struct queue_obj o;
	if (!obj || !queue_view_obj(w->v, obj, &o))
		return 0;
	/* Of version 1 (libshmheap 0.4.0): listed, with what it cannot say. */
	int v2 = o.magic == queue_magic(w->v->seed, obj, QUEUE_VERSION);
	uint64_t key = queue_hint_key(o.id), cap = o.capacity;
	int64_t len = (int64_t)((o.tail ^ key) - (o.head ^ key));
	struct shmheap_queue_stats st = {
		.offset = obj,
		.capacity = cap,
		.length = !v2 || len < 0 ? 0 : (uint64_t)len > cap ? cap : (uint64_t)len,
		.producers_waiting = -1,
		.consumers_waiting = -1,
	};
	/* The words are counted where this process maps the heap, which the
	 * view may only have read. */
	if (v2 && obj + sizeof(o) <= heap_mapped_bytes(w->h)) {
		st.consumers_waiting = sleepers(w->h, obj + offsetof(struct queue_obj, cons_wait) + SEQ_HALF);
		st.producers_waiting = sleepers(w->h, obj + offsetof(struct queue_obj, prod_wait) + SEQ_HALF);
	}
	return w->fn(name, &st, w->arg);
}

static int walk_in_view(const struct heap_view *v, void *arg)
{
	struct walk_ctx *w = arg;
	w->v = v;
	return names_view_walk(v, walk_name, w);
}

EXPORT int shmheap_queue_walk(shmheap_memory_handle mem, shmheap_queue_walk_fn fn,
			      void *arg)
{
	if (!mem || !fn) {
		errno = EINVAL;
		return -1;
	}
	struct walk_ctx w = {mem, NULL, fn, arg};
	return heap_view_run(mem, walk_in_view, &w);
}
