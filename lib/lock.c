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
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "connection.h"
#include "cpu.h"
#include "lock.h"
#include "mapping.h"
#include "repair.h"
#include "testhooks.h"

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

/* Maps what another process grew the heap by; one load and a compare when
 * nothing grew (every call passes here). */
static inline int sync_mapping(struct shmheap_heap *h)
{
	if (heap_size_bytes(h->hdr) <= heap_mapped_bytes(h))
		return 0;
	return heap_sync_mapping(h);
}

/* The locker that found the holder dead: repairs the heap, then checks it. */
static int __attribute__((noinline, cold)) after_owner_died(struct shmheap_heap *h)
{
	pthread_mutex_t *m = &h->hdr->lock;
	if (heap_sync_mapping(h) < 0 || heap_repair(h) < 0) {
		/* Unlocking without marking it consistent makes the mutex, and
		 * so the heap, unusable for everyone: better than handing out
		 * memory from a heap we could not repair. */
		pthread_mutex_unlock(m);
		errno = ENOTRECOVERABLE;
		return -1;
	}
	pthread_mutex_consistent(m);
	/* Connect does not check the heap, so every repair is followed by a
	 * full check: what the repair could not mend is damage, marked so that
	 * no connect takes the heap.  The call goes on, checking what it reads
	 * like any other (a check reports the problems). */
	(void)heap_verify_or_mark(h);
	return 0;
}

/* What every locker does once pthread_mutex_*lock has answered err. */
static int after_acquire(struct shmheap_heap *h, int err)
{
	if (__builtin_expect(!err, 1)) {
		if (sync_mapping(h) < 0) {
			if (errno == EUCLEAN) /* a size beyond the object */
				heap_mark_damaged(h);
			pthread_mutex_unlock(&h->hdr->lock);
			return -1;
		}
		return 0;
	}
	if (err == EOWNERDEAD)
		return after_owner_died(h);
	errno = err;
	return -1;
}

void heap_flag_damaged(struct shmheap_heap *h)
{
	/* An inspecting connection promises not to write the heap. */
	if (!(h->connect_flags & SHMHEAP_CONNECT_INSPECT))
		__atomic_fetch_or(&h->hdr->flags, (uint16_t)HEAP_FLAG_DAMAGED,
				  __ATOMIC_RELEASE);
}

int heap_mark_damaged(struct shmheap_heap *h)
{
	heap_flag_damaged(h);
	h->damaged = 0;
	errno = EUCLEAN;
	return -1;
}

/* Linux futex bits in a robust mutex's lock word (see futex(2)). */
#define FUTEX_WAITERS_BIT 0x80000000u
#define FUTEX_OWNER_DIED_BIT 0x40000000u
#define FUTEX_TID_BITS 0x3fffffffu

/*
 * glibc's __owner of a robust mutex holds the holder's thread id, or two
 * special values: INT_MAX while the locker that got EOWNERDEAD has not yet
 * called pthread_mutex_consistent (the heap is being repaired, or its
 * repairer died: the next locker repairs again), and INT_MAX - 1 once the
 * mutex was released in that state (not recoverable: every lock fails).
 */
#define GLIBC_OWNER_INCONSISTENT INT_MAX
#define GLIBC_OWNER_NOTRECOVERABLE (INT_MAX - 1)

static inline unsigned lock_word(const pthread_mutex_t *m)
{
#ifdef __GLIBC__
	return (unsigned)__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED);
#else
	(void)m;
	return 0;
#endif
}

/* Nobody holds the lock: it is free, or its holder died (trylock then
 * answers EOWNERDEAD). */
static inline int looks_free(const pthread_mutex_t *m)
{
	return (lock_word(m) & FUTEX_TID_BITS) == 0;
}

/*
 * The mutex is unusable for good.  This must be checked before the lock word:
 * glibc's pthread_mutex_trylock, answering ENOTRECOVERABLE, leaves the
 * caller's thread id in the word, so the lock looks held from then on.
 */
static inline int unrecoverable(const pthread_mutex_t *m)
{
#ifdef __GLIBC__
	return __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED) ==
	       GLIBC_OWNER_NOTRECOVERABLE;
#else
	(void)m;
	return 0;
#endif
}

