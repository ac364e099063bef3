/* SPDX-License-Identifier: MIT */
/* livetable.c - offset -> length, open addressing (see livetable.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "livetable.h"

static size_t home(const struct live_table *t, size_t off)
{
	return (size_t)(((uint64_t)(off / 8) * 0x9e3779b97f4a7c15ull) >> 17) &
	       (t->cap - 1);
}

static void put(struct live_table *t, size_t off, size_t len)
{
	size_t i = home(t, off);
	while (t->slot[i].len)
		i = (i + 1) & (t->cap - 1);
	t->slot[i] = (struct lt_entry){off, len};
}

int lt_reserve(struct live_table *t)
{
	if (2 * (t->count + 1) <= t->cap)
		return 0;
	size_t cap = t->cap ? 2 * t->cap : 64;
	if (cap > SIZE_MAX / sizeof(struct lt_entry)) {
		errno = ENOMEM;
		return -1;
	}
	struct lt_entry *slot = calloc(cap, sizeof(*slot));
	if (!slot) {
		errno = ENOMEM;
		return -1;
	}
	struct live_table old = *t;
	t->slot = slot;
	t->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slot[i].len)
			put(t, old.slot[i].off, old.slot[i].len);
	free(old.slot);
	return 0;
}

void lt_add(struct live_table *t, size_t off, size_t len)
{
	put(t, off, len);
	t->count++;
}

static size_t find(const struct live_table *t, size_t off)
{
	if (!t->cap)
		return SIZE_MAX;
	for (size_t i = home(t, off);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slot[i].len)
			return SIZE_MAX;
		if (t->slot[i].off == off)
			return i;
	}
}

size_t lt_get(const struct live_table *t, size_t off)
{
	size_t i = find(t, off);
	return i == SIZE_MAX ? 0 : t->slot[i].len;
}

size_t lt_remove(struct live_table *t, size_t off)
{
	size_t i = find(t, off);
	if (i == SIZE_MAX)
		return 0;
	size_t len = t->slot[i].len, mask = t->cap - 1;
	/* Backward shift: later entries of the probe run move into the hole. */
	for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
		if (!t->slot[j].len)
			break;
		size_t h = home(t, t->slot[j].off);
		/* j's entry may move to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	t->slot[i].len = 0;
	t->count--;
	return len;
}

void lt_fini(struct live_table *t)
{
	free(t->slot);
	*t = (struct live_table){0};
}
