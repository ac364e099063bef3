/* SPDX-License-Identifier: MIT */
/*
 * layer.h - what an optional layer lets the heap core do through it.
 *
 * The core (blocks, the free index, growth, mapping, the lock, the repair and
 * the check) knows no layer.  Where it must let one act, it calls through the
 * table of each layer the heap uses (h->layer), which layers.c chooses when
 * the heap is created or connected.  Every member may be NULL: the core then
 * does what a heap without the layer needs.  See lib/README.
 */
#ifndef SHMHEAP_LAYER_H
#define SHMHEAP_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "view.h"
#include "layout.h"

struct shmheap_heap;

/* What a block is to a walk: free, or what a layer tells of an in-use one
 * (block_kind). */
enum heap_block_kind {
	HEAP_BLOCK_FREE,
	HEAP_BLOCK_OBJECT, /* an object: the layer knows nothing of it */
	HEAP_BLOCK_HELD,   /* free space the layer holds (a block in a cache) */
	HEAP_BLOCK_OWN,	   /* the layer's own bookkeeping (a cache table) */
	HEAP_BLOCK_LIBRARY, /* an object the layer made for itself (the names
			     * directory's record, table and entries; a queue),
			     * counted as an object */
};

struct heap_layer_ops {
	/* Whether a heap whose header holds these flags uses the layer
	 * (NULL: every heap does). */
	bool (*used_by)(unsigned heap_flags);
	/* For a heap whose lock is taken seldom and briefly: how long a locker
	 * watches a busy lock before it naps (lock.c); 0: it does not. */
	unsigned lock_spin_ns;

	/* create: by the creator, under no lock, before the heap is published.
	 * attach and detach: the layer's state for one connection. */
	int (*create)(struct shmheap_heap *h, uint64_t len);
	int (*attach)(struct shmheap_heap *h);
	void (*detach)(struct shmheap_heap *h);

	/* The whole of shmheap_alloc (of need bytes, block_need) and of
	 * shmheap_free, for a connection whose h->front is the layer: served
	 * before the lock, or handed on as the last step to heap_alloc_locked
	 * or heap_free_locked (locked.h).  alloc: the object, or NULL with
	 * errno; free: 0, or -1 with errno. */
	void *(*alloc)(struct shmheap_heap *h, uint64_t need);
	int (*free)(struct shmheap_heap *h, void *ptr);

	/* Under the lock, in a heap whose h->words is the layer, which changes
	 * block words without the lock.  set_prev: changes the prev field of the
	 * word at w so that neither its change nor the layer's is lost.
	 * free_locked: frees the live block at off for a call that frees an
	 * object: 0, or -1 when the block is no longer live (a free through the
	 * layer won). */
	void (*set_prev)(uint64_t *w, uint64_t prev_state);
	int (*free_locked)(struct shmheap_heap *h, heap_off off);

	/* Under the lock, from heap_repair, once the chain is known to tile the
	 * heap and before the index is rebuilt: ends what a dead process left
	 * half done.  Blocks are freed by clearing their in-use bit only; the
	 * rebuild merges and indexes them. */
	void (*repair)(struct shmheap_heap *h);
	/* Under the lock, from shmheap_check of a connection that may change the
	 * heap: gives back to the heap what ended processes held. */
	void (*sweep)(struct shmheap_heap *h);

	/* Over a view of a heap that may be damaged or changing (view.h).
	 * block_kind: what the in-use block at off, of word bw, is (enum
	 * heap_block_kind; HEAP_BLOCK_OBJECT when the layer knows nothing of
	 * it).  check_block: an in-use block whose tag is not a live
	 * object's: 1 when the layer accounts for it, having reported through fn
	 * what is wrong with it, 0 when it does not.  check: the layer's own
	 * structures, after the core's checks. */
	int (*block_kind)(const struct heap_view *v, heap_off off, uint64_t bw);
	int (*check_block)(const struct heap_view *v, heap_off off, uint64_t bw,
			   heap_problem_fn fn, void *arg);
	void (*check)(const struct heap_view *v, heap_problem_fn fn, void *arg);
};

#endif /* SHMHEAP_LAYER_H */
