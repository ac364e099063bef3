/* SPDX-License-Identifier: MIT */
/*
 * backing_writers.c - who besides the caller may write a heap's object: the
 * one rule by which the library (heap.c) and, through its refusal, the tools
 * decide whether a heap may be locked or mapped writable (shmheap(7),
 * Security).
 *
 * Locking a heap's robust mutex links it into the locking thread's robust
 * list, so whoever can write the heap can make that thread's unlock store
 * through pointers of their choosing.  A heap is therefore trusted only if no
 * other user can write it: its owner is the caller's effective user, so is
 * its creator where the kernel keeps the creator's access after the owner is
 * given away (a System V segment's cuid), and its mode has no group or other
 * write bit.  A group write bit counts even when the group holds the owner
 * alone: who is in a group can change, and the rule stays one comparison.
 * Everything is read from the open object (descriptor or segment id), never
 * from a name, so an object swapped meanwhile cannot pass for another.  Root
 * is no exception: its own 0600 heap passes, another user's does not.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"

int backing_others_may_write(struct backing *b)
{
	struct stat st;
	uid_t creator;
	if (b->ops->stat(b, &st) < 0)
		return -1;
	creator = st.st_uid;
	if (b->ops->creator && b->ops->creator(b, &creator) < 0)
		return -1;
	uid_t me = geteuid();
	return st.st_uid != me || creator != me || (st.st_mode & (S_IWGRP | S_IWOTH));
}
