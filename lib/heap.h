/* SPDX-License-Identifier: MIT */
/* heap.h - reading a heap's header before connecting (heap.c). */
#ifndef SHMHEAP_HEAP_H
#define SHMHEAP_HEAP_H

#include <stddef.h>

#include "backing.h"
#include "export.h"
#include "layout.h"

/* 1 when the object holds a complete, sane header (copied to *hdr, the
 * object's length to *len); 0 while its creator is still writing it; -1 with
 * errno set (EINVAL: not a heap; EUCLEAN: a heap whose header is damaged). */
HIDDEN int heap_read_header(struct backing *b, struct heap_header *hdr, size_t *len);

#endif /* SHMHEAP_HEAP_H */
