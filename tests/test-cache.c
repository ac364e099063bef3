/* SPDX-License-Identifier: MIT */
/*
 * test-cache.c - cached heaps (SHMHEAP_CACHED): the table, the accounting,
 * refused frees, flushing, forked children, and recovery of a dead process's
 * cache at every step of a push, pop, refill and flush.
 *
 * The recovery cases craft the state a process killed between two steps
 * leaves: a child connects (so it owns a slot), lets its cache fill, then
 * replays the first steps of one operation exactly as lib/cache-front.c makes them
 * (block word changes, stack and count, the pending word, holding the lock
 * for refill and flush), tells the parent which blocks must end up free and
 * which live, and kills itself.  The parent's shmheap_check must reclaim the
 * slot, find the heap clean, and hold exactly those blocks in those states.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "layout.h"
#include "testutil.h"

#define HEAP_BYTES (4u << 20)

static shmheap_memory_handle make(const char *tag, const char **name, size_t len)
{
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	*name = tu_name(tag);
	shmheap_memory_handle h = shmheap_create_ex(*name, len, &o);
	ck_assert_msg(h != NULL, "create: %s", strerror(errno));
	return h;
}

static void cache_figures(shmheap_memory_handle h, struct shmheap_cache_stats *cs)
{
	ck_assert_int_eq(shmheap_cache_stats(h, cs, NULL, 0), 0);
}

/* header + used + overhead + free == heap (the first block word counted in
 * header_size and in its block), and cached bytes are part of free. */
static void assert_accounting(shmheap_memory_handle h)
{
	struct shmheap_stats st;
	struct shmheap_cache_stats cs;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	cache_figures(h, &cs);
	ck_assert_uint_eq(st.header_size - HEAP_UNIT + st.used_bytes + st.overhead_bytes +
				  st.free_bytes,
			  st.heap_size);
	ck_assert_uint_le(cs.cached_bytes, st.free_bytes);
}

START_TEST(table_and_flags)
{
	const char *name;
	shmheap_memory_handle h = make("table", &name, HEAP_BYTES);
	struct shmheap_stats st;
	struct shmheap_cache_stats cs;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	unsigned slots;
	uint64_t table = cache_table_block(HEAP_BYTES, &slots);
	ck_assert_uint_eq(slots, CACHE_SLOTS_MAX);
	ck_assert_uint_eq(st.header_size, HEAP_FIRST_BLOCK + table + HEAP_UNIT);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_int_eq(tu_check(h), 0);
	cache_figures(h, &cs);
	ck_assert_uint_eq(cs.slots, CACHE_SLOTS_MAX);
	ck_assert_uint_eq(cs.attached, 1);
	ck_assert_uint_eq(cs.cached_bytes, 0);

	/* The table is no object: freeing it is refused. */
	unsigned char *base = shmheap_underlying(h);
	ck_assert_int_eq(shmheap_free_checked(h, base + HEAP_FIRST_OBJECT), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* The flag is the heap's: a second connection gets a slot too. */
	shmheap_memory_handle g = shmheap_connect(name);
	ck_assert_ptr_nonnull(g);
	cache_figures(g, &cs);
	ck_assert_uint_eq(cs.attached, 2);
	struct shmheap_cache_proc procs[4];
	ck_assert_int_eq(shmheap_cache_stats(g, &cs, procs, 4), 0);
	ck_assert_int_eq(procs[0].pid, getpid());
	ck_assert_int_eq(procs[0].alive, 1);
	shmheap_disconnect(g);
	cache_figures(h, &cs);
	ck_assert_uint_eq(cs.attached, 1);

	/* A default heap reports no cache. */
	const char *plain = tu_name("plain");
	shmheap_memory_handle p = shmheap_create(plain, 1 << 16);
	ck_assert_int_eq(shmheap_cache_stats(p, &cs, NULL, 0), 0);
	ck_assert_uint_eq(cs.slots, 0);
	ck_assert_int_eq(shmheap_cache_stats(NULL, &cs, NULL, 0), -1);
	ck_assert_int_eq(shmheap_cache_stats(p, NULL, NULL, 0), -1);
	shmheap_destroy(plain, p);

	/* Too small for its table; unknown flags are still refused. */
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	ck_assert_ptr_null(shmheap_create_ex(tu_name("tiny"), 4096, &o));
	ck_assert_int_eq(errno, EINVAL);
	o.flags = 0x80;
	ck_assert_ptr_null(shmheap_create_ex(tu_name("bad"), 1 << 16, &o));
	ck_assert_int_eq(errno, EINVAL);
	/* Small heaps get fewer slots. */
	o.flags = SHMHEAP_CACHED | SHMHEAP_NO_GROW;
	const char *small = tu_name("small");
	p = shmheap_create_ex(small, 1 << 17, &o);
	ck_assert_ptr_nonnull(p);
	cache_figures(p, &cs);
	ck_assert_uint_eq(cs.slots, 1);
	ck_assert_int_eq(tu_check(p), 0);
	shmheap_destroy(small, p);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(objects_roundtrip)
{
	const char *name;
	shmheap_memory_handle h = make("round", &name, HEAP_BYTES);
	enum { N = 4000 };
	static char *obj[N];
	static uint32_t len[N];
	uint64_t rng = 19;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++) {
			len[i] = (uint32_t)(tu_rand(&rng) % 300);
			obj[i] = shmheap_alloc(h, len[i]);
			ck_assert_ptr_nonnull(obj[i]);
			tu_fill(obj[i], len[i], (uint32_t)i, len[i]);
			if (i % 7 == 0) {
				ck_assert_int_eq(shmheap_free_checked(h, obj[i]), 0);
				obj[i] = NULL;
			}
		}
		ck_assert_int_eq(tu_check(h), 0);
		assert_accounting(h);
		for (int i = 0; i < N; i++) {
			if (!obj[i])
				continue;
			ck_assert_int_lt(tu_verify(obj[i], len[i], (uint32_t)i, len[i]),
					 0);
			ck_assert_int_eq(shmheap_free_checked(h, obj[i]), 0);
		}
		ck_assert_int_eq(tu_check(h), 0);
		assert_accounting(h);
	}
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	shmheap_destroy(name, h);
}
END_TEST

