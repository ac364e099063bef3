/* SPDX-License-Identifier: MIT */
/* runner.c - read commands, check them, have the workers run them (see runner.h). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdparse.h"
#include "pool.h"
#include "runheap.h"
#include "runner.h"
#include "tool.h"

/* What the runner knows of object id b. */
enum slot_state { SLOT_EMPTY, SLOT_LIVE, SLOT_PENDING };
struct slot {
	shmheap_object_handle hdl; /* as the allocating worker sent it */
	uint64_t count;		   /* size_t values it holds */
	uint64_t line;		   /* last input line that used the id */
	unsigned char state;	   /* enum slot_state */
};

struct run {
	struct cmd_header hdr;
	bool *connected;	    /* [P] */
	struct slot *slots;	    /* [B] */
	struct cmd *cmds;	    /* one line's commands */
	struct worker_request *rqs; /* and what the workers are sent for them */
	struct worker_reply *rps;
	unsigned *ids;
	int out_err; /* a worker could not write its output (EPIPE: reader gone) */
	size_t max_per_line;
	uint64_t counter;   /* next value to store in an allocated object */
	uint64_t max_count; /* most values one object of the heap can ever hold */
	uint64_t line;	    /* number of the input line being run */
	char why[CMD_WHY_MAX + 64];
};

/*
 * Checks cmd against the state left by the lines before and the commands
 * before it on this line.  An id may serve only one command per line: the
 * handle of an object allocated on this line is not known until its
 * allocation has finished.  Returns 0, or -1 with the problem in run->why.
 */
static int check(struct run *run, const struct cmd *c)
{
	bool *conn = &run->connected[c->proc];
	if (c->op == CMD_CONNECT) {
		if (*conn) {
			snprintf(run->why, sizeof(run->why),
				 "process %u is already connected", c->proc);
			return -1;
		}
		*conn = true;
		return 0;
	}
	if (!*conn) {
		snprintf(run->why, sizeof(run->why), "process %u is not connected",
			 c->proc);
		return -1;
	}
	if (c->op == CMD_DISCONNECT) {
		*conn = false;
		return 0;
	}
	struct slot *s = &run->slots[c->obj];
	if (s->line == run->line) {
		snprintf(run->why, sizeof(run->why),
			 "object id %u is used by more than one command of the line",
			 c->obj);
		return -1;
	}
	s->line = run->line;
	if (c->op == CMD_ALLOC && s->state == SLOT_LIVE) {
		snprintf(run->why, sizeof(run->why),
			 "object id %u already holds an object", c->obj);
		return -1;
	}
	if (c->op != CMD_ALLOC && s->state != SLOT_LIVE) {
		snprintf(run->why, sizeof(run->why), "object id %u holds no object",
			 c->obj);
		return -1;
	}
	if (c->op == CMD_ALLOC && c->count > run->max_count) {
		snprintf(
			run->why, sizeof(run->why),
			"n = %llu values (%llu bytes) can never fit in the heap (at most %llu values)",
			(unsigned long long)c->count,
			(unsigned long long)(c->count * CMD_VALUE_SIZE),
			(unsigned long long)run->max_count);
		return -1;
	}
	return 0;
}

static struct worker_request request_for(struct run *run, const struct cmd *c)
{
	struct worker_request rq = {.op = (uint32_t)c->op};
	struct slot *s = c->op == CMD_CONNECT || c->op == CMD_DISCONNECT
				 ? NULL
				 : &run->slots[c->obj];
	switch (c->op) {
	case CMD_READ:
		rq.count = s->count;
		rq.hdl = s->hdl;
		break;
	case CMD_ALLOC:
		rq.size = c->count * CMD_VALUE_SIZE;
		rq.count = c->count;
		rq.first_value = run->counter; /* the running start index */
		run->counter += rq.count;      /* taken even if the allocation fails */
		s->state = SLOT_PENDING;
		s->count = c->count;
		break;
	case CMD_FREE:
		rq.hdl = s->hdl;
		s->state = SLOT_EMPTY;
		break;
	default:
		break;
	}
	return rq;
}

