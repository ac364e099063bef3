/* SPDX-License-Identifier: MIT */
/*
 * ctl-check.c - `shmheap-ctl check`: every invariant of one heap, verified
 * without writing to it.  Exit status 0 when the heap is sound, 1 when not.
 *
 * The check runs under the heap lock, taken with a timeout, so that it sees
 * one consistent state.  When the lock cannot be had (held too long, or its
 * owner died, and taking it would repair the heap, which is a write) the check
 * reads without it and says that what it found may be torn.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-backing.h"
#include "ctl-out.h"
#include "ctl.h"
#include "tool.h"

struct problem {
	size_t offset;
	char *text;
};

struct findings {
	struct problem *v;
	size_t n, cap;
};

static void forget(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].text);
	f->n = 0;
}

static void record(size_t offset, const char *problem, void *arg)
{
	struct findings *f = arg;
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	f->v[f->n++] = (struct problem){offset, xstrdup(problem ? problem : "?")};
}

static int check_op(shmheap_memory_handle mem, void *arg)
{
	/* A retry without the lock starts from nothing. */
	forget(arg);
	return shmheap_check(mem, record, arg) < 0 ? -1 : 0;
}

static void print_json(const char *name, const struct ctl_heap *h,
		       const struct findings *f)
{
	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "name", name);
	json_string(&j, "backing", heap_backing_name(ctl_backing_of(name)));
	json_bool(&j, "sound", f->n == 0);
	json_bool(&j, "read_under_lock", !h->unlocked);
	json_string(&j, "note", h->unlocked ? h->why_unlocked : NULL);
	json_array_begin(&j, "problems");
	for (size_t i = 0; i < f->n; i++) {
		json_object_begin(&j, NULL);
		json_uint(&j, "offset", f->v[i].offset);
		json_string(&j, "problem", f->v[i].text);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

static void print_plain(const char *name, const struct findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		printf("%s: offset %zu: %s\n", name, f->v[i].offset, f->v[i].text);
	if (f->n)
		printf("%s: %zu problem%s\n", name, f->n, f->n == 1 ? "" : "s");
	else
		printf("%s: sound\n", name);
}

int ctl_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'J'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	unsigned timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	int c;
	while ((c = ctl_getopt(argc, argv, "Jjt:", opts)) != -1) {
		switch (c) {
		case 'J':
		case 'j': /* the spelling before util-linux's */
			json = true;
			break;
		case 't':
			timeout_ms = ctl_parse_timeout(argv[0], optarg);
			break;
		}
	}
	const char *name = ctl_single_name(argc, argv);
	const char *shown = ctl_shown(name);

	struct ctl_heap h;
	struct findings f = {0};
	if (ctl_heap_open(&h, name, timeout_ms) < 0 ||
	    ctl_heap_run(&h, check_op, &f) < 0) {
		int err = errno;
		ctl_heap_close(&h);
		tool_die(err == EUCLEAN ? TOOL_EXIT_FAIL : CTL_EXIT_CANNOT, "%s: %s",
			 shown, ctl_name_error(name, err));
	}
	/* Said before the findings, so that nobody reads them without it. */
	if (h.unlocked)
		tool_warn("%s: %s; checked without the lock, so the result may be torn",
			  shown, h.why_unlocked);
	if (json)
		print_json(name, &h, &f);
	else
		print_plain(shown, &f);
	int status = f.n ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
	forget(&f);
	free(f.v);
	ctl_heap_close(&h);
	return status;
}
