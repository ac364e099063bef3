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
#include <sys/wait.h>
#include <unistd.h>

#include <shmheap.h>

#include "cleanup.h"
#include "runheap.h"
#include "tool.h"

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

static _Noreturn void reader(int in_fd)
{
	struct ex1_message msg;
	/* The message also says that the heap exists now. */
	if (read_all(in_fd, &msg, sizeof(msg)) != 1)
		_exit(TOOL_EXIT_FAIL);
	shmheap_memory_handle heap = run_heap_connect();
	if (!heap) {
		fprintf(stderr, "shmheap-ex1: %s: %s\n", run_heap_name(),
			strerror(errno));
		_exit(TOOL_EXIT_FAIL);
	}
	const uint64_t *v = shmheap_handle_to_ptr(heap, msg.hdl);
	bool ok = v != NULL;
	for (uint64_t i = 0; ok && i < msg.words; i++)
		ok = v[i] == pattern(i);
	char line[80];
	int n = snprintf(line, sizeof(line), "Child [pid = %ld] %s\n", (long)getpid(),
			 ok ? "received data successfully" : "received wrong data");
	int status = tool_child_line(ok, line, (size_t)n);
	shmheap_disconnect(heap);
	_exit(status);
}

/* Forks the readers; their pipes' write ends go to to[], their pids to pids[]. */
static int start_readers(int n, int *to, pid_t *pids, int *started, const sigset_t *old)
{
	for (int i = 0; i < n; i++) {
		int fd[2];
		if (pipe(fd) < 0)
			return -1;
		pid_t pid = fork();
		if (pid < 0) {
			close(fd[0]);
			close(fd[1]);
			return -1;
		}
		if (pid == 0) {
			cleanup_in_child(old);
			for (int j = 0; j < i; j++)
				close(to[j]);
			close(fd[1]);
			reader(fd[0]);
		}
		close(fd[0]);
		to[i] = fd[1];
		pids[i] = pid;
		*started = i + 1;
		cleanup_add_child(pid);
	}
	return 0;
}

/* Creates the heap (signals blocked); 0, or -1 after saying why. */
static int create_heap(shmheap_memory_handle *heap)
{
	*heap = run_heap_create(EX1_HEAP_SIZE,
				&(struct shmheap_options){.flags = SHMHEAP_NO_GROW});
	if (*heap)
		return 0;
	tool_warn("%s: %s", run_heap_name(), strerror(errno));
	return -1;
}

/* Creates the object and sends its handle to every reader. */
static int write_object(int n, const int *to, shmheap_memory_handle heap)
{
	const char *heap_name = run_heap_name();
	uint64_t *v = shmheap_alloc(heap, EX1_WORDS * sizeof(uint64_t));
	if (!v) {
		tool_warn("%s: allocation failed: %s", heap_name, strerror(errno));
		return -1;
	}
	for (uint64_t i = 0; i < EX1_WORDS; i++)
		v[i] = pattern(i);
	struct ex1_message msg = {shmheap_ptr_to_handle(heap, v), EX1_WORDS};
	for (int i = 0; i < n; i++)
		(void)write_all(to[i], &msg,
				sizeof(msg)); /* a dead reader shows in its status */
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shmheap-ex1 [--heap NAME] N\n"
		"Lab exercise 1: one writer passes a shared object to N readers (1 .. %d).\n"
		"  --heap NAME    run over the heap NAME, created and removed by the run:\n"
		"                 /name, file:PATH, sysv:KEY or anon: (default\n"
		"                 /shmheap-ex1.PID)\n"
		"  -h, --help     show this help and exit\n"
		"  -V, --version  show the version and exit\n"
		"See shmheap-ex1(1).\n",
		EX1_MAX_READERS);
}

int main(int argc, char **argv)
{
	tool_init("shmheap-ex1");
	if (tool_help_or_version(argc, argv, usage))
		return TOOL_EXIT_OK;
	const char *heap_arg = NULL;
	if (argc >= 2 && strncmp(argv[1], "--heap", 6) == 0) {
		if (argv[1][6] == '=') {
			heap_arg = argv[1] + 7;
		} else if (argv[1][6] == '\0' && argc >= 3) {
			heap_arg = argv[2];
			argc--;
			argv++;
		}
		if (heap_arg) {
			argc--;
			argv++;
		}
	}
	unsigned long n;
	if (argc != 2 || !tool_parse_uint(argv[1], EX1_MAX_READERS, &n) || n == 0)
		tool_die(
			TOOL_EXIT_USAGE,
			"Usage: shmheap-ex1 [--heap NAME] N (1 .. %d readers; see --help)",
			EX1_MAX_READERS);
	run_heap_choose("shmheap-ex1", heap_arg);

	/* Every terminating signal kills and reaps the readers and removes the heap. */
	sigset_t old;
	cleanup_reserve(EX1_MAX_READERS);
	cleanup_block(&old);
	cleanup_install();

	/* Readers are forked before the heap exists, so none inherits its mapping;
	 * but an anonymous heap can only be inherited. */
	int to[EX1_MAX_READERS];
	pid_t pids[EX1_MAX_READERS];
	int started = 0;
	shmheap_memory_handle heap = NULL;
	bool ok = !run_heap_before_fork() || create_heap(&heap) == 0;
	if (ok && start_readers((int)n, to, pids, &started, &old) < 0) {
		tool_warn("cannot start the readers: %s", strerror(errno));
		ok = false;
	}
	ok = ok && (heap || create_heap(&heap) == 0);
	ok = ok && write_object(started, to, heap) == 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < started; i++)
		close(to[i]);

	bool output_gone = false;
	for (int i = 0; i < started; i++) {
		int status = cleanup_wait_child(pids[i]);
		if (WIFEXITED(status) && WEXITSTATUS(status) == TOOL_EXIT_OUTPUT_GONE)
			output_gone = true;
		else
			ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	cleanup_block(NULL);
	cleanup_forget_children();
	if (heap)
		run_heap_destroy(heap);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (output_gone && ok)
		tool_end_by_sigpipe();
	return ok ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
}
