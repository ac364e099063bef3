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
 * what may be read (struct heap_view, inspect.h), and every offset is checked
 * against it before it is used.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "connection.h"
#include "heapread.h"
#include "inspect.h"
#include "layer.h"
#include "lock.h"

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
	struct heap_view v;	 /* v.hdr is &hdr */
	struct heap_header hdr;
	struct heap_windows win; /* an unlocked view's windows (v.r.win) */
	uint64_t length;	 /* the object's, read with the header */
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void view_set(struct view *vw, const struct shmheap_heap *h, uint64_t readable)
{
	struct heap_view *v = &vw->v;
	v->hdr = &vw->hdr;
	v->size = heap_size_bytes(&vw->hdr);
	v->end = min_u64(v->size, readable);
	v->seed = h->seed;
}

/* The view of a heap whose lock the caller holds. */
static int view_locked(struct view *v, struct shmheap_heap *h)
{
	size_t len;
	*v = (struct view){.v.r = {.base = h->base}};
	if (h->backing.ops->length(&h->backing, &len) < 0)
		return -1;
	memcpy(&v->hdr, h->hdr, sizeof(v->hdr));
	v->length = len;
	view_set(v, h, min_u64(len, heap_mapped_bytes(h)));
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
	v->length = len;
	view_set(v, h, min_u64(len, h->reserved));
	hr_windows_init(&v->win, &h->backing, v->v.end, &h->read_stash);
	v->v.r.win = &v->win;
	return 0;
}

/* Takes what a reading call needs: the lock and a view, or windows.  With
 * sweep, a connection that may change the heap first gives back to it what
 * dead processes held (their caches: the layers' sweep hooks), under the
 * lock, before the header is read. */
