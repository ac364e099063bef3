/* SPDX-License-Identifier: MIT */
/*
 * pingpong.c - shmheap-pingpong: an inter-process function call through two
 * integers of a shared segment.
 *
 * The parent (the server) maps an 8,192-byte segment at 0x10000000, the child
 * (the client) the same segment at 0x20000000.  For each round the child
 * writes a request and publishes the round number in the first integer; the
 * parent, woken, computes the answer (the square of the request) and
 * publishes the round number in the second integer, which wakes the child.
 * Release stores and acquire loads order the payload; waits sleep on a futex.
 *
 * No wait is without bound (see demo.h): a process gives up on a word from
 * the other after DEMO_WAIT_S seconds, or at once when the other is gone, and
 * the parent ends a child that does not exit.  SIGPIPE is ignored: a line
 * that cannot be written is an error, and the segment is still removed.
 * With --api queue the call is an object of a heap instead, passed through
 * two queues of handles (pingpong-queue.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "pingpong-queue.h"
#include "shmseg.h"
#include "tool.h"

#define SEGMENT_SIZE 8192
#define PARENT_ADDR ((void *)0x10000000)
#define CHILD_ADDR ((void *)0x20000000)
#define DEFAULT_ROUNDS 3ul
#define MAX_ROUNDS 1000000000ul

/* The segment: the seed's two integers first, then the call's arguments. */
struct call {
	_Atomic int request; /* the round whose request is ready (child -> parent) */
	_Atomic int answer;  /* the round whose answer is ready (parent -> child) */
	unsigned long long arg, result;
};

enum api { API_POSIX, API_SHMSEG, API_QUEUE };

/* How the segment was made, so that either process can map and drop it. */
struct segment {
	enum api api;
	int fd; /* API_POSIX: the object, already unlinked */
	int id; /* API_SHMSEG */
	shmheap_memory_handle heap; /* API_QUEUE: an anonymous heap */
};

static const char usage_text[] =
	"Usage: shmheap-pingpong [OPTION]...\n"
	"A child asks its parent N times for the square of a number through a\n"
	"shared segment, mapped at 0x10000000 in the parent and at 0x20000000\n"
	"in the child.\n"
	"\n"
	"      --rounds N     questions the child asks (default 3)\n"
	"      --api posix|shmseg|queue\n"
	"                     the segment: POSIX shared memory (default) or a\n"
	"                     numbered segment of shmseg(3); or the call as an\n"
	"                     object of a heap, through two queues of handles\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show the version and exit\n"
	"\n"
	"See shmheap-pingpong(1).\n";

static void make_segment(struct segment *s)
{
	if (s->api == API_QUEUE) {
		s->heap = pp_queue_make();
		return;
	}
	if (s->api == API_SHMSEG) {
		s->id = shmseg_create(SEGMENT_SIZE);
		if (s->id < 0)
			demo_die("shmseg_create: %s", strerror(errno));
		return;
	}
	char name[64];
	snprintf(name, sizeof(name), "/shmheap-pingpong-%ld", (long)getpid());
	s->fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->fd < 0)
		demo_die("shm_open %s: %s", name, strerror(errno));
	/* Both processes use the descriptor: the name can go now, so that
	 * nothing stays in /dev/shm whatever becomes of the processes. */
	shm_unlink(name);
	if (ftruncate(s->fd, SEGMENT_SIZE) < 0)
		demo_die("ftruncate %s: %s", name, strerror(errno));
}

/* Maps the segment at addr exactly; NULL, with a message naming the address. */
static struct call *map_segment(const struct segment *s, void *addr, const char *who)
{
	void *p;
	if (s->api == API_SHMSEG) {
		p = shmseg_attach(s->id, addr);
		if (!p)
			tool_warn("%s: cannot attach segment %d at %p: %s", who, s->id,
				  addr,
				  errno == EEXIST ? "the address is taken"
						  : strerror(errno));
		return p;
	}
	p = mmap(addr, SEGMENT_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, s->fd, 0);
	if (p != MAP_FAILED && p != addr) { /* a kernel before 4.17 took it as a hint */
		munmap(p, SEGMENT_SIZE);
		p = MAP_FAILED;
		errno = EEXIST;
	}
	if (p == MAP_FAILED) {
		tool_warn("%s: cannot map the segment at %p: %s", who, addr,
			  errno == EEXIST ? "the address is taken" : strerror(errno));
		return NULL;
	}
	return p;
}

static void unmap_segment(const struct segment *s, struct call *c)
{
	if (s->api == API_SHMSEG)
		shmseg_detach(s->id);
	else
		munmap(c, SEGMENT_SIZE);
}

static bool parent_alive(void *arg)
{
	return getppid() == *(pid_t *)arg;
}

/* Reaps the child if it has exited; *gone records that it has. */
struct child {
	pid_t pid;
	int status;
	bool gone;
};

static bool child_alive(void *arg)
{
	struct child *ch = arg;
	if (!ch->gone && waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid)
		ch->gone = true;
	return !ch->gone;
}

/*
 * Waits for round r's word in *w from the other process.  0, or -1: stopped
 * by a signal, the other is gone (it says why itself, or the parent does),
 * or DEMO_WAIT_S seconds passed (said here).
 */
