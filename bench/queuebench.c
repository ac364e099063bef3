/* SPDX-License-Identifier: MIT */
/*
 * queuebench.c - queues of handles (shmheap_queue_*) next to a pipe and to
 * Boost.Interprocess's message_queue, carrying the same 8-byte handles of
 * 64-byte objects of one heap, in one run (issue 30's targets):
 *
 *   tput    1 producer -> 1 consumer, handles per second: the producer
 *           writes a sequence number into the object and sends its handle,
 *           the consumer receives it and checks the number.
 *   2x2     2 producers -> 2 consumers on one queue, total handles per second.
 *   wake    the latency of a consumer blocked in its receive: the producer
 *           sleeps WAKE_GAP_US, writes the time into the object and sends
 *           it; the consumer reads the clock when it returns.  p50 and p99.
 *
 * Beside them, in the same rounds, references that tell a target from the
 * machine's ceiling (queue_refs.h): two rings of one producer and one
 * consumer, one with plain stores, one with a compare-and-swap per handle
 * (throughput), and a bare futex and a unix socket (wake-up).
 *
 * The methods alternate within each round (queue, pipe, message_queue, ...),
 * so that the machine's load falls on all alike; each figure is the median of
 * the rounds.  The queue holds QUEUE_CAP handles, the message_queue as many
 * messages; the pipe its default 64 KiB.  The objects are allocated once
 * (OBJECTS of them, more than any method keeps in flight) and reused.
 *
 *   bench/queuebench [rounds [handles [samples]]]   (default 5 2000000 2000)
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmheap.h>

#include "bench.h"
#include "queue_refs.h"
#include "queuebench.h"

#define QUEUE_CAP 256
#define OBJECTS 16384 /* > the pipe's 8,192 handles in flight */
#define WAKE_GAP_US 300
#define MAX_ROUNDS 64

enum method {
	M_QUEUE,
	M_PIPE,
	M_MQ,
	M_QUEUE22,
	M_RING_PLAIN,
	M_RING_CAS,
	M_FUTEX,
	M_SOCKET,
	NMETHODS
};
static const char *const method_name[NMETHODS] = {
	"queue",	      "pipe",	     "message_queue", "queue 2x2",
	"ring, plain", "ring, one CAS", "futex",	      "unix socket"};
/* What each method is measured for. */
static const bool method_tput[NMETHODS] = {
	[M_QUEUE] = true,      [M_PIPE] = true,	      [M_MQ] = true,
	[M_QUEUE22] = true,    [M_RING_PLAIN] = true, [M_RING_CAS] = true};
static const bool method_wake[NMETHODS] = {[M_QUEUE] = true, [M_PIPE] = true,
					   [M_MQ] = true,    [M_FUTEX] = true,
					   [M_SOCKET] = true};
/* The reference channel of a method (queue_refs.h), or -1. */
static int method_ref(enum method m)
{
	switch (m) {
	case M_RING_PLAIN:
		return REF_RING_PLAIN;
	case M_RING_CAS:
		return REF_RING_CAS;
	case M_FUTEX:
		return REF_FUTEX;
	case M_SOCKET:
		return REF_SOCKET;
	default:
		return -1;
	}
}

struct obj {
	uint64_t seq; /* or the sender's clock (wake) */
	char pad[56];
};

/* Shared by the processes of a measurement (in the heap). */
struct shared {
	int go;
	int ready;
	uint64_t lat[]; /* wake: the consumer's samples */
};

struct bench {
	shmheap_memory_handle heap;
	shmheap_object_handle obj[OBJECTS];
	struct shared *sh;
	unsigned long n, samples;
	char mq_name[64];
};

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "queuebench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- one endpoint of each method ---- */

struct chan {
	enum method m;
	shmheap_queue *q;
	int fd;
	void *mq;
	struct ref_chan ref;
};

static void chan_send(struct chan *c, shmheap_object_handle h)
{
	int rc;
	switch (c->m) {
	case M_PIPE:
		rc = write(c->fd, &h, sizeof(h)) == (ssize_t)sizeof(h) ? 0 : -1;
		break;
	case M_MQ:
		rc = qb_mq_send(c->mq, h.value);
		break;
	case M_QUEUE:
	case M_QUEUE22:
		rc = shmheap_queue_push(c->q, h, -1);
		break;
	default:
		rc = ref_send(&c->ref, h.value);
		break;
	}
	if (rc < 0)
		die("send");
}

