/* SPDX-License-Identifier: MIT */
/* worker.c - a simulated process of the lab runners (see worker.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "runheap.h"
#include "worker.h"

/*
 * One output line, built in memory and written with a single write(2) so
 * that lines of processes running at the same time never mix.
 */
struct line {
	char *buf;
	size_t len, cap;
};

static void line_reserve(struct line *l, size_t more)
{
	if (l->len + more <= l->cap)
		return;
	size_t cap = l->cap ? l->cap : 256;
	while (cap < l->len + more)
		cap *= 2;
	char *buf = realloc(l->buf, cap);
	if (!buf) {
		static const char msg[] = "shmheap runner: worker out of memory\n";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(1);
	}
	l->buf = buf;
	l->cap = cap;
}

/* A line's words are formatted into a buffer of this size first; a longer
 * text is formatted again, straight into the line. */
#define LINE_WORDS_MAX 128

static void line_printf(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void line_printf(struct line *l, const char *fmt, ...)
{
	char words[LINE_WORDS_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(words, sizeof(words), fmt, ap);
	va_end(ap);
	if (n < 0) {
		static const char msg[] = "shmheap runner: worker cannot format a line\n";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(1);
	}
	line_reserve(l, (size_t)n + 1);
	if ((size_t)n < sizeof(words)) {
		memcpy(l->buf + l->len, words, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(l->buf + l->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	l->len += (size_t)n;
}

/* Appends " v" for each integer; faster than printf for long objects. */
static void line_values(struct line *l, const uint64_t *v, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		char digits[24];
		char *d = digits + sizeof(digits);
		uint64_t x = v[i];
		do {
			*--d = (char)('0' + x % 10);
			x /= 10;
		} while (x);
		size_t n = (size_t)(digits + sizeof(digits) - d);
		line_reserve(l, n + 1);
		l->buf[l->len++] = ' ';
		memcpy(l->buf + l->len, d, n);
		l->len += n;
	}
}

/* Returns 0, or the errno of a failed write: the runner reports it (EPIPE
 * when the reader of the output has gone, which ends the run quietly). */
static int line_emit(struct line *l)
{
	line_reserve(l, 1);
	l->buf[l->len++] = '\n';
	int err = write_all(STDOUT_FILENO, l->buf, l->len) < 0 ? errno : 0;
	l->len = 0;
	return err;
}

/* The worker's state: its id, its connection, and its output line. */
struct worker {
	unsigned id;
	shmheap_memory_handle heap;
	struct line out;
};

static size_t offset_of(struct worker *w, const void *ptr)
{
	return (size_t)((const char *)ptr - (const char *)shmheap_underlying(w->heap));
}

static struct worker_reply execute(struct worker *w, const struct worker_request *rq)
{
	struct worker_reply rp = {0};
	struct line *l = &w->out;
	switch (rq->op) {
	case WORKER_CONNECT:
		w->heap = run_heap_connect();
		if (!w->heap) {
			rp.err = errno ? errno : EIO;
			return rp;
		}
		line_printf(l, "#%u: Connected", w->id);
		break;
	case WORKER_DISCONNECT:
		shmheap_disconnect(w->heap);
		w->heap = NULL;
		line_printf(l, "#%u: Disconnected", w->id);
		break;
	case WORKER_READ: {
		const uint64_t *v = shmheap_handle_to_ptr(w->heap, rq->hdl);
		line_printf(l, "#%u: Read:", w->id);
		line_values(l, v, rq->count);
		break;
	}
	case WORKER_ALLOC: {
		uint64_t *v = shmheap_alloc(w->heap, (size_t)rq->size);
		if (!v) {
			rp.err = errno ? errno : ENOMEM;
			line_printf(l, "#%u: Allocation of %" PRIu64 " bytes failed: %s",
				    w->id, rq->size, strerror(rp.err));
			break;
		}
		for (uint64_t i = 0; i < rq->count; i++)
			v[i] = rq->first_value + i;
		rp.hdl = shmheap_ptr_to_handle(w->heap, v);
		line_printf(l, "#%u: Allocated at offset %zu:", w->id, offset_of(w, v));
		line_values(l, v, rq->count);
		break;
	}
	case WORKER_FREE: {
		void *p = shmheap_handle_to_ptr(w->heap, rq->hdl);
		size_t off = offset_of(w, p);
		if (shmheap_free_checked(w->heap, p) < 0) {
			rp.err = errno;
			return rp;
		}
		line_printf(l, "#%u: Freed at offset: %zu", w->id, off);
		break;
	}
	default:
		rp.err = EINVAL;
		return rp;
	}
	rp.out_err = line_emit(l);
	return rp;
}

void worker_run(unsigned id, int in_fd, int out_fd)
{
	struct worker w = {.id = id};
	struct worker_request rq;
	while (read_all(in_fd, &rq, sizeof(rq)) == 1 && rq.op != WORKER_QUIT) {
		errno = 0;
		struct worker_reply rp = execute(&w, &rq);
		if (write_all(out_fd, &rp, sizeof(rp)) < 0)
			break;
	}
	if (w.heap)
		shmheap_disconnect(w.heap);
	/* _exit: exit() would flush or rewind stdio streams shared with the runner. */
	_exit(0);
}
