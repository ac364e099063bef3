/* SPDX-License-Identifier: MIT */
/* pool.c - fork the runner's workers, talk to them, clean up (see pool.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "pool.h"
#include "runheap.h"
#include "tool.h"

struct member {
	pid_t pid; /* 0 once reaped */
	int to;	   /* requests: the runner's write end, non-blocking */
	int from;  /* replies: the runner's read end */
};

/* The runner has one pool; cleanup.h holds what its signal handler needs. */
static struct member *members;
static unsigned nmembers;
static shmheap_memory_handle heap;

/* In a new worker: undo the runner's signal set-up and drop its pipe ends. */
static void become_worker(unsigned id, int in_fd, int out_fd, const sigset_t *old)
{
	cleanup_in_child(old);
	/* Earlier workers must see end of file when the runner closes their pipes. */
	for (unsigned i = 0; i < id; i++) {
		close(members[i].to);
		close(members[i].from);
	}
	worker_run(id, in_fd, out_fd);
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
	/* The runner never waits on a full request pipe (see pool_exchange). */
	fcntl(req[1], F_SETFL, fcntl(req[1], F_GETFL) | O_NONBLOCK);
	members[id] = (struct member){.pid = pid, .to = req[1], .from = rep[0]};
	nmembers = id + 1;
	cleanup_add_child(pid);
	return 0;
}

/* Creates the heap (signals blocked); 0, or -1 after saying why. */
static int create_heap(size_t heap_size, size_t max_size)
{
	struct shmheap_options opts = {
		.max_size = max_size,
		.flags = max_size ? 0 : SHMHEAP_NO_GROW,
	};
	heap = run_heap_create(heap_size, &opts);
	if (heap)
		return 0;
	tool_warn("%s: cannot create the heap: %s", run_heap_name(), strerror(errno));
	return -1;
}

int pool_start(size_t heap_size, size_t max_size, unsigned n, size_t *largest)
{
	members = xcalloc(n, sizeof(*members));
	cleanup_reserve(n);
	sigset_t old;
	cleanup_block(&old);
	cleanup_install();

	/* An anonymous heap is inherited, so it exists before the workers. */
	if (run_heap_before_fork() && create_heap(heap_size, max_size) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		pool_finish();
		return -1;
	}
	/* Otherwise workers first, so that none inherits the runner's mapping. */
	for (unsigned i = 0; i < n; i++) {
		if (spawn(i, &old) < 0) {
			tool_warn("cannot start process %u: %s", i, strerror(errno));
			sigprocmask(SIG_SETMASK, &old, NULL);
			pool_finish();
			return -1;
		}
	}
	int ret = run_heap_before_fork() ? 0 : create_heap(heap_size, max_size);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret < 0) {
		pool_finish();
		return -1;
	}
	const char *name = run_heap_name();
	/* The empty heap's one free block, plus all the heap may still grow by. */
	struct shmheap_stats st;
	if (shmheap_stats(heap, &st) < 0) {
		tool_warn("%s: cannot read the heap's figures: %s", name,
			  strerror(errno));
		pool_finish();
		return -1;
	}
	*largest = st.largest_free + (st.max_size - st.heap_size);
	return 0;
}

/*
 * Writes the requests of one worker that fit into its pipe.  A request is
 * smaller than PIPE_BUF, so a non-blocking write takes it whole or not at
 * all.  Returns 0, or -1 if the worker has gone.
 */
static int send_ready(unsigned id, size_t *next_send, const size_t *next,
		      const struct worker_request *rqs, size_t none)
{
	while (*next_send != none) {
		ssize_t n = write(members[id].to, &rqs[*next_send], sizeof(rqs[0]));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n != (ssize_t)sizeof(rqs[0]))
			return -1;
		*next_send = next[*next_send];
	}
	return 0;
}

/*
 * A worker blocks writing a reply while its reply pipe is full; if the runner
 * blocked writing it a request meanwhile, neither would move (a pipe holds as
 * little as one page when the user's pipe budget is spent).  So the runner
 * polls: it writes what fits and reads what has come, until every reply of
 * the line is in.
 */
