/* SPDX-License-Identifier: MIT */
/* ctl-out.h - shmheap-ctl's two output forms: aligned columns and JSON. */
#ifndef SHMHEAP_CTL_OUT_H
#define SHMHEAP_CTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tool.h"

/*
 * A JSON writer that keeps track of commas and indentation itself, so that
 * every command produces valid JSON whatever branch it takes.  Inside an
 * object every value takes a key; inside an array (or at the top) key is NULL.
 */
#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool has_items[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
/* A NULL value writes null. */
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, uintmax_t value);
void json_int(struct json *j, const char *key, intmax_t value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* A ratio, printed with 4 decimals. */
void json_ratio(struct json *j, const char *key, double value);
/* Finishes the document with a newline. */
void json_finish(struct json *j);

/* Rows of text cells printed in columns as wide as their widest cell. */
struct table {
	size_t ncols;
	const char *const *heads;
	const char *align; /* one 'l' or 'r' per column */
	char **cells;	   /* nrows * ncols, owned */
	size_t nrows, cap;
};

void table_init(struct table *t, size_t ncols, const char *const *heads,
		const char *align);
/* Adds one row of ncols cells; the strings are copied. */
void table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
/* headings: print the heading line; raw: cells separated by one space, not
 * aligned (cells hold no blanks: names are shown through printable()). */
void table_print_as(const struct table *t, FILE *f, bool headings, bool raw);
void table_free(struct table *t);

/*
 * A name as plain output shows it: bytes that are not printable ASCII
 * (including newlines in hostile names) become \xNN so one name stays one
 * cell.  Returns a malloc'ed string.
 */
char *printable(const char *s);
/* s with every byte that is not part of valid UTF-8 replaced by U+FFFD, as
 * JSON strings must be (malloc'ed). */
char *utf8_clean(const char *s);

/* A number as a cell: bytes in decimal, a mode in octal with its leading 0. */
#define NUM_BUF 32
const char *fmt_size(char buf[NUM_BUF], size_t v);
/* A size the way lsblk(8) and lsipc(1) show it: powers of 1024 with a
 * one-letter suffix and at most one decimal ("0B", "512B", "1.5K", "64M"). */
const char *fmt_human(char buf[NUM_BUF], size_t v);
const char *fmt_mode(char buf[NUM_BUF], unsigned mode);

#endif /* SHMHEAP_CTL_OUT_H */
