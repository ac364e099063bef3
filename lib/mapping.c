/* SPDX-License-Identifier: MIT */
/*
 * mapping.c - where a heap lives in this process's address space.
 *
 * A connection reserves address space for the heap's maximum size once
 * (PROT_NONE, nothing behind it) and maps the object into the start of it; as
 * the heap grows, more of the object is mapped right behind, so nothing
 * already mapped ever moves.  The object is mapped only here, and only through
 * its backing's map_fixed, so that other backings need no change here.
 *
 * No lock guards the mapping: h->mapped only grows, and [0, h->mapped) is
 * always mapped.  To map up to size, a thread maps [mapped, size) with
 * MAP_FIXED, then raises h->mapped to size unless another thread raised it
 * further meanwhile.  Two threads may so map the same range: the later mmap
 * replaces the mapping by an identical one (same object, offsets and
 * protection) in one step, which a thread using that memory cannot notice.
 * With no lock there is nothing a fork() in another thread can leave held:
 * the child finds h->mapped as it was, and maps again what it lacks.
 *
 * One cost: should such a repeated mmap fail (the process's map limit), the
 * range it covered may have been unmapped, as MAP_FIXED allows; this is the
 * same hole a failed first mapping leaves, and the call reports the failure.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "connection.h"
#include "fitmap.h"
#include "mapping.h"

/* Where what a heap of size bytes needs mapped ends: the heap, and a
 * fitmap's index right after it. */
static uint64_t span_of(const struct shmheap_heap *h, uint64_t size)
{
	return fm_span(size, h->index.flat);
}

int heap_map_to(struct shmheap_heap *h, uint64_t size)
{
	size_t mapped = heap_mapped_bytes(h);
	if (size <= mapped)
		return 0;
	if (size > h->reserved) {
		errno = EINVAL; /* a size the header should never hold */
		return -1;
	}
	/* A grower lengthens the object before it publishes the new size: a
	 * size beyond the object is a damaged header, and a mapping past the
	 * object's end would raise SIGBUS when touched. */
	uint64_t span = span_of(h, size);
	size_t len;
	if (mapped && (h->backing.ops->length(&h->backing, &len) < 0 || span > len)) {
		errno = EUCLEAN;
		return -1;
	}
	/* From the old heap's end: the old index's place is mapped again, as
	 * the same bytes of the object. */
	if (!h->backing.ops->map_fixed(&h->backing, h->base + mapped, mapped,
				       span - mapped))
		return -1;
	/* [0, size) is mapped now: publish it, unless a larger size already is. */
	while (mapped < size &&
	       !__atomic_compare_exchange_n(&h->mapped, &mapped, (size_t)size, false,
					    __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		;
	return 0;
}

int heap_sync_mapping(struct shmheap_heap *h)
{
	return heap_map_to(h, heap_size_bytes(h->hdr));
}

/*
 * The reservation at a fixed address never replaces a mapping: with
 * MAP_FIXED_NOREPLACE the kernel refuses a taken range (EEXIST), and a kernel
 * older than 4.17, which takes the flag for a mere hint, may put the
 * reservation elsewhere; that is undone and refused alike.
 */
static void *reserve_at(void *at, size_t max)
{
	if ((uintptr_t)at % HEAP_PAGE || (uintptr_t)at > UINTPTR_MAX - max) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	void *p = mmap(at, max, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
		       -1, 0);
	if (p == MAP_FAILED || p == at)
		return p;
	munmap(p, max);
	errno = EEXIST;
	return MAP_FAILED;
}

int heap_mapping_init_at(struct shmheap_heap *h, size_t len, size_t max, void *at)
{
	h->index.flat = (h->heap_flags & HEAP_FLAG_FITMAP) != 0;
	h->index.place = &h->fitmap_place;
	size_t span = span_of(h, max);
	void *p = at ? reserve_at(at, span)
		     : mmap(NULL, span, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	h->base = p;
	h->reserved = max;
	h->mapped = 0;
	if (heap_map_to(h, len) < 0)
		return -1;
	h->hdr = p;
	h->index.base = h->base;
	h->index.hdr = h->hdr;
	h->index.mapped = &h->mapped;
	h->index.damaged = &h->damaged;
	return 0;
}

void heap_mapping_release(struct shmheap_heap *h)
{
	if (h->base)
		munmap(h->base, span_of(h, h->reserved));
	h->base = NULL;
	h->hdr = NULL;
	h->mapped = 0;
}
