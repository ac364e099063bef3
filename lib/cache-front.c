/* SPDX-License-Identifier: MIT */
/*
 * cache-front.c - per-process caches of free blocks in a cached heap: the
 * layer's front (h->front, layer.h), which serves small allocations and frees
 * before the lock; the table that holds the caches is cache.c's.
 *
 * In a heap made with SHMHEAP_CACHED every connection (normally one per
 * process) owns a slot of the cache table (cache.h), the heap's first block.
 * Allocations of blocks up to CACHE_MAX_BLOCK bytes pop a block from the
 * slot's stack of that size class, and frees push the block there, without
 * the heap lock.  The lock is taken only to refill an empty stack with half
 * a stack's worth of blocks, carved as one run by one first-fit search
 * (carve_run), or to flush the older half of a full one back into the heap:
 * a stack just refilled or flushed is half a stack away from the next
 * refill or flush, so a program whose sizes come and go evenly takes the
 * lock about once in depth^2/4 calls of a class, not once in depth/2.
 * The threads of a process share its connection's cache under a small
 * process-private lock, which a process that never had a second thread
 * does not take.
 *
 * Every change of a block's state is one change of its block word, and that
 * word is the truth (the stacks are the owner's index of its own blocks,
 * never trusted by anyone else):
 *
 *   push  (free)    live -> cached(s): a compare-and-swap from the live word,
 *                   so of two frees of one pointer, racing or not, one wins;
 *                   the other finds a word that is not live and is refused;
 *   pop   (alloc)   cached(s) -> live, after the slot's pending word names
 *                   the block (CACHE_OP_POP): one store of the word's upper
 *                   half (the tag), which only the block's cache owner
 *                   writes while the block is cached, so no lock holder's
 *                   change of the prev field (the lower half) can be lost;
 *   refill          under the lock, pending names the run first fit will
 *                   return (CACHE_OP_REFILL), block_alloc makes it live, its
 *                   tail is marked cached(s) inside it, and one store of its
 *                   first word cuts it into blocks;
 *   flush           under the lock, block_free's first store makes a
 *                   cached(s) block free.
 *
 * Holders of the heap lock still change the prev field of any block word
 * (block_set_prev, from blocks.c and heap_repair); in a cached heap they do
 * so atomically, through the layer's set_prev (cache_set_prev, layer.h), so
 * neither side's change is lost.
 *
 * Recovery.  A process killed between any two instructions leaves: blocks
 * whose word says cached(s), whatever its stacks say; at most one block
 * named by its pending word, which it had made live but not yet returned
 * (a popped block, or a refill's run, cut or whole);
 * and, if it held the lock, what heap_repair rebuilds anyway.  When a slot's
 * owner has ended, as the kernel tells it (liveness.c: the owner's lock on a
 * byte of the object is gone, or its pid provably is), the next sweep,
 * under the lock, walks the chain once, makes every cached(s) block free and
 * the pending block too, and rebuilds the index (heap_repair), which merges
 * them; then the slot is free again.  An owner that cannot be proven to
 * have ended keeps its slot, and so at most a stack of each class.  A
 * refill cut short by the death of the lock's holder is resolved by the
 * repair the next locker runs: a pending refill is only ever set under the
 * lock.  Sweeps run at every connect, at every shmheap_check of a connection
 * that may change the heap, whenever a lock holder finds the previous one
 * dead, and at refills and flushes (at most every CACHE_SWEEP_MS there).
 *
 * A process forked from a connected one inherits the connection but not the
 * cache: a page marked MADV_WIPEONFORK reads 0 in the child, whose calls then
 * take the lock (and whose disconnect leaves the parent's slot alone, and
 * its byte lock too).
 *
 * The slots and stacks are shared memory that any writer of the heap can
 * change at any moment: each count, stack entry and owner field is read once
 * into a local, which is checked and then used, and so is the table's header
 * (cache_table_read).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define HAVE_SINGLE_THREADED 1
#endif
#endif

#include "align.h"
#include "blocks.h"
#include "cache.h"
#include "connection.h"
#include "layer.h"
#include "liveness.h"
#include "lock.h"
#include "locked.h"

/* How often refills and flushes look for dead owners, at most. */
#define CACHE_SWEEP_MS 100
/* The lock is taken for refills and flushes, a few microseconds each and
 * seldom, and for large objects: a locker that finds it busy watches it this
 * long before it naps (lock.c's spin_briefly). */
