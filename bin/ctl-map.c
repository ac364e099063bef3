/* SPDX-License-Identifier: MIT */
/*
 * ctl-map.c - `shmheap-ctl map`: the heap's blocks in address order as a
 * strip of text cells, each standing for heap-size / width bytes, with one
 * glyph per state (used, free, cached, the library's own, header) and a
 * legend; or, with --svg, as a picture (ctl-map-svg.c).
 *
 * A cell that a single state fills shows that state's glyph.  A cell shared
 * by several states (blocks smaller than a cell: a heap with more blocks than
 * the strip has cells) is a bucket: a digit that says how much of it is in
 * use, in tenths, so that a fragmented stretch still shows as one.
 *
 * The heap is read like inspect reads it: under its lock, waited for at most
 * --timeout, or without it (another user's heap, through bounded reads that
 * never map it).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl-backing.h"
#include "ctl-map.h"
#include "ctl-out.h"
#include "ctl.h"
#include "tool.h"

#define MIN_WIDTH 8
#define MAX_WIDTH 4096
#define DEFAULT_WIDTH 80

static const char glyphs[MAP_NSTATES] = {
	[MAP_HEADER] = 'H', [MAP_USED] = '#',	 [MAP_FREE] = '.',
	[MAP_CACHED] = 'c', [MAP_LIBRARY] = 'L', [MAP_UNKNOWN] = '?',
};
/* ANSI colours: red, green, cyan, magenta, blue; buckets yellow. */
static const char *const colours[MAP_NSTATES] = {
	[MAP_HEADER] = "34", [MAP_USED] = "31",	   [MAP_FREE] = "32",
	[MAP_CACHED] = "36", [MAP_LIBRARY] = "35", [MAP_UNKNOWN] = "2",
};
#define BUCKET_COLOUR "33"

const char *map_state_name(enum map_state s)
{
	static const char *const names[MAP_NSTATES] = {
		[MAP_HEADER] = "header",
		[MAP_USED] = "used",
		[MAP_FREE] = "free",
		[MAP_CACHED] = "cached",
		[MAP_LIBRARY] = "library's own",
		[MAP_UNKNOWN] = "unknown",
	};
	return s < MAP_NSTATES ? names[s] : "?";
}

double map_fragmentation(const struct map *m)
{
	return m->free_payload ? 1.0 - (double)m->largest_free / (double)m->free_payload
			       : 0.0;
}

void map_time_text(char *buf, size_t len, time_t t)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

/* ---- reading ---- */

static enum map_state state_of(const struct shmheap_block *blk)
{
	switch (blk->kind) {
	case SHMHEAP_BLOCK_FREE:
		return MAP_FREE;
	case SHMHEAP_BLOCK_OBJECT:
		return MAP_USED;
	case SHMHEAP_BLOCK_CACHED:
		return MAP_CACHED;
	case SHMHEAP_BLOCK_LIBRARY:
		return MAP_LIBRARY;
	default:
		return blk->in_use ? MAP_USED : MAP_FREE;
	}
}

static int keep_block(const struct shmheap_block *blk, void *arg)
{
	struct map *m = arg;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->blk = xrealloc(m->blk, m->cap * sizeof(*m->blk));
	}
	enum map_state s = state_of(blk);
	struct map_block *b = &m->blk[m->n++];
	*b = (struct map_block){blk->offset - SHMHEAP_ALIGNMENT, blk->offset + blk->size,
				s};
	if (m->n == 1)
		m->header_end = b->start;
	m->bytes[s] += b->end - b->start;
	m->count[s]++;
	if (s == MAP_FREE) {
		m->free_payload += blk->size;
		if (blk->size > m->largest_free)
			m->largest_free = blk->size;
	}
	return 0;
}

/* For ctl_heap_run: the blocks, from nothing (a retry starts over). */
static int read_op(shmheap_memory_handle mem, void *arg)
{
	struct map *m = arg;
	struct map keep = {.name = m->name, .blk = m->blk, .cap = m->cap};
	*m = keep;
	if (shmheap_walk(mem, keep_block, m) == 0)
		return 0;
	if (errno != EUCLEAN)
		return -1;
	m->broken = true;
	return 0;
}

/* Reads the heap; exits with a message if it cannot be read at all. */
static void read_map(struct map *m, struct ctl_heap *h, unsigned timeout_ms)
{
	if (ctl_heap_open(h, m->name, timeout_ms) < 0 ||
	    ctl_heap_run(h, read_op, m) < 0) {
		int err = errno;
		ctl_heap_close(h);
		tool_die(TOOL_EXIT_FAIL, "%s: %s", ctl_shown(m->name),
			 ctl_name_error(m->name, err));
	}
	m->taken = time(NULL);
	m->unlocked = h->unlocked ? h->why_unlocked : NULL;
	uint64_t last = m->n ? m->blk[m->n - 1].end : 0;
	m->size = h->info.heap_size > last ? h->info.heap_size : last;
	if (!m->broken)
		m->size = last ? last : m->size;
	if (!m->n)
		m->header_end = m->size;
	m->bytes[MAP_HEADER] = m->header_end;
	if (m->broken)
		m->bytes[MAP_UNKNOWN] = m->size - last;
}

