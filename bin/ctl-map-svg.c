/* SPDX-License-Identifier: MIT */
/*
 * ctl-map-svg.c - `shmheap-ctl map --svg`: the heap as an SVG picture.
 *
 * The heap's bytes run left to right in rows, as text does, offset 0 at the
 * top left; each block is one <path> (a block that runs on into the next row
 * has a piece in each) with a <title> giving its offset, size and state, which
 * viewers show on hover.  Blocks too narrow to see (under MIN_PX), or all but
 * the big ones when the heap has more blocks than the picture has room for
 * (MAX_SHAPES), are grouped into buckets of at least BUCKET_PX, coloured by
 * how much of them is in use; the legend says so.  The number of shapes is
 * bounded, and so is the file (well under 2 MB), whatever the heap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-map.h"
#include "ctl-out.h"
#include "tool.h"

#define LEFT 64.0	 /* the row labels' margin */
#define WIDTH 1024.0	 /* the rows' width */
#define TOP 52.0	 /* the title's room */
#define ROW_H 22.0	 /* a row's height */
#define ROW_GAP 6.0	 /* between two rows */
#define MAX_ROWS 32u	 /* at most 32 Ki px of rows */
#define BYTES_PER_PX 4.0 /* what a row aims at: a 16-byte block is 4 px */
#define MAX_SHAPES 4096u /* more blocks than this: bucket mode */
#define MIN_PX 1.5	 /* narrower is too small to see */
#define BIG_PX 16.0	 /* in bucket mode, a block this wide keeps its shape */
#define BUCKET_PX 4.0	 /* a bucket is at least this wide */

static const char *const fills[MAP_NSTATES] = {
	[MAP_HEADER] = "#337ab7", [MAP_USED] = "#d9534f",    [MAP_FREE] = "#5cb85c",
	[MAP_CACHED] = "#5bc0de", [MAP_LIBRARY] = "#8e44ad", [MAP_UNKNOWN] = "#bbbbbb",
};
static const char *const classes[MAP_NSTATES] = {
	[MAP_HEADER] = "header", [MAP_USED] = "used",	    [MAP_FREE] = "free",
	[MAP_CACHED] = "cached", [MAP_LIBRARY] = "library", [MAP_UNKNOWN] = "unknown",
};

struct layout {
	unsigned rows;
	double bpp; /* bytes per pixel */
	double min_px;
	bool bucket_mode;
};

