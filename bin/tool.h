/* SPDX-License-Identifier: MIT */
/* tool.h - argument parsing and error reporting shared by the shmheap tools. */
#ifndef SHMHEAP_TOOL_H
#define SHMHEAP_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit statuses every tool uses. */
#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAIL 1  /* the operation failed, or a check found problems */
#define TOOL_EXIT_USAGE 2 /* bad arguments or bad input */
/* Between a runner and its children only: the reader of the output has gone. */
#define TOOL_EXIT_OUTPUT_GONE 3

/*
 * Set once from argv[0]; messages start with it.  Also arranges that a
 * failed write to standard output (a full disk, /dev/full) is reported as
 * "write error" with exit status TOOL_EXIT_FAIL when the tool exits, as
 * ls(1) and lsipc(1) do.
 */
void tool_init(const char *argv0);
const char *tool_name(void);

/* "name: message\n" on stderr. */
void tool_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* tool_warn, then exit(status). */
_Noreturn void tool_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Whole decimal numbers only; false on anything else or overflow. */
bool tool_parse_size(const char *s, size_t *out);
bool tool_parse_uint(const char *s, unsigned long max, unsigned long *out);
/* A size with an optional K, M, G suffix (powers of 1024). */
bool tool_parse_size_suffix(const char *s, size_t *out);

/*
 * A runner's child prints its one line (ok: on standard output, else on
 * standard error) with one write(2).  Returns the status the child exits
 * with: TOOL_EXIT_OK or TOOL_EXIT_FAIL after ok, TOOL_EXIT_OUTPUT_GONE when
 * the reader of standard output has gone (EPIPE; the child ignores SIGPIPE),
 * TOOL_EXIT_FAIL after another write error (said on standard error).
 */
int tool_child_line(bool ok, const char *line, size_t len);
/*
 * The reader of the output has gone (| head): the tool ends the way a filter
 * does, by SIGPIPE, which shells do not report.  Call after cleaning up.
 */
_Noreturn void tool_end_by_sigpipe(void);

/* "NAME (libshmheap) VERSION" on standard output, for --version. */
void tool_print_version(void);
/* A tool run with --help (-h) or --version (-V) as its only argument: prints
 * the usage (through usage) or the version and returns true, and the caller
 * exits with TOOL_EXIT_OK.  False for any other command line. */
bool tool_help_or_version(int argc, char **argv, void (*usage)(FILE *f));

/* Writes all of buf[0..len) to fd, retrying after EINTR; 0 or -1. */
int write_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; 1 on success, 0 at end of file first, -1 on error. */
int read_all(int fd, void *buf, size_t len);

/* Allocation that cannot fail quietly: the tool dies with a message instead. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif /* SHMHEAP_TOOL_H */
