/* SPDX-License-Identifier: MIT */
/*
 * test-grow.c - heaps that grow while processes use them (exercise 4).
 *
 * Large objects are stamped, not filled: a few 256-byte patterns at their
 * start, every 16 MiB and at their end, so that a gigabyte of heap stays a
 * matter of seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "testutil.h"

#define PAGE 4096u
#define STAMP 256u
#define STAMP_EVERY ((size_t)16 << 20)

/* Small objects are filled whole; large ones get a stamp at the start, every
 * 16 MiB and at the end, none overlapping another. */
static void stamp(char *p, size_t size, uint32_t owner, uint32_t seq)
{
	if (size <= 2 * STAMP) {
		tu_fill(p, size, owner, seq);
		return;
	}
	for (size_t at = 0; at + 2 * STAMP <= size; at += STAMP_EVERY)
		tu_fill(p + at, STAMP, owner, seq + (uint32_t)(at >> 20));
	tu_fill(p + size - STAMP, STAMP, owner, ~seq);
}

static int stamped(const char *p, size_t size, uint32_t owner, uint32_t seq)
{
	if (size <= 2 * STAMP)
		return tu_verify(p, size, owner, seq) < 0;
	for (size_t at = 0; at + 2 * STAMP <= size; at += STAMP_EVERY)
		if (tu_verify(p + at, STAMP, owner, seq + (uint32_t)(at >> 20)) >= 0)
			return 0;
	return tu_verify(p + size - STAMP, STAMP, owner, ~seq) < 0;
}

static struct shmheap_stats stats_of(shmheap_memory_handle h)
{
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	return st;
}

/* ---- four processes, one page to a gigabyte ----------------------------- */

#define GROWERS 4
#define ROUNDS 17

struct gmsg {
	uint64_t handle, size;
	uint32_t owner, round;
};

struct grower {
	const char *name;
	int id;
	int inbox[GROWERS][2]; /* inbox[i][0]: worker i reads; [1]: everyone writes */
};

struct known {
	char *ptr;
	uint64_t size;
	uint32_t owner, round;
};

static void verify_all(int id, const struct known *k, int n)
{
	for (int i = 0; i < n; i++)
		TU_REQUIRE(stamped(k[i].ptr, k[i].size, k[i].owner, k[i].round),
			   "worker %d: object of worker %u from round %u damaged", id,
			   k[i].owner, k[i].round);
}

