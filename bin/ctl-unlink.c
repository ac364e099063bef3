/* SPDX-License-Identifier: MIT */
/*
 * ctl-unlink.c - `shmheap-ctl unlink`: removes heaps, but not an object that
 * is no heap, nor a heap a live process still maps, unless --force.
 *
 * Removing a mapped heap does not unmap it, but the next process to connect
 * gets a different heap, or none: that is what the refusal protects.  Only
 * the processes whose maps this user may read are seen (see the manpage).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "ctl-backing.h"
#include "ctl-maps.h"
#include "ctl.h"
#include "tool.h"

#define MAX_PIDS 16

/* Why name must not be removed without --force, or NULL. */
static const char *refusal(const char *name, const struct shm_maps *maps, char *buf,
			   size_t len)
{
	struct shmheap_info info;
	if (shmheap_info(name, &info) < 0) {
		int err = errno;
		/* ENOENT: shm_unlink says so, and ELOOP the removal of a file:
		 * name, which --force does not change.  EUCLEAN: a heap, damaged,
		 * which is removed like any heap no process maps. */
		if (err == ENOENT || err == ELOOP)
			return NULL;
		if (err != EUCLEAN) {
			snprintf(buf, len, "%s; not removed (--force removes it anyway)",
				 ctl_heap_error(err));
			return buf;
		}
	}
	struct stat st;
	bool have_st = ctl_object_stat(name, &st) == 0;
	pid_t pids[MAX_PIDS];
	size_t n = ctl_object_pids(maps, name, have_st ? &st : NULL, pids, MAX_PIDS);
	/* Processes this user may not see count too: the kernel knows them all;
	 * other shmheap-ctl commands reading it do not (see shm_maps_scan). */
	long attached = ctl_backing_of(name) == HEAP_SYSV ? ctl_sysv_attached(name) : 0;
	if (attached > 0)
		attached -= (long)ctl_object_readers(maps, name, have_st ? &st : NULL);
	if (n == 0 && attached > 0) {
		snprintf(
			buf, len,
			"attached by %ld processes; not removed (--force removes it anyway)",
			attached);
		return buf;
	}
	if (n == 0)
		return NULL;
	size_t used = (size_t)snprintf(buf, len, "mapped by pid");
	for (size_t i = 0; i < n && i < MAX_PIDS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s %ld", i ? "," : "",
					 (long)pids[i]);
	if (used < len)
		snprintf(buf + used, len - used,
			 "%s; not removed (--force removes it anyway)",
			 n > MAX_PIDS ? ", ..." : "");
	return buf;
}

int ctl_unlink(int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	bool force = false;
	int c;
	while ((c = ctl_getopt(argc, argv, "f", opts)) != -1)
		if (c == 'f')
			force = true;
	if (optind >= argc)
		ctl_usage_error(argv[0], "missing heap name");
	/* Every name is checked before anything is removed. */
	for (int i = optind; i < argc; i++)
		ctl_require_name(argv[i]);

	struct shm_maps maps = {0};
	char **watch = xcalloc((size_t)(argc - optind), sizeof(*watch));
	size_t nwatch = ctl_watch_paths(argv + optind, (size_t)(argc - optind), watch);
	if (!force && shm_maps_scan_watching(&maps, watch, nwatch) < 0)
		tool_die(TOOL_EXIT_FAIL, "/proc: %s; cannot tell which heaps are in use",
			 strerror(errno));
	int status = TOOL_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		const char *name = argv[i];
		char why[256];
		const char *no = force ? NULL : refusal(name, &maps, why, sizeof(why));
		if (!no && ctl_object_remove(name, !force) < 0)
			no = ctl_name_error(name, errno);
		if (no) {
			tool_warn("%s: %s", ctl_shown(name), no);
			status = TOOL_EXIT_FAIL;
		}
	}
	shm_maps_free(&maps);
	for (size_t i = 0; i < nwatch; i++)
		free(watch[i]);
	free(watch);
	return status;
}
