/* SPDX-License-Identifier: MIT */
/*
 * posix.c - a strictly POSIX consumer (-std=c99 -D_POSIX_C_SOURCE=200809L).
 * shmheap.pc must not turn it into a GNU program: strerror_r must be the
 * POSIX one, which returns an int (GNU's returns a char *, and assigning
 * that to an int fails this build under -Werror).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <shmheap.h>

#ifdef _GNU_SOURCE
#error "_GNU_SOURCE is defined, but this program did not ask for it"
#endif

int main(int argc, char **argv)
{
	char msg[128];

	if (argc != 2)
		return 2;
	shmheap_memory_handle mem = shmheap_connect(argv[1]);
	if (mem || errno != ENOENT) {
		shmheap_disconnect(mem);
		fprintf(stderr,
			"consumer-posix: connect to a missing heap did not fail with ENOENT\n");
		return 1;
	}
	int err = strerror_r(ENOENT, msg, sizeof(msg)); /* POSIX: an int */
	if (err != 0)
		return 1;
	printf("consumer-posix: ok (%s)\n", msg);
	return 0;
}