/* ---- the strip ---- */

struct cell {
	uint64_t bytes[MAP_NSTATES];
};

/* Adds the stretch [start, end) of state s to the cells it covers. */
static void cover(struct cell *c, size_t width, uint64_t size, uint64_t start,
		  uint64_t end, enum map_state s)
{
	if (start >= end || start >= size)
		return;
	if (end > size)
		end = size;
	/* Cell i spans [i * size / width, (i + 1) * size / width). */
	size_t first = (size_t)(start * width / size),
	       last = (size_t)((end - 1) * width / size);
	for (size_t i = first; i <= last && i < width; i++) {
		uint64_t lo = i * size / width, hi = (i + 1) * size / width;
		uint64_t a = start > lo ? start : lo, b = end < hi ? end : hi;
		if (b > a)
			c[i].bytes[s] += b - a;
	}
}

/*
 * A cell's glyph: a bucket's digit when it holds both space in use and free
 * space (how much is in use, in tenths: 1 to 9), else the glyph of the state
 * that fills most of it.
 */
static char cell_glyph(const struct cell *c, bool *bucket, enum map_state *state)
{
	uint64_t total = 0, used = 0, free = 0, most = 0;
	for (int s = 0; s < MAP_NSTATES; s++) {
		uint64_t b = c->bytes[s];
		total += b;
		if (s == MAP_FREE || s == MAP_CACHED)
			free += b;
		else if (s != MAP_UNKNOWN)
			used += b;
		if (b > most) {
			most = b;
			*state = (enum map_state)s;
		}
	}
	*bucket = used && free;
	if (!total)
		return ' ';
	if (!*bucket)
		return glyphs[*state];
	unsigned d = (unsigned)(used * 10 / total);
	return (char)('0' + (d < 1 ? 1 : d > 9 ? 9 : d));
}

static void print_strip(const struct map *m, size_t width, bool colour, bool *buckets)
{
	struct cell *c = xcalloc(width, sizeof(*c));
	uint64_t size = m->size ? m->size : 1;
	cover(c, width, size, 0, m->header_end, MAP_HEADER);
	for (size_t i = 0; i < m->n; i++)
		cover(c, width, size, m->blk[i].start, m->blk[i].end, m->blk[i].state);
	if (m->broken && m->n)
		cover(c, width, size, m->blk[m->n - 1].end, size, MAP_UNKNOWN);
	const char *on = NULL;
	for (size_t i = 0; i < width; i++) {
		bool bucket;
		enum map_state s = MAP_UNKNOWN;
		char g = cell_glyph(&c[i], &bucket, &s);
		*buckets |= bucket;
		const char *want = bucket ? BUCKET_COLOUR : colours[s];
		if (colour && want != on) {
			printf("\033[%sm", want);
			on = want;
		}
		putchar(g);
	}
	if (colour)
		fputs("\033[0m", stdout);
	putchar('\n');
	free(c);
}

/* "0", the middle and the end of the heap under the strip. */
static void print_scale(const struct map *m, size_t width)
{
	char mid[NUM_BUF], end[NUM_BUF];
	fmt_human(mid, (size_t)(m->size / 2));
	fmt_human(end, (size_t)m->size);
	size_t half = width / 2, lm = strlen(mid), le = strlen(end);
	if (width < 2 + lm + le + 4) {
		printf("0%*s\n", (int)(width - 1), end);
		return;
	}
	size_t at = half - lm / 2;
	printf("0%*s%s%*s\n", (int)(at - 1), "", mid, (int)(width - at - lm), end);
}

static void legend_line(enum map_state s, bool colour, const struct map *m,
			const char *what)
{
	if (colour)
		printf("  \033[%sm%c\033[0m ", colours[s], glyphs[s]);
	else
		printf("  %c ", glyphs[s]);
	printf("%-14s %12llu bytes%s\n", map_state_name(s),
	       (unsigned long long)m->bytes[s], what);
}

static void print_legend(const struct map *m, size_t width, bool colour, bool buckets)
{
	char text[96];
	snprintf(text, sizeof(text), " in %zu object%s", m->count[MAP_USED],
		 m->count[MAP_USED] == 1 ? "" : "s");
	legend_line(MAP_USED, colour, m, text);
	snprintf(text, sizeof(text), " in %zu block%s", m->count[MAP_FREE],
		 m->count[MAP_FREE] == 1 ? "" : "s");
	legend_line(MAP_FREE, colour, m, text);
	if (m->count[MAP_CACHED]) {
		snprintf(text, sizeof(text), " in %zu block%s, in process caches",
			 m->count[MAP_CACHED], m->count[MAP_CACHED] == 1 ? "" : "s");
		legend_line(MAP_CACHED, colour, m, text);
	}
	if (m->count[MAP_LIBRARY]) {
		snprintf(text, sizeof(text), " in %zu block%s (cache table, names, queues)",
			 m->count[MAP_LIBRARY], m->count[MAP_LIBRARY] == 1 ? "" : "s");
		legend_line(MAP_LIBRARY, colour, m, text);
	}
	legend_line(MAP_HEADER, colour, m, "");
	if (m->broken)
		legend_line(MAP_UNKNOWN, colour, m, ", past a break in the block chain");
	if (buckets) {
		if (colour)
			printf("  \033[" BUCKET_COLOUR "m0-9\033[0m");
		else
			printf("  0-9");
		printf(" buckets: cells shared by space in use and free space (blocks\n"
		       "      smaller than a cell); the digit is the tenths in use\n");
	}
	printf("  one cell is %.1f bytes; largest free block %llu bytes;\n"
	       "  fragmentation %.2f (1 - largest free / all free)\n",
	       (double)m->size / (double)width, (unsigned long long)m->largest_free,
	       map_fragmentation(m));
}