static void grower(void *arg)
{
	struct grower *g = arg;
	shmheap_memory_handle h = shmheap_connect(g->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	struct known k[GROWERS * ROUNDS];
	int n = 0;
	int got[ROUNDS + 1] = {0};

	for (uint32_t r = 0; r <= ROUNDS; r++) {
		struct gmsg m = {0, 0, (uint32_t)g->id, r};
		if (r < ROUNDS) {
			/* Sizes double each round: 3 KiB ... 192 MiB. */
			m.size = ((uint64_t)3 << 10) << r;
			m.size += (uint64_t)g->id * 40; /* not all alike */
			char *p = shmheap_alloc(h, m.size);
			TU_REQUIRE(p != NULL, "worker %d round %u: alloc(%llu): %s",
				   g->id, r, (unsigned long long)m.size, strerror(errno));
			stamp(p, m.size, (uint32_t)g->id, r);
			k[n++] = (struct known){p, m.size, (uint32_t)g->id, r};
			m.handle = shmheap_ptr_to_handle(h, p).value;
		}
		/* Round ROUNDS is a barrier: nobody frees before all have verified. */
		for (int i = 0; i < GROWERS; i++)
			if (i != g->id)
				tu_write_all(g->inbox[i][1], &m, sizeof(m));
		while (got[r] < GROWERS - 1) {
			struct gmsg in;
			TU_REQUIRE(tu_read_all(g->inbox[g->id][0], &in, sizeof(in)) == 0,
				   "inbox");
			TU_REQUIRE(in.round <= ROUNDS, "bad message");
			got[in.round]++;
			if (in.round == ROUNDS)
				continue;
			char *p = shmheap_handle_to_ptr(h, (shmheap_object_handle){
								   in.handle});
			TU_REQUIRE(p != NULL,
				   "worker %d: handle of worker %u round %u: %s", g->id,
				   in.owner, in.round, strerror(errno));
			k[n++] = (struct known){p, in.size, in.owner, in.round};
		}
		/* Everything written so far, before whatever growth, is intact. */
		if (r < ROUNDS)
			verify_all(g->id, k, n);
	}
	for (int i = 0; i < n; i++)
		if (k[i].owner == (uint32_t)g->id)
			TU_REQUIRE(shmheap_free_checked(h, k[i].ptr) == 0, "free: %s",
				   strerror(errno));
	shmheap_disconnect(h);
}

START_TEST(four_processes_grow_heap_to_a_gigabyte)
{
	const char *name = tu_name("giga");
	shmheap_memory_handle h = shmheap_create(name, PAGE);
	ck_assert_ptr_nonnull(h);
	static struct grower g[GROWERS];
	int inbox[GROWERS][2];
	for (int i = 0; i < GROWERS; i++)
		ck_assert_int_eq(pipe(inbox[i]), 0);
	pid_t pids[GROWERS];
	for (int i = 0; i < GROWERS; i++) {
		g[i].name = name;
		g[i].id = i;
		memcpy(g[i].inbox, inbox, sizeof(inbox));
		pids[i] = tu_fork(grower, &g[i], 150);
	}
	for (int i = 0; i < GROWERS; i++) {
		close(inbox[i][0]);
		close(inbox[i][1]);
	}
	char why[256];
	ck_assert_msg(tu_wait_all(pids, GROWERS, 170, why, sizeof(why)) == 0, "%s", why);

	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_ge(st.heap_size, (size_t)1 << 30);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.free_bytes,
			  st.heap_size - (tu_header_size() - tu_block_overhead()));
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- several processes grow at the same moment -------------------------- */

struct racer {
	const char *name;
	int go, go_w, out; /* go: EOF when the parent closes go_w */
	uint32_t id;
};

static void racer(void *arg)
{
	struct racer *r = arg;
	shmheap_memory_handle h = shmheap_connect(r->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	char c;
	close(r->go_w);
	TU_REQUIRE(read(r->go, &c, 1) == 0, "go pipe"); /* EOF: everyone starts */
	char *p = shmheap_alloc(h, 1000);
	TU_REQUIRE(p != NULL, "racer %u: alloc: %s", r->id, strerror(errno));
	tu_fill(p, 1000, r->id, 1);
	uint64_t hdl = shmheap_ptr_to_handle(h, p).value;
	tu_write_all(r->out, &hdl, sizeof(hdl));
	shmheap_disconnect(h);
}

START_TEST(racing_growth_grows_once)
{
	enum { RACERS = 4, ROUNDS_ = 10 };
	for (int round = 0; round < ROUNDS_; round++) {
		const char *name = tu_name("race");
		shmheap_memory_handle h = shmheap_create(name, 64 << 10);
		ck_assert_ptr_nonnull(h);
		void *all = shmheap_alloc(
			h, (64 << 10) - tu_header_size()); /* no free space left */
		ck_assert_ptr_nonnull(all);
		ck_assert_uint_eq(stats_of(h).heap_size, 64 << 10);

		int go[2], out[2];
		ck_assert_int_eq(pipe(go), 0);
		ck_assert_int_eq(pipe(out), 0);
		struct racer r[RACERS];
		pid_t pids[RACERS];
		for (int i = 0; i < RACERS; i++) {
			r[i] = (struct racer){name, go[0], go[1], out[1], (uint32_t)i};
			pids[i] = tu_fork(racer, &r[i], 30);
		}
		close(go[0]);
		close(out[1]);
		usleep(20000); /* let them connect; the race holds without it too */
		close(go[1]);

		char why[256];
		ck_assert_msg(tu_wait_all(pids, RACERS, 30, why, sizeof(why)) == 0, "%s",
			      why);
		uint64_t seen[RACERS];
		for (int i = 0; i < RACERS; i++)
			ck_assert_int_eq(tu_read_all(out[0], &seen[i], sizeof(seen[i])),
					 0);
		close(out[0]);

		int owners = 0;
		for (int i = 0; i < RACERS; i++) {
			char *p = shmheap_handle_to_ptr(h,
							(shmheap_object_handle){seen[i]});
			ck_assert_ptr_nonnull(p);
			for (uint32_t id = 0; id < RACERS; id++)
				if (tu_verify(p, 1000, id, 1) < 0)
					owners |= 1 << id;
		}
		ck_assert_int_eq(owners, (1 << RACERS) - 1);
		struct shmheap_stats st = stats_of(h);
		ck_assert_uint_eq(st.heap_size, 128 << 10); /* one doubling, not four */
		ck_assert_uint_eq(st.objects, RACERS + 1);
		ck_assert_int_eq(tu_check(h), 0);
		shmheap_destroy(name, h);
	}
}
END_TEST

/* ---- the maximum -------------------------------------------------------- */

START_TEST(growth_stops_at_exactly_max)
{
	const size_t max = 37 * PAGE; /* not a doubling of the first page */
	const char *name = tu_name("max");
	struct shmheap_options o = {.max_size = max};
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	int n = 0;
	void *last = NULL, *p;
	while ((p = shmheap_alloc(h, 1000))) {
		last = p;
		n++;
	}
	ck_assert_int_eq(errno, ENOMEM);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, max);
	ck_assert_uint_eq(st.max_size, max);
	ck_assert_int_eq(n,
			 (int)((max - (tu_header_size() - tu_block_overhead())) / 1008));
	ck_assert_int_eq(tu_check(h), 0);

	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(h, 1000));
	ck_assert_int_eq(errno, ENOMEM);
	tu_layout_take(h, &after);
	ck_assert(tu_layout_equal(&before, &after));
	shmheap_free(h, last);
	ck_assert_ptr_eq(shmheap_alloc(h, 1000), last);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);

	/* One object that needs the heap's whole maximum. */
	name = tu_name("max");
	h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	const size_t hdr = tu_header_size();
	p = shmheap_alloc(h, max - hdr);
	ck_assert_msg(p != NULL, "alloc(max - header): %s", strerror(errno));
	ck_assert_ptr_eq(p, (char *)shmheap_underlying(h) + hdr);
	memset(p, 0x77, max - hdr);
	ck_assert_uint_eq(stats_of(h).heap_size, max);
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(h, 0));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(alloc_beyond_max_leaves_heap_alone)
{
	const size_t max = 1 << 20;
	const char *name = tu_name("beyond");
	struct shmheap_options o = {.max_size = max};
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	shmheap_alloc(h, 100);
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	const size_t first_block = tu_header_size() - tu_block_overhead();
	const size_t sizes[] = {max, max - first_block, max - 120, max + 1,
				(size_t)1 << 33};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_alloc(h, sizes[i]) == NULL, "alloc(%zu) succeeded",
			      sizes[i]);
		ck_assert_int_eq(errno, ENOMEM);
		tu_layout_take(h, &after);
		ck_assert(tu_layout_equal(&before, &after));
		ck_assert_uint_eq(stats_of(h).heap_size, PAGE);
	}
	/* What is left up to the maximum is allocatable, exactly. */
	void *p = shmheap_alloc(h, max - tu_header_size() - 112);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(stats_of(h).heap_size, max);
	ck_assert_uint_eq(stats_of(h).free_blocks, 0);
	ck_assert_int_eq(tu_check(h), 0);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- shmheap_grow --------------------------------------------------------- */

