/* SPDX-License-Identifier: MIT */
/*
 * connection.h - one process's connection to a heap: struct shmheap_heap,
 * what the opaque shmheap_memory_handle of shmheap.h points to.
 */
#ifndef SHMHEAP_CONNECTION_H
#define SHMHEAP_CONNECTION_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "backing.h"
#include "freeindex.h"
#include "shmheap.h"

/* The most layers a heap may use (layers.c). */
#define HEAP_LAYERS_MAX 4

struct heap_layer_ops;
struct heap_cache;
struct ext_conn;
struct hr_stash;

struct shmheap_heap {
	unsigned char *base;	 /* where this process maps the heap */
	struct heap_header *hdr; /* == base */
	size_t mapped;		 /* bytes mapped now, only grows (mapping.c) */
	size_t reserved;	 /* the heap's maximum size, reserved for with its
				  * index (mapping.c) */
	uint32_t seed;		 /* the heap's seed, immutable */
	struct backing backing;
	size_t invalid_frees;	  /* updated atomically */
	unsigned connect_flags;	  /* SHMHEAP_CONNECT_*: an inspecting connection */
	unsigned lock_timeout_ms; /* how long an inspecting connection waits */
	int lock_kind;		  /* what a sane heap lock's kind field holds */
	unsigned wait_limit_ms;	  /* longest wait for the lock of any call; 0: none */
	unsigned lock_spin_ns;	  /* how long a locker watches a busy lock (lock.c) */
	int lock_queued;	  /* the holder got the lock from the kernel's queue */
	int lock_handover;	  /* a queued locker was woken: let it in first */
	struct free_index index;
	struct fm_place fitmap_place; /* index.place: where a fitmap lies */
	/* Set under the lock when a call met damage (index.damaged points
	 * here); the end of the call marks the heap and fails (lock.h). */
	int damaged;
	unsigned heap_flags; /* the header's flags, read when h connected */
	/* The layers the heap uses (layers.c, layer.h), and of them the one
	 * that changes block words without the lock, and the one that serves
	 * this connection's calls before the lock (NULL: none). */
	const struct heap_layer_ops *layer[HEAP_LAYERS_MAX];
	unsigned layers;
	const struct heap_layer_ops *words;
	const struct heap_layer_ops *front;
	/* Each layer's state for this connection, known to the layer alone. */
	struct heap_cache *cache; /* cache-front.c; NULL: every call takes the lock */
	struct ext_conn *ext;	  /* ext.h; NULL in an inspecting connection */
	/* An unlocked connection's read buffers, kept between calls (heapread.h). */
	struct hr_stash *read_stash;
};

/* Under the lock: the call met damage in the heap; its end (heap_end_call,
 * lock.h) marks the heap and fails with EUCLEAN. */
static inline void heap_met_damage(struct shmheap_heap *h)
{
	h->damaged = 1;
}

/* How many bytes from the heap's start are mapped now (mapping.c grows it). */
static inline size_t heap_mapped_bytes(const struct shmheap_heap *h)
{
	return __atomic_load_n(&h->mapped, __ATOMIC_ACQUIRE);
}

/* 0 if mem may change its heap; -1 with errno EINVAL (NULL mem) or EPERM (a
 * connection made with SHMHEAP_CONNECT_INSPECT) if not. */
static inline int heap_may_change(shmheap_memory_handle mem)
{
	if (!mem) {
		errno = EINVAL;
		return -1;
	}
	if (mem->connect_flags & SHMHEAP_CONNECT_INSPECT) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

#endif /* SHMHEAP_CONNECTION_H */
