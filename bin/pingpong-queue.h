/* SPDX-License-Identifier: MIT */
/*
 * pingpong-queue.h - shmheap-pingpong --api queue: the call passed as an
 * object of an anonymous heap through two queues of handles.
 */
#ifndef SHMHEAP_PINGPONG_QUEUE_H
#define SHMHEAP_PINGPONG_QUEUE_H

#include "demo.h"
#include "shmheap.h"

/* The heap and its two queues, made before the fork; exits on failure. */
shmheap_memory_handle pp_queue_make(void);
/* The child's and the parent's parts (TOOL_EXIT_*); heap is the connection
 * made before the fork. */
int pp_queue_client(shmheap_memory_handle heap, unsigned long rounds,
		    const struct demo_peer *parent);
int pp_queue_server(shmheap_memory_handle heap, unsigned long rounds,
		    const struct demo_peer *child);

#endif /* SHMHEAP_PINGPONG_QUEUE_H */
