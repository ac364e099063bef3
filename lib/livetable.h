/* SPDX-License-Identifier: MIT */
/*
 * livetable.h - the live allocations of a page manager: a hash table from
 * offset to length (open addressing, linear probing, at most half full), so
 * that a free finds its allocation, or refuses a pointer, in O(1) expected.
 */
#ifndef SHMHEAP_LIVETABLE_H
#define SHMHEAP_LIVETABLE_H

#include <stddef.h>

struct lt_entry {
	size_t off;
	size_t len; /* 0: the slot is empty */
};

struct live_table {
	struct lt_entry *slot;
	size_t cap; /* a power of two, or 0 */
	size_t count;
};

/* Makes sure one more entry fits without failing; -1 (ENOMEM) otherwise. */
int lt_reserve(struct live_table *t);
/* Adds off -> len (len > 0); off is not in the table; needs lt_reserve. */
void lt_add(struct live_table *t, size_t off, size_t len);
/* The length recorded for off, or 0. */
size_t lt_get(const struct live_table *t, size_t off);
/* Removes off; its length, or 0 if it was not there. */
size_t lt_remove(struct live_table *t, size_t off);
void lt_fini(struct live_table *t);

#endif /* SHMHEAP_LIVETABLE_H */
