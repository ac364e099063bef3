/* SPDX-License-Identifier: MIT */
/*
 * ealloc.c - part B of the memory-management lab, the lab's ealloc.c: the
 * program's one elastic allocator (shmheap_elastic) behind the four
 * functions of ealloc.h.
 *
 * This file goes into libshmheap-lab.a, which pkg-config shmheap-lab links
 * into the lab program, so the allocator below is the program's, one for all
 * its files, as the lab's own ealloc.c is.  It is not libshmheap's: the
 * library keeps no global state.  Not thread-safe, as the lab's is not.
 *
 * init_alloc and cleanup return nothing, as the lab declares them: their
 * errors go to errno only, and alloc returns NULL until init_alloc succeeds.
 */
#include <errno.h>
#include <stddef.h>

#include "ealloc.h"
#include "shmheap_pages.h"

static shmheap_elastic *manager;
/* The allocator's own state, in the program's static storage: init_alloc
 * allocates nothing, so the virtual size stays put until the first page. */
static union {
	max_align_t align;
	unsigned char bytes[SHMHEAP_ELASTIC_STORAGE];
} storage;

void init_alloc(void)
{
	if (manager) {
		errno = EBUSY;
		return;
	}
	manager = shmheap_elastic_create_in(&storage, sizeof(storage));
}

void cleanup(void)
{
	if (!manager) {
		errno = EINVAL;
		return;
	}
	shmheap_elastic_destroy(manager); /* a failed munmap: in errno */
	manager = NULL;
}

char *alloc(int size)
{
	if (!manager || size <= 0) {
		errno = EINVAL;
		return NULL;
	}
	return (char *)shmheap_elastic_alloc(manager, (size_t)size);
}

void dealloc(char *ptr)
{
	if (manager)
		shmheap_elastic_free(manager, ptr);
}