START_TEST(explicit_grow)
{
	const size_t max = 1 << 20;
	const char *name = tu_name("grow");
	struct shmheap_options o = {.max_size = max};
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);

	ck_assert_int_eq(shmheap_grow(h, 64 << 10), 0);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, 64 << 10);
	ck_assert_uint_eq(st.free_blocks, 1); /* merged with the old free end */
	ck_assert_uint_eq(st.largest_free, (64 << 10) - tu_header_size());
	ck_assert_int_eq(shmheap_grow(h, PAGE), 0); /* already that large */
	ck_assert_int_eq(shmheap_grow(h, 64 << 10), 0);
	ck_assert_uint_eq(stats_of(h).heap_size, 64 << 10);
	ck_assert_int_eq(shmheap_grow(h, (64 << 10) + 1), 0); /* rounded up to a page */
	ck_assert_uint_eq(stats_of(h).heap_size, (64 << 10) + PAGE);

	/* A live object at the end: the new space is a free block of its own. */
	void *all = shmheap_alloc(h, stats_of(h).largest_free);
	ck_assert_ptr_nonnull(all);
	ck_assert_int_eq(shmheap_grow(h, 128 << 10), 0);
	st = stats_of(h);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.objects, 1);
	ck_assert_uint_eq(st.largest_free, (128 << 10) - (68 << 10) - 8);
	ck_assert_int_eq(tu_check(h), 0);

	errno = 0;
	ck_assert_int_eq(shmheap_grow(h, max + PAGE), -1);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(stats_of(h).heap_size, 128 << 10);
	ck_assert_int_eq(shmheap_grow(h, max), 0);
	ck_assert_uint_eq(stats_of(h).heap_size, max);
	errno = 0;
	ck_assert_int_eq(shmheap_grow(NULL, max), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);

	struct shmheap_options fixed = {.flags = SHMHEAP_NO_GROW};
	name = tu_name("grow-fixed");
	h = shmheap_create_ex(name, 2 * PAGE, &fixed);
	ck_assert_ptr_nonnull(h);
	errno = 0;
	ck_assert_int_eq(shmheap_grow(h, 3 * PAGE), -1);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(shmheap_grow(h, 2 * PAGE), 0);
	ck_assert_int_eq(shmheap_grow(h, PAGE), 0);
	ck_assert_uint_eq(stats_of(h).heap_size, 2 * PAGE);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- a handle into space grown by another process ------------------------ */

