/* SPDX-License-Identifier: MIT */
/*
 * fitmap.c - exact first fit over a flat map of the free blocks (fitmap.h).
 */
#include <string.h>

#include "fitmap-simd.h"
#include "fitmap.h"
#include "freeindex.h"
#include "testhooks.h"

#define FM_NONE UINT32_MAX

_Static_assert(FM_FANOUT * sizeof(uint16_t) == 64, "a node is one 64-byte line (fm_fits)");

/* The index's first line: the top block (see fitmap.h), then nothing. */
struct fm_head {
	uint64_t top;
	uint64_t unused[7];
};

void fm_geometry_of(uint64_t heap_size, struct fm_geometry *g)
{
	uint64_t off;
	/* Total over any size a damaged header can give: at least one region,
	 * at most HEAP_MAX_SIZE's, so the levels stay within FM_LEVELS_MAX. */
	if (heap_size > HEAP_MAX_SIZE)
		heap_size = HEAP_MAX_SIZE;
	uint32_t n = (uint32_t)(heap_size / FM_REGION);
	if (!n)
		n = 1;

	g->heap_size = heap_size;
	g->regions = n;
	off = FM_HEAD + round_up((uint64_t)n * sizeof(uint64_t), 64);
	g->levels = 0;
	for (;;) {
		g->level_off[g->levels] = off;
		g->level_len[g->levels] = n;
		g->levels++;
		off += round_up((uint64_t)n * sizeof(uint16_t), 64);
		if (n == 1 || g->levels == FM_LEVELS_MAX)
			break;
		n = (n + FM_FANOUT - 1) / FM_FANOUT;
	}
	g->bytes = round_up(off, HEAP_PAGE);
}

uint64_t fm_bytes(uint64_t heap_size)
{
	struct fm_geometry g;
	fm_geometry_of(heap_size, &g);
	return g.bytes;
}

uint64_t fm_span(uint64_t heap_size, bool fitmap)
{
	return heap_size + (fitmap ? fm_bytes(heap_size) : 0);
}

static inline uint16_t *level(const struct fm_place *m, unsigned k)
{
	return m->level[k];
}

static inline void damage(const struct fm_place *m)
{
	*m->damaged = 1;
}

static void place_at(struct fm_place *p, unsigned char *base, uint64_t size, int *damaged)
{
	fm_geometry_of(size, &p->g);
	unsigned char *ix = base + size;
	p->base = base;
	p->size = size;
	p->top = (uint64_t *)(void *)ix;
	p->bits = (uint64_t *)(void *)(ix + FM_HEAD);
	for (unsigned k = 0; k < p->g.levels; k++)
		p->level[k] = (uint16_t *)(void *)(ix + p->g.level_off[k]);
	p->damaged = damaged;
}

/*
 * The map of the heap's current size, placed by the connection and placed
 * again when the heap has grown.  It must lie in the mapping (lock.c maps
 * what others grew the heap by, index included).
 */
static inline const struct fm_place *fm_get(const struct free_index *fi)
{
	uint64_t size = heap_size_bytes(fi->hdr);
	struct fm_place *p = fi->place;
	if (__builtin_expect(p->size != size, 0)) {
		/* A size no heap has (a damaged header) would put the index
		 * over the header or past the mapping. */
		if (size < HEAP_PAGE || size > __atomic_load_n(fi->mapped, __ATOMIC_RELAXED)) {
			*fi->damaged = 1;
			return NULL;
		}
		place_at(p, fi->base, size, fi->damaged);
	}
	return p;
}

/* The size in units of the free block at off, if a sound one starts there;
 * else 0, the damage noted. */
static uint32_t free_units_at(const struct fm_place *m, heap_off off)
{
	uint64_t bw = __atomic_load_n(block_word(m->base, off), __ATOMIC_RELAXED);
	uint64_t size = bw_size(bw);
	if (off < HEAP_FIRST_BLOCK || (bw & BW_IN_USE) || size < BLOCK_MIN ||
	    size > m->size - off) {
		damage(m);
		return 0;
	}
	return (uint32_t)(size / HEAP_UNIT);
}

/* The top block, if it is sound: free, ending the heap; else 0 (damage
 * noted if the word held one). */
static heap_off top_of(const struct fm_place *m)
{
	heap_off top = __atomic_load_n(m->top, __ATOMIC_RELAXED);
	if (!top)
		return 0;
	if (top >= HEAP_FIRST_BLOCK && top < m->size && top % HEAP_UNIT == 0) {
		uint32_t u = free_units_at(m, top);
		if (u && top + (uint64_t)u * HEAP_UNIT == m->size)
			return top;
	}
	damage(m);
	return 0;
}

