/* SPDX-License-Identifier: MIT */
/*
 * cmdparse.h - the input language of the lab runners (shmheap-ex2, shmheap-ex3).
 *
 * The first line is "P S B": the number of processes, the heap size in bytes
 * and the number of object ids.  Every later line holds one command of
 * Table 1 of the lab specification, or for shmheap-ex3 several commands
 * separated by '|':
 *
 *   0 p        process p connects to the heap
 *   1 p        process p disconnects
 *   2 p b      process p reads and prints object b
 *   3 p b n    process p allocates n values of size_t (n * 8 bytes) as object
 *              b, and stores in them the next n numbers of the run's counter
 *   4 p b      process p frees object b
 *
 * Fields are unsigned decimal numbers separated by blanks (spaces or tabs);
 * blanks around a command and a trailing '\r' are ignored.  The parser only
 * checks the text and the ranges given to it: whether a command makes sense
 * in the runner's state (a process connected, an id holding an object) is the
 * runner's business.  Nothing here allocates, touches global state or needs
 * libshmheap, so a fuzz target can call these functions on any bytes.
 */
#ifndef SHMHEAP_CMDPARSE_H
#define SHMHEAP_CMDPARSE_H

#include <stddef.h>
#include <stdint.h>

enum cmd_op {
	CMD_CONNECT = 0,
	CMD_DISCONNECT = 1,
	CMD_READ = 2,
	CMD_ALLOC = 3,
	CMD_FREE = 4,
};

struct cmd {
	enum cmd_op op;
	uint32_t proc;	/* p */
	uint32_t obj;	/* b (READ, ALLOC, FREE) */
	uint64_t count; /* n, in size_t values of 8 bytes (ALLOC) */
};

/* The first line. */
struct cmd_header {
	uint32_t procs; /* P, 1 .. CMD_MAX_PROCS */
	uint64_t
		heap_size; /* S, 1 .. CMD_MAX_HEAP_SIZE (the library rounds it up to pages) */
	uint32_t objs;	   /* B, 1 .. CMD_MAX_OBJS */
};

/* Limits that keep the runner's tables and file descriptors reasonable. */
#define CMD_MAX_PROCS 256u
#define CMD_MAX_OBJS (1u << 20)
#define CMD_MAX_HEAP_SIZE ((uint64_t)1 << 35)
/* Largest n whose n * 8 bytes fits in a uint64_t; whether the heap can hold
 * so much is the runner's business. */
#define CMD_VALUE_SIZE 8u
#define CMD_MAX_COUNT (UINT64_MAX / CMD_VALUE_SIZE)

/* Longest message a parse function writes to its why buffer, with the NUL. */
#define CMD_WHY_MAX 128

/*
 * Parses the header line text[0..len) (no newline).  Returns 0, or -1 with a
 * one-line description of the problem in why[CMD_WHY_MAX].
 */
int cmd_parse_header(const char *text, size_t len, struct cmd_header *out, char *why);

/*
 * Parses one command text[0..len) (no newline, no '|') of a run with the
 * given header: p must be below procs and b below objs.  Returns 0, or -1
 * with the problem in why[CMD_WHY_MAX].
 */
int cmd_parse(const char *text, size_t len, const struct cmd_header *hdr, struct cmd *out,
	      char *why);

/*
 * Parses a whole input line text[0..len) (no newline): its '|'-separated
 * commands go to out[0..max), their number to *n.  A line of blanks holds no
 * commands (*n = 0).  More than max commands, or an empty command between
 * separators, is an error.  Returns 0, or -1 with the problem in why.
 */
int cmd_parse_line(const char *text, size_t len, const struct cmd_header *hdr,
		   struct cmd *out, size_t max, size_t *n, char *why);

#endif /* SHMHEAP_CMDPARSE_H */
