/* SPDX-License-Identifier: MIT */
/*
 * liveness.h - whether the process that owns a cache slot still runs
 * (liveness.c, which explains how that is told).
 */
#ifndef SHMHEAP_LIVENESS_H
#define SHMHEAP_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "export.h"

/* The slot's owner holds an OFD write lock on byte LIVENESS_LOCK_BASE + slot
 * of the heap's object, far beyond its end (2^62 where off_t has 64 bits). */
#define LIVENESS_LOCK_BASE ((off_t)1 << (sizeof(off_t) * 8 - 2))

/* What a slot records of its owner (struct cache_slot), as one copy. */
struct liveness_owner {
	uint32_t pid;	/* in the owner's pid namespace */
	uint32_t mark;	/* LIVENESS_MARK_* and a check of the other fields; 0 from
			 * libshmheap 0.3.1 and older */
	uint64_t start; /* /proc/PID/stat field 22 as the owner read it; 0: unknown */
	uint64_t ns;	/* pid namespace << 32 | time namespace (nsfs inode
			 * numbers) of the owner; 0: unknown */
};

#define LIVENESS_MARK_LOCKED 1u /* it holds its byte lock */
#define LIVENESS_MARK_OURS 2u	/* written by this code (with the check) */

enum liveness_state {
	LIVENESS_GONE = 0,  /* the owner has ended: its slot may be swept */
	LIVENESS_RUNS = 1,  /* the owner runs */
	LIVENESS_UNSURE = 2 /* cannot be told: the slot stays reserved */
};

/* What this process knows of itself, looked up once per sweep (lazily). */
struct liveness_self {
	bool looked;
	bool proc_ours; /* /proc shows this process's pid namespace */
	uint64_t ns;	/* as liveness_owner.ns; 0: unknown */
};

/* A new open file description of the object fd has open (writable), for the
 * byte lock alone; -1 if none can be had. */
HIDDEN int liveness_open(int fd);
/* Takes slot's byte lock through lock_fd: 0, or -1 (held by another). */
HIDDEN int liveness_hold(int lock_fd, unsigned slot);
/* The owner's release at disconnect: unlocks slot's byte, closes lock_fd. */
HIDDEN void liveness_release(int lock_fd, unsigned slot);
/* This process's record for a slot it claims (locked: it holds the byte). */
HIDDEN void liveness_describe(struct liveness_owner *o);
HIDDEN void liveness_mark(struct liveness_owner *o, bool locked);
/* Whether the owner o of slot runs, tested through fd (the connection's
 * descriptor of the object, or -1 for System V). */
HIDDEN int liveness_judge(int fd, unsigned slot, const struct liveness_owner *o,
			  struct liveness_self *self);

#endif /* SHMHEAP_LIVENESS_H */
