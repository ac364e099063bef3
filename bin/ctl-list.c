/* SPDX-License-Identifier: MIT */
/*
 * ctl-list.c - `shmheap-ctl list`: every heap in /dev/shm and every System V
 * segment that is a heap, one line each.
 *
 * Heaps are recognised by their header (shmheap_info), not by their names.
 * An entry that cannot be read is shown with its status (and in NOTE why)
 * rather than ending the list, since an operator wants to see everything that
 * is there; the list says nothing on standard error about an entry.  An
 * entry that goes away while it is read (heaps come and go) is not listed.
 *
 * Only what the chosen columns need is read: the header (shmheap_info, which
 * reads it with pread and never waits) always, the block chain, under the
 * lock, only for STATUS and the figures of the chain, the processes' maps
 * only for PIDS.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ctl-backing.h"
#include "ctl-maps.h"
#include "ctl-out.h"
#include "ctl-table.h"
#include "ctl.h"
#include "tool.h"

#define SHM_DIR "/dev/shm"
#define SYSV_LIST "/proc/sysvipc/shm"
#define MAX_PIDS 256

struct entry {
	char *name; /* "/x", or "sysv:0x0000abcd" */
	enum heap_backing backing;
	const char *status; /* see examine */
	const char *note;   /* why the figures are missing or may be torn, or NULL */
	char note_buf[192];
	bool gone; /* it went away while it was read: not listed */
	bool heap; /* a heap's header was read */
	bool have_stats;
	struct shmheap_info info;
	struct shmheap_stats stats;
	struct stat st;
	bool have_st;
	pid_t pids[MAX_PIDS];
	size_t npids;
};

/* What an entry's columns need read. */
struct needs {
	bool chain; /* the block chain, under the lock if it can be had */
	bool pids;  /* the processes' maps */
};

static int stats_op(shmheap_memory_handle mem, void *arg)
{
	return shmheap_stats(mem, arg);
}

/* The status for a heap that cannot be read (err from the library). */
static const char *failure_status(int err)
{
	switch (err) {
	case EINVAL:
		return "not-heap";
	case EUCLEAN:
		return "bad-header";
	case EAGAIN:
		return "incomplete";
	case EACCES:
	case EPERM:
		return "unreadable";
	default:
		return "error";
	}
}

/*
 * The keys of shmseg(3)'s numbered segments: 0x40000000 | h << 10 | id (see
 * Keys in shmseg(3)).  Such a segment that is no heap belongs to `segments`.
 */
static bool segment_key(const char *name)
{
	unsigned long key = strtoul(name + strlen("sysv:"), NULL, 16);
	return (key & 0xc0000000ul) == 0x40000000ul;
}

/* The block chain's figures, under the lock when it can be had. */
static void read_chain(struct entry *e, unsigned timeout_ms)
{
	struct ctl_heap h;
	if (ctl_heap_open(&h, e->name, timeout_ms) < 0) {
		int err = errno;
		e->gone = err == ENOENT;
		e->status = failure_status(err);
		e->note = ctl_name_error(e->name, err);
		ctl_heap_close(&h);
		return;
	}
	if (ctl_heap_run(&h, stats_op, &e->stats) == 0) {
		e->have_stats = true;
		e->status = h.unlocked ? "read-unlocked" : "ok";
		if (h.unlocked) {
			snprintf(e->note_buf, sizeof(e->note_buf),
				 "%s; figures may be torn", h.why_unlocked);
			e->note = e->note_buf;
		}
	} else {
		int err = errno;
		e->gone = err == ENOENT;
		e->status = err == EUCLEAN ? "corrupt" : "error";
		e->note = err == EUCLEAN ? "block chain is broken (see check)"
					 : ctl_name_error(e->name, err);
	}
	ctl_heap_close(&h);
}