int pool_exchange(size_t n, const unsigned *ids, const struct worker_request *rqs,
		  struct worker_reply *rps, unsigned *failed)
{
	const size_t none = SIZE_MAX;
	size_t *next = xmalloc(n * sizeof(*next));
	size_t *first = xmalloc(nmembers * sizeof(*first));
	size_t *last = xmalloc(nmembers * sizeof(*last));
	size_t *next_send = xmalloc(nmembers * sizeof(*next_send));
	size_t *next_recv = xmalloc(nmembers * sizeof(*next_recv));
	struct pollfd *fds = xmalloc(2 * nmembers * sizeof(*fds));
	unsigned *fd_id = xmalloc(2 * nmembers * sizeof(*fd_id));
	for (unsigned id = 0; id < nmembers; id++)
		first[id] = last[id] = none;
	/* Each worker's requests, in line order, as a list through next[]. */
	for (size_t i = 0; i < n; i++) {
		unsigned id = ids[i];
		next[i] = none;
		if (first[id] == none)
			first[id] = i;
		else
			next[last[id]] = i;
		last[id] = i;
	}
	for (unsigned id = 0; id < nmembers; id++)
		next_send[id] = next_recv[id] = first[id];

	int ret = 0;
	size_t outstanding = n;
	while (outstanding > 0 && ret == 0) {
		nfds_t nfds = 0;
		for (unsigned id = 0; id < nmembers; id++) {
			if (next_send[id] != none) {
				fds[nfds] = (struct pollfd){.fd = members[id].to,
							    .events = POLLOUT};
				fd_id[nfds++] = id;
			}
			if (next_recv[id] != none && next_recv[id] != next_send[id]) {
				fds[nfds] = (struct pollfd){.fd = members[id].from,
							    .events = POLLIN};
				fd_id[nfds++] = id;
			}
		}
		if (poll(fds, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			*failed = fd_id[0];
			ret = -1;
			break;
		}
		for (nfds_t k = 0; k < nfds && ret == 0; k++) {
			unsigned id = fd_id[k];
			if (!fds[k].revents)
				continue;
			if (fds[k].fd == members[id].to) {
				if (send_ready(id, &next_send[id], next, rqs, none) < 0) {
					*failed = id;
					ret = -1;
				}
				continue;
			}
			/* Replies are written whole (smaller than PIPE_BUF): one is there. */
			if (read_all(members[id].from, &rps[next_recv[id]],
				     sizeof(rps[0])) != 1) {
				*failed = id;
				ret = -1;
				continue;
			}
			next_recv[id] = next[next_recv[id]];
			outstanding--;
		}
	}
	free(next);
	free(first);
	free(last);
	free(next_send);
	free(next_recv);
	free(fds);
	free(fd_id);
	return ret;
}

int pool_finish(void)
{
	int ret = 0;
	const struct worker_request quit = {.op = WORKER_QUIT};
	for (unsigned i = 0; i < nmembers; i++) {
		/*
		 * After a failed line a worker may still have requests queued and
		 * be blocked on a full reply pipe: closing the reply pipe first
		 * makes its next reply fail, and it quits; so does end of file.
		 */
		close(members[i].from);
		(void)!write(members[i].to, &quit, sizeof(quit));
		close(members[i].to);
	}
	/* A signal while a worker finishes still kills the rest and cleans up. */
	for (unsigned i = 0; i < nmembers; i++) {
		int status = cleanup_wait_child(members[i].pid);
		members[i].pid = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (WIFSIGNALED(status))
				tool_warn("process %u was killed by signal %d", i,
					  WTERMSIG(status));
			else
				tool_warn("process %u did not exit cleanly", i);
			ret = -1;
		}
	}
	sigset_t old;
	cleanup_block(&old);
	nmembers = 0;
	cleanup_forget_children();
	if (heap)
		run_heap_destroy(heap);
	heap = NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(members);
	members = NULL;
	return ret;
}
