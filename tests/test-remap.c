/* SPDX-License-Identifier: MIT */
/*
 * test-remap.c - a process that maps the heap somewhere else still resolves
 * every handle.
 *
 * A forked child would naturally map a heap where its parent did (it inherits
 * the parent's address space layout), so the child first takes the parent's
 * whole address range away: a PROT_NONE mapping laid with MAP_FIXED over
 * everything the parent reserved for the heap.  Its own connection must then
 * land elsewhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"

#define OBJECTS 500

struct record {
	uint64_t handle;
	uint32_t size, seq;
	uint64_t sender_off; /* the offset as the sending process computed it */
};

struct remap_child {
	const char *name;
	char *parent_base;
	size_t parent_reserved;
	int in, out;
};

static void child(void *arg)
{
	struct remap_child *c = arg;
	void *r = mmap(c->parent_base, c->parent_reserved, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	TU_REQUIRE(r == c->parent_base, "reserve the parent's range: %s",
		   strerror(errno));

	shmheap_memory_handle h = shmheap_connect(c->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	char *base = shmheap_underlying(h);
	TU_REQUIRE(base != c->parent_base, "mapped at the parent's address");
	TU_REQUIRE(base + c->parent_reserved <= c->parent_base ||
			   base >= c->parent_base + c->parent_reserved,
		   "mapping overlaps the parent's range");

	for (int i = 0; i < OBJECTS; i++) {
		struct record rec;
		TU_REQUIRE(tu_read_all(c->in, &rec, sizeof(rec)) == 0, "short read");
		char *p = shmheap_handle_to_ptr(h, (shmheap_object_handle){rec.handle});
		TU_REQUIRE(p != NULL, "handle %d did not resolve: %s", i,
			   strerror(errno));
		TU_REQUIRE((uint64_t)(p - base) == rec.sender_off,
			   "handle %d: offset %td, sender says %llu", i, p - base,
			   (unsigned long long)rec.sender_off);
		long bad = tu_verify(p, rec.size, 1, rec.seq);
		TU_REQUIRE(bad < 0, "object %d wrong at byte %ld", i, bad);
		/* Answer with an object of the child's, some of them in grown space. */
		uint32_t size = rec.size + (i % 50 == 0 ? 20000 : 0);
		char *q = shmheap_alloc(h, size);
		TU_REQUIRE(q != NULL, "alloc(%u): %s", size, strerror(errno));
		tu_fill(q, size, 2, rec.seq);
		struct record reply = {shmheap_ptr_to_handle(h, q).value, size, rec.seq,
				       (uint64_t)(q - base)};
		tu_write_all(c->out, &reply, sizeof(reply));
	}
	TU_REQUIRE(shmheap_check(h, NULL, NULL) == 0, "check in the child");
	shmheap_disconnect(h);
}

START_TEST(child_at_other_address_resolves_handles)
{
	const char *name = tu_name("remap");
	struct shmheap_options o = {.max_size = 64 << 20};
	shmheap_memory_handle h = shmheap_create_ex(name, 64 << 10, &o);
	ck_assert_ptr_nonnull(h);
	char *base = shmheap_underlying(h);

	int down[2], up[2];
	ck_assert_int_eq(pipe(down), 0);
	ck_assert_int_eq(pipe(up), 0);
	struct remap_child c = {name, base, 64 << 20, down[0], up[1]};
	pid_t pid = tu_fork(child, &c, 60);
	close(down[0]);
	close(up[1]);

	uint64_t rng = 42;
	for (uint32_t i = 0; i < OBJECTS; i++) {
		uint32_t size = (uint32_t)(tu_rand(&rng) % 300);
		char *p = shmheap_alloc(h, size);
		ck_assert_ptr_nonnull(p);
		tu_fill(p, size, 1, i);
		struct record rec = {shmheap_ptr_to_handle(h, p).value, size, i,
				     (uint64_t)(p - base)};
		ck_assert_int_eq(write(down[1], &rec, sizeof(rec)), (ssize_t)sizeof(rec));

		struct record reply;
		ck_assert_int_eq(tu_read_all(up[0], &reply, sizeof(reply)), 0);
		char *q = shmheap_handle_to_ptr(h, (shmheap_object_handle){reply.handle});
		ck_assert_msg(q != NULL, "child's handle %u did not resolve: %s", i,
			      strerror(errno));
		ck_assert_uint_eq((uint64_t)(q - base), reply.sender_off);
		ck_assert_int_lt(tu_verify(q, reply.size, 2, reply.seq), 0);
	}
	char why[256];
	ck_assert_msg(tu_wait(pid, 60, why, sizeof(why)) == 0, "%s", why);
	close(down[1]);
	close(up[0]);

	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, 2 * OBJECTS);
	ck_assert_uint_gt(st.heap_size, 64 << 10); /* the child grew it */
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *remap_suite(void)
{
	Suite *s = suite_create("remap");
	TCase *tc = tu_tcase("remap", 60);
	tcase_add_test(tc, child_at_other_address_resolves_handles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(remap_suite());
}
