/* SPDX-License-Identifier: MIT */
/*
 * ctl-names.c - the names of a heap's directory, for `shmheap-ctl inspect`:
 * each with the offset and size of the object it names (size unknown when
 * the handle names no live object).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-names.h"
#include "tool.h"

struct live_blocks {
	struct shmheap_block *blk;
	size_t n, cap;
};

static int keep_live(const struct shmheap_block *blk, void *arg)
{
	struct live_blocks *l = arg;
	if (!blk->in_use)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->blk = xrealloc(l->blk, l->cap * sizeof(*l->blk));
	}
	l->blk[l->n++] = *blk;
	return 0;
}

static int keep_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	struct ctl_names *n = arg;
	if (n->n == n->cap) {
		n->cap = n->cap ? 2 * n->cap : 64;
		n->name = xrealloc(n->name, n->cap * sizeof(*n->name));
	}
	n->name[n->n++] = (struct ctl_name){.name = xstrdup(name), .hdl = hdl};
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ctl_name *)a)->name,
		      ((const struct ctl_name *)b)->name);
}

static int by_offset(const void *key, const void *elem)
{
	size_t k = *(const size_t *)key, o = ((const struct shmheap_block *)elem)->offset;
	return k < o ? -1 : k > o;
}

void ctl_names_free(struct ctl_names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->name[i].name);
	free(n->name);
	*n = (struct ctl_names){0};
}

int ctl_names_op(shmheap_memory_handle mem, void *arg)
{
	struct ctl_names *n = arg;
	struct live_blocks l = {0};
	ctl_names_free(n);
	if (shmheap_name_walk(mem, keep_name, n) < 0) {
		n->broken = errno == EUCLEAN;
		return n->broken ? 0 : -1;
	}
	if (shmheap_walk(mem, keep_live, &l) < 0 && errno != EUCLEAN) {
		free(l.blk);
		return -1;
	}
	unsigned char *base = shmheap_underlying(mem);
	for (size_t i = 0; i < n->n; i++) {
		struct ctl_name *e = &n->name[i];
		unsigned char *p = shmheap_handle_to_ptr(mem, e->hdl);
		if (!p)
			continue;
		e->offset = (size_t)(p - base);
		const struct shmheap_block *b = bsearch(&e->offset, l.blk, l.n,
							sizeof(*l.blk), by_offset);
		if (b) {
			e->live = true;
			e->size = b->size;
		}
	}
	free(l.blk);
	if (n->n)
		qsort(n->name, n->n, sizeof(*n->name), by_name);
	return 0;
}