/* Records a reply; -1 (with run->why) when the run cannot go on. */
static int take_reply(struct run *run, const struct cmd *c, const struct worker_reply *rp)
{
	if (c->op == CMD_ALLOC) {
		struct slot *s = &run->slots[c->obj];
		s->state = rp->err ? SLOT_EMPTY : SLOT_LIVE;
		s->hdl = rp->hdl;
		return 0;
	}
	if (!rp->err)
		return 0;
	snprintf(run->why, sizeof(run->why), "process %u: %s failed: %s", c->proc,
		 c->op == CMD_CONNECT ? "connect" : "command", strerror(rp->err));
	return -1;
}

/*
 * Runs the commands of one line: every command is sent before any reply is
 * awaited.  Returns 0, or -1 with run->why set when a worker failed, or with
 * run->out_err set when a worker could not write its output.
 */
static int run_line(struct run *run, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		run->rqs[i] = request_for(run, &run->cmds[i]);
		run->ids[i] = run->cmds[i].proc;
	}
	unsigned failed;
	if (pool_exchange(n, run->ids, run->rqs, run->rps, &failed) < 0) {
		snprintf(run->why, sizeof(run->why), "process %u has died", failed);
		return -1;
	}
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		if (ret == 0 && take_reply(run, &run->cmds[i], &run->rps[i]) < 0)
			ret = -1;
		if (run->rps[i].out_err && !run->out_err)
			run->out_err = run->rps[i].out_err;
	}
	return run->out_err ? -1 : ret;
}

static void strip_newline(char *line, size_t *len)
{
	if (*len > 0 && line[*len - 1] == '\n')
		line[--*len] = '\0';
}

/* Reads and checks the header; -1 with run->why set on bad input. */
static int read_header(struct run *run, FILE *in, char **buf, size_t *cap)
{
	ssize_t got = getline(buf, cap, in);
	if (got < 0) {
		snprintf(run->why, sizeof(run->why), "no header line \"P S B\"");
		return -1;
	}
	size_t len = (size_t)got;
	strip_newline(*buf, &len);
	if (cmd_parse_header(*buf, len, &run->hdr, run->why) < 0)
		return -1;
	/* Any other size is the library's to round up to whole pages. */
	if (run->hdr.heap_size < SHMHEAP_MIN_SIZE) {
		snprintf(run->why, sizeof(run->why),
			 "heap size S %llu is too small: a heap needs at least %d bytes",
			 (unsigned long long)run->hdr.heap_size, SHMHEAP_MIN_SIZE);
		return -1;
	}
	return 0;
}

static void usage(FILE *f, const char *name)
{
	fprintf(f,
		"Usage: %s [--grow[=MAX]] [--heap NAME] < input\n"
		"Runs the lab's heap commands (see %s(1)) read from standard input.\n"
		"  --grow[=MAX]  let the heap grow, up to MAX bytes (K, M, G suffixes;\n"
		"                default 4G); without it the heap keeps size S\n"
		"  --heap NAME   run over the heap NAME, created and removed by the run:\n"
		"                /name, file:PATH, sysv:KEY or anon: (default /%s.PID)\n"
		"  -h, --help    show this help and exit\n"
		"  -V, --version show the version and exit\n"
		"Input: a line \"P S B\" (processes, heap size S in bytes, object ids),\n"
		"then commands: 0 p (connect), 1 p (disconnect), 2 p b (print object b),\n"
		"3 p b n (allocate n values of size_t, n*8 bytes, as object b, holding\n"
		"the next n numbers of one running counter), 4 p b (free object b).\n"
		"Example (the lab's sample): \"3 0 0 10\" prints\n"
		"  #0: Allocated at offset 80: 0 1 2 3 4 5 6 7 8 9\n",
		name, name, name);
}

/* Parses the options; the growth limit goes to *max_size (0: fixed size),
 * --heap's name to *heap (NULL: the default). */
