/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - shmheap-ctl: list, inspect, check, unlink and create heaps in
 * /dev/shm.  This file only dispatches; each command lives in ctl-NAME.c.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "tool.h"

static const char usage_text[] =
	"Usage: shmheap-ctl COMMAND [OPTION]... [NAME]...\n"
	"Administer libshmheap heaps in /dev/shm.\n"
	"\n"
	"  list [--all] [--json] [--timeout MS]\n"
	"                      every heap: size, use, free space, mapping processes\n"
	"  inspect NAME [--blocks] [--json] [--timeout MS]\n"
	"                      header, lock state, fragmentation, object sizes\n"
	"  check NAME [--json] [--timeout MS]\n"
	"                      verify every invariant; exit 0 if sound, 1 if not\n"
	"  unlink [--force] NAME...\n"
	"                      remove heaps no process maps\n"
	"  create NAME SIZE [--max-size SIZE] [--no-grow] [--mode OCTAL]\n"
	"                      make a heap (SIZE may end in K, M or G)\n"
	"  segments [--json]   numbered segments (shmseg): size, attach count, processes\n"
	"\n"
	"NAME is a shared-memory object name such as /myheap.\n"
	"Exit status: 0 success, 1 failure (or problems found), 2 usage error.\n"
	"See shmheap-ctl(1).\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"list", ctl_list},
	{"inspect", ctl_inspect},
	{"check", ctl_check},
	{"unlink", ctl_unlink},
	{"create", ctl_create},
	{"segments", ctl_segments},
};

int main(int argc, char **argv)
{
	tool_init(argv[0]);
	if (argc < 2)
		ctl_usage_error(NULL, "missing command");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return TOOL_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("shmheap-ctl %s\n", PACKAGE_VERSION);
		return TOOL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	ctl_usage_error(NULL, "unknown command '%s'", cmd);
}
