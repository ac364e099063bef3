/* SPDX-License-Identifier: MIT */
/*
 * ealloc.h - the memory-management lab's part B interface, as the lab hands
 * it out (the same includes, macros and declarations), over libshmheap: an
 * elastic allocator that maps nothing at init_alloc and then one 4 KiB
 * anonymous private page at a time, only when no page it has can hold a
 * request.
 *
 *   cc main.c util.c $(pkg-config --cflags --libs shmheap-lab)
 *
 * Sizes: positive multiples of 8 up to 4096, on any number of pages.  This
 * relaxes two of the lab's assumptions (sizes are multiples of MINALLOC, 256;
 * at most 4 pages, 16 KiB, are allocated in all): every request the lab makes
 * is served as the lab says, and more are.
 *
 * init_alloc and cleanup return nothing, as the lab declares them: their
 * errors go to errno only (EBUSY: init_alloc while initialised, which then
 * changes nothing; EINVAL: cleanup while not initialised), and alloc returns
 * NULL until init_alloc succeeds.
 *
 * One allocator per program, as with the lab's ealloc.c: the four functions
 * are defined once, in libshmheap-lab.a (a static archive that pkg-config
 * links into the program before libshmheap), and every file that includes
 * this header calls the same ones.  The allocator lives in the program, not in
 * libshmheap, which keeps no global state.  Their link names are prefixed
 * (shmheap_lab_b_...), so libshmheap-lab.a and libshmheap export none of the
 * lab's short names, and part A (alloc.h, the same four short names) may serve
 * another file of the same program.  Include one of the two per file.
 * Not thread-safe (the lab's ealloc.c is not either): one thread at a time.
 * See shmheap-lab(3).
 */
#ifndef SHMHEAP_LAB_EALLOC_H
#define SHMHEAP_LAB_EALLOC_H

/* The lab's ealloc.h includes these, and lab programs rely on them. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>

#define PAGESIZE 4096 /* the granularity of the pages mapped from the OS */
#define MINALLOC 256  /* the lab's smallest request (ours: 8, see above) */

#ifdef __cplusplus
extern "C" {
#endif

/* Prepares the allocator, mapping nothing. */
void init_alloc(void) __asm__("shmheap_lab_b_init_alloc");
/* Unmaps every page and forgets every allocation. */
void cleanup(void) __asm__("shmheap_lab_b_cleanup");
/* size bytes, a positive multiple of 8 up to 4096, or NULL with errno set. */
char *alloc(int size) __asm__("shmheap_lab_b_alloc");
/* Frees a chunk alloc returned; anything else (NULL too) is ignored. */
void dealloc(char *ptr) __asm__("shmheap_lab_b_dealloc");

#ifdef __cplusplus
}
#endif
#endif /* SHMHEAP_LAB_EALLOC_H */
