/* SPDX-License-Identifier: MIT */
/*
 * backingname.h - which backing a heap name chooses, as the tools read it.
 *
 * "/name" is POSIX shared memory, "file:PATH" a regular file, "sysv:KEY" a
 * System V segment (KEY in decimal or 0x-hex).  The runners also accept
 * "anon:", an anonymous heap shared only with the processes they fork; it is
 * no name the library knows.  The library checks names too: this is for the
 * tools' own messages and for what they do beside the library (stat, maps,
 * removal, clean-up on a signal).
 */
#ifndef SHMHEAP_BACKINGNAME_H
#define SHMHEAP_BACKINGNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum heap_backing { HEAP_POSIX, HEAP_FILE, HEAP_SYSV, HEAP_ANON };

struct tool_heap_name {
	enum heap_backing backing;
	const char *path; /* HEAP_FILE: what follows "file:" */
	key_t key;	  /* HEAP_SYSV */
};

#define HEAP_ANON_NAME "anon:"

/*
 * Classifies name; allow_anon accepts "anon:".  Returns 0, or -1 with why
 * (a phrase such as "a heap name starts with '/'") when the name is malformed.
 */
int tool_heap_name_parse(const char *name, bool allow_anon, struct tool_heap_name *hn,
			 const char **why);
/* "posix", "file", "sysv" or "anon", as --json shows it. */
const char *heap_backing_name(enum heap_backing b);

#endif /* SHMHEAP_BACKINGNAME_H */
