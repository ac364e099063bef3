/* SPDX-License-Identifier: MIT */
/* tool.c - argument parsing and error reporting shared by the shmheap tools. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* A tool is a process of its own: its name is the one global it keeps. */
static const char *program = "shmheap";

/* The reader of standard output has gone: a pipe or socket whose other end
 * is closed, which poll(2) reports as an error on our end. */
static bool reader_gone(void)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/*
 * Run at exit: output that stdio still holds is written now, and a write that
 * failed, then or before, must not end in status 0 with the output lost.
 * A reader that has gone (| head, | true) is no failure, as with util-linux's
 * close_stdout: when SIGPIPE is ignored the writes fail with EPIPE instead of
 * ending the tool, and the tool ends as it would have, silently.
 */
static void close_stdout(void)
{
	bool failed = fflush(stdout) != 0 || ferror(stdout);
	int err = errno;
	/* errno may be stale when the failure was an earlier write's. */
	if (failed && (err == EPIPE || reader_gone()))
		return;
	/* EBADF: started with standard output closed and wrote nothing. */
	if (fclose(stdout) != 0 && !failed && errno != EBADF) {
		failed = true;
		err = errno;
	}
	if (failed) {
		tool_warn("write error: %s", strerror(err));
		_exit(TOOL_EXIT_FAIL);
	}
}

void tool_init(const char *argv0)
{
	if (argv0 && *argv0) {
		const char *slash = strrchr(argv0, '/');
		program = slash ? slash + 1 : argv0;
	}
	atexit(close_stdout);
}

void tool_print_version(void)
{
	printf("%s (libshmheap) %s\n", program, PACKAGE_VERSION);
}

bool tool_help_or_version(int argc, char **argv, void (*usage)(FILE *f))
{
	if (argc != 2)
		return false;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return true;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		tool_print_version();
		return true;
	}
	return false;
}

int tool_child_line(bool ok, const char *line, size_t len)
{
	if (write_all(ok ? STDOUT_FILENO : STDERR_FILENO, line, len) == 0)
		return ok ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
	if (errno == EPIPE)
		return TOOL_EXIT_OUTPUT_GONE;
	if (ok)
		tool_warn("write error: %s", strerror(errno));
	return TOOL_EXIT_FAIL;
}

void tool_end_by_sigpipe(void)
{
	fflush(stdout);
	signal(SIGPIPE, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		tool_die(TOOL_EXIT_FAIL, "out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		tool_die(TOOL_EXIT_FAIL, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		tool_die(TOOL_EXIT_FAIL, "out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

const char *tool_name(void)
{
	return program;
}

/*
 * The whole line is formatted first and written with one write(2): the
 * messages of two processes sharing standard error (a demo's parent and
 * child, a runner's children) then never interleave within a line.  A
 * message longer than the buffer (PIPE_BUF, which a pipe keeps whole) is cut.
 */
__attribute__((format(printf, 1, 0))) static void vwarn_line(const char *fmt, va_list ap)
{
	char buf[4096];
	size_t room = sizeof(buf) - 1; /* keeps a byte for the newline */
	int n = snprintf(buf, room, "%s: ", program);
	size_t len = n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
	n = vsnprintf(buf + len, room - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < room - len ? (size_t)n : room - len - 1;
	buf[len++] = '\n';
	int err = errno;
	write_all(STDERR_FILENO, buf, len);
	errno = err;
}

void tool_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn_line(fmt, ap);
	va_end(ap);
}

void tool_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn_line(fmt, ap);
	va_end(ap);
	exit(status);
}

bool tool_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

bool tool_parse_size(const char *s, size_t *out)
{
	unsigned long v;
	if (!tool_parse_uint(s, SIZE_MAX, &v))
		return false;
	*out = v;
	return true;
}

bool tool_parse_size_suffix(const char *s, size_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return false;
	unsigned shift = 0;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end || v > (SIZE_MAX >> shift))
		return false;
	*out = (size_t)(v << shift);
	return true;
}
