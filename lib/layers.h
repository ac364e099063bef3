/* SPDX-License-Identifier: MIT */
/* layers.h - the layers a heap uses (layers.c). */
#ifndef SHMHEAP_LAYERS_H
#define SHMHEAP_LAYERS_H

#include <stdint.h>

#include "export.h"

struct shmheap_heap;

/* Chooses the layers of a heap whose header flags are in h->heap_flags, before
 * anything (a repair, a check) may call them. */
HIDDEN void heap_layers_select(struct shmheap_heap *h);
/* Each layer's part of a new heap of len bytes: 0, or -1 with errno set. */
HIDDEN int heap_layers_create(struct shmheap_heap *h, uint64_t len);
/* Each layer's state for the connection h: 0, or -1 with errno set and none
 * attached. */
HIDDEN int heap_layers_attach(struct shmheap_heap *h);
HIDDEN void heap_layers_detach(struct shmheap_heap *h);

#endif /* SHMHEAP_LAYERS_H */
