/* SPDX-License-Identifier: MIT */
/*
 * runners-gen - random inputs for shmheap-ex2 and shmheap-ex3, and for ex2
 * the output a first-fit heap must give.
 *
 *   runners-gen [-3] [-s SEED] [-n LINES] [-p P] [-S S] [-b B] [-z MAXCOUNT]
 *               [-k PER_LINE] [-e EXPECTED]
 *
 * writes an input of LINES command lines on standard output.  An allocation
 * "3 p b n" asks for n values of size_t (n * 8 bytes, as the lab's runners
 * read it), n at most MAXCOUNT; its object holds the next n numbers of the
 * run's counter.  Without -3
 * (one command per line) -e writes what shmheap-ex2 must print, computed by
 * the reference model below.  With -3 every line holds PER_LINE commands of
 * PER_LINE different processes on different object ids; the heap must then
 * be large enough that no allocation fails (see -S in tests/runners-ex3.sh),
 * since which one would fail depends on the order the commands ran in.
 *
 * The reference model of the heap: a block is an 8-byte header and its
 * object; the first block starts at HEAP_FIRST_BLOCK (layout.h) and
 * blocks tile [HEAP_FIRST_BLOCK, S).  An allocation of s = 8n bytes needs
 * round_up(max(s, 1), 8) + 8 bytes and takes the lowest free block that is
 * large enough, splitting it when at least 16 bytes remain and taking it
 * whole otherwise.  A freed block merges with free neighbours on both sides.
 * Free blocks are found with a segment tree over 8-byte units holding, at the
 * start of every free block, its size: first fit is then O(log S).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"

#define FIRST_BLOCK HEAP_FIRST_BLOCK
#define UNIT HEAP_UNIT

/* xorshift64*: reproducible from the seed on every platform. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Du;
}
static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* ---- the first-fit model ---- */
struct model {
	uint32_t units;	 /* heap size in units */
	uint32_t leaves; /* power of two >= units */
	uint32_t *tree;	 /* max free size (units) in each subtree */
	uint32_t *size;	 /* at a block's first unit: its size in units */
	uint32_t *start; /* at a block's last unit: its first unit */
	bool *used;	 /* at a block's first unit */
};

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);
	if (!p) {
		fprintf(stderr, "runners-gen: out of memory\n");
		exit(99);
	}
	return p;
}

static void tree_set(struct model *m, uint32_t u, uint32_t v)
{
	uint32_t i = m->leaves + u;
	m->tree[i] = v;
	for (i /= 2; i >= 1; i /= 2) {
		uint32_t l = m->tree[2 * i], r = m->tree[2 * i + 1];
		m->tree[i] = l > r ? l : r;
	}
}

/* The lowest unit where a free block of at least need units starts, or -1. */
static int64_t tree_first_fit(const struct model *m, uint32_t need)
{
	if (m->tree[1] < need)
		return -1;
	uint32_t i = 1;
	while (i < m->leaves)
		i = m->tree[2 * i] >= need ? 2 * i : 2 * i + 1;
	return i - m->leaves;
}

static void set_block(struct model *m, uint32_t u, uint32_t n, bool used)
{
	m->size[u] = n;
	m->start[u + n - 1] = u;
	m->used[u] = used;
	tree_set(m, u, used ? 0 : n);
}

static void model_init(struct model *m, uint64_t heap_size)
{
	m->units = (uint32_t)(heap_size / UNIT);
	for (m->leaves = 1; m->leaves < m->units; m->leaves *= 2)
		;
	m->tree = xcalloc(2 * (size_t)m->leaves, sizeof(*m->tree));
	m->size = xcalloc(m->units, sizeof(*m->size));
	m->start = xcalloc(m->units, sizeof(*m->start));
	m->used = xcalloc(m->units, sizeof(*m->used));
	set_block(m, FIRST_BLOCK / UNIT, m->units - FIRST_BLOCK / UNIT, false);
}

