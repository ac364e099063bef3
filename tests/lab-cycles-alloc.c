/* SPDX-License-Identifier: MIT */
/* lab-cycles-alloc.c - part A's half of lab-cycles: this file uses alloc.h. */
#include "alloc.h"
#include "lab-cycles.h"

int cycles_alloc(int n)
{
	for (int i = 0; i < n; i++) {
		if (init_alloc())
			return -1;
		char *a = alloc(8), *b = alloc(4088);
		if (!a || !b)
			return -1;
		a[0] = b[4087] = 1;
		dealloc(a);
		if (i % 2) /* half of the cycles end with a live allocation */
			dealloc(b);
		if (cleanup())
			return -1;
	}
	return 0;
}
