/* SPDX-License-Identifier: MIT */
/*
 * ctl-list.c - `shmheap-ctl list`: every heap in /dev/shm and every System V
 * segment that is a heap, one line each.
 *
 * Heaps are recognised by their header (shmheap_info), not by their names.
 * An entry that cannot be read is shown with its status rather than ending
 * the list, since an operator wants to see everything that is there.
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
#include "ctl.h"
#include "tool.h"

#define SHM_DIR "/dev/shm"
#define SYSV_LIST "/proc/sysvipc/shm"
#define MAX_PIDS 256

struct entry {
	char *name; /* "/x", or "sysv:0x0000abcd" */
	enum heap_backing backing;
	const char *status; /* see status_of */
	const char *note;   /* why the figures are missing or may be torn, or NULL */
	char note_buf[192];
	bool heap; /* a heap's figures follow */
	bool have_stats;
	struct shmheap_info info;
	struct shmheap_stats stats;
	struct stat st;
	bool have_st;
	pid_t pids[MAX_PIDS];
	size_t npids;
};

static int stats_op(shmheap_memory_handle mem, void *arg)
{
	return shmheap_stats(mem, arg);
}

/* Fills in what can be learnt about one entry of /dev/shm; walks the heap's
 * blocks only if chain (the figures shown need them). */
static void examine(struct entry *e, const struct shm_maps *maps, unsigned timeout_ms,
		    bool chain)
{
	/* A segment's figures come from /proc/sysvipc/shm (see read_sysv). */
	if (e->backing != HEAP_SYSV)
		e->have_st = ctl_object_stat(e->name, &e->st) == 0;
	if (e->have_st && !S_ISREG(e->st.st_mode)) {
		e->status = "not-heap";
		e->note = "not a regular file";
		return;
	}
	e->npids = ctl_object_pids(maps, e->name, e->have_st ? &e->st : NULL, e->pids,
				   MAX_PIDS);

	struct ctl_heap h;
	if (ctl_heap_open(&h, e->name, timeout_ms) < 0) {
		int err = errno;
		e->note = ctl_heap_error(err);
		switch (err) {
		case EINVAL:
			e->status = "not-heap";
			break;
		case EUCLEAN:
			e->status = "bad-header";
			break;
		case EAGAIN:
			e->status = "incomplete";
			break;
		case EACCES:
		case EPERM:
			e->status = "unreadable";
			break;
		default:
			e->status = "error";
			break;
		}
		/* Having read the header, connecting may still fail: it is a heap. */
		if (h.info.version) {
			e->heap = true;
			e->info = h.info;
		}
		ctl_heap_close(&h);
		return;
	}
	e->heap = true;
	e->info = h.info;
	if (!chain) {
		/* The header's figures only: nothing more is read. */
		e->status = h.unlocked ? "unlocked" : "ok";
	} else if (ctl_heap_run(&h, stats_op, &e->stats) == 0) {
		e->have_stats = true;
		e->status = h.unlocked ? "unlocked" : "ok";
		if (h.unlocked) {
			snprintf(e->note_buf, sizeof(e->note_buf),
				 "%s; figures may be torn", h.why_unlocked);
			e->note = e->note_buf;
		}
	} else {
		int err = errno;
		e->status = err == EUCLEAN ? "corrupt" : "error";
		e->note = err == EUCLEAN ? "block chain is broken (see check)"
					 : strerror(err);
	}
	ctl_heap_close(&h);
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
	return all || strcmp(e->status, "not-heap") != 0;
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
	if (e->npids > MAX_PIDS)
		snprintf(buf + used, len - used, ",...");
}

/* The columns of the plain output, in their default order. */
enum column {
	COL_NAME,
	COL_STATUS,
	COL_SIZE,
	COL_MAX,
	COL_USED,
	COL_FREE,
	COL_LARGEST,
	COL_OBJECTS,
	COL_FREEBLKS,
	COL_PIDS,
	COL_OWNER,
	COL_MODE,
	NCOLUMNS
};
static const char *const column_heads[NCOLUMNS] = {"NAME",    "STATUS",	 "SIZE",
						   "MAX",     "USED",	 "FREE",
						   "LARGEST", "OBJECTS", "FREEBLKS",
						   "PIDS",    "OWNER",	 "MODE"};