static void parse_options(int argc, char **argv, const char *name, size_t *max_size,
			  const char **heap)
{
	static const struct option longopts[] = {
		{"grow", optional_argument, NULL, 'g'},
		{"heap", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	*max_size = 0;
	*heap = NULL;
	while ((opt = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'g':
			*max_size = SHMHEAP_DEFAULT_MAX_SIZE;
			if (optarg &&
			    (!tool_parse_size_suffix(optarg, max_size) || *max_size == 0))
				tool_die(TOOL_EXIT_USAGE, "--grow: bad size '%s'",
					 optarg);
			break;
		case 'H':
			*heap = optarg;
			break;
		case 'h':
			usage(stdout, name);
			exit(TOOL_EXIT_OK);
		case 'V':
			tool_print_version();
			exit(TOOL_EXIT_OK);
		default:
			usage(stderr, name);
			exit(TOOL_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		usage(stderr, name);
		exit(TOOL_EXIT_USAGE);
	}
}

/* Allocates the run's tables after the header; exits on failure. */
static void make_tables(struct run *run)
{
	run->connected = xcalloc(run->hdr.procs, sizeof(*run->connected));
	run->slots = xcalloc(run->hdr.objs, sizeof(*run->slots));
	run->cmds = xcalloc(run->max_per_line, sizeof(*run->cmds));
	run->rqs = xcalloc(run->max_per_line, sizeof(*run->rqs));
	run->rps = xcalloc(run->max_per_line, sizeof(*run->rps));
	run->ids = xcalloc(run->max_per_line, sizeof(*run->ids));
}

static void free_tables(struct run *run)
{
	free(run->connected);
	free(run->slots);
	free(run->cmds);
	free(run->rqs);
	free(run->rps);
	free(run->ids);
}

int runner_main(int argc, char **argv, const char *name, size_t max_per_line)
{
	tool_init(name);
	size_t max_size;
	const char *heap_arg;
	parse_options(argc, argv, name, &max_size, &heap_arg);
	run_heap_choose(name, heap_arg);

	struct run run = {.max_per_line = max_per_line, .line = 1};
	char *buf = NULL;
	size_t cap = 0;
	if (read_header(&run, stdin, &buf, &cap) < 0) {
		tool_warn("line 1: %s", run.why);
		free(buf);
		return TOOL_EXIT_USAGE;
	}
	if (max_size && max_size < run.hdr.heap_size)
		max_size = run.hdr.heap_size;
	make_tables(&run);

	size_t largest;
	if (pool_start(run.hdr.heap_size, max_size, run.hdr.procs, &largest) < 0) {
		free_tables(&run);
		free(buf);
		return TOOL_EXIT_FAIL;
	}
	run.max_count = largest / CMD_VALUE_SIZE;

	int status = TOOL_EXIT_OK;
	ssize_t got;
	while ((got = getline(&buf, &cap, stdin)) >= 0) {
		run.line++;
		size_t len = (size_t)got, n;
		strip_newline(buf, &len);
		if (memchr(buf, '\0', len)) {
			snprintf(run.why, sizeof(run.why), "NUL byte in the line");
			status = TOOL_EXIT_USAGE;
			break;
		}
		if (cmd_parse_line(buf, len, &run.hdr, run.cmds, max_per_line, &n,
				   run.why) < 0) {
			status = TOOL_EXIT_USAGE;
			break;
		}
		size_t bad = n;
		for (size_t i = 0; i < n && bad == n; i++)
			if (check(&run, &run.cmds[i]) < 0)
				bad = i;
		if (bad < n) {
			status = TOOL_EXIT_USAGE;
			break;
		}
		if (run_line(&run, n) < 0) {
			status = TOOL_EXIT_FAIL;
			break;
		}
	}
	bool reader_gone = run.out_err == EPIPE;
	if (run.out_err && !reader_gone)
		snprintf(run.why, sizeof(run.why), "write error: %s",
			 strerror(run.out_err));
	if (status == TOOL_EXIT_OK && ferror(stdin)) {
		snprintf(run.why, sizeof(run.why), "reading standard input: %s",
			 strerror(errno));
		status = TOOL_EXIT_FAIL;
	}
	if (status != TOOL_EXIT_OK && !reader_gone)
		tool_warn("line %llu: %s", (unsigned long long)run.line, run.why);
	if (pool_finish() < 0 && status == TOOL_EXIT_OK)
		status = TOOL_EXIT_FAIL;
	free_tables(&run);
	free(buf);
	/* The reader of the output has gone (| head): end quietly. */
	if (reader_gone)
		tool_end_by_sigpipe();
	return status;
}
