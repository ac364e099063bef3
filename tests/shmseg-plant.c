/* SPDX-License-Identifier: MIT */
/*
 * shmseg-plant.c - puts a value into a numbered segment and leaves it there,
 * as a program that crashed would: `shmseg-plant ID OFFSET VALUE` opens
 * segment ID of the namespace (SHMHEAP_SEGMENTS), creating a page if there is
 * none, stores the int VALUE at byte OFFSET and detaches without closing, so
 * that the segment stays.  For the tests of the demos (demo-failures.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmseg.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: shmseg-plant ID OFFSET VALUE\n");
		return 2;
	}
	int id = atoi(argv[1]);
	long off = strtol(argv[2], NULL, 0);
	int value = (int)strtol(argv[3], NULL, 0);
	char *p;
	if (shmseg_open(id, (void **)&p) < 0) {
		fprintf(stderr, "shmseg-plant: shmseg_open(%d): %s\n", id, strerror(errno));
		return 1;
	}
	struct shmseg_stat st;
	if (off < 0 || shmseg_stat(id, &st) < 0 || (size_t)off + sizeof(int) > st.size) {
		fprintf(stderr, "shmseg-plant: offset %ld is outside segment %d\n", off, id);
		shmseg_close(id);
		return 1;
	}
	memcpy(p + off, &value, sizeof(value));
	if (shmseg_detach(id) < 0) {
		fprintf(stderr, "shmseg-plant: shmseg_detach(%d): %s\n", id, strerror(errno));
		return 1;
	}
	return 0;
}
