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

#include "shmheap.h"

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
		size_t off = 80;
		while (off < st.heap_size) {
			uint64_t bw;
			memcpy(&bw, base + off - 8, 8);
			size_t size = (size_t)(bw & 0xffffffff8ull);
			if ((bw & 1) && size == 136) {
				memset(base + off, 0x5a, 128);
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
