/* SPDX-License-Identifier: MIT */
/*
 * backing.h - where a heap's memory comes from.
 *
 * The heap code never opens, sizes or maps memory itself: it asks a backing.
 * POSIX shared memory (shm_open) is the only one today; a heap over a
 * regular file, anonymous shared memory or System V segments is another
 * implementation of these operations.
 */
#ifndef SHMHEAP_BACKING_H
#define SHMHEAP_BACKING_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct backing {
	const struct backing_ops *ops;
	int fd;
	int read_only; /* opened for reading only: mappings are PROT_READ */
};

/* Every operation returns 0 (or a pointer) on success, -1 (NULL) with errno set. */
struct backing_ops {
	/* Creates a new, empty object; EEXIST if the name is taken. */
	int (*create)(struct backing *b, const char *name, mode_t mode);
	/* Opens an existing object for reading and writing, or only reading. */
	int (*open)(struct backing *b, const char *name, int read_only);
	/* The object's current length in bytes. */
	int (*length)(struct backing *b, size_t *len);
	/* Its owner, mode and length, as fstat(2) gives them. */
	int (*stat)(struct backing *b, struct stat *st);
	/* Grows the object from old_len (its length now) to len bytes, reserving
	 * the memory of the new range only (ENOSPC when full): the cost of growth
	 * must not depend on what is already there. */
	int (*extend)(struct backing *b, size_t old_len, size_t len);
	/* Maps [off, off+len) of the object shared at exactly addr, replacing what
	 * is mapped there in one step: mapping a range again must be harmless to a
	 * thread using it (see mapping.c). */
	void *(*map_fixed)(struct backing *b, void *addr, size_t off, size_t len);
	/* Reads len bytes at off without mapping them (safe on a short object). */
	int (*read)(struct backing *b, void *buf, size_t len, size_t off);
	/* Reads up to len bytes at off, fewer where the object ends; the count. */
	ssize_t (*read_upto)(struct backing *b, void *buf, size_t len, size_t off);
	void (*close)(struct backing *b);
	/* Removes the name; mappings stay valid until unmapped. */
	int (*remove)(const char *name);
	/* 1 if name names the very object b has open, 0 if it names another one
	 * (a link to it included: links are not followed), -1 (ENOENT) if none. */
	int (*is_named)(struct backing *b, const char *name);
};

extern const struct backing_ops backing_posix_shm;

/* A name POSIX shm_open accepts portably: "/", then 1..NAME_MAX-1 bytes, no '/'. */
int backing_valid_name(const char *name);

#endif /* SHMHEAP_BACKING_H */
