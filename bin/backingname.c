/* SPDX-License-Identifier: MIT */
/* backingname.c - the backing a heap name chooses (see backingname.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backingname.h"

static int posix_name(const char *name, const char **why)
{
	if (name[0] == '\0')
		*why = "empty heap name";
	else if (name[0] != '/')
		*why = "a heap name starts with '/'";
	else if (name[1] == '\0')
		*why = "a heap name needs a character after '/'";
	else if (strchr(name + 1, '/'))
		*why = "a heap name has no '/' after the first";
	/* The library's limit: the name with its '/' fits in NAME_MAX (255) bytes. */
	else if (strlen(name) > NAME_MAX)
		*why = "name too long (at most 254 bytes after the '/')";
	else if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
		*why = "not a valid heap name";
	else
		return 0;
	return -1;
}

/* Decimal, or hexadecimal after "0x"; 1 .. 0xffffffff (0 is IPC_PRIVATE,
 * which no other process can name). */
static int sysv_key(const char *s, key_t *key)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)s[0]))
		return -1;
	for (const char *p = s; *p; p++)
		if (base == 10 ? !isdigit((unsigned char)*p)
			       : !isxdigit((unsigned char)*p))
			return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end || v == 0 || v > UINT32_MAX)
		return -1;
	*key = (key_t)(uint32_t)v;
	return 0;
}

int tool_heap_name_parse(const char *name, bool allow_anon, struct tool_heap_name *hn,
			 const char **why)
{
	*hn = (struct tool_heap_name){.backing = HEAP_POSIX};
	if (strncmp(name, "file:", 5) == 0) {
		hn->backing = HEAP_FILE;
		hn->path = name + 5;
		if (hn->path[0] == '\0') {
			*why = "file: needs a path";
			return -1;
		}
		if (strlen(hn->path) >= PATH_MAX) {
			*why = "path too long";
			return -1;
		}
		return 0;
	}
	if (strncmp(name, "sysv:", 5) == 0) {
		hn->backing = HEAP_SYSV;
		if (sysv_key(name + 5, &hn->key) < 0) {
			*why = "sysv: needs a key, 1 .. 0xffffffff in decimal or 0x-hex";
			return -1;
		}
		return 0;
	}
	if (allow_anon && strcmp(name, HEAP_ANON_NAME) == 0) {
		hn->backing = HEAP_ANON;
		return 0;
	}
	if (name[0] != '/' && strchr(name, ':')) {
		*why = allow_anon
			       ? "unknown backing (/NAME, file:PATH, sysv:KEY or anon:)"
			       : "unknown backing (/NAME, file:PATH or sysv:KEY)";
		return -1;
	}
	return posix_name(name, why);
}

const char *heap_backing_name(enum heap_backing b)
{
	switch (b) {
	case HEAP_FILE:
		return "file";
	case HEAP_SYSV:
		return "sysv";
	case HEAP_ANON:
		return "anon";
	default:
		return "posix";
	}
}