/* Fills in what the columns need of one entry. */
static void examine(struct entry *e, const struct shm_maps *maps,
		    const struct needs *need, unsigned timeout_ms)
{
	/* A segment's figures come from /proc/sysvipc/shm (see read_sysv). */
	if (e->backing != HEAP_SYSV) {
		e->have_st = ctl_object_stat(e->name, &e->st) == 0;
		if (!e->have_st && errno == ENOENT) {
			e->gone = true;
			return;
		}
	}
	if (e->have_st && !S_ISREG(e->st.st_mode)) {
		e->status = "not-heap";
		e->note = "not a regular file";
		return;
	}
	if (need->pids)
		e->npids = ctl_object_pids(maps, e->name, e->have_st ? &e->st : NULL,
					   e->pids, MAX_PIDS);
	if (shmheap_info(e->name, &e->info) < 0) {
		int err = errno;
		e->gone = err == ENOENT;
		e->status = failure_status(err);
		e->note = ctl_name_error(e->name, err);
		if (e->backing == HEAP_SYSV && (err == EINVAL || err == EAGAIN) &&
		    segment_key(e->name)) {
			e->status = "segment";
			e->note = "a numbered segment of shmseg(3): see segments";
		}
		return;
	}
	e->heap = true;
	e->status = "ok";
	if (need->chain)
		read_chain(e, timeout_ms);
	/* Marked by a call that met damage: connects refuse it. */
	if (e->info.damaged && !e->gone) {
		e->status = "damaged";
		e->note = "a call met damage in it; connects refuse it (see check)";
	}
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static struct entry *add_entry(struct entry **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 32;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[*n] = (struct entry){0};
	return &(*v)[(*n)++];
}

/*
 * One line of /proc/sysvipc/shm: "key shmid perms size cpid lpid nattch uid
 * gid ...", all decimal.  Anything else is skipped: the file is the kernel's,
 * but a line that does not parse must not become an entry.
 */
static bool parse_sysv_line(const char *line, long long *key, long long *id,
			    struct stat *st)
{
	long long f[9];
	int used = 0;
	const char *p = line;
	for (int i = 0; i < 9; i++) {
		char *end;
		while (*p == ' ' || *p == '\t')
			p++;
		errno = 0;
		f[i] = strtoll(p, &end, i == 2 ? 8 : 10);
		if (errno || end == p || (*end != ' ' && *end != '\t'))
			return false;
		p = end;
		used++;
	}
	if (used != 9 || f[0] < INT32_MIN || f[0] > INT32_MAX || f[0] == 0 || f[1] < 0 ||
	    f[1] > INT32_MAX || f[2] < 0 || f[3] < 0 || f[7] < 0 || f[8] < 0 ||
	    f[7] > UINT32_MAX || f[8] > UINT32_MAX)
		return false;
	*key = f[0];
	*id = f[1];
	*st = (struct stat){0};
	st->st_mode = S_IFREG | ((mode_t)f[2] & 0777);
	st->st_size = (off_t)f[3];
	st->st_ino = (ino_t)f[1];
	st->st_uid = (uid_t)f[7];
	st->st_gid = (gid_t)f[8];
	st->st_nlink = 1;
	return true;
}

/* The System V segments that have a key (IPC_PRIVATE ones have no name). */
static void read_sysv(struct entry **v, size_t *n, size_t *cap)
{
	FILE *f = fopen(SYSV_LIST, "re");
	if (!f)
		return; /* no System V IPC in this kernel: nothing to list */
	char *line = NULL;
	size_t len = 0;
	bool first = true;
	while (getline(&line, &len, f) > 0) {
		if (first) { /* the heading */
			first = false;
			continue;
		}
		long long key, id;
		struct stat st;
		if (!parse_sysv_line(line, &key, &id, &st))
			continue;
		struct entry *e = add_entry(v, n, cap);
		e->backing = HEAP_SYSV;
		e->name = xmalloc(32);
		snprintf(e->name, 32, "sysv:0x%08x", (unsigned)(uint32_t)(int32_t)key);
		e->st = st;
		e->have_st = true;
	}
	free(line);
	fclose(f);
}

static struct entry *read_dir(size_t *count)
{
	DIR *d = opendir(SHM_DIR);
	if (!d)
		tool_die(TOOL_EXIT_FAIL, "%s: %s", SHM_DIR, strerror(errno));
	struct entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct entry *e = add_entry(&v, &n, &cap);
		e->name = xmalloc(strlen(de->d_name) + 2);
		e->name[0] = '/';
		strcpy(e->name + 1, de->d_name);
	}
	closedir(d);
	read_sysv(&v, &n, &cap);
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*count = n;
	return v;
}

/* Entries that are no heap, nor might be one, are shown only with --all. */
static bool shown(const struct entry *e, bool all)
{
	if (e->gone)
		return false;
	return all ||
	       (strcmp(e->status, "not-heap") != 0 && strcmp(e->status, "segment") != 0);
}

static const char *owner_name(char buf[NUM_BUF], uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, NUM_BUF, "%s", pw->pw_name);
	else
		snprintf(buf, NUM_BUF, "%lu", (unsigned long)uid);
	return buf;
}

static void pid_list(char *buf, size_t len, const struct entry *e)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < e->npids && i < MAX_PIDS && used + 16 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%ld", i ? "," : "",
					 (long)e->pids[i]);
}

enum column {
	COL_NAME,
	COL_BACKING,
	COL_STATUS,
	COL_NOTE,
	COL_SIZE,
	COL_MAX,
	COL_GROWABLE,
	COL_LOCK,
	COL_USED,
	COL_FREE,
	COL_LARGEST,
	COL_OBJECTS,
	COL_FREEBLKS,
	COL_PIDS,
	COL_OWNER,
	COL_UID,
	COL_GID,
	COL_MODE,
	NCOLUMNS
};

