/* SPDX-License-Identifier: MIT */
/*
 * ctl-queuemaker.c - queues in a heap, for tests/ctl-queues.sh:
 *
 *   queues NAME   in the existing heap NAME: a queue "jobs" of 8 holding 3
 *                 handles, a queue "empty" of 2 in whose pop one child
 *                 sleeps, and a queue "full" of 1, full, in whose push
 *                 another child sleeps; prints the two children's pids once
 *                 both sleep.  Each child ends when its queue is destroyed
 *                 (EIDRM), or after 60 seconds.
 *   destroy NAME  destroys the three queues
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmheap.h"

static int die(const char *what)
{
	fprintf(stderr, "ctl-queuemaker: %s: %s\n", what, strerror(errno));
	return 1;
}

static shmheap_object_handle object(shmheap_memory_handle h)
{
	return shmheap_ptr_to_handle(h, shmheap_alloc(h, 16));
}

/* A child that sleeps in a call of queue qname until it is destroyed. */
static pid_t sleeper(const char *heap, const char *qname, int push)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* Not the pipe of the caller's $(...), which waits for every writer. */
	int null = open("/dev/null", O_WRONLY);
	if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
		_exit(die("/dev/null"));
	close(null);
	shmheap_memory_handle h = shmheap_connect(heap);
	shmheap_queue *q = h ? shmheap_queue_open(h, qname) : NULL;
	if (!q)
		_exit(die(qname));
	shmheap_object_handle got;
	int rc = push ? shmheap_queue_push(q, object(h), 60000)
		      : shmheap_queue_pop(q, &got, 60000);
	_exit(rc == -1 && errno == EIDRM ? 0 : 1);
}

struct sleeping {
	int producers, consumers;
};

static int count(const char *name, const struct shmheap_queue_stats *st, void *arg)
{
	struct sleeping *s = arg;
	(void)name;
	s->producers += st->producers_waiting;
	s->consumers += st->consumers_waiting;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return die("usage: ctl-queuemaker queues|destroy NAME");
	shmheap_memory_handle h = shmheap_connect(argv[2]);
	if (!h)
		return die(argv[2]);
	if (strcmp(argv[1], "destroy") == 0) {
		if (shmheap_queue_destroy(h, "jobs") < 0 ||
		    shmheap_queue_destroy(h, "empty") < 0 ||
		    shmheap_queue_destroy(h, "full") < 0)
			return die("destroy");
		shmheap_disconnect(h);
		return 0;
	}
	shmheap_queue *jobs = shmheap_queue_create(h, "jobs", 8);
	shmheap_queue *empty = shmheap_queue_create(h, "empty", 2);
	shmheap_queue *full = shmheap_queue_create(h, "full", 1);
	if (!jobs || !empty || !full)
		return die("create");
	for (int i = 0; i < 3; i++)
		if (shmheap_queue_push(jobs, object(h), 0) < 0)
			return die("push");
	if (shmheap_queue_push(full, object(h), 0) < 0)
		return die("push");
	pid_t a = sleeper(argv[2], "empty", 0), b = sleeper(argv[2], "full", 1);
	struct sleeping s = {0, 0};
	for (int i = 0; i < 10000 && (s.producers != 1 || s.consumers != 1); i++) {
		usleep(1000);
		s = (struct sleeping){0, 0};
		if (shmheap_queue_walk(h, count, &s) < 0)
			return die("walk");
	}
	if (s.producers != 1 || s.consumers != 1)
		return die("the sleepers do not sleep");
	printf("%ld %ld\n", (long)a, (long)b);
	shmheap_queue_close(jobs);
	shmheap_queue_close(empty);
	shmheap_queue_close(full);
	shmheap_disconnect(h);
	return 0;
}
