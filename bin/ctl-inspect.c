/* SPDX-License-Identifier: MIT */
/*
 * ctl-inspect.c - `shmheap-ctl inspect`: one heap's header, lock state,
 * fragmentation and object sizes, and with --blocks every block.
 *
 * All block figures come from one walk, so they describe one moment of the
 * heap (when the lock could be taken).  A broken block chain is reported with
 * what could be walked before the break.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctl-backing.h"
#include "ctl-maps.h"
#include "ctl-names.h"
#include "ctl-out.h"
#include "ctl-queues.h"
#include "ctl.h"
#include "tool.h"

#define BUCKETS 64 /* bucket k holds sizes in [2^k, 2^(k+1)) */
#define MAX_PIDS 256
/* Where a walk that reports nothing broke: the first block word, just before
 * the first object; the smallest heap is the bookkeeping before the first
 * object and one object of SHMHEAP_ALIGNMENT bytes after an 8-byte block word. */
#define FIRST_BLOCK_WORD (SHMHEAP_MIN_SIZE - 2 * SHMHEAP_ALIGNMENT)
#define CACHE_PROCS_MAX 16 /* cache slots a heap has at most */

struct survey {
	bool keep_blocks;
	struct shmheap_block *blocks;
	size_t nblocks, cap;
	size_t objects, used_bytes, free_blocks, free_bytes, largest_free;
	size_t library_blocks, library_bytes; /* names directory, queues */
	size_t count[BUCKETS], bytes[BUCKETS];
	size_t end;  /* offset just past the last block walked */
	bool broken; /* the chain did not reach the end of the heap */
	/* A cached heap (SHMHEAP_CACHED): its caches, and its table (the first
	 * block, bookkeeping rather than an object). */
	struct shmheap_cache_stats cache;
	struct shmheap_cache_proc procs[CACHE_PROCS_MAX];
	size_t table_bytes;
};

static unsigned bucket_of(size_t size)
{
	unsigned k = 0;
	while (k + 1 < BUCKETS && (size >> (k + 1)))
		k++;
	return k;
}

static int survey_block(const struct shmheap_block *blk, void *arg)
{
	struct survey *s = arg;
	if (s->cache.slots && blk->offset == FIRST_BLOCK_WORD + SHMHEAP_ALIGNMENT) {
		s->table_bytes = blk->size + SHMHEAP_ALIGNMENT;
	} else if (blk->kind == SHMHEAP_BLOCK_LIBRARY) {
		s->library_blocks++;
		s->library_bytes += blk->size + SHMHEAP_ALIGNMENT;
	} else if (blk->in_use) {
		unsigned k = bucket_of(blk->size);
		s->objects++;
		s->used_bytes += blk->size;
		s->count[k]++;
		s->bytes[k] += blk->size;
	} else {
		s->free_blocks++;
		/* Counted with its block word, as shmheap_stats counts free_bytes. */
		s->free_bytes += blk->size + SHMHEAP_ALIGNMENT;
		if (blk->size > s->largest_free)
			s->largest_free = blk->size;
	}
	s->end = blk->offset + blk->size;
	if (s->keep_blocks) {
		if (s->nblocks == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 256;
			s->blocks = xrealloc(s->blocks, s->cap * sizeof(*s->blocks));
		}
		s->blocks[s->nblocks++] = *blk;
	}
	return 0;
}

static int survey_op(shmheap_memory_handle mem, void *arg)
{
	struct survey *s = arg;
	struct shmheap_block *keep = s->blocks;
	size_t cap = s->cap;
	bool keep_blocks = s->keep_blocks;
	*s = (struct survey){.keep_blocks = keep_blocks,
			     .blocks = keep,
			     .cap = cap,
			     .end = FIRST_BLOCK_WORD};
	if (shmheap_cache_stats(mem, &s->cache, s->procs, CACHE_PROCS_MAX) < 0 &&
	    errno != EUCLEAN)
		return -1;
	if (shmheap_walk(mem, survey_block, s) == 0)
		return 0;
	if (errno != EUCLEAN)
		return -1;
	s->broken = true;
	return 0;
}

