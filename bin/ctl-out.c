/* SPDX-License-Identifier: MIT */
/* ctl-out.c - aligned columns, JSON, and names made safe to print. */
#include <stdlib.h>
#include <string.h>

#include "ctl-out.h"
#include "tool.h"

/* ---- JSON ---- */

void json_init(struct json *j, FILE *f)
{
	*j = (struct json){.f = f};
}

static void indent(struct json *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Length of the valid UTF-8 sequence at s, or 0 if the bytes there are not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned min;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	unsigned cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *utf8_clean(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out = xmalloc(3 * strlen(str) + 1), *o = out;
	while (*s) {
		size_t n = utf8_len(s);
		if (n == 0) {
			memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			s++;
			continue;
		}
		memcpy(o, s, n);
		o += n;
		s += n;
	}
	*o = '\0';
	return out;
}

/* JSON strings must be valid UTF-8: a byte that is not part of a valid
 * sequence (object names are arbitrary bytes) becomes U+FFFD. */
static void put_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);
		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				fprintf(f, "\\u%04x", *s);
			else
				fputc(*s, f);
		}
		s++;
	}
	fputc('"', f);
}

/* Comma, newline, indentation and key before any value. */
static void value_start(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->has_items[j->depth])
			fputc(',', j->f);
		j->has_items[j->depth] = true;
		indent(j);
	}
	if (key) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void open_container(struct json *j, const char *key, char c)
{
	value_start(j, key);
	fputc(c, j->f);
	if (j->depth + 1 >= JSON_MAX_DEPTH)
		tool_die(TOOL_EXIT_FAIL, "internal error: JSON nested too deeply");
	j->depth++;
	j->has_items[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	bool had = j->has_items[j->depth];
	j->depth--;
	if (had)
		indent(j);
	fputc(c, j->f);
}

void json_object_begin(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

void json_string(struct json *j, const char *key, const char *value)
{
	value_start(j, key);
	if (value)
		put_string(j->f, value);
	else
		fputs("null", j->f);
}

void json_uint(struct json *j, const char *key, uintmax_t value)
{
	value_start(j, key);
	fprintf(j->f, "%ju", value);
}

void json_int(struct json *j, const char *key, intmax_t value)
{
	value_start(j, key);
	fprintf(j->f, "%jd", value);
}

void json_bool(struct json *j, const char *key, bool value)
{
	value_start(j, key);
	fputs(value ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	value_start(j, key);
	fputs("null", j->f);
}

void json_ratio(struct json *j, const char *key, double value)
{
	value_start(j, key);
	/* NaN and infinities are not JSON. */
	if (!(value >= 0 && value <= 1e300))
		value = 0;
	fprintf(j->f, "%.4f", value);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}

/* ---- columns ---- */

void table_init(struct table *t, size_t ncols, const char *const *heads,
		const char *align)
{
	*t = (struct table){.ncols = ncols, .heads = heads, .align = align};
}

void table_add(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof(*t->cells));
	}
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = xstrdup(cells[c] ? cells[c] : "-");
	t->nrows++;
}

static void print_row(const struct table *t, const char *const *row, const size_t *width,
		      FILE *f, bool raw)
{
	for (size_t c = 0; c < t->ncols; c++) {
		if (raw) {
			fprintf(f, "%s%s", c ? " " : "", row[c]);
			if (c + 1 == t->ncols)
				fputc('\n', f);
			continue;
		}
		bool last = c + 1 == t->ncols;
		int w = (int)width[c];
		if (t->align[c] == 'r')
			fprintf(f, "%*s", w, row[c]);
		else if (last)
			fputs(row[c], f); /* no trailing blanks */
		else
			fprintf(f, "%-*s", w, row[c]);
		fputs(last ? "\n" : "  ", f);
	}
}

void table_print(const struct table *t, FILE *f)
{
	table_print_as(t, f, true, false);
}

void table_print_as(const struct table *t, FILE *f, bool headings, bool raw)
{
	size_t *width = xmalloc(t->ncols * sizeof(*width));
	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->heads[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);
			if (n > width[c])
				width[c] = n;
		}
	}
	if (headings)
		print_row(t, t->heads, width, f, raw);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(t, (const char *const *)&t->cells[r * t->ncols], width, f, raw);
	free(width);
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

char *printable(const char *s)
{
	char *out = xmalloc(4 * strlen(s) + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '\\')
			*o++ = (char)*p;
		else
			o += sprintf(o, "\\x%02x", *p);
	}
	*o = '\0';
	return out;
}

const char *fmt_size(char buf[NUM_BUF], size_t v)
{
	snprintf(buf, NUM_BUF, "%zu", v);
	return buf;
}

const char *fmt_human(char buf[NUM_BUF], size_t v)
{
	static const char units[] = "BKMGTPE";
	unsigned u = 0;
	double x = (double)v;
	while (x >= 1024 && u + 1 < sizeof(units) - 1) {
		x /= 1024;
		u++;
	}
	/* One decimal, rounded; 1023.96K is 1M, not 1024.0K. */
	if (u + 1 < sizeof(units) - 1 && x >= 1023.95) {
		x /= 1024;
		u++;
	}
	if (u == 0) {
		snprintf(buf, NUM_BUF, "%zuB", v);
		return buf;
	}
	int n = snprintf(buf, NUM_BUF, "%.1f", x);
	if (n >= 2 && strcmp(buf + n - 2, ".0") == 0)
		n -= 2;
	snprintf(buf + n, NUM_BUF - (size_t)n, "%c", units[u]);
	return buf;
}

const char *fmt_mode(char buf[NUM_BUF], unsigned mode)
{
	snprintf(buf, NUM_BUF, "0%03o", mode & 07777);
	return buf;
}
