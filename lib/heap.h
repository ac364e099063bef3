/* SPDX-License-Identifier: MIT */
/* heap.h - one process's connection to a heap, and what the library shares inside. */
#ifndef SHMHEAP_HEAP_H
#define SHMHEAP_HEAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "backing.h"
#include "export.h"
#include "freeindex.h"
#include "mapping.h"
#include "shmheap.h"

struct shmheap_heap {
	unsigned char *base;	 /* where this process maps the heap */
	struct heap_header *hdr; /* == base */
	size_t mapped;		 /* bytes mapped now, only grows (mapping.c) */
	size_t reserved;	 /* address space reserved for growth */
	uint32_t seed;		 /* the heap's seed, immutable */
	struct backing backing;
	size_t invalid_frees;	  /* updated atomically */
	unsigned connect_flags;	  /* SHMHEAP_CONNECT_*: an inspecting connection */
	unsigned lock_timeout_ms; /* how long an inspecting connection waits */
	int lock_kind;		  /* what a sane heap lock's kind field holds */
	unsigned wait_limit_ms;	  /* longest wait for the lock of any call; 0: none */
	int lock_queued;	  /* the holder got the lock from the kernel's queue */
	int lock_handover;	  /* a queued locker was woken: let it in first */
	struct free_index index;
	/* names.c and publish.c: the block that held the last slot validated
	 * (its offset and block word). */
	heap_off slot_blk;
	uint64_t slot_bw;
	/* Cached heaps (cache.c): the header's flags, and this connection's
	 * cache (NULL: none, every call takes the lock). */
	unsigned heap_flags;
	struct heap_cache *cache;
	/* An unlocked connection's read buffers, kept between calls (heapread.h). */
	struct hr_stash *read_stash;
};

/* How many bytes from the heap's start are mapped now (mapping.c grows it). */
static inline size_t heap_mapped_bytes(const struct shmheap_heap *h)
{
	return __atomic_load_n(&h->mapped, __ATOMIC_ACQUIRE);
}

/* heap.c: 1 when the object holds a complete, sane header (copied to *hdr, the
 * object's length to *len); 0 while its creator is still writing it; -1 with
 * errno set (EINVAL: not a heap; EUCLEAN: a heap whose header is damaged). */
HIDDEN int heap_read_header(struct backing *b, struct heap_header *hdr, size_t *len);

/* lock.c: the heap lock; a dead owner's heap is repaired before use. */
HIDDEN int heap_lock_init(pthread_mutex_t *m);
/* The kind field of a lock (glibc's __data.__kind), and that of a sane one. */
HIDDEN int heap_lock_kind(const pthread_mutex_t *m);
HIDDEN int heap_lock_expected_kind(void);
HIDDEN int heap_lock(struct shmheap_heap *h);
/* heap_lock, giving up with ETIMEDOUT after timeout_ms. */
HIDDEN int heap_lock_timed(struct shmheap_heap *h, unsigned timeout_ms);
/* heap_lock for short holds that another process awaits (a queue's calls):
 * a busy lock is tried briefly, then awaited in the kernel; and its release. */
HIDDEN int heap_lock_brief(struct shmheap_heap *h);
HIDDEN void heap_unlock_brief(struct shmheap_heap *h);
HIDDEN void heap_unlock(struct shmheap_heap *h);
/* For calls that only read the heap: like heap_lock, except that an inspecting
 * connection waits a bounded time, reports a dead owner (EOWNERDEAD) instead
 * of repairing, and with SHMHEAP_CONNECT_UNLOCKED does not lock at all. */
HIDDEN int heap_read_lock(struct shmheap_heap *h);
HIDDEN void heap_read_unlock(struct shmheap_heap *h);
/* The state of a heap lock (enum shmheap_lock_state) read without taking it,
 * and the thread id of its holder or dead holder. */
HIDDEN int heap_lock_probe(const pthread_mutex_t *m, pid_t *owner);

/* api.c: 0 if mem may change its heap; -1 with errno EINVAL (NULL mem) or
 * EPERM (a connection made with SHMHEAP_CONNECT_INSPECT) if not. */
HIDDEN int heap_may_change(shmheap_memory_handle mem);

/* blocks.c: allocation and release of blocks, under the lock. */
HIDDEN heap_off block_alloc(struct shmheap_heap *h, uint64_t need);
HIDDEN void block_free(struct shmheap_heap *h, heap_off off);
/* Merges the block at off, whose word already says free, with its free
 * neighbours, and indexes the result. */
HIDDEN void block_merge_free(struct shmheap_heap *h, heap_off off);
/* The block of the live object at ptr, or 0 if ptr is no such object. */
HIDDEN heap_off block_of_object(struct shmheap_heap *h, const void *ptr);
/* The treap priority for a free block at off of size bytes. */
HIDDEN uint32_t block_free_priority(struct shmheap_heap *h, heap_off off, uint64_t size);
/* Writes a free block word (and footer) and tells the next block. */
HIDDEN void block_set_free(struct shmheap_heap *h, heap_off off, uint64_t size,
			   uint64_t prev_state, uint32_t prio);
/* The release store that commits a change of the block chain. */
HIDDEN void block_commit(uint64_t *word, uint64_t value);
/* The word of a live block of size bytes at off. */
HIDDEN uint64_t block_used_word(const struct shmheap_heap *h, heap_off off, uint64_t size,
				uint64_t prev_state);
/* Tells the block at next (if inside the heap) what now precedes it; on a
 * cached heap atomically, since the block's cache owner may change its word. */
HIDDEN void block_set_prev_of_next(struct shmheap_heap *h, heap_off next,
				   uint64_t prev_state);

/* grow.c: adds space at the end of the heap, under the lock. */
HIDDEN int heap_grow_locked(struct shmheap_heap *h, uint64_t new_size);
/* Grows the heap so that a block of need bytes fits: true if it grew (else
 * errno says why). */
HIDDEN bool heap_grow_to_fit(struct shmheap_heap *h, uint64_t need);
/* block_alloc, growing the heap when nothing fits. */
HIDDEN heap_off block_alloc_growing(struct shmheap_heap *h, uint64_t need);

/* inspect.c: checks every invariant, under the lock the caller holds;
 * returns the number of problems. */
HIDDEN int heap_verify(struct shmheap_heap *h, shmheap_problem_fn fn, void *arg);

/* repair.c: rebuilds the index (and fixes block words) from the block chain. */
HIDDEN int heap_repair(struct shmheap_heap *h);

/* debug.c: with --enable-debug, verifies the whole heap under the caller's
 * lock after call changed it, and aborts naming each problem; else nothing. */
#ifdef SHMHEAP_DEBUG
HIDDEN void heap_debug_verify(struct shmheap_heap *h, const char *call);
#else
static inline void heap_debug_verify(struct shmheap_heap *h, const char *call)
{
	(void)h;
	(void)call;
}
#endif

#endif /* SHMHEAP_HEAP_H */
