/* SPDX-License-Identifier: MIT */
/*
 * ex3-check - validate a run of shmheap-ex3 from its input and its output.
 *
 *   ex3-check [--no-fail] INPUT OUTPUT
 *
 * The runner finishes every command of a line before it starts the next line,
 * so the output is read line by line of the input: the commands of an input
 * line must be answered by exactly as many output lines, each "#p: ..."
 * answering the next unanswered command of process p on that line, in any
 * order between processes.  The checker then verifies that
 *
 *   - each answer is of the command's kind (Connected, Disconnected, Read,
 *     Allocated/Allocation failed, Freed), and no line is left over;
 *   - an allocation prints the values the runner stores (one counter, taken
 *     in the order of the commands on the input lines) at an 8-aligned offset
 *     of at least FIRST_OBJECT (80), and its object of n values of size_t, [offset, offset
 *     + max(8n, 8)), overlaps no object live during the line: neither one
 *     allocated before and not freed on this line, nor one allocated on this
 *     line;
 *   - a read prints exactly the values of the object's allocation;
 *   - a free prints the offset of its object;
 *   - after the last line every id that was freed holds no object.
 *
 * With --no-fail an allocation failure is an error (for heaps that grow, or
 * are large enough).  Exit status 0 for a valid run, 1 with the first problem
 * on stderr, 2 for bad arguments or an input the runner would refuse.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdparse.h"
#include "shmheap.h"

/* The lowest offset an object can have: the smallest heap is the bookkeeping
 * before the first object and one SHMHEAP_ALIGNMENT-byte object. */
#define FIRST_OBJECT ((uint64_t)SHMHEAP_MIN_SIZE - SHMHEAP_ALIGNMENT)

#define MAX_PER_LINE 4096

struct object {
	bool live;
	bool freed_last; /* the last command on the id freed it */
	uint64_t size, offset, first;
	uint64_t freed_line; /* input line that freed it; 0 if none yet */
	uint64_t used_line;  /* input line that last used the id */
};

/* One command of the current line and what its answer must say. */
struct pending {
	struct cmd cmd;
	uint64_t first; /* ALLOC: first value */
	bool answered;
};

struct checker {
	struct cmd_header hdr;
	struct object *objs;
	bool *connected;
	bool no_fail;
	uint64_t in_line, out_line, counter;
	FILE *in, *out;
	char *buf;
	size_t cap;
	/* objects allocated on the current line: [start, end) */
	uint64_t (*fresh)[2];
	size_t nfresh;
};

