/* SPDX-License-Identifier: MIT */
/*
 * names.h - the names directory (names.c): its table hangs off the extension
 * record (ext.h), and its slots and entries are what the repair
 * (ext-repair.c) and the check (names-check.c) read.
 */
#ifndef SHMHEAP_NAMES_H
#define SHMHEAP_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "export.h"
#include "ext.h"
#include "shmheap.h"
#include "view.h"

/* A names table slot holds 0 (empty), NAMES_TOMB, or an entry's object
 * offset with the top 28 bits of the name's hash above bit 36. */
#define NAMES_TOMB UINT64_C(1)
#define NAMES_REF_OFF_MASK ((UINT64_C(1) << 36) - 1)
struct name_entry {
	uint64_t hash;
	uint64_t handle; /* shmheap_object_handle value, replaced by one store */
	uint32_t len;	 /* of name, without its NUL */
	uint32_t reserved;
	char name[]; /* len bytes and a NUL */
};
HIDDEN uint64_t names_hash(uint32_t seed, const char *name, size_t len);
/* An entry as a view reads it, each field once: name holds len bytes and the
 * byte after them (a NUL in a sound entry). */
struct name_copy {
	uint64_t hash;
	uint64_t handle;
	uint32_t len;
	char name[SHMHEAP_NAME_MAX + 2];
};
/* Copies the entry whose object starts at obj, if its fields and name lie
 * inside the view and its length is at most SHMHEAP_NAME_MAX: 1, else 0. */
HIDDEN int ext_view_entry(const struct heap_view *v, heap_off obj, struct name_copy *e);
/* The length of a valid name, or -1 with errno EINVAL or ENAMETOOLONG. */
HIDDEN ssize_t names_length(const char *name);
/* Under the lock, for what names what it makes (queue.c).
 * names_reserve: 0 when name is not in the directory and the table has room
 * for it (it grows now if need be), else -1 (EEXIST, ENOSPC, ENOMEM, EUCLEAN).
 * names_link, after it: allocates the entry of name for handle and links it
 * into the table by one store.  The caller began op, whose a and b become the
 * entry's block and table slot before the entry is allocated (the steps are
 * call:1..4 of the test hook); -1 with nothing linked. */
HIDDEN int names_reserve(struct shmheap_heap *h, struct heap_ext *x, const char *name,
			 size_t len);
HIDDEN int names_link(struct shmheap_heap *h, struct heap_ext *x, const char *name,
		      size_t len, uint64_t handle, enum ext_op op, const char *call);
/* The table slot's offset of name (0, errno ENOENT or EUCLEAN: none), with
 * its entry's block in *entry and its handle in *handle. */
HIDDEN heap_off names_find(struct shmheap_heap *h, struct heap_ext *x, const char *name,
			   size_t len, heap_off *entry, uint64_t *handle);
/* Leaves a tombstone in the table slot at slot and frees the entry's block,
 * as the caller logged (steps call:1..3). */
HIDDEN void names_unlink(struct shmheap_heap *h, struct heap_ext *x, heap_off slot,
			 heap_off entry, const char *call);
/* shmheap_name_walk over a view. */
HIDDEN int names_view_walk(const struct heap_view *v, shmheap_name_fn fn, void *arg);

#endif /* SHMHEAP_NAMES_H */
