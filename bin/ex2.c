/* SPDX-License-Identifier: MIT */
/* shmheap-ex2 - lab exercise 2: the commands of Table 1, one at a time. */
#include "runner.h"

int main(int argc, char **argv)
{
	return runner_main(argc, argv, "shmheap-ex2", 1);
}
