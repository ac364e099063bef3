/* SPDX-License-Identifier: MIT */
/* runheap.c - the heap a runner runs over, on any backing (see runheap.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "backingname.h"
#include "cleanup.h"
#include "runheap.h"
#include "tool.h"

/* A runner has one heap: the state is global, as cleanup.h's is. */
static char name[PATH_MAX + 16];
static struct tool_heap_name kind;
static shmheap_memory_handle anon_heap; /* anon: the runner's own connection */

void run_heap_choose(const char *tool, const char *arg)
{
	const char *why;
	if (!arg) {
		snprintf(name, sizeof(name), "/%s.%ld", tool, (long)getpid());
		kind = (struct tool_heap_name){.backing = HEAP_POSIX};
		return;
	}
	if (strlen(arg) >= sizeof(name))
		tool_die(TOOL_EXIT_USAGE, "--heap: name too long");
	if (tool_heap_name_parse(arg, true, &kind, &why) < 0)
		tool_die(TOOL_EXIT_USAGE, "--heap '%s': %s", arg, why);
	strcpy(name, arg);
	kind.path = kind.backing == HEAP_FILE ? name + strlen("file:") : NULL;
}

const char *run_heap_name(void)
{
	return name;
}

bool run_heap_before_fork(void)
{
	return kind.backing == HEAP_ANON;
}

shmheap_memory_handle run_heap_create(size_t size, const struct shmheap_options *o)
{
	if (kind.backing == HEAP_ANON) {
		anon_heap = shmheap_create_anonymous(size, o);
		return anon_heap;
	}
	shmheap_memory_handle mem = shmheap_create_ex(name, size, o);
	if (!mem)
		return NULL;
	/* Only what this run created is removed by the signal handler. */
	int err = 0;
	if (kind.backing == HEAP_POSIX) {
		err = cleanup_set_shm(name);
	} else if (kind.backing == HEAP_FILE) {
		err = cleanup_set_file(kind.path, NULL, shmheap_fd(mem));
	} else {
		int id = shmget(kind.key, 0, 0);
		err = id < 0 ? -1 : cleanup_set_sysv(id);
	}
	if (err < 0) {
		int e = errno;
		shmheap_destroy(name, mem);
		errno = e;
		return NULL;
	}
	return mem;
}

shmheap_memory_handle run_heap_connect(void)
{
	if (kind.backing == HEAP_ANON) {
		/* The inherited connection is the runner's; this one is the
		 * process's own, over the same memory (the fd stays the runner's). */
		int fd = anon_heap ? shmheap_fd(anon_heap) : -1;
		return fd < 0 ? NULL : shmheap_connect_fd(fd);
	}
	return shmheap_connect(name);
}

void run_heap_destroy(shmheap_memory_handle mem)
{
	if (kind.backing == HEAP_ANON) {
		shmheap_disconnect(mem);
		anon_heap = NULL;
		return;
	}
	shmheap_destroy(name, mem);
	if (kind.backing == HEAP_POSIX)
		cleanup_set_shm(NULL);
	else if (kind.backing == HEAP_FILE)
		cleanup_set_file(NULL, NULL, -1);
	else
		cleanup_set_sysv(-1);
}
