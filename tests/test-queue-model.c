/* SPDX-License-Identifier: MIT */
/*
 * test-queue-model.c - the queues against a model: SHMHEAP_TEST_MODEL_OPS
 * (1,000,000 by default) random calls from one process over a few names,
 * each answer compared with the model's: the handle popped (order), EAGAIN
 * and ETIMEDOUT, EEXIST, ENOENT and EINVAL of the names, and EIDRM for every
 * handle on a destroyed queue, also when a new queue took its name.  Every
 * object pushed is fresh and freed when popped, so that the heap's live
 * objects must match what the model says is queued or in a slot.
 *
 * The ring is looked at too (white box, lib/queue.h): after every call, each
 * slot word of the queue called must be what the model's positions make it
 * ({lap + key, object} for the queued, {lap + key, 0} for the next lap of
 * the others), and the head and tail hints the model's counts, or one less.
 * Now and then a hint is set back by one, as a process killed between its
 * compare-and-swap and the hint's leaves it, and the calls that follow must
 * answer as the model does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connection.h"
#include "queue-testutil.h"
#include "queue.h"

#define NAMES 3
#define HANDLES 6
#define SLOTS 8
#define MAX_CAP 6

struct mqueue {
	int exists;
	unsigned gen; /* bumped by every create */
	size_t cap, n;
	uint64_t val[MAX_CAP]; /* oldest first */
	uint64_t pushed, popped; /* positions filled and emptied */
};

struct mhandle {
	shmheap_queue *q; /* NULL: not open */
	int name;
	unsigned gen;
};

struct model {
	shmheap_memory_handle h;
	struct mqueue mq[NAMES];
	struct mhandle hd[HANDLES];
	shmheap_object_handle *slot; /* SLOTS, inside the heap */
	uint64_t rng;
	size_t own; /* live objects besides the queues', the queued and the slots' */
	unsigned long op;
};

static const char *const names[NAMES] = {"alpha", "beta", "gamma"};

#define EXPECT(m, cond, ...)                       \
	ck_assert_msg(cond, "op %lu: %s", (m)->op, \
		      (snprintf(msg, sizeof(msg), __VA_ARGS__), msg))
static char msg[256];

static void expect_fail(struct model *m, int rc, int err, const char *what)
{
	EXPECT(m, rc == -1 && errno == err, "%s: got %d (%s), wanted %s", what, rc,
	       strerror(errno), strerror(err));
}

static uint64_t fresh(struct model *m)
{
	void *p = shmheap_alloc(m->h, 8 + tu_rand(&m->rng) % 64);
	ck_assert_ptr_nonnull(p);
	return shmheap_ptr_to_handle(m->h, p).value;
}

static void release(struct model *m, uint64_t v)
{
	ck_assert_int_eq(shmheap_free_checked(
				 m->h,
				 shmheap_handle_to_ptr(m->h, (shmheap_object_handle){v})),
			 0);
}

/* The model's queue a handle names, or NULL when it answers EIDRM. */
static struct mqueue *current(struct model *m, struct mhandle *hd)
{
	struct mqueue *mq = &m->mq[hd->name];
	return mq->exists && mq->gen == hd->gen ? mq : NULL;
}

static int timeout_for(struct model *m)
{
	/* A real wait now and then; ETIMEDOUT costs a millisecond. */
	return tu_rand(&m->rng) % 20000 == 0 ? 1 : 0;
}

static void op_push(struct model *m, struct mhandle *hd, int from)
{
	struct mqueue *mq = current(m, hd);
	int t = timeout_for(m);
	int s = (int)(tu_rand(&m->rng) % SLOTS);
	uint64_t v;
	int rc;
	if (from) {
		if (!m->slot[s].value)
			ck_assert_ptr_nonnull(shmheap_alloc_into(m->h, 16, &m->slot[s]));
		v = m->slot[s].value;
		rc = shmheap_queue_push_from(hd->q, &m->slot[s], t);
	} else {
		v = fresh(m);
		rc = shmheap_queue_push(hd->q, (shmheap_object_handle){v}, t);
	}
	if (!mq || mq->n == mq->cap) {
		expect_fail(m, rc, !mq ? EIDRM : t ? ETIMEDOUT : EAGAIN, "push");
		if (from)
			EXPECT(m, m->slot[s].value == v,
			       "a failed push_from changed its slot");
		else
			release(m, v);
		return;
	}
	EXPECT(m, rc == 0, "push: %s", strerror(errno));
	if (from)
		EXPECT(m, m->slot[s].value == 0, "push_from left its slot set");
	mq->val[mq->n++] = v;
	mq->pushed++;
}