/* A bucket's colour, tenth k in use: free's green to used's red. */
static void bucket_fill(char buf[8], unsigned k)
{
	static const unsigned from[3] = {0x5c, 0xb8, 0x5c}, to[3] = {0xd9, 0x53, 0x4f};
	unsigned char c[3];
	for (int i = 0; i < 3; i++)
		c[i] = (unsigned char)((from[i] * (9 - k) + to[i] * k) / 9);
	snprintf(buf, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* s with &, <, > and " as XML wants them (s is printable ASCII). */
static void put_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static double row_y(unsigned r)
{
	return TOP + r * (ROW_H + ROW_GAP);
}

/* The pieces of [start, end), one per row it crosses, as a path's data. */
static void put_area(FILE *f, const struct layout *l, uint64_t start, uint64_t end)
{
	double a = (double)start / l->bpp, b = (double)end / l->bpp;
	fputs(" d=\"", f);
	for (unsigned r = (unsigned)(a / WIDTH); r < l->rows && r * WIDTH < b; r++) {
		double x0 = a > r * WIDTH ? a - r * WIDTH : 0;
		double x1 = b < (r + 1) * WIDTH ? b - r * WIDTH : WIDTH;
		fprintf(f, "M%.1f,%.0fh%.1fv%.0fh%.1fz", LEFT + x0, row_y(r), x1 - x0,
			ROW_H, x0 - x1);
	}
	fputc('"', f);
}

static void put_block(FILE *f, const struct layout *l, const struct map_block *b)
{
	fprintf(f, "<path class=\"%s\"", classes[b->state]);
	put_area(f, l, b->start, b->end);
	fprintf(f, "><title>offset %llu: %llu bytes, %s</title></path>\n",
		(unsigned long long)b->start + 8,
		(unsigned long long)(b->end - b->start - 8), map_state_name(b->state));
}

/* Blocks i .. j-1, too small to see, as one bucket. */
static void put_bucket(FILE *f, const struct layout *l, const struct map *m, size_t i,
		       size_t j)
{
	uint64_t used = 0, all = m->blk[j - 1].end - m->blk[i].start;
	for (size_t k = i; k < j; k++)
		if (m->blk[k].state == MAP_USED || m->blk[k].state == MAP_LIBRARY)
			used += m->blk[k].end - m->blk[k].start;
	unsigned tenth = (unsigned)(used * 9 / all);
	fprintf(f, "<path class=\"b%u\"", tenth);
	put_area(f, l, m->blk[i].start, m->blk[j - 1].end);
	fprintf(f, "><title>%zu blocks at %llu-%llu: %llu%% in use</title></path>\n",
		j - i, (unsigned long long)m->blk[i].start,
		(unsigned long long)m->blk[j - 1].end,
		(unsigned long long)(used * 100 / all));
}

/* Every block, or bucket of blocks, in address order (f NULL: only counts);
 * returns how many buckets. */
static size_t put_blocks(FILE *f, const struct layout *l, const struct map *m)
{
	size_t buckets = 0;
	for (size_t i = 0; i < m->n;) {
		const struct map_block *b = &m->blk[i];
		if ((double)(b->end - b->start) / l->bpp >= l->min_px) {
			if (f)
				put_block(f, l, b);
			i++;
			continue;
		}
		/* Small blocks until the bucket is wide enough or a big one comes. */
		size_t j = i + 1;
		while (j < m->n &&
		       (double)(m->blk[j - 1].end - b->start) / l->bpp < BUCKET_PX &&
		       (double)(m->blk[j].end - m->blk[j].start) / l->bpp < l->min_px)
			j++;
		if (f)
			put_bucket(f, l, m, i, j);
		buckets++;
		i = j;
	}
	return buckets;
}

static void put_row_labels(FILE *f, const struct layout *l)
{
	for (unsigned r = 0; r < l->rows; r++) {
		char at[NUM_BUF];
		if (r)
			fmt_human(at, (size_t)(r * WIDTH * l->bpp));
		else
			snprintf(at, sizeof(at), "0");
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>\n",
			LEFT - 6, row_y(r) + 15, at);
	}
}

static void put_swatch(FILE *f, double y, const char *fill, const char *text)
{
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"14\" fill=\"%s\"/>",
		LEFT, y, fill);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">", LEFT + 22, y + 12);
	put_xml(f, text);
	fputs("</text>\n", f);
}

static double put_legend(FILE *f, const struct layout *l, const struct map *m, double y,
			 size_t buckets)
{
	static const char *const what[MAP_NSTATES] = {
		[MAP_USED] = "objects",
		[MAP_FREE] = "free blocks (first fit takes the lowest that fits)",
		[MAP_CACHED] = "blocks in process caches (free, kept by a process)",
		[MAP_LIBRARY] = "blocks (the cache table, the names directory)",
	};
	char text[256];
	for (int s = MAP_USED; s <= MAP_LIBRARY; s++) {
		if ((s == MAP_CACHED || s == MAP_LIBRARY) && !m->count[s])
			continue;
		snprintf(text, sizeof(text), "%s: %llu bytes in %zu %s",
			 map_state_name(s), (unsigned long long)m->bytes[s], m->count[s],
			 what[s]);
		put_swatch(f, y, fills[s], text);
		y += 20;
	}
	snprintf(text, sizeof(text), "header: %llu bytes",
		 (unsigned long long)m->bytes[MAP_HEADER]);
	put_swatch(f, y, fills[MAP_HEADER], text);
	y += 20;
	if (m->broken) {
		snprintf(text, sizeof(text),
			 "unknown: %llu bytes past a break in the block chain",
			 (unsigned long long)m->bytes[MAP_UNKNOWN]);
		put_swatch(f, y, fills[MAP_UNKNOWN], text);
		y += 20;
	}
	if (buckets) {
		for (unsigned k = 0; k < 10; k++) {
			char fill[8];
			bucket_fill(fill, k);
			fprintf(f,
				"<rect x=\"%.0f\" y=\"%.0f\" width=\"7\" height=\"14\" fill=\"%s\"/>",
				LEFT + 7 * k, y, fill);
		}
		snprintf(
			text, sizeof(text),
			"%zu buckets: blocks too small to show one by one%s, grouped; the "
			"colour is how much is in use (0 to 100%%)",
			buckets,
			l->bucket_mode ? " (more blocks than the picture has room for)"
				       : "");
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">", LEFT + 78, y + 12);
		put_xml(f, text);
		fputs("</text>\n", f);
		y += 20;
	}
	snprintf(
		text, sizeof(text),
		"largest free block %llu bytes; fragmentation %.2f (1 - largest free / all free); "
		"a row is %.0f bytes",
		(unsigned long long)m->largest_free, map_fragmentation(m),
		WIDTH * l->bpp);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">", LEFT, y + 12);
	put_xml(f, text);
	fputs("</text>\n", f);
	return y + 20;
}

