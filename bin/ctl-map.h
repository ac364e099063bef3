/* SPDX-License-Identifier: MIT */
/*
 * ctl-map.h - `shmheap-ctl map`: a heap's blocks in address order, read once
 * (ctl-map.c), drawn as a strip of text cells (ctl-map.c) or as an SVG
 * picture (ctl-map-svg.c).
 */
#ifndef SHMHEAP_CTL_MAP_H
#define SHMHEAP_CTL_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* What a stretch of the heap holds, as the picture tells them apart. */
enum map_state {
	MAP_HEADER,  /* the heap header, before the first block */
	MAP_USED,    /* a live object */
	MAP_FREE,    /* free space in the heap's index */
	MAP_CACHED,  /* free space held in a process's cache */
	MAP_LIBRARY, /* the library's own: a cache table, the names directory */
	MAP_UNKNOWN, /* past a break in the block chain */
	MAP_NSTATES
};

/* One block: its block word and its object or free space. */
struct map_block {
	uint64_t start, end; /* bytes from the start of the heap */
	enum map_state state;
};

struct map {
	const char *name;
	uint64_t size;	     /* bytes the picture spans: the heap's size */
	uint64_t header_end; /* where the first block starts */
	struct map_block *blk;
	size_t n, cap;
	bool broken; /* the chain broke where the last block ends */
	uint64_t bytes[MAP_NSTATES];
	size_t count[MAP_NSTATES]; /* blocks of each state */
	uint64_t free_payload;	   /* usable bytes of MAP_FREE blocks */
	uint64_t largest_free;	   /* usable bytes of the largest of them */
	time_t taken;		   /* when the heap was read */
	const char *unlocked;	   /* why it was read without the lock, or NULL */
};

/* The state's name, as legends and titles say it ("used", "free", ...). */
const char *map_state_name(enum map_state s);
/* 1 - largest free / all free, over MAP_FREE blocks (0 with none). */
double map_fragmentation(const struct map *m);
/* "2026-12-01T05:00:00Z": t in UTC. */
void map_time_text(char *buf, size_t len, time_t t);
/* Writes the picture as one SVG document; 0, or -1 with errno (a write error). */
int map_svg_write(const struct map *m, FILE *f);

#endif /* SHMHEAP_CTL_MAP_H */
