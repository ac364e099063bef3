/* SPDX-License-Identifier: MIT */
/*
 * layout.h - what a heap looks like in shared memory.
 *
 * A heap is one shared object, mapped at a different address by every
 * process, so nothing in it is a pointer: every reference is an offset from
 * the start of the heap.  The object starts with a 72-byte header and is then
 * tiled exactly by blocks, each starting with one 64-bit block word:
 *
 *   0        72   80                       80+n  88+n
 *   +--------+----+------------------------+-----+------------- - -
 *   | header | bw | object (n bytes)       | bw  | object ...
 *   +--------+----+------------------------+-----+------------- - -
 *
 * So the first bookkeeping space is 80 bytes (header and first block word)
 * and every later one is 8 bytes.  A block's size counts its block word, is a
 * multiple of 8 and at least 16; objects are 8-byte aligned.
 *
 * The block word:
 *
 *   63          36 35                       3  2  1  0
 *   +-------------+--------------------------+-----+---+
 *   | tag / prio  | size in bytes (8-aligned)| prev|use|
 *   +-------------+--------------------------+-----+---+
 *
 *   use   1 when the block holds a live object.
 *   prev  what precedes the block: PREV_USED (a live object or the header),
 *         or a free block of 16 bytes, of 24 bytes, or of 32 and more (whose
 *         last word then holds its size, a footer).  Freeing finds the start of
 *         a free left neighbour from this alone, without a search.
 *   tag   in a live block, 28 bits of a keyed hash of (offset, size): a pointer
 *         that is not the start of a live object is recognised and refused.
 *   prio  in a free block, its random treap priority (kept, unused, by a
 *         heap with a fitmap).
 *
 * The free-block index of a heap made since 0.6.0 lies after its last block
 * (HEAP_FLAG_FITMAP, fitmap.h): the object is the heap, then the index.  A
 * heap made by 0.5.0 or earlier keeps it in free space (freeindex.c): two
 * treaps keyed by address, one of all free blocks of 24 bytes or more
 * (augmented with the largest size in each subtree, so the lowest-addressed
 * block that fits is found in O(log n)), and one of the 16-byte blocks,
 * which only an 8-byte object fits.  There a free block's second word holds
 * its left and right children as 32-bit offsets in 8-byte units, and a large
 * block's third word its subtree's largest size.  32-bit unit offsets are what
 * limit a heap to 32 GiB.
 *
 * The header is full, so what the names directory and the intent log of
 * shmheap_alloc_into / shmheap_free_from need lives in an extension record,
 * an ordinary block allocated by the first call that needs it: with
 * HEAP_FLAG_EXT set, the header's `created` field holds the record's unit
 * offset and the creation time is in the record (see ext.h).
 */
#ifndef SHMHEAP_LAYOUT_H
#define SHMHEAP_LAYOUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "align.h"

#define HEAP_MAGIC 0x50414548u /* "HEAP" read as little-endian bytes */
/* Written into magic first by the creator, so that a heap being created is
 * told from an object of zeros that is no heap (see heap_read_header). */
#define HEAP_MAGIC_CREATING 0x70616568u /* "heap" */
#define HEAP_LAYOUT_VERSION 1u
#define HEAP_UNIT 8u	/* alignment and size granularity */
#define HEAP_PAGE 4096u /* unit of the header's size fields */
#define HEAP_MAX_SIZE ((uint64_t)1 << 35)
#define HEAP_FLAG_GROWABLE 0x1u
/* `created` holds the extension record's unit offset (see ext.h). */
#define HEAP_FLAG_EXT 0x4u
/* Per-process caches of free blocks; the first block is the cache table (cache.h). */
#define HEAP_FLAG_CACHED 0x2u
/*
 * A call met damage in this heap (a link, size or word that cannot be), or a
 * repair left problems: connects refuse the heap (inspecting ones excepted).
 * Set with an atomic or; nothing clears it.  Libraries before
 * the flag existed take a heap with an unknown flag for a damaged header and
 * refuse it too.
 */
#define HEAP_FLAG_DAMAGED 0x8u
/*
 * Since 0.6.0: the free-block index is a flat map after the heap's last
 * block (fitmap.h), and the object is that much longer than the heap; the
 * header's roots stay 0.  Without it the treaps of freeindex.c are the index.
 * Earlier libraries take the unknown flag for a damaged header and refuse
 * the heap, as they must: they would not keep the map.
 */
