/* SPDX-License-Identifier: MIT */
/*
 * names.c - the names directory: a hash table with open addressing (linear
 * probing) whose slots name entry blocks; see ext.h for the slot format.
 *
 * Each change is one store into the table (an entry linked, a tombstone
 * left, a handle replaced) or one store into the extension record (a table
 * replaced), logged in the record's intent log so that the repair finishes
 * it (ext.c).  Removal leaves a tombstone; when names and tombstones would
 * fill half the table, a new table of four times the names (at least 16
 * slots) is built beside the old one and replaces it by one store.  Lookups
 * probe O(1) slots on average.
 *
 * Readers go through a view (struct heap_view, inspect.h): every offset read from the heap is
 * checked against the view's end, so a damaged or hostile directory gives
 * wrong answers or EUCLEAN, never a read out of bounds.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"
#include "ext.h"
#include "inspect.h"
#include "names.h"
#include "lock.h"

#define TABLE_MIN 16u
#define TABLE_MAX_LG 31u

uint64_t names_hash(uint32_t seed, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
	return mix64(h ^ ((uint64_t)seed << 32) ^ len);
}

static uint64_t load(const struct heap_view *v, heap_off off)
{
	return hr_word_acquire(&v->r, off);
}

heap_off ext_view_record(const struct heap_view *v)
{
	if (!(v->hdr->flags & HEAP_FLAG_EXT))
		return 0;
	heap_off obj = unit_to_off(v->hdr->created);
	if (!heap_view_live(v, obj, sizeof(struct heap_ext)) ||
	    load(v, obj) != ext_magic(v->seed, obj))
		return 0;
	return obj;
}

struct ntable {
	heap_off obj; /* 0: no table */
	uint64_t cap;
};

/* The table the record's table field (ref) names: 0, or -1 when it is not sane. */
static int view_table(const struct heap_view *v, uint64_t ref, struct ntable *t)
{
	unsigned lg = (unsigned)(ref >> EXT_TABLE_SHIFT);
	*t = (struct ntable){0};
	if (!ref)
		return 0;
	if (lg > TABLE_MAX_LG ||
	    !heap_view_live(v, ref & EXT_TABLE_OFF_MASK, (uint64_t)8 << lg))
		return -1;
	t->obj = ref & EXT_TABLE_OFF_MASK;
	t->cap = (uint64_t)1 << lg;
	return 0;
}

static uint64_t slot_ref(const struct heap_view *v, const struct ntable *t, uint64_t i)
{
	return load(v, t->obj + 8 * i);
}

int ext_view_entry(const struct heap_view *v, heap_off obj, struct name_copy *e)
{
	if (obj < HEAP_FIRST_OBJECT || obj % HEAP_UNIT || obj > v->end ||
	    v->end - obj < sizeof(struct name_entry) + 1)
		return 0;
	uint32_t len;
	hr_read(&v->r, obj + offsetof(struct name_entry, len), &len, sizeof(len));
	if (len > SHMHEAP_NAME_MAX || v->end - obj < sizeof(struct name_entry) + len + 1)
		return 0;
	e->hash = load(v, obj + offsetof(struct name_entry, hash));
	e->handle = hr_word_acquire(&v->r, obj + offsetof(struct name_entry, handle));
	e->len = len;
	hr_read(&v->r, obj + offsetof(struct name_entry, name), e->name, (size_t)len + 1);
	return 1;
}

/* The entry a slot's reference names, bounds-checked, into *e: 1, or 0. */
static int view_entry(const struct heap_view *v, uint64_t ref, struct name_copy *e)
{
	return ext_view_entry(v, ref & NAMES_REF_OFF_MASK, e);
}

static int entry_is(const struct name_copy *e, uint64_t hash, const char *name,
		    size_t len)
{
	return e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0;
}

/*
 * Probes for name: the slot that holds it (its entry into *found if given),
 * or -1; *insert gets the slot a new entry would take (the first tombstone
 * or the empty slot ending the probe), or -1 when the table has none.
 */
