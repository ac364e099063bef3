/* SPDX-License-Identifier: MIT */
/*
 * queuebench.h - Boost.Interprocess's message_queue for bench/queuebench,
 * behind a C interface (queue_boost.cc; without Boost, stubs that say it is
 * not there).  Messages are 8-byte handles.
 */
#ifndef QUEUEBENCH_H
#define QUEUEBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int qb_mq_available(void);
/* Creates the queue name of capacity messages (removing a stale one first). */
int qb_mq_create(const char *name, size_t capacity);
/* Opens it in this process (a forked one); NULL on failure.  Never closed:
 * the process exits. */
void *qb_mq_open(const char *name);
/* Blocking send and receive of one handle: 0, or -1. */
int qb_mq_send(void *mq, uint64_t v);
int qb_mq_recv(void *mq, uint64_t *v);
void qb_mq_remove(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* QUEUEBENCH_H */
