/* SPDX-License-Identifier: MIT */
/*
 * cache-stats.c - shmheap_cache_stats: the blocks in each process's cache
 * and whether its owner still runs, read through a view (inspect.h) like
 * every figure of a heap.
 */
#include <errno.h>
#include <string.h>

#include "cache.h"
#include "connection.h"
#include "inspect.h"

struct cache_count {
	struct shmheap_cache_stats *st;
	size_t bytes[CACHE_SLOTS_MAX], blocks[CACHE_SLOTS_MAX];
};

/* A heap_view_blocks callback: counts a block in a process's cache. */
static int count_cached(const struct heap_view *v, heap_off off, uint64_t bw, void *arg)
{
	struct cache_count *cc = arg;
	int slot = (bw & BW_IN_USE) ? cache_view_slot(v, off, bw) : -1;
	if (slot >= 0) {
		uint64_t size = bw_size(bw);
		cc->bytes[slot] += size;
		cc->blocks[slot]++;
		cc->st->cached_bytes += size;
		cc->st->cached_blocks++;
	}
	return 0;
}

struct stats_call {
	struct shmheap_heap *h;
	struct shmheap_cache_stats *st;
	struct shmheap_cache_proc *procs;
	size_t nprocs;
};

static int stats_in_view(const struct heap_view *v, void *arg)
{
	struct stats_call *sc = arg;
	struct shmheap_cache_stats *st = sc->st;
	struct cache_count cc = {.st = st};
	struct cache_view_table tab;
	unsigned slots = cache_view_table(v, &tab);
	int ret = heap_view_blocks(v, count_cached, &cc);
	st->slots = slots;
	for (unsigned i = 0; i < slots && ret == 0; i++) {
		/* One look at the slot's header: its owner may leave meanwhile. */
		struct cache_slot s;
		cache_view_slot_read(v, &tab, i, &s);
		if (!s.pid)
			continue;
		if (st->attached < sc->nprocs) {
			struct shmheap_cache_proc *p = &sc->procs[st->attached];
			p->pid = (pid_t)s.pid;
			/* LIVENESS_UNSURE (2): reserved, its owner not proven gone */
			p->alive = cache_owner_state(sc->h, i, &s);
			p->cached_bytes = cc.bytes[i];
			p->cached_blocks = cc.blocks[i];
		}
		st->attached++;
	}
	return ret;
}

EXPORT int shmheap_cache_stats(shmheap_memory_handle mem, struct shmheap_cache_stats *st,
			       struct shmheap_cache_proc *procs, size_t nprocs)
{
	if (!mem || !st || (nprocs && !procs)) {
		errno = EINVAL;
		return -1;
	}
	*st = (struct shmheap_cache_stats){0};
	if (!(mem->heap_flags & HEAP_FLAG_CACHED))
		return 0;
	struct stats_call sc = {mem, st, procs, nprocs};
	return heap_view_run(mem, stats_in_view, &sc);
}
