/* SPDX-License-Identifier: MIT */
/*
 * test-lab.c - the library driven exactly as the lab's runners and graders
 * drive it.
 *
 * - The grader of exercise 3: N processes (2 to 64) connect to a heap of
 *   (32 + 16) * N * 2 + 80 + 1024 bytes (not a page multiple: the library
 *   rounds it up) and allocate a 32-byte object each, all at once.  Every
 *   block is then 40 bytes (the object and its 8 bytes of bookkeeping), so
 *   first fit packs the k-th object at first + 40k, where first is the offset
 *   of the first object.  Three rounds follow in which half the processes free
 *   while the other half allocate, at once; every object must still sit at
 *   first + 40k, below the most objects live at one time.  When everything is
 *   freed, one allocation of N * 48 bytes must land at first.
 * - The runner of exercise 1: one object of up to len - 16 bytes in a heap of
 *   64 KiB, every byte written, and 10 processes that each receive its handle
 *   through a pipe and verify every byte.
 * - After shmheap_disconnect in a child, and after shmheap_destroy in the
 *   parent, nothing of the heap may be left mapped: mprotect on the old base
 *   address fails, and /proc/self/maps shows nothing in the old range.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"

#define OBJ_SIZE 32
#define BOOKKEEPING 8 /* per object, the lab's "subsequent bookkeeping space" */
#define STRIDE (OBJ_SIZE + BOOKKEEPING)
#define ROUNDS 3
#define MAX_PROCS 64
#define MAX_OWNED 8

static size_t page(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (size_t)ps : 4096;
}

/* ---- nothing left mapped --------------------------------------------------- */

/* Where a heap was mapped: its base and the extent of its reservation. */
struct old_mapping {
	uintptr_t base;
	size_t heap_size, max_size;
};

static struct old_mapping mapping_of(shmheap_memory_handle h)
{
	struct shmheap_stats st;
	if (shmheap_stats(h, &st) < 0)
		return (struct old_mapping){0, 0, 0};
	return (struct old_mapping){(uintptr_t)shmheap_underlying(h), st.heap_size,
				    st.max_size};
}

/*
 * NULL if nothing of m is mapped any more, else what still is.  mprotect
 * fails with ENOMEM on an address that is not mapped, so it is tried on the
 * first and last page of the heap and the last page of its reservation.
 */
static const char *still_mapped(const struct old_mapping *m, char *why, size_t len)
{
	if (!m->base || !m->max_size)
		return snprintf(why, len, "no mapping recorded"), why;
	const uintptr_t probes[] = {m->base, m->base + m->heap_size - page(),
				    m->base + m->max_size - page()};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		errno = 0;
		if (mprotect((void *)probes[i], page(), PROT_READ) == 0 ||
		    errno != ENOMEM) {
			snprintf(why, len,
				 "mprotect at base + %" PRIuPTR
				 " did not fail with ENOMEM (%s)",
				 probes[i] - m->base, strerror(errno));
			return why;
		}
	}
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return snprintf(why, len, "/proc/self/maps: %s", strerror(errno)), why;
	char line[512];
	const char *res = NULL;
	while (!res && fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2 &&
		    lo < m->base + m->max_size && m->base < hi) {
			snprintf(why, len, "still mapped: %.200s", line);
			res = why;
		}
	}
	fclose(f);
	return res;
}

/* ---- exercise 3: the grader's heap of 32-byte objects ---------------------- */

enum lab_op { OP_ALLOC = 'A', OP_FREE = 'F', OP_QUIT = 'Q' };

struct lab_reply {
	uint32_t id;
	int32_t err;	 /* 0, or errno of a failed call (-1: a corrupt object) */
	uint64_t offset; /* ALLOC, FREE: the object's offset; QUIT: objects freed */
};

struct lab_proc {
	const char *name;
	uint32_t id;
	int cmd;   /* read end of this process's commands */
	int reply; /* write end of the shared reply pipe */
};

