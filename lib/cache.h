/* SPDX-License-Identifier: MIT */
/*
 * cache.h - the per-process caches of a cached heap (SHMHEAP_CACHED): the
 * table in the heap (cache.c), the caches (cache-front.c), their repair
 * (cache-repair.c), check and figures (cache-check.c, cache-stats.c).
 *
 * A cached heap's first block holds the cache table: a short header and one
 * slot per connected process.  A slot holds, for each size class, a stack of
 * the blocks the process keeps for itself, and an "operation pending" word.
 * Only the slot's owner writes its stacks and its pending word; a slot is
 * claimed and released under the heap lock.
 *
 * A block in a cache keeps its in-use bit (so that the chain, the free-block
 * index and the repair treat it as taken), and carries a tag of its own: the
 * live tag xor a value naming the slot.  So the block word alone tells a live
 * object, a block in slot s's cache, and the cache table apart, and each
 * change of state is one atomic change of that word.
 */
#ifndef SHMHEAP_CACHE_H
#define SHMHEAP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "align.h"
#include "export.h"
#include "view.h"
#include "layout.h"
#include "liveness.h"

#define CACHE_MAGIC 0x48434143u /* "CACH" read as little-endian bytes */
#define CACHE_MAX_BLOCK 520u	/* largest cached block (a 512-byte object) */
#define CACHE_CLASSES (CACHE_MAX_BLOCK / HEAP_UNIT - 1) /* block sizes 16..520 */
/*
 * Each slot keeps at most `depth` blocks per class, a figure the table records
 * (cache_table_depth): CACHE_DEPTH_MAX in heaps of CACHE_DEPTH_FULL_HEAP bytes
 * and more, half that from a quarter of that size, a quarter below.  A refill
 * or a flush moves half a stack's worth, so a stack that has just been
 * refilled or flushed is that far from its next refill or flush whichever way
 * the program goes.  Every block a refill or flush moves passes through the
 * heap lock and its index, so deep stacks are what let processes scale: the
 * blocks that pass per call fall as 1/depth (bench/RESULTS.md).  Tables
 * written before the depth was recorded read 0 there and have
 * CACHE_DEPTH_LEGACY.
 */
#define CACHE_DEPTH_MAX 64u
#define CACHE_DEPTH_LEGACY 16u
#define CACHE_DEPTH_FULL_HEAP ((uint64_t)64 << 20)
/* The largest run of blocks one refill carves at once. */
#define CACHE_RUN_MAX ((uint64_t)(CACHE_DEPTH_MAX / 2) * CACHE_MAX_BLOCK)
/* The most slots a table has: a heap gets fewer (at least one) when the
 * table would take more than a 32nd of it (cache_table_block). */
#define CACHE_SLOTS_MAX 16u

/* The pending word: what the owner was doing, and on which block. */
#define CACHE_OP_SHIFT 48
#define CACHE_OP_POP ((uint64_t)1 << CACHE_OP_SHIFT)
#define CACHE_OP_REFILL ((uint64_t)2 << CACHE_OP_SHIFT)
#define CACHE_OFF_MASK (((uint64_t)1 << CACHE_OP_SHIFT) - 1)

/*
 * A slot: this header, then the stacks, class after class (cache_stack).
 * The owner's fields say how a sweeper tells that it has ended
 * (liveness.c); 0.3.1 and older wrote only pid and start_time, leaving mark
 * and owner_ns 0.
 */
struct cache_slot {
	uint32_t pid;	     /* owner's process id (in its pid namespace); 0: free */
	uint32_t mark;	     /* liveness_owner.mark */
	uint64_t start_time; /* owner's start time (/proc/PID/stat field 22) */
	uint64_t pending;    /* CACHE_OP_* | block offset, or 0 */
	uint64_t owner_ns;   /* liveness_owner.ns: the owner's namespaces */
	uint32_t count[CACHE_CLASSES]; /* blocks in each class's stack */
	uint32_t stack[];	       /* [CACHE_CLASSES][depth] unit offsets */
};

struct cache_table {
	uint32_t magic;
	uint32_t slots;
	uint32_t depth; /* 0: a table of 0.3.0 (CACHE_DEPTH_LEGACY) */
	uint32_t reserved;
	/* then the slots (cache_slot_at) */
};

/*
 * The table's layout follows its depth field.  0 (tables of 0.3.0): slots
 * of depth 16, packed after the 16-byte header.  A recorded depth: the slots
 * start on a cache line (the table lies at HEAP_FIRST_OBJECT) and are padded
 * to whole lines, so that no two processes' slots share one.
 */
#define CACHE_LINE 64u
#define CACHE_TABLE_HEAD_LEGACY 16u
#define CACHE_TABLE_HEAD 48u
_Static_assert((HEAP_FIRST_OBJECT + CACHE_TABLE_HEAD) % CACHE_LINE == 0,
	       "a table's first slot starts a cache line");

static inline unsigned cache_depth_of(uint32_t depth_field)
{
	return depth_field ? depth_field : CACHE_DEPTH_LEGACY;
}

