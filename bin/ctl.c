/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - shmheap-ctl: list, inspect, map, check, unlink and create heaps
 * (POSIX shared memory, files, System V segments), and list shmseg's segments.  This file only dispatches; each command lives in ctl-NAME.c.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "tool.h"

static const char usage_text[] =
	"Usage: shmheap-ctl COMMAND [OPTION]... [NAME]...\n"
	"Administer libshmheap heaps (POSIX shared memory, files, System V segments).\n"
	"\n"
	"  list [--all] [--json] [--bytes] [-o LIST] [--output-all] [--noheadings]\n"
	"       [--raw] [--timeout MS]\n"
	"                      every heap: size, use, free space, mapping processes\n"
	"  inspect NAME [--blocks] [--json] [--timeout MS]\n"
	"                      header, lock state, fragmentation, object sizes\n"
	"  map NAME [--width N] [--svg FILE] [--color[=WHEN]] [--timeout MS]\n"
	"                      the blocks as a picture, in text or SVG\n"
	"  check NAME [--json] [--timeout MS]\n"
	"                      verify every invariant; exit 0 if sound, 1 if not\n"
	"  unlink [--force] NAME...\n"
	"                      remove heaps no process maps\n"
	"  create NAME SIZE [--max-size SIZE] [--no-grow] [--mode OCTAL] [--cached]\n"
	"                      make a heap (SIZE may end in K, M or G)\n"
	"  segments [--json] [--bytes] [-o LIST] [--output-all] [--noheadings] [--raw]\n"
	"                      numbered segments (shmseg): size, attach count, processes\n"
	"\n"
	"  -h, --help          show this help (COMMAND --help: that command's)\n"
	"  -V, --version       show the version\n"
	"\n"
	"NAME is /NAME (POSIX shared memory, such as /myheap), file:PATH (a heap in\n"
	"a file) or sysv:KEY (a System V segment, KEY decimal or 0x-hex).\n"
	"Exit status: 0 success, 1 failure (or problems found), 2 usage error,\n"
	"3 check could not run.  See shmheap-ctl(1).\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"list", ctl_list,
	 "Usage: shmheap-ctl list [OPTION]...\n"
	 "Show every heap in /dev/shm and every System V segment that is a heap\n"
	 "(as sysv:0xKEY), one line each.\n"
	 "\n"
	 "  -a, --all             also show objects that are not heaps\n"
	 "  -b, --bytes           sizes in bytes, not in human-readable form\n"
	 "  -J, --json            one JSON document (sizes always in bytes; every\n"
	 "                        column unless -o chooses)\n"
	 "  -o, --output LIST     the columns to show, separated by commas;\n"
	 "                        +LIST adds to the default ones\n"
	 "      --output-all      every column\n"
	 "  -n, --noheadings      no heading line\n"
	 "  -r, --raw             cells separated by one space, not aligned\n"
	 "  -t, --timeout MS      longest wait for a heap lock (default 1000)\n"
	 "  -h, --help            show this help\n"
	 "\n"
	 "Columns (* by default): NAME* BACKING STATUS* NOTE SIZE* MAX* GROWABLE LOCK\n"
	 "USED* FREE* LARGEST* OBJECTS* FREEBLKS* PIDS* OWNER* UID GID MODE*.\n"
	 "Only STATUS, USED, FREE, LARGEST, OBJECTS and FREEBLKS take the heap lock.\n"},
	{"inspect", ctl_inspect,
	 "Usage: shmheap-ctl inspect [OPTION]... NAME\n"
	 "Show one heap: header, lock state, fragmentation, object sizes.\n"
	 "\n"
	 "  -b, --blocks          also show every block\n"
	 "  -J, --json            one JSON document\n"
	 "  -t, --timeout MS      longest wait for the heap lock (default 1000)\n"
	 "  -h, --help            show this help\n"},
	{"map", ctl_map,
	 "Usage: shmheap-ctl map [OPTION]... NAME\n"
	 "Draw the heap's blocks in address order: a strip of cells (one glyph per\n"
	 "state: # used, . free, c cached, L the library's own, H header; a digit\n"
	 "for a cell of several, tenths in use) and a legend.\n"
	 "\n"
	 "  -w, --width N         cells in the strip (default: the terminal's width)\n"
	 "  -s, --svg FILE        also write an SVG picture to FILE (-: standard\n"
	 "                        output, instead of the strip)\n"
	 "      --color[=WHEN]    colours: auto (on a terminal, unless NO_COLOR is\n"
	 "                        set), always or never\n"
	 "  -t, --timeout MS      longest wait for the heap lock (default 1000)\n"
	 "  -h, --help            show this help\n"},
	{"check", ctl_check,
	 "Usage: shmheap-ctl check [OPTION]... NAME\n"
	 "Verify every invariant of one heap, without writing to it.\n"
	 "\n"
	 "  -J, --json            one JSON document\n"
	 "  -t, --timeout MS      longest wait for the heap lock (default 1000)\n"
	 "  -h, --help            show this help\n"
	 "\n"
	 "Exit status: 0 sound, 1 problems found (or a damaged header),\n"
	 "2 usage error, 3 the heap could not be checked (no such object,\n"
	 "not a heap, permission denied, ...).\n"},
	{"unlink", ctl_unlink,
	 "Usage: shmheap-ctl unlink [OPTION]... NAME...\n"
	 "Remove heaps that no process maps.\n"
	 "\n"
	 "  -f, --force           remove also what is not a heap or is still mapped\n"
	 "  -h, --help            show this help\n"},
	{"create", ctl_create,
	 "Usage: shmheap-ctl create [OPTION]... NAME SIZE\n"
	 "Make a heap of SIZE bytes (K, M or G suffix allowed).\n"
	 "\n"
	 "      --max-size SIZE   grow on demand up to SIZE (default 4G)\n"
	 "      --no-grow         never grow\n"
	 "      --mode OCTAL      permission bits (default 0600)\n"
	 "      --cached          per-process caches of free blocks (SHMHEAP_CACHED)\n"
	 "  -h, --help            show this help\n"},
	{"segments", ctl_segments,
	 "Usage: shmheap-ctl segments [OPTION]...\n"
	 "List the numbered shared segments (shmseg) of the namespace that\n"
	 "SHMHEAP_SEGMENTS names (default: the user's own).\n"
	 "\n"
	 "  -b, --bytes           sizes in bytes, not in human-readable form\n"
	 "  -J, --json            one JSON document (every column unless -o chooses)\n"
	 "  -o, --output LIST     the columns to show, separated by commas;\n"
	 "                        +LIST adds to the default ones\n"
	 "      --output-all      every column\n"
	 "  -n, --noheadings      no heading line\n"
	 "  -r, --raw             cells separated by one space, not aligned\n"
	 "  -h, --help            show this help\n"
	 "\n"
	 "Columns (* by default): ID* SIZE* ATTACHED* PIDS* KEY* CREATOR SYSV_KEY\n"
	 "SYSV_ID.\n"},
};

/* COMMAND ... --help anywhere before "--" shows that command's help. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	tool_init(argv[0]);
	if (argc < 2)
		ctl_usage_error(NULL, "missing command");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return TOOL_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		tool_print_version();
		return TOOL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		if (wants_help(argc - 1, argv + 1)) {
			fputs(commands[i].help, stdout);
			return TOOL_EXIT_OK;
		}
		return commands[i].run(argc - 1, argv + 1);
	}
	ctl_usage_error(NULL, "unknown command '%s'", cmd);
}
