/* SPDX-License-Identifier: MIT */
/*
 * cache.c - per-process caches of free blocks in a cached heap.
 *
 * In a heap made with SHMHEAP_CACHED every connection (normally one per
 * process) owns a slot of the cache table (cache.h), the heap's first block.
 * Allocations of blocks up to CACHE_MAX_BLOCK bytes pop a block from the
 * slot's stack of that size class, and frees push the block there, without
 * the heap lock; the lock is taken only to refill an empty stack with
 * CACHE_BATCH blocks carved by the ordinary first fit, or to flush
 * CACHE_BATCH blocks of a full one back into the heap.  The threads of a
 * process share its connection's cache under a process-private mutex.
 *
 * Every change of a block's state is one atomic change of its block word,
 * and that word is the truth (the stacks are the owner's index of its own
 * blocks, never trusted by anyone else):
 *
 *   push  (free)    live -> cached(s): a compare-and-swap from the live word,
 *                   so of two frees of one pointer, racing or not, one wins;
 *                   the other finds a word that is not live and is refused;
 *   pop   (alloc)   cached(s) -> live, a compare-and-swap too, after the
 *                   slot's pending word names the block (CACHE_OP_POP);
 *   refill          under the lock, pending names the block first fit will
 *                   return (CACHE_OP_REFILL), block_alloc makes it live, one
 *                   store makes it cached(s);
 *   flush           under the lock, block_free's first store makes a
 *                   cached(s) block free.
 *
 * Holders of the heap lock still change the prev field of any block word
 * (set_prev_of_next, heap_repair); in a cached heap they do so atomically
 * (cache_set_prev), so neither side's change is lost.
 *
 * Recovery.  A process killed between any two instructions leaves: blocks
 * whose word says cached(s), whatever its stacks say; at most one block
 * named by its pending word, which it had made live but not yet returned;
 * and, if it held the lock, what heap_repair rebuilds anyway.  When a slot's
 * owner is dead (its pid is gone, a zombie, or another process with another
 * start time, /proc/PID/stat field 22) the next sweep, under the lock, walks
 * the chain once, makes every cached(s) block free and the pending block
 * too, and rebuilds the index (heap_repair), which merges them; then the
 * slot is free again.  A refill cut short by the death of the lock's holder
 * is resolved by the repair the next locker runs: a pending refill is only
 * ever set under the lock.  Sweeps run at every connect, at every
 * shmheap_check of a connection that may change the heap, whenever a lock
 * holder finds the previous one dead, and at refills and flushes (at most
 * every CACHE_SWEEP_MS there).
 *
 * A process forked from a connected one inherits the connection but not the
 * cache: a page marked MADV_WIPEONFORK reads 0 in the child, whose calls then
 * take the lock (and whose disconnect leaves the parent's slot alone).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "heap.h"

/* How often refills and flushes look for dead owners, at most. */
#define CACHE_SWEEP_MS 100

struct heap_cache {
	int busy;		 /* the lock of the process's threads on the slot */
	struct cache_slot *slot; /* in the heap (mappings never move) */
	uint64_t tagx;		 /* cache_slot_xor(slot) in tag position */
	volatile int *guard;	 /* 1 here, 0 in a forked child (MADV_WIPEONFORK) */
	size_t guard_len;
	struct timespec last_sweep;
};

/*
 * The threads of a process take turns on its slot with a small lock of its
 * own: held for a few dozen instructions, except across a refill or flush,
 * which waits for the heap lock.  A waiter spins briefly, then yields, then
 * naps, so one that waits behind a refill costs little.
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

static inline void slot_lock(struct heap_cache *c)
{
	if (__atomic_exchange_n(&c->busy, 1, __ATOMIC_ACQUIRE))
		slot_lock_slow(c);
}

static inline void slot_unlock(struct heap_cache *c)
{
	__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
}

static struct cache_table *table_of(struct shmheap_heap *h)
{
	return (struct cache_table *)(void *)(h->base + HEAP_FIRST_OBJECT);
}

/* The number of slots of a sane table, or 0. */
static unsigned table_slots(struct shmheap_heap *h)
{
	if (!(h->heap_flags & HEAP_FLAG_CACHED))
		return 0;
	uint64_t bw = __atomic_load_n(block_word(h->base, HEAP_FIRST_BLOCK),
				      __ATOMIC_RELAXED);
	struct cache_table *t = table_of(h);
	if (cache_kind(h->seed, HEAP_FIRST_BLOCK, bw) != CACHE_KIND_TABLE ||
	    t->magic != CACHE_MAGIC || t->slots < 1 || t->slots > CACHE_SLOTS_MAX ||
	    HEAP_UNIT + cache_table_bytes(t->slots) > bw_size(bw))
		return 0;
	return t->slots;
}

