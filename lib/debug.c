/* SPDX-License-Identifier: MIT */
/*
 * debug.c - with ./configure --enable-debug, every call that changed a heap
 * verifies all of it before it lets go of the lock, so that damage is caught
 * by the call that did it rather than by whoever trips over it later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "inspect.h"
#include "lock.h"

#ifdef SHMHEAP_DEBUG
static void print_problem(size_t offset, const char *problem, void *arg)
{
	fprintf(stderr, "libshmheap: %s left the heap broken: offset %zu: %s\n",
		(const char *)arg, offset, problem);
}

void heap_debug_verify(struct shmheap_heap *h, const char *call)
{
	int err = errno; /* the call's, for its caller */
	if (heap_verify(h, print_problem, (void *)call) != 0)
		abort();
	errno = err;
}
#endif