static struct tu_layout snapshot(shmheap_memory_handle h, struct shmheap_cache_stats *cs)
{
	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	cache_figures(h, cs);
	return l;
}

static void assert_unchanged(shmheap_memory_handle h, struct tu_layout *before,
			     const struct shmheap_cache_stats *cs_before)
{
	struct shmheap_cache_stats cs;
	struct tu_layout after = snapshot(h, &cs);
	ck_assert(tu_layout_equal(before, &after));
	ck_assert_uint_eq(cs.cached_bytes, cs_before->cached_bytes);
	ck_assert_uint_eq(cs.cached_blocks, cs_before->cached_blocks);
	tu_layout_free(&after);
	tu_layout_free(before);
}

START_TEST(bad_frees_refused)
{
	const char *name;
	shmheap_memory_handle h = make("refuse", &name, HEAP_BYTES);
	const char *other_name = tu_name("other");
	shmheap_memory_handle other = shmheap_create(other_name, 1 << 16);
	char *a = shmheap_alloc(h, 40), *b = shmheap_alloc(h, 40);
	char *big = shmheap_alloc(h, 1000);
	char *foreign = shmheap_alloc(other, 40);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(shmheap_free_checked(h, a), 0); /* into the cache */

	struct shmheap_cache_stats cs;
	struct tu_layout before = snapshot(h, &cs);
	ck_assert_uint_gt(cs.cached_blocks, 0);
	/* A cached block, pointers into objects, another heap's object and the
	 * cache table (the heap's first object): each refused. */
	char *table = (char *)shmheap_underlying(h) + HEAP_FIRST_OBJECT;
	char *bad[] = {a, b + 8, b + 1, big + 16, foreign, table};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_free_checked(h, bad[i]) == -1 && errno == EINVAL,
			      "bad free %zu accepted", i);
	}
	assert_unchanged(h, &before, &cs);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.invalid_frees, sizeof(bad) / sizeof(bad[0]));

	/* A block in another connection's cache cannot be freed again either. */
	shmheap_memory_handle g = shmheap_connect(name);
	char *gb = shmheap_handle_to_ptr(g, shmheap_ptr_to_handle(h, b));
	ck_assert_int_eq(shmheap_free_checked(g, gb), 0);
	before = snapshot(h, &cs);
	ck_assert_int_eq(shmheap_free_checked(h, b), -1);
	ck_assert_int_eq(shmheap_free_checked(g, gb), -1);
	assert_unchanged(h, &before, &cs);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_disconnect(g);
	ck_assert_int_eq(shmheap_free_checked(h, b), -1); /* flushed: free for real */
	ck_assert_int_eq(shmheap_free_checked(h, big), 0);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(other_name, other);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(disconnect_flushes_and_bounds)
{
	const char *name;
	shmheap_memory_handle h = make("flush", &name, HEAP_BYTES);
	shmheap_memory_handle g = shmheap_connect(name);
	enum { N = 2000 };
	static void *p[N];
	for (int i = 0; i < N; i++)
		ck_assert_ptr_nonnull(p[i] = shmheap_alloc(g, (size_t)(i % 31) * 8 + 8));
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(shmheap_free_checked(g, p[i]), 0);
	struct shmheap_cache_stats cs;
	struct shmheap_cache_proc procs[2];
	ck_assert_int_eq(shmheap_cache_stats(h, &cs, procs, 2), 0);
	ck_assert_uint_eq(cs.attached, 2);
	/* The bound: the table's depth in blocks per class. */
	unsigned depth = cache_depth_for(HEAP_BYTES);
	uint64_t bound = 0;
	for (unsigned k = 0; k < CACHE_CLASSES; k++)
		bound += depth * cache_class_size(k);
	ck_assert_uint_gt(procs[1].cached_bytes, 0);
	ck_assert_uint_le(procs[1].cached_bytes, bound);
	ck_assert_uint_le(procs[1].cached_blocks, depth * CACHE_CLASSES);
	shmheap_disconnect(g);
	cache_figures(h, &cs);
	ck_assert_uint_eq(cs.attached, 1);
	ck_assert_uint_eq(cs.cached_bytes, 0);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* The depth a connection reads from the heap's table. */
static unsigned table_depth(shmheap_memory_handle h)
{
	unsigned char *base = shmheap_underlying(h);
	return cache_table_depth(
		(struct cache_table *)(void *)(base + HEAP_FIRST_OBJECT));
}

/* Rewrites the table of a heap nobody is connected to as 0.3.0 laid it
 * out: no depth recorded, 4,384-byte slots right after a 16-byte header. */
static void make_legacy_table(const char *name)
{
	int fd = shm_open(name, O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	size_t len = 1u << 20;
	unsigned char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(base, MAP_FAILED);
	close(fd);
	struct cache_table *t = (struct cache_table *)(void *)(base + HEAP_FIRST_OBJECT);
	uint64_t block = bw_size(*block_word(base, HEAP_FIRST_BLOCK));
	ck_assert_uint_ge(block, HEAP_UNIT + cache_table_bytes(t->slots, 0));
	memset((unsigned char *)t + CACHE_TABLE_HEAD_LEGACY, 0,
	       block - HEAP_UNIT - CACHE_TABLE_HEAD_LEGACY);
	t->depth = 0;
	ck_assert_uint_eq(cache_slot_stride(0), 4384);
	munmap(base, len);
}

/* Big heaps get deep stacks; a table written without a depth (0.3.0) is read
 * with the depth it had then; a refill fills half a stack. */
START_TEST(depth_by_heap_size)
{
	const struct {
		size_t len;
		int legacy;
		unsigned depth;
	} cases[] = {
		{HEAP_BYTES, 0, 16},
		{32u << 20, 0, 32},
		{64u << 20, 0, 64},
		{HEAP_BYTES, 1, CACHE_DEPTH_LEGACY},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name;
		shmheap_memory_handle h = make("depth", &name, cases[i].len);
		if (cases[i].legacy) {
			shmheap_disconnect(h);
			make_legacy_table(name);
			h = shmheap_connect(name);
			ck_assert_ptr_nonnull(h);
		}
		shmheap_memory_handle g = shmheap_connect(name);
		ck_assert_ptr_nonnull(g);
		void *p[3];
		for (int j = 0; j < 3; j++)
			ck_assert_ptr_nonnull(p[j] = shmheap_alloc(g, 200));
		unsigned depth = table_depth(h);
		ck_assert_uint_eq(depth, cases[i].depth);
		struct shmheap_cache_stats cs;
		cache_figures(h, &cs);
		ck_assert_uint_eq(cs.cached_blocks, depth / 2 - 3);
		ck_assert_uint_eq(cs.cached_bytes, (depth / 2 - 3) * 208);
		ck_assert_uint_le(HEAP_UNIT +
					  cache_table_bytes(cs.slots,
							    cases[i].legacy ? 0 : depth),
				  cases[i].len / 32);
		for (int j = 0; j < 3; j++)
			ck_assert_int_eq(shmheap_free_checked(g, p[j]), 0);
		ck_assert_int_eq(shmheap_free_checked(g, p[0]), -1);
		ck_assert_int_eq(tu_check(h), 0);
		shmheap_disconnect(g);
		cache_figures(h, &cs);
		ck_assert_uint_eq(cs.cached_blocks, 0);
		ck_assert_int_eq(tu_check(h), 0);
		shmheap_destroy(name, h);
	}
}
END_TEST

/* A full heap still takes objects a process holds in its own caches. */
START_TEST(fill_payload)
{
	const char *name;
	struct shmheap_options o = {.flags = SHMHEAP_CACHED | SHMHEAP_NO_GROW};
	name = tu_name("fill");
	shmheap_memory_handle h = shmheap_create_ex(name, 8u << 20, &o);
	ck_assert_ptr_nonnull(h);
	size_t n = 0;
	while (shmheap_alloc(h, 64))
		n++;
	ck_assert_int_eq(errno, ENOMEM);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, n);
	/* 64 of every 72 bytes, less the table: at least 85% payload. */
	ck_assert_msg(st.used_bytes * 100 >= st.heap_size * 85, "payload %zu of %zu",
		      st.used_bytes, st.heap_size);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static void forked_child(void *arg)
{
	shmheap_memory_handle h = arg;
	void *p[100];
	for (int i = 0; i < 100; i++) {
		p[i] = shmheap_alloc(h, 40);
		TU_REQUIRE(p[i] != NULL, "alloc in child: %s", strerror(errno));
	}
	for (int i = 0; i < 100; i++)
		TU_REQUIRE(shmheap_free_checked(h, p[i]) == 0, "free in child");
	TU_REQUIRE(shmheap_free_checked(h, p[0]) == -1, "double free in child");
	shmheap_disconnect(h);
}

/* A child inherits the connection but not the cache: it works through the lock. */
START_TEST(fork_inherits_no_cache)
{
	const char *name;
	shmheap_memory_handle h = make("fork", &name, HEAP_BYTES);
	void *a = shmheap_alloc(h, 40);
	ck_assert_int_eq(shmheap_free_checked(h, a), 0);
	struct shmheap_cache_stats cs;
	cache_figures(h, &cs);
	char why[256];
	pid_t pid = tu_fork(forked_child, h, 30);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	struct shmheap_cache_stats after;
	cache_figures(h, &after);
	ck_assert_uint_eq(after.attached, 1);
	ck_assert_uint_eq(after.cached_bytes, cs.cached_bytes);
	ck_assert_int_eq(tu_check(h), 0);
	ck_assert_ptr_nonnull(shmheap_alloc(h, 40));
	shmheap_destroy(name, h);
}
END_TEST

/* ---- recovery at each step ---- */

enum step {
	IDLE,
	PUSH_BEFORE_CAS,
	PUSH_AFTER_CAS,
	PUSH_AFTER_STORE,
	PUSH_DONE,
	POP_PENDING,
	POP_AFTER_CAS,
	POP_AFTER_COUNT,
	POP_DONE,
	REFILL_PENDING,
	REFILL_ALLOCATED,
	REFILL_MARKED,
	REFILL_PUSHED,
	REFILL_RUN_ALLOCATED,
	REFILL_RUN_CUT,
	FLUSH_PARTIAL,
	FLUSH_DONE,
	STEPS
};

static const char *const step_name[STEPS] = {
	"idle",		 "push before cas", "push after cas",	"push after store",
	"push done",	 "pop pending",	    "pop after tag",	"pop after count",
	"pop done",	 "refill pending",  "refill allocated", "refill marked",
	"refill pushed", "run allocated",   "run cut",		"flush partial",
	"flush done"};

/* What the child reports: offsets of blocks that must be free, and live. */
struct verdict {
	uint32_t nfree, nlive;
	uint64_t free_off[64];
	uint64_t live_off[64];
};

struct craft {
	const char *name;
	enum step step;
	int fd;
};

#define OBJ 40 /* a 48-byte block: class 4 */

static struct cache_slot *my_slot(unsigned char *base, unsigned *index)
{
	struct cache_table *t = (struct cache_table *)(void *)(base + HEAP_FIRST_OBJECT);
	for (unsigned i = 0; i < t->slots; i++)
		if (cache_slot_at(t, t, i)->pid == (uint32_t)getpid()) {
			*index = i;
			return cache_slot_at(t, t, i);
		}
	tu_child_fail(__FILE__, __LINE__, "no slot of mine");
}

static uint64_t live_word(uint32_t seed, heap_off off, uint64_t size)
{
	return size | BW_IN_USE | (uint64_t)block_tag(seed, off, size) << BW_TAG_SHIFT;
}

/* The crafter's connection, reachable when it dies (valgrind's leak check). */
static shmheap_memory_handle volatile crafted; /* volatile: the store stays */

static void crafter(void *arg)
{
	struct craft *c = arg;
	shmheap_memory_handle h = crafted = shmheap_connect(c->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	unsigned char *base = shmheap_underlying(h);
	struct heap_header *hdr = (void *)base;
	uint32_t seed = hdr->seed;
	unsigned idx;
	struct cache_slot *s = my_slot(base, &idx);
	uint64_t x = (uint64_t)cache_slot_xor(idx) << BW_TAG_SHIFT;
	unsigned k = cache_class(OBJ + HEAP_UNIT);
	struct verdict v = {0};

	/* Three live objects, the rest of the refill batch cached. */
	char *obj[3];
	for (int i = 0; i < 3; i++) {
		obj[i] = shmheap_alloc(h, OBJ);
		TU_REQUIRE(obj[i] != NULL, "alloc");
		v.live_off[v.nlive++] = (uint64_t)(obj[i] - (char *)base) - HEAP_UNIT;
	}
	unsigned depth = cache_depth_for(HEAP_BYTES);
	uint32_t *stack = cache_stack(s, depth, k);
	TU_REQUIRE(s->count[k] == depth / 2 - 3, "count %u", s->count[k]);
	for (uint32_t i = 0; i < s->count[k]; i++)
		v.free_off[v.nfree++] = unit_to_off(stack[i]);
	heap_off a = v.live_off[2]; /* the object a push frees */
	uint64_t *aw = block_word(base, a);
	uint64_t top = unit_to_off(stack[s->count[k] - 1]); /* a pop takes it */
	uint64_t *tw = block_word(base, top);
	uint64_t size = OBJ + HEAP_UNIT;

	switch (c->step) {
	case IDLE:
	case PUSH_BEFORE_CAS: /* validated, nothing written: stays an object */
		break;
	case PUSH_AFTER_CAS:
	case PUSH_AFTER_STORE:
	case PUSH_DONE:
		TU_REQUIRE((*aw & ~BW_PREV_MASK) == live_word(seed, a, size), "a live");
		*aw ^= x;
		if (c->step >= PUSH_AFTER_STORE)
			stack[s->count[k]] = off_to_unit(a);
		if (c->step == PUSH_DONE)
			s->count[k]++;
		v.live_off[2] = v.live_off[--v.nlive];
		v.free_off[v.nfree++] = a;
		break;
	case POP_PENDING:
	case POP_AFTER_CAS:
	case POP_AFTER_COUNT:
	case POP_DONE:
		s->pending = CACHE_OP_POP | top;
		if (c->step >= POP_AFTER_CAS)
			*tw ^= x;
		if (c->step >= POP_AFTER_COUNT)
			s->count[k]--;
		if (c->step == POP_DONE) {
			s->pending = 0;
			/* returned: an object now (top was the last entry) */
			v.nfree--;
			v.live_off[v.nlive++] = top;
		}
		break;
	case REFILL_PENDING:
	case REFILL_ALLOCATED:
	case REFILL_MARKED:
	case REFILL_PUSHED: {
		/* The block a refill takes: popped here, it is live and the
		 * stack no longer names it, as after refill's block_alloc. */
		char *b = shmheap_alloc(h, OBJ);
		TU_REQUIRE(b != NULL, "alloc b");
		heap_off boff = (heap_off)(b - (char *)base) - HEAP_UNIT;
		TU_REQUIRE(boff == top, "pop took the top");
		v.nfree--;
		TU_REQUIRE(pthread_mutex_lock(&hdr->lock) == 0, "lock");
		if (c->step == REFILL_PENDING) {
			/* First fit chose a free block, block_alloc has not
			 * run: that block stays free, b stays an object. */
			heap_off f = HEAP_FIRST_BLOCK;
			while (*block_word(base, f) & BW_IN_USE)
				f += bw_size(*block_word(base, f));
			s->pending = CACHE_OP_REFILL | f;
			v.free_off[v.nfree++] = f;
			v.live_off[v.nlive++] = boff;
			break;
		}
		s->pending = CACHE_OP_REFILL | boff;
		uint64_t *bw = block_word(base, boff);
		if (c->step >= REFILL_MARKED)
			*bw ^= x;
		if (c->step == REFILL_PUSHED) {
			stack[s->count[k]] = off_to_unit(boff);
			s->count[k]++;
		}
		v.free_off[v.nfree++] = boff;
		break;
	}
	case REFILL_RUN_ALLOCATED:
	case REFILL_RUN_CUT: {
		/* A run of RUN blocks that block_alloc made live, its tail
		 * marked cached inside it, and (cut) its first block's word
		 * shrunk to one block: every block of it must end up free. */
		enum { RUN = 16 };
		char *r = shmheap_alloc(h, RUN * size - HEAP_UNIT);
		TU_REQUIRE(r != NULL, "alloc run");
		heap_off roff = (heap_off)(r - (char *)base) - HEAP_UNIT;
		TU_REQUIRE(bw_size(*block_word(base, roff)) == RUN * size, "run size");
		TU_REQUIRE(pthread_mutex_lock(&hdr->lock) == 0, "lock");
		s->pending = CACHE_OP_REFILL | roff;
		for (unsigned i = 1; i < RUN; i++) {
			heap_off o = roff + i * size;
			*block_word(base, o) = live_word(seed, o, size) ^ x;
			v.free_off[v.nfree++] = o;
		}
		if (c->step == REFILL_RUN_CUT) {
			uint64_t *rw = block_word(base, roff);
			*rw = live_word(seed, roff, size) | (*rw & BW_PREV_MASK);
		}
		v.free_off[v.nfree++] = roff;
		break;
	}
	case FLUSH_PARTIAL:
	case FLUSH_DONE: {
		TU_REQUIRE(pthread_mutex_lock(&hdr->lock) == 0, "lock");
		/* block_free's commit of the oldest block: free, unmerged */
		heap_off f = unit_to_off(stack[0]);
		uint64_t *fw = block_word(base, f);
		*fw = (*fw & (BW_SIZE_MASK | BW_PREV_MASK)) |
		      (uint64_t)block_priority(seed, f) << BW_TAG_SHIFT;
		if (c->step == FLUSH_DONE) {
			memmove(&stack[0], &stack[1],
				(s->count[k] - 1) * sizeof(uint32_t));
			s->count[k]--;
		}
		break;
	}
	default:
		break;
	}
	tu_write_all(c->fd, &v, sizeof(v));
	kill(getpid(), SIGKILL);
}

static const struct shmheap_block *block_at(const struct tu_layout *l, uint64_t off)
{
	for (size_t i = 0; i < l->n; i++) {
		uint64_t start = l->blk[i].offset - HEAP_UNIT;
		if (off >= start && off < l->blk[i].offset + l->blk[i].size)
			return &l->blk[i];
	}
	return NULL;
}

START_TEST(recovery_steps)
{
	enum step step = (enum step)_i;
	const char *name;
	shmheap_memory_handle h = make("steps", &name, HEAP_BYTES);
	struct shmheap_stats st0;
	ck_assert_int_eq(shmheap_stats(h, &st0), 0);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	struct craft c = {name, step, fds[1]};
	pid_t pid = tu_fork(crafter, &c, 30);
	close(fds[1]);
	struct verdict v;
	ck_assert_msg(tu_read_all(fds[0], &v, sizeof(v)) == 0, "%s: child failed",
		      step_name[step]);
	close(fds[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* The check (after the repair the lock needs) reclaims the slot. */
	ck_assert_msg(tu_check(h) == 0, "%s: heap not clean", step_name[step]);
	struct shmheap_cache_stats cs;
	cache_figures(h, &cs);
	ck_assert_uint_eq(cs.attached, 1);
	ck_assert_uint_eq(cs.cached_blocks, 0);

	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	for (uint32_t i = 0; i < v.nfree; i++) {
		const struct shmheap_block *b = block_at(&l, v.free_off[i]);
		ck_assert_msg(b && !b->in_use, "%s: block %llu not free", step_name[step],
			      (unsigned long long)v.free_off[i]);
	}
	for (uint32_t i = 0; i < v.nlive; i++) {
		const struct shmheap_block *b = block_at(&l, v.live_off[i]);
		ck_assert_msg(b && b->in_use && b->offset == v.live_off[i] + HEAP_UNIT,
			      "%s: object at %llu lost", step_name[step],
			      (unsigned long long)v.live_off[i]);
	}
	tu_layout_free(&l);
	/* Exactly the child's live objects remain, and nothing else. */
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, v.nlive);
	assert_accounting(h);
	for (uint32_t i = 0; i < v.nlive; i++)
		ck_assert_int_eq(shmheap_free_checked(h, (char *)shmheap_underlying(h) +
								 v.live_off[i] +
								 HEAP_UNIT),
				 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- processes killed at random moments ---- */

static void hammer_child(void *arg)
{
	const char *name = arg;
	shmheap_memory_handle h = shmheap_connect(name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	enum { LIVE = 256 };
	char *live[LIVE] = {0};
	uint32_t len[LIVE] = {0};
	uint64_t rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
	for (uint32_t op = 0;; op++) {
		unsigned i = (unsigned)(tu_rand(&rng) % LIVE);
		if (live[i]) {
			TU_REQUIRE(tu_verify(live[i], len[i], i, len[i]) < 0, "corrupt");
			TU_REQUIRE(shmheap_free_checked(h, live[i]) == 0, "free");
			live[i] = NULL;
		} else {
			len[i] = (uint32_t)(tu_rand(&rng) % 400);
			live[i] = shmheap_alloc(h, len[i]);
			TU_REQUIRE(live[i] != NULL, "alloc: %s", strerror(errno));
			tu_fill(live[i], len[i], i, len[i]);
		}
	}
}

START_TEST(killed_processes)
{
	const char *name;
	shmheap_memory_handle h = make("kill", &name, HEAP_BYTES);
	uint64_t rng = 7;
	for (int round = 0; round < 20; round++) {
		pid_t pid[3];
		for (int i = 0; i < 3; i++)
			pid[i] = tu_fork(hammer_child, (void *)name, 60);
		usleep(2000 + (useconds_t)(tu_rand(&rng) % 20000));
		for (int i = 0; i < 3; i++) {
			int status;
			kill(pid[i], SIGKILL);
			ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
			ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
				      "worker failed (status %d)", status);
		}
		ck_assert_int_eq(tu_check(h), 0);
		struct shmheap_cache_stats cs;
		cache_figures(h, &cs);
		ck_assert_uint_eq(cs.attached, 1);
		ck_assert_uint_eq(cs.cached_blocks, 0);
		assert_accounting(h);
	}
	shmheap_destroy(name, h);
}
END_TEST

/* ---- threads sharing one connection's cache ---- */

#define THREADS 4
struct shared {
	shmheap_memory_handle h;
	char *volatile race[THREADS]; /* objects two threads free at once */
	pthread_barrier_t bar;
	unsigned long wins;
};

static void *thread_hammer(void *p)
{
	struct shared *sh = ((void **)p)[0];
	int id = (int)(intptr_t)((void **)p)[1];
	enum { LIVE = 128 };
	char *live[LIVE] = {0};
	uint32_t len[LIVE] = {0};
	uint64_t rng = (uint64_t)(id + 1) * 0x9e3779b97f4a7c15ull;
	for (int op = 0; op < 60000; op++) {
		unsigned i = (unsigned)(tu_rand(&rng) % LIVE);
		if (live[i]) {
			TU_REQUIRE(tu_verify(live[i], len[i], (uint32_t)id, len[i]) < 0,
				   "corrupt");
			TU_REQUIRE(shmheap_free_checked(sh->h, live[i]) == 0, "free");
			live[i] = NULL;
		} else {
			len[i] = (uint32_t)(tu_rand(&rng) % 300);
			live[i] = shmheap_alloc(sh->h, len[i]);
			TU_REQUIRE(live[i] != NULL, "alloc");
			tu_fill(live[i], len[i], (uint32_t)id, len[i]);
		}
	}
	for (unsigned i = 0; i < LIVE; i++)
		if (live[i])
			TU_REQUIRE(shmheap_free_checked(sh->h, live[i]) == 0, "free");
	/* Pairs of threads free the same object at once: one free wins. */
	for (int r = 0; r < 2000; r++) {
		if (id % 2 == 0)
			sh->race[id] = shmheap_alloc(sh->h, 24);
		pthread_barrier_wait(&sh->bar);
		int won = shmheap_free_checked(sh->h, sh->race[id & ~1]) == 0;
		__atomic_add_fetch(&sh->wins, (unsigned long)won, __ATOMIC_RELAXED);
		pthread_barrier_wait(&sh->bar);
	}
	return NULL;
}

START_TEST(threads_share_cache)
{
	const char *name;
	struct shared sh = {0};
	sh.h = make("threads", &name, HEAP_BYTES);
	pthread_barrier_init(&sh.bar, NULL, THREADS);
	pthread_t t[THREADS];
	void *args[THREADS][2];
	for (int i = 0; i < THREADS; i++) {
		args[i][0] = &sh;
		args[i][1] = (void *)(intptr_t)i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_hammer, args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&sh.bar);
	ck_assert_uint_eq(sh.wins, 2000 * THREADS / 2);
	ck_assert_int_eq(tu_check(sh.h), 0);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(sh.h, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.invalid_frees, 2000 * THREADS / 2);
	assert_accounting(sh.h);
	shmheap_destroy(name, sh.h);
}
END_TEST

/* ---- counts another writer of the heap scribbles ---- */

struct scribble {
	uint32_t *count; /* the largest class's count in the child's slot */
	uint32_t depth;
	int stop;
};

static void *scribbler(void *arg)
{
	struct scribble *sc = arg;
	/* In the stack, just past it (the next slot's header), and far away. */
	const uint32_t value[] = {0, sc->depth - 1, sc->depth + 2, 0x3ffffff0u};
	tu_pin_to_cpu(1);
	for (unsigned i = 0; !__atomic_load_n(&sc->stop, __ATOMIC_RELAXED); i++)
		__atomic_store_n(sc->count, value[i % 4], __ATOMIC_RELAXED);
	return NULL;
}

/* The bytes of slot i of the table at t, whose depth field is depth. */
static unsigned char *slot_bytes(unsigned char *t, uint32_t depth, unsigned i)
{
	return t + cache_table_head(depth) + i * cache_slot_stride(depth);
}

/* The scribbled child's connection, reachable when it dies (valgrind). */
static shmheap_memory_handle volatile scribbled;

static void scribbled_child(void *arg)
{
	shmheap_memory_handle h = scribbled = shmheap_connect(arg);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	unsigned char *t = (unsigned char *)shmheap_underlying(h) + HEAP_FIRST_OBJECT;
	struct cache_table *tab = (struct cache_table *)(void *)t;
	uint32_t depth = tab->depth;
	unsigned i = 0;
	while (i < tab->slots &&
	       ((struct cache_slot *)(void *)slot_bytes(t, depth, i))->pid != (uint32_t)getpid())
		i++;
	TU_REQUIRE(i + 1 < tab->slots, "no free slot after mine");
	struct cache_slot *mine = (void *)slot_bytes(t, depth, i);
	unsigned char *next = slot_bytes(t, depth, i + 1);
	size_t stride = cache_slot_stride(depth);

	struct scribble sc = {.count = &mine->count[CACHE_CLASSES - 1],
			      .depth = cache_depth_of(depth)};
	pthread_t th;
	TU_REQUIRE(pthread_create(&th, NULL, scribbler, &sc) == 0, "thread");
	tu_pin_to_cpu(0);
	enum { N = 8 };
	void *p[N];
	for (int round = 0; round < 40000; round++) {
		for (int j = 0; j < N; j++)
			p[j] = shmheap_alloc(h, CACHE_MAX_BLOCK - HEAP_UNIT);
		for (int j = 0; j < N; j++)
			shmheap_free(h, p[j]);
	}
	__atomic_store_n(&sc.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	for (size_t b = 0; b < stride; b++)
		TU_REQUIRE(next[b] == 0, "byte %zu of the next slot written", b);
	/* The stacks are garbage now: end without flushing them, as a killed
	 * process would; the test's sweep reclaims the blocks. */
	kill(getpid(), SIGKILL);
}

/* Before the fix: a count read once to check and again to use let the
 * scribbler move a push (or a refill's pushes) outside the stack. */
START_TEST(scribbled_counts_stay_in_stack)
{
	const char *name;
	shmheap_memory_handle h = make("scribble", &name, HEAP_BYTES);
	char *keep = shmheap_alloc(h, 100);
	ck_assert_ptr_nonnull(keep);
	tu_fill(keep, 100, 9, 9);
	pid_t pid = tu_fork(scribbled_child, (void *)name, 60);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid); /* under alarm */
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child status %#x", status);
	ck_assert_int_eq(tu_check(h), 0);
	struct shmheap_cache_stats cs;
	cache_figures(h, &cs);
	ck_assert_uint_eq(cs.attached, 1);
	ck_assert_int_lt(tu_verify(keep, 100, 9, 9), 0);
	assert_accounting(h);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tu_tcase("cache", 120);
	tcase_add_test(tc, table_and_flags);
	tcase_add_test(tc, objects_roundtrip);
	tcase_add_test(tc, bad_frees_refused);
	tcase_add_test(tc, disconnect_flushes_and_bounds);
	tcase_add_test(tc, depth_by_heap_size);
	tcase_add_test(tc, fill_payload);
	tcase_add_test(tc, fork_inherits_no_cache);
	tcase_add_loop_test(tc, recovery_steps, 0, STEPS);
	tcase_add_test(tc, killed_processes);
	tcase_add_test(tc, threads_share_cache);
	tcase_add_test(tc, scribbled_counts_stay_in_stack);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(cache_suite());
}