int cache_table_init(struct shmheap_heap *h, uint64_t len)
{
	unsigned slots;
	uint64_t size = cache_table_block(len, &slots);
	if (size + BLOCK_MIN > len - HEAP_FIRST_BLOCK ||
	    block_alloc(h, size) != HEAP_FIRST_BLOCK) {
		errno = EINVAL;
		return -1;
	}
	uint64_t *w = block_word(h->base, HEAP_FIRST_BLOCK);
	*w ^= (uint64_t)CACHE_TAG_TABLE << BW_TAG_SHIFT;
	struct cache_table *t = table_of(h);
	memset(t, 0, size - HEAP_UNIT);
	t->magic = CACHE_MAGIC;
	t->slots = slots;
	return 0;
}

/*
 * Whether a process runs: 1 with its start time in *start, 0 if it is gone
 * (or a zombie, whose memory is gone), -1 if that cannot be told.
 */
static int proc_start(pid_t pid, uint64_t *start)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n == 0 || errno == ESRCH ? 0 : -1;
	buf[n] = 0;
	/* The command name (field 2) may hold anything up to its last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -1;
		if (field == 3 && (*p == 'Z' || *p == 'X'))
			return 0;
		if (field == 22) {
			*start = strtoull(p, NULL, 10);
			return 1;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -1;
}

/* A claimed slot's owner still runs (when unsure: yes). */
bool cache_owner_alive(const struct cache_slot *s)
{
	pid_t pid = (pid_t)__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	uint64_t start;
	int state = proc_start(pid, &start);
	if (state == 0) {
		/* No /proc at all tells nothing about anybody. */
		uint64_t mine;
		return proc_start(getpid(), &mine) != 1;
	}
	return state < 0 || start == s->start_time;
}

/* The one word at off, in a heap being repaired: free, keeping size and prev. */
static void make_free(uint64_t *w)
{
	__atomic_store_n(w,
			 __atomic_load_n(w, __ATOMIC_RELAXED) &
				 (BW_SIZE_MASK | BW_PREV_MASK),
			 __ATOMIC_RELEASE);
}

size_t cache_repair_hook(struct shmheap_heap *h)
{
	unsigned n = table_slots(h);
	if (!n)
		return 0;
	struct cache_table *t = table_of(h);
	uint32_t dead = 0;
	heap_off pending[CACHE_SLOTS_MAX]; /* blocks to free if still live */
	unsigned npending = 0;

	for (unsigned i = 0; i < n; i++) {
		struct cache_slot *s = &t->slot[i];
		uint64_t p = __atomic_load_n(&s->pending, __ATOMIC_ACQUIRE);
		bool is_dead = s->pid && !cache_owner_alive(s);
		/* Refills are only pending under the lock: their owner died
		 * holding it.  A pop is pending without the lock, so only a dead
		 * owner's counts. */
		if ((p & ~CACHE_OFF_MASK) == CACHE_OP_REFILL ||
		    (is_dead && (p & ~CACHE_OFF_MASK) == CACHE_OP_POP))
			pending[npending++] = p & CACHE_OFF_MASK;
		if ((p & ~CACHE_OFF_MASK) == CACHE_OP_REFILL)
			__atomic_store_n(&s->pending, 0, __ATOMIC_RELEASE);
		if (is_dead)
			dead |= 1u << i;
	}
	if (!dead && !npending)
		return 0;

	size_t freed = 0;
	uint64_t end = heap_size_bytes(h->hdr);
	for (heap_off off = HEAP_FIRST_BLOCK; off < end;) {
		uint64_t *w = block_word(h->base, off);
		uint64_t bw = __atomic_load_n(w, __ATOMIC_ACQUIRE);
		uint64_t size = bw_size(bw);
		if (size < BLOCK_MIN || size > end - off)
			break; /* the caller verified the chain; stay safe anyway */
		int kind = cache_kind(h->seed, off, bw);
		bool drop = kind >= 0 && (dead >> kind & 1);
		if (kind == CACHE_KIND_LIVE && size <= CACHE_MAX_BLOCK)
			for (unsigned i = 0; i < npending && !drop; i++)
				drop = pending[i] == off;
		if (drop) {
			make_free(w);
			freed++;
		}
		off += size;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!(dead >> i & 1))
			continue;
		struct cache_slot *s = &t->slot[i];
		memset(s->count, 0, sizeof(s->count));
		s->pending = 0;
		s->start_time = 0;
		__atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
	}
	return freed;
}

