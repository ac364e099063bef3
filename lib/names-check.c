/* SPDX-License-Identifier: MIT */
/*
 * names-check.c - shmheap_check's part for the extension record and the
 * names directory: every slot names a live, well-formed entry whose hash is
 * right, each name is found from its hash's home slot (so no duplicate hides
 * behind another), the counts agree, and no operation is left pending.
 */
#include <string.h>

#include "ext.h"
#include "inspect.h"
#include "layer.h"
#include "names.h"
#include "queue.h"

/* The entry at ref into *e, when it is a live block that holds a well-formed one. */
static bool entry(const struct heap_view *v, uint64_t ref, struct name_copy *e)
{
	heap_off obj = ref & NAMES_REF_OFF_MASK;
	return heap_view_live(v, obj, sizeof(struct name_entry) + 1) &&
	       ext_view_entry(v, obj, e) && e->len != 0 &&
	       heap_view_live(v, obj, sizeof(struct name_entry) + e->len + 1) &&
	       strnlen(e->name, (size_t)e->len + 1) == e->len;
}

static void check_table(const struct heap_view *v, const struct heap_ext *x,
			heap_problem_fn fn, void *arg)
{
	uint64_t ref = x->table;
	if (!ref)
		return;
	unsigned lg = (unsigned)(ref >> EXT_TABLE_SHIFT);
	heap_off obj = ref & EXT_TABLE_OFF_MASK;
	if (lg > 31 || !heap_view_live(v, obj, (uint64_t)8 << lg)) {
		fn(obj, "names table is not a live block of its size", arg);
		return;
	}
	uint64_t cap = (uint64_t)1 << lg, mask = cap - 1;
	uint32_t names = 0, used = 0;
	for (uint64_t i = 0; i < cap; i++) {
		uint64_t r = view_word(v, obj + 8 * i);
		if (r == 0)
			continue;
		used++;
		if (r == NAMES_TOMB)
			continue;
		names++;
		struct name_copy e;
		if (!entry(v, r, &e)) {
			fn(obj + 8 * i, "names table slot names no well-formed entry",
			   arg);
			continue;
		}
		if (e.hash != names_hash(v->seed, e.name, e.len) ||
		    (r >> 36) != (e.hash >> 36)) {
			fn(r & NAMES_REF_OFF_MASK, "name entry's hash is wrong", arg);
			continue;
		}
		/* The probe from the home slot must reach slot i, past no empty
		 * slot and no other entry of the same name. */
		for (uint64_t j = e.hash & mask;; j = (j + 1) & mask) {
			if (j == i)
				break;
			uint64_t o = view_word(v, obj + 8 * j);
			if (o == 0) {
				fn(r & NAMES_REF_OFF_MASK,
				   "name is not reachable from its hash slot", arg);
				break;
			}
			struct name_copy d;
			if (o > NAMES_TOMB && entry(v, o, &d) && d.len == e.len &&
			    !memcmp(d.name, e.name, e.len)) {
				fn(r & NAMES_REF_OFF_MASK, "name appears twice", arg);
				break;
			}
		}
	}
	if (names != x->names || used != x->used)
		fn(obj, "names table's counts are wrong", arg);
	if ((uint64_t)used >= cap)
		fn(obj, "names table has no empty slot", arg);
}

void ext_verify(const struct heap_view *v, heap_problem_fn fn, void *arg)
{
	if (!(v->hdr->flags & HEAP_FLAG_EXT))
		return;
	heap_off rec = ext_view_record(v);
	if (!rec) {
		fn(unit_to_off(v->hdr->created), "extension record is missing or damaged",
		   arg);
		return;
	}
	struct heap_ext x; /* read once: the record may change meanwhile */
	hr_read(&v->r, rec, &x, sizeof(x));
	if (x.intent.op != INTENT_NONE)
		fn(rec, "an operation is pending in the intent log", arg);
	check_table(v, &x, fn, arg);
	queue_verify(v, fn, arg); /* the queues the directory names */
}

void ext_view_own(const struct heap_view *v, struct ext_own *own)
{
	*own = (struct ext_own){0};
	if (!(v->hdr->flags & HEAP_FLAG_EXT) || !(own->record = ext_view_record(v)))
		return;
	uint64_t ref = view_word(v, own->record + offsetof(struct heap_ext, table));
	unsigned lg = (unsigned)(ref >> EXT_TABLE_SHIFT);
	heap_off obj = ref & EXT_TABLE_OFF_MASK;
	if (ref && lg <= 31 && heap_view_live(v, obj, (uint64_t)8 << lg))
		own->table = obj;
}

int ext_view_owned(const struct heap_view *v, const struct ext_own *own, heap_off obj)
{
	if (!own->record)
		return 0;
	if (obj == own->record || obj == own->table)
		return 1;
	struct name_copy e;
	if (entry(v, obj, &e) && e.hash == names_hash(v->seed, e.name, e.len))
		return 1;
	struct queue_obj q;
	return queue_view_obj(v, obj, &q); /* a queue (queue.h) */
}

int ext_block_kind(const struct heap_view *v, heap_off off, uint64_t bw)
{
	(void)bw;
	if (!(v->hdr->flags & HEAP_FLAG_EXT))
		return HEAP_BLOCK_OBJECT;
	struct ext_own own;
	ext_view_own(v, &own);
	return ext_view_owned(v, &own, off + HEAP_UNIT) ? HEAP_BLOCK_LIBRARY
							 : HEAP_BLOCK_OBJECT;
}
