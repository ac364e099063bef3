/* SPDX-License-Identifier: MIT */
/*
 * heapread.h - how the inspecting code reads a heap's bytes: straight from
 * the mapping, or through a few bounded windows read with pread.
 *
 * A call that holds the heap lock reads its shared mapping, which it has
 * bounded by the object's length.  A call that does not lock (an unlocked
 * connection: another process may grow, change or truncate the heap at any
 * moment) must not touch the mapping, since a shared mapping of a truncated
 * object raises SIGBUS; it reads what it needs, and only that, through
 * windows (heapread.c).  So its memory is bounded whatever the heap's size,
 * and its time follows the blocks it visits, not the heap's bytes.
 *
 * Callers check every offset against the view's end before they read, as
 * they do over the mapping.  A window read that comes back short (the object
 * shrank meanwhile) or fails gives zeros and marks the windows: a zero block
 * word breaks any chain, so the figures are reported torn (EUCLEAN) and the
 * caller never reads what it did not get.
 */
#ifndef SHMHEAP_HEAPREAD_H
#define SHMHEAP_HEAPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "export.h"
#include "layout.h"

struct backing;

/* A few windows, each read with one read of the backing when an access
 * misses them all (see heapread.c for how much it reads). */
#define HR_WINDOWS 4
#define HR_WINDOW_MIN 4096u	      /* what a lone access reads */
#define HR_WINDOW_MAX (1024u * 1024u) /* what a dense run of accesses grows to */
#define HR_ACCESS_MAX 4096u	      /* the most one access asks for */

struct hr_window {
	unsigned char *buf;
	size_t cap;	     /* bytes allocated at buf */
	uint64_t start, len; /* buf holds [start, start + len) of the heap */
	uint64_t hits;	     /* accesses it served since it was read */
	uint64_t used;	     /* when it last served one (for the replacement) */
};

/* The windows' buffers, kept by a connection between its calls (so that a
 * poller does not allocate and fault them in on every call). */
struct hr_stash {
	unsigned char *buf[HR_WINDOWS];
	size_t cap[HR_WINDOWS];
};

struct heap_windows {
	struct backing *b;
	struct hr_stash **stash; /* where the buffers go back, or NULL */
	uint64_t limit;		 /* nothing at or above it is read (the view's end) */
	uint64_t clock;
	unsigned last; /* the window that served the last access */
	bool torn;     /* some bytes below limit could not be read */
	int err;       /* errno of a read or an allocation that failed, or 0 */
	struct hr_window w[HR_WINDOWS];
};

/* What the inspecting code reads through: base (a locked view) or win. */
struct heap_reader {
	const unsigned char *base;
	struct heap_windows *win;
};

/* Windows over b, reading nothing at or above limit, with the buffers of
 * *stash if it holds some (one call at a time takes them: another thread's
 * call of the same connection allocates its own). */
HIDDEN void hr_windows_init(struct heap_windows *ws, struct backing *b, uint64_t limit,
			    struct hr_stash **stash);
/* Ends the windows: their buffers go back to the stash, or are freed. */
HIDDEN void hr_windows_free(struct heap_windows *ws);
/* Frees what a connection's stash holds (at disconnect). */
HIDDEN void hr_stash_free(struct hr_stash **stash);
/* n (at most HR_ACCESS_MAX) bytes at off, valid until the next access; NULL
 * (and ws marked torn or failed) when they cannot be read. */
HIDDEN const unsigned char *hr_windows_at(struct heap_windows *ws, uint64_t off,
					  size_t n);

/* The 64-bit word at off of the windows; 0 when it cannot be read. */
static inline uint64_t hr_windows_word(struct heap_windows *ws, heap_off off)
{
	const unsigned char *p = hr_windows_at(ws, off, sizeof(uint64_t));
	uint64_t w = 0;
	if (p)
		memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint64_t hr_load(const unsigned char *base, heap_off off)
{
	return __atomic_load_n((const uint64_t *)(const void *)(base + off),
			       __ATOMIC_RELAXED);
}

/* The 64-bit word at off (8-aligned, below the view's end). */
static inline uint64_t hr_word(const struct heap_reader *r, heap_off off)
{
	return r->base ? hr_load(r->base, off) : hr_windows_word(r->win, off);
}

/*
 * hr_word for a hot loop written once and compiled twice: called with base
 * r->base (not NULL) in one copy and NULL in the other, so that the owner's
 * loop over the mapping tests nothing per word.
 */
static inline __attribute__((always_inline)) uint64_t hr_word_from(
	const unsigned char *base, const struct heap_reader *r, heap_off off)
{
	return base ? hr_load(base, off) : hr_windows_word(r->win, off);
}

/* hr_word with acquire ordering on the mapping (a pread is a fresh copy). */
static inline uint64_t hr_word_acquire(const struct heap_reader *r, heap_off off)
{
	if (r->base)
		return __atomic_load_n((const uint64_t *)(const void *)(r->base + off),
				       __ATOMIC_ACQUIRE);
	return hr_windows_word(r->win, off);
}

/* Copies n bytes at off (below the view's end) into buf; zeros where they
 * cannot be read. */
HIDDEN void hr_read(const struct heap_reader *r, heap_off off, void *buf, size_t n);

/* 1 when the reader lost bytes (the object shrank, or a read failed). */
static inline bool hr_torn(const struct heap_reader *r)
{
	return !r->base && (r->win->torn || r->win->err);
}

#endif /* SHMHEAP_HEAPREAD_H */
