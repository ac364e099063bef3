/* SPDX-License-Identifier: MIT */
/*
 * backing-testutil.h - names for the backing suites: files in a directory of
 * the runner's own, System V keys derived from the runner's pid.  The runner
 * removes both after every test case and at exit, however the test ended.
 */
#ifndef SHMHEAP_BACKING_TESTUTIL_H
#define SHMHEAP_BACKING_TESTUTIL_H

#include <sys/types.h>

#include "testutil.h"

#define BT_NAME_MAX 256

/* The runner's directory for heap files (made with an unguessable name on
 * first use: bt_run makes it before the tests fork). */
const char *bt_dir(void);
/* A fresh "file:<dir>/<tag>-<pid>-<n>" name (in a buffer the next call
 * reuses), and the path in it. */
const char *bt_file_name(const char *tag, char *path_out, size_t len);
/* The key of slot n (0..255) of this runner, and its "sysv:0x..." name. */
key_t bt_key(unsigned n);
const char *bt_sysv_name(unsigned n, char *buf, size_t len);
/* 1 if /proc/sysvipc/shm lists a segment of the key. */
int bt_key_listed(key_t key);
/* Removes every file of the directory and every segment of the runner's keys. */
void bt_sweep(void);
/* tu_tcase plus bt_sweep after the case (in the runner). */
TCase *bt_tcase(const char *name, double timeout_s);
/* tu_run, then bt_sweep and the directory's removal. */
int bt_run(Suite *s);

#endif /* SHMHEAP_BACKING_TESTUTIL_H */
