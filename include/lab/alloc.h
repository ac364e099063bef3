/* SPDX-License-Identifier: MIT */
/*
 * alloc.h - the memory-management lab's part A interface over libshmheap:
 * a memory manager of one 4 KiB page obtained with mmap, every byte of it
 * available (the bookkeeping lives outside the page).
 *
 *   cc test_alloc.c $(pkg-config --cflags --libs shmheap-lab)
 *
 * The four functions are static inline wrappers over shmheap_pages(3); the
 * manager is held in a static variable of the including file, so nothing of
 * this header is exported by the library, and ealloc.h (part B, the same four
 * names) may be used by another program, or another file of the same one.
 * Include one of the two per file.
 */
#ifndef SHMHEAP_LAB_ALLOC_H
#define SHMHEAP_LAB_ALLOC_H

#include <errno.h>
#include <stddef.h>

#include "../shmheap_pages.h"

#define SHMHEAP_LAB_ALLOC_PAGE 4096

static shmheap_pages *shmheap_lab_alloc_manager;

/* Maps the 4 KiB page: 0, or an errno value (EBUSY if already initialised). */
static inline int init_alloc(void)
{
	if (shmheap_lab_alloc_manager)
		return EBUSY;
	shmheap_lab_alloc_manager = shmheap_pages_create(SHMHEAP_LAB_ALLOC_PAGE);
	return shmheap_lab_alloc_manager ? 0 : (errno ? errno : ENOMEM);
}

/* Unmaps the page and forgets every allocation: 0, or an errno value. */
static inline int cleanup(void)
{
	if (!shmheap_lab_alloc_manager)
		return EINVAL;
	int r = shmheap_pages_destroy(shmheap_lab_alloc_manager);
	shmheap_lab_alloc_manager = NULL;
	return r ? (errno ? errno : EIO) : 0;
}

/* size bytes, a positive multiple of 8, or NULL (bad size, or no free run). */
static inline char *alloc(int size)
{
	if (!shmheap_lab_alloc_manager || size <= 0)
		return NULL;
	return (char *)shmheap_pages_alloc(shmheap_lab_alloc_manager, (size_t)size);
}

/* Frees a chunk alloc returned; anything else is ignored. */
static inline void dealloc(char *ptr)
{
	if (shmheap_lab_alloc_manager)
		shmheap_pages_free(shmheap_lab_alloc_manager, ptr);
}

#endif /* SHMHEAP_LAB_ALLOC_H */
