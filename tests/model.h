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

/* ck_assert_msg without the mark Check writes to its log for every assertion
 * that holds (a system call): for what a long random run checks each step. */
#define MODEL_REQUIRE(cond, ...)                   \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

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
/* Aligned (tests/test-model-resize.c): the lowest free block that holds the
 * object aligned; the gap in front becomes a free block (an 8-byte gap moves
 * the object one alignment on); a heap that has none grows as for an object
 * of need + align + 8 bytes.  The object's offset, or 0. */
uint64_t model_alloc_aligned(struct model *m, size_t sz, uint64_t align);
/* In place when the block and a free right neighbour hold sz (a rest of 16
 * bytes or more stays free behind it); else first fit while the old object is
 * still allocated, then the old one freed.  The object's new offset, or 0
 * when it could not be resized (unchanged). */
uint64_t model_realloc(struct model *m, uint64_t obj, size_t sz);
/* The usable size of the object at obj. */
uint64_t model_usable(const struct model *m, uint64_t obj);
/* shmheap_grow(new_size): 1 if the heap now spans round_up(new_size, 4096)
 * bytes or more, 0 if it may not grow so far (unchanged). */
int model_grow_to(struct model *m, uint64_t new_size);

/* What shmheap_stats says of the free blocks. */
struct model_totals {
	uint64_t free_bytes; /* headers included */
	uint64_t free_blocks;
	uint64_t largest_free; /* the largest free block's object */
};
void model_totals(const struct model *m, struct model_totals *t);
/* A model of the heap as a listing shows it (shmheap_walk: every block), of
 * heap_size bytes, growable up to max or not. */
void model_from_layout(struct model *m, const struct tu_layout *l, uint64_t heap_size,
		       uint64_t max, int growable);
/* The heap's block listing must be the model's, block for block. */
void compare_listing(shmheap_memory_handle h, const struct model *m, struct tu_layout *l,
		     unsigned long step);

/*
 * A random run of tests/test-model.c and tests/test-model-resize.c: a heap,
 * its model, and the live objects, each filled with the run's owner tag and
 * the step that made it (tu_fill) and checked when it is freed.
 */
/* A random run's heap and how many live objects it hovers between. */
struct model_config {
	uint64_t seed;
	size_t len, max;
	int growable;
	size_t low, high;
};

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
