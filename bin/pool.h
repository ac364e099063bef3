/* SPDX-License-Identifier: MIT */
/*
 * pool.h - the runner's worker processes and its clean-up guarantees.
 *
 * A pool owns the heap's name and the workers.  From pool_start until the
 * runner exits, SIGINT and SIGTERM kill and reap every worker, remove the
 * heap and then end the runner by the same signal (status 128 + signal in a
 * shell), so an interrupted run leaves nothing in /dev/shm.
 */
#ifndef SHMHEAP_POOL_H
#define SHMHEAP_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "worker.h"

/*
 * Creates the heap heap_name (growing up to max_size, or fixed when max_size
 * is 0) and forks n workers.  *largest gets the size of the largest object the
 * heap can ever hold (at its maximum size, empty).  Returns 0, or -1 after
 * printing why (nothing is left behind then).
 */
int pool_start(const char *heap_name, size_t heap_size, size_t max_size, unsigned n,
	       size_t *largest);

/* Sends a request to worker id; 0, or -1 if the worker has gone. */
int pool_send(unsigned id, const struct worker_request *rq);
/* Waits for worker id's next reply; 0, or -1 if the worker has gone. */
int pool_receive(unsigned id, struct worker_reply *rp);

/*
 * Ends the run: tells every worker to quit, reaps them all and destroys the
 * heap.  Returns 0, or -1 if a worker did not exit cleanly.
 */
int pool_finish(void);

#endif /* SHMHEAP_POOL_H */