#define HEAP_FLAG_FITMAP 0x10u

/*
 * The lock's slot: the first 40 bytes of the header.
 *
 * glibc's pthread_mutex_t is a union of the mutex proper (__data: lock word,
 * owner, kind, robust-list links) and a byte array that sets its size for the
 * ABI.  On every 64-bit glibc architecture __data is 40 bytes; the union is 40
 * bytes on most of them, but 48 on arm64, whose last 8 bytes are padding that
 * neither glibc (after pthread_mutex_init) nor the kernel's robust-futex code
 * ever touches.  So the lock takes a fixed 40-byte slot and the fields follow
 * at byte 40 on every architecture: the header is 72 bytes everywhere, and the
 * x86-64 layout is the one heaps already have.  On arm64 the mutex's padding
 * overlaps magic..size_pages, which is why the lock is initialised before any
 * field is written (init_heap).  configure checks that __data fits the slot.
 */
#define HEAP_LOCK_SLOT 40u

/* The shared header.  Its fields are only written under the lock, except
 * magic, written once and last when the heap is complete. */
struct heap_header {
	union {
		pthread_mutex_t lock;
		struct {
			unsigned char lock_slot[HEAP_LOCK_SLOT];
			uint32_t magic;
			uint16_t version;
			uint16_t flags;
			uint32_t size_pages; /* current size, in HEAP_PAGE units */
			uint32_t max_pages;  /* growth limit, in HEAP_PAGE units */
			uint32_t
				main_root; /* treap of free blocks >= 24 bytes (unit offset) */
			uint32_t
				tiny_root; /* treap of 16-byte free blocks (unit offset) */
			uint32_t
				seed; /* keys the tags and priorities, and names the heap in handles */
			uint32_t created; /* seconds since the epoch, or with
					   * HEAP_FLAG_EXT the unit offset of
					   * the extension record (ext.h) */
		};
	};
};

#define HEAP_HEADER_SIZE ((uint64_t)sizeof(struct heap_header))
#define HEAP_FIRST_BLOCK HEAP_HEADER_SIZE
#define HEAP_FIRST_OBJECT (HEAP_FIRST_BLOCK + HEAP_UNIT)

#ifdef __GLIBC__
_Static_assert(sizeof(((pthread_mutex_t *)0)->__data) <= HEAP_LOCK_SLOT,
	       "the mutex glibc uses must fit the header's lock slot");
#else
_Static_assert(sizeof(pthread_mutex_t) <= HEAP_LOCK_SLOT,
	       "the mutex must fit the header's lock slot");
#endif
_Static_assert(offsetof(struct heap_header, magic) == HEAP_LOCK_SLOT,
	       "fields follow the lock slot");
_Static_assert(sizeof(struct heap_header) == 72,
	       "the first bookkeeping space must stay 80 bytes");
_Static_assert(sizeof(struct heap_header) % HEAP_UNIT == 0,
	       "blocks must start 8-aligned");

/* Block word fields. */
#define BW_IN_USE 0x1ull
#define BW_PREV_MASK 0x6ull
#define BW_PREV_USED 0x0ull
#define BW_PREV_FREE16 0x2ull
#define BW_PREV_FREE24 0x4ull
#define BW_PREV_FREE_BIG 0x6ull
#define BW_SIZE_MASK 0x0000000ffffffff8ull
#define BW_TAG_SHIFT 36
#define BW_TAG_MASK 0x0fffffffull

#define BLOCK_MIN 16u	   /* block word + an 8-byte object */
#define BLOCK_MAIN_MIN 24u /* smallest block the main treap can hold */
#define BLOCK_FOOTER_MIN 32u

typedef uint64_t heap_off;  /* byte offset from the start of the heap */
typedef uint32_t heap_unit; /* offset in HEAP_UNIT units; 0 means none */

static inline uint64_t *block_word(unsigned char *base, heap_off off)
{
	return (uint64_t *)(void *)(base + off);
}

static inline uint64_t bw_size(uint64_t bw)
{
	return bw & BW_SIZE_MASK;
}