static const char column_align[NCOLUMNS + 1] = "llrrrrrrrlll";

/* How the plain output looks (see the options of ctl_list). */
struct layout {
	enum column cols[4 * NCOLUMNS];
	size_t ncols;
	bool bytes, headings, raw;
};

/* -o LIST: column names separated by commas, any case; "+LIST" adds to the
 * default columns. */
static void parse_columns(const char *cmd, const char *arg, struct layout *lay)
{
	lay->ncols = 0;
	if (*arg == '+') {
		for (int c = 0; c < NCOLUMNS; c++)
			lay->cols[lay->ncols++] = (enum column)c;
		arg++;
	}
	char *copy = xstrdup(arg), *save = NULL;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int found = -1;
		for (int c = 0; c < NCOLUMNS && found < 0; c++)
			if (strcasecmp(w, column_heads[c]) == 0)
				found = c;
		if (found < 0)
			ctl_usage_error(
				cmd,
				"unknown column '%s' (columns: NAME STATUS SIZE MAX USED"
				" FREE LARGEST OBJECTS FREEBLKS PIDS OWNER MODE)",
				w);
		if (lay->ncols == sizeof(lay->cols) / sizeof(lay->cols[0]))
			ctl_usage_error(cmd, "too many columns in '%s'", arg);
		lay->cols[lay->ncols++] = (enum column)found;
	}
	free(copy);
	if (lay->ncols == 0)
		ctl_usage_error(cmd, "--output needs at least one column");
}

/* Whether a column shown comes from walking the blocks (shmheap_stats), or
 * says whether the walk found the heap sound (STATUS). */
static bool needs_chain(const struct layout *lay)
{
	for (size_t c = 0; c < lay->ncols; c++)
		switch (lay->cols[c]) {
		case COL_STATUS:
		case COL_USED:
		case COL_FREE:
		case COL_LARGEST:
		case COL_OBJECTS:
		case COL_FREEBLKS:
			return true;
		default:
			break;
		}
	return false;
}

static const char *size_cell(char buf[NUM_BUF], size_t v, const struct layout *lay)
{
	return lay->bytes ? fmt_size(buf, v) : fmt_human(buf, v);
}

static void print_plain(const struct entry *v, size_t n, bool all,
			const struct layout *lay)
{
	const char *heads[4 * NCOLUMNS];
	char align[4 * NCOLUMNS + 1];
	for (size_t c = 0; c < lay->ncols; c++) {
		heads[c] = column_heads[lay->cols[c]];
		align[c] = column_align[lay->cols[c]];
	}
	align[lay->ncols] = '\0';
	struct table t;
	table_init(&t, lay->ncols, heads, align);
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &v[i];
		if (!shown(e, all))
			continue;
		char b[9][NUM_BUF], pids[MAX_PIDS * 12 + 8];
		const char *full[NCOLUMNS] = {NULL}, *row[4 * NCOLUMNS];
		char *name = printable(e->name);
		full[COL_NAME] = name;
		full[COL_STATUS] = e->status;
		if (e->heap) {
			full[COL_SIZE] = size_cell(b[0], e->info.heap_size, lay);
			full[COL_MAX] = size_cell(b[1], e->info.max_size, lay);
		}
		if (e->have_stats) {
			full[COL_USED] = size_cell(b[2], e->stats.used_bytes, lay);
			full[COL_FREE] = size_cell(b[3], e->stats.free_bytes, lay);
			full[COL_LARGEST] = size_cell(b[4], e->stats.largest_free, lay);
			full[COL_OBJECTS] = fmt_size(b[5], e->stats.objects);
			full[COL_FREEBLKS] = fmt_size(b[6], e->stats.free_blocks);
		}
		pid_list(pids, sizeof(pids), e);
		full[COL_PIDS] = e->npids ? pids : "-";
		if (e->have_st) {
			full[COL_OWNER] = owner_name(b[7], e->st.st_uid);
			full[COL_MODE] = fmt_mode(b[8], e->st.st_mode);
		}
		for (size_t c = 0; c < lay->ncols; c++)
			row[c] = full[lay->cols[c]];
		table_add(&t, row);
		free(name);
	}
	table_print_as(&t, stdout, lay->headings, lay->raw);
	table_free(&t);
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &v[i];
		if (shown(e, all) && e->note && strcmp(e->status, "not-heap") != 0) {
			char *name = printable(e->name);
			tool_warn("%s: %s", name, e->note);
			free(name);
		}
	}
}

