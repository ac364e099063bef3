/* SPDX-License-Identifier: MIT */
/*
 * test-procs.c - many processes allocating and freeing on one heap at once.
 *
 * Each worker connects by itself, allocates and frees at random, and fills
 * every object with a pattern naming its owner and a sequence number, which
 * it verifies before the free: an overlap with any other object, or a
 * corrupted heap, shows up as a wrong byte.  Workers stand in a ring and
 * every so often hand an object to the next one as a handle through a pipe;
 * the receiver resolves it, verifies the sender's pattern, and owns it from
 * then on (it frees it later).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define WORKERS 8
#define MAX_LIVE 1024
#define SEND_EVERY 16

struct msg {
	uint64_t handle;
	uint32_t owner, seq;
	uint32_t size, end; /* end: the sender has finished */
};

struct obj {
	char *ptr;
	uint32_t size, owner, seq;
};

struct worker {
	const char *name;
	int id;
	unsigned long ops;
	int in, out; /* from the previous worker, to the next */
	shmheap_memory_handle h;
	struct obj live[MAX_LIVE];
	size_t n_live;
	unsigned long received, sent;
	int prev_done; /* the previous worker's end message has come */
};

static void release(struct worker *w, size_t i)
{
	struct obj o = w->live[i];
	w->live[i] = w->live[--w->n_live];
	long bad = tu_verify(o.ptr, o.size, o.owner, o.seq);
	TU_REQUIRE(
		bad < 0,
		"worker %d: object of worker %u (seq %u, %u bytes) corrupt at byte %ld",
		w->id, o.owner, o.seq, o.size, bad);
	TU_REQUIRE(shmheap_free_checked(w->h, o.ptr) == 0, "worker %d: free refused: %s",
		   w->id, strerror(errno));
}

static void keep(struct worker *w, struct obj o)
{
	if (w->n_live == MAX_LIVE)
		release(w, 0);
	w->live[w->n_live++] = o;
}

/* Takes over an object another worker sent. */
static void receive(struct worker *w, const struct msg *m)
{
	shmheap_object_handle hdl = {m->handle};
	char *p = shmheap_handle_to_ptr(w->h, hdl);
	TU_REQUIRE(p != NULL,
		   "worker %d: handle %#llx from worker %u did not resolve: %s", w->id,
		   (unsigned long long)m->handle, m->owner, strerror(errno));
	long bad = tu_verify(p, m->size, m->owner, m->seq);
	TU_REQUIRE(bad < 0, "worker %d: received object of worker %u corrupt at byte %ld",
		   w->id, m->owner, bad);
	keep(w, (struct obj){p, m->size, m->owner, m->seq});
	w->received++;
}

/* Handles whatever has arrived; with block, until the previous worker finished. */
static void drain(struct worker *w, int block)
{
	static char buf[sizeof(struct msg) * 64];
	static size_t have;
	while (!w->prev_done) {
		ssize_t n = read(w->in, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!block)
				break;
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
			continue;
		}
		TU_REQUIRE(n > 0, "worker %d: pipe closed before the end message", w->id);
		have += (size_t)n;
		size_t whole = have / sizeof(struct msg) * sizeof(struct msg);
		for (size_t off = 0; off < whole; off += sizeof(struct msg)) {
			struct msg m;
			memcpy(&m, buf + off, sizeof(m));
			if (m.end)
				w->prev_done = 1;
			else
				receive(w, &m);
		}
		memmove(buf, buf + whole, have - whole);
		have -= whole;
	}
}

static void send_one(struct worker *w, uint64_t *rng)
{
	if (!w->n_live)
		return;
	size_t i = (size_t)(tu_rand(rng) % w->n_live);
	struct obj o = w->live[i];
	w->live[i] = w->live[--w->n_live];
	struct msg m = {shmheap_ptr_to_handle(w->h, o.ptr).value, o.owner, o.seq, o.size,
			0};
	TU_REQUIRE(m.handle != 0, "worker %d: no handle for a live object", w->id);
	tu_write_all(w->out, &m, sizeof(m));
	w->sent++;
}

static void work(void *arg)
{
	struct worker *w = arg;
	w->h = shmheap_connect(w->name);
	TU_REQUIRE(w->h != NULL, "worker %d: connect: %s", w->id, strerror(errno));
	fcntl(w->in, F_SETFL, O_NONBLOCK);
	uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(w->id + 1);

	for (unsigned long op = 0; op < w->ops; op++) {
		unsigned bias = w->n_live < 64 ? 75 : w->n_live > 600 ? 25 : 50;
		if (!w->n_live || tu_rand(&rng) % 100 < bias) {
			uint64_t r = tu_rand(&rng);
			uint32_t size = (uint32_t)(r % 8 == 0 ? r % 2048 : r % 96);
			char *p = shmheap_alloc(w->h, size);
			TU_REQUIRE(p != NULL, "worker %d: alloc(%u): %s", w->id, size,
				   strerror(errno));
			TU_REQUIRE((uintptr_t)p % 8 == 0, "worker %d: misaligned object",
				   w->id);
			tu_fill(p, size, (uint32_t)w->id, (uint32_t)op);
			keep(w, (struct obj){p, size, (uint32_t)w->id, (uint32_t)op});
		} else {
			release(w, (size_t)(tu_rand(&rng) % w->n_live));
		}
		if (op % SEND_EVERY == 0)
			send_one(w, &rng);
		if (op % 4 == 0)
			drain(w, 0);
	}
	struct msg end = {0, (uint32_t)w->id, 0, 0, 1};
	tu_write_all(w->out, &end, sizeof(end));
	drain(w, 1);
	while (w->n_live)
		release(w, w->n_live - 1);
	TU_REQUIRE(w->received > 0 && w->sent > 0, "worker %d exchanged nothing", w->id);
	shmheap_disconnect(w->h);
}

START_TEST(workers_share_one_heap)
{
	unsigned long ops = tu_env_ulong("SHMHEAP_TEST_PROCS_OPS", 100000);
	const char *name = tu_name("procs");
	shmheap_memory_handle h = shmheap_create(name, 256 << 10);
	ck_assert_ptr_nonnull(h);

	int ring[WORKERS][2];
	for (int i = 0; i < WORKERS; i++)
		ck_assert_int_eq(pipe(ring[i]), 0);
	pid_t pids[WORKERS];
	static struct worker w[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){.name = name,
				       .id = i,
				       .ops = ops,
				       .in = ring[i][0],
				       .out = ring[(i + 1) % WORKERS][1]};
		pids[i] = tu_fork(work, &w[i], 240);
	}
	for (int i = 0; i < WORKERS; i++) {
		close(ring[i][0]);
		close(ring[i][1]);
	}
	char why[256];
	ck_assert_msg(tu_wait_all(pids, WORKERS, 270, why, sizeof(why)) == 0, "%s", why);

	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.free_bytes,
			  st.heap_size - (tu_header_size() - tu_block_overhead()));
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static Suite *procs_suite(void)
{
	Suite *s = suite_create("procs");
	TCase *tc = tu_tcase("stress", 300);
	tcase_add_test(tc, workers_share_one_heap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(procs_suite());
}
