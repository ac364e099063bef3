/* SPDX-License-Identifier: MIT */
/*
 * test-fitmap-kill.c - a process killed inside every update of the fitmap
 * (the free-block index of 0.6 heaps), and the repair that follows.
 *
 * A child of the test runs calls that reach a kill point of the test library
 * (SHMHEAP_TEST_KILL_AT: fitmap:1 .. fitmap:7 inside the index's updates,
 * grow:1 in a growth; lib/fitmap.c, lib/grow.c) and dies there of SIGKILL,
 * the heap lock held.  It records each object it has been given, with the
 * pattern it wrote, in a shared anonymous mapping; an object leaves the
 * record before it is freed.  The parent's next call repairs the heap, and
 * then: shmheap_check finds nothing; every recorded object is in use and
 * intact; and the next allocations land where a first-fit model built from
 * the repaired heap's listing (tests/model.c) says, growth included.
 *
 * fixed_point: one scenario per point, from a fragmented heap: splits,
 * whole blocks taken, frees merging left, right and both ways and freeing
 * the block before the top, growth; each call armed in turn.  random_points:
 * rounds of random calls killed at a random occurrence of a random point, on
 * one heap that goes on from repair to repair (200 rounds,
 * SHMHEAP_TEST_FITMAP_KILLS for more).  fitmap:6 (a block of the map that
 * merges up to the end of the heap and becomes the top: the free of the
 * last object before the top, with a free block before it) is met by the
 * random rounds; the fixed scenario plants such a block
 * (c_plant_top_prio).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model.h"
#include "testutil.h"

/* A block word's tag field and the top's priority in it (lib/layout.h:
 * BW_TAG_SHIFT, BW_TAG_MASK, BLOCK_PRIO_TOP; layout.h and model.h each
 * define round_up). */
#define TAG_SHIFT 36
#define TAG_TOP UINT64_C(0x0fffffff)

#define MAX_REC 4096
#define OWNER 0x29f17a9u
#define NOT_REACHED 3 /* the child's status: it ran out of calls alive */

static const char *const points[] = {"fitmap:1", "fitmap:2", "fitmap:3", "fitmap:4",
				     "fitmap:5", "fitmap:6", "fitmap:7", "grow:1"};
#define N_POINTS (sizeof(points) / sizeof(points[0]))

struct rec {
	uint64_t off; /* the object's */
	uint32_t size, seq;
};

/* Shared between the test and its children (MAP_SHARED | MAP_ANONYMOUS). */
struct shared {
	uint32_t n;
	struct rec r[MAX_REC];
};

/* ---- the child ------------------------------------------------------------ */

struct child {
	shmheap_memory_handle h;
	char *base;
	struct shared *sh;
	uint32_t seq;
	uint64_t rng;
};

static void c_record(struct child *c, char *p, size_t sz)
{
	TU_REQUIRE(c->sh->n < MAX_REC, "too many objects");
	tu_fill(p, sz, OWNER, c->seq);
	c->sh->r[c->sh->n] = (struct rec){(uint64_t)(p - c->base), (uint32_t)sz, c->seq};
	c->sh->n++;
	c->seq++;
}

static char *c_alloc(struct child *c, size_t sz)
{
	char *p = shmheap_alloc(c->h, sz);
	TU_REQUIRE(p != NULL, "alloc(%zu): %s", sz, strerror(errno));
	c_record(c, p, sz);
	return p;
}

static void c_aligned(struct child *c, size_t align, size_t sz)
{
	char *p = shmheap_alloc_aligned(c->h, align, sz);
	TU_REQUIRE(p != NULL, "aligned(%zu, %zu): %s", align, sz, strerror(errno));
	c_record(c, p, sz);
}

/* Frees record i: out of the record first, so that a kill inside the free
 * leaves nothing the parent would look for. */
static void c_free(struct child *c, uint32_t i)
{
	struct rec v = c->sh->r[i];
	c->sh->r[i] = c->sh->r[c->sh->n - 1];
	c->sh->n--;
	TU_REQUIRE(tu_verify(c->base + v.off, v.size, OWNER, v.seq) < 0,
		   "object at %llu overwritten", (unsigned long long)v.off);
	TU_REQUIRE(shmheap_free_checked(c->h, c->base + v.off) == 0, "free: %s",
		   strerror(errno));
}

