/* SPDX-License-Identifier: MIT */
/* cmdparse.c - parse the runners' input lines (see cmdparse.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmdparse.h"

/* A cursor over one line; the text is not NUL-terminated. */
struct cursor {
	const char *p;
	const char *end;
};

static void say(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(char *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, CMD_WHY_MAX, fmt, ap);
	va_end(ap);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

static bool at_end(struct cursor *c)
{
	skip_blanks(c);
	return c->p == c->end;
}

/*
 * Reads the next field as a number no larger than max.  what names the field
 * in messages.  Fails on a missing field, a non-digit or a number above max.
 */
static int next_number(struct cursor *c, const char *what, uint64_t max, uint64_t *out,
		       char *why)
{
	skip_blanks(c);
	if (c->p == c->end) {
		say(why, "truncated command: %s missing", what);
		return -1;
	}
	if (*c->p < '0' || *c->p > '9') {
		say(why, "%s is not an unsigned decimal number", what);
		return -1;
	}
	uint64_t v = 0;
	bool too_big = false;
	for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
		unsigned d = (unsigned)(*c->p - '0');
		if (v > (UINT64_MAX - d) / 10)
			too_big = true;
		else
			v = v * 10 + d;
	}
	if (c->p < c->end && !is_blank(*c->p)) {
		say(why, "%s is not an unsigned decimal number", what);
		return -1;
	}
	if (too_big || v > max) {
		say(why, "%s out of range (at most %llu)", what, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static int expect_end(struct cursor *c, char *why)
{
	if (!at_end(c)) {
		say(why, "trailing text after the command");
		return -1;
	}
	return 0;
}

int cmd_parse_header(const char *text, size_t len, struct cmd_header *out, char *why)
{
	struct cursor c = {text, text + len};
	uint64_t p, s, b;
	if (next_number(&c, "process count P", CMD_MAX_PROCS, &p, why) < 0 ||
	    next_number(&c, "heap size S", CMD_MAX_HEAP_SIZE, &s, why) < 0 ||
	    next_number(&c, "object count B", CMD_MAX_OBJS, &b, why) < 0 ||
	    expect_end(&c, why) < 0)
		return -1;
	if (p == 0 || s == 0 || b == 0) {
		say(why, "%s must not be zero",
		    p == 0   ? "process count P"
		    : s == 0 ? "heap size S"
			     : "object count B");
		return -1;
	}
	out->procs = (uint32_t)p;
	out->heap_size = s;
	out->objs = (uint32_t)b;
	return 0;
}

/* Reads an id below limit (a process or an object), naming it in messages. */
static int next_id(struct cursor *c, const char *what, uint32_t limit, uint32_t *out,
		   char *why)
{
	uint64_t v;
	if (next_number(c, what, UINT32_MAX, &v, why) < 0)
		return -1;
	if (v >= limit) {
		say(why, "%s %llu out of range (0 .. %u)", what, (unsigned long long)v,
		    limit - 1);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int cmd_parse(const char *text, size_t len, const struct cmd_header *hdr, struct cmd *out,
	      char *why)
{
	struct cursor c = {text, text + len};
	uint64_t op;
	if (at_end(&c)) {
		say(why, "empty command");
		return -1;
	}
	if (next_number(&c, "command", UINT64_MAX, &op, why) < 0)
		return -1;
	if (op > CMD_FREE) {
		say(why, "unknown command %llu", (unsigned long long)op);
		return -1;
	}
	struct cmd cmd = {.op = (enum cmd_op)op};
	if (next_id(&c, "process id", hdr->procs, &cmd.proc, why) < 0)
		return -1;
	if (op == CMD_READ || op == CMD_ALLOC || op == CMD_FREE) {
		if (next_id(&c, "object id", hdr->objs, &cmd.obj, why) < 0)
			return -1;
	}
	if (op == CMD_ALLOC) {
		if (next_number(&c, "value count n", UINT64_MAX, &cmd.count, why) < 0)
			return -1;
		if (cmd.count > CMD_MAX_COUNT) {
			say(why, "value count n %llu: n x %u bytes overflows",
			    (unsigned long long)cmd.count, CMD_VALUE_SIZE);
			return -1;
		}
	}
	if (expect_end(&c, why) < 0)
		return -1;
	*out = cmd;
	return 0;
}

int cmd_parse_line(const char *text, size_t len, const struct cmd_header *hdr,
		   struct cmd *out, size_t max, size_t *n, char *why)
{
	struct cursor whole = {text, text + len};
	*n = 0;
	if (at_end(&whole))
		return 0;
	const char *p = text, *end = text + len;
	for (;;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		const char *stop = bar ? bar : end;
		if (*n == max) {
			if (max == 1)
				say(why, "'|' is not allowed here: one command per line");
			else
				say(why, "more than %zu commands on one line", max);
			return -1;
		}
		if (cmd_parse(p, (size_t)(stop - p), hdr, &out[*n], why) < 0)
			return -1;
		(*n)++;
		if (!bar)
			return 0;
		p = bar + 1;
	}
}