static int64_t probe(const struct heap_view *v, const struct ntable *t, uint64_t hash,
		     const char *name, size_t len, int64_t *insert,
		     struct name_copy *found)
{
	int64_t ins = -1;
	uint64_t mask = t->cap - 1;
	uint64_t i = hash & mask;
	for (uint64_t n = 0; n < t->cap; n++, i = (i + 1) & mask) {
		uint64_t ref = slot_ref(v, t, i);
		if (ref == 0) {
			if (ins < 0)
				ins = (int64_t)i;
			break;
		}
		if (ref == NAMES_TOMB) {
			if (ins < 0)
				ins = (int64_t)i;
			continue;
		}
		if ((ref >> 36) != (hash >> 36))
			continue;
		struct name_copy e;
		if (view_entry(v, ref, &e) && entry_is(&e, hash, name, len)) {
			if (insert)
				*insert = ins;
			if (found)
				*found = e;
			return (int64_t)i;
		}
	}
	if (insert)
		*insert = ins;
	return -1;
}

static struct heap_view locked_view(struct shmheap_heap *h)
{
	uint64_t size = heap_size_bytes(h->hdr);
	return (struct heap_view){.r = {.base = h->base},
				  .hdr = h->hdr,
				  .size = size,
				  .end = size,
				  .seed = h->seed};
}

