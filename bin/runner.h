/* SPDX-License-Identifier: MIT */
/*
 * runner.h - the command runner shared by shmheap-ex2 and shmheap-ex3.
 *
 * Reads the input language of cmdparse.h from standard input, checks each
 * line against the run's state, and has the workers (pool.h) execute it.
 * All commands of a line are sent before any reply is awaited, so the
 * commands of one shmheap-ex3 line run at the same time; shmheap-ex2 allows
 * one command per line, which makes its output deterministic.
 */
#ifndef SHMHEAP_RUNNER_H
#define SHMHEAP_RUNNER_H

#include <stddef.h>

/* The runner's whole life; returns the exit status. */
int runner_main(int argc, char **argv, const char *name, size_t max_per_line);

#endif /* SHMHEAP_RUNNER_H */
