/* SPDX-License-Identifier: MIT */
/* testutil.c - names and cleanup, children with timeouts, heap listings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/*
 * Under valgrind (CK_FORK=no), a forked child's exit would run the leak check
 * over everything it inherited from the test, which it cannot free.  So a
 * child under valgrind ends by exec'ing sh -c 'exit <status>': errors during
 * its work still count, only its exit is not checked.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

void tu_child_exit(int status)
{
	if (UNDER_VALGRIND()) {
		char code[32];
		snprintf(code, sizeof(code), "exit %d", status);
		execl("/bin/sh", "sh", "-c", code, (char *)NULL);
	}
	_exit(status);
}

#define MAX_NAMES 512

static pid_t runner_pid;
static pid_t names_pid; /* the process the registry below belongs to */
static char names[MAX_NAMES][TU_NAME_MAX];
static unsigned n_names;
static unsigned name_seq;

const char *tu_name(const char *tag)
{
	pid_t self = getpid();
	if (names_pid != self) {
		/* A forked child starts with an empty registry of its own. */
		names_pid = self;
		n_names = 0;
	}
	if (!runner_pid)
		runner_pid = self;
	ck_assert_uint_lt(n_names, MAX_NAMES);
	char *name = names[n_names++];
	snprintf(name, TU_NAME_MAX, "/" TU_PREFIX "%ld-%ld-%u-%s", (long)runner_pid,
		 (long)self, name_seq++, tag);
	return name;
}

void tu_unlink_mine(void)
{
	if (names_pid != getpid())
		return;
	for (unsigned i = 0; i < n_names; i++)
		shm_unlink(names[i]);
	n_names = 0;
}

void tu_sweep(void)
{
	char prefix[64];
	if (!runner_pid)
		return;
	snprintf(prefix, sizeof(prefix), TU_PREFIX "%ld-", (long)runner_pid);
	DIR *d = opendir("/dev/shm");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char name[NAME_MAX + 2];
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(name, sizeof(name), "/%s", e->d_name);
		shm_unlink(name);
	}
	closedir(d);
}

int tu_shm_exists(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static void sweep_at_exit(void)
{
	if (getpid() == runner_pid)
		tu_sweep();
}

static void sweep_on_signal(int sig)
{
	if (getpid() == runner_pid)
		tu_sweep();
	signal(sig, SIG_DFL);
	raise(sig);
}

TCase *tu_tcase(const char *name, double timeout_s)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, NULL, tu_unlink_mine);
	tcase_add_unchecked_fixture(tc, NULL, tu_sweep);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

int tu_run(Suite *s)
{
	runner_pid = getpid();
	atexit(sweep_at_exit);
	signal(SIGINT, sweep_on_signal);
	signal(SIGTERM, sweep_on_signal);
	signal(SIGHUP, sweep_on_signal);

	tu_skip_init();
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	int ran = srunner_ntests_run(sr);
	srunner_free(sr);
	tu_sweep();
	return tu_skip_status(ran, failed);
}

void tu_child_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s:%d: child %ld: %s\n", file, line, (long)getpid(), msg);
	tu_child_exit(1);
}

pid_t tu_fork(void (*fn)(void *), void *arg, unsigned timeout_s)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(timeout_s);
		fn(arg);
		tu_child_exit(0);
	}
	return pid;
}

static volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
}

