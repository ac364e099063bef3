/* SPDX-License-Identifier: MIT */
/*
 * lockprobe.c - what light contention costs a call: P processes share one
 * heap, and each times N alloc+free pairs with a gap of busy work between
 * them, so that they only now and then find the lock taken.  Prints, per
 * process, the mean and the longest pair and how many pairs waited over
 * 10 us (a nap).  Not a test: the figures depend on the machine.
 *
 *   bench/lockprobe [processes [pairs [gap_ns]]]     (default 2 100000 2000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmheap.h>

#include "bench.h"

#define SLOW_NS 10000u

static void busy_for(uint64_t ns)
{
	uint64_t end = bench_now_ns() + ns;
	while (bench_now_ns() < end)
		;
}

static int probe(const char *name, int id, unsigned long pairs, uint64_t gap_ns)
{
	shmheap_memory_handle mem = shmheap_connect(name);
	if (!mem) {
		perror("lockprobe: shmheap_connect");
		return 1;
	}
	uint64_t sum = 0, longest = 0;
	unsigned long slow = 0;
	for (unsigned long i = 0; i < pairs; i++) {
		uint64_t t0 = bench_now_ns();
		void *p = shmheap_alloc(mem, 64 + (i % 7) * 16);
		if (!p) {
			perror("lockprobe: shmheap_alloc");
			return 1;
		}
		shmheap_free(mem, p);
		uint64_t took = bench_now_ns() - t0;
		sum += took;
		longest = took > longest ? took : longest;
		slow += took > SLOW_NS;
		busy_for(gap_ns);
	}
	printf("process %d: %lu pairs, mean %.0f ns, longest %llu ns, over %u us: %lu\n", id,
	       pairs, (double)sum / (double)pairs, (unsigned long long)longest, SLOW_NS / 1000,
	       slow);
	shmheap_disconnect(mem);
	return 0;
}

int main(int argc, char **argv)
{
	int procs = argc > 1 ? atoi(argv[1]) : 2;
	unsigned long pairs = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	uint64_t gap_ns = argc > 3 ? strtoull(argv[3], NULL, 10) : 2000;
	if (procs < 1 || procs > 64 || pairs == 0) {
		fprintf(stderr, "usage: lockprobe [processes (1-64) [pairs [gap_ns]]]\n");
		return 2;
	}

	char name[64];
	snprintf(name, sizeof(name), "/shmbench-lockprobe-%ld", (long)getpid());
	shmheap_memory_handle mem = shmheap_create(name, 16 << 20);
	if (!mem) {
		perror("lockprobe: shmheap_create");
		return 1;
	}
	int failed = 0;
	for (int i = 0; i < procs; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			perror("lockprobe: fork");
			failed = 1;
			break;
		}
		if (pid == 0) {
			int rc = probe(name, i, pairs, gap_ns);
			fflush(stdout);
			_exit(rc);
		}
	}
	int status;
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	shmheap_destroy(name, mem);
	return failed;
}
