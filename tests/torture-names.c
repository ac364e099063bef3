/* SPDX-License-Identifier: MIT */
/*
 * torture-names.c - crash torture of named objects and leak-proof publishing.
 *
 * Workers publish every object they allocate: through slots of a shared root
 * object (shmheap_alloc_into / shmheap_free_from), or through names, by a
 * protocol that keeps each object referred to by a name or by the worker's
 * stage slot at every instant:
 *   create:  alloc_into(stage); name_set(name, stage); stage = 0
 *   remove:  stage = name_get(name); name_remove(name); free_from(stage)
 * (a new worker first settles a stage slot its predecessor left set).  Each
 * round starts WORKERS workers and SIGKILLs them one by one at random
 * moments; once all are dead, the supervisor's shmheap_check repairs the
 * heap and must find no problem, and the walk must find exactly the objects
 * the slots and names refer to, plus the directory's own blocks (record,
 * table, one entry per name): zero orphans.
 *
 * Usage: torture-names [KILLS]; KILLS defaults to $TORTURE_NAMES_KILLS, else
 * 1000.  TORTURE_SEED fixes the random choices (the timing stays random).
 * Exit: 0 pass, 1 fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmheap.h"

#define WORKERS 4
#define SLOTS 32
#define NAMES 32

struct root {
	shmheap_object_handle slot[WORKERS][SLOTS];
	shmheap_object_handle stage[WORKERS];
};

static char heap_name[64];
static shmheap_object_handle root_hdl;
static volatile uint64_t *ops; /* shared: operations completed per worker */
static shmheap_memory_handle supervisor_mem;
static pid_t supervisor_pid;
static pid_t worker_pid[WORKERS]; /* of the round under way, 0 once reaped */

/* Removes the heap (shmheap_destroy removes a name only with its heap's
 * handle), from the supervisor only. */
