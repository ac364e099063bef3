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
#include <string.h>
#include <sys/mman.h>

#include "connection.h"
#include "inspect.h"
#include "layer.h"
#include "lock.h"

/*
 * What one call reads.  A locked connection reads its shared mapping, bounded
 * by the object's length, looked up again once the lock is held: a heap
 * truncated while the caller waited is reported, not read past its end
 * (which would raise SIGBUS).  An unlocked connection reads a private copy
 * made with pread: another process may grow, change or truncate the heap at
 * any moment, and a shared mapping of a truncated object raises SIGBUS.
 */
struct view {
	struct heap_view v;
	struct free_index index; /* over v.base, for fi_verify */
	void *copy;		 /* the private copy, or NULL */
	size_t copy_len;
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void view_set(struct view *vw, const struct shmheap_heap *h,
		     const unsigned char *base, uint64_t readable)
{
	struct heap_view *v = &vw->v;
	v->base = base;
	v->hdr = (const struct heap_header *)(const void *)base;
	v->size = heap_size_bytes(v->hdr);
	v->end = min_u64(v->size, readable);
	v->seed = h->seed;
	vw->index.base = (unsigned char *)(uintptr_t)base;
	vw->index.hdr = (struct heap_header *)(uintptr_t)v->hdr;
}

/* The view of a heap whose lock the caller holds. */
static int view_locked(struct view *v, struct shmheap_heap *h)
{
	size_t len;
	*v = (struct view){0};
	if (h->backing.ops->length(&h->backing, &len) < 0)
		return -1;
	view_set(v, h, h->base, min_u64(len, heap_mapped_bytes(h)));
	return 0;
}

/*
 * A private copy of the heap, for a connection that does not lock.  The
 * header is read first and the object's length after it: a grower extends
 * the object before it publishes the new size, so a heap that only grew
 * never looks longer than the copy.
 */
static int view_copy(struct view *v, struct shmheap_heap *h)
{
	struct heap_header hdr;
	size_t len;
	*v = (struct view){0};
	if (h->backing.ops->read(&h->backing, &hdr, sizeof(hdr), 0) < 0 ||
	    h->backing.ops->length(&h->backing, &len) < 0) {
		if (errno == EINVAL)
			errno = EUCLEAN; /* shorter than a header: truncated */
		return -1;
	}
	len = min_u64(len, min_u64(h->reserved, heap_size_bytes(&hdr)));
	if (len < sizeof(hdr))
		len = sizeof(hdr);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	ssize_t got = h->backing.ops->read_upto(&h->backing,
						(unsigned char *)p + sizeof(hdr),
						len - sizeof(hdr), sizeof(hdr));
	if (got < 0) {
		int err = errno;
		munmap(p, len);
		errno = err;
		return -1;
	}
	memcpy(p, &hdr, sizeof(hdr));
	v->copy = p;
	v->copy_len = len;
	view_set(v, h, p, sizeof(hdr) + (uint64_t)got);
	return 0;
}

/* Takes what a reading call needs: the lock and a view, or a copy. */
static int view_open(struct view *v, struct shmheap_heap *h)
{
	if ((h->connect_flags & SHMHEAP_CONNECT_UNLOCKED))
		return view_copy(v, h);
	if (heap_read_lock(h) < 0)
		return -1;
	if (view_locked(v, h) < 0) {
		int err = errno;
		heap_read_unlock(h);
		errno = err;
		return -1;
	}
	return 0;
}

static void view_close(struct view *v, struct shmheap_heap *h)
{
	int err = errno;
	if (v->copy)
		munmap(v->copy, v->copy_len);
	else
		heap_read_unlock(h);
	errno = err;
}

int heap_view_blocks(const struct heap_view *v,
		     int (*fn)(const struct heap_view *v, heap_off off, uint64_t bw,
			       void *arg),
		     void *arg)
{
	heap_off off = HEAP_FIRST_BLOCK;
	while (off < v->end) {
		uint64_t bw = view_word(v, off);
		uint64_t size = block_step(off, bw, v->end);
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
	struct shmheap_block blk = {off + HEAP_UNIT, size - HEAP_UNIT,
				    kind == HEAP_BLOCK_OBJECT || kind == HEAP_BLOCK_OWN};
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
	int ret = walk_blocks(mem, &v.v, walk_user, &u);
	view_close(&v, mem);
	return ret;
}

int heap_view_run(struct shmheap_heap *h, int (*fn)(const struct heap_view *v, void *arg),
		  void *arg)
{
	struct view v;
	if (view_open(&v, h) < 0)
		return -1;
	int ret = fn(&v.v, arg);
	view_close(&v, h);
	return ret;
}

int heap_view_live(const struct heap_view *v, heap_off obj, uint64_t bytes)
{
	if (obj < HEAP_FIRST_OBJECT || obj % HEAP_UNIT || obj >= v->end)
		return 0;
	uint64_t bw = __atomic_load_n((const uint64_t *)(const void *)(v->base + obj -
								       HEAP_UNIT),
				      __ATOMIC_ACQUIRE);
	uint64_t size = bw_size(bw);
	return (bw & BW_IN_USE) && size >= BLOCK_MIN && size - HEAP_UNIT >= bytes &&
	       size <= v->end - (obj - HEAP_UNIT) &&
	       bw_tag(bw) == block_tag(v->seed, obj - HEAP_UNIT, size);
}

static int count_block(const struct shmheap_block *blk, int kind, void *arg)
{
	struct shmheap_stats *st = arg;
	if (kind == HEAP_BLOCK_OWN) {
		/* A layer's bookkeeping (a cached heap's table, before the first
		 * object) counts as the header's. */
		st->header_size += blk->size + HEAP_UNIT;
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
	st->header_size = HEAP_FIRST_OBJECT;
	int ret = walk_blocks(mem, &v.v, count_block, st);
	st->heap_size = v.v.size;
	st->max_size = heap_max_bytes(v.v.hdr);
	view_close(&v, mem);
	st->invalid_frees = __atomic_load_n(&mem->invalid_frees, __ATOMIC_RELAXED);
	return ret;
}

struct check_ctx {
	const struct shmheap_heap *h;
	const struct heap_view *v;
	shmheap_problem_fn fn; /* NULL: stop at the first problem */
	void *arg;
	int problems;
	bool tiny;	  /* the treap being matched */
	heap_off cursor;  /* end of the last index node that matched a block */
	heap_off walk;	  /* the chain position after pending */
	heap_off pending; /* the next free block of the chain the index must name */
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

/* Moves pending to the next free block of the treap being checked, walking
 * the chain on from walk; the end of the heap when there is none. */
static void next_pending(struct check_ctx *c)
{
	const struct heap_view *v = c->v;
	while (c->walk < v->end) {
		heap_off off = c->walk;
		uint64_t bw = view_word(v, off);
		uint64_t size = block_step(off, bw, v->end);
		if (!size)
			break; /* check_chain reports it */
		c->walk = off + size;
		if (!(bw & BW_IN_USE) && (size == BLOCK_MIN) == c->tiny) {
			c->pending = off;
			return;
		}
	}
	c->walk = v->end;
	c->pending = v->end;
}

/*
 * Index nodes come in address order and must be exactly the free blocks of
 * the chain: the two sequences are merged, each walked once.  fi_verify only
 * passes nodes whose first words lie inside the view.
 */
static void match_node(heap_off off, void *arg)
{
	struct check_ctx *c = arg;
	if (done(c))
		return;
	if (off != c->pending)
		report(c, off, "free-block index and block chain disagree");
	uint64_t size = block_step(off, view_word(c->v, off), c->v->end);
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

static void check_chain(struct check_ctx *c)
{
	const struct heap_view *v = c->v;
	uint64_t prev_state = BW_PREV_USED;
	bool prev_free = false;

	for (heap_off off = HEAP_FIRST_BLOCK; off < v->size && !done(c);) {
		if (off >= v->end) {
			report(c, off, "heap is longer than its object (truncated)");
			return;
		}
		uint64_t bw = view_word(v, off);
		uint64_t size = block_step(off, bw, v->size);
		if (!size) {
			report(c, off,
			       "block size breaks the chain (blocks do not tile the heap)");
			return;
		}
		if (size > v->end - off) {
			report(c, off, "heap is longer than its object (truncated)");
			return;
		}
		bool used = bw & BW_IN_USE;
		if ((bw & BW_PREV_MASK) != prev_state)
			report(c, off,
			       "block's prev field disagrees with the block before it");
		if (used && bw_tag(bw) != block_tag(v->seed, off, size))
			check_tag(c, off, bw);
		if (!used && prev_free)
			report(c, off, "two adjacent free blocks");
		if (!used && size >= BLOCK_FOOTER_MIN &&
		    view_word(v, off + size - HEAP_UNIT) != size)
			report(c, off, "free block's footer is wrong");
		prev_free = !used;
		prev_state = used ? BW_PREV_USED : prev_state_for_free(size);
		off += size;
	}
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
	/* The flags chose the heap's layers; only the record's is set later. */
	if ((hdr->flags ^ c->h->heap_flags) & ~HEAP_FLAG_EXT)
		report(c, 0, "header flags changed");
}

static int verify_view(const struct shmheap_heap *h, const struct view *vw,
		       shmheap_problem_fn fn, void *arg)
{
	const struct heap_view *v = &vw->v;
	struct check_ctx c = {.h = h, .v = v, .fn = fn, .arg = arg};
	check_header(&c);
	check_chain(&c);
	for (int tiny = 0; tiny < 2 && !done(&c); tiny++) {
		c.tiny = tiny;
		c.cursor = HEAP_FIRST_BLOCK;
		c.walk = HEAP_FIRST_BLOCK;
		next_pending(&c);
		/* problem counts each problem it is told of. */
		fi_verify(&vw->index, tiny, v->end, match_node, problem, &c);
		if (!done(&c) && c.pending != v->end)
			report(&c, c.pending, "free block missing from the index");
	}
	/* The layers' structures: the names directory (names-check.c), a
	 * cached heap's table (cache-check.c). */
	for (unsigned i = 0; i < h->layers && !done(&c); i++)
		if (h->layer[i]->check)
			h->layer[i]->check(v, problem, &c);
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
	if (view_open(&v, mem) < 0)
		return -1;
	/* What dead processes held (their caches) returns to the heap first. */
	for (unsigned i = 0; i < mem->layers; i++)
		if (mem->layer[i]->sweep &&
		    !(mem->connect_flags & SHMHEAP_CONNECT_INSPECT))
			mem->layer[i]->sweep(mem);
	int problems = verify_view(mem, &v, fn ? fn : count_only, arg);
	view_close(&v, mem);
	return problems;
}
