/* SPDX-License-Identifier: MIT */
/*
 * model.c - the plain first-fit reference that tests/test-model.c and
 * tests/test-model-resize.c check the heap against (see model.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void model_init(struct model *m, uint64_t len, uint64_t max, int growable)
{
	m->cap = 1024;
	m->b = malloc(m->cap * sizeof(*m->b));
	ck_assert_ptr_nonnull(m->b);
	m->n = 1;
	m->b[0] = (struct mblock){FIRST_BLOCK, len - FIRST_BLOCK, 0};
	m->heap_size = len;
	m->max_size = growable ? max : len;
	m->growable = growable;
}

void model_insert(struct model *m, size_t i, struct mblock blk)
{
	if (m->n == m->cap) {
		m->cap *= 2;
		m->b = realloc(m->b, m->cap * sizeof(*m->b));
		ck_assert_ptr_nonnull(m->b);
	}
	memmove(&m->b[i + 1], &m->b[i], (m->n - i) * sizeof(*m->b));
	m->b[i] = blk;
	m->n++;
}

void model_remove(struct model *m, size_t i)
{
	memmove(&m->b[i], &m->b[i + 1], (m->n - i - 1) * sizeof(*m->b));
	m->n--;
}

/* The heap grows to target bytes: the new space joins a free last block or
 * becomes one. */
static void extend_to(struct model *m, uint64_t target)
{
	struct mblock *last = &m->b[m->n - 1];
	if (last->used)
		model_insert(m, m->n, (struct mblock){m->heap_size, target - m->heap_size, 0});
	else
		last->size += target - m->heap_size;
	m->heap_size = target;
}

/* Adds free space at the end; 0 if the heap may not grow enough. */
int model_grow(struct model *m, uint64_t need)
{
	if (!m->growable || m->heap_size >= m->max_size)
		return 0;
	struct mblock *last = &m->b[m->n - 1];
	uint64_t tail = last->used ? 0 : last->size;
	uint64_t required = round_up(m->heap_size + need - tail, PAGE);
	if (required > m->max_size)
		return 0;
	uint64_t step = m->heap_size < GROWTH_STEP_MAX ? m->heap_size : GROWTH_STEP_MAX;
	uint64_t target = m->heap_size + step > required ? m->heap_size + step : required;
	extend_to(m, target < m->max_size ? target : m->max_size);
	return 1;
}

uint64_t model_take(struct model *m, size_t i, uint64_t need)
{
	struct mblock *blk = &m->b[i];
	uint64_t rest = blk->size - need;
	blk->used = 1;
	if (rest >= 16) {
		blk->size = need;
		model_insert(m, i + 1, (struct mblock){blk->off + need, rest, 0});
		blk = &m->b[i];
	}
	return blk->off + 8;
}

/* The object's offset, or 0 when the heap has no room. */
uint64_t model_alloc(struct model *m, size_t sz)
{
	uint64_t need = round_up(sz ? sz : 1, 8) + 8;
	for (int grown = 0; grown < 2; grown++) {
		for (size_t i = 0; i < m->n; i++) {
			if (m->b[i].used || m->b[i].size < need)
				continue;
			return model_take(m, i, need);
		}
		if (grown || !model_grow(m, need))
			return 0;
	}
	return 0;
}

size_t model_find(const struct model *m, uint64_t obj)
{
	size_t lo = 0, hi = m->n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (m->b[mid].off <= obj - 8)
			lo = mid;
		else
			hi = mid;
	}
	MODEL_REQUIRE(m->b[lo].off == obj - 8 && m->b[lo].used,
		      "no live object at %llu in the model", (unsigned long long)obj);
	return lo;
}

void model_free(struct model *m, uint64_t obj)
{
	size_t lo = model_find(m, obj);
	m->b[lo].used = 0;
	if (lo + 1 < m->n && !m->b[lo + 1].used) {
		m->b[lo].size += m->b[lo + 1].size;
		model_remove(m, lo + 1);
	}
	if (lo > 0 && !m->b[lo - 1].used) {
		m->b[lo - 1].size += m->b[lo].size;
		model_remove(m, lo);
	}
}