/* The record of the object at p. */
static uint32_t c_index(struct child *c, const char *p)
{
	for (uint32_t i = 0; i < c->sh->n; i++)
		if (c->base + c->sh->r[i].off == p)
			return i;
	tu_child_fail(__FILE__, __LINE__, "no record of %td", p - c->base);
}

static void c_free_ptr(struct child *c, const char *p)
{
	c_free(c, c_index(c, p));
}

static size_t heap_size_of(shmheap_memory_handle h)
{
	struct shmheap_stats st;
	TU_REQUIRE(shmheap_stats(h, &st) == 0, "stats: %s", strerror(errno));
	return st.heap_size;
}

/* Mostly 1..64 bytes, some 65..600, a few up to 8 KiB. */
static size_t random_size(uint64_t r)
{
	if (r % 10 < 7)
		return 1 + (r >> 8) % 64;
	if (r % 10 < 9)
		return 65 + (r >> 8) % 536;
	return 601 + (r >> 8) % 8000;
}

/* Random calls: alloc (mostly small), aligned, free, and now and then a
 * growth by a page or an object of a quarter of the heap (at most 256 KiB),
 * which grows it when no hole holds it. */
static void c_random(struct child *c, unsigned long steps)
{
	for (unsigned long s = 0; s < steps; s++) {
		unsigned pick = (unsigned)(tu_rand(&c->rng) % 1000);
		unsigned bias = c->sh->n < 200 ? 700 : c->sh->n >= 1500 ? 0 : 500;
		if (c->sh->n == 0 || pick < bias) {
			uint64_t r = tu_rand(&c->rng);
			size_t sz = random_size(r);
			if (r % 32 == 0)
				c_aligned(c, (size_t)16 << ((r >> 40) % 7), sz);
			else
				c_alloc(c, sz);
		} else if (pick >= 996) {
			size_t size = heap_size_of(c->h);
			if (pick == 999)
				c_alloc(c, size / 4 < (256 << 10) ? size / 4 : 256 << 10);
			else
				TU_REQUIRE(shmheap_grow(c->h, size + 4096) == 0,
					   "grow: %s", strerror(errno));
		} else {
			c_free(c, (uint32_t)(tu_rand(&c->rng) % c->sh->n));
		}
	}
}

/* A heap with holes of many sizes: objects of mixed sizes, every third one
 * freed (frees that merge and frees that do not). */
static void c_fragment(struct child *c, unsigned n)
{
	char *p[300];
	for (unsigned i = 0; i < n && i < 300; i++)
		p[i] = c_alloc(c, 8 + (i * 37) % 400);
	for (unsigned i = 0; i < n && i < 300; i += 3)
		c_free_ptr(c, p[i]);
}

/* A free block in the map with the top's priority (BLOCK_PRIO_TOP), as a
 * heap of another library version might hold it: the free of the object
 * after it, the last before the top, then merges both ways through
 * fm_grown's move to the top (fitmap:6).
 * Objects larger than every hole of c_scenario sit at the top's front.
 * Returns that last object. */
static char *c_plant_top_prio(struct child *c)
{
	char *a = c_alloc(c, 10000), *u = c_alloc(c, 10000);
	c_free_ptr(c, a);
	uint64_t *w = (uint64_t *)(void *)(a - 8);
	*w = (*w & ~(TAG_TOP << TAG_SHIFT)) | TAG_TOP << TAG_SHIFT;
	return u;
}

/* The calls of the fixed scenario, in order: each is armed in turn (the
 * point set just before it), the ones before it run unarmed. */