static inline uint32_t bw_tag(uint64_t bw)
{
	return (uint32_t)(bw >> BW_TAG_SHIFT);
}

/*
 * One step along the chain of blocks: the size of the block whose word bw
 * lies at off, when it is a block at all (BLOCK_MIN bytes or more) and ends
 * by end; 0 when the chain breaks there.  Every walk of the chain steps
 * with it, so that no block word read from the heap takes a walk past end.
 */
static inline uint64_t block_step(heap_off off, uint64_t bw, uint64_t end)
{
	uint64_t size = bw_size(bw);
	return size >= BLOCK_MIN && size <= end - off ? size : 0;
}

/* The size of the block that holds an object of size bytes: its block word
 * and the object rounded up to HEAP_UNIT (a request of 0 bytes gets the
 * smallest object, as malloc(0) gets a unique one); 0 when no heap could
 * hold it. */
static inline uint64_t block_need(size_t size)
{
	if (size > HEAP_MAX_SIZE)
		return 0;
	return round_up((uint64_t)(size ? size : 1) + HEAP_UNIT, HEAP_UNIT);
}

static inline heap_unit off_to_unit(heap_off off)
{
	return (heap_unit)(off / HEAP_UNIT);
}

static inline heap_off unit_to_off(heap_unit u)
{
	return (heap_off)u * HEAP_UNIT;
}

/* A strong 64-bit mixer (splitmix64's finaliser). */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* The tag a live block at off of the given size must carry. */
static inline uint32_t block_tag(uint32_t seed, heap_off off, uint64_t size)
{
	return (uint32_t)(mix64(off ^ mix64(size ^ ((uint64_t)seed << 32))) &
			  BW_TAG_MASK);
}

/*
 * The free block that ends the heap gets the one priority no other block
 * can have, which keeps it at the main treap's root: allocations carved from
 * the end of the heap then change the root alone (dlmalloc's "top chunk",
 * kept inside the exact first-fit order).
 */
#define BLOCK_PRIO_TOP ((uint32_t)BW_TAG_MASK)

/* A priority for a block entering the index, below BLOCK_PRIO_TOP. */
static inline uint32_t block_priority(uint32_t seed, heap_off off)
{
	return (uint32_t)(mix64(off ^ ((uint64_t)seed << 29) ^ 0x5bd1e995u) %
			  BLOCK_PRIO_TOP);
}

/* The prev field a block gets when a free block of this size precedes it. */
static inline uint64_t prev_state_for_free(uint64_t size)
{
	if (size == 16)
		return BW_PREV_FREE16;
	if (size == 24)
		return BW_PREV_FREE24;
	return BW_PREV_FREE_BIG;
}

/*
 * A handle (shmheap_object_handle) names an object in every process: the
 * object's offset in the low 35 bits and, above them, 29 bits of the heap's
 * seed with the lowest set (no handle is 0), so that a handle of another
 * heap is refused.  Handles are stored in heaps too: in shmheap_alloc_into's
 * slots and in the names directory's entries.
 */
#define HANDLE_OFF_BITS 35
#define HANDLE_OFF_MASK ((UINT64_C(1) << HANDLE_OFF_BITS) - 1)

static inline uint64_t handle_of(uint32_t seed, heap_off obj)
{
	return obj | (uint64_t)(seed | 1u) << HANDLE_OFF_BITS;
}

/* The object offset a handle's value names in the heap of this seed, or 0
 * (a handle of another heap). */
static inline heap_off handle_off(uint32_t seed, uint64_t value)
{
	if ((value & ~HANDLE_OFF_MASK) != (uint64_t)(seed | 1u) << HANDLE_OFF_BITS)
		return 0;
	return value & HANDLE_OFF_MASK;
}

static inline uint64_t heap_size_bytes(const struct heap_header *hdr)
{
	return (uint64_t)__atomic_load_n(&hdr->size_pages, __ATOMIC_ACQUIRE) * HEAP_PAGE;
}

/* The growth limit, set at creation and never changed. */
static inline uint64_t heap_max_bytes(const struct heap_header *hdr)
{
	return (uint64_t)hdr->max_pages * HEAP_PAGE;
}

#endif /* SHMHEAP_LAYOUT_H */
