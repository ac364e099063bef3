/* util.c - the other file of the part A program of main.c. */
#include "alloc.h"

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