void cache_sweep_locked(struct shmheap_heap *h, int force)
{
	unsigned n = table_slots(h);
	if (!n)
		return;
	if (!force && h->cache) {
		struct timespec now;
		struct heap_cache *c = h->cache;
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		long ms = (now.tv_sec - c->last_sweep.tv_sec) * 1000 +
			  (now.tv_nsec - c->last_sweep.tv_nsec) / 1000000;
		if (ms < CACHE_SWEEP_MS)
			return;
		c->last_sweep = now;
	}
	struct cache_table *t = table_of(h);
	for (unsigned i = 0; i < n; i++) {
		struct cache_slot *s = &t->slot[i];
		if (s->pid && !cache_owner_alive(s)) {
			/* The repair calls cache_repair_hook, which frees the dead
			 * caches' blocks, and merges and indexes them. */
			(void)heap_repair(h);
			return;
		}
	}
}

int cache_attach(struct shmheap_heap *h)
{
	if (!(h->heap_flags & HEAP_FLAG_CACHED) ||
	    (h->connect_flags & SHMHEAP_CONNECT_INSPECT))
		return 0;
	struct heap_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	long ps = sysconf(_SC_PAGESIZE);
	c->guard_len = ps > 0 ? (size_t)ps : HEAP_PAGE;
	void *g = mmap(NULL, c->guard_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED) {
		free(c);
		return -1;
	}
	c->guard = g;
	uint64_t start = 0;
	(void)proc_start(getpid(), &start);
	/* Without the fork guard a child would share the slot: no cache then. */
	if (madvise(g, c->guard_len, MADV_WIPEONFORK) < 0) {
		munmap(g, c->guard_len);
		free(c);
		return 0;
	}
	if (heap_lock(h) < 0) {
		int err = errno;
		munmap(g, c->guard_len);
		free(c);
		errno = err;
		return -1;
	}
	cache_sweep_locked(h, 1);
	unsigned n = table_slots(h);
	struct cache_table *t = table_of(h);
	for (unsigned i = 0; i < n && !c->slot; i++) {
		struct cache_slot *s = &t->slot[i];
		if (s->pid)
			continue;
		memset(s->count, 0, sizeof(s->count));
		s->pending = 0;
		s->start_time = start;
		__atomic_store_n(&s->pid, (uint32_t)getpid(), __ATOMIC_RELEASE);
		c->slot = s;
		c->tagx = (uint64_t)cache_slot_xor(i) << BW_TAG_SHIFT;
	}
	heap_unlock(h);
	if (!c->slot) {
		/* Every slot is taken: this connection works through the lock. */
		munmap(g, c->guard_len);
		free(c);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &c->last_sweep);
	*c->guard = 1;
	h->cache = c;
	return 0;
}

/* The word a block of size bytes at off has while live. */
static uint64_t live_word(struct shmheap_heap *h, heap_off off, uint64_t size)
{
	return size | BW_IN_USE | (uint64_t)block_tag(h->seed, off, size) << BW_TAG_SHIFT;
}

/* Moves the block at off from state from (a word without prev field) to
 * from ^ c->tagx, whatever its prev field; false if it is not in state from. */
