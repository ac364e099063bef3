/* SPDX-License-Identifier: MIT */
/*
 * shmheap_pages.h - a private allocator whose bookkeeping lives outside the
 * memory it manages, and an elastic allocator that maps pages on demand.
 *
 * shmheap_pages: every byte of the managed region is available to callers (a
 * 4 KiB manager serves one 4,096-byte allocation); the region is mapped by the
 * manager or supplied by the caller, and the manager never reads or writes it.
 * Exact first fit, O(log n) per call.
 *
 * shmheap_elastic: maps nothing until an allocation finds no room in the
 * pages it has, then maps one 4 KiB anonymous private page; a chunk never
 * crosses a page; pages are unmapped only by shmheap_elastic_destroy.
 *
 * Neither is thread-safe: one thread at a time per manager (any number of
 * managers).  See shmheap_pages_create(3) and shmheap_elastic_create(3).
 */
#ifndef SHMHEAP_PAGES_H
#define SHMHEAP_PAGES_H

#include <stddef.h>

#include "shmheap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation sizes and the managed region's length and address: multiples of this. */
#define SHMHEAP_PAGES_GRAIN 8

typedef struct shmheap_pages shmheap_pages;

shmheap_pages *shmheap_pages_create(size_t len);
shmheap_pages *shmheap_pages_create_over(void *region, size_t len);
void *shmheap_pages_base(const shmheap_pages *pm);
void *shmheap_pages_alloc(shmheap_pages *pm, size_t size);
void shmheap_pages_free(shmheap_pages *pm, void *ptr);
int shmheap_pages_free_checked(shmheap_pages *pm, void *ptr);
int shmheap_pages_destroy(shmheap_pages *pm);

struct shmheap_pages_stats {
	size_t size;		  /* bytes managed */
	size_t used_bytes;	  /* bytes of live allocations */
	size_t free_bytes;	  /* size - used_bytes */
	size_t largest_free;	  /* largest allocation that can succeed now */
	size_t allocations;	  /* live allocations */
	size_t free_ranges;	  /* maximal free ranges */
	size_t bookkeeping_bytes; /* memory the bookkeeping holds (outside the region) */
	size_t invalid_frees;	  /* frees refused so far */
};
int shmheap_pages_stats(const shmheap_pages *pm, struct shmheap_pages_stats *st);
/* Blocks in address order; offset is from shmheap_pages_base(). */
int shmheap_pages_walk(const shmheap_pages *pm, shmheap_walk_fn fn, void *arg);
int shmheap_pages_check(const shmheap_pages *pm, shmheap_problem_fn fn, void *arg);

/* The elastic allocator's page, and the largest allocation it serves. */
#define SHMHEAP_ELASTIC_PAGE_SIZE 4096

typedef struct shmheap_elastic shmheap_elastic;

shmheap_elastic *shmheap_elastic_create(void);
/*
 * The same in storage the caller provides (len >= SHMHEAP_ELASTIC_STORAGE
 * bytes, aligned for any object), which then stays the caller's: creating
 * allocates nothing at all, so not even malloc's heap can grow the virtual
 * size before the first page is needed.
 */
#define SHMHEAP_ELASTIC_STORAGE 8192
shmheap_elastic *shmheap_elastic_create_in(void *storage, size_t len);
void *shmheap_elastic_alloc(shmheap_elastic *em, size_t size);
void shmheap_elastic_free(shmheap_elastic *em, void *ptr);
int shmheap_elastic_free_checked(shmheap_elastic *em, void *ptr);
int shmheap_elastic_destroy(shmheap_elastic *em);

struct shmheap_elastic_stats {
	size_t pages;	     /* pages mapped (SHMHEAP_ELASTIC_PAGE_SIZE bytes each) */
	size_t used_bytes;   /* bytes of live allocations */
	size_t free_bytes;   /* bytes of the pages not allocated */
	size_t largest_free; /* largest allocation that succeeds without a new page */
	size_t allocations;  /* live allocations */
	size_t free_chunks;  /* maximal free chunks, over all pages */
	size_t bookkeeping_bytes;  /* memory the bookkeeping holds */
	size_t bookkeeping_mapped; /* of which mapped with mmap (counts in the VSZ) */
	size_t invalid_frees;	   /* frees refused so far */
};
int shmheap_elastic_stats(const shmheap_elastic *em, struct shmheap_elastic_stats *st);

/* One chunk of an elastic allocator, as shmheap_elastic_walk reports it. */
struct shmheap_elastic_block {
	void *addr;    /* first byte of the chunk */
	size_t page;   /* which page: 0 for the first one mapped, 1 for the next ... */
	size_t offset; /* of the chunk in its page */
	size_t size;   /* bytes */
	int in_use;    /* 1 for a live allocation, 0 for free space */
};
typedef int (*shmheap_elastic_walk_fn)(const struct shmheap_elastic_block *blk,
				       void *arg);
/* Pages in the order they were mapped, chunks in address order within each. */
int shmheap_elastic_walk(const shmheap_elastic *em, shmheap_elastic_walk_fn fn,
			 void *arg);
/* Problems: offset is the page index times SHMHEAP_ELASTIC_PAGE_SIZE plus the offset. */
int shmheap_elastic_check(const shmheap_elastic *em, shmheap_problem_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* SHMHEAP_PAGES_H */
