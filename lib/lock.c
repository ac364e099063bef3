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
#include <sched.h>
#include <signal.h>
#include <time.h>

#include "heap.h"

int heap_lock_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	int err = pthread_mutexattr_init(&attr);
	if (!err)
		err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!err)
		err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (!err)
		err = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * glibc keeps a mutex's type and attributes in __data.__kind and trusts what
 * it finds there: a garbage kind in a damaged or hostile heap would send it
 * down its priority-inheritance or -protection paths (assertion failures,
 * futex calls on garbage).  So every heap lock must carry the kind a freshly
 * initialised one has, and is checked before use.
 */
int heap_lock_kind(const pthread_mutex_t *m)
{
#ifdef __GLIBC__
	return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
#else
	(void)m;
	return 0;
#endif
}

int heap_lock_expected_kind(void)
{
	pthread_mutex_t m;
	if (heap_lock_init(&m) < 0)
		return -1;
	int kind = heap_lock_kind(&m);
	pthread_mutex_destroy(&m);
	return kind;
}

static int heap_lock_sane(struct shmheap_heap *h)
{
	if (heap_lock_kind(&h->hdr->lock) == h->lock_kind)
		return 1;
	errno = EUCLEAN;
	return 0;
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

/* Linux futex bits in a robust mutex's lock word (see futex(2)). */
#define FUTEX_OWNER_DIED_BIT 0x40000000u
#define FUTEX_TID_BITS 0x3fffffffu

/* Nobody holds the lock: it is free, or its holder died (trylock then
 * answers EOWNERDEAD). */
static inline int looks_free(pthread_mutex_t *m)
{
#ifdef __GLIBC__
	unsigned word = (unsigned)__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED);
	return (word & FUTEX_TID_BITS) == 0;
#else
	(void)m;
	return 1;
#endif
}

/* How long a locker that found the lock busy sleeps before it looks again:
 * the first nap asks for 1 us, which the kernel stretches by the thread's
 * timer slack (50 us by default); each further nap doubles, up to 1 ms. */
#define LOCK_NAP_MIN_NS 1000L
#define LOCK_NAP_MAX_NS 1000000L
/* Before its first nap a locker yields the processor this many times. */
#define LOCK_YIELDS 2

static struct timespec after_ns(struct timespec t, long ns)
{
	t.tv_nsec += ns % 1000000000L;
	t.tv_sec += ns / 1000000000L + t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

static int before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Takes the lock, giving up at *deadline (CLOCK_MONOTONIC) if there is one.
 *
 * A locker that finds the lock busy naps and looks again; it neither spins
 * nor queues in the kernel.  Critical sections are a few hundred
 * nanoseconds, and a busy heap's holder takes the lock again at once:
 *
 *  - a spinner catches one of the holder's short gaps, and the heap's hot
 *    cache lines (the lock, the treap's upper levels) then move between
 *    cores at nearly every operation: two processes reached a quarter of
 *    one process's throughput (bench/RESULTS.md, W3);
 *  - a kernel queue (pthread_mutex_lock) makes every unlock a futex wake-up
 *    whose waiter finds the lock taken again and queues anew: a convoy.
 *
 * A napping waiter leaves the holder long runs on warm caches, and takes
 * over when the holder stops or the waiter catches a gap.  Naps grow while
 * the lock stays busy, so that waiters, however many, look at it a few
 * thousand times a second at most: with four processes on two cores, 64 us
 * naps gave half of one process's throughput, 1 ms naps four fifths.
 *
 * Before its first nap a locker looks twice more, each time after yielding
 * the processor: a holder that made one call and went on with other work is
 * usually gone by then, and a busy one preempted on this processor gets to
 * run.  With two processes calling every few microseconds, this cut the
 * calls that waited over 10 us fivefold, and cost W3 nothing.
 *
 * With no kernel queue there is no wake-up to lose when a waiter is killed.
 * A holder that dies is seen by the same looks: its lock word loses the
 * owner's thread id and trylock answers EOWNERDEAD.
 */
static int acquire(pthread_mutex_t *m, const struct timespec *deadline)
{
	struct timespec nap = { 0, LOCK_NAP_MIN_NS };
	int yields = LOCK_YIELDS;

	for (;;) {
		if (looks_free(m)) {
			int err = pthread_mutex_trylock(m);
			if (err != EBUSY)
				return err;
		}
		if (deadline) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (!before(&now, deadline))
				return ETIMEDOUT;
		}
		if (yields > 0) {
			yields--;
			sched_yield();
			continue;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < LOCK_NAP_MAX_NS)
			nap.tv_nsec *= 2;
	}
}

int heap_lock(struct shmheap_heap *h)
{
	if (!heap_lock_sane(h))
		return -1;
	return after_acquire(h, acquire(&h->hdr->lock, NULL));
}

int heap_lock_timed(struct shmheap_heap *h, unsigned timeout_ms)
{
	if (!heap_lock_sane(h))
		return -1;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline = after_ns(deadline, (long)timeout_ms * 1000000L);
	return after_acquire(h, acquire(&h->hdr->lock, &deadline));
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
