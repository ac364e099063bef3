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
#include "ctl-table.h"
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

enum column {
	COL_ID,
	COL_SIZE,
	COL_ATTACHED,
	COL_PIDS,
	COL_KEY,
	COL_CREATOR,
	COL_SYSV_KEY,
	COL_SYSV_ID,
	NCOLUMNS
};

static const struct ctl_column columns[NCOLUMNS] = {
	[COL_ID] = {"ID", CTL_CELL_NUMBER, true, true, false},
	[COL_SIZE] = {"SIZE", CTL_CELL_NUMBER, true, true, false},
	[COL_ATTACHED] = {"ATTACHED", CTL_CELL_NUMBER, true, true, false},
	[COL_PIDS] = {"PIDS", CTL_CELL_NUMBERS, false, true, false},
	[COL_KEY] = {"KEY", CTL_CELL_STRING, false, true, false},
	[COL_CREATOR] = {"CREATOR", CTL_CELL_NUMBER, true, false, false},
	[COL_SYSV_KEY] = {"SYSV_KEY", CTL_CELL_NUMBER, true, false, false},
	[COL_SYSV_ID] = {"SYSV_ID", CTL_CELL_NUMBER, true, false, false},
};

static void add_row(struct ctl_table *t, const struct ctl_table_opts *o,
		    const struct shmseg_stat *seg, const struct attachments *a)
{
	char id[NUM_BUF], size[NUM_BUF], attached[NUM_BUF], key[NUM_BUF];
	char creator[NUM_BUF], sysv_key[NUM_BUF], sysv_id[NUM_BUF];
	pid_t *pids;
	size_t np = pids_of(a, seg->sysv_id, &pids);
	char *list = xmalloc(np * 12 + 2);
	size_t used = 0;
	list[0] = '\0';
	for (size_t k = 0; k < np; k++)
		used += (size_t)sprintf(list + used, "%s%ld", k ? "," : "",
					(long)pids[k]);
	snprintf(id, NUM_BUF, "%d", seg->id);
	snprintf(key, NUM_BUF, "0x%08x", (unsigned)seg->sysv_key);
	snprintf(creator, NUM_BUF, "%ld", (long)seg->creator);
	snprintf(sysv_key, NUM_BUF, "%d", seg->sysv_key);
	snprintf(sysv_id, NUM_BUF, "%d", seg->sysv_id);
	const char *cell[NCOLUMNS] = {
		[COL_ID] = id,
		[COL_SIZE] = o->bytes || o->json ? fmt_size(size, seg->size)
						 : fmt_human(size, seg->size),
		[COL_ATTACHED] = fmt_size(attached, seg->nattach),
		/* No process is an empty list, not an unknown one. */
		[COL_PIDS] = np || o->json ? list : NULL,
		[COL_KEY] = key,
		[COL_CREATOR] = creator,
		[COL_SYSV_KEY] = sysv_key,
		[COL_SYSV_ID] = sysv_id,
	};
	ctl_table_add(t, cell);
	free(list);
	free(pids);
}

int ctl_segments(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_TABLE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct ctl_table_opts o;
	ctl_table_opts_init(&o);
	int c;
	while ((c = ctl_getopt(argc, argv, CTL_TABLE_SHORTOPTS, opts)) != -1)
		ctl_table_option(&o, c, optarg, argv[0], columns, NCOLUMNS);
	if (optind < argc)
		ctl_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	ctl_table_opts_done(&o, columns, NCOLUMNS);

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
	if (n && ctl_table_shows(&o, COL_PIDS))
		scan_processes(&a);
	/* The namespace heads the columns, as a title (not in --raw, -n or JSON). */
	if (!o.json && !o.raw && o.headings) {
		const char *ns = namespace_name();
		char *shown = ns ? printable(ns) : NULL;
		printf("namespace %s: %zu segment%s\n", shown ? shown : "(default)", n,
		       n == 1 ? "" : "s");
		free(shown);
	}
	struct ctl_table *t = ctl_table_new(&o, columns, "segments");
	for (size_t i = 0; i < n; i++)
		add_row(t, &o, &v[i], &a);
	ctl_table_print(t);
	free(a.v);
	free(v);
	return TOOL_EXIT_OK;
}
