/* SPDX-License-Identifier: MIT */
/*
 * ctl-queues.c - the queues of a heap's directory, for `shmheap-ctl
 * inspect`: each with its capacity, length, and the threads asleep in its
 * producers' and consumers' calls as the kernel counts them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-out.h"
#include "ctl-queues.h"
#include "tool.h"

static int keep_queue(const char *name, const struct shmheap_queue_stats *st, void *arg)
{
	struct ctl_queues *q = arg;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 16;
		q->q = xrealloc(q->q, q->cap * sizeof(*q->q));
	}
	q->q[q->n++] = (struct ctl_queue){xstrdup(name), *st};
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ctl_queue *)a)->name,
		      ((const struct ctl_queue *)b)->name);
}

void ctl_queues_free(struct ctl_queues *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->q[i].name);
	free(q->q);
	*q = (struct ctl_queues){0};
}

int ctl_queues_op(shmheap_memory_handle mem, void *arg)
{
	struct ctl_queues *q = arg;
	ctl_queues_free(q);
	if (shmheap_queue_walk(mem, keep_queue, q) < 0) {
		q->broken = errno == EUCLEAN;
		if (!q->broken)
			return -1;
	}
	if (q->n)
		qsort(q->q, q->n, sizeof(*q->q), by_name);
	return 0;
}

static const char *count_text(char *buf, size_t len, int n)
{
	if (n < 0)
		return "?";
	snprintf(buf, len, "%d", n);
	return buf;
}

void ctl_queues_print(const struct ctl_queues *q)
{
	printf("\nqueues:\n");
	if (!q->n) {
		printf("  no queues\n");
		return;
	}
	static const char *const heads[] = {
		"  NAME",	    "OFFSET", "CAPACITY", "LENGTH", "PRODUCERS_WAITING",
		"CONSUMERS_WAITING"};
	struct table t;
	table_init(&t, 6, heads, "lrrrrr");
	for (size_t i = 0; i < q->n; i++) {
		const struct ctl_queue *e = &q->q[i];
		char *shown = printable(e->name);
		char name[SHMHEAP_NAME_MAX * 4 + 8], off[NUM_BUF], cap[NUM_BUF],
			len[NUM_BUF], prod[NUM_BUF], cons[NUM_BUF];
		snprintf(name, sizeof(name), "  %s", shown);
		snprintf(off, sizeof(off), "%zu", e->st.offset);
		snprintf(cap, sizeof(cap), "%zu", e->st.capacity);
		snprintf(len, sizeof(len), "%zu", e->st.length);
		const char *row[6] = {name,
				      off,
				      cap,
				      len,
				      count_text(prod, sizeof(prod),
						 e->st.producers_waiting),
				      count_text(cons, sizeof(cons),
						 e->st.consumers_waiting)};
		table_add(&t, row);
		free(shown);
	}
	table_print(&t, stdout);
	table_free(&t);
}

static void json_count(struct json *j, const char *key, int n)
{
	if (n < 0)
		json_null(j, key);
	else
		json_int(j, key, n);
}

void ctl_queues_json(struct json *j, const struct ctl_queues *q)
{
	json_array_begin(j, "queues");
	for (size_t i = 0; i < q->n; i++) {
		const struct ctl_queue *e = &q->q[i];
		json_object_begin(j, NULL);
		json_string(j, "name", e->name);
		json_uint(j, "offset", e->st.offset);
		json_uint(j, "capacity", e->st.capacity);
		json_uint(j, "length", e->st.length);
		json_count(j, "waiting_producers", e->st.producers_waiting);
		json_count(j, "waiting_consumers", e->st.consumers_waiting);
		json_object_end(j);
	}
	json_array_end(j);
}
