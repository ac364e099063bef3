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

#include "export.h"

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

#endif /* SHMHEAP_NAMES_H */