static void lock_text(char *buf, size_t len, const struct shmheap_info *in)
{
	switch (in->lock_state) {
	case SHMHEAP_LOCK_FREE:
		snprintf(buf, len, "free");
		break;
	case SHMHEAP_LOCK_HELD:
		snprintf(buf, len, "held by pid %ld", (long)in->lock_owner);
		break;
	case SHMHEAP_LOCK_OWNER_DEAD:
		snprintf(buf, len,
			 "owner pid %ld died holding it; the next user repairs the heap",
			 (long)in->lock_owner);
		break;
	case SHMHEAP_LOCK_UNRECOVERABLE:
		snprintf(buf, len,
			 "unrecoverable (released unrepaired; the heap is unusable)");
		break;
	default:
		snprintf(buf, len, "unknown state %d", in->lock_state);
	}
}

static void time_text(char *buf, size_t len, time_t t)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

/* "s" after a count other than one: "1 block", "2 blocks". */
static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static double ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

struct view {
	const char *name;
	const struct ctl_heap *h;
	const struct survey *s;
	const struct ctl_names *names;
	const struct ctl_queues *queues;
	struct stat st;
	bool have_st;
	pid_t pids[MAX_PIDS];
	size_t npids;
};

/* The histogram spans the smallest to the largest bucket that has objects. */
static void bucket_range(const struct survey *s, unsigned *lo, unsigned *hi)
{
	*lo = BUCKETS;
	*hi = 0;
	for (unsigned k = 0; k < BUCKETS; k++) {
		if (!s->count[k])
			continue;
		if (*lo == BUCKETS)
			*lo = k;
		*hi = k;
	}
}

static size_t bucket_max(unsigned k)
{
	return k + 1 >= sizeof(size_t) * 8 ? SIZE_MAX : ((size_t)1 << (k + 1)) - 1;
}

static const char *backing_text(enum heap_backing b)
{
	switch (b) {
	case HEAP_FILE:
		return "file";
	case HEAP_SYSV:
		return "System V segment";
	default:
		return "POSIX shared memory";
	}
}

/* The names of the heap's directory, each with its object. */
static void print_names_plain(const struct ctl_names *n)
{
	printf("\nnames:\n");
	if (!n->n) {
		printf(n->broken ? "  directory damaged (run check)\n" : "  no names\n");
		return;
	}
	static const char *const heads[] = {"  NAME", "OFFSET", "SIZE"};
	struct table t;
	table_init(&t, 3, heads, "lrr");
	for (size_t i = 0; i < n->n; i++) {
		const struct ctl_name *e = &n->name[i];
		char *shown = printable(e->name);
		char name[SHMHEAP_NAME_MAX * 4 + 8], off[NUM_BUF], sz[NUM_BUF];
		snprintf(name, sizeof(name), "  %s", shown);
		snprintf(off, sizeof(off), "%zu", e->offset);
		const char *row[3] = {name, e->offset ? off : "-",
				      e->live ? fmt_size(sz, e->size) : "-"};
		table_add(&t, row);
		free(shown);
	}
	table_print(&t, stdout);
	table_free(&t);
}

