/* SPDX-License-Identifier: MIT */
/*
 * ext.h - the heap-extension record: the names directory's root and the
 * one-entry intent log of the calls that must survive a kill (names.c,
 * publish.c).
 *
 * The 72-byte header is full, and heaps made by shmheap_create keep their
 * first object at offset 80, so the record is an ordinary block, allocated
 * under the lock by the first call that needs it.  Its object offset (in
 * HEAP_UNIT units) then takes the place of the header's `created` field,
 * whose value moves into the record, and HEAP_FLAG_EXT says which the field
 * holds.  The field is stored before the flag; the record's first word is a
 * magic keyed by the heap's seed and the record's offset, so that a repair
 * finding a record without the flag finishes the installation, and a reader
 * that does not lock (shmheap_info) takes the field for an offset only when
 * the magic at that offset, read within bounds, agrees.
 *
 * Every call that changes the directory or publishes an object runs under
 * the heap lock, so one pending operation per heap is all the log holds:
 * its arguments are written first, then its op (release), then the steps of
 * the operation, then op = INTENT_NONE.  A process killed in between leaves
 * op set; heap_repair (on EOWNERDEAD) calls ext_repair, which completes or
 * rolls back that operation (see ext.c for each case) before the free-block
 * index is rebuilt.  Blocks an operation allocates are predicted before they
 * are allocated (the first fit is deterministic), so the log names them
 * before they exist.
 */
#ifndef SHMHEAP_EXT_H
#define SHMHEAP_EXT_H

#include <time.h>

#include "backing.h"
#include "connection.h"
#include "layout.h"
#include "testhooks.h"
#include "view.h"

/* The operation pending in the intent log. */
enum ext_op {
	INTENT_NONE = 0,
	INTENT_ALLOC_INTO = 1,	/* a: new block, b: slot */
	INTENT_FREE_FROM = 2,	/* a: block freed, b: slot */
	INTENT_NAME_ADD = 3,	/* a: new entry's block, b: table slot */
	INTENT_NAME_REMOVE = 4, /* a: entry's block, b: table slot */
	INTENT_NAME_TABLE = 5,	/* a: new table's block, c: old table's block */
	/* Queues (queue.h): the repair hands these to queue_finish. */
	INTENT_QUEUE_CREATE = 6,  /* a: entry's block, b: table slot, c: queue's */
	INTENT_QUEUE_DESTROY = 7, /* a: entry's block, b: table slot, c: queue's */
	INTENT_QUEUE_PUSH = 8,	  /* a: queue's object, b: slot, c: handle; pos: ring index */
	INTENT_QUEUE_POP = 9,	  /* a: queue's object, b: slot, c: handle; pos: ring index */
};

struct heap_intent {
	uint32_t op;  /* enum ext_op, stored last (release) */
	uint32_t pos; /* queue calls: the ring index of the slot held (queue.h) */
	uint64_t a, b, c; /* byte offsets from the start of the heap */
};

struct heap_ext {
	uint64_t magic;	  /* ext_magic(seed, object offset) */
	uint64_t created; /* seconds since the epoch, moved from the header */
	/* The names table: its object's byte offset, with log2 of its slot
	 * count in bits 48-55, so that one store replaces a table; 0: none. */
	uint64_t table;
	uint32_t names; /* live names (recounted by the repair) */
	uint32_t used;	/* names and tombstones */
	struct heap_intent intent;
};

#define EXT_TABLE_OFF_MASK ((UINT64_C(1) << 48) - 1)
#define EXT_TABLE_SHIFT 48

static inline uint64_t ext_magic(uint32_t seed, heap_off obj)
{
	return mix64(obj ^ ((uint64_t)seed << 32) ^ 0x4558545245434f52ull);
}

/* The record's state for one connection (h->ext): the block that held the
 * last slot validated, its offset and block word (publish.c). */
