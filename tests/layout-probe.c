/* SPDX-License-Identifier: MIT */
/*
 * layout-probe - prints, as shell assignments, where a new heap puts its
 * first object and how much bookkeeping separates two objects, as measured
 * through the public API.  Shell tests eval its output instead of writing the
 * layout's numbers down:
 *
 *   FIRST_OBJECT=80 BLOCK_SPACE=8 FIRST_BLOCK=72
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmheap.h"

static size_t offset_of(shmheap_memory_handle h, void *p)
{
	return (size_t)((uintptr_t)p - (uintptr_t)shmheap_underlying(h));
}

int main(void)
{
	char name[64];
	snprintf(name, sizeof(name), "/shmheap-test-layout-probe-%ld", (long)getpid());
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	if (!h) {
		fprintf(stderr, "layout-probe: create %s: %s\n", name, strerror(errno));
		return 99;
	}
	void *a = shmheap_alloc(h, SHMHEAP_ALIGNMENT);
	void *b = shmheap_alloc(h, SHMHEAP_ALIGNMENT);
	int rc = 0;
	if (!a || !b) {
		fprintf(stderr, "layout-probe: alloc: %s\n", strerror(errno));
		rc = 99;
	} else {
		size_t first = offset_of(h, a);
		size_t space = offset_of(h, b) - first - SHMHEAP_ALIGNMENT;
		printf("FIRST_OBJECT=%zu BLOCK_SPACE=%zu FIRST_BLOCK=%zu\n", first, space,
		       first - space);
	}
	shmheap_destroy(name, h);
	return rc;
}
