/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the heap lock: a process-shared, robust mutex in the header.
 *
 * When a process dies holding it, the next locker gets EOWNERDEAD, rebuilds
 * the derived state from the block chain (heap_repair) and only then marks
 * the mutex consistent.  If that locker dies too, the one after it repairs
 * again: the repair works from whatever the chain holds.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#include "heap.h"

int heap_sync_mapping(struct shmheap_heap *h)
{
	uint64_t size = heap_size_bytes(h->hdr);
	if (size <= __atomic_load_n(&h->mapped, __ATOMIC_ACQUIRE))
		return 0;
	if (size > h->reserved) {
		errno = EINVAL;
		return -1;
	}

	int ret = 0;
	pthread_mutex_lock(&h->map_lock);
	size_t mapped = h->mapped;
	if (size > mapped) {
		if (!h->backing.ops->map_fixed(&h->backing, h->base + mapped, mapped, size - mapped))
			ret = -1;
		else
			__atomic_store_n(&h->mapped, size, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&h->map_lock);
	return ret;
}

/* What every locker does once pthread_mutex_*lock has answered err. */
static int after_acquire(struct shmheap_heap *h, int err)
{
	pthread_mutex_t *m = &h->hdr->lock;

	if (err == EOWNERDEAD) {
		if (heap_sync_mapping(h) < 0 || heap_repair(h) < 0) {
			/* Unlocking without marking it consistent makes the mutex,
			 * and so the heap, unusable for everyone: better than
			 * handing out memory from a heap we could not repair. */
			pthread_mutex_unlock(m);
			errno = ENOTRECOVERABLE;
			return -1;
		}
		pthread_mutex_consistent(m);
		return 0;
	}
	if (err) {
		errno = err;
		return -1;
	}
	if (heap_sync_mapping(h) < 0) {
		pthread_mutex_unlock(m);
		return -1;
	}
	return 0;
}

/* How many times a locker looks at a busy lock before it sleeps on it. */
#define LOCK_SPINS 200

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static inline int looks_free(pthread_mutex_t *m)
{
#ifdef __GLIBC__
	return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0;
#else
	(void)m;
	return 1;
#endif
}

/*
 * Critical sections are a few hundred nanoseconds, far shorter than a sleep
 * and wake-up through the kernel: a locker that finds the lock busy first
 * watches it for a while (reading, so the holder keeps its cache line), and
 * only then sleeps in pthread_mutex_lock.  Without this, processes on
 * different cores queue up behind each other's wake-ups (a lock convoy).
 */
static int spin_then_lock(pthread_mutex_t *m)
{
	for (int i = 0; i < LOCK_SPINS; i++) {
		if (looks_free(m)) {
			int err = pthread_mutex_trylock(m);
			if (err != EBUSY)
				return err;
		}
		cpu_relax();
	}
	return pthread_mutex_lock(m);
}

int heap_lock(struct shmheap_heap *h)
{
	return after_acquire(h, spin_then_lock(&h->hdr->lock));
}

int heap_lock_timed(struct shmheap_heap *h, unsigned timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	return after_acquire(h, pthread_mutex_timedlock(&h->hdr->lock, &until));
}

void heap_unlock(struct shmheap_heap *h)
{
	pthread_mutex_unlock(&h->hdr->lock);
}

int heap_read_lock(struct shmheap_heap *h)
{
	if (!(h->connect_flags & SHMHEAP_CONNECT_INSPECT))
		return heap_lock(h);
	if (h->connect_flags & SHMHEAP_CONNECT_UNLOCKED)
		return heap_sync_mapping(h);

	pid_t owner;
	switch (heap_lock_probe(&h->hdr->lock, &owner)) {
	case SHMHEAP_LOCK_OWNER_DEAD:
		errno = EOWNERDEAD;
		return -1;
	case SHMHEAP_LOCK_UNRECOVERABLE:
		errno = ENOTRECOVERABLE;
		return -1;
	}
	/* Should the owner die between the probe and here, this repairs the
	 * heap like any other locker: the mutex leaves no other choice. */
	return heap_lock_timed(h, h->lock_timeout_ms);
}

void heap_read_unlock(struct shmheap_heap *h)
{
	if (!(h->connect_flags & SHMHEAP_CONNECT_UNLOCKED))
		heap_unlock(h);
}

/* Linux futex bits in a robust mutex's lock word (see futex(2)). */
#define FUTEX_OWNER_DIED_BIT 0x40000000u
#define FUTEX_TID_BITS 0x3fffffffu

static int thread_alive(pid_t tid)
{
	return kill(tid, 0) == 0 || errno != ESRCH;
}

/*
 * glibc keeps the holder's thread id in the mutex's futex word; when a holder
 * dies the kernel clears it and sets FUTEX_OWNER_DIED, while __owner still
 * names the dead thread.  A mutex released without being made consistent has
 * __owner == INT_MAX (glibc's PTHREAD_MUTEX_NOTRECOVERABLE).  Thread ids are
 * those of the caller's pid namespace.
 */
int heap_lock_probe(const pthread_mutex_t *m, pid_t *owner)
{
	*owner = 0;
#ifdef __GLIBC__
	unsigned word = (unsigned)__atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE);
	int recorded = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
	pid_t tid = (pid_t)(word & FUTEX_TID_BITS);

	if (recorded == INT_MAX)
		return SHMHEAP_LOCK_UNRECOVERABLE;
	if (tid) {
		*owner = tid;
		return thread_alive(tid) ? SHMHEAP_LOCK_HELD : SHMHEAP_LOCK_OWNER_DEAD;
	}
	if (word & FUTEX_OWNER_DIED_BIT) {
		*owner = recorded > 0 ? recorded : 0;
		return SHMHEAP_LOCK_OWNER_DEAD;
	}
#else
	(void)m;
#endif
	return SHMHEAP_LOCK_FREE;
}
