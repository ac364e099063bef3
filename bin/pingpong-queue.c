/* SPDX-License-Identifier: MIT */
/*
 * pingpong-queue.c - shmheap-pingpong --api queue.
 *
 * The parent makes an anonymous heap (nothing to remove afterwards, whatever
 * becomes of the processes) with two queues of one handle each, "requests"
 * and "answers", then forks.  For each round the child allocates the call (a
 * number and room for its square) in the heap and pushes its handle onto
 * "requests"; the parent pops it, writes the square and pushes the same
 * handle onto "answers"; the child pops it, reads the answer and frees the
 * call.  The child joins the heap through its descriptor, a connection of
 * its own.  A pop waits in slices of 100 ms, between which it looks at the
 * stop flag and the other process, and gives up after DEMO_WAIT_S seconds.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "pingpong-queue.h"
#include "tool.h"

#define HEAP_BYTES (64 * 1024)
#define SLICE_MS 100

struct call {
	unsigned long long arg, result;
};

shmheap_memory_handle pp_queue_make(void)
{
	shmheap_memory_handle heap = shmheap_create_anonymous(HEAP_BYTES, NULL);
	if (!heap)
		demo_die("shmheap_create_anonymous: %s", strerror(errno));
	shmheap_queue *rq = shmheap_queue_create(heap, "requests", 1);
	shmheap_queue *aq = rq ? shmheap_queue_create(heap, "answers", 1) : NULL;
	if (!aq)
		demo_die("shmheap_queue_create: %s", strerror(errno));
	shmheap_queue_close(rq);
	shmheap_queue_close(aq);
	return heap;
}

/* Pops from q into *h.  0, or -1 having said why (unless the other process
 * is gone, which it or the parent says itself). */
static int pop(shmheap_queue *q, shmheap_object_handle *h, const struct demo_peer *peer,
	       const char *who, const char *what, unsigned long r)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (shmheap_queue_pop(q, h, SLICE_MS) == 0)
			return 0;
		if (errno == EINTR || demo_stop)
			return -1;
		if (errno != ETIMEDOUT) {
			tool_warn("%s: shmheap_queue_pop: %s", who, strerror(errno));
			return -1;
		}
		if (!peer->alive(peer->arg))
			return -1;
		if (demo_ms_since(&start) >= DEMO_WAIT_S * 1000L) {
			tool_warn("%s: waited %d s for %s %lu", who, DEMO_WAIT_S, what,
				  r);
			return -1;
		}
	}
}

static int push(shmheap_queue *q, shmheap_object_handle h, const char *who)
{
	/* A queue of one that the other side empties before it pushes back. */
	if (shmheap_queue_push(q, h, DEMO_WAIT_S * 1000) == 0)
		return 0;
	if (errno != EINTR)
		tool_warn("%s: shmheap_queue_push: %s", who, strerror(errno));
	return -1;
}

int pp_queue_client(shmheap_memory_handle inherited, unsigned long rounds,
		    const struct demo_peer *parent)
{
	shmheap_memory_handle heap = shmheap_connect_fd(shmheap_fd(inherited));
	if (!heap) {
		tool_warn("child: shmheap_connect_fd: %s", strerror(errno));
		return TOOL_EXIT_FAIL;
	}
	shmheap_disconnect(inherited); /* the parent's */
	shmheap_queue *rq = shmheap_queue_open(heap, "requests");
	shmheap_queue *aq = shmheap_queue_open(heap, "answers");
	int status = TOOL_EXIT_FAIL;
	if (!rq || !aq) {
		tool_warn("child: shmheap_queue_open: %s", strerror(errno));
		goto out;
	}
	for (unsigned long r = 1; r <= rounds; r++) {
		struct call *c = shmheap_alloc(heap, sizeof(*c));
		if (!c) {
			tool_warn("child: shmheap_alloc: %s", strerror(errno));
			goto out;
		}
		c->arg = r;
		shmheap_object_handle h = shmheap_ptr_to_handle(heap, c);
		if (demo_say("child", "request %lu: square of %llu", r, c->arg) < 0 ||
		    push(rq, h, "child") < 0 ||
		    pop(aq, &h, parent, "child", "the parent's answer", r) < 0)
			goto out;
		c = shmheap_handle_to_ptr(heap, h);
		if (!c || demo_say("child", "answer %lu: %llu", r, c->result) < 0)
			goto out;
		shmheap_free(heap, c);
	}
	status = TOOL_EXIT_OK;
out:
	shmheap_queue_close(rq);
	shmheap_queue_close(aq);
	shmheap_disconnect(heap);
	return status;
}

int pp_queue_server(shmheap_memory_handle heap, unsigned long rounds,
		    const struct demo_peer *child)
{
	shmheap_queue *rq = shmheap_queue_open(heap, "requests");
	shmheap_queue *aq = shmheap_queue_open(heap, "answers");
	int status = TOOL_EXIT_FAIL;
	if (!rq || !aq) {
		tool_warn("parent: shmheap_queue_open: %s", strerror(errno));
		goto out;
	}
	for (unsigned long r = 1; r <= rounds; r++) {
		shmheap_object_handle h;
		if (pop(rq, &h, child, "parent", "the child's request", r) < 0)
			goto out;
		struct call *c = shmheap_handle_to_ptr(heap, h);
		if (!c) {
			tool_warn("parent: request %lu names no object", r);
			goto out;
		}
		c->result = c->arg * c->arg;
		if (demo_say("parent", "request %lu: %llu * %llu = %llu", r, c->arg,
			     c->arg, c->result) < 0 ||
		    push(aq, h, "parent") < 0)
			goto out;
	}
	status = TOOL_EXIT_OK;
out:
	shmheap_queue_close(rq);
	shmheap_queue_close(aq);
	return status;
}
