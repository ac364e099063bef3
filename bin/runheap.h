/* SPDX-License-Identifier: MIT */
/*
 * runheap.h - the heap a runner (shmheap-ex1, -ex2, -ex3) runs over.
 *
 * By default a POSIX object "/TOOL.PID", as always; --heap NAME chooses any
 * backing: "/name", "file:PATH", "sysv:KEY", or "anon:", an anonymous heap
 * that the runner creates before forking its processes, which inherit it
 * (their connect opens the same heap again through its descriptor).  The
 * runner creates the heap, so NAME must not exist yet, and removes it at
 * the end, and on every terminating signal (cleanup.h).
 */
#ifndef SHMHEAP_RUNHEAP_H
#define SHMHEAP_RUNHEAP_H

#include <stdbool.h>
#include <stddef.h>

#include <shmheap.h>

/* Chooses the heap: arg from --heap, or NULL for "/tool.PID".  Dies with a
 * usage error on a malformed name. */
void run_heap_choose(const char *tool, const char *arg);
/* Its name, as messages show it. */
const char *run_heap_name(void);
/* True when the heap must exist before the processes are forked (anon:). */
bool run_heap_before_fork(void);
/*
 * Creates the heap and registers it with cleanup.h (call with the signals
 * blocked).  NULL with errno set on failure.
 */
shmheap_memory_handle run_heap_create(size_t size, const struct shmheap_options *o);
/* In a forked process: a connection of its own to the heap. */
shmheap_memory_handle run_heap_connect(void);
/* Removes the heap and disconnects mem (call with the signals blocked). */
void run_heap_destroy(shmheap_memory_handle mem);

#endif /* SHMHEAP_RUNHEAP_H */
