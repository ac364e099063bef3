/* SPDX-License-Identifier: MIT */
/*
 * pool.h - the runner's worker processes and its clean-up guarantees.
 *
 * A pool owns the heap (runheap.h) and the workers.  From pool_start until the
 * runner exits, every terminating signal kills and reaps every worker,
 * removes the heap and then ends the runner by the same signal (status 128 +
 * signal in a shell), so an interrupted run leaves nothing in /dev/shm (see
 * cleanup.h for the signals).
 */
#ifndef SHMHEAP_POOL_H
#define SHMHEAP_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "worker.h"

/*
 * Creates the heap runheap.h chose (growing up to max_size, or fixed when
 * max_size is 0) and forks n workers.  *largest gets the size of the largest object the
 * heap can ever hold (at its maximum size, empty).  Returns 0, or -1 after
 * printing why (nothing is left behind then).
 */
int pool_start(size_t heap_size, size_t max_size, unsigned n, size_t *largest);

/*
 * Sends request rqs[i] to worker ids[i] for every i < n and collects its
 * reply into rps[i].  All requests go out before any reply is awaited, so
 * different workers run at the same time; one worker runs its requests in
 * order.  The runner never blocks on a full pipe, so any number of requests
 * for one worker works.  Returns 0, or -1 with *failed set to a worker that
 * has gone.
 */
int pool_exchange(size_t n, const unsigned *ids, const struct worker_request *rqs,
		  struct worker_reply *rps, unsigned *failed);

/*
 * Ends the run: tells every worker to quit, reaps them all and destroys the
 * heap.  Returns 0, or -1 if a worker did not exit cleanly.
 */
int pool_finish(void);

#endif /* SHMHEAP_POOL_H */
