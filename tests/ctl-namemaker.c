/* SPDX-License-Identifier: MIT */
/*
 * ctl-namemaker.c - names in a heap, for tests/ctl-names.sh:
 *
 *   names NAME    in the existing heap NAME: a 100-byte object named
 *                 "config", a 24-byte one named "queue/one" and (with a tab)
 *                 "odd\tname", and a name "stale" whose object was freed
 *   damage NAME   overwrites the names table of NAME's directory with
 *                 bytes that name no entry
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "shmheap.h"

#define TABLE_BYTES (16 * sizeof(uint64_t)) /* a new names table: 16 slots */

static int die(const char *what)
{
	fprintf(stderr, "ctl-namemaker: %s: %s\n", what, strerror(errno));
	return 1;
}

static int first_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	(void)name;
	(void)hdl;
	(void)arg;
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return die("usage: ctl-namemaker names|damage NAME");
	shmheap_memory_handle h = shmheap_connect(argv[2]);
	if (!h)
		return die(argv[2]);
	if (strcmp(argv[1], "names") == 0) {
		void *a = shmheap_alloc(h, 100), *b = shmheap_alloc(h, 24),
		     *c = shmheap_alloc(h, 8);
		if (!a || !b || !c)
			return die("alloc");
		if (shmheap_name_set(h, "config", shmheap_ptr_to_handle(h, a), 0) < 0 ||
		    shmheap_name_set(h, "queue/one", shmheap_ptr_to_handle(h, b), 0) <
			    0 ||
		    shmheap_name_set(h, "odd\tname", shmheap_ptr_to_handle(h, b), 0) <
			    0 ||
		    shmheap_name_set(h, "stale", shmheap_ptr_to_handle(h, c), 0) < 0)
			return die("name_set");
		shmheap_free(h, c);
	} else if (strcmp(argv[1], "damage") == 0) {
		/* The table is the directory's second block, 128 bytes (16
		 * slots): find it as the 128-byte object that no name names. */
		(void)shmheap_name_walk(h, first_name, NULL);
		struct shmheap_stats st;
		if (shmheap_stats(h, &st) < 0)
			return die("stats");
		unsigned char *base = shmheap_underlying(h);
		heap_off off = HEAP_FIRST_BLOCK;
		while (off < st.heap_size) {
			uint64_t bw;
			memcpy(&bw, block_word(base, off), sizeof(bw));
			uint64_t size = bw_size(bw);
			if (size < BLOCK_MIN)
				break; /* no chain to follow: ctl-names.sh then fails */
			if ((bw & BW_IN_USE) && size == HEAP_UNIT + TABLE_BYTES) {
				memset(base + off + HEAP_UNIT, 0x5a, TABLE_BYTES);
				break;
			}
			off += size;
		}
	} else {
		return die("unknown command");
	}
	shmheap_disconnect(h);
	return 0;
}
