/* SPDX-License-Identifier: MIT */
/* ctl-table.c - list's and segments' tables through libsmartcols (see ctl-table.h). */
#include <errno.h>
#include <getopt.h>
#include <libsmartcols.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl-out.h"
#include "ctl-table.h"
#include "ctl.h"
#include "tool.h"

struct ctl_table {
	struct libscols_table *tb;
	const struct ctl_table_opts *o;
	const struct ctl_column *cols;
	const char *json_name;
	size_t nrows;
};

void ctl_table_opts_init(struct ctl_table_opts *o)
{
	*o = (struct ctl_table_opts){.headings = true};
}

/* The names of the columns, for a message: "NAME STATUS ...". */
static char *column_names(const struct ctl_column *cols, size_t ncols)
{
	size_t len = 1;
	for (size_t i = 0; i < ncols; i++)
		len += strlen(cols[i].name) + 1;
	char *s = xmalloc(len), *p = s;
	for (size_t i = 0; i < ncols; i++)
		p += sprintf(p, "%s%s", i ? " " : "", cols[i].name);
	*p = '\0';
	return s;
}

static void choose(struct ctl_table_opts *o, size_t i, const char *cmd)
{
	if (o->nchosen == CTL_TABLE_MAX_COLS)
		ctl_usage_error(cmd, "too many columns");
	o->chosen[o->nchosen++] = i;
}

static void choose_defaults(struct ctl_table_opts *o, const struct ctl_column *cols,
			    size_t ncols, bool all)
{
	for (size_t i = 0; i < ncols; i++)
		if (all || cols[i].dflt)
			o->chosen[o->nchosen++] = i;
}

/* -o LIST: names separated by commas, any case; "+LIST" adds to the defaults. */
static void parse_columns(struct ctl_table_opts *o, const char *arg, const char *cmd,
			  const struct ctl_column *cols, size_t ncols)
{
	o->nchosen = 0;
	if (*arg == '+') {
		choose_defaults(o, cols, ncols, false);
		arg++;
	}
	char *copy = xstrdup(arg), *save = NULL;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < ncols && strcasecmp(w, cols[i].name) != 0)
			i++;
		if (i == ncols) {
			char *names = column_names(cols, ncols);
			ctl_usage_error(cmd, "unknown column '%s' (columns: %s)", w,
					names);
		}
		choose(o, i, cmd);
	}
	free(copy);
	if (o->nchosen == 0)
		ctl_usage_error(cmd, "--output needs at least one column");
}

bool ctl_table_option(struct ctl_table_opts *o, int c, const char *arg, const char *cmd,
		      const struct ctl_column *cols, size_t ncols)
{
	switch (c) {
	case 'J':
	case 'j': /* the spelling before util-linux's */
		o->json = true;
		return true;
	case 'b':
		o->bytes = true;
		return true;
	case 'n':
		o->headings = false;
		return true;
	case 'o':
		parse_columns(o, arg, cmd, cols, ncols);
		return true;
	case CTL_TABLE_OUTPUT_ALL:
		o->nchosen = 0;
		choose_defaults(o, cols, ncols, true);
		return true;
	case 'r':
		o->raw = true;
		return true;
	default:
		return false;
	}
}

void ctl_table_opts_done(struct ctl_table_opts *o, const struct ctl_column *cols,
			 size_t ncols)
{
	/* JSON is for programs: without -o they get every figure there is. */
	if (o->nchosen == 0)
		choose_defaults(o, cols, ncols, o->json);
}

bool ctl_table_shows(const struct ctl_table_opts *o, size_t i)
{
	for (size_t k = 0; k < o->nchosen; k++)
		if (o->chosen[k] == i)
			return true;
	return false;
}

static void no_memory(void)
{
	tool_die(TOOL_EXIT_FAIL, "out of memory");
}

static const int json_types[] = {
	[CTL_CELL_STRING] = SCOLS_JSON_STRING,
	[CTL_CELL_NUMBER] = SCOLS_JSON_NUMBER,
	[CTL_CELL_BOOL] = SCOLS_JSON_BOOLEAN,
	[CTL_CELL_NUMBERS] = SCOLS_JSON_ARRAY_NUMBER,
};

struct ctl_table *ctl_table_new(const struct ctl_table_opts *o,
				const struct ctl_column *cols, const char *json_name)
{
	struct ctl_table *t = xmalloc(sizeof(*t));
	*t = (struct ctl_table){.tb = scols_new_table(),
				.o = o,
				.cols = cols,
				.json_name = json_name};
	if (!t->tb)
		no_memory();
	scols_table_enable_json(t->tb, o->json);
	scols_table_enable_raw(t->tb, o->raw);
	scols_table_enable_noheadings(t->tb, !o->headings);
	/* Aligned columns show names through printable(), as the other commands
	 * do (a blank too, so that a name stays one field); --raw escapes the
	 * same bytes itself. */
	scols_table_enable_noencoding(t->tb, !o->json && !o->raw);
	if (scols_table_set_name(t->tb, json_name) != 0)
		no_memory();
	for (size_t k = 0; k < o->nchosen; k++) {
		const struct ctl_column *c = &cols[o->chosen[k]];
		struct libscols_column *cl =
			scols_table_new_column(t->tb, c->name, 0,
					       c->right ? SCOLS_FL_RIGHT : 0);
		if (!cl)
			no_memory();
		scols_column_set_json_type(cl, json_types[c->type]);
		/* An array is the cell's lines, one number each. */
		if (c->type == CTL_CELL_NUMBERS && o->json) {
			scols_column_set_flags(cl, SCOLS_FL_WRAP);
			scols_column_set_wrapfunc(cl, scols_wrapnl_chunksize,
						  scols_wrapnl_nextchunk, NULL);
		}
	}
	return t;
}

/* What cell holds as this table shows it (malloc'ed), or NULL for null. */
static char *cell_text(const struct ctl_table *t, const struct ctl_column *c,
		       const char *cell)
{
	if (!t->o->json && !cell)
		return xstrdup("-");
	if (!t->o->json)
		return c->escape && !t->o->raw ? printable(cell) : xstrdup(cell);
	if (!cell)
		return NULL;
	char *s = utf8_clean(cell);
	if (c->type == CTL_CELL_NUMBERS)
		for (char *p = s; (p = strchr(p, ',')); p++)
			*p = '\n';
	return s;
}

void ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	struct libscols_line *ln = scols_table_new_line(t->tb, NULL);
	if (!ln)
		no_memory();
	t->nrows++;
	for (size_t k = 0; k < t->o->nchosen; k++) {
		size_t i = t->o->chosen[k];
		char *text = cell_text(t, &t->cols[i], cells[i]);
		/* The line takes the string and frees it. */
		if (text && scols_line_refer_data(ln, k, text) != 0)
			no_memory();
	}
}

void ctl_table_print(struct ctl_table *t)
{
	/* libsmartcols (2.38) ends an empty JSON table without its newline. */
	if (t->o->json && t->nrows == 0) {
		struct json j;
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_array_begin(&j, t->json_name);
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else if (scols_print_table(t->tb) != 0 && errno == ENOMEM) {
		/* A write error shows at exit (tool_init): this fails for memory. */
		no_memory();
	}
	scols_unref_table(t->tb);
	free(t);
}