enum op {
	OP_SPLIT,	  /* a hole split: the rest moves in the index */
	OP_SPLIT16,	  /* a hole split, a 16-byte rest: out and in again */
	OP_WHOLE,	  /* a 16-byte hole taken whole */
	OP_ISOLATED,	  /* a free with no free neighbour */
	OP_MERGE_RIGHT,	  /* a free whose right neighbour is free */
	OP_MERGE_LEFT,	  /* ... whose left neighbour is free */
	OP_ISOLATED2,	  /* another isolated free, x[1] */
	OP_MERGE_BOTH,	  /* ... both */
	OP_TOP_DOWN,	  /* a free of the block before the top */
	OP_SPLIT_TOP,	  /* an allocation from the top */
	OP_ALIGNED,	  /* an aligned one, a gap left in front */
	OP_GROW,	  /* shmheap_grow by a page */
	OP_GROW_BY_ALLOC, /* an allocation larger than the heap */
	OP_PLANTED,	  /* fitmap:6 only: see c_plant_top_prio */
	N_OPS
};
static const char *const op_names[] = {"split",		"split rest 16",
				       "whole",		"isolated free",
				       "merge right",	"merge left",
				       "isolated free", "merge both",
				       "top down",	"split top",
				       "aligned",	"grow",
				       "grow by alloc", "planted top priority"};

/* Runs the scenario up to call last, armed for point just before it;
 * returns if the point was not met. */
static void c_scenario(struct child *c, const char *point, unsigned last)
{
	c_fragment(c, 240);
	/* Larger than every hole: side by side at the top's front. */
	char *x[8];
	for (int i = 0; i < 8; i++)
		x[i] = c_alloc(c, 600);
	for (unsigned k = 0; k <= last; k++) {
		if (k == last)
			TU_REQUIRE(setenv("SHMHEAP_TEST_KILL_AT", point, 1) == 0,
				   "setenv");
		switch ((enum op)k) {
		case OP_SPLIT: /* c_fragment's hole 3, 128 bytes: 80 left */
			c_alloc(c, 40);
			break;
		case OP_SPLIT16: /* hole 6, 240 bytes: 16 left */
			c_alloc(c, 216);
			break;
		case OP_WHOLE:
			c_alloc(c, 8); /* the first hole, of an 8-byte object */
			break;
		case OP_ISOLATED:
			c_free_ptr(c, x[4]);
			break;
		case OP_MERGE_RIGHT:
			c_free_ptr(c, x[3]);
			break;
		case OP_MERGE_LEFT:
			c_free_ptr(c, x[5]);
			break;
		case OP_ISOLATED2:
			c_free_ptr(c, x[1]);
			break;
		case OP_MERGE_BOTH:
			c_free_ptr(c, x[2]);
			break;
		case OP_TOP_DOWN:
			c_free_ptr(c, x[7]);
			break;
		case OP_SPLIT_TOP:
			c_alloc(c, 5000);
			break;
		case OP_ALIGNED:
			c_aligned(c, 4096, 100);
			break;
		case OP_GROW:
			TU_REQUIRE(shmheap_grow(c->h, heap_size_of(c->h) + 4096) == 0,
				   "grow: %s", strerror(errno));
			break;
		case OP_GROW_BY_ALLOC:
			c_alloc(c, heap_size_of(c->h));
			break;
		case OP_PLANTED:
			if (k == last) {
				unsetenv("SHMHEAP_TEST_KILL_AT");
				char *u = c_plant_top_prio(c);
				setenv("SHMHEAP_TEST_KILL_AT", point, 1);
				c_free_ptr(c, u);
			}
			break;
		case N_OPS:
			break;
		}
	}
}

struct child_arg {
	const char *name, *point;
	struct shared *sh;
	uint64_t seed;
	unsigned long warmup; /* random calls before the point is armed */
	int scenario;	      /* or the fixed scenario, armed at call op */
	unsigned op;
	uint32_t seq0;
	shmheap_memory_handle parent_h;
};

static void child_main(const struct child_arg *a)
{
	shmheap_disconnect(a->parent_h); /* the parent's connection */
	struct child c = {.sh = a->sh, .seq = a->seq0, .rng = a->seed};
	c.h = shmheap_connect(a->name);
	TU_REQUIRE(c.h != NULL, "connect: %s", strerror(errno));
	c.base = shmheap_underlying(c.h);
	if (a->scenario) {
		c_scenario(&c, a->point, a->op);
	} else {
		c_random(&c, a->warmup);
		TU_REQUIRE(setenv("SHMHEAP_TEST_KILL_AT", a->point, 1) == 0, "setenv");
		c_random(&c, 50000);
	}
	_exit(NOT_REACHED);
}

