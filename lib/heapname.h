/* SPDX-License-Identifier: MIT */
/*
 * heapname.h - which backing a heap name chooses (heapname.c).
 *
 * The grammar, for every call that takes a heap name:
 *   "/name"       POSIX shared memory; the name as shm_open takes it
 *   "file:PATH"   a regular file; PATH is not empty
 *   "sysv:KEY"    a System V segment; KEY is decimal or 0x-hex, 1..0xffffffff
 * Anything else (no scheme, an unknown scheme, an empty path, a key that is
 * not a number, or 0, which is IPC_PRIVATE) is no name: EINVAL.
 */
#ifndef SHMHEAP_HEAPNAME_H
#define SHMHEAP_HEAPNAME_H

#include <sys/types.h>

#include "backing.h"
#include "export.h"

struct heap_name {
	const struct backing_ops *ops; /* the backing the name chooses */
	const char *arg; /* what the backing's ops take: the POSIX name, the path
			  * or the key's digits (points into the name) */
};

/* Fills *out and returns 0, or returns -1 with EINVAL. */
HIDDEN int heap_name_parse(const char *name, struct heap_name *out);
/* The key of a "sysv:" name's digits: 0 and -1 (EINVAL) if they are none. */
HIDDEN int heap_name_sysv_key(const char *digits, key_t *key);

#endif /* SHMHEAP_HEAPNAME_H */
