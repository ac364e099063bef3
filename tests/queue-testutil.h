/* SPDX-License-Identifier: MIT */
/*
 * queue-testutil.h - what the queue suites share: a heap of each kind (every
 * backing, and a cached heap), a connection of a forked child's own, and the
 * accounting that finds an orphaned or doubled object after processes died.
 */
#ifndef SHMHEAP_QUEUE_TESTUTIL_H
#define SHMHEAP_QUEUE_TESTUTIL_H

#include <stddef.h>

#include "backing-testutil.h"

enum qt_kind { QT_POSIX, QT_CACHED, QT_FILE, QT_SYSV, QT_ANON, QT_KINDS };

struct qt_heap {
	enum qt_kind kind;
	char name[BT_NAME_MAX + 8]; /* empty for an anonymous heap */
	shmheap_memory_handle h;
};

const char *qt_kind_name(enum qt_kind kind);
/* Makes a heap of the kind (ck_assert on failure); its sysv key is slot n. */
void qt_make(struct qt_heap *q, enum qt_kind kind, size_t bytes, unsigned n);
/* In a forked child: a connection of its own, or for an anonymous heap the
 * inherited one (the heap has no name to connect to). */
shmheap_memory_handle qt_child_connect(const struct qt_heap *q);
void qt_destroy(struct qt_heap *q);

/* The live objects of the heap (shmheap_walk), ck_assert'ed. */
size_t qt_live_objects(shmheap_memory_handle h);

/*
 * The accounting after a run: every live object is the library's own or the
 * caller's (own of them, counted before the run), in a queue (drained here
 * into a list) or in one of the nslots slots; no handle is in two places,
 * every one names a live object.  Prints what is wrong; returns the number of
 * problems.
 */
int qt_account(shmheap_memory_handle h, shmheap_queue **queues, size_t nqueues,
	       const shmheap_object_handle *slots, size_t nslots, size_t own);

/* qt_account, where up to may_lose objects may be orphaned: the handles in
 * the hands of plain calls (push, pop) that were killed. */
int qt_account_lossy(shmheap_memory_handle h, shmheap_queue **queues, size_t nqueues,
		     const shmheap_object_handle *slots, size_t nslots, size_t own,
		     size_t may_lose);

/* Every handle of queue q, popped (at most max): their number. */
size_t qt_drain(shmheap_queue *q, shmheap_object_handle *out, size_t max);

#endif /* SHMHEAP_QUEUE_TESTUTIL_H */