static void cleanup(void)
{
	if (getpid() != supervisor_pid)
		return;
	for (int w = 0; w < WORKERS; w++)
		if (worker_pid[w] > 0)
			kill(worker_pid[w], SIGKILL);
	if (supervisor_mem) {
		shmheap_destroy(heap_name, supervisor_mem);
		supervisor_mem = NULL;
	}
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "torture-names: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	cleanup();
	exit(1);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void worker_fail(int id, const char *what)
{
	fprintf(stderr, "torture-names: worker %d: %s: %s\n", id, what, strerror(errno));
	_exit(1);
}

static void name_of(char *buf, size_t len, int id, unsigned k)
{
	snprintf(buf, len, "worker-%d/object-%u", id, k);
}

/* A stage slot left set by a killed predecessor: the object is either named
 * (the name keeps it) or not (it is freed). */
static void settle_stage(shmheap_memory_handle c, struct root *r, int id)
{
	uint64_t v = __atomic_load_n(&r->stage[id].value, __ATOMIC_ACQUIRE);
	if (!v)
		return;
	char buf[64];
	for (unsigned k = 0; k < NAMES; k++) {
		shmheap_object_handle got;
		name_of(buf, sizeof(buf), id, k);
		if (shmheap_name_get(c, buf, &got) == 0 && got.value == v) {
			__atomic_store_n(&r->stage[id].value, 0, __ATOMIC_RELEASE);
			return;
		}
	}
	if (shmheap_free_from(c, &r->stage[id]) < 0)
		worker_fail(id, "free_from(stage)");
}

static void worker(int id, uint64_t seed)
{
	shmheap_memory_handle c = shmheap_connect(heap_name);
	if (!c)
		worker_fail(id, "connect");
	struct root *r = shmheap_handle_to_ptr(c, root_hdl);
	if (!r)
		worker_fail(id, "root");
	settle_stage(c, r, id);
	char buf[64];
	for (;;) {
		unsigned op = (unsigned)(rnd(&seed) % 10);
		size_t size = 8 + rnd(&seed) % 200;
		shmheap_object_handle *s = &r->slot[id][rnd(&seed) % SLOTS];
		unsigned k = (unsigned)(rnd(&seed) % NAMES);
		name_of(buf, sizeof(buf), id, k);
		if (op < 3) {
			if (!s->value) {
				void *p = shmheap_alloc_into(c, size, s);
				if (!p && errno != ENOMEM && errno != ENOSPC)
					worker_fail(id, "alloc_into");
				if (p)
					memset(p, id, size);
			}
		} else if (op < 5) {
			if (s->value && shmheap_free_from(c, s) < 0)
				worker_fail(id, "free_from");
		} else if (op < 8) {
			shmheap_object_handle got;
			shmheap_object_handle *stage = &r->stage[id];
			if (shmheap_name_get(c, buf, &got) == 0) {
				__atomic_store_n(&stage->value, got.value,
						 __ATOMIC_RELEASE);
				if (shmheap_name_remove(c, buf) < 0)
					worker_fail(id, "name_remove");
				if (shmheap_free_from(c, stage) < 0)
					worker_fail(id, "free_from(stage)");
			} else if (errno != ENOENT) {
				worker_fail(id, "name_get");
			} else if (shmheap_alloc_into(c, size, stage)) {
				if (shmheap_name_set(c, buf, *stage, 0) < 0)
					worker_fail(id, "name_set");
				__atomic_store_n(&stage->value, 0, __ATOMIC_RELEASE);
			} else if (errno != ENOMEM && errno != ENOSPC) {
				worker_fail(id, "alloc_into(stage)");
			}
		} else {
			shmheap_object_handle got;
			if (shmheap_name_get(c, buf, &got) < 0 && errno != ENOENT)
				worker_fail(id, "name_get");
		}
		__atomic_add_fetch(&ops[id], 1, __ATOMIC_RELAXED);
	}
}

/* ---- the audit ---- */

struct live {
	size_t *off;
	size_t n, cap;
};

static int collect_live(const struct shmheap_block *blk, void *arg)
{
	struct live *l = arg;
	if (!blk->in_use)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->off = realloc(l->off, l->cap * sizeof(*l->off));
		if (!l->off)
			fail("out of memory");
	}
	l->off[l->n++] = blk->offset;
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

struct refs {
	shmheap_memory_handle mem;
	size_t *off;
	size_t n, cap;
	size_t names;
};

static void add_ref(struct refs *r, shmheap_object_handle h, const char *what)
{
	if (!h.value)
		return;
	unsigned char *p = shmheap_handle_to_ptr(r->mem, h);
	if (!p)
		fail("%s holds a handle that names nothing", what);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->off = realloc(r->off, r->cap * sizeof(*r->off));
		if (!r->off)
			fail("out of memory");
	}
	r->off[r->n++] = (size_t)(p - (unsigned char *)shmheap_underlying(r->mem));
}

static int collect_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	struct refs *r = arg;
	r->names++;
	add_ref(r, hdl, name);
	return 0;
}

static void print_problem(size_t offset, const char *problem, void *arg)
{
	(void)arg;
	fprintf(stderr, "torture-names: check: offset %zu: %s\n", offset, problem);
}

