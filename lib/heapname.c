/* SPDX-License-Identifier: MIT */
/* heapname.c - which backing a heap name chooses (grammar in heapname.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "heapname.h"

#define FILE_SCHEME "file:"
#define SYSV_SCHEME "sysv:"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Digits only: no sign, no blanks, no suffix, as strtoul would allow. */
int heap_name_sysv_key(const char *digits, key_t *key)
{
	unsigned base = 10;
	uint64_t v = 0;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
		base = 16;
		digits += 2;
	}
	if (!*digits)
		goto bad;
	for (const char *c = digits; *c; c++) {
		int d = hex_digit(*c);
		if (d < 0 || (unsigned)d >= base)
			goto bad;
		v = v * base + (unsigned)d;
		if (v > UINT32_MAX)
			goto bad;
	}
	if (v == 0) /* IPC_PRIVATE: a new segment every time, never a name */
		goto bad;
	*key = (key_t)(uint32_t)v;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int heap_name_parse(const char *name, struct heap_name *out)
{
	if (!name)
		goto bad;
	if (name[0] == '/') {
		if (!backing_valid_name(name))
			goto bad;
		*out = (struct heap_name){&backing_posix_shm, name};
		return 0;
	}
	if (strncmp(name, FILE_SCHEME, strlen(FILE_SCHEME)) == 0) {
		const char *path = name + strlen(FILE_SCHEME);
		if (!*path)
			goto bad;
		*out = (struct heap_name){&backing_file, path};
		return 0;
	}
	if (strncmp(name, SYSV_SCHEME, strlen(SYSV_SCHEME)) == 0) {
		const char *digits = name + strlen(SYSV_SCHEME);
		key_t key;
		if (heap_name_sysv_key(digits, &key) < 0)
			return -1;
		*out = (struct heap_name){&backing_sysv, digits};
		return 0;
	}
bad:
	errno = EINVAL;
	return -1;
}