static void lab_proc_run(void *arg)
{
	struct lab_proc *p = arg;
	shmheap_memory_handle h = shmheap_connect(p->name);
	TU_REQUIRE(h != NULL, "process %u: connect: %s", p->id, strerror(errno));
	char *base = shmheap_underlying(h);
	struct old_mapping m = mapping_of(h);
	void *owned[MAX_OWNED];
	uint32_t seq[MAX_OWNED], n = 0, next_seq = 0;
	char op;
	while (tu_read_all(p->cmd, &op, 1) == 0) {
		struct lab_reply r = {.id = p->id};
		if (op == OP_ALLOC) {
			TU_REQUIRE(n < MAX_OWNED, "process %u owns too many objects",
				   p->id);
			void *o = shmheap_alloc(h, OBJ_SIZE);
			if (!o) {
				r.err = errno;
			} else {
				tu_fill(o, OBJ_SIZE, p->id, next_seq);
				owned[n] = o;
				seq[n++] = next_seq++;
				r.offset = (uint64_t)((char *)o - base);
			}
		} else {
			/* FREE: the oldest object; QUIT: all of them. */
			uint32_t todo = op == OP_FREE ? (n > 0) : n;
			for (uint32_t k = 0; k < todo && !r.err; k++) {
				if (tu_verify(owned[0], OBJ_SIZE, p->id, seq[0]) >= 0)
					r.err = -1;
				else if (shmheap_free_checked(h, owned[0]) < 0)
					r.err = errno;
				r.offset = op == OP_FREE
						   ? (uint64_t)((char *)owned[0] - base)
						   : k + 1;
				memmove(owned, owned + 1, (n - 1) * sizeof(*owned));
				memmove(seq, seq + 1, (n - 1) * sizeof(*seq));
				n--;
			}
		}
		tu_write_all(p->reply, &r, sizeof(r));
		if (op == OP_QUIT)
			break;
	}
	shmheap_disconnect(h);
	char why[300];
	TU_REQUIRE(!still_mapped(&m, why, sizeof(why)), "process %u after disconnect: %s",
		   p->id, why);
}

struct lab_run {
	unsigned n;
	shmheap_memory_handle h;
	pid_t pids[MAX_PROCS];
	int cmd[MAX_PROCS];		    /* write ends */
	int reply;			    /* read end */
	size_t first;			    /* offset of the first object */
	unsigned live_max;		    /* most objects live at one time, at most */
	unsigned char owner[MAX_PROCS * 2]; /* slot k: 1 + process, or 0 when free */
};

/* Checks where a reported object is and who owns it. */
static void lab_record(struct lab_run *run, const char *ops, const struct lab_reply *r)
{
	if (ops[r->id] == OP_QUIT)
		return;
	ck_assert_msg(r->offset >= run->first && (r->offset - run->first) % STRIDE == 0,
		      "process %u: object at %" PRIu64 ", not at %zu + %d k", r->id,
		      r->offset, run->first, STRIDE);
	uint64_t k = (r->offset - run->first) / STRIDE;
	ck_assert_msg(k < run->live_max,
		      "process %u: object %" PRIu64 " beyond the %u live", r->id, k,
		      run->live_max);
	if (ops[r->id] == OP_ALLOC) {
		ck_assert_msg(run->owner[k] == 0, "object %" PRIu64 " handed out twice",
			      k);
		run->owner[k] = (unsigned char)(1 + r->id);
	} else {
		ck_assert_msg(run->owner[k] == 1 + r->id,
			      "process %u freed object %" PRIu64, r->id, k);
		run->owner[k] = 0;
	}
}

/*
 * Sends each process its command before reading any reply: they run at once.
 * The frees of a step are recorded before its allocations, since an object
 * freed during the step may be handed out again before the free is reported.
 */
static void lab_step(struct lab_run *run, const char *ops)
{
	for (unsigned i = 0; i < run->n; i++)
		tu_write_all(run->cmd[i], &ops[i], 1);
	struct lab_reply replies[MAX_PROCS];
	for (unsigned got = 0; got < run->n; got++) {
		struct lab_reply r;
		ck_assert_int_eq(tu_read_all(run->reply, &r, sizeof(r)), 0);
		ck_assert_uint_lt(r.id, run->n);
		ck_assert_msg(r.err == 0, "process %u, op %c: %s", r.id, ops[r.id],
			      r.err < 0 ? "an object was overwritten" : strerror(r.err));
		replies[got] = r;
	}
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned got = 0; got < run->n; got++)
			if ((ops[replies[got].id] == OP_FREE) == (pass == 0))
				lab_record(run, ops, &replies[got]);
}

