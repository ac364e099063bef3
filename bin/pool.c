/* SPDX-License-Identifier: MIT */
/* pool.c - fork the runner's workers, talk to them, clean up (see pool.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool.h"
#include "tool.h"

struct member {
	pid_t pid;  /* 0 once reaped */
	int to;     /* requests: the runner's write end */
	int from;   /* replies: the runner's read end */
};

/*
 * The pool is global because the SIGINT/SIGTERM handler must find the
 * workers and the heap's name; the runner has only one pool.
 */
static struct member *members;
static volatile sig_atomic_t nmembers;
static char heap_name[256];
static shmheap_memory_handle heap;

/* Async-signal-safe: kill, waitpid, shm_unlink (an unlink), signal, raise. */
static void on_fatal_signal(int sig)
{
	int saved = errno;
	for (int i = 0; i < nmembers; i++)
		if (members[i].pid > 0)
			kill(members[i].pid, SIGKILL);
	for (int i = 0; i < nmembers; i++)
		if (members[i].pid > 0)
			while (waitpid(members[i].pid, NULL, 0) < 0 && errno == EINTR)
				;
	if (heap_name[0])
		shm_unlink(heap_name);
	signal(sig, SIG_DFL);
	raise(sig); /* delivered when the handler returns: the runner dies by sig */
	errno = saved;
}

static void block_fatal_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void install_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_fatal_signal };
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A dead worker's pipe must give EPIPE, not kill the runner unclean. */
	signal(SIGPIPE, SIG_IGN);
}

/* In a new worker: undo the runner's signal set-up and drop its pipe ends. */
static void become_worker(unsigned id, int in_fd, int out_fd, const sigset_t *old)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	/* Earlier workers must see end of file when the runner closes their pipes. */
	for (unsigned i = 0; i < id; i++) {
		close(members[i].to);
		close(members[i].from);
	}
	worker_run(id, heap_name, in_fd, out_fd);
}

static int spawn(unsigned id, const sigset_t *old)
{
	int req[2], rep[2];
	if (pipe2(req, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(rep, O_CLOEXEC) < 0) {
		close(req[0]);
		close(req[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(req[0]);
		close(req[1]);
		close(rep[0]);
		close(rep[1]);
		return -1;
	}
	if (pid == 0) {
		close(req[1]);
		close(rep[0]);
		become_worker(id, req[0], rep[1], old);
	}
	close(req[0]);
	close(rep[1]);
	members[id] = (struct member){ .pid = pid, .to = req[1], .from = rep[0] };
	nmembers = (sig_atomic_t)(id + 1);
	return 0;
}

int pool_start(const char *name, size_t heap_size, size_t max_size, unsigned n,
	       size_t *largest)
{
	if (strlen(name) >= sizeof(heap_name)) {
		tool_warn("%s: name too long", name);
		return -1;
	}
	members = calloc(n, sizeof(*members));
	if (!members) {
		tool_warn("out of memory");
		return -1;
	}
	sigset_t old;
	block_fatal_signals(&old);
	strcpy(heap_name, name);
	install_handlers();

	/* Workers first, so that none inherits the runner's mapping of the heap. */
	for (unsigned i = 0; i < n; i++) {
		if (spawn(i, &old) < 0) {
			tool_warn("cannot start process %u: %s", i, strerror(errno));
			heap_name[0] = '\0';
			sigprocmask(SIG_SETMASK, &old, NULL);
			pool_finish();
			return -1;
		}
	}
	struct shmheap_options opts = {
		.max_size = max_size,
		.flags = max_size ? 0 : SHMHEAP_NO_GROW,
	};
	heap = shmheap_create_ex(name, heap_size, &opts);
	int err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!heap) {
		tool_warn("%s: cannot create the heap: %s", name, strerror(err));
		heap_name[0] = '\0';
		pool_finish();
		return -1;
	}
	/* The empty heap's one free block, plus all the heap may still grow by. */
	struct shmheap_stats st;
	if (shmheap_stats(heap, &st) < 0) {
		tool_warn("%s: cannot read the heap's figures: %s", name, strerror(errno));
		pool_finish();
		return -1;
	}
	*largest = st.largest_free + (st.max_size - st.heap_size);
	return 0;
}

int pool_send(unsigned id, const struct worker_request *rq)
{
	return write_all(members[id].to, rq, sizeof(*rq));
}

int pool_receive(unsigned id, struct worker_reply *rp)
{
	return read_all(members[id].from, rp, sizeof(*rp)) == 1 ? 0 : -1;
}

int pool_finish(void)
{
	sigset_t old;
	block_fatal_signals(&old);
	int ret = 0;
	const struct worker_request quit = { .op = WORKER_QUIT };
	for (int i = 0; i < nmembers; i++) {
		(void)pool_send((unsigned)i, &quit);
		close(members[i].to);
		close(members[i].from);
	}
	for (int i = 0; i < nmembers; i++) {
		int status;
		while (waitpid(members[i].pid, &status, 0) < 0)
			if (errno != EINTR) {
				status = -1;
				break;
			}
		members[i].pid = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (WIFSIGNALED(status))
				tool_warn("process %d was killed by signal %d", i, WTERMSIG(status));
			else
				tool_warn("process %d did not exit cleanly", i);
			ret = -1;
		}
	}
	nmembers = 0;
	if (heap)
		shmheap_destroy(heap_name, heap);
	heap = NULL;
	heap_name[0] = '\0';
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}