/* Returns the number of live objects; fails on any orphan. */
static size_t audit(shmheap_memory_handle mem, struct root *root, size_t *names)
{
	int problems = shmheap_check(mem, print_problem, NULL);
	if (problems != 0)
		fail("shmheap_check found %d problems after the repair", problems);
	struct refs r = {.mem = mem};
	for (int w = 0; w < WORKERS; w++) {
		for (int s = 0; s < SLOTS; s++)
			add_ref(&r, root->slot[w][s], "a slot");
		add_ref(&r, root->stage[w], "a stage slot");
	}
	if (shmheap_name_walk(mem, collect_name, &r) < 0)
		fail("shmheap_name_walk: %s", strerror(errno));
	struct live l = {0};
	if (shmheap_walk(mem, collect_live, &l) < 0)
		fail("shmheap_walk: %s", strerror(errno));
	qsort(r.off, r.n, sizeof(*r.off), cmp_size);
	size_t distinct = 0;
	for (size_t i = 0; i < r.n; i++) {
		if (i && r.off[i] == r.off[i - 1])
			continue;
		distinct++;
		if (!bsearch(&r.off[i], l.off, l.n, sizeof(*l.off), cmp_size))
			fail("a slot or name refers to offset %zu, which is no live object",
			     r.off[i]);
	}
	/* The directory: its record, its table and one entry per name. */
	size_t expected = distinct + 2 + r.names;
	if (l.n != expected)
		fail("%zu live objects, %zu referred to or the directory's: %zd orphans",
		     l.n, expected, (ssize_t)(l.n - expected));
	*names = r.names;
	free(r.off);
	free(l.off);
	return l.n - 2 - r.names;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	unsigned long target = 1000;
	const char *env = getenv("TORTURE_NAMES_KILLS");
	if (argc > 1)
		env = argv[1];
	if (env && (target = strtoul(env, NULL, 10)) == 0)
		fail("bad kill count '%s'", env);
	env = getenv("TORTURE_SEED");
	uint64_t rng = env ? strtoull(env, NULL, 10) | 1 : (uint64_t)time(NULL) * 2 + 1;
	printf("torture-names: seed %" PRIu64 "\n", rng);

	snprintf(heap_name, sizeof(heap_name), "/shmheap-torture-names-%ld",
		 (long)getpid());
	ops = mmap(NULL, WORKERS * sizeof(*ops), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ops == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	supervisor_pid = getpid();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	shmheap_memory_handle mem = shmheap_create(heap_name, 1 << 16);
	if (!mem)
		fail("create: %s", strerror(errno));
	supervisor_mem = mem;
	struct root *root = shmheap_alloc(mem, sizeof(*root));
	if (!root)
		fail("alloc: %s", strerror(errno));
	memset(root, 0, sizeof(*root));
	root_hdl = shmheap_ptr_to_handle(mem, root);
	if (shmheap_name_set(mem, "root", root_hdl, 0) < 0)
		fail("name_set: %s", strerror(errno));

	unsigned long kills = 0, rounds = 0, owner_dead = 0;
	size_t objects = 0, most = 0, names = 0;
	while (kills < target) {
		pid_t *pid = worker_pid;
		for (int w = 0; w < WORKERS; w++) {
			uint64_t seed = rnd(&rng) | 1;
			pid[w] = fork();
			if (pid[w] < 0)
				fail("fork: %s", strerror(errno));
			if (pid[w] == 0) {
				alarm(60);
				worker(w, seed);
			}
		}
		for (int w = 0; w < WORKERS; w++) {
			sleep_us(200 + (long)(rnd(&rng) % 3000));
			kill(pid[w], SIGKILL);
		}
		for (int w = 0; w < WORKERS; w++) {
			int status;
			if (waitpid(pid[w], &status, 0) != pid[w])
				fail("waitpid: %s", strerror(errno));
			if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
				fail("worker %d ended otherwise than by the kill (status %#x)",
				     w, status);
			pid[w] = 0;
			kills++;
		}
		rounds++;
		struct shmheap_info info;
		if (shmheap_info(heap_name, &info) == 0 &&
		    info.lock_state == SHMHEAP_LOCK_OWNER_DEAD)
			owner_dead++;
		objects = audit(mem, root, &names);
		if (objects > most)
			most = objects;
	}
	uint64_t total = 0;
	for (int w = 0; w < WORKERS; w++)
		total += ops[w];
	printf("torture-names: %lu kills in %lu rounds, %" PRIu64
	       " operations; %zu objects referred to at the end (at most %zu),"
	       " %zu names; the last victim of %lu rounds died holding the lock;"
	       " orphans found: 0\n",
	       kills, rounds, total, objects, most, names, owner_dead);
	cleanup();
	return 0;
}