static _Noreturn void bad(struct checker *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static _Noreturn void bad(struct checker *c, int status, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ex3-check: input line %" PRIu64 ", output line %" PRIu64 ": ",
		c->in_line, c->out_line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static uint64_t extent(uint64_t size)
{
	return size ? (size + 7) / 8 * 8 : 8;
}

static bool overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/* Reads " v v v" (count values from first) at *p; false on any difference. */
static bool values_are(const char *p, uint64_t first, uint64_t size)
{
	uint64_t n = size / 8 + (size % 8 != 0);
	for (uint64_t i = 0; i < n; i++) {
		if (*p++ != ' ')
			return false;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p || errno || v != first + i)
			return false;
		p = end;
	}
	return *p == '\0';
}

static void check_alloc(struct checker *c, const struct pending *pd, const char *rest)
{
	struct object *o = &c->objs[pd->cmd.obj];
	uint64_t size = pd->cmd.count * CMD_VALUE_SIZE, off; /* n values of size_t */
	char tail[64];
	int n;
	if (sscanf(rest, "Allocation of %" SCNu64 " bytes failed: %63[^\n]", &off,
		   tail) == 2) {
		if (off != size)
			bad(c, 1,
			    "failure reported for %" PRIu64 " bytes, %" PRIu64 " asked",
			    off, size);
		if (c->no_fail)
			bad(c, 1, "allocation of %" PRIu64 " bytes failed", size);
		o->live = false;
		return;
	}
	if (sscanf(rest, "Allocated at offset %" SCNu64 ":%n", &off, &n) != 1)
		bad(c, 1, "process %u: expected an allocation, got \"%s\"", pd->cmd.proc,
		    rest);
	if (off < FIRST_OBJECT || off % SHMHEAP_ALIGNMENT)
		bad(c, 1, "object at bad offset %" PRIu64, off);
	if (!values_are(rest + n, pd->first, size))
		bad(c, 1, "allocation does not show the values %" PRIu64 "...",
		    pd->first);
	uint64_t len = extent(size);
	for (uint32_t b = 0; b < c->hdr.objs; b++) {
		const struct object *x = &c->objs[b];
		if (x->live && b != pd->cmd.obj && x->freed_line != c->in_line &&
		    overlap(off, len, x->offset, extent(x->size)))
			bad(c, 1,
			    "object at %" PRIu64 " overlaps live object %u at %" PRIu64,
			    off, b, x->offset);
	}
	for (size_t i = 0; i < c->nfresh; i++)
		if (overlap(off, len, c->fresh[i][0], c->fresh[i][1] - c->fresh[i][0]))
			bad(c, 1,
			    "object at %" PRIu64 " overlaps one allocated at %" PRIu64
			    " on the same line",
			    off, c->fresh[i][0]);
	c->fresh[c->nfresh][0] = off;
	c->fresh[c->nfresh][1] = off + len;
	c->nfresh++;
	*o = (struct object){.live = true,
			     .size = size,
			     .offset = off,
			     .first = pd->first,
			     .used_line = o->used_line};
}

/* Checks that output line rest ("..." after "#p: ") answers command pd. */
static void check_answer(struct checker *c, struct pending *pd, const char *rest)
{
	struct object *o = &c->objs[pd->cmd.obj];
	uint64_t off;
	switch (pd->cmd.op) {
	case CMD_CONNECT:
		if (strcmp(rest, "Connected"))
			bad(c, 1, "expected \"Connected\", got \"%s\"", rest);
		break;
	case CMD_DISCONNECT:
		if (strcmp(rest, "Disconnected"))
			bad(c, 1, "expected \"Disconnected\", got \"%s\"", rest);
		break;
	case CMD_READ:
		if (strncmp(rest, "Read:", 5) || !values_are(rest + 5, o->first, o->size))
			bad(c, 1,
			    "read of object %u: expected the values from %" PRIu64
			    ", got \"%.60s\"",
			    pd->cmd.obj, o->first, rest);
		break;
	case CMD_ALLOC:
		check_alloc(c, pd, rest);
		break;
	case CMD_FREE: {
		char extra;
		if (sscanf(rest, "Freed at offset: %" SCNu64 "%c", &off, &extra) != 1 ||
		    off != o->offset)
			bad(c, 1, "free of object %u at %" PRIu64 ": got \"%s\"",
			    pd->cmd.obj, o->offset, rest);
		break;
	}
	}
	pd->answered = true;
}

/* Checks the state rules the runner applies; the input must be one it runs. */
static void check_input(struct checker *c, const struct cmd *cmd)
{
	bool *conn = &c->connected[cmd->proc];
	if (cmd->op == CMD_CONNECT || cmd->op == CMD_DISCONNECT) {
		if (*conn == (cmd->op == CMD_CONNECT))
			bad(c, 2, "bad input: process %u connect/disconnect twice",
			    cmd->proc);
		*conn = cmd->op == CMD_CONNECT;
		return;
	}
	if (!*conn)
		bad(c, 2, "bad input: process %u is not connected", cmd->proc);
	if (c->objs[cmd->obj].used_line == c->in_line)
		bad(c, 2, "bad input: object id %u used twice on one line", cmd->obj);
	c->objs[cmd->obj].used_line = c->in_line;
	bool live = c->objs[cmd->obj].live;
	if (cmd->op == CMD_ALLOC ? live : !live)
		bad(c, 2, "bad input: object id %u in the wrong state", cmd->obj);
}

static bool read_line(struct checker *c, FILE *f)
{
	ssize_t n = getline(&c->buf, &c->cap, f);
	if (n < 0)
		return false;
	if (n > 0 && c->buf[n - 1] == '\n')
		c->buf[n - 1] = '\0';
	return true;
}

static void run_line(struct checker *c, struct pending *pd, size_t n)
{
	c->nfresh = 0;
	for (size_t i = 0; i < n; i++) {
		check_input(c, &pd[i].cmd);
		if (pd[i].cmd.op == CMD_ALLOC) {
			pd[i].first = c->counter; /* the running start index */
			c->counter += pd[i].cmd.count;
			c->objs[pd[i].cmd.obj].live =
				true; /* for check_input of later commands */
		} else if (pd[i].cmd.op == CMD_FREE) {
			c->objs[pd[i].cmd.obj].live = false;
		}
	}
	/* Undo the input-state marks: the answers decide what is live. */
	for (size_t i = 0; i < n; i++) {
		struct object *o = &c->objs[pd[i].cmd.obj];
		if (pd[i].cmd.op == CMD_ALLOC)
			o->live = false;
		else if (pd[i].cmd.op == CMD_FREE) {
			o->live = true;
			o->freed_line = c->in_line;
		}
	}
	for (size_t k = 0; k < n; k++) {
		c->out_line++;
		if (!read_line(c, c->out))
			bad(c, 1, "output ends with %zu commands unanswered", n - k);
		unsigned p;
		int at;
		if (sscanf(c->buf, "#%u: %n", &p, &at) != 1 || at == 0)
			bad(c, 1, "not a \"#p: ...\" line: \"%.60s\"", c->buf);
		size_t i = 0;
		while (i < n && (pd[i].answered || pd[i].cmd.proc != p))
			i++;
		if (i == n)
			bad(c, 1, "process %u answers more commands than it was given",
			    p);
		check_answer(c, &pd[i], c->buf + at);
	}
	for (size_t i = 0; i < n; i++)
		if (pd[i].cmd.op == CMD_FREE) {
			c->objs[pd[i].cmd.obj].live = false;
			c->objs[pd[i].cmd.obj].freed_last = true;
		}
}

int main(int argc, char **argv)
{
	struct checker c = {0};
	int argi = 1;
	if (argi < argc && !strcmp(argv[argi], "--no-fail")) {
		c.no_fail = true;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: ex3-check [--no-fail] INPUT OUTPUT\n");
		return 2;
	}
	c.in = fopen(argv[argi], "r");
	c.out = fopen(argv[argi + 1], "r");
	if (!c.in || !c.out) {
		perror(!c.in ? argv[argi] : argv[argi + 1]);
		return 2;
	}
	char why[CMD_WHY_MAX];
	c.in_line = 1;
	if (!read_line(&c, c.in) ||
	    cmd_parse_header(c.buf, strlen(c.buf), &c.hdr, why) < 0)
		bad(&c, 2, "bad header");
	c.objs = calloc(c.hdr.objs, sizeof(*c.objs));
	c.connected = calloc(c.hdr.procs, sizeof(*c.connected));
	struct cmd *cmds = calloc(MAX_PER_LINE, sizeof(*cmds));
	struct pending *pd = calloc(MAX_PER_LINE, sizeof(*pd));
	c.fresh = calloc(MAX_PER_LINE, sizeof(*c.fresh));
	if (!c.objs || !c.connected || !cmds || !pd || !c.fresh)
		bad(&c, 2, "out of memory");
	while (read_line(&c, c.in)) {
		c.in_line++;
		size_t n;
		if (cmd_parse_line(c.buf, strlen(c.buf), &c.hdr, cmds, MAX_PER_LINE, &n,
				   why) < 0)
			bad(&c, 2, "bad input: %s", why);
		for (size_t i = 0; i < n; i++)
			pd[i] = (struct pending){.cmd = cmds[i]};
		run_line(&c, pd, n);
	}
	c.out_line++;
	if (read_line(&c, c.out))
		bad(&c, 1, "output goes on after the last command: \"%.60s\"", c.buf);
	for (uint32_t b = 0; b < c.hdr.objs; b++)
		if (c.objs[b].freed_last && c.objs[b].live)
			bad(&c, 1,
			    "object id %u was freed but holds an object at the end", b);
	free(c.objs);
	free(c.connected);
	free(cmds);
	free(pd);
	free(c.fresh);
	free(c.buf);
	return 0;
}
