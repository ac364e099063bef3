/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cmdparse.c - fuzz target: the runners' input parser (bin/cmdparse.c).
 *
 * The input is split into lines like a runner's input: the first is the
 * header, every later one a command line.  Each line is handed over in a
 * buffer of exactly its length (no NUL), so that AddressSanitizer sees any
 * read past it.  Oracles: an accepted line has every field in its range and
 * reads back the same when printed and parsed again; a refused one comes with
 * a one-line message that fits its buffer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdparse.h"

#define MAX_CMDS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *line, size_t len)
{
	fprintf(stderr, "fuzz-cmdparse: oracle broken: %s: '%.*s'\n", what, (int)len,
		line);
	abort();
}

static void check_why(const char *why, const char *line, size_t len)
{
	size_t n = strnlen(why, CMD_WHY_MAX);
	if (n == 0 || n == CMD_WHY_MAX || memchr(why, '\n', n))
		fail("a refusal without a one-line message", line, len);
}

static void check_cmd(const struct cmd *c, const struct cmd_header *h, const char *line,
		      size_t len)
{
	if ((unsigned)c->op > CMD_FREE || c->proc >= h->procs)
		fail("an accepted command out of range", line, len);
	if ((c->op == CMD_READ || c->op == CMD_ALLOC || c->op == CMD_FREE) &&
	    c->obj >= h->objs)
		fail("an accepted object id out of range", line, len);
	if (c->op == CMD_ALLOC && c->count > CMD_MAX_COUNT)
		fail("an accepted value count whose bytes overflow", line, len);

	/* Printed back in the canonical form, it must parse to the same. */
	char text[96], why[CMD_WHY_MAX];
	int n;
	switch (c->op) {
	case CMD_CONNECT:
	case CMD_DISCONNECT:
		n = snprintf(text, sizeof(text), "%d %" PRIu32, (int)c->op, c->proc);
		break;
	case CMD_ALLOC:
		n = snprintf(text, sizeof(text), "%d %" PRIu32 " %" PRIu32 " %" PRIu64,
			     (int)c->op, c->proc, c->obj, c->count);
		break;
	default:
		n = snprintf(text, sizeof(text), "%d %" PRIu32 " %" PRIu32, (int)c->op,
			     c->proc, c->obj);
		break;
	}
	struct cmd again;
	if (cmd_parse(text, (size_t)n, h, &again, why) != 0 || again.op != c->op ||
	    again.proc != c->proc || (c->op >= CMD_READ && again.obj != c->obj) ||
	    (c->op == CMD_ALLOC && again.count != c->count))
		fail("an accepted command does not read back the same", line, len);
}

/* A private copy of exactly len bytes, so that reading past it is caught. */
static char *copy_line(const uint8_t *p, size_t len)
{
	char *line = malloc(len ? len : 1);
	if (!line)
		abort();
	memcpy(line, p, len);
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmd_header hdr;
	char why[CMD_WHY_MAX];
	int have_header = 0;

	for (size_t pos = 0; pos < size;) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
		char *line = copy_line(data + pos, len);
		pos += len + 1;

		memset(why, 0, sizeof(why));
		if (!have_header) {
			if (cmd_parse_header(line, len, &hdr, why) == 0) {
				if (hdr.procs < 1 || hdr.procs > CMD_MAX_PROCS ||
				    hdr.objs < 1 || hdr.objs > CMD_MAX_OBJS ||
				    hdr.heap_size < 1 ||
				    hdr.heap_size > CMD_MAX_HEAP_SIZE)
					fail("an accepted header out of range", line,
					     len);
				have_header = 1;
			} else {
				check_why(why, line, len);
				/* Keep going with a fixed header, to reach the commands. */
				hdr = (struct cmd_header){4, 1 << 20, 16};
				have_header = 1;
			}
			free(line);
			continue;
		}

		struct cmd cmds[MAX_CMDS];
		size_t n = 0;
		if (cmd_parse_line(line, len, &hdr, cmds, MAX_CMDS, &n, why) == 0) {
			if (n > MAX_CMDS)
				fail("more commands than asked for", line, len);
			for (size_t i = 0; i < n; i++)
				check_cmd(&cmds[i], &hdr, line, len);
		} else {
			check_why(why, line, len);
		}
		/* The single-command entry point on the same bytes. */
		memset(why, 0, sizeof(why));
		struct cmd one;
		if (cmd_parse(line, len, &hdr, &one, why) == 0)
			check_cmd(&one, &hdr, line, len);
		else
			check_why(why, line, len);
		free(line);
	}
	return 0;
}
