/* SPDX-License-Identifier: MIT */
/*
 * queue.c - shmheap_queue_*: bounded queues of handles in the heap (the
 * layout and the protocol are in queue.h).
 *
 * A call takes the heap lock, checks that its queue is still there, and
 * either completes under the lock or, when it would block, marks itself
 * waiting, notes the futex word, releases the lock and sleeps on the word
 * until a call that changed the queue wakes it, its time runs out, or a
 * slice of QUEUE_SLICE_MS passed; then it looks again.  The slice bounds the
 * sleep of a waiter whose queue was destroyed and whose word was reused
 * before it slept (it would never be woken otherwise).
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
#include "queue.h"

#define QUEUE_SLICE_MS 1000
#define QUEUE_WATCH_NS 3000L

enum queue_call { CALL_PUSH, CALL_POP, CALL_PUSH_FROM, CALL_POP_INTO };

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *t)
{
	return syscall(SYS_futex, word, op, val, t, NULL, 0);
}

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

/* Under the lock: the queue at obj when a live block there holds one (its
 * capacity in *cap, as checked against the block), else NULL. */
static struct queue_obj *queue_at(struct shmheap_heap *h, heap_off obj, uint64_t *cap)
{
	heap_off blk = obj ? block_of_object(h, h->base + obj) : 0;
	if (!blk)
		return NULL;
	uint64_t room = bw_size(*block_word(h->base, blk)) - HEAP_UNIT;
	struct queue_obj *o = obj_at(h, obj);
	if (room < sizeof(*o) ||
	    __atomic_load_n(&o->magic, __ATOMIC_ACQUIRE) != queue_magic(h->seed, obj))
		return NULL;
	uint64_t c = o->capacity;
	if (!c || c > QUEUE_MAX_CAPACITY || queue_bytes(c) > room)
		return NULL;
	*cap = c;
	return o;
}

/* Under the lock: the queue q opened, or NULL with errno EIDRM.  The block
 * word must be that of a live block of the size and tag found at open (which
 * block_of_object would compute again), the magic and the id the same. */
static struct queue_obj *still_there(struct shmheap_queue *q)
{
	struct shmheap_heap *h = q->mem;
	uint64_t bw = __atomic_load_n(block_word(h->base, q->obj - HEAP_UNIT),
				      __ATOMIC_RELAXED);
	struct queue_obj *o = obj_at(h, q->obj);
	if ((bw & BW_IN_USE) && bw_size(bw) == q->size && bw_tag(bw) == q->tag &&
	    q->obj + q->size <= heap_size_bytes(h->hdr) + HEAP_UNIT &&
	    __atomic_load_n(&o->magic, __ATOMIC_ACQUIRE) == q->magic && o->id == q->id &&
	    o->capacity == q->capacity)
		return o;
	errno = EIDRM;
	return NULL;
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
	    *rec > heap_size_bytes(h->hdr) - sizeof(struct heap_ext))
		return;
	const struct heap_ext *x = (const void *)(h->base + *rec);
	*table = __atomic_load_n(&x->table, __ATOMIC_RELAXED) & EXT_TABLE_OFF_MASK;
}

/* The object offset of a handle that may be queued: a live object of this
 * heap that is neither a queue nor the library's record or names table. */
