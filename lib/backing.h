/* SPDX-License-Identifier: MIT */
/*
 * backing.h - where a heap's memory comes from.
 *
 * The heap code never opens, sizes or maps memory itself: it asks a backing.
 * There are four: POSIX shared memory (backing_posix.c), regular files
 * (backing_file.c), System V segments (backing_sysv.c) and anonymous memory
 * (backing_memfd.c); a heap name chooses among the first three (heapname.c).
 * Offsets given to the operations count from the heap's start, which a
 * backing may place after data of its own (base_off: the file preamble).
 */
#ifndef SHMHEAP_BACKING_H
#define SHMHEAP_BACKING_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "export.h"

struct backing {
	const struct backing_ops *ops;
	int fd;
	int read_only;	/* opened for reading only: mappings are PROT_READ */
	int shmid;	/* System V: the segment's id; else -1 */
	off_t base_off; /* where the heap starts in the object */
};

/* Every operation returns 0 (or a pointer) on success, -1 (NULL) with errno set. */
struct backing_ops {
	/* Creates a new, empty object; EEXIST if the name is taken.  len is the
	 * heap's first size: a backing that cannot grow (System V) makes the
	 * object this large at once; the others are sized by extend. */
	int (*create)(struct backing *b, const char *name, mode_t mode, size_t len);
	/* Opens an existing object for reading and writing, or only reading. */
	int (*open)(struct backing *b, const char *name, int read_only);
	/* The object's current length in bytes. */
	int (*length)(struct backing *b, size_t *len);
	/* Its owner, mode and length, as fstat(2) gives them. */
	int (*stat)(struct backing *b, struct stat *st);
	/* Optional: the user who made the object, where it keeps the owner's
	 * access after the owner is given away (System V: shm_perm.cuid).
	 * Without it the owner alone stands for who made the object. */
	int (*creator)(struct backing *b, uid_t *uid);
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
	/* Removes name if it names the very object b has open: the name is
	 * looked up once, its object compared with b's and removed through that
	 * one lookup (a link to b's object is another object: links are not
	 * followed).  Mappings stay valid until unmapped.  0 when removed; -1
	 * with EINVAL when name names another object, ENOENT when none. */
	int (*remove)(struct backing *b, const char *name);
	/* Optional: makes the heap mapped at addr (len bytes) durable. */
	int (*sync)(struct backing *b, void *addr, size_t len);
	/* Optional: for memory that can outlive every process that used it (a
	 * file, across a reboot or a copy), makes sure the heap's lock is of this
	 * life of the object: if not, calls reset(arg) (which re-initialises the
	 * lock and repairs the heap) once, excluding every other connect. */
	int (*revive)(struct backing *b, int (*reset)(void *arg), void *arg);
};

extern const struct backing_ops backing_posix_shm;
extern const struct backing_ops backing_file;
extern const struct backing_ops backing_sysv;
/* An object known only by its descriptor: a memfd, or whatever
 * shmheap_connect_fd is given. */
extern const struct backing_ops backing_memfd;

/* 1 if a user other than the caller's effective one may write b's object (its
 * owner or creator is another user, or its mode has a group or other write
 * bit), 0 if none may, -1 with errno set (backing_writers.c). */
HIDDEN int backing_others_may_write(struct backing *b);

/* Creates an anonymous object (memfd) into b: 0, or -1 with errno set. */
HIDDEN int backing_memfd_create(struct backing *b, mode_t mode);
/* Adopts fd (the caller's; b gets a duplicate): checks that it is a regular
 * file opened for reading and writing, without O_APPEND (EINVAL), and chooses
 * the ops that read it. */
HIDDEN int backing_adopt_fd(struct backing *b, int fd);
/* For an adopted descriptor: if it is a heap file's, gives b the file ops and
 * base_off (backing_file.c); else leaves b as it is.  0, or -1. */
HIDDEN int backing_file_adopt(struct backing *b);

/* Operations of every backing with a descriptor (backing_posix.c), which honour
 * base_off; and its check of a just opened descriptor: a regular file, then
 * O_NONBLOCK cleared (else it is closed, EINVAL for another type). */
HIDDEN int backing_fd_check_regular(struct backing *b);
/* How a named backing opens its object: shm_open(3). */
typedef int (*backing_open_fn)(const char *name, int flags, mode_t mode);
/* Creates name into b->fd (O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | flags) and
 * gives it mode whatever the umask; if that fails, removes it (b->ops->remove). */
HIDDEN int backing_fd_create(struct backing *b, backing_open_fn open_fn, const char *name,
			     int flags, mode_t mode);
/* Opens name for reading (and writing unless read_only; | flags) without
 * blocking on its type or following a link at its end, then checks the
 * descriptor (backing_fd_check_regular).  A link is no heap (EINVAL), nor is
 * what also_einval (an errno of the open, or 0) says. */
HIDDEN int backing_fd_open(struct backing *b, backing_open_fn open_fn, const char *name,
			   int flags, int read_only, int also_einval);
HIDDEN int backing_fd_stat(struct backing *b, struct stat *st);
HIDDEN int backing_fd_length(struct backing *b, size_t *len);
HIDDEN int backing_fd_extend(struct backing *b, size_t old_len, size_t len);
HIDDEN void *backing_fd_map_fixed(struct backing *b, void *addr, size_t off, size_t len);
HIDDEN int backing_fd_read(struct backing *b, void *buf, size_t len, size_t off);
HIDDEN ssize_t backing_fd_read_upto(struct backing *b, void *buf, size_t len, size_t off);
HIDDEN void backing_fd_close(struct backing *b);

/* A name POSIX shm_open accepts portably: "/", then 1..NAME_MAX-1 bytes, no '/'. */
int backing_valid_name(const char *name);

#endif /* SHMHEAP_BACKING_H */