static void choose_layout(struct layout *l, const struct map *m)
{
	double size = m->size ? (double)m->size : 1;
	double rows = size / (WIDTH * BYTES_PER_PX);
	l->rows = rows < 1 ? 1 : rows > MAX_ROWS ? MAX_ROWS : (unsigned)(rows + 0.999);
	l->bpp = size / (l->rows * WIDTH);
	l->bucket_mode = m->n > MAX_SHAPES;
	l->min_px = l->bucket_mode ? BIG_PX : MIN_PX;
}

int map_svg_write(const struct map *m, FILE *f)
{
	struct layout l;
	choose_layout(&l, m);
	double legend_y = row_y(l.rows) + 8;
	/* A legend line for each state there is, buckets, and the figures. */
	size_t buckets = put_blocks(NULL, &l, m);
	unsigned lines = 3 + (m->count[MAP_CACHED] > 0) + (m->count[MAP_LIBRARY] > 0) +
			 m->broken + (buckets > 0) + 1;
	double height = legend_y + lines * 20 + 12, width = LEFT + WIDTH + 16;
	char size[NUM_BUF], when[32];
	fmt_human(size, (size_t)m->size);
	map_time_text(when, sizeof(when), m->taken);
	char *name = printable(m->name);

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
		width, height, width, height);
	fputs("<title>shmheap-ctl map ", f);
	put_xml(f, name);
	fputs("</title>\n<style>", f);
	for (int s = 0; s < MAP_NSTATES; s++)
		fprintf(f, ".%s{fill:%s}", classes[s], fills[s]);
	for (unsigned k = 0; k < 10; k++) {
		char fill[8];
		bucket_fill(fill, k);
		fprintf(f, ".b%u{fill:%s}", k, fill);
	}
	/* A thin white line between two blocks; a bucket is one stretch. */
	fputs(".used,.free,.cached,.library{stroke:#fff;stroke-width:0.5}</style>\n", f);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
	fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"16\" font-weight=\"bold\">",
		LEFT);
	put_xml(f, name);
	fprintf(f,
		"</text>\n<text x=\"%.0f\" y=\"42\">%s heap (%llu bytes), %zu blocks, "
		"read %s; offsets run left to right, row after row</text>\n",
		LEFT, size, (unsigned long long)m->size, m->n, when);
	put_row_labels(f, &l);
	fputs("<g id=\"blocks\">\n", f);
	fprintf(f, "<path class=\"header\"");
	put_area(f, &l, 0, m->header_end);
	fprintf(f, "><title>header: %llu bytes</title></path>\n",
		(unsigned long long)m->header_end);
	put_blocks(f, &l, m);
	if (m->broken && m->n) {
		fprintf(f, "<path class=\"unknown\"");
		put_area(f, &l, m->blk[m->n - 1].end, m->size);
		fputs("><title>past a break in the block chain</title></path>\n", f);
	}
	fputs("</g>\n<g id=\"legend\">\n", f);
	put_legend(f, &l, m, legend_y, buckets);
	fputs("</g>\n</svg>\n", f);
	free(name);
	if (fflush(f) != 0 || ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
