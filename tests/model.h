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

/*
 * A random run of tests/test-model.c and tests/test-model-resize.c: a heap,
 * its model, and the live objects, each filled with the run's owner tag and
 * the step that made it (tu_fill) and checked when it is freed.
 */
struct live {
	char *ptr;
	size_t size;
	uint32_t seq;
};

struct model_run {
	const char *name;
	shmheap_memory_handle h;
	char *base; /* shmheap_underlying */
	struct model m;
	struct live *live;
	size_t n_live;
	struct tu_layout l;
	uint32_t owner; /* the fill's owner tag */
};

/* Creates the heap (len bytes, growable up to max or SHMHEAP_NO_GROW), its
 * model, and room for high + 1 live objects. */
void model_run_start(struct model_run *r, const char *tag, size_t len, size_t max,
		     int growable, size_t high, uint32_t owner);
/* Checks p, what call (its text for messages) gave at step, against want,
 * the model's offset: 0 when both had no room (p NULL, ENOMEM), 1 when p is
 * the model's object. */
int model_run_expect(const struct model_run *r, const char *p, uint64_t want,
		     unsigned long step, const char *call);
/* Fills the new object p of sz bytes and adds it to the live ones. */
void model_run_add(struct model_run *r, char *p, size_t sz, unsigned long step);
/* Frees a random live object, its contents checked, in the model and the heap. */
void model_run_free_random(struct model_run *r, uint64_t *rng, unsigned long step);
/* After ops steps: the listing compared, every live object checked and freed,
 * the listing compared again and the heap one free block; then the heap
 * destroyed and everything released. */
void model_run_finish(struct model_run *r, unsigned long ops);

#endif /* SHMHEAP_TESTS_MODEL_H */
