/* SPDX-License-Identifier: MIT */
/*
 * alloc.h - the memory-management lab's part A interface, as the lab hands it
 * out (the same includes, macros and declarations), over libshmheap: a
 * memory manager of one 4 KiB page obtained with mmap, every byte of it
 * available (the bookkeeping lives outside the page).
 *
 *   cc main.c util.c $(pkg-config --cflags --libs shmheap-lab)
 *
 * One manager per program, as with the lab's alloc.c: the four functions are
 * defined once, in libshmheap-lab.a (a static archive that pkg-config links
 * into the program before libshmheap), and every file that includes this
 * header calls the same ones.  The manager lives in the program, not in
 * libshmheap, which keeps no global state.  Their link names are prefixed
 * (shmheap_lab_a_...), so libshmheap-lab.a and libshmheap export none of the
 * lab's short names, and part B (ealloc.h, the same four short names) may
 * serve another file of the same program.  Include one of the two per file.
 * Not thread-safe (the lab's alloc.c is not either): one thread at a time.
 * See shmheap-lab(3).
 */
#ifndef SHMHEAP_LAB_ALLOC_H
#define SHMHEAP_LAB_ALLOC_H

/* The lab's alloc.h includes these, and lab programs rely on them. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>

#define PAGESIZE 4096 /* the page the manager maps, all of it allocatable */
#define MINALLOC 8    /* allocations are positive multiples of this */

#ifdef __cplusplus
extern "C" {
#endif

/* Maps the 4 KiB page: 0, or an errno value (EBUSY if already initialised). */
int init_alloc(void) __asm__("shmheap_lab_a_init_alloc");
/* Unmaps the page and forgets every allocation: 0, or an errno value
 * (EINVAL if not initialised). */
int cleanup(void) __asm__("shmheap_lab_a_cleanup");
/* size bytes, a positive multiple of 8, or NULL (bad size, no free run, or
 * not initialised) with errno set. */
char *alloc(int size) __asm__("shmheap_lab_a_alloc");
/* Frees a chunk alloc returned; anything else (NULL too) is ignored. */
void dealloc(char *ptr) __asm__("shmheap_lab_a_dealloc");

#ifdef __cplusplus
}
#endif
#endif /* SHMHEAP_LAB_ALLOC_H */