/* ---- the parent ----------------------------------------------------------- */

/* Runs the child to its kill; 1 if it died there, 0 if it never met the
 * point (it exited NOT_REACHED); fails the test on anything else. */
static int run_child(const struct child_arg *a)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(60);
		child_main(a);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == NOT_REACHED)
		return 0;
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "%s: the child was not killed at the point (status %#x)", a->point,
		      status);
	return 1;
}

static int find_block(const struct tu_layout *l, uint64_t off)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (l->blk[mid].offset < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->blk[lo].offset == off ? (int)lo : -1;
}

/*
 * After the kill: the repair, by a new connection (reconnect) or by the next
 * call of the test's own, the checks, and allocations against a model of the
 * repaired heap, freed again.
 */
static void verify_repaired(const char *name, shmheap_memory_handle h,
			    const struct shared *sh, const char *point, unsigned round,
			    int reconnect)
{
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_msg(info.lock_state == SHMHEAP_LOCK_OWNER_DEAD,
		      "%s (round %u): lock state %d after the kill", point, round,
		      info.lock_state);
	shmheap_memory_handle own = h;
	if (reconnect) {
		h = shmheap_connect(name);
		ck_assert_msg(h != NULL, "%s (round %u): connect: %s", point, round,
			      strerror(errno));
	}
	ck_assert_msg(tu_check(h) == 0, "%s (round %u): shmheap_check after the repair",
		      point, round);
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_FREE);
	ck_assert_int_eq(info.damaged, 0);

	/* Every recorded object: in use, as large, intact. */
	char *base = shmheap_underlying(h);
	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	for (uint32_t i = 0; i < sh->n; i++) {
		const struct rec *v = &sh->r[i];
		int b = find_block(&l, v->off);
		ck_assert_msg(b >= 0 && l.blk[b].in_use && l.blk[b].size >= v->size,
			      "%s (round %u): object at %llu lost", point, round,
			      (unsigned long long)v->off);
		ck_assert_msg(tu_verify(base + v->off, v->size, OWNER, v->seq) < 0,
			      "%s (round %u): object at %llu overwritten", point, round,
			      (unsigned long long)v->off);
	}

	/* First fit on the repaired heap, as the model of its listing says. */
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	struct model m;
	model_from_layout(&m, &l, st.heap_size, st.max_size, info.growable);
	static const size_t sizes[] = {1, 16, 24, 40, 200, 1000, 5000, 40000, 300000, 8};
	char *p[sizeof(sizes) / sizeof(sizes[0])];
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t want = model_alloc(&m, sizes[i]);
		errno = 0;
		p[i] = shmheap_alloc(h, sizes[i]);
		if (!want) {
			ck_assert_msg(
				p[i] == NULL && errno == ENOMEM,
				"%s (round %u): alloc(%zu) at %td, model has no room",
				point, round, sizes[i], p[i] - base);
			continue;
		}
		ck_assert_msg(p[i] != NULL && (uint64_t)(p[i] - base) == want,
			      "%s (round %u): alloc(%zu) at %td (%s), model gives %llu",
			      point, round, sizes[i], p[i] ? p[i] - base : -1,
			      strerror(errno), (unsigned long long)want);
	}
	ck_assert_int_eq(tu_check(h), 0);
	for (size_t i = sizeof(sizes) / sizeof(sizes[0]); i-- > 0;) {
		if (!p[i])
			continue;
		model_free(&m, (uint64_t)(p[i] - base));
		shmheap_free(h, p[i]);
	}
	compare_listing(h, &m, &l, round);
	free(m.b);
	tu_layout_free(&l);
	if (h != own)
		shmheap_disconnect(h);
}

static struct shared *shared_map(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(sh, MAP_FAILED);
	sh->n = 0;
	return sh;
}

