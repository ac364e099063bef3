/* SPDX-License-Identifier: MIT */
/*
 * repair-images.h - heap images built to order for the repair tests
 * (tests/test-repair-steps.c, tests/test-repair-resize.c): block words,
 * footers and both treaps laid over a fresh heap, an owner-dead lock, and the
 * check of the heap the next connect repairs.
 */
#ifndef SHMHEAP_TESTS_REPAIR_IMAGES_H
#define SHMHEAP_TESTS_REPAIR_IMAGES_H

#include <stdint.h>

#include "freeindex.h" /* lib/freeindex.c is linked in to build the treaps */
#include "layout.h"
#include "testutil.h"

#define HEAP_BYTES 4096

/* A block of an image: size 0 fills the heap to its end (the top block). */
struct spec {
	uint64_t size;
	int used;
	uint32_t prio; /* of a free block; the top block gets BLOCK_PRIO_TOP */
};

struct img {
	const char *name;
	shmheap_memory_handle h;
	unsigned char *base;
	struct free_index fi;
	size_t fi_mapped; /* what fi may reach: the whole image */
	int fi_damaged;	  /* set by fi on damage, which the images never have */
	uint32_t seed;
	heap_off at[16]; /* where each block of the spec starts */
};

static inline uint64_t *word(struct img *m, heap_off off)
{
	return block_word(m->base, off);
}

static inline uint64_t used_word(struct img *m, heap_off off, uint64_t size,
				 uint64_t prev)
{
	return size | prev | BW_IN_USE |
	       (uint64_t)block_tag(m->seed, off, size) << BW_TAG_SHIFT;
}

/* The block at off: its new prev field. */
static inline void set_prev(struct img *m, heap_off off, uint64_t prev)
{
	*word(m, off) = (*word(m, off) & ~BW_PREV_MASK) | prev;
}

void free_word(struct img *m, heap_off off, uint64_t size, uint64_t prev, uint32_t prio);
/* Lays the blocks of spec over a fresh heap and indexes the free ones. */
void build(struct img *m, const char *tag, const struct spec *spec);
/* Takes the heap lock in a child that then exits: the lock is owner-dead. */
void kill_holder(struct img *m);
/* Repairs by connecting, then compares the blocks with want (sizes as in a
 * spec: block sizes, 0 for the rest of the heap). */
void expect_repaired(struct img *m, const struct spec *want, const char *what);

/* Stops an operation after its first k steps. */
#define STEP                    \
	do {                    \
		if (k-- <= 0)   \
			return; \
	} while (0)

#endif /* SHMHEAP_TESTS_REPAIR_IMAGES_H */