struct ext_conn {
	heap_off slot_blk;
	uint64_t slot_bw;
};

struct heap_layer_ops;

/* ext-layer.c: the layer of the record, used by every heap (layer.h). */
extern const struct heap_layer_ops ext_layer;

/* ext.c, under the lock.  The record, or NULL (none, or not sane: EUCLEAN). */
HIDDEN struct heap_ext *ext_find(struct shmheap_heap *h);
/* The record, installing it first if the heap has none. */
HIDDEN struct heap_ext *ext_get(struct shmheap_heap *h);
/* Predicts the block a block_alloc of need bytes will return (growing the
 * heap first if nothing fits): 0 with errno ENOMEM or ENOSPC. */
HIDDEN heap_off ext_predict(struct shmheap_heap *h, uint64_t need);
/* Allocates the block ext_predict named: 0, or -1 with errno EUCLEAN (and
 * nothing allocated) if block_alloc chose another block. */
HIDDEN int ext_alloc_predicted(struct shmheap_heap *h, uint64_t need, heap_off blk);
/* Starts (op stored last) and ends a logged operation. */
HIDDEN void ext_begin(struct heap_ext *x, enum ext_op op, uint64_t a, uint64_t b,
		      uint64_t c);
HIDDEN void ext_end(struct heap_ext *x);
/* A numbered step of a logged call: a kill point of the library built for
 * the tests (testhooks.h), nothing in the installed one. */
#define ext_step(h, call, step) SHMHEAP_KILL_POINT(call, step)
/* Installs the record at obj: the field is stored before the flag. */
HIDDEN void ext_install(struct shmheap_heap *h, heap_off obj);

/* ext-repair.c: the layer's repair (layer.h): finishes an installation and
 * the pending operation (a queue's through queue_finish, queue.h). */
HIDDEN void ext_repair(struct shmheap_heap *h);
/* 1 when a live block starts at off (walking the chain, for the repair). */
HIDDEN int ext_chain_live(struct shmheap_heap *h, heap_off off);
/* For a layer's part of that repair: a word inside a live block, past its
 * block word and outside the block skip (NULL if off is no such word); and
 * the release of the live block at blk (its in-use bit cleared only). */
HIDDEN uint64_t *ext_repair_word(struct shmheap_heap *h, heap_off off, heap_off skip);
HIDDEN void ext_repair_free(struct shmheap_heap *h, heap_off blk);
/* publish.c, under the lock: the offset of a slot that may receive a handle
 * (inside a live object, not the library's record or names table), its
 * block in *blk; 0 with errno EINVAL. */
HIDDEN heap_off ext_slot_offset(struct shmheap_heap *h, const shmheap_object_handle *slot,
				heap_off *blk);

/* Readers of a heap that may be damaged or changing (inspect.h): the
 * record's object offset as the view shows it, or 0. */
HIDDEN heap_off ext_view_record(const struct heap_view *v);
/* The directory's own blocks, for a walk: the object offsets of the record
 * and of the names table (0: none). */
struct ext_own {
	heap_off record, table;
};
HIDDEN void ext_view_own(const struct heap_view *v, struct ext_own *own);
/* 1 when the live object at obj is the record, the table, a name entry (a
 * well-formed one whose hash is right) or a queue. */
HIDDEN int ext_view_owned(const struct heap_view *v, const struct ext_own *own,
			  heap_off obj);
/* The layer's block_kind hook (layer.h): the directory's blocks and the
 * queues are the library's. */
HIDDEN int ext_block_kind(const struct heap_view *v, heap_off off, uint64_t bw);
/* Verifies the record and the directory, calling fn for each problem. */
HIDDEN void ext_verify(const struct heap_view *v, heap_problem_fn fn, void *arg);
/* The creation time a header read without the lock stands for (info.c). */
HIDDEN time_t ext_created_time(struct backing *b, const struct heap_header *hdr);

#endif /* SHMHEAP_EXT_H */
