/* SPDX-License-Identifier: MIT */
/*
 * model.h - a plain first-fit model of the heap, for tests: a sorted array
 * of blocks that tile the heap from its first block word.  A block is an
 * 8-byte header and its object; an allocation of sz bytes needs
 * round_up(max(sz, 1), 8) + 8 bytes and takes the lowest free block that is
 * large enough, splitting it when at least 16 bytes remain; a freed block
 * merges with free neighbours on both sides; a growable heap grows as
 * shmheap.h documents.
 */
#ifndef SHMHEAP_TESTS_MODEL_H
#define SHMHEAP_TESTS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "testutil.h"

/* The first block word, as the library shows it (72 bytes into the heap). */
#define FIRST_BLOCK ((uint64_t)(tu_header_size() - tu_block_overhead()))
#define PAGE 4096u
#define GROWTH_STEP_MAX ((uint64_t)256 << 20)

struct mblock {
	uint64_t off, size; /* the block, header included */
	int used;
};

struct model {
	struct mblock *b;
	size_t n, cap;
	uint64_t heap_size, max_size;
	int growable;
};

static inline uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

void model_init(struct model *m, uint64_t len, uint64_t max, int growable);
void model_insert(struct model *m, size_t i, struct mblock blk);
void model_remove(struct model *m, size_t i);
/* Adds free space at the end; 0 if the heap may not grow enough. */
int model_grow(struct model *m, uint64_t need);
/* Allocates need bytes from the start of the free block i (which holds them),
 * splitting off a rest of 16 bytes or more; the object's offset. */
uint64_t model_take(struct model *m, size_t i, uint64_t need);
/* The object's offset, or 0 when the heap has no room. */
uint64_t model_alloc(struct model *m, size_t sz);
/* The index of the live block of the object at obj (asserted). */
size_t model_find(const struct model *m, uint64_t obj);
void model_free(struct model *m, uint64_t obj);
/* The heap's block listing must be the model's, block for block. */
void compare_listing(shmheap_memory_handle h, const struct model *m, struct tu_layout *l,
		     unsigned long step);

#endif /* SHMHEAP_TESTS_MODEL_H */