static int wait_word(_Atomic int *w, unsigned long r, const struct demo_peer *peer,
		     const char *who, const char *what)
{
	if (demo_wait(w, (int)r, peer) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		tool_warn("%s: waited %d s for %s %lu", who, DEMO_WAIT_S, what, r);
	return -1;
}

static int client(const struct segment *s, unsigned long rounds, pid_t parent)
{
	if (s->api == API_QUEUE)
		return pp_queue_client(s->heap, rounds,
				       &(struct demo_peer){parent_alive, &parent});
	struct call *c = map_segment(s, CHILD_ADDR, "child");
	if (!c)
		return TOOL_EXIT_FAIL;
	struct demo_peer peer = {parent_alive, &parent};
	int status = TOOL_EXIT_OK;
	for (unsigned long r = 1; r <= rounds; r++) {
		c->arg = r;
		if (demo_say("child", "request %lu: square of %llu", r, c->arg) < 0) {
			status = TOOL_EXIT_FAIL;
			break;
		}
		demo_post(&c->request, (int)r);
		if (wait_word(&c->answer, r, &peer, "child", "the parent's answer") < 0 ||
		    demo_say("child", "answer %lu: %llu", r, c->result) < 0) {
			status = TOOL_EXIT_FAIL;
			break;
		}
	}
	unmap_segment(s, c);
	return status;
}

static int server(const struct segment *s, unsigned long rounds, struct child *ch)
{
	if (s->api == API_QUEUE)
		return pp_queue_server(s->heap, rounds,
				       &(struct demo_peer){child_alive, ch});
	struct call *c = map_segment(s, PARENT_ADDR, "parent");
	if (!c)
		return TOOL_EXIT_FAIL;
	struct demo_peer peer = {child_alive, ch};
	int status = TOOL_EXIT_OK;
	for (unsigned long r = 1; r <= rounds; r++) {
		if (wait_word(&c->request, r, &peer, "parent", "the child's request") < 0) {
			status = TOOL_EXIT_FAIL;
			break;
		}
		c->result = c->arg * c->arg;
		if (demo_say("parent", "request %lu: %llu * %llu = %llu", r, c->arg,
			     c->arg, c->result) < 0) {
			status = TOOL_EXIT_FAIL;
			break;
		}
		demo_post(&c->answer, (int)r);
	}
	unmap_segment(s, c);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rounds", required_argument, NULL, 'n'},
		{"api", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	unsigned long rounds = DEFAULT_ROUNDS;
	struct segment seg = {API_POSIX, -1, -1, NULL};
	int c;

	tool_init(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!tool_parse_uint(optarg, MAX_ROUNDS, &rounds))
				tool_die(TOOL_EXIT_USAGE,
					 "--rounds: '%s' is not a number from 0 to %lu",
					 optarg, MAX_ROUNDS);
			break;
		case 'a':
			if (strcmp(optarg, "posix") == 0)
				seg.api = API_POSIX;
			else if (strcmp(optarg, "shmseg") == 0)
				seg.api = API_SHMSEG;
			else if (strcmp(optarg, "queue") == 0)
				seg.api = API_QUEUE;
			else
				tool_die(TOOL_EXIT_USAGE,
					 "--api: '%s' is not posix, shmseg or queue",
					 optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return TOOL_EXIT_OK;
		case 'V':
			tool_print_version();
			return TOOL_EXIT_OK;
		default:
			tool_die(TOOL_EXIT_USAGE,
				 "unknown option or missing argument: '%s'",
				 argv[optind - 1]);
		}
	}
	if (optind < argc)
		tool_die(TOOL_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);

	demo_catch_signals();
	make_segment(&seg);
	fflush(stdout);
	pid_t parent = getpid();
	struct child ch = {fork(), 0, false};
	if (ch.pid < 0) {
		int err = errno;
		if (seg.api == API_SHMSEG)
			shmseg_destroy(seg.id);
		demo_die("fork: %s", strerror(err));
	}
	if (ch.pid == 0)
		_exit(client(&seg, rounds, parent));

	int status = server(&seg, rounds, &ch);
	bool ended = false; /* the parent stopped the child itself */
	if (!ch.gone) {
		if (demo_stop || status != TOOL_EXIT_OK) {
			ch.status = demo_end_child(ch.pid);
			ended = true;
		} else if (demo_reap(ch.pid, &ch.status, DEMO_WAIT_S * 1000L) < 0) {
			tool_warn("parent: waited %d s for the child to exit; ending it",
				  DEMO_WAIT_S);
			ch.status = demo_end_child(ch.pid);
			ended = true;
		}
		ch.gone = true;
	}
	if (!ended && !demo_stop && WIFSIGNALED(ch.status))
		tool_warn("parent: the child was killed by signal %d (%s)",
			  WTERMSIG(ch.status), strsignal(WTERMSIG(ch.status)));
	if (seg.api == API_QUEUE)
		shmheap_disconnect(seg.heap); /* anonymous: gone with the processes */
	if (seg.api == API_SHMSEG && shmseg_destroy(seg.id) < 0)
		tool_warn("shmseg_destroy(%d): %s", seg.id, strerror(errno));
	if (demo_stop)
		demo_exit_by_signal();
	if (!WIFEXITED(ch.status) || WEXITSTATUS(ch.status) != 0)
		status = TOOL_EXIT_FAIL;
	if (status == TOOL_EXIT_OK && demo_say("parent", "%lu round trips done", rounds) < 0)
		status = TOOL_EXIT_FAIL;
	return status;
}
