/* SPDX-License-Identifier: MIT */
/*
 * heapread.c - bounded windows over a heap read without its lock.
 *
 * An access that no window holds reads a window starting at it, with one
 * read of the backing (pread; System V: a copy from a read-only attach).
 * How much it reads follows how densely the accesses used the window before:
 *
 *   - an access that carries a run on (it lies within one window length past
 *     a window's end) reuses that window, and reads HR_BYTES_PER_HIT bytes
 *     for each access the window served, between HR_WINDOW_MIN and
 *     HR_WINDOW_MAX;
 *   - any other access takes the least recently used window and reads
 *     HR_WINDOW_MIN bytes.
 *
 * A read costs about as much as copying a few kilobytes, so blocks further
 * apart than HR_BYTES_PER_HIT get a read each (a walk over large blocks never
 * copies the objects), and closer ones are copied whole, a megabyte at a
 * time.  Either way a call costs O(blocks visited) reads and copies at most
 * about HR_BYTES_PER_HIT bytes per block; an index walk's jumps keep their own
 * windows beside the chain walk's.  Memory: at most HR_WINDOWS *
 * HR_WINDOW_MAX, whatever the heap's size.
 */
#include <errno.h>
#include <stdlib.h>

#include "backing.h"
#include "heapread.h"

#define HR_BYTES_PER_HIT 4096u

void hr_windows_init(struct heap_windows *ws, struct backing *b, uint64_t limit,
		     struct hr_stash **stash)
{
	*ws = (struct heap_windows){.b = b, .stash = stash, .limit = limit};
	struct hr_stash *s = stash ? __atomic_exchange_n(stash, NULL, __ATOMIC_ACQ_REL)
				   : NULL;
	if (!s)
		return;
	for (unsigned i = 0; i < HR_WINDOWS; i++) {
		ws->w[i].buf = s->buf[i];
		ws->w[i].cap = s->cap[i];
	}
	free(s);
}

void hr_stash_free(struct hr_stash **stash)
{
	struct hr_stash *s = __atomic_exchange_n(stash, NULL, __ATOMIC_ACQ_REL);
	if (!s)
		return;
	for (unsigned i = 0; i < HR_WINDOWS; i++)
		free(s->buf[i]);
	free(s);
}

void hr_windows_free(struct heap_windows *ws)
{
	struct hr_stash *s = ws->stash ? malloc(sizeof(*s)) : NULL;
	for (unsigned i = 0; i < HR_WINDOWS; i++) {
		if (s) {
			s->buf[i] = ws->w[i].buf;
			s->cap[i] = ws->w[i].cap;
		} else {
			free(ws->w[i].buf);
		}
		ws->w[i] = (struct hr_window){0};
	}
	if (!s)
		return;
	/* These are kept; what another thread put back meanwhile is freed. */
	struct hr_stash *old = __atomic_exchange_n(ws->stash, s, __ATOMIC_ACQ_REL);
	if (old) {
		for (unsigned i = 0; i < HR_WINDOWS; i++)
			free(old->buf[i]);
		free(old);
	}
}

static bool holds(const struct hr_window *w, uint64_t off, size_t n)
{
	return off >= w->start && off - w->start <= w->len &&
	       n <= w->len - (off - w->start);
}

/* The window to read for an access at off, and how much to read into it. */
static struct hr_window *choose(struct heap_windows *ws, uint64_t off, uint64_t *len)
{
	struct hr_window *lru = &ws->w[0];
	for (unsigned i = 0; i < HR_WINDOWS; i++) {
		struct hr_window *w = &ws->w[i];
		uint64_t end = w->start + w->len;
		if (w->len && off >= end && off - end < w->len) {
			uint64_t want = w->hits * HR_BYTES_PER_HIT;
			*len = want < HR_WINDOW_MIN   ? HR_WINDOW_MIN
			       : want > HR_WINDOW_MAX ? HR_WINDOW_MAX
						      : want;
			return w;
		}
		if (w->used < lru->used)
			lru = w;
	}
	*len = HR_WINDOW_MIN;
	return lru;
}

/* Reads a window holding [off, off + n); NULL when it cannot. */
static struct hr_window *fill(struct heap_windows *ws, uint64_t off, size_t n)
{
	uint64_t len;
	struct hr_window *w = choose(ws, off, &len);
	w->len = 0;
	w->hits = 0;
	if (len < n)
		len = n;
	if (len > ws->limit - off)
		len = ws->limit - off; /* at least n: the caller checked */
	if (w->cap < len) {
		free(w->buf); /* nothing in it is kept */
		w->cap = 0;
		/* A window that grows at all grows to its largest size at once,
		 * so that its buffer is allocated once. */
		size_t cap = len > HR_WINDOW_MIN ? HR_WINDOW_MAX : HR_WINDOW_MIN;
		w->buf = malloc(cap);
		if (!w->buf) {
			ws->err = ENOMEM;
			return NULL;
		}
		w->cap = cap;
	}
	ssize_t got = ws->b->ops->read_upto(ws->b, w->buf, len, off);
	if (got < 0) {
		ws->err = errno ? errno : EIO;
		return NULL;
	}
	if ((uint64_t)got < n) {
		ws->torn = true; /* the object shrank since its length was read */
		return NULL;
	}
	w->start = off;
	w->len = (uint64_t)got;
	return w;
}

const unsigned char *hr_windows_at(struct heap_windows *ws, uint64_t off, size_t n)
{
	if (off > ws->limit || n > ws->limit - off || n > HR_ACCESS_MAX) {
		ws->torn = true; /* a caller's bound would have to be wrong */
		return NULL;
	}
	struct hr_window *w = &ws->w[ws->last];
	if (!holds(w, off, n)) {
		w = NULL;
		for (unsigned i = 0; i < HR_WINDOWS && !w; i++)
			if (holds(&ws->w[i], off, n))
				w = &ws->w[i];
		if (!w && !(w = fill(ws, off, n)))
			return NULL;
		ws->last = (unsigned)(w - ws->w);
	}
	w->hits++;
	w->used = ++ws->clock;
	return w->buf + (off - w->start);
}

void hr_read(const struct heap_reader *r, heap_off off, void *buf, size_t n)
{
	if (r->base) {
		memcpy(buf, r->base + off, n);
		return;
	}
	unsigned char *out = buf;
	while (n) {
		size_t part = n < HR_ACCESS_MAX ? n : HR_ACCESS_MAX;
		const unsigned char *p = hr_windows_at(r->win, off, part);
		if (p)
			memcpy(out, p, part);
		else
			memset(out, 0, part);
		out += part;
		off += part;
		n -= part;
	}
}
