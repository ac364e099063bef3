/* SPDX-License-Identifier: MIT */
/* ctl-create.c - `shmheap-ctl create`: makes a heap, for scripts and demos. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "tool.h"

static size_t parse_size(const char *cmd, const char *what, const char *arg)
{
	size_t v;
	if (!tool_parse_size_suffix(arg, &v) || v == 0)
		ctl_usage_error(cmd, "%s wants a size in bytes (K, M or G suffix allowed), not '%s'",
				what, arg);
	return v;
}

static const char *create_error(int err)
{
	switch (err) {
	case EEXIST: return "already exists";
	case EINVAL: return "invalid size (larger than the maximum, or beyond 32 GiB)";
	case ENOMEM:
	case ENOSPC: return "not enough shared memory";
	default: return ctl_heap_error(err);
	}
}

int ctl_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{"max-size", required_argument, NULL, 'm'},
		{"no-grow", no_argument, NULL, 'n'},
		{"mode", required_argument, NULL, 'M'},
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
		case 'M': {
			char *end;
			errno = 0;
			unsigned long m = strtoul(optarg, &end, 8);
			if (errno || end == optarg || *end || m == 0 || m > 0777)
				ctl_usage_error(argv[0], "--mode wants octal permission bits such as 0640, not '%s'",
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
		ctl_usage_error(argv[0], "--no-grow and --max-size contradict each other");

	shmheap_memory_handle mem = shmheap_create_ex(name, size, &o);
	if (!mem)
		tool_die(TOOL_EXIT_FAIL, "%s: %s", ctl_shown(name), create_error(errno));
	shmheap_disconnect(mem);
	return TOOL_EXIT_OK;
}
