/* SPDX-License-Identifier: MIT */
/* lab-cycles-ealloc.c - part B's half of lab-cycles: this file uses ealloc.h. */
#include <errno.h>

#include "ealloc.h"
#include "lab-cycles.h"

int cycles_ealloc(int n)
{
	for (int i = 0; i < n; i++) {
		errno = 0;
		init_alloc(); /* returns nothing, as the lab declares it */
		if (errno)
			return -1;
		char *p[40];
		for (int k = 0; k < 40;
		     k++) /* 40 pages: the tables outgrow their inline room */
			if (!(p[k] = alloc(4096 - 8 * (k % 2))))
				return -1;
		p[0][0] = p[39][0] = 1;
		for (int k = 0; k < 40; k += 1 + i % 2)
			dealloc(p[k]);
		cleanup();
		if (errno)
			return -1;
	}
	return 0;
}
