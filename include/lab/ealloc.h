/* SPDX-License-Identifier: MIT */
/*
 * ealloc.h - the memory-management lab's part B interface over libshmheap:
 * an elastic allocator that maps nothing at init_alloc and then one 4 KiB
 * anonymous private page at a time, only when no page it has can hold a
 * request.  Sizes: multiples of 8 up to 4096; any number of pages.
 *
 *   cc test_ealloc.c $(pkg-config --cflags --libs shmheap-lab)
 *
 * The four functions are static inline wrappers over shmheap_elastic(3); the
 * allocator is held in a static variable of the including file, so nothing of
 * this header is exported by the library, and alloc.h (part A, the same four
 * names) may be used by another program, or another file of the same one.
 * Include one of the two per file.
 */
#ifndef SHMHEAP_LAB_EALLOC_H
#define SHMHEAP_LAB_EALLOC_H

#include <errno.h>
#include <stddef.h>

#include "../shmheap_pages.h"

static shmheap_elastic *shmheap_lab_ealloc_manager;
/* The allocator's own state, in this file's static storage: init_alloc
 * allocates nothing, so the virtual size stays put until the first page. */
static union {
	long double align_ld; /* aligned for any object, also before C11's max_align_t */
	long long align_ll;
	void *align_p;
	unsigned char bytes[SHMHEAP_ELASTIC_STORAGE];
} shmheap_lab_ealloc_storage;

/* Prepares the allocator, mapping nothing: 0, or an errno value (EBUSY if
 * already initialised). */
static inline int init_alloc(void)
{
	if (shmheap_lab_ealloc_manager)
		return EBUSY;
	shmheap_lab_ealloc_manager =
		shmheap_elastic_create_in(&shmheap_lab_ealloc_storage,
					  sizeof(shmheap_lab_ealloc_storage));
	return shmheap_lab_ealloc_manager ? 0 : (errno ? errno : ENOMEM);
}

/* Unmaps every page and forgets every allocation: 0, or an errno value. */
static inline int cleanup(void)
{
	if (!shmheap_lab_ealloc_manager)
		return EINVAL;
	int r = shmheap_elastic_destroy(shmheap_lab_ealloc_manager);
	shmheap_lab_ealloc_manager = NULL;
	return r ? (errno ? errno : EIO) : 0;
}

/* size bytes, a positive multiple of 8 up to 4096, or NULL. */
static inline char *alloc(int size)
{
	if (!shmheap_lab_ealloc_manager || size <= 0)
		return NULL;
	return (char *)shmheap_elastic_alloc(shmheap_lab_ealloc_manager, (size_t)size);
}

/* Frees a chunk alloc returned; anything else is ignored. */
static inline void dealloc(char *ptr)
{
	if (shmheap_lab_ealloc_manager)
		shmheap_elastic_free(shmheap_lab_ealloc_manager, ptr);
}

#endif /* SHMHEAP_LAB_EALLOC_H */