/* The gap in front of an aligned object in a free block; -1 if it does not fit. */
static int64_t model_gap(const struct mblock *blk, uint64_t need, uint64_t align)
{
	uint64_t obj = round_up(blk->off + 8, align);
	uint64_t gap = obj - 8 - blk->off;
	if (gap && gap < 16)
		gap += align;
	return gap + need <= blk->size ? (int64_t)gap : -1;
}

uint64_t model_alloc_aligned(struct model *m, size_t sz, uint64_t align)
{
	if (align == 8)
		return model_alloc(m, sz);
	uint64_t need = round_up(sz ? sz : 1, 8) + 8;
	for (int grown = 0; grown < 2; grown++) {
		for (size_t i = 0; i < m->n; i++) {
			if (m->b[i].used)
				continue;
			int64_t gap = model_gap(&m->b[i], need, align);
			if (gap < 0)
				continue;
			if (gap) {
				struct mblock rest = {m->b[i].off + (uint64_t)gap,
						      m->b[i].size - (uint64_t)gap, 0};
				m->b[i].size = (uint64_t)gap;
				model_insert(m, ++i, rest);
			}
			return model_take(m, i, need);
		}
		if (grown || !model_grow(m, need + align + 8))
			return 0;
	}
	return 0;
}

uint64_t model_realloc(struct model *m, uint64_t obj, size_t sz)
{
	uint64_t need = round_up(sz ? sz : 1, 8) + 8;
	size_t i = model_find(m, obj);
	uint64_t size = m->b[i].size;
	int next_free = i + 1 < m->n && !m->b[i + 1].used;
	uint64_t avail = size + (next_free ? m->b[i + 1].size : 0);
	if (need <= avail) {
		uint64_t rest = avail - need;
		uint64_t new_size = rest >= 16 ? need : avail;
		if (new_size == size)
			return obj;
		if (next_free)
			model_remove(m, i + 1);
		m->b[i].size = new_size;
		if (rest >= 16)
			model_insert(m, i + 1,
				     (struct mblock){m->b[i].off + new_size, rest, 0});
		return obj;
	}
	uint64_t moved = model_alloc(m, sz);
	if (moved)
		model_free(m, obj);
	return moved;
}

uint64_t model_usable(const struct model *m, uint64_t obj)
{
	return m->b[model_find(m, obj)].size - 8;
}

int model_grow_to(struct model *m, uint64_t new_size)
{
	uint64_t target = round_up(new_size, PAGE);
	if (target <= m->heap_size)
		return 1;
	if (!m->growable || target > m->max_size)
		return 0;
	extend_to(m, target);
	return 1;
}

void model_totals(const struct model *m, struct model_totals *t)
{
	*t = (struct model_totals){0};
	for (size_t i = 0; i < m->n; i++) {
		if (m->b[i].used)
			continue;
		t->free_bytes += m->b[i].size;
		t->free_blocks++;
		if (m->b[i].size - 8 > t->largest_free)
			t->largest_free = m->b[i].size - 8;
	}
}

void model_from_layout(struct model *m, const struct tu_layout *l, uint64_t heap_size,
		       uint64_t max, int growable)
{
	m->cap = l->n + 1024;
	m->b = malloc(m->cap * sizeof(*m->b));
	ck_assert_ptr_nonnull(m->b);
	m->n = 0;
	for (size_t i = 0; i < l->n; i++)
		m->b[m->n++] = (struct mblock){l->blk[i].offset - 8, l->blk[i].size + 8,
					       l->blk[i].in_use};
	m->heap_size = heap_size;
	m->max_size = growable ? max : heap_size;
	m->growable = growable;
}

static int collect(const struct shmheap_block *blk, void *arg)
{
	struct tu_layout *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->blk = realloc(l->blk, l->cap * sizeof(*l->blk));
	}
	l->blk[l->n++] = *blk;
	return 0;
}

