/* SPDX-License-Identifier: MIT */
/*
 * ctl-segments.c - `shmheap-ctl segments`: the numbered segments (shmseg(3))
 * of the caller's namespace: id, size, attach count and attached processes.
 *
 * The attach count is the kernel's (shm_nattch).  The processes are found in
 * /proc/PID/maps, where an attached System V segment is a mapping named
 * "/SYSV<key>" whose inode field is the segment's identifier; processes whose
 * maps this user may not read are counted but not named.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "ctl-out.h"
#include "ctl.h"
#include "shmseg.h"
#include "tool.h"

/* One attachment seen in some process's maps. */
struct attachment {
	int shmid;
	pid_t pid;
};

struct attachments {
	struct attachment *v;
	size_t n, cap;
};

static void add_attachment(struct attachments *a, int shmid, pid_t pid)
{
	for (size_t i = 0; i < a->n; i++) /* a segment split into several mappings */
		if (a->v[i].shmid == shmid && a->v[i].pid == pid)
			return;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = (struct attachment){shmid, pid};
}

static void scan_process(struct attachments *a, pid_t pid)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long inode;
		int pos = 0;
		if (!strchr(line, '\n')) { /* longer than line: not a SYSV mapping */
			int c;
			while ((c = getc(f)) != EOF && c != '\n')
				;
		}
		if (sscanf(line, "%*x-%*x %*s %*x %*x:%*x %llu %n", &inode, &pos) == 1 &&
		    pos && strncmp(line + pos, "/SYSV", 5) == 0 && inode <= INT32_MAX)
			add_attachment(a, (int)inode, pid);
	}
	fclose(f);
}

static void scan_processes(struct attachments *a)
{
	DIR *d = opendir("/proc");
	if (!d) {
		tool_warn("/proc: %s; PIDS left empty", strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		scan_process(a, (pid_t)strtol(e->d_name, NULL, 10));
	}
	closedir(d);
}

static int cmp_pid(const void *x, const void *y)
{
	pid_t a = *(const pid_t *)x, b = *(const pid_t *)y;
	return (a > b) - (a < b);
}

/* The pids attaching shmid, sorted; returns how many (a malloc'ed array). */
static size_t pids_of(const struct attachments *a, int shmid, pid_t **out)
{
	pid_t *v = xmalloc((a->n + 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].shmid == shmid)
			v[n++] = a->v[i].pid;
	qsort(v, n, sizeof(*v), cmp_pid);
	*out = v;
	return n;
}

static const char *namespace_name(void)
{
	const char *ns = getenv("SHMHEAP_SEGMENTS");
	return ns && *ns ? ns : NULL;
}

static void print_plain(const struct shmseg_stat *v, size_t n,
			const struct attachments *a)
{
	static const char *const heads[] = {"ID", "SIZE", "ATTACHED", "PIDS", "KEY"};
	struct table t;
	table_init(&t, 5, heads, "rrrll");
	for (size_t i = 0; i < n; i++) {
		char b[3][NUM_BUF], key[16];
		pid_t *pids;
		size_t np = pids_of(a, v[i].sysv_id, &pids);
		char *list = xmalloc(np * 12 + 2);
		size_t used = 0;
		list[0] = '\0';
		for (size_t k = 0; k < np; k++)
			used += (size_t)sprintf(list + used, "%s%ld", k ? "," : "",
						(long)pids[k]);
		snprintf(b[0], NUM_BUF, "%d", v[i].id);
		snprintf(key, sizeof(key), "0x%08x", (unsigned)v[i].sysv_key);
		const char *row[5] = {b[0], fmt_size(b[1], v[i].size),
				      fmt_size(b[2], v[i].nattach), np ? list : "-", key};
		table_add(&t, row);
		free(list);
		free(pids);
	}
	const char *ns = namespace_name();
	char *shown = ns ? printable(ns) : NULL;
	printf("namespace %s: %zu segment%s\n", shown ? shown : "(default)", n,
	       n == 1 ? "" : "s");
	free(shown);
	if (n)
		table_print(&t, stdout);
	table_free(&t);
}

static void print_json(const struct shmseg_stat *v, size_t n, const struct attachments *a)
{
	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "namespace", namespace_name());
	json_array_begin(&j, "segments");
	for (size_t i = 0; i < n; i++) {
		pid_t *pids;
		size_t np = pids_of(a, v[i].sysv_id, &pids);
		json_object_begin(&j, NULL);
		json_int(&j, "id", v[i].id);
		json_uint(&j, "size", v[i].size);
		json_uint(&j, "attached", v[i].nattach);
		json_array_begin(&j, "pids");
		for (size_t k = 0; k < np; k++)
			json_int(&j, NULL, pids[k]);
		json_array_end(&j);
		json_int(&j, "creator", v[i].creator);
		json_int(&j, "sysv_key", v[i].sysv_key);
		json_int(&j, "sysv_id", v[i].sysv_id);
		json_object_end(&j);
		free(pids);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

int ctl_segments(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	int c;
	while ((c = ctl_getopt(argc, argv, "j", opts)) != -1)
		if (c == 'j')
			json = true;
	if (optind < argc)
		ctl_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);

	struct shmseg_stat *v = xmalloc(SHMSEG_MAX_IDS * sizeof(*v));
	size_t n = 0;
	for (int id = 0; id < SHMSEG_MAX_IDS; id++) {
		if (shmseg_stat(id, &v[n]) == 0) {
			n++;
		} else if (errno != ENOENT && errno != EACCES) {
			tool_warn("segment %d: %s", id, strerror(errno));
			free(v);
			return TOOL_EXIT_FAIL;
		}
	}
	struct attachments a = {NULL, 0, 0};
	if (n)
		scan_processes(&a);
	if (json)
		print_json(v, n, &a);
	else
		print_plain(v, n, &a);
	free(a.v);
	free(v);
	return TOOL_EXIT_OK;
}