static void print_text(const struct map *m, size_t width, bool colour)
{
	char size[NUM_BUF], when[32];
	char *name = printable(m->name);
	fmt_human(size, (size_t)m->size);
	map_time_text(when, sizeof(when), m->taken);
	size_t blocks = m->n;
	printf("%s: %s heap (%llu bytes), %zu block%s, %s\n", name, size,
	       (unsigned long long)m->size, blocks, blocks == 1 ? "" : "s", when);
	bool buckets = false;
	print_strip(m, width, colour, &buckets);
	print_scale(m, width);
	print_legend(m, width, colour, buckets);
	free(name);
}

/* ---- the command ---- */

/* The terminal's width, else COLUMNS, else 80. */
static size_t default_width(void)
{
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col >= MIN_WIDTH)
		return ws.ws_col;
	unsigned long cols;
	const char *env = getenv("COLUMNS");
	if (env && tool_parse_uint(env, MAX_WIDTH, &cols) && cols >= MIN_WIDTH)
		return cols;
	return DEFAULT_WIDTH;
}

enum colour_when { COLOUR_AUTO, COLOUR_ALWAYS, COLOUR_NEVER };

/* Colours on a terminal, unless NO_COLOR is set (https://no-color.org). */
static bool use_colour(enum colour_when when)
{
	if (when != COLOUR_AUTO)
		return when == COLOUR_ALWAYS;
	const char *no = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && !(no && *no);
}

static void write_svg(const struct map *m, const char *path)
{
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "we");
	if (!f)
		tool_die(TOOL_EXIT_FAIL, "%s: %s", path, strerror(errno));
	int ret = map_svg_write(m, f);
	int err = errno;
	if (!to_stdout && fclose(f) != 0 && ret == 0) {
		ret = -1;
		err = errno;
	}
	if (ret < 0)
		tool_die(TOOL_EXIT_FAIL, "%s: %s", path, strerror(err));
}

int ctl_map(int argc, char **argv)
{
	enum { OPT_COLOR = 0x100 };
	static const struct option opts[] = {
		{"width", required_argument, NULL, 'w'},
		{"svg", required_argument, NULL, 's'},
		{"color", optional_argument, NULL, OPT_COLOR},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	size_t width = 0;
	const char *svg = NULL;
	enum colour_when colour = COLOUR_AUTO;
	unsigned timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	unsigned long v;
	int c;
	while ((c = ctl_getopt(argc, argv, "w:s:t:", opts)) != -1) {
		switch (c) {
		case 'w':
			if (!tool_parse_uint(optarg, MAX_WIDTH, &v) || v < MIN_WIDTH)
				ctl_usage_error(argv[0],
						"--width wants %d to %d cells, not '%s'",
						MIN_WIDTH, MAX_WIDTH, optarg);
			width = v;
			break;
		case 's':
			svg = optarg;
			break;
		case OPT_COLOR:
			if (!optarg || strcmp(optarg, "always") == 0)
				colour = COLOUR_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				colour = COLOUR_NEVER;
			else if (strcmp(optarg, "auto") == 0)
				colour = COLOUR_AUTO;
			else
				ctl_usage_error(
					argv[0],
					"--color wants auto, always or never, not '%s'",
					optarg);
			break;
		case 't':
			timeout_ms = ctl_parse_timeout(argv[0], optarg);
			break;
		}
	}
	const char *name = ctl_single_name(argc, argv);

	struct map m = {.name = name};
	struct ctl_heap h;
	read_map(&m, &h, timeout_ms);
	if (svg)
		write_svg(&m, svg);
	if (!svg || strcmp(svg, "-") != 0)
		print_text(&m, width ? width : default_width(), use_colour(colour));
	int status = TOOL_EXIT_OK;
	if (m.unlocked)
		tool_warn("%s: %s; read without the lock, the picture may be torn",
			  ctl_shown(name), m.unlocked);
	if (m.broken) {
		tool_warn("%s: block chain broken at offset %llu; the picture shows the "
			  "blocks before it (run check)",
			  ctl_shown(name),
			  (unsigned long long)(m.n ? m.blk[m.n - 1].end : 0));
		status = TOOL_EXIT_FAIL;
	}
	ctl_heap_close(&h);
	free(m.blk);
	return status;
}