static void print_json(const struct entry *v, size_t n, bool all)
{
	struct json j;
	char b[NUM_BUF];
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "heaps");
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &v[i];
		if (!shown(e, all))
			continue;
		json_object_begin(&j, NULL);
		json_string(&j, "name", e->name);
		json_string(&j, "backing", heap_backing_name(e->backing));
		json_string(&j, "status", e->status);
		json_bool(&j, "heap", e->heap);
		json_string(&j, "note", e->note);
		if (e->heap) {
			json_uint(&j, "size", e->info.heap_size);
			json_uint(&j, "max_size", e->info.max_size);
			json_bool(&j, "growable", e->info.growable);
			json_string(&j, "lock", ctl_lock_state_name(e->info.lock_state));
		}
		if (e->have_stats) {
			json_uint(&j, "used_bytes", e->stats.used_bytes);
			json_uint(&j, "free_bytes", e->stats.free_bytes);
			json_uint(&j, "largest_free", e->stats.largest_free);
			json_uint(&j, "objects", e->stats.objects);
			json_uint(&j, "free_blocks", e->stats.free_blocks);
		}
		json_array_begin(&j, "pids");
		for (size_t k = 0; k < e->npids && k < MAX_PIDS; k++)
			json_int(&j, NULL, e->pids[k]);
		json_array_end(&j);
		if (e->have_st) {
			json_uint(&j, "object_size", (uintmax_t)e->st.st_size);
			json_uint(&j, "uid", e->st.st_uid);
			json_string(&j, "owner", owner_name(b, e->st.st_uid));
			json_uint(&j, "gid", e->st.st_gid);
			json_string(&j, "mode", fmt_mode(b, e->st.st_mode));
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

int ctl_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"bytes", no_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"noheadings", no_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"raw", no_argument, NULL, 'r'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	bool all = false, json = false;
	struct layout lay = {.ncols = NCOLUMNS, .headings = true};
	for (int col = 0; col < NCOLUMNS; col++)
		lay.cols[col] = (enum column)col;
	unsigned timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	int c;
	while ((c = ctl_getopt(argc, argv, "abjno:rt:", opts)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'b':
			lay.bytes = true;
			break;
		case 'j':
			json = true;
			break;
		case 'n':
			lay.headings = false;
			break;
		case 'o':
			parse_columns(argv[0], optarg, &lay);
			break;
		case 'r':
			lay.raw = true;
			break;
		case 't':
			timeout_ms = ctl_parse_timeout(argv[0], optarg);
			break;
		}
	}
	if (optind < argc)
		ctl_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);

	struct shm_maps maps;
	if (shm_maps_scan(&maps) < 0)
		tool_warn("/proc: %s; PIDS left empty", strerror(errno));
	size_t n;
	struct entry *v = read_dir(&n);
	bool chain = json || needs_chain(&lay);
	for (size_t i = 0; i < n; i++)
		examine(&v[i], &maps, timeout_ms, chain);
	if (json)
		print_json(v, n, all);
	else
		print_plain(v, n, all, &lay);
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	shm_maps_free(&maps);
	return TOOL_EXIT_OK;
}