#define CACHE_LOCK_SPIN_NS 20000u

struct heap_cache {
	int busy;		 /* the lock of the process's threads on the slot */
	struct cache_slot *slot; /* in the heap (mappings never move) */
	unsigned index;		 /* the slot's number */
	int lock_fd;		 /* holds the slot's byte lock (liveness.c), or -1 */
	unsigned depth;		 /* most blocks per class (the table's) */
	unsigned batch;		 /* blocks one refill or flush moves */
	uint64_t tagx;		 /* cache_slot_xor(slot) in tag position */
	volatile int *guard;	 /* 1 here, 0 in a forked child (MADV_WIPEONFORK) */
	size_t guard_len;
	struct timespec last_sweep;
	/* The inner half of block_tag for each class's size: a cached block's
	 * tag then costs one mix64, not two. */
	uint64_t size_mix[CACHE_CLASSES];
};

/* Whether no other thread of this process can run our code now (glibc says
 * so until the process first creates a thread). */
static inline bool process_single_threaded(void)
{
#ifdef HAVE_SINGLE_THREADED
	return __libc_single_threaded;
#else
	return false;
#endif
}

/*
 * The threads of a process take turns on its slot with a small lock of its
 * own: held for a few dozen instructions, except across a refill or flush,
 * which waits for the heap lock.  A waiter spins briefly, then yields, then
 * naps, so one that waits behind a refill costs little.  A process that has
 * never had a second thread needs no lock at all.
 */
static void slot_lock_slow(struct heap_cache *c)
{
	for (unsigned tries = 0;; tries++) {
		if (!__atomic_load_n(&c->busy, __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&c->busy, 1, __ATOMIC_ACQUIRE))
			return;
		if (tries < 64)
			continue;
		if (tries < 128)
			sched_yield();
		else
			nanosleep(&(struct timespec){0, 50000}, NULL);
	}
}

/* Returns whether it locked, for slot_unlock. */
static inline bool slot_lock(struct heap_cache *c)
{
	if (process_single_threaded())
		return false;
	if (__atomic_exchange_n(&c->busy, 1, __ATOMIC_ACQUIRE))
		slot_lock_slow(c);
	return true;
}

static inline void slot_unlock(struct heap_cache *c, bool locked)
{
	if (locked)
		__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
}

/* The word a block of class k at off has while live (prev field 0). */
static inline uint64_t live_word(const struct heap_cache *c, heap_off off, unsigned k)
{
	uint64_t tag = mix64(off ^ c->size_mix[k]) & BW_TAG_MASK;
	return cache_class_size(k) | BW_IN_USE | tag << BW_TAG_SHIFT;
}

/*
 * Stores the upper half of a block word, leaving the lower half (the prev
 * field, which lock holders change with a compare-and-swap) alone.  Only
 * the block's cache owner writes the upper half of a cached block's word,
 * so a pop needs no compare-and-swap.
 */
typedef uint32_t __attribute__((may_alias)) word_half;
static inline void store_upper_half(uint64_t *w, uint64_t value)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	word_half *upper = (word_half *)(void *)w + 1;
#else
	word_half *upper = (word_half *)(void *)w;
#endif
	__atomic_store_n(upper, (uint32_t)(value >> 32), __ATOMIC_RELEASE);
}

/* Under the lock, from refills and flushes: cache_sweep, at most every
 * CACHE_SWEEP_MS. */
static void sweep_now_and_then(struct shmheap_heap *h, struct heap_cache *c)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	long ms = (now.tv_sec - c->last_sweep.tv_sec) * 1000 +
		  (now.tv_nsec - c->last_sweep.tv_nsec) / 1000000;
	if (ms < CACHE_SWEEP_MS)
		return;
	c->last_sweep = now;
	cache_sweep(h);
}

/*
 * Under the lock: claims a free slot for c, preferring one whose byte lock
 * it can take through c->lock_fd (a byte still held by a forked child of an
 * ended owner cannot be taken; the slot is then judged by pid alone).
 */