static inline unsigned cache_table_depth(const struct cache_table *t)
{
	return cache_depth_of(t->depth);
}

/* The table's header, each field read once: shared memory may change under
 * the reader, so the copy is what gets checked (cache_table_slots) and used. */
static inline struct cache_table cache_table_read(const void *table)
{
	const struct cache_table *t = (const struct cache_table *)table;
	return (struct cache_table){
		.magic = __atomic_load_n(&t->magic, __ATOMIC_RELAXED),
		.slots = __atomic_load_n(&t->slots, __ATOMIC_RELAXED),
		.depth = __atomic_load_n(&t->depth, __ATOMIC_RELAXED),
	};
}

static inline uint64_t cache_table_head(uint32_t depth_field)
{
	return depth_field ? CACHE_TABLE_HEAD : CACHE_TABLE_HEAD_LEGACY;
}

/* The bytes from one slot to the next (4,384 in a table of 0.3.0). */
static inline uint64_t cache_slot_stride(uint32_t depth_field)
{
	uint64_t n = offsetof(struct cache_slot, stack) +
		     (uint64_t)CACHE_CLASSES * cache_depth_of(depth_field) * 4;
	return round_up(n, depth_field ? CACHE_LINE : HEAP_UNIT);
}

/* Slot i of the table at table whose (checked) header copy is hdr. */
static inline struct cache_slot *cache_slot_at(const void *table,
					       const struct cache_table *hdr, unsigned i)
{
	return (struct cache_slot *)(void *)((unsigned char *)(uintptr_t)table +
					     cache_table_head(hdr->depth) +
					     i * cache_slot_stride(hdr->depth));
}

/* Class k's stack in a slot of a table of the given depth. */
static inline uint32_t *cache_stack(struct cache_slot *s, unsigned depth, unsigned k)
{
	return s->stack + (size_t)k * depth;
}

/* Tag values xored into a block's live tag: one per slot, one for the table. */
#define CACHE_TAG_BASE 0x0ca0000u
#define CACHE_TAG_TABLE (CACHE_TAG_BASE | 0xfffu)

static inline uint32_t cache_slot_xor(unsigned slot)
{
	return CACHE_TAG_BASE | (slot + 1);
}

static inline unsigned cache_class(uint64_t block_size)
{
	return (unsigned)(block_size / HEAP_UNIT) - 2;
}

static inline uint64_t cache_class_size(unsigned k)
{
	return ((uint64_t)k + 2) * HEAP_UNIT;
}

static inline uint64_t cache_table_bytes(unsigned slots, uint32_t depth_field)
{
	return cache_table_head(depth_field) +
	       (uint64_t)slots * cache_slot_stride(depth_field);
}

/* The slots of a table that lies in a block of block_size bytes, or 0 when
 * its header is not sane; t is a copy (cache_table_read). */
static inline unsigned cache_table_slots(const struct cache_table *t, uint64_t block_size)
{
	unsigned depth = cache_table_depth(t);
	if (t->magic != CACHE_MAGIC || t->slots < 1 || t->slots > CACHE_SLOTS_MAX ||
	    depth < 2 || depth > CACHE_DEPTH_MAX ||
	    HEAP_UNIT + cache_table_bytes(t->slots, t->depth) > block_size)
		return 0;
	return t->slots;
}

/* The depth of a new table in a heap of len bytes. */
static inline unsigned cache_depth_for(uint64_t len)
{
	if (len >= CACHE_DEPTH_FULL_HEAP)
		return CACHE_DEPTH_MAX;
	return len >= CACHE_DEPTH_FULL_HEAP / 4 ? CACHE_DEPTH_MAX / 2
						: CACHE_DEPTH_MAX / 4;
}

/* The size of the table's block for a heap of len bytes, and its slots. */
static inline uint64_t cache_table_block(uint64_t len, unsigned *slots)
{
	unsigned n = CACHE_SLOTS_MAX, depth = cache_depth_for(len);
	while (n > 1 && HEAP_UNIT + cache_table_bytes(n, depth) > len / 32)
		n--;
	*slots = n;
	return round_up(HEAP_UNIT + cache_table_bytes(n, depth), HEAP_UNIT);
}

enum cache_kind {
	CACHE_KIND_OTHER = -1, /* a free block, or a word no state explains */
	CACHE_KIND_LIVE = -2,  /* a live object */
	CACHE_KIND_TABLE = -3, /* the cache table */
			       /* 0..CACHE_SLOTS_MAX-1: a block in that slot's cache */
};

/* What the in-use block word bw at off is, by its tag. */
static inline int cache_kind(uint32_t seed, heap_off off, uint64_t bw)
{
	if (!(bw & BW_IN_USE))
		return CACHE_KIND_OTHER;
	uint32_t x = bw_tag(bw) ^ block_tag(seed, off, bw_size(bw));
	if (x == 0)
		return CACHE_KIND_LIVE;
	if (x == CACHE_TAG_TABLE)
		return off == HEAP_FIRST_BLOCK ? CACHE_KIND_TABLE : CACHE_KIND_OTHER;
	if ((x & ~0xfffu) == CACHE_TAG_BASE && (x & 0xfffu) >= 1 &&
	    (x & 0xfffu) <= CACHE_SLOTS_MAX && bw_size(bw) <= CACHE_MAX_BLOCK)
		return (int)(x & 0xfffu) - 1;
	return CACHE_KIND_OTHER;
}

