/* SPDX-License-Identifier: MIT */
/*
 * inspect.c - walking the blocks, statistics, and the integrity check.
 *
 * The check is the one place that states every invariant of the layout;
 * tests, shmheap-ctl and debugging all call it.  Every check is linear in the
 * number of blocks (the free-block index is matched against the chain in one
 * merge of two address-ordered sequences), so that a crafted heap cannot make
 * a check, or the verification at connect, take time quadratic in its size.
 *
 * Nothing here trusts the heap's bytes: every read stays below the end of
 * what may be read (see struct view), and every offset is checked against it
 * before it is used.
 */
#include <errno.h>
#include <string.h>

#include "ext.h"
#include "cache.h"
#include "heap.h"
#include "heapread.h"

/*
 * What one call reads.  A locked connection reads its shared mapping, bounded
 * by the object's length, looked up again once the lock is held: a heap
 * truncated while the caller waited is reported, not read past its end
 * (which would raise SIGBUS).  An unlocked connection reads through bounded
 * windows (heapread.c): another process may grow, change or truncate the
 * heap at any moment, and a shared mapping of a truncated object raises
 * SIGBUS.  Either way the header is read once, into the view.
 */
struct view {
	struct heap_reader r;
	struct heap_header hdr;
	uint64_t size;		 /* bytes the header says the heap spans */
	uint64_t end;		 /* bytes that may be read, at most size */
	struct heap_windows win; /* an unlocked view's windows (r.win) */
	/* A cached heap's table (see view_find_table): its header, its
	 * block's size, and its slots (0: none, or damaged), each read once. */
	struct cache_table tab;
	uint64_t tab_block;
	unsigned slots;
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t load_word(const struct view *v, heap_off off)
{
	return hr_word(&v->r, off);
}

/* The cached heap's table, checked once for the whole call. */
static void view_find_table(struct view *v, uint32_t seed)
{
	v->slots = 0;
	if (!(v->hdr.flags & HEAP_FLAG_CACHED) ||
	    v->end < HEAP_FIRST_OBJECT + sizeof(struct cache_table))
		return;
	uint64_t bw = load_word(v, HEAP_FIRST_BLOCK);
	uint64_t size = bw_size(bw);
	if (cache_kind(seed, HEAP_FIRST_BLOCK, bw) != CACHE_KIND_TABLE ||
	    size < HEAP_UNIT + sizeof(struct cache_table) ||
	    size > v->end - HEAP_FIRST_BLOCK)
		return;
	hr_read(&v->r, HEAP_FIRST_OBJECT, &v->tab, sizeof(v->tab));
	v->tab_block = size;
	v->slots = cache_table_slots(&v->tab, size);
}

/* The header of slot i (< v->slots) of the cached heap's table. */
static void view_slot(const struct view *v, unsigned i, struct cache_slot *s)
{
	heap_off off = HEAP_FIRST_OBJECT + cache_table_head(v->tab.depth) +
		       i * cache_slot_stride(v->tab.depth);
	hr_read(&v->r, off, s, sizeof(*s));
}

static void view_set(struct view *v, uint64_t readable)
{
	v->size = heap_size_bytes(&v->hdr);
	v->end = min_u64(v->size, readable);
}

/* The view of a heap whose lock the caller holds. */
static int view_locked(struct view *v, struct shmheap_heap *h)
{
	size_t len;
	*v = (struct view){.r = {.base = h->base}};
	if (h->backing.ops->length(&h->backing, &len) < 0)
		return -1;
	memcpy(&v->hdr, h->hdr, sizeof(v->hdr));
	view_set(v, min_u64(len, heap_mapped_bytes(h)));
	return 0;
}

/*
 * The view of a connection that does not lock: the header is read first and
 * the object's length after it (a grower extends the object before it
 * publishes the new size, so a heap that only grew never looks longer than
 * its object); the rest is read through the windows as the call needs it.
 */
static int view_unlocked(struct view *v, struct shmheap_heap *h)
{
	size_t len;
	*v = (struct view){0};
	if (h->backing.ops->read(&h->backing, &v->hdr, sizeof(v->hdr), 0) < 0 ||
	    h->backing.ops->length(&h->backing, &len) < 0) {
		if (errno == EINVAL)
			errno = EUCLEAN; /* shorter than a header: truncated */
		return -1;
	}
	view_set(v, min_u64(len, h->reserved));
	hr_windows_init(&v->win, &h->backing, v->end, &h->read_stash);
	v->r.win = &v->win;
	return 0;
}

/* Takes what a reading call needs: the lock and a view, or windows.  With
 * sweep, a connection that may change the heap first returns dead
 * processes' caches to it (under the lock, before the header is read). */
static int view_open_sweeping(struct view *v, struct shmheap_heap *h, bool sweep)
{
	if ((h->connect_flags & SHMHEAP_CONNECT_UNLOCKED)) {
		if (view_unlocked(v, h) < 0)
			return -1;
	} else {
		if (heap_read_lock(h) < 0)
			return -1;
		if (sweep && !(h->connect_flags & SHMHEAP_CONNECT_INSPECT))
			cache_sweep_locked(h, 1);
		if (view_locked(v, h) < 0) {
			int err = errno;
			heap_read_unlock(h);
			errno = err;
			return -1;
		}
	}
	view_find_table(v, h->seed);
	return 0;
}

static int view_open(struct view *v, struct shmheap_heap *h)
{
	return view_open_sweeping(v, h, false);
}

/* Ends the call: ret, or -1 with the errno of a read that failed. */
static int view_close(struct view *v, struct shmheap_heap *h, int ret)
{
	int err = errno;
	if (v->r.win) {
		if (v->win.err) {
			err = v->win.err;
			ret = -1;
		}
		hr_windows_free(&v->win);
	} else {
		heap_read_unlock(h);
	}
	errno = err;
	return ret;
}

/* In a cached heap, the slot whose cache holds the block at off, or -1. */
static int view_cached_slot(const struct view *v, heap_off off, uint64_t bw)
{
	if (!(v->hdr.flags & HEAP_FLAG_CACHED))
		return -1;
	int kind = cache_kind(v->hdr.seed, off, bw);
	return kind >= 0 ? kind : -1;
}

/* What the block at off, of block word bw, holds (SHMHEAP_BLOCK_*). */
static inline __attribute__((always_inline)) int block_kind(
	bool cached, uint32_t seed, const struct ext_view *ev, const struct ext_own *own,
	heap_off off, uint64_t bw)
{
	if (!(bw & BW_IN_USE))
		return SHMHEAP_BLOCK_FREE;
	if (cached) {
		int kind = cache_kind(seed, off, bw);
		/* A block in a process's cache is free space, not an object. */
		if (kind >= 0)
			return SHMHEAP_BLOCK_CACHED;
		if (kind == CACHE_KIND_TABLE)
			return SHMHEAP_BLOCK_LIBRARY;
	}
	if (ext_view_owned(ev, own, off + HEAP_UNIT))
		return SHMHEAP_BLOCK_LIBRARY;
	return SHMHEAP_BLOCK_OBJECT;
}

/* The walk below, with the view's fields in locals (fn could change anything
 * behind a pointer) and the reads from base when it is given. */
static inline __attribute__((always_inline)) int walk_chain(const struct view *v,
							    const unsigned char *base,
							    shmheap_walk_fn fn, void *arg)
{
	const struct heap_reader r = v->r;
	const uint64_t end = v->end;
	const bool cached = v->hdr.flags & HEAP_FLAG_CACHED;
	const uint32_t seed = v->hdr.seed;
	const struct ext_view ev = {r, end, v->size, seed, &v->hdr};
	struct ext_own own;
	ext_view_own(&ev, &own);
	heap_off off = HEAP_FIRST_BLOCK;
	while (off < end) {
		uint64_t bw = hr_word_from(base, &r, off);
		uint64_t size = bw_size(bw);
		if (size < BLOCK_MIN || size > end - off)
			break;
		int kind = block_kind(cached, seed, &ev, &own, off, bw);
		struct shmheap_block blk = {
			.offset = off + HEAP_UNIT,
			.size = size - HEAP_UNIT,
			.in_use = kind == SHMHEAP_BLOCK_OBJECT ||
				  kind == SHMHEAP_BLOCK_LIBRARY,
			.kind = kind,
		};
		if (fn(&blk, arg))
			return 0;
		off += size;
	}
	if (off != v->size) {
		errno = EUCLEAN; /* the chain is broken, or the object truncated */
		return -1;
	}
	return 0;
}

/* Calls fn for each block in address order.  The loop is compiled twice, so
 * that the owner's walk over the mapping tests nothing per block for the
 * windows it does not use. */
static int walk_blocks(const struct view *v, shmheap_walk_fn fn, void *arg)
{
	if (v->r.base)
		return walk_chain(v, v->r.base, fn, arg);
	return walk_chain(v, NULL, fn, arg);
}

EXPORT int shmheap_walk(shmheap_memory_handle mem, shmheap_walk_fn fn, void *arg)
{
	struct view v;
	if (!mem || !fn) {
		errno = EINVAL;
		return -1;
	}
	if (view_open(&v, mem) < 0)
		return -1;
	return view_close(&v, mem, walk_blocks(&v, fn, arg));
}

int heap_view_run(struct shmheap_heap *h, int (*fn)(const struct ext_view *v, void *arg),
		  void *arg)
{
	struct view v;
	if (view_open(&v, h) < 0)
		return -1;
	struct ext_view ev = {v.r, v.end, v.size, h->seed, &v.hdr};
	return view_close(&v, h, fn(&ev, arg));
}

static int count_block(const struct shmheap_block *blk, void *arg)
{
	struct shmheap_stats *st = arg;
	if (blk->in_use) {
		st->objects++;
		st->used_bytes += blk->size;
		st->overhead_bytes += HEAP_UNIT;
	} else {
		st->free_blocks++;
		st->free_bytes += blk->size + HEAP_UNIT;
		if (blk->size > st->largest_free)
			st->largest_free = blk->size;
	}
	return 0;
}

EXPORT int shmheap_stats(shmheap_memory_handle mem, struct shmheap_stats *st)
{
	struct view v;
	if (!mem || !st) {
		errno = EINVAL;
		return -1;
	}
	*st = (struct shmheap_stats){0};
	if (view_open(&v, mem) < 0)
		return -1;
	int ret = walk_blocks(&v, count_block, st);
	st->heap_size = v.size;
	st->max_size = heap_max_bytes(&v.hdr);
	st->header_size = HEAP_FIRST_OBJECT;
	/* A cached heap's table is bookkeeping before the first object. */
	if (ret == 0 && v.slots && st->objects) {
		uint64_t table = v.tab_block;
		st->objects--;
		st->used_bytes -= table - HEAP_UNIT;
		st->overhead_bytes -= HEAP_UNIT;
		st->header_size += table;
	}
	ret = view_close(&v, mem, ret);
	st->invalid_frees = __atomic_load_n(&mem->invalid_frees, __ATOMIC_RELAXED);
	return ret;
}

struct check_ctx {
	const struct view *v;
	uint32_t seed;
	shmheap_problem_fn fn; /* NULL: stop at the first problem */
	void *arg;
	int problems;
	bool tiny;	  /* the treap being matched */
	bool told_torn;	  /* the truncation was reported */
	heap_off cursor;  /* end of the last index node that matched a block */
	heap_off walk;	  /* the chain position after pending */
	heap_off pending; /* the next free block of the chain the index must name */
	/* Where check_chain found the first and last free block of each treap
	 * (main, tiny): the merge walks the chain between them only. */
	heap_off first_free[2], last_free[2];
};

static void report(struct check_ctx *c, heap_off off, const char *problem)
{
	c->problems++;
	if (c->fn)
		c->fn(off, problem, c->arg);
}

static bool done(const struct check_ctx *c)
{
	return !c->fn && c->problems;
}

/* An unlocked view lost bytes at or before off: the object shrank. */
static bool torn_at(struct check_ctx *c, heap_off off)
{
	if (!hr_torn(&c->v->r))
		return false;
	if (!c->told_torn)
		report(c, off, "heap is longer than its object (truncated)");
	c->told_torn = true;
	return true;
}

static void fi_report(heap_off off, const char *problem, void *arg)
{
	report(arg, off, problem);
}

/* Moves pending to the next free block of the treap being checked, walking
 * the chain on from walk; the end of the heap when there is none.  (Compiled
 * twice, as walk_chain is.) */
static inline __attribute__((always_inline)) void pending_from(struct check_ctx *c,
							       const unsigned char *base)
{
	const struct view *v = c->v;
	const heap_off end = v->end, last = c->last_free[c->tiny];
	const bool tiny = c->tiny;
	for (heap_off off = c->walk; off < end && off <= last;) {
		uint64_t bw = hr_word_from(base, &v->r, off);
		uint64_t size = bw_size(bw);
		if (size < BLOCK_MIN || size > end - off)
			break; /* check_chain reports it */
		if (!(bw & BW_IN_USE) && (size == BLOCK_MIN) == tiny) {
			c->walk = off + size;
			c->pending = off;
			return;
		}
		off += size;
	}
	c->walk = end;
	c->pending = end;
}

static void next_pending(struct check_ctx *c)
{
	if (c->v->r.base)
		pending_from(c, c->v->r.base);
	else
		pending_from(c, NULL);
}

/*
 * Index nodes come in address order and must be exactly the free blocks of
 * the chain: the two sequences are merged, each walked once.  fi_verify only
 * passes nodes whose first words lie inside the view, with their block word.
 */
static void match_node(heap_off off, uint64_t bw, void *arg)
{
	struct check_ctx *c = arg;
	if (done(c))
		return;
	if (off != c->pending)
		report(c, off, "free-block index and block chain disagree");
	uint64_t size = bw_size(bw);
	if (off >= c->cursor && size >= BLOCK_MIN && size <= c->v->end - off)
		c->cursor = off + size;
	while (c->pending < c->cursor)
		next_pending(c);
}

/* An in-use block whose tag is not the live one: in a cached heap the
 * table, or a block in the cache of a claimed slot. */
static void check_cached(struct check_ctx *c, heap_off off, uint64_t bw)
{
	unsigned slots = c->v->slots;
	int kind = slots ? cache_kind(c->seed, off, bw) : CACHE_KIND_OTHER;
	if (kind == CACHE_KIND_TABLE)
		return;
	if (kind < 0 || (unsigned)kind >= slots) {
		report(c, off, "live block's tag is wrong");
		return;
	}
	struct cache_slot s;
	view_slot(c->v, (unsigned)kind, &s);
	if (!s.pid)
		report(c, off, "cached block belongs to no process's cache");
}

/* The chain, block by block.  (Compiled twice, as walk_chain is.) */
static inline __attribute__((always_inline)) void chain_from(struct check_ctx *c,
							     const unsigned char *base)
{
	const struct view *v = c->v;
	uint64_t prev_state = BW_PREV_USED;
	bool prev_free = false;

	for (heap_off off = HEAP_FIRST_BLOCK; off < v->size && !done(c);) {
		if (off >= v->end) {
			report(c, off, "heap is longer than its object (truncated)");
			c->told_torn = true;
			return;
		}
		uint64_t bw = hr_word_from(base, &v->r, off);
		uint64_t size = bw_size(bw);
		if (!base && torn_at(c, off))
			return;
		if (size < BLOCK_MIN || size > v->size - off) {
			report(c, off,
			       "block size breaks the chain (blocks do not tile the heap)");
			return;
		}
		if (size > v->end - off) {
			report(c, off, "heap is longer than its object (truncated)");
			c->told_torn = true;
			return;
		}
		bool used = bw & BW_IN_USE;
		if (!used) {
			bool tiny = size == BLOCK_MIN;
			if (!c->first_free[tiny])
				c->first_free[tiny] = off;
			c->last_free[tiny] = off;
		}
		if ((bw & BW_PREV_MASK) != prev_state)
			report(c, off,
			       "block's prev field disagrees with the block before it");
		if (used && bw_tag(bw) != block_tag(c->seed, off, size))
			check_cached(c, off, bw);
		if (!used && prev_free)
			report(c, off, "two adjacent free blocks");
		if (!used && size >= BLOCK_FOOTER_MIN &&
		    hr_word_from(base, &v->r, off + size - HEAP_UNIT) != size &&
		    (base || !torn_at(c, off)))
			report(c, off, "free block's footer is wrong");
		prev_free = !used;
		prev_state = used ? BW_PREV_USED : prev_state_for_free(size);
		off += size;
	}
}

static void check_chain(struct check_ctx *c)
{
	if (c->v->r.base)
		chain_from(c, c->v->r.base);
	else
		chain_from(c, NULL);
}

static void check_header(struct check_ctx *c)
{
	const struct heap_header *hdr = &c->v->hdr;
	if (hdr->magic != HEAP_MAGIC || hdr->version != HEAP_LAYOUT_VERSION)
		report(c, 0, "header magic or layout version is wrong");
	if (hdr->max_pages < hdr->size_pages || heap_max_bytes(hdr) > HEAP_MAX_SIZE)
		report(c, 0, "header sizes are inconsistent");
	if (hdr->seed != c->seed)
		report(c, 0, "header seed changed");
	if ((hdr->flags & HEAP_FLAG_CACHED) && !c->v->slots)
		report(c, HEAP_FIRST_BLOCK, "cache table is damaged");
}

static void ext_report(heap_off off, const char *problem, void *arg)
{
	report(arg, off, problem);
}

static int verify_view(const struct view *v, uint32_t seed, shmheap_problem_fn fn,
		       void *arg)
{
	struct check_ctx c = {.v = v, .seed = seed, .fn = fn, .arg = arg};
	check_header(&c);
	check_chain(&c);
	for (int tiny = 0; tiny < 2 && !done(&c); tiny++) {
		c.tiny = tiny;
		c.cursor = HEAP_FIRST_BLOCK;
		c.walk = c.first_free[tiny] ? c.first_free[tiny] : v->end;
		next_pending(&c);
		heap_unit root = tiny ? v->hdr.tiny_root : v->hdr.main_root;
		/* fi_report counts each problem it is told of. */
		fi_verify(&v->r, root, tiny, v->end, match_node, fi_report, &c);
		if (!done(&c) && c.pending != v->end)
			report(&c, c.pending, "free block missing from the index");
	}
	if (!done(&c)) {
		struct ext_view ev = {v->r, v->end, v->size, seed, &v->hdr};
		ext_verify(&ev, ext_report, &c); /* the names directory (names-check.c) */
	}
	/* Whatever a read the object no longer held made of the figures. */
	torn_at(&c, v->end);
	return c.problems;
}

/* With fn NULL (the verification at connect), it stops at the first problem. */
int heap_verify(struct shmheap_heap *mem, shmheap_problem_fn fn, void *arg)
{
	struct view v;
	if (view_locked(&v, mem) < 0)
		return 1;
	view_find_table(&v, mem->seed);
	return verify_view(&v, mem->seed, fn, arg);
}

static void count_only(size_t offset, const char *problem, void *arg)
{
	(void)offset;
	(void)problem;
	(void)arg;
}

EXPORT int shmheap_check(shmheap_memory_handle mem, shmheap_problem_fn fn, void *arg)
{
	struct view v;
	if (!mem) {
		errno = EINVAL;
		return -1;
	}
	/* Dead processes' caches return to the heap first. */
	if (view_open_sweeping(&v, mem, true) < 0)
		return -1;
	int problems = verify_view(&v, mem->seed, fn ? fn : count_only, arg);
	return view_close(&v, mem, problems);
}

struct cache_count {
	const struct view *v;
	struct shmheap_cache_stats *st;
	size_t bytes[CACHE_SLOTS_MAX], blocks[CACHE_SLOTS_MAX];
};

/* A walk_blocks callback: counts a block in a process's cache. */
static int count_cached(const struct shmheap_block *blk, void *arg)
{
	struct cache_count *cc = arg;
	heap_off off = blk->offset - HEAP_UNIT;
	int slot = view_cached_slot(cc->v, off, load_word(cc->v, off));
	if (slot >= 0) {
		uint64_t size = blk->size + HEAP_UNIT;
		cc->bytes[slot] += size;
		cc->blocks[slot]++;
		cc->st->cached_bytes += size;
		cc->st->cached_blocks++;
	}
	return 0;
}

EXPORT int shmheap_cache_stats(shmheap_memory_handle mem, struct shmheap_cache_stats *st,
			       struct shmheap_cache_proc *procs, size_t nprocs)
{
	struct view v;
	if (!mem || !st || (nprocs && !procs)) {
		errno = EINVAL;
		return -1;
	}
	*st = (struct shmheap_cache_stats){0};
	if (!(mem->heap_flags & HEAP_FLAG_CACHED))
		return 0;
	if (view_open(&v, mem) < 0)
		return -1;
	struct cache_count cc = {.v = &v, .st = st};
	unsigned slots = v.slots;
	int ret = walk_blocks(&v, count_cached, &cc);
	st->slots = slots;
	for (unsigned i = 0; i < slots && ret == 0; i++) {
		/* One look at the slot's header: its owner may leave meanwhile. */
		struct cache_slot s;
		view_slot(&v, i, &s);
		if (!s.pid)
			continue;
		if (st->attached < nprocs) {
			struct shmheap_cache_proc *p = &procs[st->attached];
			p->pid = (pid_t)s.pid;
			/* LIVENESS_UNSURE (2): reserved, its owner not proven gone */
			p->alive = cache_owner_state(mem, i, &s);
			p->cached_bytes = cc.bytes[i];
			p->cached_blocks = cc.blocks[i];
		}
		st->attached++;
	}
	return view_close(&v, mem, ret);
}
