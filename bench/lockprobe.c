/* SPDX-License-Identifier: MIT */
/*
 * lockprobe.c - what light contention costs a call: P processes share one
 * heap, and each times N alloc+free pairs with a gap of busy work between
 * them, so that they only now and then find the lock taken.  Prints, per
 * process, the mean and the longest pair and how many pairs waited over
 * 10 us (a nap).  Not a test: the figures depend on the machine.
 *
 *   bench/lockprobe [processes [pairs [gap_ns]]]     (default 2 100000 2000)
 *
 * With "hog", a starvation probe: one process saturates the heap with
 * shmheap_stats in a loop on a heap of `blocks` blocks (every hold long, the
 * lock taken again at once), while `callers` other processes each make an
 * alloc+free pair every millisecond for `seconds`; each prints its longest
 * pair and how many took over 10 ms and over 50 ms.  With 0 blocks there is
 * no hog: the same callers alone, the reference for what the machine's load
 * alone costs them.
 *
 *   bench/lockprobe hog [seconds [blocks [callers]]]  (default 30 500000 1)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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
	printf("process %d: %lu pairs, mean %.0f ns, longest %llu ns, over %u us: %lu\n",
	       id, pairs, (double)sum / (double)pairs, (unsigned long long)longest,
	       SLOW_NS / 1000, slow);
	shmheap_disconnect(mem);
	return 0;
}

/* Loops shmheap_stats until the parent kills it. */
static void hog(const char *name)
{
	shmheap_memory_handle mem = shmheap_connect(name);
	if (!mem) {
		perror("lockprobe: hog: shmheap_connect");
		_exit(1);
	}
	struct shmheap_stats st;
	for (;;)
		if (shmheap_stats(mem, &st) < 0) {
			perror("lockprobe: hog: shmheap_stats");
			_exit(1);
		}
}

static int caller(const char *name, int id, uint64_t seconds)
{
	shmheap_memory_handle mem = shmheap_connect(name);
	if (!mem) {
		perror("lockprobe: caller: shmheap_connect");
		return 1;
	}
	uint64_t end = bench_now_ns() + seconds * 1000000000u, longest = 0;
	unsigned long pairs = 0, over10 = 0, over50 = 0;
	while (bench_now_ns() < end) {
		uint64_t t0 = bench_now_ns();
		void *p = shmheap_alloc(mem, 64);
		if (!p) {
			perror("lockprobe: caller: shmheap_alloc");
			return 1;
		}
		shmheap_free(mem, p);
		uint64_t took = bench_now_ns() - t0;
		longest = took > longest ? took : longest;
		over10 += took > 10000000u;
		over50 += took > 50000000u;
		pairs++;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	printf("caller %d: %lu pairs beside the hog, longest %.2f ms, over 10 ms: %lu, "
	       "over 50 ms: %lu\n",
	       id, pairs, (double)longest / 1e6, over10, over50);
	shmheap_disconnect(mem);
	return 0;
}

static int hog_probe(int argc, char **argv)
{
	uint64_t seconds = argc > 2 ? strtoull(argv[2], NULL, 10) : 30;
	unsigned long blocks = argc > 3 ? strtoul(argv[3], NULL, 10) : 500000;
	int callers = argc > 4 ? atoi(argv[4]) : 1;
	if (seconds == 0 || blocks > 100000000 || callers < 1 || callers > 64) {
		fprintf(stderr,
			"usage: lockprobe hog [seconds [blocks [callers (1-64)]]]\n");
		return 2;
	}
	char name[64];
	snprintf(name, sizeof(name), "/shmbench-lockprobe-%ld", (long)getpid());
	shmheap_memory_handle mem = shmheap_create(name, ((size_t)blocks * 16 / 4096 +
							  256) * 4096);
	if (!mem) {
		perror("lockprobe: shmheap_create");
		return 1;
	}
	for (unsigned long i = 0; i < blocks; i++)
		if (!shmheap_alloc(mem, 8)) {
			perror("lockprobe: shmheap_alloc");
			shmheap_destroy(name, mem);
			return 1;
		}
	uint64_t t0 = bench_now_ns();
	struct shmheap_stats st;
	shmheap_stats(mem, &st);
	if (blocks)
		printf("hog: one shmheap_stats of %zu blocks takes %.2f ms alone\n",
		       st.objects + st.free_blocks, (double)(bench_now_ns() - t0) / 1e6);
	else
		printf("no hog: the callers alone\n");
	fflush(stdout);

	pid_t hog_pid = blocks ? fork() : 0;
	if (blocks && hog_pid == 0)
		hog(name);
	int failed = hog_pid < 0;
	for (int i = 0; i < callers && !failed; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			int rc = caller(name, i, seconds);
			fflush(stdout);
			_exit(rc);
		}
		failed |= pid < 0;
	}
	int status;
	for (int i = 0; i < callers; i++) {
		pid_t pid = wait(&status);
		if (pid == hog_pid || pid < 0) {
			failed = 1;
			break;
		}
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	if (blocks && hog_pid > 0) {
		kill(hog_pid, SIGKILL);
		waitpid(hog_pid, NULL, 0);
	}
	shmheap_destroy(name, mem);
	return failed;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "hog") == 0)
		return hog_probe(argc, argv);
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