/*
 * A count of the lock's acquisitions, modulo 2^16, for waiters to tell long
 * holds from many short ones.  It lives in the low 16 bits of the mutex's
 * __spins, which glibc uses only for adaptive mutexes (never for a robust
 * one) and which the kernel's robust-futex code never touches; only the
 * holder writes it.  Only where __spins is a field of its own: a 32-bit
 * glibc's shares its word with the robust list's link.
 */
static inline unsigned hold_count(const pthread_mutex_t *m)
{
#if HEAP_LOCK_NOTES_HOLDER
	return (uint16_t)__atomic_load_n(&m->__data.__spins, __ATOMIC_RELAXED);
#else
	(void)m;
	return 0;
#endif
}

/* Counts the hold and notes the holder's processor, plus one (0: not
 * noted; heap_lock_holder_cpu). */
static inline void count_hold(pthread_mutex_t *m, unsigned cpu)
{
#if HEAP_LOCK_NOTES_HOLDER
	__typeof__(m->__data.__spins) *c = &m->__data.__spins;
	unsigned n = (uint16_t)(hold_count(m) + 1);
#ifdef __x86_64__
	__atomic_store_n(c, (__typeof__(*c))n, __ATOMIC_RELAXED);
	if (heap_lock_holder_cpu(m) != cpu)
		__atomic_store_n(&m->__data.__elision,
				 (__typeof__(m->__data.__elision))(uint16_t)cpu,
				 __ATOMIC_RELAXED);
#else
	if (sizeof(*c) >= 4)
		n |= (unsigned)(uint16_t)cpu << 16;
	__atomic_store_n(c, (__typeof__(*c))n, __ATOMIC_RELAXED);
#endif
#else
	(void)m;
	(void)cpu;
#endif
}

/* The processor this thread runs on, plus one; 0 when not known.  Cheap:
 * glibc reads it from the thread's rseq area, or the vDSO. */
static inline unsigned this_cpu(void)
{
	int cpu = sched_getcpu();
	return cpu >= 0 && cpu < UINT16_MAX ? (unsigned)cpu + 1 : 0;
}

/* Whether the lock's holder took it on the processor this thread runs on:
 * then the holder is not running, and watching the lock is time lost. */
static inline bool holder_here(const pthread_mutex_t *m)
{
	unsigned cpu = heap_lock_holder_cpu(m);
	return cpu && cpu == this_cpu();
}

/* How long a locker that found the lock busy sleeps before it looks again:
 * the first nap asks for 1 us, which the kernel stretches by the thread's
 * timer slack (50 us by default); each further nap doubles, up to 1 ms. */
#define LOCK_NAP_MIN_NS 1000L
#define LOCK_NAP_MAX_NS 1000000L
/* Before its first nap a locker yields the processor this many times. */
#define LOCK_YIELDS 2
/*
 * When a waiter queues in the kernel instead (Go's sync.Mutex starvation mode,
 * entered there after 1 ms).  Queueing has a price: a futex wake-up and a
 * holder that steps back (step_back()).  Under plain saturation with short
 * holds (W3) waiters reach a few milliseconds often, and queueing then cost W3
 * up to a third of its throughput (bench/RESULTS.md); what starves a waiter
 * is a holder whose holds are long (shmheap_stats on a big heap).  So a
 * waiter counts the acquisitions it sees while it waits (hold_count()): after
 * LOCK_LONG_WAIT_NS it queues if they average LOCK_LONG_HOLD_NS or more of
 * its wait, and after LOCK_STARVING_NS it queues whatever they were, which
 * bounds the wait behind short holds too.
 */
#define LOCK_LONG_WAIT_NS 2000000L
#define LOCK_LONG_HOLD_NS 100000L
#define LOCK_STARVING_NS 25000000L
/* How long a queued locker sleeps before it looks at the mutex's state again
 * (its holder may be a thread whose trylock met an unrecoverable mutex). */
#define LOCK_QUEUE_SLICE_NS 10000000L
/* How long at most a holder that had a queued waiter stays away once it
 * released the lock, so that the waiter (woken by the release) can take it. */
#define LOCK_HANDOVER_NS 1000000L

/* How long a queue's call tries a busy lock before it sleeps (heap_lock_brief). */
#define LOCK_BRIEF_SPIN_NS 3000L

