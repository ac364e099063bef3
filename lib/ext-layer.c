/* SPDX-License-Identifier: MIT */
/*
 * ext-layer.c - the layer the extension record makes (layer.h).  Every heap
 * has it, since any call that names or publishes an object may install the
 * record: its repair finishes what the intent log holds (ext-repair.c), its
 * check reads the record and the names directory (names-check.c), and a
 * connection that may change the heap has its state (struct ext_conn).
 */
#include <stdlib.h>

#include "ext.h"
#include "layer.h"

/* A connection that may change the heap gets the record's state for it. */
static int ext_attach(struct shmheap_heap *h)
{
	if (h->connect_flags & SHMHEAP_CONNECT_INSPECT)
		return 0;
	h->ext = calloc(1, sizeof(*h->ext));
	return h->ext ? 0 : -1;
}

static void ext_detach(struct shmheap_heap *h)
{
	free(h->ext);
	h->ext = NULL;
}

const struct heap_layer_ops ext_layer = {
	.attach = ext_attach,
	.detach = ext_detach,
	.repair = ext_repair,
	.block_kind = ext_block_kind,
	.check = ext_verify,
};