/* The heap's block listing must be the model's, block for block. */
void compare_listing(shmheap_memory_handle h, const struct model *m, struct tu_layout *l,
		     unsigned long step)
{
	l->n = 0;
	ck_assert_int_eq(shmheap_walk(h, collect, l), 0);
	ck_assert_msg(l->n == m->n, "step %lu: %zu blocks, model has %zu", step, l->n,
		      m->n);
	for (size_t i = 0; i < m->n; i++) {
		const struct shmheap_block *b = &l->blk[i];
		MODEL_REQUIRE(
			b->offset == m->b[i].off + 8 && b->size == m->b[i].size - 8 &&
				b->in_use == m->b[i].used,
			"step %lu block %zu: heap {%zu,%zu,%d} model {%llu,%llu,%d}",
			step, i, b->offset, b->size, b->in_use,
			(unsigned long long)m->b[i].off + 8,
			(unsigned long long)m->b[i].size - 8, m->b[i].used);
	}
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.heap_size, m->heap_size);
	ck_assert_int_eq(tu_check(h), 0);
}

void model_run_start(struct model_run *r, const char *tag, size_t len, size_t max,
		     int growable, size_t high, uint32_t owner)
{
	struct shmheap_options o = {.max_size = max,
				    .flags = growable ? 0 : SHMHEAP_NO_GROW};
	*r = (struct model_run){.name = tu_name(tag), .owner = owner};
	r->h = shmheap_create_ex(r->name, len, &o);
	ck_assert_msg(r->h != NULL, "create: %s", strerror(errno));
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(r->h, &st), 0);
	model_init(&r->m, len, st.max_size, growable);
	r->base = shmheap_underlying(r->h);
	r->live = malloc(sizeof(*r->live) * (high + 1));
	ck_assert_ptr_nonnull(r->live);
}

int model_run_expect(const struct model_run *r, const char *p, uint64_t want,
		     unsigned long step, const char *call)
{
	if (!want) {
		MODEL_REQUIRE(p == NULL, "step %lu: %s at %td, model has no room", step,
			      call, p - r->base);
		MODEL_REQUIRE(errno == ENOMEM, "step %lu: %s failed with %s, not ENOMEM",
			      step, call, strerror(errno));
		return 0;
	}
	MODEL_REQUIRE(p != NULL, "step %lu: %s failed (%s), model gives %llu", step, call,
		      strerror(errno), (unsigned long long)want);
	MODEL_REQUIRE((uint64_t)(p - r->base) == want,
		      "step %lu: %s at %td, model gives %llu", step, call, p - r->base,
		      (unsigned long long)want);
	return 1;
}

void model_run_add(struct model_run *r, char *p, size_t sz, unsigned long step)
{
	tu_fill(p, sz, r->owner, (uint32_t)step);
	r->live[r->n_live++] = (struct live){p, sz, (uint32_t)step};
}

void model_run_free_random(struct model_run *r, uint64_t *rng, unsigned long step)
{
	size_t i = (size_t)(tu_rand(rng) % r->n_live);
	struct live v = r->live[i];
	r->live[i] = r->live[--r->n_live];
	MODEL_REQUIRE(tu_verify(v.ptr, v.size, r->owner, v.seq) < 0,
		      "step %lu: object at %td overwritten", step, v.ptr - r->base);
	model_free(&r->m, (uint64_t)(v.ptr - r->base));
	MODEL_REQUIRE(shmheap_free_checked(r->h, v.ptr) == 0, "step %lu: free of %td: %s",
		      step, v.ptr - r->base, strerror(errno));
}

void model_run_finish(struct model_run *r, unsigned long ops)
{
	compare_listing(r->h, &r->m, &r->l, ops);
	/* Empty it: one free block again. */
	while (r->n_live) {
		struct live v = r->live[--r->n_live];
		ck_assert_int_lt(tu_verify(v.ptr, v.size, r->owner, v.seq), 0);
		model_free(&r->m, (uint64_t)(v.ptr - r->base));
		shmheap_free(r->h, v.ptr);
	}
	compare_listing(r->h, &r->m, &r->l, ops);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(r->h, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.invalid_frees, 0);

	tu_layout_free(&r->l);
	free(r->live);
	free(r->m.b);
	shmheap_destroy(r->name, r->h);
}