static struct timespec after_ns(struct timespec t, long ns)
{
	t.tv_nsec += ns % 1000000000L;
	t.tv_sec += ns / 1000000000L + t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

static int before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * A starving locker waits in the kernel's queue of the futex: glibc sets
 * FUTEX_WAITERS in the lock word and the holder's pthread_mutex_unlock wakes
 * it.  It sleeps in slices, to look at the mutex's state in between.
 */
static int queue(pthread_mutex_t *m, const struct timespec *deadline)
{
	for (;;) {
		if (unrecoverable(m))
			return ENOTRECOVERABLE;
		struct timespec now, until;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (deadline && !before(&now, deadline))
			return ETIMEDOUT;
		until = after_ns(now, LOCK_QUEUE_SLICE_NS);
		if (deadline && before(deadline, &until))
			until = *deadline;
#ifdef __GLIBC__
		int err = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &until);
		if (err != ETIMEDOUT)
			return err;
#else
		nanosleep(&(struct timespec){0, LOCK_NAP_MAX_NS}, NULL);
		int err = pthread_mutex_trylock(m);
		if (err != EBUSY)
			return err;
#endif
	}
}

/*
 * Run by a locker whose last release woke a queued waiter: stays away until
 * the lock is taken, by the waiter or anyone else, or LOCK_HANDOVER_NS
 * passed (the waiter may have given up, or come and gone between two looks).
 */
static void step_back(pthread_mutex_t *m)
{
	struct timespec now, end;
	clock_gettime(CLOCK_MONOTONIC, &now);
	end = after_ns(now, LOCK_HANDOVER_NS);
	sched_yield();
	while (looks_free(m) && !unrecoverable(m)) {
		nanosleep(&(struct timespec){0, LOCK_NAP_MIN_NS}, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!before(&now, &end))
			break;
	}
}

/* Counts the hold and notes, once the lock is ours, whether it came from
 * the kernel's queue.  An inspecting connection (the tools) leaves the count
 * alone: it promises not to write the heap, and a waiter that sees no count
 * takes the holds for long ones, the safe side. */
static int took_lock(struct shmheap_heap *h, int err, int queued)
{
	if (!err || err == EOWNERDEAD) {
		if (!(h->connect_flags & SHMHEAP_CONNECT_INSPECT))
			count_hold(&h->hdr->lock, h->lock_spin_ns ? this_cpu() : 0);
		if (h->lock_queued != queued)
			__atomic_store_n(&h->lock_queued, queued, __ATOMIC_RELAXED);
	}
	return err;
}

static long ns_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}

/* Whether a locker that waited this long, while the lock was taken this many
 * times, should queue (see LOCK_LONG_WAIT_NS). */
static int starving(long waited, uint64_t holds)
{
	if (waited >= LOCK_STARVING_NS)
		return 1;
	return waited >= LOCK_LONG_WAIT_NS &&
	       holds * LOCK_LONG_HOLD_NS <= (uint64_t)waited;
}

/*
 * Takes the lock, giving up at *deadline (CLOCK_MONOTONIC) if there is one.
 *
 * A locker that finds the lock busy naps and looks again; it neither spins
 * nor queues in the kernel at first.  Critical sections are a few hundred
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
 * Naps alone do not bound a wait: a holder that takes the lock again at once
 * after long holds (shmheap_stats on a big heap) leaves gaps too short for a
 * napper to catch.  So a locker that has waited long enough behind long
 * holds (LOCK_LONG_WAIT_NS), or LOCK_STARVING_NS in any case, queues in
 * the kernel (queue()), which raises FUTEX_WAITERS in the lock word; the
 * holder sees the flag when it releases (heap_unlock), glibc's unlock wakes
 * the waiter, and the releaser stays away until the lock is taken (at most
 * LOCK_HANDOVER_NS) before it looks again (step_back()), like Go's
 * sync.Mutex in starvation mode.  A locker that got the lock from the queue
 * does not step back: the flag it finds is its own (glibc keeps it set for
 * waiters it cannot see).
 *
 * A holder that dies is seen by the same looks: its lock word loses the
 * owner's thread id and trylock answers EOWNERDEAD; queued waiters are woken
 * by the kernel.  A mutex that a failed repair left unrecoverable is seen
 * before every look.
 */
