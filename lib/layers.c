/* SPDX-License-Identifier: MIT */
/*
 * layers.c - which optional layers a heap uses: the one file that knows them
 * all.  The extension record (names and publishing, ext.c) serves every heap,
 * since any call may install it; the caches (cache-front.c) serve cached
 * heaps.
 * Repairs and checks run in this order.
 */
#include "cache.h"
#include "connection.h"
#include "ext.h"
#include "layer.h"
#include "layers.h"

static const struct heap_layer_ops *const known[] = {&ext_layer, &cache_layer};
_Static_assert(sizeof(known) / sizeof(known[0]) <= HEAP_LAYERS_MAX,
	       "a connection has room for every layer");

void heap_layers_select(struct shmheap_heap *h)
{
	h->layers = 0;
	h->words = NULL;
	h->lock_spin_ns = 0;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct heap_layer_ops *l = known[i];
		if (l->used_by && !l->used_by(h->heap_flags))
			continue;
		h->layer[h->layers++] = l;
		if (l->set_prev)
			h->words = l;
		if (l->lock_spin_ns > h->lock_spin_ns)
			h->lock_spin_ns = l->lock_spin_ns;
	}
}

int heap_layers_create(struct shmheap_heap *h, uint64_t len)
{
	for (unsigned i = 0; i < h->layers; i++)
		if (h->layer[i]->create && h->layer[i]->create(h, len) < 0)
			return -1;
	return 0;
}

static void detach_first(struct shmheap_heap *h, unsigned n)
{
	while (n-- > 0)
		if (h->layer[n]->detach)
			h->layer[n]->detach(h);
}

int heap_layers_attach(struct shmheap_heap *h)
{
	for (unsigned i = 0; i < h->layers; i++) {
		if (h->layer[i]->attach && h->layer[i]->attach(h) < 0) {
			int err = errno;
			detach_first(h, i);
			errno = err;
			return -1;
		}
	}
	return 0;
}

void heap_layers_detach(struct shmheap_heap *h)
{
	detach_first(h, h->layers);
}
