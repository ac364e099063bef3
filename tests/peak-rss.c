/* SPDX-License-Identifier: MIT */
/*
 * peak-rss.c - runs a command and tells how much memory it used at most.
 *
 *   peak-rss FILE CMD [ARG]...
 *
 * Writes the command's peak resident set size in KiB (ru_maxrss, from
 * wait4) to FILE, and exits with the command's status (128 + the signal
 * that killed it; 127 if it could not be run).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: peak-rss FILE CMD [ARG]...\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("peak-rss: fork");
		return 99;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("peak-rss: wait4");
			return 99;
		}
	}
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) {
		perror(argv[1]);
		return 99;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
