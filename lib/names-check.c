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
#include "names.h"

/* The entry at ref, when it is a live block that holds a well-formed one,
 * with its name's length (read once, as checked) in *len. */
static const struct name_entry *entry(const struct heap_view *v, uint64_t ref,
				      uint32_t *len)
{
	heap_off obj = ref & NAMES_REF_OFF_MASK;
	if (!heap_view_live(v, obj, sizeof(struct name_entry) + 1))
		return NULL;
	const struct name_entry *e = (const void *)(v->base + obj);
	*len = __atomic_load_n(&e->len, __ATOMIC_RELAXED);
	if (*len == 0 || *len > SHMHEAP_NAME_MAX ||
	    !heap_view_live(v, obj, sizeof(struct name_entry) + *len + 1) ||
	    strnlen(e->name, *len + 1) != *len)
		return NULL;
	return e;
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
		uint32_t len;
		const struct name_entry *e = entry(v, r, &len);
		if (!e) {
			fn(obj + 8 * i, "names table slot names no well-formed entry",
			   arg);
			continue;
		}
		uint64_t hash = __atomic_load_n(&e->hash, __ATOMIC_RELAXED);
		if (hash != names_hash(v->seed, e->name, len) || (r >> 36) != (hash >> 36)) {
			fn(r & NAMES_REF_OFF_MASK, "name entry's hash is wrong", arg);
			continue;
		}
		/* The probe from the home slot must reach slot i, past no empty
		 * slot and no other entry of the same name. */
		for (uint64_t j = hash & mask;; j = (j + 1) & mask) {
			if (j == i)
				break;
			uint64_t o = view_word(v, obj + 8 * j);
			if (o == 0) {
				fn(r & NAMES_REF_OFF_MASK,
				   "name is not reachable from its hash slot", arg);
				break;
			}
			uint32_t dlen;
			const struct name_entry *d = o > NAMES_TOMB ? entry(v, o, &dlen) : NULL;
			if (d && dlen == len && !memcmp(d->name, e->name, len)) {
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
	const struct heap_ext *x = (const void *)(v->base + rec);
	if (x->intent.op != INTENT_NONE)
		fn(rec, "an operation is pending in the intent log", arg);
	check_table(v, x, fn, arg);
}
