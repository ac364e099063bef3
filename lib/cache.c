/* SPDX-License-Identifier: MIT */
/*
 * cache.c - the cache table of a cached heap (its layout is cache.h's): made
 * as the heap's first block by its creator, read by lock holders, and the
 * owners of its slots, as a slot records them and as the kernel judges them
 * (liveness.c).
 */
#include <errno.h>
#include <string.h>

#include "blocks.h"
#include "cache.h"
#include "connection.h"
#include "liveness.h"

static struct cache_table *table_of(struct shmheap_heap *h)
{
	return (struct cache_table *)(void *)(h->base + HEAP_FIRST_OBJECT);
}

unsigned cache_heap_table(struct shmheap_heap *h, struct cache_table *hdr,
			  struct cache_table **t)
{
	if (!(h->heap_flags & HEAP_FLAG_CACHED))
		return 0;
	uint64_t bw = __atomic_load_n(block_word(h->base, HEAP_FIRST_BLOCK),
				      __ATOMIC_RELAXED);
	if (cache_kind(h->seed, HEAP_FIRST_BLOCK, bw) != CACHE_KIND_TABLE)
		return 0;
	*t = table_of(h);
	*hdr = cache_table_read(*t);
	return cache_table_slots(hdr, bw_size(bw));
}

int cache_table_init(struct shmheap_heap *h, uint64_t len)
{
	unsigned slots;
	uint64_t size = cache_table_block(len, &slots);
	if (size + BLOCK_MIN > len - HEAP_FIRST_BLOCK ||
	    block_alloc(h, size) != HEAP_FIRST_BLOCK) {
		errno = EINVAL;
		return -1;
	}
	uint64_t *w = block_word(h->base, HEAP_FIRST_BLOCK);
	*w ^= (uint64_t)CACHE_TAG_TABLE << BW_TAG_SHIFT;
	struct cache_table *t = table_of(h);
	memset(t, 0, size - HEAP_UNIT);
	t->magic = CACHE_MAGIC;
	t->slots = slots;
	t->depth = cache_depth_for(len);
	return 0;
}

struct liveness_owner cache_slot_owner(const struct cache_slot *s)
{
	return (struct liveness_owner){
		.pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE),
		.mark = __atomic_load_n(&s->mark, __ATOMIC_RELAXED),
		.start = __atomic_load_n(&s->start_time, __ATOMIC_RELAXED),
		.ns = __atomic_load_n(&s->owner_ns, __ATOMIC_RELAXED),
	};
}

void cache_slot_set_owner(struct cache_slot *s, const struct liveness_owner *o)
{
	__atomic_store_n(&s->mark, o->mark, __ATOMIC_RELAXED);
	__atomic_store_n(&s->start_time, o->start, __ATOMIC_RELAXED);
	__atomic_store_n(&s->owner_ns, o->ns, __ATOMIC_RELAXED);
	__atomic_store_n(&s->pid, o->pid, __ATOMIC_RELEASE);
}

int cache_owner_state(struct shmheap_heap *h, unsigned i, const struct cache_slot *s)
{
	struct liveness_self self = {0};
	struct liveness_owner o = cache_slot_owner(s);
	return liveness_judge(h->backing.fd, i, &o, &self);
}
