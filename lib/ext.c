/* SPDX-License-Identifier: MIT */
/*
 * ext.c - the heap-extension record and its intent log (see ext.h).  The
 * repair of an operation a dead process left pending is ext-repair.c's, the
 * layer the record makes ext-layer.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "blocks.h"
#include "ext.h"

static struct heap_ext *record_at(struct shmheap_heap *h, heap_off obj)
{
	uint64_t size = heap_size_bytes(h->hdr);
	if (obj < HEAP_FIRST_OBJECT || obj % HEAP_UNIT || obj > size ||
	    size - obj < sizeof(struct heap_ext))
		return NULL;
	if (!block_of_object(h, h->base + obj))
		return NULL;
	struct heap_ext *x = (struct heap_ext *)(void *)(h->base + obj);
	if (__atomic_load_n(&x->magic, __ATOMIC_ACQUIRE) != ext_magic(h->seed, obj))
		return NULL;
	return x;
}

struct heap_ext *ext_find(struct shmheap_heap *h)
{
	if (!(__atomic_load_n(&h->hdr->flags, __ATOMIC_ACQUIRE) & HEAP_FLAG_EXT)) {
		errno = ENOENT;
		return NULL;
	}
	struct heap_ext *x = record_at(h, unit_to_off(h->hdr->created));
	if (!x)
		errno = EUCLEAN;
	return x;
}

static heap_off first_fit(struct shmheap_heap *h, const void *need)
{
	return fi_first_fit(&h->index, *(const uint64_t *)need, NULL);
}

heap_off ext_predict(struct shmheap_heap *h, uint64_t need)
{
	heap_off off = heap_grow_retry(h, need, first_fit, &need);
	if (!off)
		errno = errno == ENOSPC ? ENOSPC : ENOMEM;
	return off;
}

/*
 * The prediction holds because block_alloc takes exactly fi_first_fit's
 * block; should that ever change, the logged call fails instead of leaving
 * an allocation the log does not name.
 */
int ext_alloc_predicted(struct shmheap_heap *h, uint64_t need, heap_off blk)
{
	heap_off got = block_alloc(h, need);
	if (got == blk)
		return 0;
	if (got)
		block_free(h, got);
	errno = EUCLEAN;
	return -1;
}

void ext_install(struct shmheap_heap *h, heap_off obj)
{
	__atomic_store_n(&h->hdr->created, off_to_unit(obj), __ATOMIC_RELEASE);
	__atomic_store_n(&h->hdr->flags, (uint16_t)(h->hdr->flags | HEAP_FLAG_EXT),
			 __ATOMIC_RELEASE);
}

struct heap_ext *ext_get(struct shmheap_heap *h)
{
	if (h->hdr->flags & HEAP_FLAG_EXT)
		return ext_find(h);
	uint64_t need = block_need(sizeof(struct heap_ext));
	heap_off blk = ext_predict(h, need);
	if (!blk)
		return NULL;
	/* A kill between this commit and the magic's store leaves this one
	 * block unused: it happens at most once in a heap's life. */
	if (ext_alloc_predicted(h, need, blk) < 0)
		return NULL;
	heap_off obj = blk + HEAP_UNIT;
	struct heap_ext *x = (struct heap_ext *)(void *)(h->base + obj);
	memset(x, 0, sizeof(*x));
	x->created = h->hdr->created;
	__atomic_store_n(&x->magic, ext_magic(h->seed, obj), __ATOMIC_RELEASE);
	ext_step(h, "install", 1);
	ext_install(h, obj);
	return x;
}

void ext_begin(struct heap_ext *x, enum ext_op op, uint64_t a, uint64_t b, uint64_t c)
{
	x->intent.a = a;
	x->intent.b = b;
	x->intent.c = c;
	__atomic_store_n(&x->intent.op, (uint32_t)op, __ATOMIC_RELEASE);
}

void ext_end(struct heap_ext *x)
{
	__atomic_store_n(&x->intent.op, (uint32_t)INTENT_NONE, __ATOMIC_RELEASE);
}

time_t ext_created_time(struct backing *b, const struct heap_header *hdr)
{
	heap_off obj = unit_to_off(hdr->created);
	uint64_t size = heap_size_bytes(hdr);
	struct heap_ext x;
	if (obj < HEAP_FIRST_OBJECT || obj > size || size - obj < sizeof(x) ||
	    b->ops->read(b, &x, sizeof(x), obj) < 0 ||
	    x.magic != ext_magic(hdr->seed, obj))
		return (time_t)hdr->created;
	return (time_t)x.created;
}
