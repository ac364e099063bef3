/* SPDX-License-Identifier: MIT */
/*
 * shmseg.h - shared memory segments named by a small integer id, with a
 * reference count kept by the kernel, attached at an address the caller may
 * choose.  See shmseg(3).
 */
#ifndef SHMHEAP_SHMSEG_H
#define SHMHEAP_SHMSEG_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ids are 0 .. SHMSEG_MAX_IDS - 1 in every namespace. */
#define SHMSEG_MAX_IDS 1024

int shmseg_create(size_t size);
void *shmseg_attach(int id, void *addr);
int shmseg_detach(int id);
int shmseg_destroy(int id);
int shmseg_open(int id, void **ptr);
int shmseg_close(int id);

/* What shmseg_stat reports about one segment. */
struct shmseg_stat {
	int id;
	size_t size;	       /* bytes, a multiple of the page size */
	unsigned long nattach; /* live attachments, all processes */
	pid_t creator;	       /* the process that created it */
	pid_t last;	       /* the last process that attached or detached it */
	int sysv_key;	       /* its System V key, as ipcs(1) shows it */
	int sysv_id;	       /* its System V identifier */
};
int shmseg_stat(int id, struct shmseg_stat *st);

#ifdef __cplusplus
}
#endif
#endif /* SHMHEAP_SHMSEG_H */