struct walk_state {
	const struct lab_run *run;
	size_t objects;
	char problem[128];
};

/* Every live block must be one the processes reported, of 32 bytes. */
static int check_block(const struct shmheap_block *b, void *arg)
{
	struct walk_state *w = arg;
	if (!b->in_use)
		return 0;
	size_t k = (b->offset - w->run->first) / STRIDE;
	if (b->size != OBJ_SIZE || (b->offset - w->run->first) % STRIDE ||
	    k >= w->run->live_max || !w->run->owner[k]) {
		snprintf(w->problem, sizeof(w->problem),
			 "unexpected live block at %zu (%zu bytes)", b->offset, b->size);
		return 1;
	}
	w->objects++;
	return 0;
}

static void lab_check_heap(struct lab_run *run)
{
	struct walk_state w = {.run = run};
	ck_assert_int_eq(shmheap_walk(run->h, check_block, &w), 0);
	ck_assert_msg(!w.problem[0], "%s", w.problem);
	size_t owned = 0;
	for (unsigned k = 0; k < run->live_max; k++)
		owned += run->owner[k] != 0;
	ck_assert_uint_eq(w.objects, owned);
	ck_assert_int_eq(tu_check(run->h), 0);
}

static const unsigned lab_sizes[] = {2, 3, 8, 17, 64};

START_TEST(ex3_grader_packs_and_reuses)
{
	struct lab_run run = {.n = lab_sizes[_i]};
	const size_t len = (32 + 16) * run.n * 2 + 80 + 1024;
	const char *name = tu_name("ex3");
	run.h = shmheap_create(name, len);
	ck_assert_msg(run.h != NULL, "create of %zu bytes: %s", len, strerror(errno));
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(run.h, &st), 0);
	run.first = st.header_size; /* bytes before the first object */
	const size_t initial = st.heap_size;
	ck_assert_uint_eq(initial, (len + page() - 1) / page() * page());
	/* Each process holds one or two objects: never more than 1.5 N live. */
	run.live_max = run.n + (run.n + 1) / 2;

	int reply[2];
	ck_assert_int_eq(pipe(reply), 0);
	run.reply = reply[0];
	struct lab_proc procs[MAX_PROCS];
	for (unsigned i = 0; i < run.n; i++) {
		int cmd[2];
		ck_assert_int_eq(pipe(cmd), 0);
		procs[i] = (struct lab_proc){name, i, cmd[0], reply[1]};
		run.pids[i] = tu_fork(lab_proc_run, &procs[i], 120);
		close(cmd[0]);
		run.cmd[i] = cmd[1];
	}
	close(reply[1]);

	char ops[MAX_PROCS];
	memset(ops, OP_ALLOC, sizeof(ops));
	lab_step(&run, ops);
	/* All at once, and packed: objects 0 .. N-1, one each. */
	for (unsigned k = 0; k < run.live_max; k++)
		ck_assert_msg((run.owner[k] != 0) == (k < run.n),
			      "object %u after the first round", k);
	lab_check_heap(&run);

	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < run.n; i++)
			ops[i] = (i + r) % 2 ? OP_ALLOC : OP_FREE;
		lab_step(&run, ops);
		lab_check_heap(&run);
	}

	memset(ops, OP_QUIT, sizeof(ops));
	lab_step(&run, ops);
	for (unsigned i = 0; i < run.n; i++)
		close(run.cmd[i]);
	close(run.reply);
	char why[300];
	ck_assert_msg(tu_wait_all(run.pids, (int)run.n, 120, why, sizeof(why)) == 0, "%s",
		      why);

	/* Everything merged back: one allocation of N * 48 bytes lands at first. */
	ck_assert_int_eq(shmheap_stats(run.h, &st), 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	char *big = shmheap_alloc(run.h, run.n * 48);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_eq((size_t)(big - (char *)shmheap_underlying(run.h)), run.first);
	ck_assert_int_eq(shmheap_stats(run.h, &st), 0);
	ck_assert_uint_eq(st.heap_size, initial); /* the rounded heap was enough */

	struct old_mapping m = mapping_of(run.h);
	shmheap_destroy(name, run.h);
	ck_assert(!tu_shm_exists(name));
	ck_assert_msg(!still_mapped(&m, why, sizeof(why)), "after destroy: %s", why);
}
END_TEST

