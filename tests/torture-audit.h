/* SPDX-License-Identifier: MIT */
/* torture-audit.h - the supervisor's checks of the heap against the journals. */
#ifndef TORTURE_AUDIT_H
#define TORTURE_AUDIT_H

#include "torture-shared.h"

/* What the audits found, for the closing statistics. */
struct audit_counts {
	unsigned long
		inflight_alloc_kept; /* killed in alloc: the object was there (freed) */
	unsigned long inflight_alloc_gone; /* killed in alloc: nothing was allocated */
	unsigned long
		inflight_free_undone;	  /* killed in free: the object was still there */
	unsigned long inflight_free_done; /* killed in free: it was gone */
	unsigned long half_filled; /* killed while filling: freed by the supervisor */
	unsigned long objects_verified; /* patterns checked by the supervisor */
	size_t double_frees;		/* refused, as they must be */
};

/*
 * After a kill, with every survivor paused at a safe point: checks the heap,
 * verifies every journalled object's pattern, accounts for every live block,
 * and settles the dead worker's one call in flight so that its journal holds
 * only committed objects (which its replacement inherits).
 */
void audit_after_kill(shmheap_memory_handle mem, int victim, struct audit_counts *counts);

/* With every worker gone: verifies and frees every object; the heap must then
 * be one free block. */
void audit_final(shmheap_memory_handle mem, struct audit_counts *counts);

/* shmheap_check must find nothing. */
void audit_check(shmheap_memory_handle mem, const char *when);

#endif /* TORTURE_AUDIT_H */
