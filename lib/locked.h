/* SPDX-License-Identifier: MIT */
/*
 * locked.h - what shmheap_alloc and shmheap_free do under the heap lock
 * (locked.c): the whole call for a connection without a front, and the
 * rest of it for a front (layer.h) that does not serve the block.
 */
#ifndef SHMHEAP_LOCKED_H
#define SHMHEAP_LOCKED_H

#include <stdint.h>

#include "connection.h"

/* A block of need bytes (block_need) by first fit, growing the heap if it
 * must: the object, or NULL with errno (ENOMEM, ENOSPC, EUCLEAN, or the
 * lock's). */
HIDDEN void *heap_alloc_locked(struct shmheap_heap *h, uint64_t need);
/* The end of an allocating call under the lock (heap_end_call) whose search
 * gave the block at off, or 0 with errno: its object, or NULL with errno
 * (EUCLEAN; ENOSPC when the heap may not grow; else ENOMEM). */
HIDDEN void *heap_alloc_end(struct shmheap_heap *h, heap_off off, const char *call);
/* Frees the object at ptr: 0, or -1 with errno (EINVAL: no live object,
 * counted in invalid_frees; EUCLEAN, or the lock's). */
HIDDEN int heap_free_locked(struct shmheap_heap *h, void *ptr);

#endif /* SHMHEAP_LOCKED_H */
