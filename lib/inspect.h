/* SPDX-License-Identifier: MIT */
/* inspect.h - checking a heap (inspect.c). */
#ifndef SHMHEAP_INSPECT_H
#define SHMHEAP_INSPECT_H

#include "export.h"
#include "shmheap.h"

struct shmheap_heap;

/* Checks every invariant, under the lock the caller holds; returns the
 * number of problems. */
HIDDEN int heap_verify(struct shmheap_heap *h, shmheap_problem_fn fn, void *arg);

#endif /* SHMHEAP_INSPECT_H */