struct reader {
	const char *name;
	int in, out;
};

struct grown_msg {
	uint64_t handle, size, heap_size;
};

static void reader(void *arg)
{
	struct reader *r = arg;
	shmheap_memory_handle h = shmheap_connect(r->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	uint64_t ready = 1;
	tu_write_all(r->out, &ready, sizeof(ready)); /* connected at the old size */
	for (uint32_t i = 0; i < 2; i++) {
		struct grown_msg m;
		TU_REQUIRE(tu_read_all(r->in, &m, sizeof(m)) == 0, "pipe");
		char *p = shmheap_handle_to_ptr(h, (shmheap_object_handle){m.handle});
		TU_REQUIRE(p != NULL, "handle into grown space: %s", strerror(errno));
		long bad = tu_verify(p, m.size, 1, i);
		TU_REQUIRE(bad < 0, "object %u wrong at byte %ld", i, bad);
		/* The reader's own allocation uses the new space, growing nothing. */
		char *q = shmheap_alloc(h, 1000);
		TU_REQUIRE(q != NULL, "alloc: %s", strerror(errno));
		struct shmheap_stats st;
		TU_REQUIRE(shmheap_stats(h, &st) == 0 && st.heap_size == m.heap_size,
			   "heap size %zu, the grower saw %llu", st.heap_size,
			   (unsigned long long)m.heap_size);
		tu_fill(q, 1000, 2, i);
		uint64_t hdl = shmheap_ptr_to_handle(h, q).value;
		tu_write_all(r->out, &hdl, sizeof(hdl));
	}
	shmheap_disconnect(h);
}

START_TEST(handle_into_grown_space_resolves)
{
	const char *name = tu_name("grown");
	shmheap_memory_handle h = shmheap_create(name, PAGE);
	ck_assert_ptr_nonnull(h);
	int down[2], up[2];
	ck_assert_int_eq(pipe(down), 0);
	ck_assert_int_eq(pipe(up), 0);
	struct reader r = {name, down[0], up[1]};
	pid_t pid = tu_fork(reader, &r, 30);
	close(down[0]);
	close(up[1]);
	uint64_t ready;
	ck_assert_int_eq(tu_read_all(up[0], &ready, sizeof(ready)), 0);

	/* First an object wholly in new space, then one that starts in the free
	 * end the reader has mapped and reaches into space it has not. */
	ck_assert_ptr_nonnull(shmheap_alloc(h, PAGE - tu_header_size()));
	const size_t sizes[2] = {100000, 298000}; /* each leaves the reader 1000 bytes */
	for (uint32_t i = 0; i < 2; i++) {
		size_t old_size = stats_of(h).heap_size;
		char *p = shmheap_alloc(h, sizes[i]);
		ck_assert_ptr_nonnull(p);
		size_t off = (size_t)(p - (char *)shmheap_underlying(h));
		ck_assert_uint_gt(stats_of(h).heap_size, old_size);
		if (i == 0)
			ck_assert_uint_ge(off, old_size);
		else
			ck_assert_uint_lt(off, old_size);
		tu_fill(p, sizes[i], 1, i);
		struct grown_msg m = {shmheap_ptr_to_handle(h, p).value, sizes[i],
				      stats_of(h).heap_size};
		ck_assert_int_eq(write(down[1], &m, sizeof(m)), (ssize_t)sizeof(m));
		uint64_t hdl;
		char why[256] = "";
		if (tu_read_all(up[0], &hdl, sizeof(hdl)) < 0) {
			tu_wait(pid, 30, why, sizeof(why));
			ck_abort_msg("object %u: the reader died: %s", i, why);
		}
		char *q = shmheap_handle_to_ptr(h, (shmheap_object_handle){hdl});
		ck_assert_ptr_nonnull(q);
		ck_assert_int_lt(tu_verify(q, 1000, 2, i), 0);
	}
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	close(down[1]);
	close(up[0]);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- a full /dev/shm ------------------------------------------------------ */

static void tiny_shm(void *arg)
{
	(void)arg;
	char why[256];
	if (tu_private_mounts(why, sizeof(why)) < 0)
		tu_child_skip("%s", why);
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=256k") < 0)
		tu_child_skip("cannot mount a tmpfs on /dev/shm: %s", strerror(errno));

	const char *big = tu_name("full");
	errno = 0;
	TU_REQUIRE(shmheap_create(big, 1 << 20) == NULL, "a 1 MiB heap fit in 256 KiB");
	TU_REQUIRE(errno == ENOSPC, "create: errno %d (%s), want ENOSPC", errno,
		   strerror(errno));
	TU_REQUIRE(!tu_shm_exists(big), "the failed create left its object");

	const char *name = tu_name("full");
	shmheap_memory_handle h = shmheap_create(name, 64 << 10);
	TU_REQUIRE(h != NULL, "create 64 KiB: %s", strerror(errno));
	void *keep = shmheap_alloc(h, 1000);
	TU_REQUIRE(keep != NULL, "alloc");
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	errno = 0;
	TU_REQUIRE(shmheap_alloc(h, 1 << 20) == NULL,
		   "growth past the full tmpfs succeeded");
	TU_REQUIRE(errno == ENOSPC || errno == ENOMEM, "alloc: errno %d", errno);
	tu_layout_take(h, &after);
	TU_REQUIRE(tu_layout_equal(&before, &after),
		   "the failed growth changed the heap");
	struct shmheap_stats st;
	TU_REQUIRE(shmheap_stats(h, &st) == 0 && st.heap_size == (64 << 10),
		   "heap size changed");
	TU_REQUIRE(shmheap_check(h, NULL, NULL) == 0, "check after failed growth");
	TU_REQUIRE(shmheap_alloc(h, 1000) != NULL, "the heap still allocates");
	errno = 0;
	TU_REQUIRE(shmheap_grow(h, 1 << 20) == -1, "explicit growth past the full tmpfs");
	TU_REQUIRE(errno == ENOSPC || errno == ENOMEM, "grow: errno %d", errno);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
	umount("/dev/shm");
}

START_TEST(full_dev_shm_gives_enospc)
{
	pid_t pid = tu_fork(tiny_shm, NULL, 30);
	char why[256];
	int r = tu_wait(pid, 60, why, sizeof(why));
	if (r == 1) {
		tu_skip("%s", why);
		return;
	}
	ck_assert_msg(r == 0, "%s", why);
}
END_TEST

static Suite *grow_suite(void)
{
	Suite *s = suite_create("grow");
	TCase *tc = tu_tcase("gigabyte", 180);
	tcase_add_test(tc, four_processes_grow_heap_to_a_gigabyte);
	suite_add_tcase(s, tc);

	tc = tu_tcase("limits", 60);
	tcase_add_test(tc, racing_growth_grows_once);
	tcase_add_test(tc, growth_stops_at_exactly_max);
	tcase_add_test(tc, alloc_beyond_max_leaves_heap_alone);
	tcase_add_test(tc, explicit_grow);
	tcase_add_test(tc, handle_into_grown_space_resolves);
	tcase_add_test(tc, full_dev_shm_gives_enospc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(grow_suite());
}