/* Returns the object's offset, or 0 when no free block fits. */
static uint64_t model_alloc(struct model *m, uint64_t bytes)
{
	uint64_t obj = bytes ? (bytes + UNIT - 1) / UNIT : 1;
	if (obj + 1 > m->units)
		return 0;
	uint32_t need = (uint32_t)obj + 1;
	int64_t at = tree_first_fit(m, need);
	if (at < 0)
		return 0;
	uint32_t u = (uint32_t)at, have = m->size[u];
	if (have - need >= 2) {
		set_block(m, u, need, true);
		set_block(m, u + need, have - need, false);
	} else {
		set_block(m, u, have, true);
	}
	return ((uint64_t)u + 1) * UNIT;
}

static void model_free(struct model *m, uint64_t offset)
{
	uint32_t u = (uint32_t)(offset / UNIT) - 1, n = m->size[u];
	uint32_t next = u + n;
	if (next < m->units && !m->used[next]) {
		n += m->size[next];
		tree_set(m, next, 0);
		m->size[next] = 0;
	}
	if (u > FIRST_BLOCK / UNIT) {
		uint32_t prev = m->start[u - 1];
		if (!m->used[prev]) {
			tree_set(m, u, 0);
			m->size[u] = 0;
			n += m->size[prev];
			u = prev;
		}
	}
	set_block(m, u, n, false);
}

/* ---- the generator ---- */
struct params {
	bool ex3;
	uint64_t seed, lines, heap_size, max_count;
	uint32_t procs, objs, per_line;
	const char *expected;
};

struct slot {
	bool live;
	uint64_t count, offset, first; /* count: size_t values */
};

struct gen {
	struct params prm;
	struct model model;
	bool *connected;
	uint32_t nconnected;
	struct slot *slots;
	uint32_t *stamp; /* line that last used a process or an id (ex3) */
	uint64_t counter, line;
	FILE *in, *out;
};

static uint64_t random_count(const struct gen *g)
{
	uint64_t max = g->prm.max_count;
	switch (below(8)) {
	case 0:
		return below(3); /* tiny, 0 included */
	case 1:
		return below(max + 1); /* anything */
	default:
		return below(max / 8 + 1); /* mostly small */
	}
}

static void print_values(FILE *f, uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		fprintf(f, " %" PRIu64, first + i);
}

/* Picks a usable random object id matching want_live; UINT32_MAX if none. */
static uint32_t pick_slot(struct gen *g, bool want_live)
{
	for (int tries = 0; tries < 64; tries++) {
		uint32_t b = (uint32_t)below(g->prm.objs);
		if (g->slots[b].live == want_live && g->stamp[b] != g->line)
			return b;
	}
	return UINT32_MAX;
}

/* Emits one command of process p and runs it on the model. */
static void command(struct gen *g, uint32_t p, bool sep)
{
	FILE *in = g->in, *out = g->out;
	const char *bar = sep ? " | " : "";
	if (!g->connected[p]) {
		fprintf(in, "%s0 %u", bar, p);
		g->connected[p] = true;
		g->nconnected++;
		if (out)
			fprintf(out, "#%u: Connected\n", p);
		return;
	}
	/* Draw a kind of command; when no id suits it, try the others. */
	static const int kinds[] = {3, 3, 3, 3, 4, 4, 4, 2, 2, 2};
	int first = (int)below(10);
	if (below(50) == 0)
		goto disconnect;
	for (int k = 0; k < 10; k++) {
		int kind = kinds[(first + k) % 10];
		uint32_t b = pick_slot(g, kind != 3);
		if (b == UINT32_MAX)
			continue;
		g->stamp[b] = (uint32_t)g->line;
		struct slot *s = &g->slots[b];
		if (kind == 3) {
			s->count = random_count(g);
			s->first = g->counter; /* the running start index */
			g->counter += s->count;
			fprintf(in, "%s3 %u %u %" PRIu64, bar, p, b, s->count);
			s->offset = g->prm.ex3 ? 1 : model_alloc(&g->model, s->count * 8);
			s->live = s->offset != 0;
			if (!out)
				return;
			if (!s->live) {
				fprintf(out,
					"#%u: Allocation of %" PRIu64
					" bytes failed: Cannot allocate memory\n",
					p, s->count * 8);
				return;
			}
			fprintf(out, "#%u: Allocated at offset %" PRIu64 ":", p,
				s->offset);
			print_values(out, s->first, s->count);
			fputc('\n', out);
		} else if (kind == 4) {
			fprintf(in, "%s4 %u %u", bar, p, b);
			if (!g->prm.ex3)
				model_free(&g->model, s->offset);
			s->live = false;
			if (out)
				fprintf(out, "#%u: Freed at offset: %" PRIu64 "\n", p,
					s->offset);
		} else {
			fprintf(in, "%s2 %u %u", bar, p, b);
			if (out) {
				fprintf(out, "#%u: Read:", p);
				print_values(out, s->first, s->count);
				fputc('\n', out);
			}
		}
		return;
	}
	/* No id suits any command: disconnecting is always valid. */
disconnect:
	fprintf(in, "%s1 %u", bar, p);
	g->connected[p] = false;
	g->nconnected--;
	if (out)
		fprintf(out, "#%u: Disconnected\n", p);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: runners-gen [-3] [-s SEED] [-n LINES] [-p P] [-S S] [-b B] "
		"[-z MAXCOUNT] [-k PER_LINE] [-e EXPECTED]\n");
	exit(99);
}