static void op_pop(struct model *m, struct mhandle *hd, int into)
{
	struct mqueue *mq = current(m, hd);
	int t = timeout_for(m);
	int s = (int)(tu_rand(&m->rng) % SLOTS);
	shmheap_object_handle got = {0};
	int rc;
	if (into) {
		if (m->slot[s].value)
			ck_assert_int_eq(shmheap_free_from(m->h, &m->slot[s]), 0);
		rc = shmheap_queue_pop_into(hd->q, &m->slot[s], t);
		got = m->slot[s];
	} else {
		rc = shmheap_queue_pop(hd->q, &got, t);
	}
	if (!mq || mq->n == 0) {
		expect_fail(m, rc, !mq ? EIDRM : t ? ETIMEDOUT : EAGAIN, "pop");
		EXPECT(m, !into || m->slot[s].value == 0,
		       "a failed pop_into set its slot");
		return;
	}
	EXPECT(m, rc == 0, "pop: %s", strerror(errno));
	EXPECT(m, got.value == mq->val[0], "popped %#llx, not the oldest %#llx",
	       (unsigned long long)got.value, (unsigned long long)mq->val[0]);
	memmove(mq->val, mq->val + 1, --mq->n * sizeof(mq->val[0]));
	mq->popped++;
	if (!into)
		release(m, got.value);
}

static void op_create(struct model *m, struct mhandle *hd, int name)
{
	size_t cap = 1 + tu_rand(&m->rng) % MAX_CAP;
	shmheap_queue *q = shmheap_queue_create(m->h, names[name], cap);
	struct mqueue *mq = &m->mq[name];
	if (mq->exists) {
		EXPECT(m, !q && errno == EEXIST, "create of an existing name: %s",
		       strerror(errno));
		return;
	}
	EXPECT(m, q != NULL, "create: %s", strerror(errno));
	*mq = (struct mqueue){1, mq->gen + 1, cap, 0, {0}, 0, 0};
	if (hd->q)
		ck_assert_int_eq(shmheap_queue_close(hd->q), 0);
	*hd = (struct mhandle){q, name, mq->gen};
}

static void op_open(struct model *m, struct mhandle *hd, int name)
{
	shmheap_queue *q = shmheap_queue_open(m->h, names[name]);
	struct mqueue *mq = &m->mq[name];
	if (!mq->exists) {
		EXPECT(m, !q && errno == ENOENT, "open of a missing name: %s",
		       strerror(errno));
		return;
	}
	EXPECT(m, q != NULL, "open: %s", strerror(errno));
	if (hd->q)
		ck_assert_int_eq(shmheap_queue_close(hd->q), 0);
	*hd = (struct mhandle){q, name, mq->gen};
}

static void op_destroy(struct model *m, int name)
{
	struct mqueue *mq = &m->mq[name];
	int rc = shmheap_queue_destroy(m->h, names[name]);
	if (!mq->exists) {
		expect_fail(m, rc, ENOENT, "destroy of a missing name");
		return;
	}
	EXPECT(m, rc == 0, "destroy: %s", strerror(errno));
	mq->exists = 0; /* the queued objects are the library's to free */
	mq->n = 0;
}

static struct queue_obj *ring_of(struct model *m, const shmheap_queue *q)
{
	return (struct queue_obj *)(void *)(m->h->base + q->obj);
}

/* The slot words and hints of the queue hd names, against the model. */
static void verify_ring(struct model *m, struct mhandle *hd)
{
	struct mqueue *mq = current(m, hd);
	if (!mq)
		return;
	const shmheap_queue *q = hd->q;
	struct queue_obj *o = ring_of(m, q);
	uint64_t tail = o->tail ^ q->hint_key, head = o->head ^ q->hint_key;
	EXPECT(m, tail == mq->pushed || tail + 1 == mq->pushed,
	       "tail hint %llu, %llu pushed", (unsigned long long)tail,
	       (unsigned long long)mq->pushed);
	EXPECT(m, head == mq->popped || head + 1 == mq->popped,
	       "head hint %llu, %llu popped", (unsigned long long)head,
	       (unsigned long long)mq->popped);
	for (uint64_t i = 0; i < mq->cap; i++) {
		/* The position slot i holds or waits for. */
		uint64_t p = mq->popped + (i + mq->cap - mq->popped % mq->cap) % mq->cap;
		uint64_t unit = 0;
		if (p < mq->pushed)
			unit = handle_off(m->h->seed, mq->val[p - mq->popped]) / HEAP_UNIT;
		uint64_t want = slot_make((uint32_t)(p / mq->cap) + q->key, (uint32_t)unit);
		EXPECT(m, o->ring[i] == want, "slot %llu holds %#llx, not %#llx",
		       (unsigned long long)i, (unsigned long long)o->ring[i],
		       (unsigned long long)want);
	}
}

