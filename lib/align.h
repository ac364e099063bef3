/* SPDX-License-Identifier: MIT */
/* align.h - rounding sizes up, and the system's page size, to which every
 * mapping is aligned. */
#ifndef SHMHEAP_ALIGN_H
#define SHMHEAP_ALIGN_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

/* v rounded up to a multiple of to (not 0); the caller keeps v + to - 1 from
 * overflowing. */
static inline uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/* The system's page size (4096 when it cannot be told). */
static inline size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (size_t)ps : 4096;
}

#endif /* SHMHEAP_ALIGN_H */
