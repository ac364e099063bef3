/* SPDX-License-Identifier: MIT */
/* queue-testutil.c - heaps of every kind and the accounting of the queue suites. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue-testutil.h"

const char *qt_kind_name(enum qt_kind kind)
{
	static const char *const names[] = {"posix", "cached", "file", "sysv", "anon"};
	return kind < QT_KINDS ? names[kind] : "?";
}

void qt_make(struct qt_heap *q, enum qt_kind kind, size_t bytes, unsigned n)
{
	struct shmheap_options cached = {.flags = SHMHEAP_CACHED};
	char path[BT_NAME_MAX];
	*q = (struct qt_heap){.kind = kind};
	switch (kind) {
	case QT_POSIX:
	case QT_CACHED:
		snprintf(q->name, sizeof(q->name), "%s", tu_name("queue"));
		break;
	case QT_FILE:
		snprintf(q->name, sizeof(q->name), "%s",
			 bt_file_name("queue", path, sizeof(path)));
		break;
	case QT_SYSV:
		bt_sysv_name(n, q->name, sizeof(q->name));
		break;
	default:
		break;
	}
	if (kind == QT_ANON)
		q->h = shmheap_create_anonymous(bytes, NULL);
	else
		q->h = shmheap_create_ex(q->name, bytes,
					 kind == QT_CACHED ? &cached : NULL);
	ck_assert_msg(q->h != NULL, "create a %s heap: %s", qt_kind_name(kind),
		      strerror(errno));
}

shmheap_memory_handle qt_child_connect(const struct qt_heap *q)
{
	if (q->kind == QT_ANON)
		return q->h;
	shmheap_disconnect(q->h); /* the parent's */
	shmheap_memory_handle h = shmheap_connect(q->name);
	TU_REQUIRE(h != NULL, "connect %s: %s", q->name, strerror(errno));
	return h;
}

void qt_destroy(struct qt_heap *q)
{
	if (q->kind == QT_ANON)
		shmheap_disconnect(q->h);
	else
		shmheap_destroy(q->name, q->h);
	q->h = NULL;
}

static int count_live(const struct shmheap_block *blk, void *arg)
{
	*(size_t *)arg += blk->in_use != 0;
	return 0;
}

size_t qt_live_objects(shmheap_memory_handle h)
{
	size_t n = 0;
	ck_assert_int_eq(shmheap_walk(h, count_live, &n), 0);
	return n;
}

size_t qt_drain(shmheap_queue *q, shmheap_object_handle *out, size_t max)
{
	size_t n = 0;
	shmheap_object_handle got;
	while (n < max && shmheap_queue_pop(q, &got, 0) == 0)
		out[n++] = got;
	return n;
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = ((const shmheap_object_handle *)a)->value;
	uint64_t y = ((const shmheap_object_handle *)b)->value;
	return x < y ? -1 : x > y;
}

int qt_account(shmheap_memory_handle h, shmheap_queue **queues, size_t nqueues,
	       const shmheap_object_handle *slots, size_t nslots, size_t own)
{
	return qt_account_lossy(h, queues, nqueues, slots, nslots, own, 0);
}

int qt_account_lossy(shmheap_memory_handle h, shmheap_queue **queues, size_t nqueues,
		     const shmheap_object_handle *slots, size_t nslots, size_t own,
		     size_t may_lose)
{
	size_t max = 1 << 20, n = 0;
	int problems = 0;
	shmheap_object_handle *all = malloc(max * sizeof(*all));
	ck_assert_ptr_nonnull(all);
	for (size_t i = 0; i < nqueues; i++)
		n += qt_drain(queues[i], all + n, max - n);
	for (size_t i = 0; i < nslots && n < max; i++)
		if (slots[i].value)
			all[n++] = slots[i];
	qsort(all, n, sizeof(*all), by_value);
	for (size_t i = 0; i < n; i++) {
		if (i && all[i].value == all[i - 1].value) {
			fprintf(stderr, "handle %#llx is in two places\n",
				(unsigned long long)all[i].value);
			problems++;
		}
		void *p = shmheap_handle_to_ptr(h, all[i]);
		if (!p || shmheap_usable_size(h, p) == 0) {
			fprintf(stderr, "handle %#llx names no live object\n",
				(unsigned long long)all[i].value);
			problems++;
		}
	}
	size_t live = qt_live_objects(h);
	if (live < own + n || live > own + n + may_lose) {
		fprintf(stderr,
			"%zu live objects: %zu the library's and the test's own, %zu queued "
			"or in slots (%zd orphaned)\n",
			live, own, n, (ssize_t)live - (ssize_t)(own + n));
		problems++;
	} else if (live > own + n) {
		fprintf(stderr, "%zu objects lost with killed plain calls (at most %zu)\n",
			live - own - n, may_lose);
	}
	free(all);
	return problems;
}
