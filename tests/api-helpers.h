/* SPDX-License-Identifier: MIT */
/*
 * api-helpers.h - what the suites of the public calls (tests/test-api-*.c)
 * share: objects and heaps made to order, and forged heap images.
 */
#ifndef SHMHEAP_API_HELPERS_H
#define SHMHEAP_API_HELPERS_H

#include <stddef.h>
#include <sys/types.h>

#include "testutil.h"

#define PAGE 4096
/* Where the first object and the first block start (see testutil.h). */
#define HDR tu_header_size()
#define FIRST_BLOCK (tu_header_size() - tu_block_overhead())

/* Makes a plain shared-memory object holding exactly len bytes of buf. */
void make_object(const char *name, const void *buf, size_t len);
/* The bytes and size of a shared-memory object (malloc'd). */
unsigned char *read_object(const char *name, size_t *len);
/* The permission bits of a shared-memory object. */
mode_t object_mode(const char *name);
/* A heap of len bytes that grows; *name receives its name. */
shmheap_memory_handle make_heap(const char **name, size_t len);
/* A heap of len bytes created with SHMHEAP_NO_GROW. */
shmheap_memory_handle make_fixed_heap(const char **name, size_t len);
struct shmheap_stats stats_of(shmheap_memory_handle h);
/* The whole object of a heap of len bytes with three objects in it, taken
 * from a real heap (malloc'd): the heap and, after it, its free-block index
 * (fitmap.h); *object_len receives the object's length. */
unsigned char *heap_image(size_t len, size_t *object_len);
/* shmheap_connect(name) fails with errno err. */
void expect_connect_fails(const char *name, int err);

/* A shmheap_check callback counting problems (arg: struct problems). */
struct problems {
	int n;
	size_t first_offset;
};
void count_problem(size_t offset, const char *problem, void *arg);

#endif /* SHMHEAP_API_HELPERS_H */
