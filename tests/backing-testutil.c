/* SPDX-License-Identifier: MIT */
/* backing-testutil.c - files and System V keys of the backing suites. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing-testutil.h"

/* Set once by bt_run, before any test forks: the runner's pid. */
static pid_t bt_runner;
static char bt_path[BT_NAME_MAX];
static unsigned bt_count;

static pid_t runner(void)
{
	return bt_runner ? bt_runner : getpid();
}

/*
 * The run's directory of files, made once under $TMPDIR (or /tmp) with a
 * name no one can guess and take first (mkdtemp); bt_run makes it before any
 * test forks, so that every test process uses the same one.  Mode 0755: the
 * tests that drop to another user reach files in it.  A run that cannot make
 * it ends (status 99, a hard error).
 */
const char *bt_dir(void)
{
	if (bt_path[0])
		return bt_path;
	const char *tmp = getenv("TMPDIR");
	snprintf(bt_path, sizeof(bt_path), "%s/%sfiles-XXXXXX",
		 tmp && tmp[0] == '/' ? tmp : "/tmp", TU_PREFIX);
	if (!mkdtemp(bt_path) || chmod(bt_path, 0755) < 0) {
		perror(bt_path);
		exit(99);
	}
	return bt_path;
}

const char *bt_file_name(const char *tag, char *path_out, size_t len)
{
	static char name[BT_NAME_MAX + 8];
	snprintf(path_out, len, "%s/%s-%ld-%u", bt_dir(), tag, (long)getpid(),
		 bt_count++);
	snprintf(name, sizeof(name), "file:%s", path_out);
	return name;
}

key_t bt_key(unsigned n)
{
	return (key_t)(0x53000000u | ((unsigned)runner() % 0xffffu) << 8 | (n & 0xffu));
}

const char *bt_sysv_name(unsigned n, char *buf, size_t len)
{
	snprintf(buf, len, "sysv:0x%x", (unsigned)bt_key(n));
	return buf;
}

int bt_key_listed(key_t key)
{
	FILE *f = fopen("/proc/sysvipc/shm", "r");
	char line[512];
	int found = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		long k;
		if (sscanf(line, "%ld", &k) == 1 && (key_t)k == key)
			found = 1;
	}
	fclose(f);
	return found;
}

void bt_sweep(void)
{
	for (unsigned n = 0; n < 256; n++) {
		int id = shmget(bt_key(n), 0, 0);
		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	}
	DIR *d = opendir(bt_dir());
	if (!d)
		return;
	struct dirent *e;
	char p[BT_NAME_MAX * 2];
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", bt_path, e->d_name);
		if (unlink(p) < 0) {
			/* a directory a test made (read-only places) */
			chmod(p, 0700);
			char q[sizeof(p) + 300];
			DIR *sub = opendir(p);
			struct dirent *f;
			while (sub && (f = readdir(sub)))
				if (f->d_name[0] != '.') {
					snprintf(q, sizeof(q), "%s/%s", p, f->d_name);
					unlink(q);
				}
			if (sub)
				closedir(sub);
			rmdir(p);
		}
	}
	closedir(d);
}

TCase *bt_tcase(const char *name, double timeout_s)
{
	TCase *tc = tu_tcase(name, timeout_s);
	tcase_add_unchecked_fixture(tc, NULL, bt_sweep);
	return tc;
}

int bt_run(Suite *s)
{
	bt_runner = getpid();
	bt_dir();
	int ret = tu_run(s);
	bt_sweep();
	rmdir(bt_dir());
	return ret;
}
