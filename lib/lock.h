/* SPDX-License-Identifier: MIT */
/* lock.h - the heap lock (lock.c); a dead owner's heap is repaired before use. */
#ifndef SHMHEAP_LOCK_H
#define SHMHEAP_LOCK_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "connection.h"
#include "export.h"

struct shmheap_heap;

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

/*
 * The processor its holder took the lock on, plus one (0: not known), in
 * the 16 bits of a 64-bit glibc's mutex that no robust mutex uses: x86's
 * __elision, else the upper half of the 32-bit __spins (whose lower half
 * counts the holds, lock.c).  Noted by the holders of heaps whose waiters
 * watch a busy lock (a cached heap's); a waiter on that same processor
 * knows the holder is not running.  Shared memory: a hint, never trusted.
 */
#if defined(__GLIBC__) && (defined(__x86_64__) || __SIZEOF_POINTER__ == 8)
#define HEAP_LOCK_NOTES_HOLDER 1
#else
#define HEAP_LOCK_NOTES_HOLDER 0
#endif

static inline unsigned heap_lock_holder_cpu(const pthread_mutex_t *m)
{
#if HEAP_LOCK_NOTES_HOLDER && defined(__x86_64__)
	return (uint16_t)__atomic_load_n(&m->__data.__elision, __ATOMIC_RELAXED);
#elif HEAP_LOCK_NOTES_HOLDER
	if (sizeof(m->__data.__spins) < 4)
		return 0;
	unsigned w = (unsigned)__atomic_load_n(&m->__data.__spins, __ATOMIC_RELAXED);
	return (uint16_t)(w >> 16);
#else
	(void)m;
	return 0;
#endif
}

/* debug.c: with --enable-debug, verifies the whole heap under the caller's
 * lock after call changed it, and aborts naming each problem (errno is kept);
 * else nothing. */
#ifdef SHMHEAP_DEBUG
HIDDEN void heap_debug_verify(struct shmheap_heap *h, const char *call);
#else
static inline void heap_debug_verify(struct shmheap_heap *h, const char *call)
{
	(void)h;
	(void)call;
}
#endif

/* Marks the heap damaged in its header (HEAP_FLAG_DAMAGED, which later
 * connects refuse), by an atomic or: needs no lock (nothing for an
 * inspecting connection). */
HIDDEN void heap_flag_damaged(struct shmheap_heap *h);
/* Under the lock: heap_flag_damaged, and forgets h->damaged; -1 with
 * EUCLEAN. */
HIDDEN int heap_mark_damaged(struct shmheap_heap *h);

/*
 * The end of a call that changed the heap under the lock: -1 with EUCLEAN
 * when the call met damage on its way (h->damaged: the heap is then marked),
 * else 0 with errno kept, once with --enable-debug the heap is verified.
 * The lock is released either way.
 */
static inline int heap_end_call(struct shmheap_heap *h, const char *call)
{
	int ret = 0;
	if (__builtin_expect(h->damaged, 0))
		ret = heap_mark_damaged(h);
	else
		heap_debug_verify(h, call);
	heap_unlock(h);
	if (ret)
		errno = EUCLEAN;
	return ret;
}

#endif /* SHMHEAP_LOCK_H */