/* A hint set back by one, as a process killed after its compare-and-swap
 * leaves it (the position it names is done). */
static void op_lag(struct model *m, struct mhandle *hd)
{
	struct mqueue *mq = current(m, hd);
	if (!mq)
		return;
	struct queue_obj *o = ring_of(m, hd->q);
	int tail = tu_rand(&m->rng) % 2;
	uint64_t *hint = tail ? &o->tail : &o->head;
	uint64_t done = tail ? mq->pushed : mq->popped;
	if (done && (*hint ^ hd->q->hint_key) == done)
		*hint = (done - 1) ^ hd->q->hint_key;
}

static void verify_live(struct model *m)
{
	size_t n = m->own;
	for (int i = 0; i < NAMES; i++)
		n += m->mq[i].n;
	for (int i = 0; i < SLOTS; i++)
		n += m->slot[i].value != 0;
	/* A name's entry and the queue's block per queue. */
	for (int i = 0; i < NAMES; i++)
		n += 2 * m->mq[i].exists;
	EXPECT(m, qt_live_objects(m->h) == n, "%zu live objects, the model says %zu",
	       qt_live_objects(m->h), n);
}

START_TEST(random_calls_against_the_model)
{
	struct qt_heap hp;
	qt_make(&hp, QT_POSIX, 1 << 20, 0);
	struct model m = {.h = hp.h, .rng = 0x9e3779b97f4a7c15ull};
	m.slot = shmheap_calloc(hp.h, SLOTS, sizeof(*m.slot));
	ck_assert_ptr_nonnull(m.slot);
	/* A name that is no queue, and the directory's record and table. */
	ck_assert_int_eq(shmheap_name_set(hp.h, "plain",
					  shmheap_ptr_to_handle(hp.h, m.slot), 0),
			 0);
	m.own = qt_live_objects(hp.h);
	unsigned long ops = tu_env_ulong("SHMHEAP_TEST_MODEL_OPS", 1000000);
	for (m.op = 0; m.op < ops; m.op++) {
		unsigned r = (unsigned)(tu_rand(&m.rng) % 1000);
		int name = (int)(tu_rand(&m.rng) % NAMES);
		struct mhandle *hd = &m.hd[tu_rand(&m.rng) % HANDLES];
		if (r < 40) {
			op_create(&m, hd, name);
		} else if (r < 60) {
			op_destroy(&m, name);
		} else if (r < 100) {
			op_open(&m, hd, name);
		} else if (r < 105) {
			errno = 0;
			EXPECT(&m, !shmheap_queue_open(hp.h, "plain") && errno == EINVAL,
			       "open of a name that is no queue: %s", strerror(errno));
		} else if (!hd->q) {
			continue;
		} else if (r < 420) {
			op_push(&m, hd, 0);
		} else if (r < 520) {
			op_push(&m, hd, 1);
		} else if (r < 870) {
			op_pop(&m, hd, 0);
		} else if (r < 990) {
			op_pop(&m, hd, 1);
		} else {
			op_lag(&m, hd);
		}
		if (hd->q)
			verify_ring(&m, hd);
		if (m.op % 65536 == 0) {
			verify_live(&m);
			ck_assert_int_eq(tu_check(hp.h), 0);
		}
	}
	verify_live(&m);
	ck_assert_int_eq(tu_check(hp.h), 0);
	for (int i = 0; i < HANDLES; i++)
		if (m.hd[i].q)
			ck_assert_int_eq(shmheap_queue_close(m.hd[i].q), 0);
	qt_destroy(&hp);
}
END_TEST

/*
 * A slot whose lap no call can leave is damage: the plain pop meets it
 * without the lock, fails with EUCLEAN and marks the heap, which later
 * connects then refuse.
 */
