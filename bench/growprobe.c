/* SPDX-License-Identifier: MIT */
/*
 * growprobe.c - what a small growth of a large heap costs: creates a heap of
 * S MiB, grows it N times by 4 KiB (shmheap_grow) and prints the mean and the
 * longest growth.  Growth used to reserve the memory of the whole object
 * (posix_fallocate from offset 0), so its cost grew with the heap; it now
 * reserves the new range only.  Not a test: the figures depend on the
 * machine.  Needs S MiB of free /dev/shm.
 *
 *   bench/growprobe [size_mib [growths]]     (default 2048 20)
 *
 * On the 2-core build machine (November 2026), 20 growths of a 2 GiB heap:
 * whole-object fallocate: mean 349-618 ms, longest 4.1-9.5 s (the machine
 * was shared); new range only: mean 0.024-0.030 ms, longest 0.065-0.074 ms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmheap.h>

#include "bench.h"

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 2048;
	unsigned long growths = argc > 2 ? strtoul(argv[2], NULL, 10) : 20;
	size_t size = mib << 20;
	if (!mib || !growths || size + growths * 4096 > SHMHEAP_MAX_HEAP_SIZE) {
		fprintf(stderr, "usage: growprobe [size_mib [growths]]\n");
		return 2;
	}
	char name[64];
	snprintf(name, sizeof(name), "/shmheap-growprobe-%ld", (long)getpid());
	struct shmheap_options o = {.max_size = size + growths * 4096};
	shmheap_memory_handle mem = shmheap_create_ex(name, size, &o);
	if (!mem) {
		fprintf(stderr, "growprobe: shmheap_create_ex(%zu MiB): %s\n", mib,
			strerror(errno));
		return 1;
	}
	uint64_t sum = 0, longest = 0;
	int ret = 0;
	for (unsigned long i = 1; i <= growths; i++) {
		uint64_t t0 = bench_now_ns();
		if (shmheap_grow(mem, size + i * 4096) < 0) {
			fprintf(stderr, "growprobe: shmheap_grow: %s\n", strerror(errno));
			ret = 1;
			break;
		}
		uint64_t t = bench_now_ns() - t0;
		sum += t;
		if (t > longest)
			longest = t;
	}
	shmheap_destroy(name, mem);
	if (!ret)
		printf("4 KiB growth of a %zu MiB heap: mean %.3f ms, longest %.3f ms (%lu growths)\n",
		       mib, sum / 1e6 / (double)growths, longest / 1e6, growths);
	return ret;
}