static int __attribute__((noinline))
wait_for_lock(struct shmheap_heap *h, const struct timespec *deadline)
{
	pthread_mutex_t *m = &h->hdr->lock;
	struct timespec nap = {0, LOCK_NAP_MIN_NS};
	struct timespec now, start;
	int yields = LOCK_YIELDS, looked = 0;
	unsigned seen = hold_count(m);
	uint64_t holds = 0;

	for (;;) {
		if (unrecoverable(m))
			return ENOTRECOVERABLE;
		if (looks_free(m)) {
			int err = pthread_mutex_trylock(m);
			if (err != EBUSY)
				return took_lock(h, err, 0);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (deadline && !before(&now, deadline))
			return ETIMEDOUT;
		unsigned count = hold_count(m);
		holds += (uint16_t)(count - seen);
		seen = count;
		if (!looked++)
			start = now;
		else if (starving(ns_between(&start, &now), holds))
			break;
		if (yields > 0) {
			yields--;
			sched_yield();
			continue;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < LOCK_NAP_MAX_NS)
			nap.tv_nsec *= 2;
	}
	return took_lock(h, queue(m, deadline), 1);
}

/*
 * A heap whose lock is taken seldom and briefly (a cached heap: the lock is
 * taken for refills and flushes of a process's cache, a few microseconds
 * each, and for large objects) has h->lock_spin_ns from its layers: a locker
 * that finds the lock busy watches it that long before it yields and naps,
 * since a nap (50 us or more) costs more than the hold.  A heap whose every
 * call takes the lock has none: spinning waiters moved its cache lines at
 * every call (see wait_for_lock).  Returns when the lock looks free (or
 * unusable for good).
 *
 * Watching pays only while the holder runs.  With more processes than
 * processors a holder can be preempted inside its hold, and a waiter that
 * runs on the holder's processor knows it was (the holder notes where it
 * took the lock, count_hold): that waiter does not watch, and goes on to
 * yield (wait_for_lock), which lets the holder run and finish.  Like Linux's
 * adaptive mutexes, which spin only while the owner is on a processor; a
 * holder on another processor may be preempted too, which no one can see
 * from here: the spin's time bounds that loss.
 */
static void spin_briefly(const pthread_mutex_t *m, long spin_ns)
{
	if (holder_here(m))
		return;
	SHMHEAP_KILL_POINT("heap_lock_spin", 1);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		for (int i = 0; i < 64; i++) {
			if (looks_free(m) || unrecoverable(m))
				return;
			cpu_relax();
		}
		/* The lock may have passed to a holder here, or this waiter
		 * moved to the holder's processor. */
		if (holder_here(m))
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ns_between(&start, &now) >= spin_ns)
			return;
	}
}

/*
 * Tries the lock each time it looks free, for LOCK_BRIEF_SPIN_NS at most:
 * between two holds of a process that takes the lock again at once, a single
 * try after a wait (spin_briefly) mostly fails, and the locker then naps
 * while the other runs on alone.  Answers as pthread_mutex_trylock, EBUSY
 * when the time ran out.
 */
static int spin_to_lock(struct shmheap_heap *h)
{
	pthread_mutex_t *m = &h->hdr->lock;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	unsigned pause = 4;
	for (;;) {
		for (int i = 0; i < 16; i++) {
			if (unrecoverable(m))
				return EBUSY; /* acquire() says so */
			if (looks_free(m)) {
				int err = pthread_mutex_trylock(m);
				if (err != EBUSY)
					return took_lock(h, err, 0);
			}
			/* Each look moves the holder's line: look less often. */
			for (unsigned k = 0; k < pause; k++)
				cpu_relax();
			if (pause < 256)
				pause *= 2;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ns_between(&start, &now) >= LOCK_BRIEF_SPIN_NS)
			return EBUSY;
	}
}

static inline int acquire(struct shmheap_heap *h, const struct timespec *deadline)
{
	pthread_mutex_t *m = &h->hdr->lock;

	if (__atomic_load_n(&h->lock_handover, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&h->lock_handover, 0, __ATOMIC_RELAXED))
		step_back(m);
	/* The common case: the lock is free. */
	if (!unrecoverable(m) && looks_free(m)) {
		int err = pthread_mutex_trylock(m);
		if (err != EBUSY)
			return took_lock(h, err, 0);
	}
	/* wait_for_lock looks at the lock again before it yields or naps. */
	if (h->lock_spin_ns)
		spin_briefly(m, (long)h->lock_spin_ns);
	return wait_for_lock(h, deadline);
}