/* Whether the free block at off, of u units, is the top block. */
static inline bool ends_heap(const struct fm_place *m, heap_off off, uint32_t u)
{
	return off + (uint64_t)u * HEAP_UNIT == m->size;
}

static inline uint32_t region_of(heap_off off)
{
	return (uint32_t)(off / FM_REGION);
}

static inline uint64_t bit_of(heap_off off)
{
	return UINT64_C(1) << (off / HEAP_UNIT % FM_UNITS);
}

/* The first block of region r at bit from or above with at least need
 * units, or 0. */
static heap_off region_first(const struct fm_place *m, uint32_t r, uint32_t need, unsigned from)
{
	uint64_t bits = m->bits[r] & (~UINT64_C(0) << from);
	while (bits) {
		heap_off off = unit_off(r, (unsigned)__builtin_ctzll(bits));
		if (free_units_at(m, off) >= need)
			return off;
		bits &= bits - 1;
	}
	return 0;
}

/* The highest free block of region r below bit limit (64: all), if sound;
 * else 0. */
static heap_off region_last(const struct fm_place *m, uint32_t r, unsigned limit)
{
	uint64_t bits = m->bits[r];
	if (limit < FM_UNITS)
		bits &= (UINT64_C(1) << limit) - 1;
	if (!bits)
		return 0;
	heap_off off = unit_off(r, 63u - (unsigned)__builtin_clzll(bits));
	return free_units_at(m, off) ? off : 0;
}

/* Region r's figure, from its blocks. */
static uint16_t region_figure(const struct fm_place *m, uint32_t r)
{
	uint64_t bits = m->bits[r];
	uint32_t best = 0;
	while (bits) {
		uint32_t u = free_units_at(m, unit_off(r, (unsigned)__builtin_ctzll(bits)));
		if (u > best)
			best = u;
		bits &= bits - 1;
	}
	return figure_of(best);
}

/* The figures of the node at lv + node (FM_FANOUT of them, the last node's
 * padding masked off) that are at least need, as bits. */
static inline uint32_t node_fits(const uint16_t *lv, uint64_t node, uint64_t len,
				 uint16_t need)
{
	uint32_t fits = fm_fits(lv + node, need);
	if (len - node < FM_FANOUT)
		fits &= (UINT32_C(1) << (len - node)) - 1;
	return fits;
}

/* The largest figure among the children of node i of level k + 1. */
static uint16_t max_of_children(const struct fm_place *m, unsigned k, uint64_t i)
{
	const uint16_t *lv = level(m, k);
	uint64_t from = i * FM_FANOUT, len = m->g.level_len[k];
	if (from + FM_FANOUT <= len)
		return fm_max32(lv + from);
	uint16_t best = 0;
	for (uint64_t c = from; c < len; c++)
		if (lv[c] > best)
			best = lv[c];
	return best;
}

/* Down from node i of level k, whose figure is at least need, to the first
 * region under it that has such a figure (the last, if last says so).  The
 * figures are exact maxima of their children, so a node whose children do
 * not keep its promise is damage (FM_NONE). */
static inline uint32_t descend(const struct fm_place *m, unsigned k, uint64_t i,
			       uint16_t need, bool last)
{
	while (k > 0) {
		uint64_t node = i * FM_FANOUT;
		k--;
		uint32_t fits = node_fits(level(m, k), node, m->g.level_len[k], need);
		if (!fits) {
			damage(m);
			return FM_NONE;
		}
		i = node + (last ? 31u - (unsigned)__builtin_clz(fits)
				 : (unsigned)__builtin_ctz(fits));
	}
	return (uint32_t)i;
}

/*
 * The first region at or after position i of level k (k = 0: region i; k
 * above: the regions under node i and after it) whose figure is at least
 * need; FM_NONE if none.  Up from i's node while it has none, then down.
 */
static uint32_t fit_from(const struct fm_place *m, unsigned k, uint64_t i, uint16_t need)
{
	const unsigned levels = m->g.levels;
	for (;;) {
		uint64_t len = m->g.level_len[k];
		if (i >= len)
			return FM_NONE;
		uint64_t node = i & ~(uint64_t)(FM_FANOUT - 1);
		uint32_t fits = node_fits(level(m, k), node, len, need) >> (i - node) << (i - node);
		if (fits) {
			i = node + (unsigned)__builtin_ctz(fits);
			break;
		}
		if (k + 1 == levels)
			return FM_NONE;
		i = node / FM_FANOUT + 1;
		k++;
	}
	return descend(m, k, i, need, false);
}

