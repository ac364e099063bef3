/* util.c - the other file of the part B program of main.c. */
#include "ealloc.h"

char *util_alloc(int size);
void util_dealloc(char *p);

char *util_alloc(int size)
{
	return alloc(size);
}

void util_dealloc(char *p)
{
	dealloc(p);
}
