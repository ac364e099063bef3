/* SPDX-License-Identifier: MIT */
/* repair.h - rebuilding what derives from the block chain (repair.c). */
#ifndef SHMHEAP_REPAIR_H
#define SHMHEAP_REPAIR_H

#include "export.h"

struct shmheap_heap;

/* Under the lock: rebuilds the index (and fixes block words) from the block
 * chain; -1 (EUCLEAN) when the chain does not tile the heap. */
HIDDEN int heap_repair(struct shmheap_heap *h);
/* Under the lock (after a repair, or at a verifying connect): checks the
 * whole heap (heap_verify); 0, or -1 with EUCLEAN once a heap with problems,
 * or whose call met damage, is marked damaged. */
HIDDEN int heap_verify_or_mark(struct shmheap_heap *h);

#endif /* SHMHEAP_REPAIR_H */