static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || end == s)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct params prm = {.seed = 1,
			     .lines = 1000,
			     .procs = 4,
			     .heap_size = 65536,
			     .objs = 64,
			     .max_count = 128,
			     .per_line = 1};
	int opt;
	while ((opt = getopt(argc, argv, "3s:n:p:S:b:z:k:e:")) != -1) {
		switch (opt) {
		case '3':
			prm.ex3 = true;
			break;
		case 's':
			prm.seed = number(optarg);
			break;
		case 'n':
			prm.lines = number(optarg);
			break;
		case 'p':
			prm.procs = (uint32_t)number(optarg);
			break;
		case 'S':
			prm.heap_size = number(optarg);
			break;
		case 'b':
			prm.objs = (uint32_t)number(optarg);
			break;
		case 'z':
			prm.max_count = number(optarg);
			break;
		case 'k':
			prm.per_line = (uint32_t)number(optarg);
			break;
		case 'e':
			prm.expected = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !prm.procs || !prm.objs || prm.heap_size < 88 ||
	    !prm.per_line || prm.per_line > prm.procs || (prm.expected && prm.ex3) ||
	    (!prm.ex3 && prm.per_line != 1))
		usage();

	struct gen g = {.prm = prm, .in = stdout};
	rng_state = prm.seed * 0x9E3779B97F4A7C15u + 1;
	g.connected = xcalloc(prm.procs, sizeof(*g.connected));
	g.slots = xcalloc(prm.objs, sizeof(*g.slots));
	g.stamp = xcalloc(prm.objs, sizeof(*g.stamp));
	uint32_t *order = xcalloc(prm.procs, sizeof(*order));
	/* The library rounds S up to whole pages, and so does the model. */
	long page = sysconf(_SC_PAGESIZE);
	uint64_t unit = page > 4096 ? (uint64_t)page : 4096;
	if (!prm.ex3)
		model_init(&g.model, (prm.heap_size + unit - 1) / unit * unit);
	if (prm.expected && !(g.out = fopen(prm.expected, "w"))) {
		perror(prm.expected);
		return 99;
	}
	printf("%u %" PRIu64 " %u\n", prm.procs, prm.heap_size, prm.objs);
	for (g.line = 1; g.line <= prm.lines; g.line++) {
		/* per_line different processes, in a random order. */
		for (uint32_t i = 0; i < prm.procs; i++)
			order[i] = i;
		for (uint32_t i = 0; i < prm.per_line; i++) {
			uint32_t j = i + (uint32_t)below(prm.procs - i), t = order[i];
			order[i] = order[j];
			order[j] = t;
			command(&g, order[i], i > 0);
		}
		putchar('\n');
	}
	free(order);
	free(g.connected);
	free(g.slots);
	free(g.stamp);
	if (!prm.ex3) {
		free(g.model.tree);
		free(g.model.size);
		free(g.model.start);
		free(g.model.used);
	}
	if (g.out && fclose(g.out) != 0)
		return 99;
	return fflush(stdout) == 0 ? 0 : 99;
}