static void print_plain(const struct view *v)
{
	const struct shmheap_info *in = &v->h->info;
	const struct survey *s = v->s;
	char text[256], b[NUM_BUF];
	char *name = printable(v->name);

	printf("name:           %s\n", name);
	printf("backing:        %s\n", backing_text(ctl_backing_of(v->name)));
	printf("layout:         version %u\n", in->version);
	printf("size:           %zu bytes (object %zu bytes)\n", in->heap_size,
	       in->object_size);
	printf("max size:       %zu bytes, %s\n", in->max_size,
	       in->growable ? "grows on demand" : "fixed (no growth)");
	if (in->index_size)
		printf("index:          a map after the heap, %zu bytes (%.0f%% of the heap)\n",
		       in->index_size, 100.0 * (double)in->index_size / (double)in->heap_size);
	else
		printf("index:          treaps in the free blocks (a heap made by 0.5.0 or earlier)\n");
	time_text(text, sizeof(text), in->created);
	printf("created:        %s\n", text);
	struct passwd *pw = getpwuid(in->uid);
	printf("owner:          %s (uid %lu, gid %lu), mode %s\n", pw ? pw->pw_name : "?",
	       (unsigned long)in->uid, (unsigned long)in->gid, fmt_mode(b, in->mode));
	lock_text(text, sizeof(text), in);
	printf("lock:           %s\n", text);
	if (in->damaged)
		printf("damaged:        a call met damage in it; connects refuse it (see check)\n");
	printf("mapped by:      ");
	for (size_t i = 0; i < v->npids && i < MAX_PIDS; i++)
		printf("%s%ld", i ? ", " : "", (long)v->pids[i]);
	printf("%s\n", v->npids ? "" : "no process");
	printf("objects:        %zu (%zu bytes, %zu bytes of block words)\n", s->objects,
	       s->used_bytes, s->objects * SHMHEAP_ALIGNMENT);
	printf("library:        %zu bytes in %zu block%s (names, queues)\n",
	       s->library_bytes, s->library_blocks, plural(s->library_blocks));
	printf("free:           %zu bytes in %zu block%s\n", s->free_bytes,
	       s->free_blocks, plural(s->free_blocks));
	printf("largest free:   %zu bytes (%.4f of free bytes)\n", s->largest_free,
	       ratio(s->largest_free, s->free_bytes));
	printf("mean free block: %zu bytes\n",
	       s->free_blocks ? s->free_bytes / s->free_blocks : 0);
	if (s->cache.slots) {
		printf("cached:         %zu bytes in %zu block%s (part of free), table %zu bytes, "
		       "%zu of %zu slots taken\n",
		       s->cache.cached_bytes, s->cache.cached_blocks,
		       plural(s->cache.cached_blocks), s->table_bytes, s->cache.attached,
		       s->cache.slots);
		for (size_t i = 0; i < s->cache.attached && i < CACHE_PROCS_MAX; i++)
			printf("  pid %ld:%*s%zu bytes in %zu block%s%s\n",
			       (long)s->procs[i].pid, 8, "", s->procs[i].cached_bytes,
			       s->procs[i].cached_blocks,
			       plural(s->procs[i].cached_blocks),
			       s->procs[i].alive == 0 ? " (process gone; returned at the next sweep)"
			       : s->procs[i].alive == 2
				       ? " (reserved: the process cannot be proven gone)"
				       : "");
	}

	unsigned lo, hi;
	bucket_range(s, &lo, &hi);
	printf("\nobject sizes:\n");
	if (lo == BUCKETS) {
		printf("  no objects\n");
	} else {
		static const char *const heads[] = {"  SIZES", "OBJECTS", "BYTES"};
		struct table t;
		table_init(&t, 3, heads, "lrr");
		for (unsigned k = lo; k <= hi; k++) {
			char range[2 * NUM_BUF + 4], c[NUM_BUF], by[NUM_BUF];
			snprintf(range, sizeof(range), "  %zu-%zu", (size_t)1 << k,
				 bucket_max(k));
			const char *row[3] = {range, fmt_size(c, s->count[k]),
					      fmt_size(by, s->bytes[k])};
			table_add(&t, row);
		}
		table_print(&t, stdout);
		table_free(&t);
	}
	print_names_plain(v->names);
	ctl_queues_print(v->queues);
	if (s->keep_blocks) {
		static const char *const heads[] = {"  OFFSET", "SIZE", "STATE"};
		struct table t;
		table_init(&t, 3, heads, "rrl");
		printf("\nblocks:\n");
		for (size_t i = 0; i < s->nblocks; i++) {
			char off[NUM_BUF + 2], sz[NUM_BUF];
			snprintf(off, sizeof(off), "  %zu", s->blocks[i].offset);
			const char *row[3] = {off, fmt_size(sz, s->blocks[i].size),
					      s->blocks[i].in_use ? "used" : "free"};
			table_add(&t, row);
		}
		table_print(&t, stdout);
		table_free(&t);
	}
	free(name);
}