/* Frees every recorded object (the heap is destroyed next in any case). */
static void free_recorded(shmheap_memory_handle h, struct shared *sh)
{
	char *base = shmheap_underlying(h);
	for (uint32_t i = 0; i < sh->n; i++)
		ck_assert_int_eq(shmheap_free_checked(h, base + sh->r[i].off), 0);
	sh->n = 0;
}

START_TEST(fixed_point)
{
	const char *point = points[_i];
	int fitmap6 = strcmp(point, "fitmap:6") == 0;
	struct shared *sh = shared_map();
	char reached[512] = "";
	for (unsigned op = 0; op < N_OPS; op++) {
		if (op == OP_PLANTED && !fitmap6)
			continue;
		const char *name = tu_name("fitmap-kill");
		struct shmheap_options o = {.max_size = 64 << 20};
		shmheap_memory_handle h = shmheap_create_ex(name, 64 << 10, &o);
		ck_assert_ptr_nonnull(h);
		sh->n = 0;
		struct child_arg a = {.name = name,
				      .point = point,
				      .sh = sh,
				      .scenario = 1,
				      .op = op,
				      .parent_h = h};
		if (run_child(&a)) {
			verify_repaired(name, h, sh, point, op, 1);
			snprintf(reached + strlen(reached),
				 sizeof(reached) - strlen(reached), "%s%s",
				 *reached ? ", " : "", op_names[op]);
		} else {
			ck_assert_int_eq(tu_check(h), 0);
		}
		free_recorded(h, sh);
		ck_assert_int_eq(tu_check(h), 0);
		shmheap_destroy(name, h);
	}
	fprintf(stderr, "%s killed in: %s\n", point, *reached ? reached : "nothing");
	ck_assert_msg(*reached, "%s: no call of the scenario reached the point", point);
	munmap(sh, sizeof(*sh));
}
END_TEST

START_TEST(random_points)
{
	unsigned long rounds = tu_env_ulong("SHMHEAP_TEST_FITMAP_KILLS", 200);
	const char *name = tu_name("fitmap-rkill");
	struct shmheap_options o = {.max_size = 256 << 20};
	shmheap_memory_handle h = shmheap_create_ex(name, 4096, &o);
	ck_assert_ptr_nonnull(h);
	struct shared *sh = shared_map();
	uint64_t rng = 0x6b111ed5eed;
	unsigned long killed[N_POINTS] = {0}, missed[N_POINTS] = {0};

	for (unsigned round = 0; round < rounds; round++) {
		unsigned which = (unsigned)(tu_rand(&rng) % N_POINTS);
		struct child_arg a = {.name = name,
				      .point = points[which],
				      .sh = sh,
				      .seed = tu_rand(&rng) | 1,
				      .warmup = tu_rand(&rng) % 3000,
				      .seq0 = round << 20,
				      .parent_h = h};
		if (!run_child(&a)) {
			missed[which]++;
			ck_assert_int_eq(tu_check(h), 0);
			continue;
		}
		killed[which]++;
		verify_repaired(name, h, sh, points[which], round, round % 2);
		/* A heap that would soon reach its maximum starts again. */
		if (heap_size_of(h) > (64u << 20)) {
			free_recorded(h, sh);
			shmheap_destroy(name, h);
			name = tu_name("fitmap-rkill");
			h = shmheap_create_ex(name, 4096, &o);
			ck_assert_ptr_nonnull(h);
		}
	}
	for (unsigned i = 0; i < N_POINTS; i++) {
		ck_assert_msg(killed[i] > 0 || rounds < 100, "no round was killed at %s",
			      points[i]);
		fprintf(stderr, "random kills at %s: %lu, not reached in %lu rounds\n",
			points[i], killed[i], missed[i]);
	}
	free_recorded(h, sh);
	ck_assert_int_eq(tu_check(h), 0);
	munmap(sh, sizeof(*sh));
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fitmap-kill");
	TCase *tc = tu_tcase("points", 120);
	tcase_add_loop_test(tc, fixed_point, 0, (int)N_POINTS);
	suite_add_tcase(s, tc);
	tc = tu_tcase("random", 600);
	tcase_add_test(tc, random_points);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