static struct timespec deadline_in(unsigned ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return after_ns(t, (long)ms * 1000000L);
}

int heap_lock(struct shmheap_heap *h)
{
	if (h->wait_limit_ms)
		return heap_lock_timed(h, h->wait_limit_ms);
	if (!heap_lock_sane(h))
		return -1;
	return after_acquire(h, acquire(h, NULL));
}

int heap_lock_timed(struct shmheap_heap *h, unsigned timeout_ms)
{
	if (!heap_lock_sane(h))
		return -1;
	struct timespec deadline = deadline_in(timeout_ms);
	return after_acquire(h, acquire(h, &deadline));
}

/*
 * For a queue's calls (queue.c): holds of a few hundred nanoseconds, which
 * the process at the other end of the queue waits for at once.  A nap costs
 * that process 50 us or more while the holder takes the lock again and
 * again, so a locker that finds the lock busy tries it for a few
 * microseconds (spin_to_lock), then sleeps in the kernel's queue of the
 * futex, from which the holder's release wakes it (queue()): the holder runs
 * on alone meanwhile, without a watcher moving its lines.  Its release
 * (heap_unlock_brief) leaves out the handover of heap_unlock: the other end
 * of a queue comes back within microseconds, and a holder that stepped back
 * for it would wait as long.
 */
int heap_lock_brief(struct shmheap_heap *h)
{
	if (!heap_lock_sane(h))
		return -1;
	int err = spin_to_lock(h);
	if (err != EBUSY)
		return after_acquire(h, err);
	if (unrecoverable(&h->hdr->lock))
		return after_acquire(h, ENOTRECOVERABLE);
	if (!h->wait_limit_ms)
		return after_acquire(h, took_lock(h, queue(&h->hdr->lock, NULL), 1));
	struct timespec deadline = deadline_in(h->wait_limit_ms);
	return after_acquire(h, took_lock(h, queue(&h->hdr->lock, &deadline), 1));
}

/* Damage a call met and did not report through heap_end_call still marks
 * the heap before the lock goes (errno kept): no later call inherits it. */
static inline void mark_unreported(struct shmheap_heap *h)
{
	if (__builtin_expect(h->damaged, 0)) {
		int err = errno;
		heap_mark_damaged(h);
		errno = err;
	}
}

void heap_unlock_brief(struct shmheap_heap *h)
{
	mark_unreported(h);
	pthread_mutex_unlock(&h->hdr->lock);
}

void heap_unlock(struct shmheap_heap *h)
{
	pthread_mutex_t *m = &h->hdr->lock;
	mark_unreported(h);
	/* A starving locker is queued: let it have the lock next. */
	if (!__atomic_load_n(&h->lock_queued, __ATOMIC_RELAXED) &&
	    (lock_word(m) & FUTEX_WAITERS_BIT))
		__atomic_store_n(&h->lock_handover, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(m);
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
 * names the dead thread (or GLIBC_OWNER_INCONSISTENT if it was repairing).
 * A mutex released without being made consistent has __owner
 * GLIBC_OWNER_NOTRECOVERABLE, whatever its futex word says.  Thread ids are
 * those of the caller's pid namespace.
 */
int heap_lock_probe(const pthread_mutex_t *m, pid_t *owner)
{
	*owner = 0;
#ifdef __GLIBC__
	unsigned word = (unsigned)__atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE);
	int recorded = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
	pid_t tid = (pid_t)(word & FUTEX_TID_BITS);

	if (recorded == GLIBC_OWNER_NOTRECOVERABLE)
		return SHMHEAP_LOCK_UNRECOVERABLE;
	if (tid) {
		*owner = tid;
		return thread_alive(tid) ? SHMHEAP_LOCK_HELD : SHMHEAP_LOCK_OWNER_DEAD;
	}
	if (word & FUTEX_OWNER_DIED_BIT) {
		*owner = recorded > 0 && recorded != GLIBC_OWNER_INCONSISTENT ? recorded
									      : 0;
		return SHMHEAP_LOCK_OWNER_DEAD;
	}
#else
	(void)m;
#endif
	return SHMHEAP_LOCK_FREE;
}
