/* SPDX-License-Identifier: MIT */
/*
 * gnu.c - a consumer that defines _GNU_SOURCE itself, as the lab's runners do
 * for pipe2() and O_DIRECT: with -Werror this fails if shmheap.pc defines
 * it too ("_GNU_SOURCE redefined").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <shmheap.h>

int main(int argc, char **argv)
{
	int fds[2];

	if (argc != 2)
		return 2;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return 1;
	close(fds[0]);
	close(fds[1]);
	shmheap_memory_handle mem = shmheap_create(argv[1], 65536);
	if (!mem) {
		fprintf(stderr, "consumer-gnu: shmheap_create: %s\n", strerror(errno));
		return 1;
	}
	shmheap_destroy(argv[1], mem);
	printf("consumer-gnu: ok\n");
	return 0;
}
