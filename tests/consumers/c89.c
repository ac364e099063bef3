/* SPDX-License-Identifier: MIT */
/*
 * c89.c - a consumer in strict ISO C89 (-std=c89 -pedantic -Werror): the
 * public headers must compile there, so a program of any C dialect can use
 * them.  It also builds as POSIX C99 (-std=c99 -D_POSIX_C_SOURCE=200809L).
 * Exit 0 when create, alloc, handles, stats and destroy all work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmf.h>
#include <shmheap.h>

static int failed(const char *what)
{
	fprintf(stderr, "consumer-c89: %s failed\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	shmheap_memory_handle mem;
	shmheap_object_handle hdl;
	struct shmheap_stats st;
	enum shmheap_lock_state free_state = SHMHEAP_LOCK_FREE;
	long *obj;

	if (argc != 2)
		return failed("usage: consumer-c89 /heap-name");
	mem = shmheap_create(argv[1], 65536);
	if (!mem)
		return failed("shmheap_create");
	obj = (long *)shmheap_alloc(mem, 10 * sizeof(long));
	if (!obj) {
		shmheap_destroy(argv[1], mem);
		return failed("shmheap_alloc");
	}
	obj[0] = 42;
	hdl = shmheap_ptr_to_handle(mem, obj);
	if (((long *)shmheap_handle_to_ptr(mem, hdl))[0] != 42 ||
	    shmheap_stats(mem, &st) != 0 || st.objects != 1 || (int)free_state != 0) {
		shmheap_destroy(argv[1], mem);
		return failed("the handle round trip or shmheap_stats");
	}
	shmheap_free(mem, obj);
	shmheap_destroy(argv[1], mem);
	(void)mmf_close;
	printf("consumer-c89: ok\n");
	return 0;
}