static const struct ctl_column columns[NCOLUMNS] = {
	[COL_NAME] = {"NAME", CTL_CELL_STRING, false, true, true},
	[COL_BACKING] = {"BACKING", CTL_CELL_STRING, false, false, false},
	[COL_STATUS] = {"STATUS", CTL_CELL_STRING, false, true, false},
	[COL_NOTE] = {"NOTE", CTL_CELL_STRING, false, false, false},
	[COL_SIZE] = {"SIZE", CTL_CELL_NUMBER, true, true, false},
	[COL_MAX] = {"MAX", CTL_CELL_NUMBER, true, true, false},
	[COL_GROWABLE] = {"GROWABLE", CTL_CELL_BOOL, true, false, false},
	[COL_LOCK] = {"LOCK", CTL_CELL_STRING, false, false, false},
	[COL_USED] = {"USED", CTL_CELL_NUMBER, true, true, false},
	[COL_FREE] = {"FREE", CTL_CELL_NUMBER, true, true, false},
	[COL_LARGEST] = {"LARGEST", CTL_CELL_NUMBER, true, true, false},
	[COL_OBJECTS] = {"OBJECTS", CTL_CELL_NUMBER, true, true, false},
	[COL_FREEBLKS] = {"FREEBLKS", CTL_CELL_NUMBER, true, true, false},
	[COL_PIDS] = {"PIDS", CTL_CELL_NUMBERS, false, true, false},
	[COL_OWNER] = {"OWNER", CTL_CELL_STRING, false, true, false},
	[COL_UID] = {"UID", CTL_CELL_NUMBER, true, false, false},
	[COL_GID] = {"GID", CTL_CELL_NUMBER, true, false, false},
	[COL_MODE] = {"MODE", CTL_CELL_STRING, false, true, false},
};

/* The columns that need the block chain read. */
static bool needs_chain(const struct ctl_table_opts *o)
{
	static const enum column chain[] = {COL_STATUS,	 COL_USED,    COL_FREE,
					    COL_LARGEST, COL_OBJECTS, COL_FREEBLKS};
	for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++)
		if (ctl_table_shows(o, chain[i]))
			return true;
	return false;
}

static const char *size_cell(char buf[NUM_BUF], size_t v, const struct ctl_table_opts *o)
{
	return o->bytes || o->json ? fmt_size(buf, v) : fmt_human(buf, v);
}

static void add_row(struct ctl_table *t, const struct ctl_table_opts *o,
		    const struct entry *e)
{
	char b[11][NUM_BUF], pids[MAX_PIDS * 12 + 8];
	const char *cell[NCOLUMNS] = {NULL};
	cell[COL_NAME] = e->name;
	cell[COL_BACKING] = heap_backing_name(e->backing);
	cell[COL_STATUS] = e->status;
	cell[COL_NOTE] = e->note;
	if (e->heap) {
		cell[COL_SIZE] = size_cell(b[0], e->info.heap_size, o);
		cell[COL_MAX] = size_cell(b[1], e->info.max_size, o);
		cell[COL_GROWABLE] = e->info.growable ? "1" : "0";
		cell[COL_LOCK] = ctl_lock_state_name(e->info.lock_state);
	}
	if (e->have_stats) {
		cell[COL_USED] = size_cell(b[2], e->stats.used_bytes, o);
		cell[COL_FREE] = size_cell(b[3], e->stats.free_bytes, o);
		cell[COL_LARGEST] = size_cell(b[4], e->stats.largest_free, o);
		cell[COL_OBJECTS] = fmt_size(b[5], e->stats.objects);
		cell[COL_FREEBLKS] = fmt_size(b[6], e->stats.free_blocks);
	}
	pid_list(pids, sizeof(pids), e);
	/* No process is an empty list, not an unknown one. */
	cell[COL_PIDS] = e->npids || o->json ? pids : NULL;
	if (e->have_st) {
		cell[COL_OWNER] = owner_name(b[7], e->st.st_uid);
		cell[COL_UID] = fmt_size(b[8], e->st.st_uid);
		cell[COL_GID] = fmt_size(b[9], e->st.st_gid);
		cell[COL_MODE] = fmt_mode(b[10], e->st.st_mode);
	}
	ctl_table_add(t, cell);
}

int ctl_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"timeout", required_argument, NULL, 't'},
		CTL_TABLE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	bool all = false;
	struct ctl_table_opts o;
	ctl_table_opts_init(&o);
	unsigned timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	int c;
	while ((c = ctl_getopt(argc, argv, "at:" CTL_TABLE_SHORTOPTS, opts)) != -1) {
		if (ctl_table_option(&o, c, optarg, argv[0], columns, NCOLUMNS))
			continue;
		if (c == 'a')
			all = true;
		else if (c == 't')
			timeout_ms = ctl_parse_timeout(argv[0], optarg);
	}
	if (optind < argc)
		ctl_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	ctl_table_opts_done(&o, columns, NCOLUMNS);
	struct needs need = {.chain = needs_chain(&o),
			     .pids = ctl_table_shows(&o, COL_PIDS)};

	struct shm_maps maps = {0};
	if (need.pids && shm_maps_scan(&maps) < 0)
		tool_warn("/proc: %s; PIDS left empty", strerror(errno));
	size_t n;
	struct entry *v = read_dir(&n);
	struct ctl_table *t = ctl_table_new(&o, columns, "heaps");
	for (size_t i = 0; i < n; i++) {
		examine(&v[i], &maps, &need, timeout_ms);
		if (shown(&v[i], all))
			add_row(t, &o, &v[i]);
	}
	ctl_table_print(t);
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	shm_maps_free(&maps);
	return TOOL_EXIT_OK;
}
