/* SPDX-License-Identifier: MIT */
/*
 * worker.h - one simulated process of the lab runners, and what it is told.
 *
 * The runner forks one worker per process id.  It sends each worker fixed-size
 * requests through a pipe and reads one reply per request from another pipe.
 * Object handles travel in both directions as bitwise copies inside these
 * messages, as the lab specification asks.  The worker prints its own output
 * line, with one write(2), before it replies.
 */
#ifndef SHMHEAP_WORKER_H
#define SHMHEAP_WORKER_H

#include <stdint.h>

#include <shmheap.h>

enum worker_op {
	WORKER_CONNECT = 0,
	WORKER_DISCONNECT = 1,
	WORKER_READ = 2,
	WORKER_ALLOC = 3,
	WORKER_FREE = 4,
	WORKER_QUIT = 5, /* disconnect silently if connected, then exit */
};

struct worker_request {
	uint32_t op; /* enum worker_op */
	uint32_t reserved;
	uint64_t size;		   /* ALLOC: bytes to allocate */
	uint64_t count;		   /* ALLOC, READ: number of 8-byte integers */
	uint64_t first_value;	   /* ALLOC: the object holds first_value, +1, ... */
	shmheap_object_handle hdl; /* READ, FREE */
};

struct worker_reply {
	int32_t err;		   /* 0, or the errno of a failed operation */
	int32_t out_err;	   /* 0, or the errno of writing the output line */
	shmheap_object_handle hdl; /* ALLOC: the new object (null when err) */
};

/*
 * The worker's life: reads requests from in_fd until WORKER_QUIT or end of
 * file, executes them on the runner's heap (runheap.h) as process id, prints
 * "#id: ..." lines on standard output and answers on out_fd.  Never returns.
 */
_Noreturn void worker_run(unsigned id, int in_fd, int out_fd);

#endif /* SHMHEAP_WORKER_H */
