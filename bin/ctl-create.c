/* SPDX-License-Identifier: MIT */
/* ctl-create.c - `shmheap-ctl create`: makes a heap, for scripts and demos. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl-backing.h"
#include "ctl.h"
#include "tool.h"

static size_t parse_size(const char *cmd, const char *what, const char *arg)
{
	size_t v;
	if (!tool_parse_size_suffix(arg, &v) || v == 0)
		ctl_usage_error(
			cmd,
			"%s wants a size in bytes (K, M or G suffix allowed), not '%s'",
			what, arg);
	return v;
}

static const char *create_error(const char *name, int err)
{
	switch (err) {
	case EEXIST:
		return "already exists";
	case EINVAL:
		return "invalid size";
	case ENOMEM:
	case ENOSPC:
		return "not enough shared memory";
	default:
		return ctl_name_error(name, err);
	}
}

/* What the library makes of a length: whole pages. */
static size_t round_to_pages(size_t v)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t page = ps > 0 ? (size_t)ps : 4096;
	return (v + page - 1) / page * page;
}

/*
 * Refuses, with the real reason, a size no heap can have.  Sizes that are not
 * page multiples are fine: the library rounds them up (and create says so).
 */
static void check_size(const char *name, const char *what, size_t v)
{
	if (v < SHMHEAP_MIN_SIZE)
		tool_die(TOOL_EXIT_USAGE,
			 "%s: %s %zu is too small: a heap needs at least %d bytes",
			 ctl_shown(name), what, v, SHMHEAP_MIN_SIZE);
	if (v > SHMHEAP_MAX_HEAP_SIZE || round_to_pages(v) > SHMHEAP_MAX_HEAP_SIZE)
		tool_die(TOOL_EXIT_USAGE,
			 "%s: %s %zu is larger than the largest heap, %zu bytes (32 GiB)",
			 ctl_shown(name), what, v, SHMHEAP_MAX_HEAP_SIZE);
}

/* Says so on standard error when the heap is larger than asked. */
static void tell_rounding(const char *name, const char *what, size_t asked, size_t got)
{
	if (asked && got != asked)
		tool_warn("%s: %s %zu rounded up to %zu bytes (a whole number of pages)",
			  ctl_shown(name), what, asked, got);
}

int ctl_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{"max-size", required_argument, NULL, 'm'},
		{"no-grow", no_argument, NULL, 'n'},
		{"mode", required_argument, NULL, 'M'},
		{"cached", no_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	struct shmheap_options o = {0};
	int c;
	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'm':
			o.max_size = parse_size(argv[0], "--max-size", optarg);
			break;
		case 'n':
			o.flags |= SHMHEAP_NO_GROW;
			break;
		case 'c':
			o.flags |= SHMHEAP_CACHED;
			break;
		case 'M': {
			char *end;
			errno = 0;
			unsigned long m = strtoul(optarg, &end, 8);
			if (errno || end == optarg || *end || m == 0 || m > 0777)
				ctl_usage_error(
					argv[0],
					"--mode wants octal permission bits such as 0640, not '%s'",
					optarg);
			o.mode = (mode_t)m;
			break;
		}
		}
	}
	if (optind >= argc)
		ctl_usage_error(argv[0], "missing heap name");
	const char *name = argv[optind];
	ctl_require_name(name);
	if (optind + 1 >= argc)
		ctl_usage_error(argv[0], "missing size");
	size_t size = parse_size(argv[0], "SIZE", argv[optind + 1]);
	if (optind + 2 < argc)
		ctl_usage_error(argv[0], "unexpected argument '%s'", argv[optind + 2]);
	if ((o.flags & SHMHEAP_NO_GROW) && o.max_size)
		ctl_usage_error(argv[0],
				"--no-grow and --max-size contradict each other");
	/* A segment has its size for life: the library makes it fixed. */
	if (o.max_size && ctl_backing_of(name) == HEAP_SYSV)
		ctl_usage_error(argv[0], "a sysv: heap never grows (--max-size)");
	check_size(name, "size", size);
	if (o.max_size) {
		check_size(name, "--max-size", o.max_size);
		if (round_to_pages(o.max_size) < round_to_pages(size))
			tool_die(TOOL_EXIT_USAGE,
				 "%s: --max-size %zu is smaller than the size %zu",
				 ctl_shown(name), o.max_size, size);
	}

	shmheap_memory_handle mem = shmheap_create_ex(name, size, &o);
	if (!mem)
		tool_die(TOOL_EXIT_FAIL, "%s: %s", ctl_shown(name),
			 create_error(name, errno));
	struct shmheap_stats st;
	if (shmheap_stats(mem, &st) == 0) {
		tell_rounding(name, "size", size, st.heap_size);
		tell_rounding(name, "--max-size", o.max_size, st.max_size);
	}
	shmheap_disconnect(mem);
	return TOOL_EXIT_OK;
}
