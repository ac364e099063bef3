/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - part A of the memory-management lab, the lab's alloc.c: the
 * program's one page manager (shmheap_pages over one 4 KiB page) behind the
 * four functions of alloc.h.
 *
 * This file goes into libshmheap-lab.a, which pkg-config shmheap-lab links
 * into the lab program, so the manager below is the program's, one for all
 * its files, as the lab's own alloc.c is.  It is not libshmheap's: the
 * library keeps no global state.  Not thread-safe, as the lab's is not.
 */
#include <errno.h>

#include "alloc.h"
#include "shmheap_pages.h"

static shmheap_pages *manager;

int init_alloc(void)
{
	if (manager)
		return EBUSY;
	manager = shmheap_pages_create(PAGESIZE);
	return manager ? 0 : (errno ? errno : ENOMEM);
}

int cleanup(void)
{
	if (!manager)
		return EINVAL;
	int r = shmheap_pages_destroy(manager);
	manager = NULL;
	return r ? (errno ? errno : EIO) : 0;
}

char *alloc(int size)
{
	if (!manager || size <= 0) {
		errno = EINVAL;
		return NULL;
	}
	return (char *)shmheap_pages_alloc(manager, (size_t)size);
}

void dealloc(char *ptr)
{
	if (manager)
		shmheap_pages_free(manager, ptr);
}