static bool switch_state(struct shmheap_heap *h, struct heap_cache *c, heap_off off,
			 uint64_t from)
{
	uint64_t *w = block_word(h->base, off);
	uint64_t old = __atomic_load_n(w, __ATOMIC_RELAXED);
	for (;;) {
		if ((old & ~BW_PREV_MASK) != from)
			return false;
		if (__atomic_compare_exchange_n(w, &old, old ^ c->tagx, true,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return true;
	}
}

int cache_block_free(struct shmheap_heap *h, heap_off off)
{
	if (!(h->heap_flags & HEAP_FLAG_CACHED)) {
		block_free(h, off);
		return 0;
	}
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

/* An offset from a stack, checked before it is used. */
static bool plausible(struct shmheap_heap *h, heap_off off, uint64_t size)
{
	return off >= HEAP_FIRST_BLOCK && off % HEAP_UNIT == 0 &&
	       off + size <= heap_mapped_bytes(h);
}

/* Under the heap lock: frees the n oldest blocks of class k. */
static void flush_class(struct shmheap_heap *h, struct heap_cache *c, unsigned k,
			uint32_t n)
{
	struct cache_slot *s = c->slot;
	uint32_t count = s->count[k] < CACHE_DEPTH ? s->count[k] : CACHE_DEPTH;
	uint64_t size = cache_class_size(k);
	uint64_t cached = 0;
	if (n > count)
		n = count;
	for (uint32_t i = 0; i < n; i++) {
		heap_off off = unit_to_off(s->stack[k][i]);
		if (!plausible(h, off, size))
			continue;
		cached = live_word(h, off, size) ^ c->tagx;
		uint64_t bw = __atomic_load_n(block_word(h->base, off), __ATOMIC_RELAXED);
		if ((bw & ~BW_PREV_MASK) == cached)
			block_free(h, off);
	}
	memmove(&s->stack[k][0], &s->stack[k][n], (count - n) * sizeof(s->stack[k][0]));
	s->count[k] = count - n;
}

static void flush_all(struct shmheap_heap *h, struct heap_cache *c)
{
	for (unsigned k = 0; k < CACHE_CLASSES; k++)
		flush_class(h, c, k, CACHE_DEPTH);
}

void cache_detach(struct shmheap_heap *h)
{
	struct heap_cache *c = h->cache;
	if (!c)
		return;
	h->cache = NULL;
	if (*c->guard) {
		/* If the lock cannot be had, the blocks stay cached until this
		 * process ends and a sweep finds the slot's owner dead. */
		if (heap_lock(h) == 0) {
			flush_all(h, c);
			c->slot->pending = 0;
			c->slot->start_time = 0;
			__atomic_store_n(&c->slot->pid, 0, __ATOMIC_RELEASE);
			heap_debug_verify(h, "shmheap_disconnect");
			heap_unlock(h);
		}
	}
	munmap((void *)c->guard, c->guard_len);
	free(c);
}

/* Takes a block of need bytes from the heap under the lock (growing it if
 * needed, and giving back this process's cached blocks when the heap is
 * full), and puts up to CACHE_BATCH - 1 more into the stack of class k. */
static heap_off refill(struct shmheap_heap *h, struct heap_cache *c, unsigned k,
		       uint64_t need)
{
	if (heap_lock(h) < 0)
		return 0;
	cache_sweep_locked(h, 0);
	heap_off off = block_alloc(h, need);
	if (!off) {
		uint64_t target = heap_growth_target(h, need);
		if (target && heap_grow_locked(h, target) == 0)
			off = block_alloc(h, need);
	}
	if (!off) {
		flush_all(h, c);
		off = block_alloc(h, need);
		if (!off)
			errno = ENOMEM;
	}
	int err = errno;
	struct cache_slot *s = c->slot;
	uint32_t n = s->count[k];
	for (unsigned i = 1; off && i < CACHE_BATCH && n < CACHE_DEPTH; i++) {
		struct fi_path path;
		heap_off more = fi_first_fit(&h->index, need, &path);
		/* A block whose remainder would be 8 bytes is taken whole: no
		 * longer of this class. */
		if (!more || bw_size(*block_word(h->base, more)) - need == HEAP_UNIT)
			break;
		__atomic_store_n(&s->pending, CACHE_OP_REFILL | more, __ATOMIC_RELAXED);
		if (block_alloc(h, need) != more)
			break; /* first fit is deterministic: cannot happen */
		uint64_t *w = block_word(h->base, more);
		__atomic_store_n(w, *w ^ c->tagx, __ATOMIC_RELEASE);
		s->stack[k][n++] = off_to_unit(more);
		s->count[k] = n;
	}
	__atomic_store_n(&s->pending, 0, __ATOMIC_RELEASE);
	heap_debug_verify(h, "shmheap_alloc");
	heap_unlock(h);
	errno = err;
	return off;
}

int cache_alloc(struct shmheap_heap *h, uint64_t need, void **out)
{
	struct heap_cache *c = h->cache;
	if (!*c->guard)
		return 1;
	unsigned k = cache_class(need);
	slot_lock(c);
	struct cache_slot *s = c->slot;
	uint32_t n = s->count[k] < CACHE_DEPTH ? s->count[k] : CACHE_DEPTH;
	uint64_t cached_base = need | BW_IN_USE;
	for (; n > 0; n--) {
		heap_off off = unit_to_off(s->stack[k][n - 1]);
		if (!plausible(h, off, need))
			continue;
		uint64_t cached = (cached_base | (uint64_t)block_tag(h->seed, off, need)
							 << BW_TAG_SHIFT) ^
				  c->tagx;
		/* The compare-and-swap orders this store before it. */
		__atomic_store_n(&s->pending, CACHE_OP_POP | off, __ATOMIC_RELAXED);
		if (switch_state(h, c, off, cached)) {
			s->count[k] = n - 1;
			__atomic_store_n(&s->pending, 0, __ATOMIC_RELEASE);
			slot_unlock(c);
			*out = h->base + off + HEAP_UNIT;
			return 0;
		}
	}
	s->count[k] = 0;
	__atomic_store_n(&s->pending, 0, __ATOMIC_RELEASE);
	heap_off off = refill(h, c, k, need);
	int err = errno;
	slot_unlock(c);
	if (!off) {
		*out = NULL;
		errno = err == ENOSPC || err == ETIMEDOUT || err == ENOTRECOVERABLE
				? err
				: ENOMEM;
		return -1;
	}
	*out = h->base + off + HEAP_UNIT;
	return 0;
}

int cache_free(struct shmheap_heap *h, void *ptr)
{
	struct heap_cache *c = h->cache;
	uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)h->base;
	/* Anything odd is left to the locked path, which maps what others grew
	 * the heap by, and refuses what is no live object. */
	if (!*c->guard || p < b + HEAP_FIRST_OBJECT || p - b >= heap_mapped_bytes(h))
		return 1;
	/* block_of_object's test, on one read of the word. */
	heap_off off = p - b - HEAP_UNIT;
	if (off % HEAP_UNIT)
		return 1;
	uint64_t bw = __atomic_load_n(block_word(h->base, off), __ATOMIC_RELAXED);
	uint64_t size = bw_size(bw);
	if (size > CACHE_MAX_BLOCK || size < BLOCK_MIN ||
	    size > heap_mapped_bytes(h) - off ||
	    cache_kind(h->seed, off, bw) != CACHE_KIND_LIVE)
		return 1;
	unsigned k = cache_class(size);
	slot_lock(c);
	struct cache_slot *s = c->slot;
	if (s->count[k] >= CACHE_DEPTH) {
		if (heap_lock(h) < 0) {
			int err = errno;
			slot_unlock(c);
			errno = err;
			return -1;
		}
		cache_sweep_locked(h, 0);
		flush_class(h, c, k, CACHE_BATCH);
		heap_debug_verify(h, "shmheap_free");
		heap_unlock(h);
	}
	if (!switch_state(h, c, off, bw & ~BW_PREV_MASK)) {
		/* Freed meanwhile, by another thread or process. */
		slot_unlock(c);
		__atomic_add_fetch(&h->invalid_frees, 1, __ATOMIC_RELAXED);
		errno = EINVAL;
		return -1;
	}
	s->stack[k][s->count[k]] = off_to_unit(off);
	s->count[k]++;
	slot_unlock(c);
	return 0;
}