int tu_wait(pid_t pid, unsigned timeout_s, char *why, size_t len)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	alarm_fired = 0;
	unsigned left = alarm(timeout_s);

	int status;
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR && !alarm_fired);
	int timed_out = r < 0 && alarm_fired;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (left)
		alarm(left);

	if (timed_out) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(why, len, "child %ld did not finish within %u s (deadlock?)",
			 (long)pid, timeout_s);
		return -1;
	}
	if (r < 0) {
		snprintf(why, len, "waitpid %ld: %s", (long)pid, strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == TU_SKIP_STATUS) {
		snprintf(why, len, "%s", tu_child_skip_reason());
		return 1;
	}
	if (WIFSIGNALED(status))
		snprintf(why, len, "child %ld killed by signal %d (%s)", (long)pid,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(why, len, "child %ld exited with status %d", (long)pid,
			 WEXITSTATUS(status));
	return -1;
}

/* Polls, so that the first child to fail can stop the others at once
 * (they may be waiting for it forever). */
int tu_wait_all(const pid_t *pids, int n, unsigned timeout_s, char *why, size_t len)
{
	char *done = calloc((size_t)n, 1);
	int left = n, ret = 0;
	if (!done) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	for (unsigned long ms = 0; left && ms < timeout_s * 1000ul; ms++) {
		for (int i = 0; i < n; i++) {
			int status;
			if (done[i] || waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			done[i] = 1;
			left--;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				continue;
			if (ret == 0) {
				if (WIFSIGNALED(status))
					snprintf(why, len,
						 "child %ld killed by signal %d (%s)",
						 (long)pids[i], WTERMSIG(status),
						 strsignal(WTERMSIG(status)));
				else
					snprintf(why, len,
						 "child %ld exited with status %d",
						 (long)pids[i], WEXITSTATUS(status));
			}
			ret = -1;
			for (int j = 0; j < n; j++)
				if (!done[j])
					kill(pids[j], SIGKILL);
		}
		struct timespec t = {0, 1000000};
		if (left)
			nanosleep(&t, NULL);
	}
	if (left) {
		if (ret == 0)
			snprintf(why, len,
				 "%d children did not finish within %u s (deadlock?)",
				 left, timeout_s);
		for (int i = 0; i < n; i++)
			if (!done[i]) {
				kill(pids[i], SIGKILL);
				waitpid(pids[i], NULL, 0);
			}
		ret = -1;
	}
	free(done);
	return ret;
}

void tu_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		TU_REQUIRE(n > 0, "write: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

int tu_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int add_block(const struct shmheap_block *blk, void *arg)
{
	struct tu_layout *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->blk = realloc(l->blk, l->cap * sizeof(*l->blk));
		if (!l->blk)
			abort();
	}
	l->blk[l->n++] = *blk;
	return 0;
}

void tu_layout_take(shmheap_memory_handle mem, struct tu_layout *l)
{
	l->n = 0;
	ck_assert_int_eq(shmheap_walk(mem, add_block, l), 0);
}

int tu_layout_equal(const struct tu_layout *a, const struct tu_layout *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->blk[i].offset != b->blk[i].offset ||
		    a->blk[i].size != b->blk[i].size ||
		    a->blk[i].in_use != b->blk[i].in_use)
			return 0;
	return 1;
}

void tu_layout_free(struct tu_layout *l)
{
	free(l->blk);
	*l = (struct tu_layout){0};
}

static void print_problem(size_t offset, const char *problem, void *arg)
{
	(void)arg;
	fprintf(stderr, "heap check: offset %zu: %s\n", offset, problem);
}

int tu_check(shmheap_memory_handle mem)
{
	return shmheap_check(mem, print_problem, NULL);
}

shmheap_memory_handle tu_expect_needs_trust(const char *name)
{
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EPERM);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT,
					    .lock_timeout_ms = 100};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &o));
	ck_assert_int_eq(errno, EPERM);
	o.flags = SHMHEAP_CONNECT_INSPECT | SHMHEAP_CONNECT_UNLOCKED;
	shmheap_memory_handle r = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(tu_check(r), 0);
	shmheap_disconnect(r);
	o.flags = SHMHEAP_CONNECT_TRUST_OWNER;
	shmheap_memory_handle t = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(shmheap_alloc(t, 8));
	return t;
}

static uint64_t pattern_word(uint32_t owner, uint32_t seq)
{
	uint64_t x = ((uint64_t)owner << 32 | seq) + 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static unsigned char pattern_byte(uint64_t w, size_t i)
{
	return (unsigned char)((w >> ((i & 7) * 8)) ^ (i >> 3));
}

void tu_fill(void *p, size_t len, uint32_t owner, uint32_t seq)
{
	uint64_t w = pattern_word(owner, seq);
	unsigned char *c = p;
	for (size_t i = 0; i < len; i++)
		c[i] = pattern_byte(w, i);
}

long tu_verify(const void *p, size_t len, uint32_t owner, uint32_t seq)
{
	uint64_t w = pattern_word(owner, seq);
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++)
		if (c[i] != pattern_byte(w, i))
			return (long)i;
	return -1;
}

unsigned long tu_env_ulong(const char *var, unsigned long def)
{
	const char *s = getenv(var);
	if (!s || !*s)
		return def;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	return (errno || *end) ? def : v;
}

/* Measured once per process on a scratch heap holding one object. */
static struct shmheap_stats layout_stats(void)
{
	static struct shmheap_stats st;
	if (st.header_size)
		return st;
	const char *name = tu_name("layout");
	shmheap_memory_handle h = shmheap_create(name, 1 << 16);
	ck_assert_msg(h != NULL, "create %s: %s", name, strerror(errno));
	ck_assert_ptr_nonnull(shmheap_alloc(h, 1));
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	shmheap_destroy(name, h);
	ck_assert_uint_eq(st.objects, 1);
	return st;
}

size_t tu_header_size(void)
{
	return layout_stats().header_size;
}

size_t tu_block_overhead(void)
{
	return layout_stats().overhead_bytes;
}

void tu_pin_to_cpu(unsigned nth)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set) || nth--)
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		(void)pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
		return;
	}
}
