/* SPDX-License-Identifier: MIT */
/*
 * shmheap-ex3 - lab exercises 3 and 4: the '|'-separated commands of a line
 * run at the same time (with --grow, against a heap that grows).
 */
#include "runner.h"

/* Enough for every process several times over; keeps one line's table small. */
#define EX3_MAX_PER_LINE 4096

int main(int argc, char **argv)
{
	return runner_main(argc, argv, "shmheap-ex3", EX3_MAX_PER_LINE);
}