ssize_t names_length(const char *name)
{
	if (!name) {
		errno = EINVAL;
		return -1;
	}
	size_t len = strnlen(name, SHMHEAP_NAME_MAX + 1);
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (len > SHMHEAP_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return (ssize_t)len;
}

/* Builds a table of 2^lg slots holding the names of t, and puts it in
 * t's place in one store (logged as INTENT_NAME_TABLE). */
static int rebuild(struct shmheap_heap *h, struct heap_ext *x, struct ntable *t,
		   unsigned lg)
{
	uint64_t cap = (uint64_t)1 << lg;
	uint64_t need = block_need(cap * 8);
	heap_off blk = ext_predict(h, need);
	if (!blk)
		return -1;
	heap_off old = t->obj ? t->obj - HEAP_UNIT : 0;
	ext_begin(x, INTENT_NAME_TABLE, blk, 0, old);
	ext_step(h, "name_table", 1);
	if (ext_alloc_predicted(h, need, blk) < 0) {
		ext_end(x);
		return -1;
	}
	struct heap_view v = locked_view(h);
	uint64_t *slot = (uint64_t *)(void *)(h->base + blk + HEAP_UNIT);
	memset(slot, 0, cap * 8);
	uint32_t names = 0;
	for (uint64_t i = 0; i < t->cap; i++) {
		uint64_t ref = slot_ref(&v, t, i);
		struct name_copy e;
		if (ref <= NAMES_TOMB || !view_entry(&v, ref, &e) ||
		    (uint64_t)names + 1 >= cap)
			continue; /* a damaged table may hold more than it counts */
		uint64_t j = e.hash & (cap - 1);
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = ref;
		names++;
	}
	ext_step(h, "name_table", 2);
	__atomic_store_n(&x->table, (blk + HEAP_UNIT) | (uint64_t)lg << EXT_TABLE_SHIFT,
			 __ATOMIC_RELEASE);
	ext_step(h, "name_table", 3);
	if (old)
		block_free(h, old);
	x->names = names;
	x->used = names;
	ext_end(x);
	*t = (struct ntable){blk + HEAP_UNIT, cap};
	return 0;
}

/* Makes room for one more name. */
static int reserve(struct shmheap_heap *h, struct heap_ext *x, struct ntable *t)
{
	if (t->cap && ((uint64_t)x->used + 1) * 2 <= t->cap)
		return 0;
	unsigned lg = 4;
	while (lg < TABLE_MAX_LG && ((uint64_t)1 << lg) < ((uint64_t)x->names + 1) * 4)
		lg++;
	if (((uint64_t)x->names + 1) * 2 > (uint64_t)1 << lg) {
		errno = ENOSPC;
		return -1;
	}
	return rebuild(h, x, t, lg);
}

static int link_entry(struct shmheap_heap *h, struct heap_ext *x, struct ntable *t,
		      const char *name, size_t len, uint64_t hash, uint64_t handle,
		      enum ext_op op, const char *call);

static int add(struct shmheap_heap *h, struct heap_ext *x, struct ntable *t,
	       const char *name, size_t len, uint64_t hash, uint64_t handle)
{
	if (reserve(h, x, t) < 0)
		return -1;
	return link_entry(h, x, t, name, len, hash, handle, INTENT_NAME_ADD, "name_set");
}

/*
 * Allocates and fills the entry of name and links it into a free slot of t,
 * which has room.  With op INTENT_NAME_ADD the call logs its own operation;
 * else the caller began op, whose a and b are set here before the entry is
 * allocated (the repair reads them as NAME_ADD's).
 */
static int link_entry(struct shmheap_heap *h, struct heap_ext *x, struct ntable *t,
		      const char *name, size_t len, uint64_t hash, uint64_t handle,
		      enum ext_op op, const char *call)
{
	(void)call; /* read by the kill points of the test build only */
	struct heap_view v = locked_view(h);
	int64_t ins;
	probe(&v, t, hash, name, len, &ins, NULL);
	if (ins < 0) {
		errno = EUCLEAN;
		return -1;
	}
	uint64_t need = block_need(sizeof(struct name_entry) + len + 1);
	heap_off blk = ext_predict(h, need);
	if (!blk)
		return -1;
	heap_off slot_off = t->obj + 8 * (uint64_t)ins;
	uint64_t *slot = (uint64_t *)(void *)(h->base + slot_off);
	if (op == INTENT_NAME_ADD) {
		ext_begin(x, INTENT_NAME_ADD, blk, slot_off, 0);
	} else {
		__atomic_store_n(&x->intent.a, blk, __ATOMIC_RELEASE);
		__atomic_store_n(&x->intent.b, slot_off, __ATOMIC_RELEASE);
	}
	ext_step(h, call, 1);
	if (ext_alloc_predicted(h, need, blk) < 0) {
		if (op == INTENT_NAME_ADD)
			ext_end(x);
		return -1;
	}
	ext_step(h, call, 2);
	struct name_entry *e = (struct name_entry *)(void *)(h->base + blk + HEAP_UNIT);
	e->hash = hash;
	e->handle = handle;
	e->len = (uint32_t)len;
	e->reserved = 0;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	ext_step(h, call, 3);
	int was_empty = *slot == 0;
	__atomic_store_n(slot, (blk + HEAP_UNIT) | (hash & ~NAMES_REF_OFF_MASK),
			 __ATOMIC_RELEASE);
	ext_step(h, call, 4);
	x->names++;
	x->used += was_empty;
	if (op == INTENT_NAME_ADD)
		ext_end(x);
	return 0;
}

EXPORT int shmheap_name_set(shmheap_memory_handle mem, const char *name,
			    shmheap_object_handle hdl, unsigned flags)
{
	ssize_t len = names_length(name);
	if (heap_may_change(mem) < 0 || len < 0)
		return -1;
	if (flags & ~SHMHEAP_NAME_REPLACE) {
		errno = EINVAL;
		return -1;
	}
	if (heap_lock(mem) < 0)
		return -1;
	int ret = -1;
	heap_off obj = handle_off(mem->seed, hdl.value);
	struct heap_ext *x;
	struct ntable t;
	if (!obj || !block_of_object(mem, mem->base + obj)) {
		errno = EINVAL;
		goto out;
	}
	x = ext_get(mem);
	if (!x)
		goto out;
	struct heap_view v = locked_view(mem);
	if (view_table(&v, __atomic_load_n(&x->table, __ATOMIC_ACQUIRE), &t) < 0) {
		errno = EUCLEAN;
		goto out;
	}
	uint64_t hash = names_hash(mem->seed, name, (size_t)len);
	int64_t at = t.cap ? probe(&v, &t, hash, name, (size_t)len, NULL, NULL) : -1;
	if (at >= 0) {
		if (!(flags & SHMHEAP_NAME_REPLACE)) {
			errno = EEXIST;
			goto out;
		}
		struct name_entry *e =
			(struct name_entry *)(void *)(mem->base +
						      (slot_ref(&v, &t, (uint64_t)at) &
						       NAMES_REF_OFF_MASK));
		__atomic_store_n(&e->handle, hdl.value, __ATOMIC_RELEASE);
		ret = 0;
		goto out;
	}
	ret = add(mem, x, &t, name, (size_t)len, hash, hdl.value);
out:
	if (ret < 0 && errno == EUCLEAN)
		heap_met_damage(mem); /* a table or entry that cannot be */
	if (heap_end_call(mem, "shmheap_name_set") < 0)
		ret = -1;
	return ret;
}

EXPORT int shmheap_name_remove(shmheap_memory_handle mem, const char *name)
{
	ssize_t len = names_length(name);
	if (heap_may_change(mem) < 0 || len < 0)
		return -1;
	if (heap_lock(mem) < 0)
		return -1;
	int ret = -1;
	struct ntable t;
	struct heap_view v = locked_view(mem);
	struct heap_ext *x = ext_find(mem);
	if (!x)
		goto out; /* ENOENT: the heap never had a name */
	if (view_table(&v, __atomic_load_n(&x->table, __ATOMIC_ACQUIRE), &t) < 0) {
		errno = EUCLEAN;
		goto out;
	}
	uint64_t hash = names_hash(mem->seed, name, (size_t)len);
	int64_t at = t.cap ? probe(&v, &t, hash, name, (size_t)len, NULL, NULL) : -1;
	if (at < 0) {
		errno = ENOENT;
		goto out;
	}
	heap_off slot_off = t.obj + 8 * (uint64_t)at;
	heap_off eobj = slot_ref(&v, &t, (uint64_t)at) & NAMES_REF_OFF_MASK;
	heap_off blk = block_of_object(mem, mem->base + eobj);
	ext_begin(x, INTENT_NAME_REMOVE, blk, slot_off, 0);
	names_unlink(mem, x, slot_off, blk, "name_remove");
	ext_end(x);
	ret = 0;
out:
	if (ret < 0 && errno == EUCLEAN)
		heap_met_damage(mem); /* a table or entry that cannot be */
	if (heap_end_call(mem, "shmheap_name_remove") < 0)
		ret = -1;
	return ret;
}

void names_unlink(struct shmheap_heap *h, struct heap_ext *x, heap_off slot,
		  heap_off entry, const char *call)
{
	(void)call; /* read by the kill points of the test build only */
	ext_step(h, call, 1);
	__atomic_store_n((uint64_t *)(void *)(h->base + slot), NAMES_TOMB,
			 __ATOMIC_RELEASE);
	ext_step(h, call, 2);
	if (entry)
		block_free(h, entry);
	ext_step(h, call, 3);
	x->names--;
}

heap_off names_find(struct shmheap_heap *h, struct heap_ext *x, const char *name,
		    size_t len, heap_off *entry, uint64_t *handle)
{
	struct heap_view v = locked_view(h);
	struct ntable t;
	if (view_table(&v, __atomic_load_n(&x->table, __ATOMIC_ACQUIRE), &t) < 0) {
		errno = EUCLEAN;
		return 0;
	}
	uint64_t hash = names_hash(h->seed, name, len);
	struct name_copy e;
	int64_t at = t.cap ? probe(&v, &t, hash, name, len, NULL, &e) : -1;
	if (at < 0) {
		errno = ENOENT;
		return 0;
	}
	heap_off obj = slot_ref(&v, &t, (uint64_t)at) & NAMES_REF_OFF_MASK;
	*entry = block_of_object(h, h->base + obj);
	if (!*entry) {
		errno = EUCLEAN;
		return 0;
	}
	*handle = e.handle;
	return t.obj + 8 * (uint64_t)at;
}

int names_reserve(struct shmheap_heap *h, struct heap_ext *x, const char *name,
		  size_t len)
{
	struct heap_view v = locked_view(h);
	struct ntable t;
	if (view_table(&v, __atomic_load_n(&x->table, __ATOMIC_ACQUIRE), &t) < 0) {
		errno = EUCLEAN;
		return -1;
	}
	uint64_t hash = names_hash(h->seed, name, len);
	if (t.cap && probe(&v, &t, hash, name, len, NULL, NULL) >= 0) {
		errno = EEXIST;
		return -1;
	}
	return reserve(h, x, &t);
}

int names_link(struct shmheap_heap *h, struct heap_ext *x, const char *name, size_t len,
	       uint64_t handle, enum ext_op op, const char *call)
{
	struct heap_view v = locked_view(h);
	struct ntable t;
	if (view_table(&v, __atomic_load_n(&x->table, __ATOMIC_ACQUIRE), &t) < 0 ||
	    !t.cap) {
		errno = EUCLEAN;
		return -1;
	}
	return link_entry(h, x, &t, name, len, names_hash(h->seed, name, len), handle, op,
			  call);
}

struct get_ctx {
	const char *name;
	size_t len;
	uint64_t handle;
};

static int get_in_view(const struct heap_view *v, void *arg)
{
	struct get_ctx *g = arg;
	heap_off rec = ext_view_record(v);
	struct ntable t;
	if (!rec) {
		errno = v->hdr->flags & HEAP_FLAG_EXT ? EUCLEAN : ENOENT;
		return -1;
	}
	if (view_table(v, load(v, rec + offsetof(struct heap_ext, table)), &t) < 0) {
		errno = EUCLEAN;
		return -1;
	}
	uint64_t hash = names_hash(v->seed, g->name, g->len);
	struct name_copy e;
	int64_t at = t.cap ? probe(v, &t, hash, g->name, g->len, NULL, &e) : -1;
	if (at < 0) {
		errno = ENOENT;
		return -1;
	}
	g->handle = e.handle;
	return 0;
}

EXPORT int shmheap_name_get(shmheap_memory_handle mem, const char *name,
			    shmheap_object_handle *hdl)
{
	ssize_t len = names_length(name);
	if (len < 0)
		return -1;
	if (!mem || !hdl) {
		errno = EINVAL;
		return -1;
	}
	struct get_ctx g = {name, (size_t)len, 0};
	if (heap_view_run(mem, get_in_view, &g) < 0)
		return -1;
	hdl->value = g.handle;
	return 0;
}

struct walk_ctx {
	shmheap_name_fn fn;
	void *arg;
};

static int walk_in_view(const struct heap_view *v, void *arg)
{
	struct walk_ctx *w = arg;
	return names_view_walk(v, w->fn, w->arg);
}

int names_view_walk(const struct heap_view *v, shmheap_name_fn fn, void *arg)
{
	heap_off rec = ext_view_record(v);
	struct ntable t;
	if (!rec) {
		if (!(v->hdr->flags & HEAP_FLAG_EXT))
			return 0;
		errno = EUCLEAN;
		return -1;
	}
	if (view_table(v, load(v, rec + offsetof(struct heap_ext, table)), &t) < 0) {
		errno = EUCLEAN;
		return -1;
	}
	bool damaged = false;
	for (uint64_t i = 0; i < t.cap; i++) {
		uint64_t ref = slot_ref(v, &t, i);
		if (ref <= NAMES_TOMB)
			continue;
		struct name_copy e;
		if (!view_entry(v, ref, &e)) {
			damaged = true;
			continue;
		}
		/* The callback gets a NUL-terminated name whatever the heap's
		 * bytes say. */
		e.name[e.len] = '\0';
		shmheap_object_handle hdl = {e.handle};
		if (fn(e.name, hdl, arg))
			return 0;
	}
	if (damaged) {
		errno = EUCLEAN; /* the names that could be read were reported */
		return -1;
	}
	return 0;
}

EXPORT int shmheap_name_walk(shmheap_memory_handle mem, shmheap_name_fn fn, void *arg)
{
	if (!mem || !fn) {
		errno = EINVAL;
		return -1;
	}
	struct walk_ctx w = {fn, arg};
	return heap_view_run(mem, walk_in_view, &w);
}