START_TEST(damaged_slot_marks_the_heap)
{
	struct qt_heap hp;
	qt_make(&hp, QT_POSIX, 1 << 20, 0);
	shmheap_queue *q = shmheap_queue_create(hp.h, "q", 8);
	ck_assert_ptr_nonnull(q);
	for (int i = 0; i < 3; i++) {
		void *obj = shmheap_alloc(hp.h, 64);
		ck_assert_ptr_nonnull(obj);
		ck_assert_int_eq(shmheap_queue_push(q, shmheap_ptr_to_handle(hp.h, obj), 0), 0);
	}
	const struct heap_header *hdr = shmheap_underlying(hp.h);
	ck_assert_uint_eq(hdr->flags & HEAP_FLAG_DAMAGED, 0);

	/* The oldest handle's slot five laps ahead. */
	struct queue_obj *o = (struct queue_obj *)(void *)(hp.h->base + q->obj);
	uint64_t head = o->head ^ q->hint_key;
	uint64_t *slot = &o->ring[head % 8];
	*slot = slot_make(slot_lap(*slot) + 5, slot_unit(*slot));
	shmheap_object_handle got = {0};
	errno = 0;
	ck_assert_int_eq(shmheap_queue_pop(q, &got, 0), -1);
	ck_assert_int_eq(errno, EUCLEAN);
	ck_assert_uint_ne(__atomic_load_n(&hdr->flags, __ATOMIC_ACQUIRE) & HEAP_FLAG_DAMAGED,
			  0);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(hp.name));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_queue_close(q), 0);
	qt_destroy(&hp);
}
END_TEST

/*
 * The watch before a sleep adapts (queue-ring.c): each wait that slept long
 * halves the next watch of its side, down to none; the other side's is left
 * alone; and a caller that no longer watches still sleeps and is woken.
 */
struct late_push {
	shmheap_queue *q;
	shmheap_object_handle h;
};

static void *push_after_a_while(void *arg)
{
	struct late_push *lp = arg;
	nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
	ck_assert_int_eq(shmheap_queue_push(lp->q, lp->h, -1), 0);
	return NULL;
}

START_TEST(an_idle_side_stops_watching)
{
	struct qt_heap hp;
	qt_make(&hp, QT_POSIX, 1 << 20, 0);
	shmheap_queue *q = shmheap_queue_create(hp.h, "idle", 2);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(q->watch_ns[0], QUEUE_WATCH_NS);
	ck_assert_uint_eq(q->watch_ns[1], QUEUE_WATCH_NS);
	shmheap_object_handle got;
	/* Each timed-out pop slept at least once (more when its deadline
	 * needed a second sleep): at least one halving per pop. */
	uint32_t before = QUEUE_WATCH_NS;
	for (int i = 0; i < 12; i++) {
		errno = 0;
		ck_assert_int_eq(shmheap_queue_pop(q, &got, 2), -1);
		ck_assert_int_eq(errno, ETIMEDOUT);
		ck_assert_uint_le(q->watch_ns[0], before / 2);
		before = q->watch_ns[0];
		ck_assert_uint_eq(q->watch_ns[1], QUEUE_WATCH_NS);
	}
	ck_assert_uint_eq(q->watch_ns[0], 0);

	/* Without a watch, a consumer still sleeps until the push. */
	void *obj = shmheap_alloc(hp.h, 64);
	ck_assert_ptr_nonnull(obj);
	struct late_push lp = {q, shmheap_ptr_to_handle(hp.h, obj)};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, push_after_a_while, &lp), 0);
	ck_assert_int_eq(shmheap_queue_pop(q, &got, -1), 0);
	ck_assert_uint_eq(got.value, lp.h.value);
	ck_assert_int_eq(pthread_join(t, NULL), 0);

	/* The producers' side learns alike, from a full queue. */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(shmheap_queue_push(q, lp.h, 0), 0);
	errno = 0;
	ck_assert_int_eq(shmheap_queue_push(q, lp.h, 2), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_le(q->watch_ns[1], QUEUE_WATCH_NS / 2);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(shmheap_queue_pop(q, &got, 0), 0);
	shmheap_free(hp.h, obj);
	ck_assert_int_eq(tu_check(hp.h), 0);
	ck_assert_int_eq(shmheap_queue_close(q), 0);
	ck_assert_int_eq(shmheap_queue_destroy(hp.h, "idle"), 0);
	qt_destroy(&hp);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("queue-model");
	TCase *tc = bt_tcase("model", 300);
	tcase_add_test(tc, random_calls_against_the_model);
	tcase_add_test(tc, damaged_slot_marks_the_heap);
	tcase_add_test(tc, an_idle_side_stops_watching);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return bt_run(model_suite());
}