static void print_json(const struct view *v)
{
	const struct shmheap_info *in = &v->h->info;
	const struct survey *s = v->s;
	char text[64], b[NUM_BUF];
	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "name", v->name);
	json_string(&j, "backing", heap_backing_name(ctl_backing_of(v->name)));
	json_uint(&j, "version", in->version);
	json_uint(&j, "size", in->heap_size);
	json_uint(&j, "max_size", in->max_size);
	json_uint(&j, "object_size", in->object_size);
	json_uint(&j, "index_size", in->index_size);
	json_bool(&j, "growable", in->growable);
	json_int(&j, "created", (intmax_t)in->created);
	time_text(text, sizeof(text), in->created);
	json_string(&j, "created_utc", text);
	json_uint(&j, "uid", in->uid);
	struct passwd *pw = getpwuid(in->uid);
	json_string(&j, "owner", pw ? pw->pw_name : NULL);
	json_uint(&j, "gid", in->gid);
	json_string(&j, "mode", fmt_mode(b, in->mode));
	json_object_begin(&j, "lock");
	json_string(&j, "state", ctl_lock_state_name(in->lock_state));
	if (in->lock_owner)
		json_int(&j, "owner_pid", in->lock_owner);
	else
		json_null(&j, "owner_pid");
	json_object_end(&j);
	json_bool(&j, "damaged", in->damaged);
	json_bool(&j, "read_under_lock", !v->h->unlocked);
	json_string(&j, "note", v->h->unlocked ? v->h->why_unlocked : NULL);
	json_array_begin(&j, "pids");
	for (size_t i = 0; i < v->npids && i < MAX_PIDS; i++)
		json_int(&j, NULL, v->pids[i]);
	json_array_end(&j);
	json_uint(&j, "objects", s->objects);
	json_uint(&j, "used_bytes", s->used_bytes);
	json_uint(&j, "overhead_bytes", s->objects * SHMHEAP_ALIGNMENT);
	json_uint(&j, "library_bytes", s->library_bytes);
	json_uint(&j, "library_blocks", s->library_blocks);
	json_object_begin(&j, "fragmentation");
	json_uint(&j, "free_bytes", s->free_bytes);
	json_uint(&j, "free_blocks", s->free_blocks);
	json_uint(&j, "largest_free", s->largest_free);
	json_ratio(&j, "largest_free_ratio", ratio(s->largest_free, s->free_bytes));
	json_uint(&j, "mean_free_block",
		  s->free_blocks ? s->free_bytes / s->free_blocks : 0);
	json_object_end(&j);
	json_array_begin(&j, "histogram");
	unsigned lo, hi;
	bucket_range(s, &lo, &hi);
	for (unsigned k = lo; k <= hi && lo < BUCKETS; k++) {
		json_object_begin(&j, NULL);
		json_uint(&j, "min", (size_t)1 << k);
		json_uint(&j, "max", bucket_max(k));
		json_uint(&j, "objects", s->count[k]);
		json_uint(&j, "bytes", s->bytes[k]);
		json_object_end(&j);
	}
	json_array_end(&j);
	if (s->cache.slots) {
		json_object_begin(&j, "cache");
		json_uint(&j, "slots", s->cache.slots);
		json_uint(&j, "table_bytes", s->table_bytes);
		json_uint(&j, "cached_bytes", s->cache.cached_bytes);
		json_uint(&j, "cached_blocks", s->cache.cached_blocks);
		json_array_begin(&j, "processes");
		for (size_t i = 0; i < s->cache.attached && i < CACHE_PROCS_MAX; i++) {
			json_object_begin(&j, NULL);
			json_int(&j, "pid", s->procs[i].pid);
			json_bool(&j, "alive", s->procs[i].alive);
			json_bool(&j, "reserved", s->procs[i].alive == 2);
			json_uint(&j, "cached_bytes", s->procs[i].cached_bytes);
			json_uint(&j, "cached_blocks", s->procs[i].cached_blocks);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	} else {
		json_null(&j, "cache");
	}
	if (s->broken)
		json_uint(&j, "chain_broken_at", s->end);
	else
		json_null(&j, "chain_broken_at");
	json_array_begin(&j, "names");
	for (size_t i = 0; i < v->names->n; i++) {
		const struct ctl_name *e = &v->names->name[i];
		json_object_begin(&j, NULL);
		json_string(&j, "name", e->name);
		if (e->offset)
			json_uint(&j, "offset", e->offset);
		else
			json_null(&j, "offset");
		if (e->live)
			json_uint(&j, "size", e->size);
		else
			json_null(&j, "size");
		json_object_end(&j);
	}
	json_array_end(&j);
	json_bool(&j, "names_damaged", v->names->broken);
	ctl_queues_json(&j, v->queues);
	if (s->keep_blocks) {
		json_array_begin(&j, "blocks");
		for (size_t i = 0; i < s->nblocks; i++) {
			json_object_begin(&j, NULL);
			json_uint(&j, "offset", s->blocks[i].offset);
			json_uint(&j, "size", s->blocks[i].size);
			json_string(&j, "state", s->blocks[i].in_use ? "used" : "free");
			json_object_end(&j);
		}
		json_array_end(&j);
	}
	json_object_end(&j);
	json_finish(&j);
}