static shmheap_object_handle chan_recv(struct chan *c)
{
	shmheap_object_handle h = {0};
	int rc;
	switch (c->m) {
	case M_PIPE:
		rc = read(c->fd, &h, sizeof(h)) == (ssize_t)sizeof(h) ? 0 : -1;
		break;
	case M_MQ:
		rc = qb_mq_recv(c->mq, &h.value);
		break;
	case M_QUEUE:
	case M_QUEUE22:
		rc = shmheap_queue_pop(c->q, &h, -1);
		break;
	default:
		rc = ref_recv(&c->ref, &h.value);
		break;
	}
	if (rc < 0)
		die("receive");
	return h;
}

/* ---- processes ---- */

static void wait_go(struct shared *sh)
{
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		usleep(100);
}

enum role { PRODUCER, CONSUMER };

struct proc {
	enum role role;
	int id, nprod;
	unsigned long count; /* handles this process sends or receives */
	int wake;
};

static void run_proc(struct bench *b, struct chan *c, const struct proc *p)
{
	unsigned long stride = (unsigned long)p->nprod;
	if (c->m == M_MQ && !(c->mq = qb_mq_open(b->mq_name)))
		die("message_queue open");
	wait_go(b->sh);
	if (p->role == PRODUCER) {
		for (unsigned long i = 0; i < p->count; i++) {
			unsigned long k = (i * stride + (unsigned long)p->id) % OBJECTS;
			struct obj *o = shmheap_handle_to_ptr(b->heap, b->obj[k]);
			if (p->wake) {
				usleep(WAKE_GAP_US);
				o->seq = bench_now_ns();
			} else {
				o->seq = i;
			}
			chan_send(c, b->obj[k]);
		}
		return;
	}
	for (unsigned long i = 0; i < p->count; i++) {
		shmheap_object_handle h = chan_recv(c);
		struct obj *o = shmheap_handle_to_ptr(b->heap, h);
		if (!o)
			die("a handle of nothing");
		if (p->wake) {
			b->sh->lat[i] = bench_now_ns() - o->seq;
		} else if (p->nprod == 1 && o->seq != i) {
			errno = EPROTO;
			die("out of order");
		}
	}
}

/* Runs nprod producers and ncons consumers over method m; returns the
 * seconds from the start signal to the last consumer's end. */
static double measure(struct bench *b, enum method m, int nprod, int ncons, int wake)
{
	unsigned long n = wake ? b->samples : b->n;
	int fds[2] = {-1, -1};
	shmheap_queue *q = NULL;
	if (m == M_PIPE && pipe(fds) < 0)
		die("pipe");
	if (m == M_MQ && qb_mq_create(b->mq_name, QUEUE_CAP) < 0)
		die("message_queue create");
	if ((m == M_QUEUE || m == M_QUEUE22) &&
	    !(q = shmheap_queue_create(b->heap, "bench", QUEUE_CAP)))
		die("shmheap_queue_create");
	struct ref_shared *ref = NULL;
	struct ref_chan ref_end[2] = {{0}, {0}};
	if (method_ref(m) >= 0) {
		if (!(ref = ref_shared_new((enum ref_kind)method_ref(m))))
			die("a reference channel");
		ref_end[0].kind = ref_end[1].kind = (enum ref_kind)method_ref(m);
		ref_chan_ends(ref, &ref_end[0], &ref_end[1]);
	}
	b->sh->go = 0;
	b->sh->ready = 0;
	pid_t pid[8];
	int np = 0;
	for (int i = 0; i < nprod + ncons; i++) {
		struct proc p = {i < nprod ? PRODUCER : CONSUMER,
				 i < nprod ? i : i - nprod, nprod,
				 n / (unsigned long)(i < nprod ? nprod : ncons), wake};
		fflush(stdout);
		pid[np] = fork();
		if (pid[np] < 0)
			die("fork");
		if (pid[np] == 0) {
			struct chan c = {m, q, p.role == PRODUCER ? fds[1] : fds[0],
					 NULL, ref_end[p.role == PRODUCER ? 0 : 1]};
			if (fds[0] >= 0)
				close(p.role == PRODUCER ? fds[0] : fds[1]);
			if (ref)
				ref_chan_close(&ref_end[p.role == PRODUCER ? 1 : 0]);
			run_proc(b, &c, &p);
			_exit(0);
		}
		np++;
	}
	if (fds[0] >= 0) {
		close(fds[0]);
		close(fds[1]);
	}
	if (ref) {
		ref_chan_close(&ref_end[0]);
		ref_chan_close(&ref_end[1]);
	}
	while (__atomic_load_n(&b->sh->ready, __ATOMIC_ACQUIRE) < np)
		usleep(100);
	uint64_t t0 = bench_now_ns();
	__atomic_store_n(&b->sh->go, 1, __ATOMIC_RELEASE);
	int failed = 0;
	for (int i = 0; i < np; i++) {
		int st;
		if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			failed = 1;
	}
	uint64_t t1 = bench_now_ns();
	if (q) {
		shmheap_queue_close(q);
		shmheap_queue_destroy(b->heap, "bench");
	}
	if (m == M_MQ)
		qb_mq_remove(b->mq_name);
	if (ref)
		ref_shared_free(ref);
	if (failed) {
		errno = ECHILD;
		die(method_name[m]);
	}
	return (double)(t1 - t0) / 1e9;
}

