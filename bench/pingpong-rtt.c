/* SPDX-License-Identifier: MIT */
/*
 * pingpong-rtt.c - the round-trip time of shmheap-pingpong's call (two
 * integers of a numbered segment, release/acquire, futex waits), next to the
 * same ping-pong over two pipes, measured in one run.  The client times each
 * round trip; the figure is the median of ROUNDS of them, after a warm-up.
 * The two methods alternate REPS times; each repetition's median is printed
 * and the median of those is the result.  Not a test: the figures depend on
 * the machine and its load.
 *
 *   bench/pingpong-rtt [rounds [reps]]        (default 10000 5)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmseg.h>

#include "bench.h"
#include "demo.h"

#define WARMUP 1000

struct call {
	_Atomic int request, answer;
	unsigned long long arg, result;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* The client's side of one method: times rounds round trips into t. */
static void shm_client(struct call *c, int rounds, uint64_t *t)
{
	for (int r = 1; r <= WARMUP + rounds; r++) {
		uint64_t t0 = bench_now_ns();
		c->arg = (unsigned long long)r;
		demo_post(&c->request, r);
		if (demo_wait(&c->answer, r, NULL) < 0)
			_exit(1);
		if (c->result != c->arg * c->arg)
			_exit(2);
		if (r > WARMUP)
			t[r - WARMUP - 1] = bench_now_ns() - t0;
	}
}

static bool child_alive(void *arg);

static void shm_server(struct call *c, int rounds, pid_t child)
{
	struct demo_peer peer = {child_alive, &child};
	for (int r = 1; r <= WARMUP + rounds; r++) {
		if (demo_wait(&c->request, r, &peer) < 0)
			return;
		c->result = c->arg * c->arg;
		demo_post(&c->answer, r);
	}
}

static void pipe_client(int to, int from, int rounds, uint64_t *t)
{
	for (int r = 1; r <= WARMUP + rounds; r++) {
		uint64_t t0 = bench_now_ns();
		unsigned long long arg = (unsigned long long)r, res;
		if (write(to, &arg, sizeof(arg)) != sizeof(arg) ||
		    read(from, &res, sizeof(res)) != sizeof(res) || res != arg * arg)
			_exit(1);
		if (r > WARMUP)
			t[r - WARMUP - 1] = bench_now_ns() - t0;
	}
}

static void pipe_server(int from, int to, int rounds)
{
	for (int r = 1; r <= WARMUP + rounds; r++) {
		unsigned long long arg;
		if (read(from, &arg, sizeof(arg)) != sizeof(arg))
			return;
		arg *= arg;
		if (write(to, &arg, sizeof(arg)) != sizeof(arg))
			return;
	}
}

/*
 * One measurement: the parent serves, the child times; the child's samples
 * come back through t, a segment attached before the fork (rounds entries).
 */
static bool child_alive(void *arg)
{
	return waitpid(*(pid_t *)arg, NULL, WNOHANG) == 0;
}

static uint64_t measure(bool use_pipe, int rounds, uint64_t *t)
{
	int id = shmseg_create(8192);
	int down[2], up[2];
	if (id < 0 || pipe(down) < 0 || pipe(up) < 0) {
		perror("pingpong-rtt: setup");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		uint64_t *times = t; /* the timing segment, attached before the fork */
		if (use_pipe) {
			pipe_client(down[1], up[0], rounds, times);
		} else {
			struct call *c = shmseg_attach(id, (void *)0x20000000);
			if (!c)
				_exit(3);
			shm_client(c, rounds, times);
		}
		_exit(0);
	}
	struct call *c = NULL;
	if (use_pipe) {
		pipe_server(down[0], up[1], rounds);
	} else {
		c = shmseg_attach(id, (void *)0x10000000);
		if (!c) {
			perror("shmseg_attach 0x10000000");
			kill(pid, SIGKILL);
		} else {
			shm_server(c, rounds, pid);
		}
	}
	int st;
	waitpid(pid, &st, 0);
	if (c)
		shmseg_detach(id);
	shmseg_destroy(id);
	close(down[0]);
	close(down[1]);
	close(up[0]);
	close(up[1]);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "pingpong-rtt: the client failed\n");
		exit(1);
	}
	return median(t, (size_t)rounds);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 10000;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	if (rounds < 1 || reps < 1 || reps > 99) {
		fprintf(stderr, "usage: pingpong-rtt [rounds [reps]]\n");
		return 2;
	}
	char ns[64];
	snprintf(ns, sizeof(ns), "pingpong-rtt-%ld", (long)getpid());
	setenv("SHMHEAP_SEGMENTS", ns, 1);
	int tid = shmseg_create((size_t)rounds * sizeof(uint64_t));
	uint64_t *t = tid < 0 ? NULL : shmseg_attach(tid, NULL);
	if (!t) {
		perror("pingpong-rtt: timing segment");
		return 1;
	}
	uint64_t shm[99], pip[99];
	printf("round trip, median of %d (after %d warm-up), ns\n", rounds, WARMUP);
	printf("%-4s %12s %12s\n", "rep", "shm+futex", "pipe");
	fflush(stdout);
	for (int i = 0; i < reps; i++) {
		shm[i] = measure(false, rounds, t);
		pip[i] = measure(true, rounds, t);
		printf("%-4d %12llu %12llu\n", i + 1, (unsigned long long)shm[i],
		       (unsigned long long)pip[i]);
		fflush(stdout);
	}
	uint64_t ms = median(shm, (size_t)reps), mp = median(pip, (size_t)reps);
	printf("median %10llu %12llu   (shm+futex / pipe = %.2f)\n",
	       (unsigned long long)ms, (unsigned long long)mp, (double)ms / (double)mp);
	shmseg_detach(tid);
	shmseg_destroy(tid);
	return 0;
}