/* ---- exercise 1: one object, every byte verified by 10 readers ------------- */

#define EX1_LEN (64 * 1024)
#define EX1_READERS 10

struct ex1_reader {
	const char *name;
	int in; /* the handle arrives here */
	size_t size;
	uint32_t id;
};

static void ex1_read(void *arg)
{
	struct ex1_reader *r = arg;
	shmheap_object_handle hdl;
	TU_REQUIRE(tu_read_all(r->in, &hdl, sizeof(hdl)) == 0, "reader %u: no handle",
		   r->id);
	shmheap_memory_handle h = shmheap_connect(r->name);
	TU_REQUIRE(h != NULL, "reader %u: connect: %s", r->id, strerror(errno));
	struct old_mapping m = mapping_of(h);
	const void *p = shmheap_handle_to_ptr(h, hdl);
	TU_REQUIRE(p != NULL, "reader %u: handle_to_ptr: %s", r->id, strerror(errno));
	long bad = tu_verify(p, r->size, 1, (uint32_t)r->size);
	TU_REQUIRE(bad < 0, "reader %u: byte %ld of %zu is wrong", r->id, bad, r->size);
	shmheap_disconnect(h);
	char why[300];
	TU_REQUIRE(!still_mapped(&m, why, sizeof(why)), "reader %u after disconnect: %s",
		   r->id, why);
}

START_TEST(ex1_readers_verify_every_byte)
{
	const char *name = tu_name("ex1");
	shmheap_memory_handle h = shmheap_create(name, EX1_LEN);
	ck_assert_ptr_nonnull(h);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	shmheap_destroy(name, h);
	/* The lab asks for at most len - 80; its runner goes up to len - 16,
	 * which the heap holds by growing. */
	const size_t fits = EX1_LEN - st.header_size;
	const size_t sizes[] = {1, 8, 4096, fits - 8, fits, EX1_LEN - 80, EX1_LEN - 16};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t sz = sizes[s];
		name = tu_name("ex1");
		h = shmheap_create(name, EX1_LEN);
		ck_assert_ptr_nonnull(h);
		void *obj = shmheap_alloc(h, sz);
		ck_assert_msg(obj != NULL, "alloc of %zu bytes: %s", sz, strerror(errno));
		tu_fill(obj, sz, 1, (uint32_t)sz);
		ck_assert_int_eq(shmheap_stats(h, &st), 0);
		if (sz <= fits)
			ck_assert_uint_eq(st.heap_size, EX1_LEN);
		shmheap_object_handle hdl = shmheap_ptr_to_handle(h, obj);

		pid_t pids[EX1_READERS];
		struct ex1_reader readers[EX1_READERS];
		for (uint32_t i = 0; i < EX1_READERS; i++) {
			int fds[2];
			ck_assert_int_eq(pipe(fds), 0);
			readers[i] = (struct ex1_reader){name, fds[0], sz, i};
			pids[i] = tu_fork(ex1_read, &readers[i], 60);
			close(fds[0]);
			tu_write_all(fds[1], &hdl, sizeof(hdl)); /* a bitwise copy */
			close(fds[1]);
		}
		char why[300];
		ck_assert_msg(tu_wait_all(pids, EX1_READERS, 60, why, sizeof(why)) == 0,
			      "size %zu: %s", sz, why);
		ck_assert_int_lt(tu_verify(obj, sz, 1, (uint32_t)sz), 0);

		struct old_mapping m = mapping_of(h);
		shmheap_destroy(name, h);
		ck_assert(!tu_shm_exists(name));
		ck_assert_msg(!still_mapped(&m, why, sizeof(why)), "after destroy: %s",
			      why);
	}
}
END_TEST

static Suite *lab_suite(void)
{
	Suite *s = suite_create("lab");
	TCase *tc = tu_tcase("ex3-grader", 240);
	tcase_add_loop_test(tc, ex3_grader_packs_and_reuses, 0,
			    (int)(sizeof(lab_sizes) / sizeof(lab_sizes[0])));
	suite_add_tcase(s, tc);
	tc = tu_tcase("ex1-runner", 120);
	tcase_add_test(tc, ex1_readers_verify_every_byte);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(lab_suite());
}