static int view_open_sweeping(struct view *v, struct shmheap_heap *h, bool sweep)
{
	if ((h->connect_flags & SHMHEAP_CONNECT_UNLOCKED))
		return view_unlocked(v, h);
	if (heap_read_lock(h) < 0)
		return -1;
	if (sweep && !(h->connect_flags & SHMHEAP_CONNECT_INSPECT))
		for (unsigned i = 0; i < h->layers; i++)
			if (h->layer[i]->sweep)
				h->layer[i]->sweep(h);
	if (view_locked(v, h) < 0) {
		int err = errno;
		heap_read_unlock(h);
		errno = err;
		return -1;
	}
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
	if (v->v.r.win) {
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

/* heap_view_blocks, with the reads from base when it is given: compiled twice,
 * so that the owner's walk over the mapping tests nothing per block for the
 * windows it does not use. */
static inline __attribute__((always_inline)) int blocks_from(
	const struct heap_view *v, const unsigned char *base,
	int (*fn)(const struct heap_view *v, heap_off off, uint64_t bw, void *arg),
	void *arg)
{
	const uint64_t end = v->end;
	heap_off off = HEAP_FIRST_BLOCK;
	while (off < end) {
		uint64_t bw = hr_word_from(base, &v->r, off);
		uint64_t size = block_step(off, bw, end);
		if (!size)
			break;
		if (fn(v, off, bw, arg))
			return 0;
		off += size;
	}
	if (off != v->size) {
		errno = EUCLEAN; /* the chain is broken, or the object truncated */
		return -1;
	}
	return 0;
}

int heap_view_blocks(const struct heap_view *v,
		     int (*fn)(const struct heap_view *v, heap_off off, uint64_t bw,
			       void *arg),
		     void *arg)
{
	if (v->r.base)
		return blocks_from(v, v->r.base, fn, arg);
	return blocks_from(v, NULL, fn, arg);
}

/* What the in-use block at off is, as the heap's layers tell. */
static int block_kind(const struct shmheap_heap *h, const struct heap_view *v,
		      heap_off off, uint64_t bw)
{
	for (unsigned i = 0; i < h->layers; i++) {
		int kind = h->layer[i]->block_kind ? h->layer[i]->block_kind(v, off, bw)
						   : HEAP_BLOCK_OBJECT;
		if (kind != HEAP_BLOCK_OBJECT)
			return kind;
	}
	return HEAP_BLOCK_OBJECT;
}

/* A walk of the blocks: what each is (enum heap_block_kind), for fn. */
struct walk {
	const struct shmheap_heap *h;
	int (*fn)(const struct shmheap_block *blk, int kind, void *arg);
	void *arg;
};

static int walk_one(const struct heap_view *v, heap_off off, uint64_t bw, void *arg)
{
	const struct walk *w = arg;
	uint64_t size = bw_size(bw);
	int kind = (bw & BW_IN_USE) ? block_kind(w->h, v, off, bw) : HEAP_BLOCK_FREE;
	/* A block a layer holds (in a process's cache) is free space. */
	static const int public_kind[] = {
		[HEAP_BLOCK_FREE] = SHMHEAP_BLOCK_FREE,
		[HEAP_BLOCK_OBJECT] = SHMHEAP_BLOCK_OBJECT,
		[HEAP_BLOCK_HELD] = SHMHEAP_BLOCK_CACHED,
		[HEAP_BLOCK_OWN] = SHMHEAP_BLOCK_LIBRARY,
		[HEAP_BLOCK_LIBRARY] = SHMHEAP_BLOCK_LIBRARY,
	};
	struct shmheap_block blk = {
		.offset = off + HEAP_UNIT,
		.size = size - HEAP_UNIT,
		.in_use = kind == HEAP_BLOCK_OBJECT || kind == HEAP_BLOCK_OWN ||
			  kind == HEAP_BLOCK_LIBRARY,
		.kind = public_kind[kind],
	};
	return w->fn(&blk, kind, w->arg);
}

static int walk_blocks(const struct shmheap_heap *h, const struct heap_view *v,
		       int (*fn)(const struct shmheap_block *blk, int kind, void *arg),
		       void *arg)
{
	struct walk w = {h, fn, arg};
	return heap_view_blocks(v, walk_one, &w);
}

struct user_walk {
	shmheap_walk_fn fn;
	void *arg;
};

static int walk_user(const struct shmheap_block *blk, int kind, void *arg)
{
	const struct user_walk *u = arg;
	(void)kind;
	return u->fn(blk, u->arg);
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
	struct user_walk u = {fn, arg};
	return view_close(&v, mem, walk_blocks(mem, &v.v, walk_user, &u));
}

int heap_view_run(struct shmheap_heap *h, int (*fn)(const struct heap_view *v, void *arg),
		  void *arg)
{
	struct view v;
	if (view_open(&v, h) < 0)
		return -1;
	return view_close(&v, h, fn(&v.v, arg));
}

int heap_view_live(const struct heap_view *v, heap_off obj, uint64_t bytes)
{
	if (obj < HEAP_FIRST_OBJECT || obj % HEAP_UNIT || obj >= v->end)
		return 0;
	uint64_t bw = hr_word_acquire(&v->r, obj - HEAP_UNIT);
	uint64_t size = bw_size(bw);
	return (bw & BW_IN_USE) && size >= BLOCK_MIN && size - HEAP_UNIT >= bytes &&
	       size <= v->end - (obj - HEAP_UNIT) &&
	       bw_tag(bw) == block_tag(v->seed, obj - HEAP_UNIT, size);
}

/* What a walk for shmheap_stats adds up; library_apart: the library's own
 * blocks get figures of their own (0.5.0 on), else they count as objects. */
struct count {
	struct shmheap_stats *st;
	bool library_apart;
};

static int count_block(const struct shmheap_block *blk, int kind, void *arg)
{
	const struct count *c = arg;
	struct shmheap_stats *st = c->st;
	if (kind == HEAP_BLOCK_OWN) {
		/* A layer's bookkeeping (a cached heap's table, before the first
		 * object) counts as the header's. */
		st->header_size += blk->size + HEAP_UNIT;
	} else if (kind == HEAP_BLOCK_LIBRARY && c->library_apart) {
		st->library_blocks++;
		st->library_bytes += blk->size + HEAP_UNIT;
	} else if (blk->in_use) {
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

static int stats_of(struct shmheap_heap *mem, struct shmheap_stats *st, bool library_apart)
{
	struct view v;
	if (!mem || !st) {
		errno = EINVAL;
		return -1;
	}
	*st = (struct shmheap_stats){0};
	if (view_open(&v, mem) < 0)
		return -1;
	st->header_size = HEAP_FIRST_OBJECT;
	struct count c = {st, library_apart};
	int ret = walk_blocks(mem, &v.v, count_block, &c);
	st->heap_size = v.v.size;
	st->max_size = heap_max_bytes(v.v.hdr);
	ret = view_close(&v, mem, ret);
	st->invalid_frees = __atomic_load_n(&mem->invalid_frees, __ATOMIC_RELAXED);
	return ret;
}

/*
 * shmheap_stats has two versions.  The default, SHMHEAP_0.5, fills the whole
 * structure and counts the library's own blocks apart.  Programs linked
 * against 0.1 to 0.4 call shmheap_stats@SHMHEAP_0.1, whose structure ends at
 * invalid_frees: it writes no further, and gives the figures it always gave.
 */
struct shmheap_stats_0_1 {
	size_t heap_size, max_size, header_size, used_bytes, free_bytes, overhead_bytes,
		largest_free, objects, free_blocks, invalid_frees;
};
_Static_assert(sizeof(struct shmheap_stats_0_1) ==
		       offsetof(struct shmheap_stats, library_bytes),
	       "the 0.1 structure is the 0.5 one without its last fields");

EXPORT int shmheap_stats_0_5(shmheap_memory_handle mem, struct shmheap_stats *st);
EXPORT int shmheap_stats_0_1(shmheap_memory_handle mem, struct shmheap_stats_0_1 *st);

__asm__(".symver shmheap_stats_0_5, shmheap_stats@@SHMHEAP_0.5");
int shmheap_stats_0_5(shmheap_memory_handle mem, struct shmheap_stats *st)
{
	return stats_of(mem, st, true);
}

__asm__(".symver shmheap_stats_0_1, shmheap_stats@SHMHEAP_0.1");
int shmheap_stats_0_1(shmheap_memory_handle mem, struct shmheap_stats_0_1 *st)
{
	if (!st) {
		errno = EINVAL;
		return -1;
	}
	struct shmheap_stats all = {0};
	int ret = stats_of(mem, &all, false);
	memcpy(st, &all, sizeof(*st));
	return ret;
}

struct check_ctx {
	const struct shmheap_heap *h;
	const struct heap_view *v;
	shmheap_problem_fn fn; /* NULL: stop at the first problem */
	void *arg;
	int problems;
	int tiny;	  /* the sequence matched: the main treap (0), the tiny
			   * one (1), or every free block (2: a fitmap) */
	bool told_torn;	  /* the truncation was reported */
	heap_off cursor;  /* end of the last index node that matched a block */
	heap_off walk;	  /* the chain position after pending */
	heap_off pending; /* the next free block of the chain the index must name */
	/* Where check_chain found the first and last free block of each treap
	 * (main, tiny): the merge walks the chain between them only. */
	heap_off first_free[3], last_free[3];
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

/* report, for those that tell of problems through a callback (fi_verify,
 * the layers' checks). */
static void problem(heap_off off, const char *problem, void *arg)
{
	report(arg, off, problem);
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

/* Moves pending to the next free block of the treap being checked, walking
 * the chain on from walk; the end of the heap when there is none.  (Compiled
 * twice, as blocks_from is.) */
static inline __attribute__((always_inline)) void pending_from(struct check_ctx *c,
							       const unsigned char *base)
{
	const struct heap_view *v = c->v;
	const heap_off end = v->end, last = c->last_free[c->tiny];
	const int tiny = c->tiny;
	for (heap_off off = c->walk; off < end && off <= last;) {
		uint64_t bw = hr_word_from(base, &v->r, off);
		uint64_t size = block_step(off, bw, end);
		if (!size)
			break; /* check_chain reports it */
		if (!(bw & BW_IN_USE) && (tiny == 2 || (size == BLOCK_MIN) == tiny)) {
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
	uint64_t size = block_step(off, bw, c->v->end);
	if (off >= c->cursor && size)
		c->cursor = off + size;
	while (c->pending < c->cursor)
		next_pending(c);
}

/* An in-use block whose tag is not the live one: a layer's (in a cached
 * heap the table, or a block in a process's cache), or damage. */
static void check_tag(struct check_ctx *c, heap_off off, uint64_t bw)
{
	for (unsigned i = 0; i < c->h->layers; i++) {
		const struct heap_layer_ops *l = c->h->layer[i];
		if (l->check_block && l->check_block(c->v, off, bw, problem, c))
			return;
	}
	report(c, off, "live block's tag is wrong");
}

/* The chain, block by block.  (Compiled twice, as blocks_from is.) */
static inline __attribute__((always_inline)) void chain_from(struct check_ctx *c,
							     const unsigned char *base)
{
	const struct heap_view *v = c->v;
	uint64_t prev_state = BW_PREV_USED;
	bool prev_free = false;

	for (heap_off off = HEAP_FIRST_BLOCK; off < v->size && !done(c);) {
		if (off >= v->end) {
			report(c, off, "heap is longer than its object (truncated)");
			c->told_torn = true;
			return;
		}
		uint64_t bw = hr_word_from(base, &v->r, off);
		if (!base && torn_at(c, off))
			return;
		uint64_t size = block_step(off, bw, v->size);
		if (!size) {
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
			int tiny = size == BLOCK_MIN;
			if (!c->first_free[tiny])
				c->first_free[tiny] = off;
			c->last_free[tiny] = off;
			if (!c->first_free[2])
				c->first_free[2] = off;
			c->last_free[2] = off;
		}
		if ((bw & BW_PREV_MASK) != prev_state)
			report(c, off,
			       "block's prev field disagrees with the block before it");
		if (used && bw_tag(bw) != block_tag(v->seed, off, size))
			check_tag(c, off, bw);
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
	const struct heap_header *hdr = c->v->hdr;
	if (hdr->magic != HEAP_MAGIC || hdr->version != HEAP_LAYOUT_VERSION)
		report(c, 0, "header magic or layout version is wrong");
	if (hdr->max_pages < hdr->size_pages || heap_max_bytes(hdr) > HEAP_MAX_SIZE)
		report(c, 0, "header sizes are inconsistent");
	if (hdr->seed != c->v->seed)
		report(c, 0, "header seed changed");
	if ((hdr->flags & HEAP_FLAG_FITMAP) && (hdr->main_root || hdr->tiny_root))
		report(c, 0, "treap roots set in a heap whose index is a fitmap");
	/* The flags chose the heap's layers; only the record's and the mark of
	 * damage are set later. */
	if ((hdr->flags ^ c->h->heap_flags) & ~(HEAP_FLAG_EXT | HEAP_FLAG_DAMAGED))
		report(c, 0, "header flags changed");
	/* The mark stays (see HEAP_FLAG_DAMAGED): so does this problem. */
	if (hdr->flags & HEAP_FLAG_DAMAGED)
		report(c, 0, "heap marked damaged: a call met damage in it");
}

/* The index's blocks of sequence seq (check_ctx.tiny) are about to be matched
 * against the chain's, in address order (match_node); match_end reports the
 * chain's free blocks the index did not name. */
static void match_begin(struct check_ctx *c, int seq)
{
	c->tiny = seq;
	c->cursor = HEAP_FIRST_BLOCK;
	c->walk = c->first_free[seq] ? c->first_free[seq] : c->v->end;
	next_pending(c);
}

static void match_end(struct check_ctx *c)
{
	if (!done(c) && c->pending != c->v->end)
		report(c, c->pending, "free block missing from the index");
}

/*
 * A fitmap lies after the heap's last block: it is read when the object
 * holds it whole, through the mapping under the lock (which maps it with
 * the heap) or through windows of its own.
 */
static void check_fitmap(struct check_ctx *c, const struct view *vw)
{
	const struct heap_view *v = c->v;
	uint64_t span = fm_span(v->size, true);
	if (v->end < v->size || vw->length < span || v->size > HEAP_MAX_SIZE) {
		report(c, v->size, "free-block index missing (object shorter than heap and index)");
		return;
	}
	match_begin(c, 2);
	if (v->r.base) {
		fm_verify(&v->r, v->size, match_node, problem, c);
	} else {
		struct heap_windows win;
		hr_windows_init(&win, vw->win.b, span, NULL);
		struct heap_reader r = {.win = &win};
		fm_verify(&r, v->size, match_node, problem, c);
		if (win.torn || win.err)
			report(c, v->size, "free-block index could not be read (object truncated)");
		hr_windows_free(&win);
	}
	match_end(c);
}

static int verify_view(const struct shmheap_heap *h, const struct view *vw,
		       shmheap_problem_fn fn, void *arg)
{
	const struct heap_view *v = &vw->v;
	struct check_ctx c = {.h = h, .v = v, .fn = fn, .arg = arg};
	check_header(&c);
	check_chain(&c);
	if (v->hdr->flags & HEAP_FLAG_FITMAP)
		check_fitmap(&c, vw);
	for (int tiny = 0; tiny < 2 && !done(&c) && !(v->hdr->flags & HEAP_FLAG_FITMAP);
	     tiny++) {
		match_begin(&c, tiny);
		heap_unit root = tiny ? v->hdr->tiny_root : v->hdr->main_root;
		/* problem counts each problem it is told of. */
		fi_verify(&v->r, root, tiny, v->end, match_node, problem, &c);
		match_end(&c);
	}
	/* The layers' structures: the names directory (names-check.c), a
	 * cached heap's table (cache-check.c). */
	for (unsigned i = 0; i < h->layers && !done(&c); i++)
		if (h->layer[i]->check)
			h->layer[i]->check(v, problem, &c);
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
	return verify_view(mem, &v, fn, arg);
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
	/* What dead processes held (their caches) returns to the heap first. */
	if (view_open_sweeping(&v, mem, true) < 0)
		return -1;
	int problems = verify_view(mem, &v, fn ? fn : count_only, arg);
	return view_close(&v, mem, problems);
}