/* The last region before r whose figure is at least 1 (that has a block);
 * FM_NONE if none. */
static uint32_t used_before(const struct fm_place *m, uint64_t r)
{
	const unsigned levels = m->g.levels;
	uint64_t i = r; /* the bound, exclusive, at level k */
	unsigned k = 0;
	for (;;) {
		uint64_t len = m->g.level_len[k];
		if (i > len)
			i = len;
		if (!i)
			return FM_NONE;
		uint64_t node = (i - 1) & ~(uint64_t)(FM_FANOUT - 1);
		uint32_t fits = node_fits(level(m, k), node, len, 1);
		if (i - node < FM_FANOUT)
			fits &= (UINT32_C(1) << (i - node)) - 1;
		if (fits) {
			i = node + 31u - (unsigned)__builtin_clz(fits);
			break;
		}
		if (k + 1 == levels)
			return FM_NONE;
		i = node / FM_FANOUT;
		k++;
	}
	return descend(m, k, i, 1, true);
}

static inline uint32_t units_of_need(uint64_t need)
{
	uint64_t u = (need + HEAP_UNIT - 1) / HEAP_UNIT;
	return u > UINT32_MAX ? UINT32_MAX : u ? (uint32_t)u : 1;
}

/*
 * The first block of the map at or after region r (from bit `from` in r
 * itself) with at least u units, or 0.  Regions whose figure has the code
 * of u (256 KiB or more) but whose block is smaller are passed.
 */
static heap_off map_fit_from(const struct fm_place *m, uint32_t r, unsigned from, uint32_t u)
{
	uint16_t need = figure_of(u);
	if (from) {
		heap_off off = region_first(m, r, u, from);
		if (off)
			return off;
		r++;
	}
	for (uint32_t at = fit_from(m, 0, r, need); at != FM_NONE;
	     at = fit_from(m, 0, (uint64_t)at + 1, need)) {
		heap_off off = region_first(m, at, u, 0);
		if (off)
			return off;
		if (u < FM_FIGURE_EXACT) {
			damage(m); /* a figure no block of its region has */
			return 0;
		}
	}
	return 0;
}

/*
 * The lowest level whose first node holds every block of the map: the map's
 * blocks all lie below the top block, so a heap used at its start (the
 * rest of it the top) is searched from a node lower than the root.  A top
 * word that lies makes a search miss blocks, never leave the map.
 */
static unsigned first_node_level(const struct fm_place *m)
{
	unsigned root = m->g.levels - 1;
	heap_off top = __atomic_load_n(m->top, __ATOMIC_RELAXED);
	if (!top || top >= m->size)
		return root;
	uint32_t last = region_of(top); /* the last region that may hold one */
	if (!last)
		return 0;
	unsigned bits = 32u - (unsigned)__builtin_clz(last);
	unsigned k = (bits + FM_FANOUT_BITS - 1) / FM_FANOUT_BITS;
	return k < root ? k : root;
}

heap_off fm_first_fit(const struct free_index *fi, uint64_t need)
{
	const struct fm_place *m = fm_get(fi);
	if (!m)
		return 0;
	uint32_t u = units_of_need(need);
	unsigned k = first_node_level(m);
	heap_off off = 0;
	if (level(m, k)[0] >= figure_of(u)) {
		/* Down from there; for a block of 256 KiB or more, on from
		 * regions whose block only shared its code. */
		uint32_t r = descend(m, k, 0, figure_of(u), false);
		if (r != FM_NONE) {
			off = region_first(m, r, u, 0);
			if (!off)
				off = u < FM_FIGURE_EXACT ? (damage(m), 0)
							: map_fit_from(m, r + 1, 0, u);
		}
	}
	if (off)
		return off;
	/* No block of the map fits: the top, highest of all, if it does. */
	heap_off top = top_of(m);
	return top && free_units_at(m, top) >= u ? top : 0;
}