#ifndef BENCH_HAVE_BOOST
int qb_mq_available(void)
{
	return 0;
}
int qb_mq_create(const char *name, size_t capacity)
{
	(void)name;
	(void)capacity;
	errno = ENOSYS;
	return -1;
}
void *qb_mq_open(const char *name)
{
	(void)name;
	errno = ENOSYS;
	return NULL;
}
int qb_mq_send(void *mq, uint64_t v)
{
	(void)mq;
	(void)v;
	return -1;
}
int qb_mq_recv(void *mq, uint64_t *v)
{
	(void)mq;
	(void)v;
	return -1;
}
void qb_mq_remove(const char *name)
{
	(void)name;
}
#endif

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static double load_now(void)
{
	double l[1];
	return getloadavg(l, 1) == 1 ? l[0] : -1;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	struct bench b = {.n = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000,
			  .samples = argc > 3 ? strtoul(argv[3], NULL, 10) : 2000};
	if (getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "1") == 0) {
		rounds = 2;
		b.n = 100000;
		b.samples = 200;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || b.n < 4 || b.samples < 10) {
		fprintf(stderr, "usage: queuebench [rounds (1-%d) [handles [samples]]]\n",
			MAX_ROUNDS);
		return 2;
	}
	bench_shm_cleanup_on_exit();
	snprintf(b.mq_name, sizeof(b.mq_name), "queuebench-%ld", (long)getpid());
	b.heap = shmheap_create_anonymous(64 << 20, NULL);
	if (!b.heap)
		die("shmheap_create_anonymous");
	for (int i = 0; i < OBJECTS; i++) {
		void *p = shmheap_alloc(b.heap, sizeof(struct obj));
		if (!p)
			die("shmheap_alloc");
		memset(p, 0, sizeof(struct obj));
		b.obj[i] = shmheap_ptr_to_handle(b.heap, p);
	}
	b.sh = shmheap_alloc(b.heap, sizeof(*b.sh) + b.samples * sizeof(uint64_t));
	if (!b.sh)
		die("shmheap_alloc");
	memset(b.sh, 0, sizeof(*b.sh));

	int have_mq = qb_mq_available();
	double load0 = load_now();
	printf("queuebench: %d rounds, %lu handles of %zu-byte objects per throughput run, "
	       "%lu wake samples (%d us apart); queue and message_queue of %d; load %.2f\n",
	       rounds, b.n, sizeof(struct obj), b.samples, WAKE_GAP_US, QUEUE_CAP, load0);
	if (!have_mq)
		printf("(no Boost.Interprocess: message_queue not measured)\n");
	double tput[NMETHODS][MAX_ROUNDS];
	double p50[NMETHODS][MAX_ROUNDS], p99[NMETHODS][MAX_ROUNDS];
	uint64_t *lat = malloc(b.samples * sizeof(*lat));
	if (!lat)
		die("malloc");
	for (int r = 0; r < rounds; r++) {
		for (int m = 0; m < NMETHODS; m++) {
			if ((m == M_MQ && !have_mq) || !method_tput[m])
				continue;
			int k = m == M_QUEUE22 ? 2 : 1;
			double s = measure(&b, (enum method)m, k, k, 0);
			tput[m][r] = (double)b.n / s;
			printf("round %d  tput  %-14s %12.0f handles/s\n", r + 1,
			       method_name[m], tput[m][r]);
		}
		for (int m = 0; m < NMETHODS; m++) {
			if ((m == M_MQ && !have_mq) || !method_wake[m])
				continue;
			measure(&b, (enum method)m, 1, 1, 1);
			memcpy(lat, b.sh->lat, b.samples * sizeof(*lat));
			qsort(lat, b.samples, sizeof(*lat), cmp_u64);
			p50[m][r] = (double)lat[b.samples / 2];
			p99[m][r] = (double)lat[b.samples * 99 / 100];
			printf("round %d  wake  %-14s p50 %8.0f ns  p99 %9.0f ns\n",
			       r + 1, method_name[m], p50[m][r], p99[m][r]);
		}
		fflush(stdout);
	}
	double load1 = load_now();
	printf("\nmedians of %d rounds (load %.2f at the start, %.2f at the end):\n",
	       rounds, load0, load1);
	double med[NMETHODS] = {0}, m50[NMETHODS] = {0}, m99[NMETHODS] = {0};
	for (int m = 0; m < NMETHODS; m++) {
		if ((m == M_MQ && !have_mq) || !method_tput[m])
			continue;
		med[m] = bench_median(tput[m], (size_t)rounds);
		printf("  tput  %-14s %12.0f handles/s\n", method_name[m], med[m]);
	}
	for (int m = 0; m < NMETHODS; m++) {
		if ((m == M_MQ && !have_mq) || !method_wake[m])
			continue;
		m50[m] = bench_median(p50[m], (size_t)rounds);
		m99[m] = bench_median(p99[m], (size_t)rounds);
		printf("  wake  %-14s p50 %8.0f ns  p99 %9.0f ns\n", method_name[m],
		       m50[m], m99[m]);
	}
	printf("\ntargets:\n");
	printf("  queue / pipe throughput          %6.2fx  (>= 10x: %s)\n",
	       med[M_QUEUE] / med[M_PIPE],
	       med[M_QUEUE] >= 10 * med[M_PIPE] ? "met" : "missed");
	if (have_mq)
		printf("  queue / message_queue throughput %6.2fx  (>= 5x: %s)\n",
		       med[M_QUEUE] / med[M_MQ],
		       med[M_QUEUE] >= 5 * med[M_MQ] ? "met" : "missed");
	printf("  queue / pipe wake p50            %6.2f   (<= 0.25: %s)\n",
	       m50[M_QUEUE] / m50[M_PIPE],
	       m50[M_QUEUE] * 4 <= m50[M_PIPE] ? "met" : "missed");
	printf("  queue 2x2 / 1x1 throughput       %6.2fx  (>= 1x: %s)\n",
	       med[M_QUEUE22] / med[M_QUEUE],
	       med[M_QUEUE22] >= med[M_QUEUE] ? "met" : "missed");
	printf("\nceilings (references of the same rounds):\n");
	printf("  ring, one CAS / pipe throughput  %6.2fx  (any queue that commits a handle by "
	       "one atomic operation)\n",
	       med[M_RING_CAS] / med[M_PIPE]);
	printf("  ring, plain / pipe throughput    %6.2fx  (one producer and one consumer, "
	       "no atomic operation)\n",
	       med[M_RING_PLAIN] / med[M_PIPE]);
	printf("  queue / ring, one CAS            %6.2fx\n", med[M_QUEUE] / med[M_RING_CAS]);
	printf("  futex / pipe wake p50            %6.2f   (the kernel's bare wake-up)\n",
	       m50[M_FUTEX] / m50[M_PIPE]);
	printf("  unix socket / pipe wake p50      %6.2f\n", m50[M_SOCKET] / m50[M_PIPE]);
	printf("  queue / futex wake p50           %6.2f\n", m50[M_QUEUE] / m50[M_FUTEX]);
	free(lat);
	shmheap_disconnect(b.heap);
	return 0;
}