static bool claim_slot(struct shmheap_heap *h, struct heap_cache *c,
		       struct liveness_owner *me)
{
	struct cache_table hdr, *t;
	unsigned n = cache_heap_table(h, &hdr, &t);
	int pick = -1;
	bool locked = false;
	for (unsigned i = 0; i < n && !locked; i++) {
		if (__atomic_load_n(&cache_slot_at(t, &hdr, i)->pid, __ATOMIC_RELAXED))
			continue;
		locked = liveness_hold(c->lock_fd, i) == 0;
		if (locked || pick < 0)
			pick = (int)i;
	}
	if (pick < 0)
		return false;
	struct cache_slot *s = cache_slot_at(t, &hdr, (unsigned)pick);
	memset(s->count, 0, sizeof(s->count));
	s->pending = 0;
	liveness_mark(me, locked);
	cache_slot_set_owner(s, me);
	c->slot = s;
	c->index = (unsigned)pick;
	c->depth = cache_depth_of(hdr.depth);
	c->batch = c->depth / 2;
	c->tagx = (uint64_t)cache_slot_xor((unsigned)pick) << BW_TAG_SHIFT;
	if (!locked && c->lock_fd >= 0) {
		close(c->lock_fd);
		c->lock_fd = -1;
	}
	return true;
}

static void discard_cache(struct heap_cache *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	munmap((void *)c->guard, c->guard_len);
	free(c);
}

int cache_attach(struct shmheap_heap *h)
{
	if (!(h->heap_flags & HEAP_FLAG_CACHED) ||
	    (h->connect_flags & SHMHEAP_CONNECT_INSPECT))
		return 0;
	struct heap_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->guard_len = page_size();
	c->lock_fd = -1;
	void *g = mmap(NULL, c->guard_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED) {
		free(c);
		return -1;
	}
	c->guard = g;
	/* Without the fork guard a child would share the slot: no cache then. */
	if (madvise(g, c->guard_len, MADV_WIPEONFORK) < 0) {
		discard_cache(c);
		return 0;
	}
	struct liveness_owner me;
	liveness_describe(&me);
	if (!h->backing.read_only)
		c->lock_fd = liveness_open(h->backing.fd);
	for (unsigned k = 0; k < CACHE_CLASSES; k++)
		c->size_mix[k] = mix64(cache_class_size(k) ^ ((uint64_t)h->seed << 32));
	if (heap_lock(h) < 0) {
		int err = errno;
		discard_cache(c);
		errno = err;
		return -1;
	}
	cache_sweep(h);
	bool claimed = claim_slot(h, c, &me);
	heap_unlock(h);
	if (!claimed) {
		/* Every slot is taken: this connection works through the lock. */
		discard_cache(c);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &c->last_sweep);
	*c->guard = 1;
	h->cache = c;
	h->front = &cache_layer;
	return 0;
}

