/* SPDX-License-Identifier: MIT */
/*
 * path-race.c - both sides of the race of a file heap's directories, for
 * tests/ctl-file-paths.sh.
 *
 *   path-race swap DIR A B SECONDS
 *	Exchanges DIR/A and DIR/B (renameat2, RENAME_EXCHANGE) without pause
 *	for at most SECONDS, or until killed.  DIR/A is a directory, DIR/B a
 *	symbolic link to another one.  The directory is this process's working
 *	directory (wherever its name is at the moment): whenever its heap "h"
 *	is gone, a new one is made there (file:h), so that the other side
 *	always has a heap to remove.  Prints "ready" once it has begun.
 *   path-race destroy NAME COUNT
 *	COUNT times: joins the heap NAME for an unlocked inspection (a name
 *	that is no heap at the moment is tried again) and destroys it
 *	(shmheap_destroy).  Prints how many it removed.
 *
 * Exit status: 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmheap.h"

#define HEAP_SIZE (64u << 10)

static int die(const char *what)
{
	fprintf(stderr, "path-race: %s: %s\n", what, strerror(errno));
	return 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A new heap "h" in the working directory if there is none. */
static int keep_heap(void)
{
	struct stat st;
	if (fstatat(AT_FDCWD, "h", &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return 0;
	shmheap_memory_handle h = shmheap_create("file:h", HEAP_SIZE);
	if (!h)
		return errno == EEXIST ? 0 : -1;
	shmheap_disconnect(h); /* unmapped: nothing keeps the other side off */
	return 0;
}

static int swap(const char *dir, const char *a, const char *b, double seconds)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fchdir(dfd) < 0 || chdir(a) < 0)
		return die(dir);
	if (keep_heap() < 0)
		return die("create file:h");
	printf("ready\n");
	fflush(stdout);
	double end = now_s() + seconds;
	for (unsigned long n = 1;; n++) {
		if (renameat2(dfd, a, dfd, b, RENAME_EXCHANGE) < 0)
			return die("renameat2");
		if (n % 64 == 0 && keep_heap() < 0)
			return die("create file:h");
		if (n % 1024 == 0 && now_s() > end)
			return 0;
	}
}

static int destroy(const char *name, unsigned count)
{
	struct shmheap_connect_options opt = {.flags = SHMHEAP_CONNECT_INSPECT |
						       SHMHEAP_CONNECT_UNLOCKED};
	unsigned removed = 0;
	for (unsigned i = 0; i < count; i++) {
		shmheap_memory_handle h = shmheap_connect_ex(name, &opt);
		if (!h)
			continue;
		errno = 0;
		shmheap_destroy(name, h);
		if (errno == 0)
			removed++;
	}
	printf("%u\n", removed);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "swap") == 0)
		return swap(argv[2], argv[3], argv[4], atof(argv[5]));
	if (argc == 4 && strcmp(argv[1], "destroy") == 0)
		return destroy(argv[2], (unsigned)atoi(argv[3]));
	fprintf(stderr, "usage: path-race swap DIR A B SECONDS | destroy NAME COUNT\n");
	return 1;
}