int ctl_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{"blocks", no_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'J'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	struct survey s = {0};
	unsigned timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	int c;
	while ((c = ctl_getopt(argc, argv, "bJjt:", opts)) != -1) {
		switch (c) {
		case 'b':
			s.keep_blocks = true;
			break;
		case 'J':
		case 'j': /* the spelling before util-linux's */
			json = true;
			break;
		case 't':
			timeout_ms = ctl_parse_timeout(argv[0], optarg);
			break;
		}
	}
	const char *name = ctl_single_name(argc, argv);

	struct view v = {.name = name};
	struct ctl_heap h;
	struct shm_maps maps;
	char *watch[1];
	size_t nwatch = ctl_watch_paths((char **)&name, 1, watch);
	if (shm_maps_scan_watching(&maps, watch, nwatch) == 0) {
		v.have_st = ctl_object_stat(name, &v.st) == 0;
		v.npids = ctl_object_pids(&maps, name, v.have_st ? &v.st : NULL, v.pids,
					  MAX_PIDS);
		shm_maps_free(&maps);
	}
	for (size_t i = 0; i < nwatch; i++)
		free(watch[i]);
	struct ctl_names names = {0};
	struct ctl_queues queues = {0};
	if (ctl_heap_open(&h, name, timeout_ms) < 0 ||
	    ctl_heap_run(&h, survey_op, &s) < 0 ||
	    ctl_heap_run(&h, ctl_names_op, &names) < 0 ||
	    ctl_heap_run(&h, ctl_queues_op, &queues) < 0) {
		int err = errno;
		ctl_heap_close(&h);
		tool_die(TOOL_EXIT_FAIL, "%s: %s", ctl_shown(name),
			 ctl_name_error(name, err));
	}
	v.h = &h;
	v.s = &s;
	v.names = &names;
	v.queues = &queues;
	if (json)
		print_json(&v);
	else
		print_plain(&v);
	int status = TOOL_EXIT_OK;
	if (h.unlocked)
		tool_warn("%s: %s; read without the lock, figures may be torn",
			  ctl_shown(name), h.why_unlocked);
	if (s.broken) {
		tool_warn(
			"%s: block chain broken at offset %zu; figures cover the blocks before it"
			" (run check)",
			ctl_shown(name), s.end);
		status = TOOL_EXIT_FAIL;
	}
	if (names.broken) {
		tool_warn("%s: names directory damaged (run check)", ctl_shown(name));
		status = TOOL_EXIT_FAIL;
	}
	ctl_heap_close(&h);
	ctl_names_free(&names);
	ctl_queues_free(&queues);
	free(s.blocks);
	return status;
}