heap_off fm_first_fit_from(const struct free_index *fi, uint64_t need, heap_off from)
{
	const struct fm_place *m = fm_get(fi);
	if (!m)
		return 0;
	if (from < HEAP_FIRST_BLOCK)
		from = HEAP_FIRST_BLOCK;
	if (from >= m->size)
		return 0;
	uint32_t u = units_of_need(need);
	heap_off off = map_fit_from(m, region_of(from), (unsigned)(from / HEAP_UNIT % FM_UNITS), u);
	if (off)
		return off;
	heap_off top = top_of(m);
	return top >= from && top && free_units_at(m, top) >= u ? top : 0;
}

/* Region r gained a block of v (a figure): the figures below v on its path
 * rise. */
static void raise_to(const struct fm_place *m, uint32_t r, uint16_t v)
{
	uint64_t i = r;
	for (unsigned k = 0; k < m->g.levels; k++, i /= FM_FANOUT) {
		uint16_t *w = &level(m, k)[i];
		if (*w >= v)
			return;
		*w = v;
		SHMHEAP_KILL_POINT("fitmap", 1); /* a figure raised, not those above */
	}
}

/* Region r's figure becomes v; the nodes above follow while they change. */
static void set_region(const struct fm_place *m, uint32_t r, uint16_t v)
{
	uint16_t *w = &level(m, 0)[r];
	uint16_t old = *w;
	uint64_t i = r;
	if (old == v)
		return;
	*w = v;
	SHMHEAP_KILL_POINT("fitmap", 2); /* a region's figure changed, not those above */
	for (unsigned k = 1; k < m->g.levels; k++) {
		i /= FM_FANOUT;
		uint16_t *pw = &level(m, k)[i];
		uint16_t p = *pw, np;
		if (v >= p)
			np = v;
		else if (old < p)
			return; /* another child holds the maximum */
		else
			np = max_of_children(m, k - 1, i);
		if (np == p)
			return;
		*pw = np;
		old = p;
		v = np;
	}
}

static void refresh_region(const struct fm_place *m, uint32_t r)
{
	set_region(m, r, region_figure(m, r));
}

/* Whether off may be a block of the heap the map covers. */
static bool in_heap(const struct fm_place *m, heap_off off)
{
	if (off >= HEAP_FIRST_BLOCK && off < m->size && off % HEAP_UNIT == 0)
		return true;
	damage(m);
	return false;
}

/* Adds the free block at off, of u units, to the map. */
static void map_insert(const struct fm_place *m, heap_off off, uint32_t u)
{
	m->bits[region_of(off)] |= bit_of(off);
	SHMHEAP_KILL_POINT("fitmap", 3); /* a bit set, its figures not raised */
	raise_to(m, region_of(off), figure_of(u));
}

/* Takes the block at off out of the map. */
static void map_remove(const struct fm_place *m, heap_off off)
{
	uint64_t *w = &m->bits[region_of(off)];
	if (!(*w & bit_of(off)))
		damage(m); /* a free block the index does not hold */
	*w &= ~bit_of(off);
	SHMHEAP_KILL_POINT("fitmap", 4); /* a bit cleared, its figures not lowered */
	refresh_region(m, region_of(off));
}

/* Indexes the free block at off: as the top, or in the map. */
static void index_block(const struct fm_place *m, heap_off off)
{
	uint32_t u = free_units_at(m, off);
	if (!u)
		return;
	if (ends_heap(m, off, u))
		*m->top = off;
	else
		map_insert(m, off, u);
}

/* Unindexes the free block at off, the top or one of the map. */
static void unindex_block(const struct fm_place *m, heap_off off)
{
	if (*m->top == off)
		*m->top = 0;
	else
		map_remove(m, off);
}

void fm_insert(const struct free_index *fi, heap_off off)
{
	const struct fm_place *m = fm_get(fi);
	if (m && in_heap(m, off))
		index_block(m, off);
}

void fm_remove(const struct free_index *fi, heap_off off)
{
	const struct fm_place *m = fm_get(fi);
	if (m && in_heap(m, off))
		unindex_block(m, off);
}

void fm_move(const struct free_index *fi, heap_off old_off, heap_off new_off)
{
	const struct fm_place *m = fm_get(fi);
	if (!m || !in_heap(m, old_off) || !in_heap(m, new_off))
		return;
	uint32_t u = free_units_at(m, new_off);
	bool top = u && ends_heap(m, new_off, u);
	if (*m->top == old_off) {
		/* What is left of the top still ends the heap (an allocation
		 * carved from its front): one store. */
		*m->top = top ? new_off : 0;
		if (top || !u)
			return;
		map_insert(m, new_off, u);
		return;
	}
	uint32_t r = region_of(old_off);
	uint64_t *w = &m->bits[r];
	if (!(*w & bit_of(old_off)))
		damage(m); /* a free block the index does not hold */
	*w &= ~bit_of(old_off);
	SHMHEAP_KILL_POINT("fitmap", 5); /* the old block's bit cleared, the new one's not set */
	if (top) {
		*m->top = new_off;
	} else if (u) {
		m->bits[region_of(new_off)] |= bit_of(new_off);
		/* Most often the block moves within its region: one pass
		 * finds the region's new figure for both changes. */
		if (region_of(new_off) != r)
			raise_to(m, region_of(new_off), figure_of(u));
	}
	refresh_region(m, r);
}