static heap_off queueable(struct shmheap_heap *h, uint64_t value)
{
	heap_off obj = handle_off(h->seed, value), rec, table;
	if (!obj || !block_of_object(h, h->base + obj) ||
	    __atomic_load_n((const uint64_t *)(const void *)(h->base + obj),
			    __ATOMIC_RELAXED) == queue_magic(h->seed, obj))
		goto bad;
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

/* Wakes the sleepers of word if a waiter said it sleeps there (under the
 * lock; the wake-up itself is the caller's, after the unlock). */
static uint32_t *to_wake(struct queue_obj *o, uint32_t bit, uint32_t *word)
{
	if (!(__atomic_load_n(&o->waiting, __ATOMIC_RELAXED) & bit))
		return NULL;
	__atomic_store_n(&o->waiting, o->waiting & ~bit, __ATOMIC_RELAXED);
	__atomic_store_n(word, *word + 1, __ATOMIC_RELEASE);
	return word;
}

static void put(struct queue_obj *o, uint64_t cap, uint64_t tail, uint64_t value)
{
	__atomic_store_n(&o->ring[tail % cap], value, __ATOMIC_RELAXED);
}

/*
 * One attempt under the lock: 0 done (*wake: a word whose sleepers to wake),
 * 1 the queue is full or empty, -1 with errno set.
 */
static int attempt(struct shmheap_queue *q, struct queue_obj *o, enum queue_call call,
		   shmheap_object_handle *arg, uint32_t **wake)
{
	struct shmheap_heap *h = q->mem;
	uint64_t cap = q->capacity;
	uint64_t head = __atomic_load_n(&o->head, __ATOMIC_RELAXED);
	uint64_t tail = __atomic_load_n(&o->tail, __ATOMIC_RELAXED);
	heap_off soff = 0;
	uint64_t value;
	struct heap_ext *x;

	if (tail - head > cap) {
		errno = EUCLEAN;
		return -1;
	}
	switch (call) {
	case CALL_PUSH:
		if (!queueable(h, arg->value))
			return -1;
		if (tail - head == cap)
			return 1;
		put(o, cap, tail, arg->value);
		__atomic_store_n(&o->tail, tail + 1, __ATOMIC_RELEASE);
		*wake = to_wake(o, QUEUE_WAIT_CONSUMER, &o->not_empty);
		return 0;
	case CALL_POP:
		if (tail == head)
			return 1;
		arg->value = __atomic_load_n(&o->ring[head % cap], __ATOMIC_RELAXED);
		__atomic_store_n(&o->head, head + 1, __ATOMIC_RELEASE);
		*wake = to_wake(o, QUEUE_WAIT_PRODUCER, &o->not_full);
		return 0;
	case CALL_PUSH_FROM:
		soff = slot_for(q, arg);
		value = soff ? __atomic_load_n(&arg->value, __ATOMIC_ACQUIRE) : 0;
		if (!soff || !queueable(h, value))
			return -1;
		if (tail - head == cap)
			return 1;
		if (!(x = ext_get(h)))
			return -1;
		x->intent.pos = (uint32_t)tail;
		ext_begin(x, INTENT_QUEUE_PUSH, q->obj, soff, value);
		SHMHEAP_KILL_POINT("queue_push_from", 1);
		put(o, cap, tail, value);
		SHMHEAP_KILL_POINT("queue_push_from", 2);
		__atomic_store_n(&o->tail, tail + 1, __ATOMIC_RELEASE);
		SHMHEAP_KILL_POINT("queue_push_from", 3);
		__atomic_store_n(&arg->value, 0, __ATOMIC_RELEASE);
		SHMHEAP_KILL_POINT("queue_push_from", 4);
		ext_end(x);
		*wake = to_wake(o, QUEUE_WAIT_CONSUMER, &o->not_empty);
		return 0;
	case CALL_POP_INTO:
		soff = slot_for(q, arg);
		if (!soff)
			return -1;
		if (__atomic_load_n(&arg->value, __ATOMIC_ACQUIRE)) {
			errno = EINVAL; /* the slot must be empty */
			return -1;
		}
		if (tail == head)
			return 1;
		if (!(x = ext_get(h)))
			return -1;
		value = __atomic_load_n(&o->ring[head % cap], __ATOMIC_RELAXED);
		x->intent.pos = (uint32_t)head;
		ext_begin(x, INTENT_QUEUE_POP, q->obj, soff, value);
		SHMHEAP_KILL_POINT("queue_pop_into", 1);
		__atomic_store_n(&arg->value, value, __ATOMIC_RELEASE);
		SHMHEAP_KILL_POINT("queue_pop_into", 2);
		__atomic_store_n(&o->head, head + 1, __ATOMIC_RELEASE);
		SHMHEAP_KILL_POINT("queue_pop_into", 3);
		ext_end(x);
		*wake = to_wake(o, QUEUE_WAIT_PRODUCER, &o->not_full);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Whether a producer (a consumer) finds the queue full (empty), from the
 * counters read without the lock: a hint. */
static int would_block(const struct queue_obj *o, uint64_t cap, int producer)
{
	uint64_t head = __atomic_load_n(&o->head, __ATOMIC_ACQUIRE);
	uint64_t tail = __atomic_load_n(&o->tail, __ATOMIC_ACQUIRE);
	return producer ? tail - head >= cap : tail == head;
}

/*
 * Before it sleeps, a caller watches the counters for QUEUE_WATCH_NS: the
 * process at the other end, if it runs, changes them within a microsecond
 * or two, and a sleep and a wake-up cost both sides a system call.  1 when
 * the queue no longer looks full (empty).  The words read are the queue's
 * even if it is being destroyed: the heap stays mapped.
 */
static int watch(const struct queue_obj *o, uint64_t cap, int producer)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		for (int i = 0; i < 64; i++) {
			if (!would_block(o, cap, producer))
				return 1;
			cpu_relax();
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec -
			    start.tv_nsec >=
		    QUEUE_WATCH_NS)
			return 0;
	}
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

/* The sleep of a waiter: 0 woken or its slice over, -1 with errno EINTR. */
static int sleep_on(uint32_t *word, uint32_t seen, long ms)
{
	if (ms > QUEUE_SLICE_MS)
		ms = QUEUE_SLICE_MS;
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	if (futex(word, FUTEX_WAIT, seen, &t) < 0 && errno == EINTR)
		return -1;
	return 0;
}

static int queue_call(struct shmheap_queue *q, enum queue_call call,
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
	for (;;) {
		if (heap_lock_brief(h) < 0)
			return -1;
		uint32_t *wake = NULL;
		struct queue_obj *o = still_there(q);
		int ret = o ? attempt(q, o, call, arg, &wake) : -1;
		if (ret != 1 || timeout_ms == 0) {
			int err = ret == 1 ? EAGAIN : errno;
			heap_debug_verify(h, "shmheap_queue");
			heap_unlock_brief(h);
			if (wake)
				futex(wake, FUTEX_WAKE, INT_MAX, NULL);
			if (ret == 0)
				return 0;
			errno = err;
			return -1;
		}
		heap_unlock_brief(h);
		if (watch(o, q->capacity, producer))
			continue;
		if (heap_lock_brief(h) < 0)
			return -1;
		if (!(o = still_there(q)) || !would_block(o, q->capacity, producer)) {
			heap_unlock_brief(h);
			continue; /* the next attempt says which */
		}
		uint32_t *word = producer ? &o->not_full : &o->not_empty;
		o->waiting |= producer ? QUEUE_WAIT_PRODUCER : QUEUE_WAIT_CONSUMER;
		uint32_t seen = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		heap_unlock_brief(h);
		long ms = timeout_ms > 0 ? ms_until(&deadline) : QUEUE_SLICE_MS;
		if (ms <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (sleep_on(word, seen, ms) < 0)
			return -1;
	}
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

/* The queue named name, under the lock: its object offset, or 0 with errno
 * ENOENT (no such name) or EINVAL (the name names something else). */
static heap_off find_queue(struct shmheap_heap *h, const char *name, size_t len,
			   heap_off *entry, heap_off *tslot)
{
	struct heap_ext *x = ext_find(h);
	uint64_t handle, cap;
	heap_off e, s = x ? names_find(h, x, name, len, &e, &handle) : 0;
	if (!s)
		return 0;
	heap_off obj = handle_off(h->seed, handle);
	if (!queue_at(h, obj, &cap)) {
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
	struct queue_obj *o = obj_at(h, obj);
	memset(o, 0, sizeof(*o));
	o->id = draw_id(obj);
	o->capacity = capacity;
	__atomic_store_n(&o->magic, queue_magic(h->seed, obj), __ATOMIC_RELEASE);
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
	*q = (struct shmheap_queue){h,		 obj,	     o->id,   o->capacity,
				    bw_size(bw), bw_tag(bw), o->magic};
	return q;
}

/* A new handle on the queue called name: made first when create, found
 * otherwise. */
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
	heap_off obj = create ? make_queue(mem, name, (size_t)len, capacity)
			      : find_queue(mem, name, (size_t)len, NULL, NULL);
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

/* Frees the objects the queue holds, oldest first, then the queue's block. */
static void empty_and_free(struct shmheap_heap *h, struct queue_obj *o, heap_off obj)
{
	uint64_t cap = o->capacity;
	uint64_t tail = o->tail;
	for (uint64_t head = o->head; head != tail; head++) {
		uint64_t value = o->ring[head % cap];
		heap_off at = handle_off(h->seed, value);
		heap_off blk = at ? block_of_object(h, h->base + at) : 0;
		/* An object freed meanwhile is not freed again; one whose free
		 * through a cache wins the race stays freed once. */
		if (blk && blk + HEAP_UNIT != obj)
			(void)block_release(h, blk);
		__atomic_store_n(&o->head, head + 1, __ATOMIC_RELEASE);
		SHMHEAP_KILL_POINT("queue_destroy", 4);
	}
	__atomic_store_n(&o->magic, 0, __ATOMIC_RELEASE);
	SHMHEAP_KILL_POINT("queue_destroy", 5);
	block_free(h, obj - HEAP_UNIT);
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
	heap_off obj = find_queue(mem, name, (size_t)len, &entry, &tslot);
	struct heap_ext *x = obj ? ext_find(mem) : NULL;
	if (x) {
		struct queue_obj *o = obj_at(mem, obj);
		/* Sleepers wake, find the queue gone and answer EIDRM. */
		__atomic_store_n(&o->not_empty, o->not_empty + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&o->not_full, o->not_full + 1, __ATOMIC_RELEASE);
		futex(&o->not_empty, FUTEX_WAKE, INT_MAX, NULL);
		futex(&o->not_full, FUTEX_WAKE, INT_MAX, NULL);
		ext_begin(x, INTENT_QUEUE_DESTROY, entry, tslot, obj - HEAP_UNIT);
		names_unlink(mem, x, tslot, entry, "queue_destroy");
		empty_and_free(mem, o, obj);
		ext_end(x);
		ret = 0;
	}
	unlock_keep_errno(mem, "shmheap_queue_destroy");
	return ret;
}
