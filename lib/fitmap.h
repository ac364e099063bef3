/* SPDX-License-Identifier: MIT */
/*
 * fitmap.h - the free-block index of heaps made since 0.6.0: a flat map of
 * the free blocks, kept out of band, right after the heap's last block.
 *
 * The heap is cut into regions of FM_REGION bytes.  A region has a 64-bit
 * word with a bit for each 8-byte unit where a free block starts, and a
 * 16-bit figure of the largest free block that starts in it (its size in
 * units below 256 KiB, a code that keeps the sizes' order above: see
 * figure_of).  Above those figures sits a tree of
 * maxima, 32 children to a node, laid out level by level in arrays whose
 * nodes are each one 64-byte line.  The
 * lowest-addressed free block of at least n bytes lies in the first region
 * whose figure is at least n, or else it is the top: the search goes down the
 * tree taking, at each node, the first child that fits, reads that region's
 * word and tries its blocks in address order.  For a heap of 256 MiB that is 5 lines, the
 * upper ones shared by every search and so in the cache, where the treap
 * (freeindex.c) read one line per level of about 17.  The codes cost
 * exactness only for blocks of 256 KiB and more: a search for one may reach
 * a region whose largest block has its code but is up to 1/1024 smaller,
 * and then goes on to the next.
 *
 *   heap_size                                              + fm_bytes
 *   +-----+---------------+-----------------+---------+-----+------+- - -+
 *   | top | bits[R] (u64) | level 0 [R] u16 | level 1 | ... | root | pad |
 *   +-----+---------------+-----------------+---------+-----+------+- - -+
 *
 * R = heap_size / FM_REGION; every level starts on a 64-byte boundary.  The
 * free block that ends the heap, the top, is not in the map: its offset is
 * the index's first word (0: the heap ends with a block in use), so that
 * allocations carved from the end of the heap, and those no block of the
 * map fits, change that word alone.  The
 * object is heap_size + fm_bytes(heap_size) long; growth moves the index to
 * the new end (fm_relocate) before it publishes the new size, so that the
 * index always sits at the heap's size.  The index costs 10.1 bytes per
 * 512 of heap (2.0%).
 *
 * Everything here is derived from the block chain, which heap_repair walks
 * to rebuild it (fi_clear, then fi_insert of each free block), so a process
 * killed inside an update leaves nothing the next locker does not redo.
 * Every figure read from the map is only a guide: a block handed to the
 * caller is checked whole (free, its size inside the heap), a path the
 * figures promise and the bits do not keep sets *damaged, and no loop runs
 * longer than the geometry allows, whatever the words say.
 */
#ifndef SHMHEAP_FITMAP_H
#define SHMHEAP_FITMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"

#define FM_REGION 512u	/* bytes of heap per region: 64 units */
#define FM_FANOUT_BITS 5
#define FM_FANOUT (1u << FM_FANOUT_BITS) /* children per node: one line of 16-bit figures */
/* A figure is a block's size in units below FM_FIGURE_EXACT (256 KiB), and
 * above it a floating-point code with a 10-bit mantissa, rounded down: the
 * codes keep the sizes' order, and two sizes share one only if they are
 * within 1/1024 of each other. */
#define FM_FIGURE_EXACT 32768u
#define FM_LEVELS_MAX 8 /* 2^35 / 512 = 2^26 regions: 7 levels up to the root */
#define FM_HEAD 64u	/* the index's first line: the top block's offset */

#define FM_UNITS (FM_REGION / HEAP_UNIT) /* units per region: bits in its word */

/* The figure of a block of units units (see FM_FIGURE_EXACT). */
static inline uint16_t figure_of(uint64_t units)
{
	if (units < FM_FIGURE_EXACT)
		return (uint16_t)units;
	if (units > UINT32_MAX)
		units = UINT32_MAX;
	unsigned e = 63u - (unsigned)__builtin_clzll(units); /* 15 to 31 */
	return (uint16_t)(FM_FIGURE_EXACT + (e - 15) * 1024 + ((units >> (e - 10)) & 1023));
}

/* The offset of unit bit of region. */
static inline heap_off unit_off(uint32_t region, unsigned bit)
{
	return ((uint64_t)region * FM_UNITS + bit) * HEAP_UNIT;
}

struct fm_geometry {
	uint64_t heap_size; /* the heap it indexes */
	uint64_t bytes;	    /* the index's length, whole HEAP_PAGEs */
	uint32_t regions;
	unsigned levels; /* level levels - 1 is the root, one figure */
	uint64_t level_off[FM_LEVELS_MAX];
	uint32_t level_len[FM_LEVELS_MAX];
};

/* A connection's view of the map of its heap's current size: the geometry
 * and where each array lies in its mapping (recomputed when the heap grew). */
struct fm_place {
	struct fm_geometry g;
	unsigned char *base; /* the mapping's */
	uint64_t size;	     /* g.heap_size; 0 until placed */
	uint64_t *top;	     /* the top block's offset, first word of the index */
	uint64_t *bits;	     /* each region's word */
	uint16_t *level[FM_LEVELS_MAX];
	int *damaged; /* the connection's mark of damage met */
};

/* The geometry of the index of a heap of heap_size bytes (a multiple of
 * HEAP_PAGE, at most HEAP_MAX_SIZE). */
void fm_geometry_of(uint64_t heap_size, struct fm_geometry *g);

/* The bytes an index takes after a heap of heap_size bytes. */
uint64_t fm_bytes(uint64_t heap_size);

/* What a heap of heap_size bytes spans of its object: itself, and its index
 * after it if it keeps a fitmap. */
uint64_t fm_span(uint64_t heap_size, bool fitmap);

struct free_index;
struct heap_reader;

heap_off fm_first_fit(const struct free_index *fi, uint64_t need);
heap_off fm_first_fit_from(const struct free_index *fi, uint64_t need, heap_off from);
void fm_insert(const struct free_index *fi, heap_off off);
void fm_remove(const struct free_index *fi, heap_off off);
void fm_move(const struct free_index *fi, heap_off old_off, heap_off new_off);
void fm_grown(const struct free_index *fi, heap_off off);
heap_off fm_last(const struct free_index *fi);
heap_off fm_free_at_or_below(const struct free_index *fi, heap_off off);
void fm_clear(const struct free_index *fi);

/*
 * Growth from old_size to new_size (both mapped, with their indexes): the
 * index moves from old_size to new_size, with the regions of the old heap
 * as they were and the new ones empty.  Before the header's size changes.
 */
void fm_relocate(const struct free_index *fi, uint64_t old_size, uint64_t new_size);

/*
 * Verifies the index of a heap of heap_size bytes, read through r (which
 * must reach heap_size + fm_bytes(heap_size)): every bit a free block of
 * the heap, every figure the largest below it.  Calls fn() for each indexed
 * block in address order with its block word, bad() for each problem;
 * returns the number of problems.
 */
typedef void (*fm_problem_fn)(heap_off off, const char *problem, void *arg);
typedef void (*fm_node_fn)(heap_off off, uint64_t bw, void *arg);
size_t fm_verify(const struct heap_reader *r, uint64_t heap_size, fm_node_fn fn,
		 fm_problem_fn bad, void *arg);

#endif /* SHMHEAP_FITMAP_H */
