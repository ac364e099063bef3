/* SPDX-License-Identifier: MIT */
/*
 * ctl-maps.c - which processes map which objects of /dev/shm, which System V
 * segments, and which of the files they are asked about.
 *
 * A line of /proc/PID/maps ends in the mapped file's path, and in
 * " (deleted)" once it has been unlinked; its fifth field is the inode, which
 * tells a current object from an unlinked one of the same name.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl-maps.h"
#include "ctl-out.h"

#define SHM_DIR_PREFIX "/dev/shm/"
#define DELETED_SUFFIX " (deleted)"
#define SYSV_PREFIX "/SYSV"

/* Records that pid maps the object prefix + name (inode ino). */
static void add_mapping(struct shm_maps *m, pid_t pid, bool reader, ino_t ino,
			const char *prefix, const char *name)
{
	size_t plen = strlen(prefix);
	/* A heap is often several mappings (growth); one entry per object is enough. */
	for (size_t i = m->n; i-- > 0 && m->v[i].pid == pid;)
		if (m->v[i].ino == ino && strncmp(m->v[i].name, prefix, plen) == 0 &&
		    strcmp(m->v[i].name + plen, name) == 0)
			return;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	char *full = xmalloc(plen + strlen(name) + 1);
	strcpy(full, prefix);
	strcpy(full + plen, name);
	m->v[m->n++] = (struct shm_mapping){pid, reader, ino, full};
}

/* "/SYSV" and eight hex digits: a System V segment, its inode the shmid. */
static bool sysv_path(const char *path)
{
	if (strncmp(path, SYSV_PREFIX, strlen(SYSV_PREFIX)) != 0)
		return false;
	path += strlen(SYSV_PREFIX);
	for (int i = 0; i < 8; i++)
		if (!isxdigit((unsigned char)path[i]))
			return false;
	return path[8] == '\0' || strcmp(path + 8, DELETED_SUFFIX) == 0;
}

/* "addr perms offset dev inode   path": the inode and where the path starts. */
static bool parse_line(char *line, ino_t *ino, char **path)
{
	char *p = line;
	for (int field = 0; field < 4; field++) {
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	char *end;
	errno = 0;
	uintmax_t v = strtoumax(p, &end, 10);
	if (errno || end == p)
		return false;
	while (*end == ' ')
		end++;
	*ino = (ino_t)v;
	*path = end;
	return true;
}

/* pid runs the executable file self (this program), as far as this user may see. */
static bool same_program(pid_t pid, const struct stat *self)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	return self && stat(path, &st) == 0 && st.st_dev == self->st_dev &&
	       st.st_ino == self->st_ino;
}

/* same_program, looked at once per process (*cached -1: not yet). */
static bool is_reader(int *cached, pid_t pid, const struct stat *self)
{
	if (*cached < 0)
		*cached = same_program(pid, self);
	return *cached;
}

static void scan_process(struct shm_maps *m, pid_t pid, const struct stat *self)
{
	char file[64];
	snprintf(file, sizeof(file), "/proc/%ld/maps", (long)pid);
	FILE *f = fopen(file, "re");
	if (!f) {
		/* ENOENT: it exited meanwhile, which is no mapping at all. */
		if (errno != ENOENT && errno != ESRCH)
			m->unreadable++;
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int reader = -1; /* not looked at yet: most processes map no object */
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		ino_t ino;
		char *path;
		if (!parse_line(line, &ino, &path))
			continue;
		if (sysv_path(path)) {
			path[strlen(SYSV_PREFIX) + 8] = '\0';
			add_mapping(m, pid, is_reader(&reader, pid, self), ino,
				    SHM_MAPS_SYSV, path + strlen(SYSV_PREFIX));
			continue;
		}
		for (size_t w = 0; w < m->nwatch; w++)
			if (strcmp(path, m->watch[w]) == 0)
				add_mapping(m, pid, is_reader(&reader, pid, self), ino,
					    SHM_MAPS_FILE, path);
		if (strncmp(path, SHM_DIR_PREFIX, strlen(SHM_DIR_PREFIX)) != 0)
			continue;
		char *name = path + strlen(SHM_DIR_PREFIX);
		size_t n = strlen(name), sn = strlen(DELETED_SUFFIX);
		if (n > sn && strcmp(name + n - sn, DELETED_SUFFIX) == 0)
			name[n - sn] = '\0';
		if (*name && !strchr(name, '/'))
			add_mapping(m, pid, is_reader(&reader, pid, self), ino, "/",
				    name);
	}
	free(line);
	fclose(f);
}

int shm_maps_scan(struct shm_maps *m)
{
	return shm_maps_scan_watching(m, NULL, 0);
}

int shm_maps_scan_watching(struct shm_maps *m, char *const *paths, size_t npaths)
{
	*m = (struct shm_maps){.watch = paths, .nwatch = npaths};
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	pid_t self = getpid();
	struct stat exe;
	bool have_exe = stat("/proc/self/exe", &exe) == 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		long pid = strtol(e->d_name, NULL, 10);
		if (pid > 0 && pid != self)
			scan_process(m, (pid_t)pid, have_exe ? &exe : NULL);
	}
	closedir(d);
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

size_t shm_maps_pids(const struct shm_maps *m, const char *name, ino_t ino, pid_t *pids,
		     size_t max)
{
	size_t count = 0;
	pid_t last = 0;
	/* Entries are grouped by process, so a repeat is always the previous match. */
	for (size_t i = 0; i < m->n; i++) {
		const struct shm_mapping *e = &m->v[i];
		if (e->reader || strcmp(e->name, name) != 0 || (ino && e->ino != ino))
			continue;
		if (count && e->pid == last)
			continue;
		if (count < max)
			pids[count] = e->pid;
		last = e->pid;
		count++;
	}
	qsort(pids, count < max ? count : max, sizeof(*pids), cmp_pid);
	return count;
}

size_t shm_maps_readers(const struct shm_maps *m, const char *name, ino_t ino)
{
	size_t count = 0;
	pid_t last = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct shm_mapping *e = &m->v[i];
		if (!e->reader || strcmp(e->name, name) != 0 || (ino && e->ino != ino))
			continue;
		if (!count || e->pid != last)
			count++;
		last = e->pid;
	}
	return count;
}

void shm_maps_free(struct shm_maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	*m = (struct shm_maps){0};
}
