/* SPDX-License-Identifier: MIT */
/*
 * ctl-treapmaker.c - a heap of the layout of 0.5.0 and earlier, for the
 * shmheap-ctl tests:
 *
 *   ctl-treapmaker NAME BYTES   creates NAME, BYTES long, with its free-block
 *                               index in treaps in the free blocks, not in a
 *                               map after the heap
 *
 * Linked against the library built for the tests (lib/libshmheap-test.la),
 * which makes such heaps when SHMHEAP_TEST_TREAP_HEAPS=1 (lib/testhooks.h);
 * the installed library makes only heaps with a map.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmheap.h"

int main(int argc, char **argv)
{
	char *end;
	errno = 0;
	unsigned long long bytes = argc == 3 ? strtoull(argv[2], &end, 10) : 0;
	if (argc != 3 || errno || *end || !bytes || bytes > SIZE_MAX) {
		fprintf(stderr, "usage: ctl-treapmaker NAME BYTES\n");
		return 2;
	}
	if (setenv("SHMHEAP_TEST_TREAP_HEAPS", "1", 1) < 0) {
		perror("ctl-treapmaker: setenv");
		return 1;
	}
	shmheap_memory_handle h = shmheap_create(argv[1], (size_t)bytes);
	if (!h) {
		fprintf(stderr, "ctl-treapmaker: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	shmheap_disconnect(h);
	return 0;
}