int cache_block_free(struct shmheap_heap *h, heap_off off)
{
	uint64_t *w = block_word(h->base, off);
	uint64_t old = __atomic_load_n(w, __ATOMIC_RELAXED);
	uint64_t prio = (uint64_t)block_priority(h->seed, off) << BW_TAG_SHIFT;
	do {
		if (cache_kind(h->seed, off, old) != CACHE_KIND_LIVE)
			return -1;
	} while (
		!__atomic_compare_exchange_n(w, &old,
					     (old & (BW_SIZE_MASK | BW_PREV_MASK)) | prio,
					     true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	block_merge_free(h, off);
	return 0;
}

/* Whether a block of size bytes at off, read from a stack, lies in the
 * mapped heap: the stacks are shared memory, checked before use. */
static inline bool stack_entry_ok(heap_off off, uint64_t size, size_t mapped)
{
	return off >= HEAP_FIRST_BLOCK && off <= mapped - size;
}

/* Class k's count, read once and bounded by the depth. */
static inline uint32_t stack_count(const struct heap_cache *c, unsigned k)
{
	uint32_t n = __atomic_load_n(&c->slot->count[k], __ATOMIC_RELAXED);
	return n < c->depth ? n : c->depth;
}

static inline heap_off stack_entry(const uint32_t *stack, uint32_t i)
{
	return unit_to_off(__atomic_load_n(&stack[i], __ATOMIC_RELAXED));
}

/* Under the heap lock: frees the n oldest blocks of class k; returns the
 * count it leaves. */
static uint32_t flush_class(struct shmheap_heap *h, struct heap_cache *c, unsigned k,
			    uint32_t n)
{
	struct cache_slot *s = c->slot;
	uint32_t *stack = cache_stack(s, c->depth, k);
	uint32_t count = stack_count(c, k);
	uint64_t size = cache_class_size(k);
	size_t mapped = heap_mapped_bytes(h);
	if (n > count)
		n = count;
	for (uint32_t i = 0; i < n; i++) {
		heap_off off = stack_entry(stack, i);
		if (!stack_entry_ok(off, size, mapped))
			continue;
		uint64_t bw = __atomic_load_n(block_word(h->base, off), __ATOMIC_RELAXED);
		if ((bw & ~BW_PREV_MASK) == (live_word(c, off, k) ^ c->tagx))
			block_free(h, off);
	}
	memmove(stack, stack + n, (count - n) * sizeof(*stack));
	__atomic_store_n(&s->count[k], count - n, __ATOMIC_RELAXED);
	return count - n;
}

static void flush_all(struct shmheap_heap *h, struct heap_cache *c)
{
	for (unsigned k = 0; k < CACHE_CLASSES; k++)
		flush_class(h, c, k, c->depth);
}

void cache_detach(struct shmheap_heap *h)
{
	struct heap_cache *c = h->cache;
	if (!c)
		return;
	h->cache = NULL;
	h->front = NULL;
	if (*c->guard) {
		/* If the lock cannot be had, the blocks stay cached until a
		 * sweep finds the byte lock gone (released here: the cache is
		 * no longer used). */
		if (heap_lock(h) == 0) {
			flush_all(h, c);
			c->slot->pending = 0;
			cache_slot_set_owner(c->slot, &(struct liveness_owner){0});
			heap_end_call(h, "shmheap_disconnect");
		}
		liveness_release(c->lock_fd, c->index);
		c->lock_fd = -1;
	}
	/* A forked child only closes its copy: unlocking would release the
	 * byte lock of the parent, which shares the description. */
	discard_cache(c);
}

/*
 * Under the heap lock: carves a run of up to m adjacent blocks of class k
 * with one first-fit allocation, pushes all but the first onto the class's
 * stack and returns the first (live); 0 when no run of two or more fits.
 * One search and one cache line per few blocks, where m allocations would
 * take m searches and interleave this process's blocks with others'.
 *
 * Kill safety: the pending word names the run before block_alloc makes it
 * live; its tail is marked cached inside the live run, where no chain walk
 * looks; then one store of the first block's word cuts the run into blocks.
 * The repair frees a pending refill's block if it is live, whole run or
 * first block, and the dead owner's cached blocks.
 */
static heap_off carve_run(struct shmheap_heap *h, struct heap_cache *c, unsigned k,
			  unsigned m)
{
	uint64_t need = cache_class_size(k);
	struct cache_slot *s = c->slot;
	heap_off run = 0;
	while (m >= 2) {
		struct fi_path path;
		run = fi_first_fit(&h->index, need * m, &path);
		if (!run) {
			m /= 2;
			continue;
		}
		/* An 8-byte remainder would join the run's last block, making
		 * it one of the next class: take a block fewer. */
		if (bw_size(*block_word(h->base, run)) - need * m != HEAP_UNIT)
			break;
		run = 0;
		m--;
	}
	if (!run)
		return 0;
	__atomic_store_n(&s->pending, CACHE_OP_REFILL | run, __ATOMIC_RELAXED);
	if (block_alloc(h, need * m) != run)
		return 0; /* first fit is deterministic: cannot happen */
	uint64_t *first = block_word(h->base, run);
	for (unsigned i = 1; i < m; i++) {
		heap_off off = run + i * need;
		*block_word(h->base, off) = live_word(c, off, k) ^ c->tagx;
	}
	block_commit(first, live_word(c, run, k) | (*first & BW_PREV_MASK));
	uint32_t *stack = cache_stack(s, c->depth, k);
	/* The caller emptied the stack; m - 1 < depth blocks go on it.  The
	 * lowest-addressed block is popped first. */
	uint32_t n = 0;
	for (unsigned i = m - 1; i >= 1; i--)
		stack[n++] = off_to_unit(run + i * need);
	__atomic_store_n(&s->count[k], n, __ATOMIC_RELAXED);
	return run;
}

struct refill_run {
	struct heap_cache *c;
	unsigned k;
};

static heap_off carve_batch(struct shmheap_heap *h, const void *arg)
{
	const struct refill_run *r = arg;
	return carve_run(h, r->c, r->k, r->c->batch);
}

/* Takes a block of class k, whose stack is empty, from the heap under the
 * lock, with up to a batch more for the stack (carve_run); growing the heap
 * if needed, and giving back this process's cached blocks when it is full. */
static heap_off refill(struct shmheap_heap *h, struct heap_cache *c, unsigned k)
{
	if (heap_lock(h) < 0)
		return 0;
	sweep_now_and_then(h, c);
	uint64_t need = cache_class_size(k);
	struct refill_run r = {c, k};
	heap_off off = heap_grow_retry(h, need * c->batch, carve_batch, &r);
	if (!off)
		off = block_alloc_growing(h, need);
	if (!off) {
		flush_all(h, c);
		off = block_alloc(h, need);
		if (!off)
			errno = ENOMEM;
	}
	__atomic_store_n(&c->slot->pending, 0, __ATOMIC_RELEASE);
	if (heap_end_call(h, "shmheap_alloc") < 0)
		return 0; /* EUCLEAN: damage met */
	return off;
}

/*
 * cache_alloc with class k's stack empty: a block from a refill, and the
 * slot lock released.  Out of line, like flush_full, so that the calls a
 * stack serves save no registers for it.
 */
static void *__attribute__((noinline))
alloc_refilled(struct shmheap_heap *h, struct heap_cache *c, unsigned k, bool locked)
{
	heap_off off = refill(h, c, k);
	int err = errno;
	slot_unlock(c, locked);
	if (!off) {
		errno = err == ENOSPC || err == ETIMEDOUT || err == ENOTRECOVERABLE ||
					err == EUCLEAN
				? err
				: ENOMEM;
		return NULL;
	}
	return h->base + off + HEAP_UNIT;
}

/* cache_alloc of a block of class k, under the slot lock if locked says
 * so: a pop, or a refill.  Inlined into both callers, so that the one of a
 * process without threads knows it holds no slot lock. */
static inline __attribute__((always_inline)) void *pop(struct shmheap_heap *h,
						       struct heap_cache *c, uint64_t need,
						       unsigned k, bool locked)
{
	struct cache_slot *s = c->slot;
	uint32_t *stack = cache_stack(s, c->depth, k);
	uint32_t n = stack_count(c, k);
	size_t mapped = heap_mapped_bytes(h);
	while (n > 0) {
		heap_off off = stack_entry(stack, --n);
		if (!stack_entry_ok(off, need, mapped))
			continue;
		uint64_t *w = block_word(h->base, off);
		uint64_t live = live_word(c, off, k);
		if ((__atomic_load_n(w, __ATOMIC_RELAXED) & ~BW_PREV_MASK) !=
		    (live ^ c->tagx))
			continue;
		/* Only this slot's owner changes a cached word's upper half:
		 * the pending word, then the tag, then the stack. */
		__atomic_store_n(&s->pending, CACHE_OP_POP | off, __ATOMIC_RELAXED);
		store_upper_half(w, live);
		__atomic_store_n(&s->count[k], n, __ATOMIC_RELAXED);
		__atomic_store_n(&s->pending, 0, __ATOMIC_RELEASE);
		slot_unlock(c, locked);
		return h->base + off + HEAP_UNIT;
	}
	__atomic_store_n(&s->count[k], 0, __ATOMIC_RELAXED);
	return alloc_refilled(h, c, k, locked);
}

static void *__attribute__((noinline))
pop_threaded(struct shmheap_heap *h, struct heap_cache *c, uint64_t need, unsigned k)
{
	return pop(h, c, need, k, slot_lock(c));
}

/*
 * The calls a stack serves make no call of their own: the rest (a refill,
 * the slot lock of a threaded process) is in functions they end with, so
 * that the compiler saves no registers for it on their way.
 */
void *cache_alloc(struct shmheap_heap *h, uint64_t need)
{
	struct heap_cache *c = h->cache;
	if (need > CACHE_MAX_BLOCK || !*c->guard)
		return heap_alloc_locked(h, need);
	unsigned k = cache_class(need);
	if (!process_single_threaded())
		return pop_threaded(h, c, need, k);
	return pop(h, c, need, k, false);
}

/* Under the slot lock, with class k's stack full: flushes a batch and
 * tells the count it leaves in *left. */
static int __attribute__((noinline))
flush_full(struct shmheap_heap *h, struct heap_cache *c, unsigned k, uint32_t *left)
{
	if (heap_lock(h) < 0)
		return -1;
	sweep_now_and_then(h, c);
	*left = flush_class(h, c, k, c->batch);
	return heap_end_call(h, "shmheap_free"); /* -1: EUCLEAN */
}

static int __attribute__((noinline))
refuse_free(struct shmheap_heap *h, struct heap_cache *c, bool locked)
{
	slot_unlock(c, locked);
	__atomic_add_fetch(&h->invalid_frees, 1, __ATOMIC_RELAXED);
	errno = EINVAL;
	return -1;
}

/* Pushes the live block at off, of class k and word bw (live_word: live),
 * as class k's n-th cached block, under the slot lock if locked says so. */
static inline int push_at(struct shmheap_heap *h, struct heap_cache *c, heap_off off,
			  unsigned k, uint64_t live, uint64_t bw, uint32_t n, bool locked)
{
	struct cache_slot *s = c->slot;
	uint64_t *w = block_word(h->base, off);
	/* Of two frees of one object, racing or not, one changes the live word
	 * (a compare-and-swap, which also keeps a prev field a lock holder
	 * writes meanwhile); the other finds it no longer live.  bw was live
	 * when read; a failed exchange reads it anew. */
	while (!__atomic_compare_exchange_n(w, &bw, bw ^ c->tagx, true, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED)) {
		if ((bw & ~BW_PREV_MASK) != live)
			return refuse_free(h, c, locked);
	}
	cache_stack(s, c->depth, k)[n] = off_to_unit(off);
	__atomic_store_n(&s->count[k], n + 1, __ATOMIC_RELAXED);
	slot_unlock(c, locked);
	return 0;
}

static int __attribute__((noinline))
push_flushing(struct shmheap_heap *h, struct heap_cache *c, heap_off off, unsigned k,
	      uint64_t live, uint64_t bw, bool locked)
{
	uint32_t n;
	if (flush_full(h, c, k, &n) < 0) {
		int err = errno;
		slot_unlock(c, locked);
		errno = err;
		return -1;
	}
	return push_at(h, c, off, k, live, bw, n, locked);
}

static inline int push(struct shmheap_heap *h, struct heap_cache *c, heap_off off,
		       unsigned k, uint64_t live, uint64_t bw, bool locked)
{
	/* One read of the count, checked and then used: below the depth, or a
	 * flush makes it so. */
	uint32_t n = __atomic_load_n(&c->slot->count[k], __ATOMIC_RELAXED);
	if (n >= c->depth)
		return push_flushing(h, c, off, k, live, bw, locked);
	return push_at(h, c, off, k, live, bw, n, locked);
}

static int __attribute__((noinline))
push_threaded(struct shmheap_heap *h, struct heap_cache *c, heap_off off, unsigned k,
	      uint64_t live, uint64_t bw)
{
	return push(h, c, off, k, live, bw, slot_lock(c));
}

/* Like cache_alloc, makes no call of its own on the way of a push. */
int cache_free(struct shmheap_heap *h, void *ptr)
{
	struct heap_cache *c = h->cache;
	uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)h->base;
	size_t mapped = heap_mapped_bytes(h);
	/* Anything odd is left to the locked path, which maps what others grew
	 * the heap by, and refuses what is no live object. */
	if (!*c->guard || p < b + HEAP_FIRST_OBJECT || p - b >= mapped ||
	    (p - b) % HEAP_UNIT)
		return heap_free_locked(h, ptr);
	heap_off off = p - b - HEAP_UNIT;
	uint64_t *w = block_word(h->base, off);
	uint64_t bw = __atomic_load_n(w, __ATOMIC_RELAXED);
	uint64_t size = bw_size(bw);
	if (size < BLOCK_MIN || size > CACHE_MAX_BLOCK || size > mapped - off)
		return heap_free_locked(h, ptr);
	unsigned k = cache_class(size);
	uint64_t live = live_word(c, off, k);
	if ((bw & ~BW_PREV_MASK) != live)
		return heap_free_locked(h, ptr);
	if (!process_single_threaded())
		return push_threaded(h, c, off, k, live, bw);
	return push(h, c, off, k, live, bw, false);
}

static bool cache_used_by(unsigned heap_flags)
{
	return heap_flags & HEAP_FLAG_CACHED;
}

const struct heap_layer_ops cache_layer = {
	.used_by = cache_used_by,
	.lock_spin_ns = CACHE_LOCK_SPIN_NS,
	.create = cache_table_init,
	.attach = cache_attach,
	.detach = cache_detach,
	.alloc = cache_alloc,
	.free = cache_free,
	.set_prev = cache_set_prev,
	.free_locked = cache_block_free,
	.repair = cache_repair,
	.sweep = cache_sweep,
	.block_kind = cache_block_kind,
	.check_block = cache_check_block,
	.check = cache_check,
};
