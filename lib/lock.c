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

int heap_lock(struct shmheap_heap *h)
{
	return after_acquire(h, pthread_mutex_lock(&h->hdr->lock));
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
