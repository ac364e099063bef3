/* SPDX-License-Identifier: MIT */
/*
 * shmheap-ex1 - lab exercise 1: one writer, N readers of one shared object.
 *
 * The runner forks N readers, each with a pipe, creates a heap, allocates one
 * object, fills it and sends every reader the object's handle (a bitwise copy
 * through the pipe).  Each reader then connects to the heap on its own, turns
 * the handle back into a pointer, checks every word and reports.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmheap.h>

#include "tool.h"
#include "worker.h"

#define EX1_MAX_READERS 512
#define EX1_HEAP_SIZE (64 * 1024)
#define EX1_WORDS 4096 /* the object's size in 8-byte words */

/* What the writer sends each reader. */
struct ex1_message {
	shmheap_object_handle hdl;
	uint64_t words;
};

static uint64_t pattern(uint64_t i)
{
	return i * 0x9E3779B97F4A7C15u + 1;
}

/* Global for the SIGINT/SIGTERM handler, which must kill, reap and unlink. */
static pid_t readers[EX1_MAX_READERS];
static volatile sig_atomic_t nreaders;
static char heap_name[64];

static void on_fatal_signal(int sig)
{
	for (int i = 0; i < nreaders; i++)
		kill(readers[i], SIGKILL);
	for (int i = 0; i < nreaders; i++)
		while (waitpid(readers[i], NULL, 0) < 0 && errno == EINTR)
			;
	shm_unlink(heap_name);
	signal(sig, SIG_DFL);
	raise(sig);
}

static _Noreturn void reader(int in_fd)
{
	struct ex1_message msg;
	/* The message also says that the heap exists now. */
	if (read_all(in_fd, &msg, sizeof(msg)) != 1)
		_exit(TOOL_EXIT_FAIL);
	shmheap_memory_handle heap = shmheap_connect(heap_name);
	if (!heap) {
		fprintf(stderr, "shmheap-ex1: %s: %s\n", heap_name, strerror(errno));
		_exit(TOOL_EXIT_FAIL);
	}
	const uint64_t *v = shmheap_handle_to_ptr(heap, msg.hdl);
	bool ok = v != NULL;
	for (uint64_t i = 0; ok && i < msg.words; i++)
		ok = v[i] == pattern(i);
	char line[80];
	int n = snprintf(line, sizeof(line), "Child [pid = %ld] %s\n", (long)getpid(),
			 ok ? "received data successfully" : "received wrong data");
	(void)write_all(ok ? STDOUT_FILENO : STDERR_FILENO, line, (size_t)n);
	shmheap_disconnect(heap);
	_exit(ok ? TOOL_EXIT_OK : TOOL_EXIT_FAIL);
}

/* Forks the readers; their pipes' write ends go to to[]. */
static int start_readers(int n, int *to)
{
	for (int i = 0; i < n; i++) {
		int fd[2];
		if (pipe(fd) < 0)
			return -1;
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			for (int j = 0; j < i; j++)
				close(to[j]);
			close(fd[1]);
			reader(fd[0]);
		}
		close(fd[0]);
		to[i] = fd[1];
		readers[i] = pid;
		nreaders = i + 1;
	}
	return 0;
}

/* Creates the heap and the object, and sends its handle to every reader. */
static int write_object(int n, const int *to, shmheap_memory_handle *heap)
{
	*heap = shmheap_create_ex(heap_name, EX1_HEAP_SIZE,
				  &(struct shmheap_options){ .flags = SHMHEAP_NO_GROW });
	if (!*heap) {
		tool_warn("%s: %s", heap_name, strerror(errno));
		return -1;
	}
	uint64_t *v = shmheap_alloc(*heap, EX1_WORDS * sizeof(uint64_t));
	if (!v) {
		tool_warn("%s: allocation failed: %s", heap_name, strerror(errno));
		return -1;
	}
	for (uint64_t i = 0; i < EX1_WORDS; i++)
		v[i] = pattern(i);
	struct ex1_message msg = { shmheap_ptr_to_handle(*heap, v), EX1_WORDS };
	for (int i = 0; i < n; i++)
		(void)write_all(to[i], &msg, sizeof(msg)); /* a dead reader shows in its status */
	return 0;
}

int main(int argc, char **argv)
{
	tool_init("shmheap-ex1");
	unsigned long n;
	if (argc != 2 || !tool_parse_uint(argv[1], EX1_MAX_READERS, &n) || n == 0)
		tool_die(TOOL_EXIT_USAGE, "usage: shmheap-ex1 N (1 .. %d readers)", EX1_MAX_READERS);
	snprintf(heap_name, sizeof(heap_name), "/shmheap-ex1.%ld", (long)getpid());

	sigset_t fatal, old;
	sigemptyset(&fatal);
	sigaddset(&fatal, SIGINT);
	sigaddset(&fatal, SIGTERM);
	struct sigaction sa = { .sa_handler = on_fatal_signal, .sa_mask = fatal };
	sigprocmask(SIG_BLOCK, &fatal, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Readers are forked before the heap exists, so none inherits its mapping. */
	int to[EX1_MAX_READERS];
	bool ok = start_readers((int)n, to) == 0;
	if (!ok)
		tool_warn("cannot start the readers: %s", strerror(errno));
	shmheap_memory_handle heap = NULL;
	ok = ok && write_object(nreaders, to, &heap) == 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < nreaders; i++)
		close(to[i]);

	sigprocmask(SIG_BLOCK, &fatal, NULL);
	for (int i = 0; i < nreaders; i++) {
		int status = -1;
		while (waitpid(readers[i], &status, 0) < 0 && errno == EINTR)
			;
		ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	nreaders = 0;
	if (heap)
		shmheap_destroy(heap_name, heap);
	else
		shm_unlink(heap_name);
	heap_name[0] = '\0';
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ok ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
}
