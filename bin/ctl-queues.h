/* SPDX-License-Identifier: MIT */
/* ctl-queues.h - a heap's queues as `shmheap-ctl inspect` shows them. */
#ifndef SHMHEAP_CTL_QUEUES_H
#define SHMHEAP_CTL_QUEUES_H

#include <stdbool.h>
#include <stddef.h>

#include "shmheap.h"

struct ctl_queue {
	char *name;
	struct shmheap_queue_stats st;
};

struct ctl_queues {
	struct ctl_queue *q; /* sorted by name */
	size_t n, cap;
	bool broken; /* the directory is damaged (run check) */
};

/* For ctl_heap_run: collects the queues of mem (arg is a struct ctl_queues). */
int ctl_queues_op(shmheap_memory_handle mem, void *arg);
void ctl_queues_free(struct ctl_queues *q);
/* "inspect"'s section and its JSON array. */
struct json;
void ctl_queues_print(const struct ctl_queues *q);
void ctl_queues_json(struct json *j, const struct ctl_queues *q);

#endif /* SHMHEAP_CTL_QUEUES_H */
