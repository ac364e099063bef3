/* SPDX-License-Identifier: MIT */
/* tool.c - argument parsing and error reporting shared by the shmheap tools. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* A tool is a process of its own: its name is the one global it keeps. */
static const char *program = "shmheap";

void tool_init(const char *argv0)
{
	if (argv0 && *argv0) {
		const char *slash = strrchr(argv0, '/');
		program = slash ? slash + 1 : argv0;
	}
}

const char *tool_name(void)
{
	return program;
}

__attribute__((format(printf, 1, 0))) static void vwarn_line(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end || v > (SIZE_MAX >> shift))
		return false;
	*out = (size_t)(v << shift);
	return true;
}