void fm_grown(const struct free_index *fi, heap_off off)
{
	const struct fm_place *m = fm_get(fi);
	if (!m || !in_heap(m, off) || *m->top == off)
		return;
	uint32_t u = free_units_at(m, off);
	if (!u)
		return;
	if (ends_heap(m, off, u)) {
		/* It took in the end of the heap: the map's block becomes the top. */
		map_remove(m, off);
		SHMHEAP_KILL_POINT("fitmap", 6); /* out of the map, not yet the top */
		*m->top = off;
	} else {
		raise_to(m, region_of(off), figure_of(u));
	}
}

heap_off fm_last(const struct free_index *fi)
{
	const struct fm_place *m = fm_get(fi);
	if (!m)
		return 0;
	heap_off top = top_of(m);
	if (top)
		return top;
	uint32_t r = used_before(m, m->g.regions);
	if (r == FM_NONE)
		return 0; /* no free block */
	heap_off off = region_last(m, r, FM_UNITS);
	if (!off)
		damage(m);
	return off;
}

heap_off fm_free_at_or_below(const struct free_index *fi, heap_off off)
{
	const struct fm_place *m = fm_get(fi);
	if (!m)
		return 0;
	if (off >= m->size)
		off = m->size - HEAP_UNIT;
	heap_off top = top_of(m);
	if (top && top <= off)
		return top;
	uint32_t r = region_of(off);
	heap_off found = region_last(m, r, (unsigned)(off / HEAP_UNIT % FM_UNITS) + 1);
	if (found)
		return found;
	r = used_before(m, r);
	return r == FM_NONE ? 0 : region_last(m, r, FM_UNITS);
}

void fm_clear(const struct free_index *fi)
{
	const struct fm_place *m = fm_get(fi);
	if (m)
		memset(m->top, 0, m->g.bytes);
}

/* Every level above the regions' figures, from them; the padding of each
 * level's last node is zero, as fm_max32 needs. */
static void rebuild_levels(const struct fm_place *m)
{
	for (unsigned k = 0; k < m->g.levels; k++) {
		uint16_t *lv = level(m, k);
		uint32_t len = m->g.level_len[k];
		if (k)
			for (uint32_t i = 0; i < len; i++)
				lv[i] = max_of_children(m, k - 1, i);
		for (uint32_t i = len; i % FM_FANOUT; i++)
			lv[i] = 0;
	}
}

void fm_relocate(const struct free_index *fi, uint64_t old_size, uint64_t new_size)
{
	struct fm_geometry og, ng;
	fm_geometry_of(old_size, &og);
	fm_geometry_of(new_size, &ng);
	unsigned char *from = fi->base + old_size, *to = fi->base + new_size;
	size_t n = og.regions;
	struct fm_head head;
	memcpy(&head, from, sizeof(head));

	/* The new index lies a page or more above the old, and may overlap it:
	 * the regions' figures first (their new place is above every old bit),
	 * then the bits (whose new place may cover the old figures, copied by
	 * then).  The top block stays the top: the new space is merged with it
	 * once the size is published. */
	memmove(to + ng.level_off[0], from + og.level_off[0], n * sizeof(uint16_t));
	SHMHEAP_KILL_POINT("fitmap", 7); /* growth: the figures moved, not the bits */
	memmove(to + FM_HEAD, from + FM_HEAD, n * sizeof(uint64_t));
	memset(to + FM_HEAD + n * sizeof(uint64_t), 0, (ng.regions - n) * sizeof(uint64_t));
	memset(to + ng.level_off[0] + n * sizeof(uint16_t), 0,
	       (ng.regions - n) * sizeof(uint16_t));
	memcpy(to, &head, sizeof(head));
	struct fm_place place;
	place_at(&place, fi->base, new_size, fi->damaged);
	rebuild_levels(&place);
}
