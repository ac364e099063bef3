/* SPDX-License-Identifier: MIT */
/* ops.c - the operation sequences, the same for every allocator. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

/* splitmix64: small, fast, and the same sequence on every platform. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

struct churn_op *churn_ops_make(uint64_t seed, size_t nops, uint32_t nslots, uint32_t min,
				uint32_t max)
{
	struct churn_op *ops = malloc(nops * sizeof(*ops));
	if (!ops) {
		perror("shmbench: operation sequence");
		exit(1);
	}
	uint64_t state = seed;
	for (size_t i = 0; i < nops; i++) {
		uint64_t r = next_random(&state);
		ops[i].slot = (uint32_t)((r & 0xffffffffu) % nslots);
		ops[i].size = min + (uint32_t)((r >> 32) % (max - min + 1));
	}
	return ops;
}
