/* SPDX-License-Identifier: MIT */
/*
 * shmheap-ex0 - lab exercise 0: two processes share a memory-mapped file.
 *
 * Children A and B both map the same new file with mmf_create_or_open.  A
 * fills the first half with one pattern and B the second half with another;
 * each then checks the other's half.  Pipes order the steps so that A always
 * reports first:
 *
 *   A: map, write half A            B: map, write half B, tell A
 *   A: wait for B, check half B,
 *      report, tell B               B: wait for A, check half A, report
 *
 * The file is created in a private directory that mkdtemp makes in $TMPDIR
 * (or /tmp): nobody else can plant a link or a file under the name the
 * children open.  Both are removed at the end, and on a terminating signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mmf.h>

#include "cleanup.h"
#include "tool.h"

/* The value a child stores at word i of its half. */
static uint64_t pattern(char who, size_t i)
{
	return ((uint64_t)(unsigned char)who << 56) ^ (i * 0x9E3779B97F4A7C15u);
}

static void fill(uint64_t *half, size_t words, char who)
{
	for (size_t i = 0; i < words; i++)
		half[i] = pattern(who, i);
}

static bool holds(const uint64_t *half, size_t words, char who)
{
	for (size_t i = 0; i < words; i++)
		if (half[i] != pattern(who, i))
			return false;
	return true;
}

/* A child's life; its exit status tells whether it saw the other's data. */
static _Noreturn void child(char who, const char *path, size_t size, int wait_fd,
			    int tell_fd)
{
	uint64_t *map = mmf_create_or_open(path, size);
	if (!map) {
		fprintf(stderr, "shmheap-ex0: child %c: %s: %s\n", who, path,
			strerror(errno));
		_exit(TOOL_EXIT_FAIL);
	}
	size_t words = size / 2 / sizeof(uint64_t);
	uint64_t *mine = who == 'A' ? map : map + words;
	uint64_t *theirs = who == 'A' ? map + words : map;
	char other = who == 'A' ? 'B' : 'A';
	char token = 1;

	fill(mine, words, who);
	if (who == 'B' && write_all(tell_fd, &token, 1) < 0)
		_exit(TOOL_EXIT_FAIL);
	if (read_all(wait_fd, &token, 1) != 1)
		_exit(TOOL_EXIT_FAIL);
	bool ok = holds(theirs, words, other);
	char line[64];
	int n = snprintf(line, sizeof(line),
			 ok ? "Child %c received data successfully\n"
			    : "Child %c received wrong data\n",
			 who);
	int status = tool_child_line(ok, line, (size_t)n);
	if (who == 'A')
		(void)write_all(tell_fd, &token, 1);
	mmf_close(map, size);
	_exit(status);
}

/* Forks child who; of the four pipe ends it keeps only wait_fd and tell_fd,
 * so that it sees end of file if the other child dies. */
static pid_t start(char who, const char *path, size_t size, const int fds[4], int wait_fd,
		   int tell_fd, const sigset_t *old)
{
	pid_t pid = fork();
	if (pid > 0)
		cleanup_add_child(pid);
	if (pid == 0) {
		cleanup_in_child(old);
		for (int i = 0; i < 4; i++)
			if (fds[i] != wait_fd && fds[i] != tell_fd)
				close(fds[i]);
		child(who, path, size, wait_fd, tell_fd);
	}
	return pid;
}

/* The child's exit status, or TOOL_EXIT_FAIL if it did not exit. */
static int exit_status(pid_t pid)
{
	int status = cleanup_wait_child(pid);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : TOOL_EXIT_FAIL;
}

static void usage(FILE *f)
{
	fputs("Usage: shmheap-ex0 SIZE\n"
	      "Lab exercise 0: two processes share a memory-mapped file of SIZE bytes\n"
	      "(a multiple of the page size; K, M, G suffixes allowed).\n"
	      "  -h, --help     show this help and exit\n"
	      "  -V, --version  show the version and exit\n"
	      "See shmheap-ex0(1).\n",
	      f);
}

int main(int argc, char **argv)
{
	tool_init("shmheap-ex0");
	if (tool_help_or_version(argc, argv, usage))
		return TOOL_EXIT_OK;
	size_t size;
	long page = sysconf(_SC_PAGESIZE);
	if (argc != 2 || !tool_parse_size_suffix(argv[1], &size))
		tool_die(TOOL_EXIT_USAGE,
			 "Usage: shmheap-ex0 SIZE (a multiple of the page size)");
	if (size == 0 || (page > 0 && size % (size_t)page))
		tool_die(TOOL_EXIT_USAGE,
			 "size %s is not a positive multiple of the page size %ld",
			 argv[1], page);

	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4096 + 16];
	if (!tmp || !*tmp)
		tmp = "/tmp";
	/* By its real path: the cleanup follows no symbolic link (cleanup.h). */
	char *real = realpath(tmp, NULL);
	int len = snprintf(dir, sizeof(dir), "%s/shmheap-ex0.XXXXXX", real ? real : tmp);
	free(real);
	if (len >= (int)sizeof(dir))
		tool_die(TOOL_EXIT_USAGE, "TMPDIR is too long");

	/* Every terminating signal kills and reaps the children and removes the
	 * file and its directory. */
	sigset_t old;
	cleanup_reserve(2);
	cleanup_block(&old);
	cleanup_install();
	if (!mkdtemp(dir)) {
		int err = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		tool_die(TOOL_EXIT_FAIL, "%s: %s", dir, strerror(err));
	}
	snprintf(path, sizeof(path), "%s/shared", dir);
	cleanup_set_file(path, dir, -1);

	int a_to_b[2], b_to_a[2];
	pid_t a = -1, b = -1;
	bool ok = pipe(a_to_b) == 0 && pipe(b_to_a) == 0;
	if (!ok) {
		tool_warn("pipe: %s", strerror(errno));
	} else {
		const int fds[4] = {a_to_b[0], a_to_b[1], b_to_a[0], b_to_a[1]};
		a = start('A', path, size, fds, b_to_a[0], a_to_b[1], &old);
		b = a > 0 ? start('B', path, size, fds, a_to_b[0], b_to_a[1], &old) : -1;
		for (int i = 0; i < 4; i++)
			close(fds[i]);
		if (a < 0 || b < 0) {
			if (a > 0)
				kill(a, SIGKILL);
			tool_warn("fork: %s", strerror(errno));
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	int sa = a > 0 ? exit_status(a) : TOOL_EXIT_FAIL;
	int sb = b > 0 ? exit_status(b) : TOOL_EXIT_FAIL;

	cleanup_block(NULL);
	cleanup_forget_children();
	unlink(path);
	rmdir(dir);
	cleanup_set_file(NULL, NULL, -1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	bool gone = sa == TOOL_EXIT_OUTPUT_GONE || sb == TOOL_EXIT_OUTPUT_GONE;
	ok = ok && (sa == TOOL_EXIT_OK || sa == TOOL_EXIT_OUTPUT_GONE) &&
	     (sb == TOOL_EXIT_OK || sb == TOOL_EXIT_OUTPUT_GONE);
	if (gone && ok)
		tool_end_by_sigpipe();
	return ok ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
}
