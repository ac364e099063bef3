/* SPDX-License-Identifier: MIT */
/*
 * ctl-table.h - the tables of `list` and `segments`, printed by libsmartcols
 * as util-linux's lsipc(1) and lsblk(8) print theirs: aligned columns, --raw,
 * --noheadings and --json, the columns chosen with -o (+LIST adds to the
 * default ones) or --output-all.
 *
 * A command describes its columns once, parses the options shared by both
 * tables with ctl_table_option, and adds one row of cells per entry, every
 * column filled in (the table keeps the chosen ones).  A NULL cell is a value
 * not known: '-' in columns, null in JSON.
 */
#ifndef SHMHEAP_CTL_TABLE_H
#define SHMHEAP_CTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

enum ctl_cell_type {
	CTL_CELL_STRING,
	CTL_CELL_NUMBER,
	CTL_CELL_BOOL,	  /* "1" or "0"; true or false in JSON */
	CTL_CELL_NUMBERS, /* numbers separated by commas; an array in JSON */
};

struct ctl_column {
	const char *name; /* the heading; in lower case, the JSON member's name */
	enum ctl_cell_type type;
	bool right;  /* right-aligned (figures) */
	bool dflt;   /* shown when no -o chooses */
	bool escape; /* a name: shown through printable() in columns */
};

#define CTL_TABLE_MAX_COLS 64

struct ctl_table_opts {
	bool json, raw, headings, bytes;
	size_t chosen[CTL_TABLE_MAX_COLS]; /* column indexes, in output order */
	size_t nchosen;			   /* 0: not chosen yet */
};

/* The options both tables take: -J (also -j), -b, -n, -o LIST, -r, and
 * --output-all, which has no short form. */
#define CTL_TABLE_SHORTOPTS "Jjbno:r"
#define CTL_TABLE_OUTPUT_ALL 0x100
/* clang-format off */
#define CTL_TABLE_LONGOPTS                                         \
	{"json", no_argument, NULL, 'J'},                          \
	{"bytes", no_argument, NULL, 'b'},                         \
	{"noheadings", no_argument, NULL, 'n'},                    \
	{"output", required_argument, NULL, 'o'},                  \
	{"output-all", no_argument, NULL, CTL_TABLE_OUTPUT_ALL},   \
	{"raw", no_argument, NULL, 'r'}
/* clang-format on */

void ctl_table_opts_init(struct ctl_table_opts *o);
/* Handles one option that getopt returned; false if it is not one of them. */
bool ctl_table_option(struct ctl_table_opts *o, int c, const char *arg, const char *cmd,
		      const struct ctl_column *cols, size_t ncols);
/* After the options: without -o, the default columns (in JSON all of them). */
void ctl_table_opts_done(struct ctl_table_opts *o, const struct ctl_column *cols,
			 size_t ncols);
/* Whether column i is shown. */
bool ctl_table_shows(const struct ctl_table_opts *o, size_t i);

struct ctl_table;
/* A table whose JSON form is {"json_name": [rows]}. */
struct ctl_table *ctl_table_new(const struct ctl_table_opts *o,
				const struct ctl_column *cols, const char *json_name);
/* One row: cells[i] for every column i of cols (copied; NULL: not known). */
void ctl_table_add(struct ctl_table *t, const char *const *cells);
/* Prints the table on standard output and frees it. */
void ctl_table_print(struct ctl_table *t);

#endif /* SHMHEAP_CTL_TABLE_H */
