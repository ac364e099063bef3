/* SPDX-License-Identifier: MIT */
/*
 * replay.c - runs a fuzz target over stored inputs, without libFuzzer.
 *
 * Linked with one target, it feeds it every file of the directories named on
 * the command line (or, with none, of REPLAY_DIRS, set at build time), so the
 * corpora and the regression inputs run in `make check` with any compiler.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (!buf || ferror(f)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	/* An exact-size copy, as libFuzzer hands it over. */
	uint8_t *exact = malloc(len ? len : 1);
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 1;
}

static long run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		exit(1);
	}
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n += run_file(path);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	long n = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			n += run_dir(argv[i]);
	} else {
		char dirs[] = REPLAY_DIRS;
		for (char *dir = strtok(dirs, " "); dir; dir = strtok(NULL, " "))
			n += run_dir(dir);
	}
	printf("replay: %ld inputs, no finding\n", n);
	return 0;
}
