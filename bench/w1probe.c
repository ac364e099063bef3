/* SPDX-License-Identifier: MIT */
/*
 * w1probe.c - W1's loop (bench/workloads.c) alone, on one heap, for counting
 * what a free+alloc pair costs: run it twice under valgrind with two numbers
 * of pairs and take the difference, so that setting up does not count.
 *
 *   bench/w1probe [slots [pairs [reps [cached]]]]   (default 10000 2000000 3 0)
 *
 *   valgrind --tool=callgrind bench/w1probe 10000 400000 1    (and 200000)
 *   valgrind --tool=cachegrind --cache-sim=yes --D1=32768,8,64 \
 *            --LL=2097152,16,64 bench/w1probe 10000 400000 1  (and 200000)
 *
 * The heap is 256 MiB, NO_GROW, as shmbench's W1; sizes 8..512 from the same
 * operation sequence (seed 1).  Prints ns per pair for each repetition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <shmheap.h>

#include "bench.h"

int main(int argc, char **argv)
{
	uint32_t slots = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
	size_t pairs = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
	unsigned reps = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 3;
	int cached = argc > 4 && atoi(argv[4]);
	if (!slots || !pairs) {
		fprintf(stderr, "w1probe: slots and pairs must be positive\n");
		return 2;
	}
	char name[64];
	snprintf(name, sizeof(name), "/w1probe-%ld", (long)getpid());
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW | (cached ? SHMHEAP_CACHED : 0)};
	shmheap_memory_handle h = shmheap_create_ex(name, (size_t)256 << 20, &o);
	if (!h) {
		perror("w1probe: shmheap_create_ex");
		return 1;
	}
	struct churn_op *ops = churn_ops_make(1, pairs, slots, 8, 512);
	void **slot = calloc(slots, sizeof(*slot));
	int ret = slot ? 0 : 1;
	for (unsigned r = 0; r < reps && !ret; r++) {
		uint64_t t0 = bench_now_ns();
		for (size_t i = 0; i < pairs; i++) {
			void **s = &slot[ops[i].slot];
			shmheap_free(h, *s);
			uint64_t *p = shmheap_alloc(h, ops[i].size);
			if (!(*s = p)) {
				perror("w1probe: shmheap_alloc");
				ret = 1;
				break;
			}
			*p = i;
		}
		printf("slots %u: %.1f ns per pair\n", slots,
		       (double)(bench_now_ns() - t0) / (double)pairs);
		for (uint32_t i = 0; i < slots; i++) {
			shmheap_free(h, slot[i]);
			slot[i] = NULL;
		}
	}
	free(slot);
	free(ops);
	shmheap_destroy(name, h);
	return ret;
}
