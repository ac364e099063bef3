/* SPDX-License-Identifier: MIT */
/*
 * spawn.c - the forked workers of W3 and the tail probe.
 *
 * Each worker prepares what it needs (not timed), attaches to the heap and
 * reports ready on one pipe; when all have, the parent closes a second pipe,
 * which every worker is reading, so that they all start at the same moment.
 * A worker closes its end of the ready pipe once it has written to it: one
 * that dies before that leaves the parent an end of file, not a wait for a
 * byte no one will send.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void __attribute__((noreturn))
spawn_child(const struct bench_spawn *s, unsigned i, int ready_fd, int go_fd)
{
	char c = 'r';
	if ((s->prepare && s->prepare(s->arg, i) < 0) ||
	    (s->a->attach_child && s->a->attach_child(s->heap) < 0))
		c = 'f';
	if (write(ready_fd, &c, 1) != 1 || c == 'f')
		_exit(1);
	close(ready_fd);
	/* The parent closes the pipe to start everyone at once: read sees EOF. */
	while (read(go_fd, &c, 1) > 0)
		;
	_exit(s->run(s->arg, i));
}

int bench_spawn(const struct bench_spawn *s, struct bench_spawn_stats *st)
{
	int ready[2], go[2];
	unsigned started = 0;
	int failed = 0;

	*st = (struct bench_spawn_stats){0};
	if (pipe(ready) < 0 || pipe(go) < 0) {
		perror("shmbench: pipe");
		return -1;
	}
	fflush(NULL);
	for (; started < s->nprocs; started++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("shmbench: fork");
			failed = 1;
			break;
		}
		if (!pid) {
			close(ready[0]);
			close(go[1]);
			spawn_child(s, started, ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (unsigned i = 0; i < started; i++) {
		char c;
		if (read(ready[0], &c, 1) != 1 || c != 'r')
			failed = 1;
	}
	close(ready[0]);

	st->start_ns = bench_now_ns();
	close(go[1]);
	for (unsigned i = 0; i < started; i++) {
		int status;
		struct rusage ru;
		if (wait4(-1, &status, 0, &ru) < 0) {
			perror("shmbench: wait4");
			return -1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr,
				"shmbench: %s: a %s process failed (status %#x)\n",
				s->a->name, s->what, status);
			failed = 1;
		}
		st->vcsw += ru.ru_nvcsw;
		st->cpu_ns += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
			      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
	}
	st->end_ns = bench_now_ns();
	return failed ? -1 : 0;
}