/*
 * Changes the prev field of a block word that a cache owner may change at
 * the same moment (without the heap lock): both are atomic, so neither
 * change is lost.
 */
static inline void cache_set_prev(uint64_t *w, uint64_t prev_state)
{
	uint64_t old = __atomic_load_n(w, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(w, &old, (old & ~BW_PREV_MASK) | prev_state,
					    true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

struct shmheap_heap;
struct heap_layer_ops;

/* cache-front.c: the layer of cached heaps (layer.h). */
extern const struct heap_layer_ops cache_layer;

/* cache.c.  The table of the heap h maps, its header copied to *hdr and its
 * address to *t: its slots, or 0 when h is not cached or the table not sane. */
HIDDEN unsigned cache_heap_table(struct shmheap_heap *h, struct cache_table *hdr,
				 struct cache_table **t);
/* Under no lock, by the creator before the heap is published:
 * makes the table as the heap's first block; -1 (EINVAL) if it does not fit. */
HIDDEN int cache_table_init(struct shmheap_heap *h, uint64_t len);
/* A slot's owner fields, each read once; and, under the lock, naming its
 * owner (o->pid 0: frees the slot). */
HIDDEN struct liveness_owner cache_slot_owner(const struct cache_slot *s);
HIDDEN void cache_slot_set_owner(struct cache_slot *s, const struct liveness_owner *o);
/* Whether the owner of slot i, whose header s is a copy, still runs:
 * LIVENESS_GONE, LIVENESS_RUNS, or LIVENESS_UNSURE (liveness.h). */
HIDDEN int cache_owner_state(struct shmheap_heap *h, unsigned i,
			     const struct cache_slot *s);

/* cache-front.c.  Gives the connection a slot (after reclaiming dead owners' caches) when the
 * heap is cached; a connection without one works through the lock.  -1 only
 * when the lock cannot be taken. */
HIDDEN int cache_attach(struct shmheap_heap *h);
/* Flushes the connection's caches into the heap and releases its slot. */
HIDDEN void cache_detach(struct shmheap_heap *h);
/* shmheap_alloc of a block of need bytes on a cached heap: the object, or
 * NULL with errno.  Through the cache, or under the lock (heap_alloc_locked)
 * when the block is larger than the cache takes or this connection's cache
 * is not this process's (a forked child). */
HIDDEN void *cache_alloc(struct shmheap_heap *h, uint64_t need);
/* shmheap_free on a cached heap: 0, or -1 with errno.  Through the cache,
 * or under the lock (heap_free_locked) for a block the cache does not take. */
HIDDEN int cache_free(struct shmheap_heap *h, void *ptr);
/* Frees the live block at off for real, under the lock (block_release).  The
 * block word changes with a compare-and-swap, so that a free of the same
 * object racing through a cache cannot also succeed: -1 then. */
HIDDEN int cache_block_free(struct shmheap_heap *h, heap_off off);

/* cache-repair.c.  Under the lock: returns dead owners' caches to the heap (and repairs it). */
HIDDEN void cache_sweep(struct shmheap_heap *h);
/* Under the lock, from heap_repair before it rebuilds the index: resolves
 * refills cut short by the death of the lock's holder, and makes the blocks
 * of dead owners' caches free (the rebuild merges them). */
HIDDEN void cache_repair(struct shmheap_heap *h);

/* cache-check.c: a cached heap read through a view (inspect.h). */
/* The table as a view holds it: its header and its block's size, each read
 * once. */
struct cache_view_table {
	struct cache_table hdr;
	uint64_t block;
};
/* The table's slots (t filled in), or 0 if it is damaged. */
HIDDEN unsigned cache_view_table(const struct heap_view *v, struct cache_view_table *t);
/* The header of slot i (below what cache_view_table returned) of t, read once. */
HIDDEN void cache_view_slot_read(const struct heap_view *v, const struct cache_view_table *t,
				 unsigned i, struct cache_slot *s);
/* The slot whose cache holds the in-use block at off of word bw, or -1. */
HIDDEN int cache_view_slot(const struct heap_view *v, heap_off off, uint64_t bw);
/* The layer's view hooks (layer.h): block_kind, check_block and check. */
HIDDEN int cache_block_kind(const struct heap_view *v, heap_off off, uint64_t bw);
HIDDEN int cache_check_block(const struct heap_view *v, heap_off off, uint64_t bw,
			     heap_problem_fn fn, void *arg);
HIDDEN void cache_check(const struct heap_view *v, heap_problem_fn fn, void *arg);

#endif /* SHMHEAP_CACHE_H */
