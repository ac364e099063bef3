/* SPDX-License-Identifier: MIT */
/*
 * torture.c - crash torture test: workers are SIGKILLed at random moments.
 *
 * A supervisor runs TORTURE_WORKERS worker processes (torture-worker.c) on one
 * heap and kills a random one at a random moment, again and again.  After
 * every kill:
 *   - the survivors must go on working (their progress counters advance; one
 *     of them, or the supervisor, finds the lock's owner dead and repairs),
 *   - shmheap_check passes (from the supervisor's connection; on every other
 *     kill also right away, while the survivors run, so the supervisor is
 *     sometimes the one that repairs),
 *   - every object whose allocation had returned still holds its pattern, and
 *     every live block belongs to a journalled object, but for at most one:
 *     the dead worker's allocation in flight (see torture-audit.c),
 *   - a replacement worker connects (so it can lock) and inherits the dead
 *     worker's journal and objects.
 * The kills are spread over rounds, each on a new heap: fixed-size heaps and
 * growing ones (kills then also land inside growth), each with and without
 * garbage passed to shmheap_free.  Every round ends with all objects freed and
 * the heap one free block again.
 *
 * Usage: torture [KILLS]; KILLS defaults to $TORTURE_KILLS, else 200.
 * TORTURE_CACHED=1 makes every heap a cached one (SHMHEAP_CACHED); the audit
 * then also proves that no block is left in a dead process's cache.
 * TORTURE_SEED fixes the random choices (the timing stays random).  For
 * debugging: TORTURE_ROUND_KIND=0..3 runs one kind of round only, and
 * TORTURE_HANG_WAIT=1 makes a hang wait 10 minutes for a debugger instead of
 * failing.
 * Exit: 0 pass, 1 fail.  Every timeout here detects a hang; none measures speed.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "torture-audit.h"

#define KILLS_PER_ROUND 50
#define HANG_TIMEOUT_MS 20000 /* a survivor making no progress for this long hangs */
#define WATCHDOG_S 120	      /* a kill iteration taking this long hangs somewhere */
#define PROGRESS_OPS 8	      /* operations each survivor must complete after a kill */
/* The smallest cached heap of a round: 1 MiB has 7 cache slots; 16 and 64 MiB
 * heaps have caches two and four times as deep, with longer refill runs. */
static const size_t torture_cached_min[] = {(size_t)1 << 20, (size_t)16 << 20,
					    (size_t)64 << 20};

struct torture_shared *shared;
static pid_t supervisor_pid;
static unsigned current_round;
static unsigned long current_kill;

struct totals {
	unsigned long kills;
	unsigned long killed_in[CALL_KINDS];
	unsigned long lock_owner_dead; /* shmheap_info saw the dead holder's lock */
	unsigned long replacements;
	uint64_t ops;
	size_t largest_heap;
	struct audit_counts audit;
};

static const struct round_config round_configs[] = {
	{.growable = 0, .garbage = 0, .initial = 64 << 10, .max = 64 << 10},
	{.growable = 1, .garbage = 0, .initial = 8 << 10, .max = 16 << 20},
	{.growable = 0, .garbage = 1, .initial = 64 << 10, .max = 64 << 10},
	{.growable = 1, .garbage = 1, .initial = 8 << 10, .max = 16 << 20},
};
#define ROUND_CONFIGS (sizeof(round_configs) / sizeof(round_configs[0]))

/* Async-signal-safe: kills and reaps the workers, removes both heaps. */
static void cleanup(void)
{
	if (!shared || getpid() != supervisor_pid)
		return;
	for (int i = 0; i < TORTURE_WORKERS; i++) {
		pid_t pid = shared->worker[i].pid;
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			shared->worker[i].pid = 0;
		}
	}
	if (strncmp(shared->heap_name, "file:", 5) == 0)
		unlink(shared->heap_name + 5);
	else if (shared->heap_name[0])
		shm_unlink(shared->heap_name);
	if (shared->other_name[0])
		shm_unlink(shared->other_name);
}

static void on_signal(int sig)
{
	static const char alarm_msg[] =
		"torture: FAIL: watchdog expired: something hangs\n";
	static const char term_msg[] = "torture: interrupted\n";
	if (sig == SIGALRM)
		(void)!write(2, alarm_msg, sizeof(alarm_msg) - 1);
	else
		(void)!write(2, term_msg, sizeof(term_msg) - 1);
	cleanup();
	_exit(1);
}

void torture_fail(const char *fmt, ...)
{
	char msg[sizeof(shared->failure)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (getpid() != supervisor_pid) {
		uint32_t expected = 0;
		if (__atomic_compare_exchange_n(&shared->failed, &expected, 1, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			memcpy(shared->failure, msg, sizeof(msg));
		_exit(1);
	}
	fprintf(stderr, "torture: FAIL: %s (round %u, kill %lu, seed %" PRIu64 ")\n", msg,
		current_round, current_kill, shared->seed);
	exit(1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, us % 1000000 * 1000};
	nanosleep(&ts, NULL);
}

static int worker_of(pid_t pid)
{
	for (int i = 0; i < TORTURE_WORKERS; i++)
		if (shared->worker[i].pid == pid)
			return i;
	return -1;
}

/* Fails if a worker reported a failure or died without being killed. */
static void watch_workers(void)
{
	if (__atomic_load_n(&shared->failed, __ATOMIC_ACQUIRE)) {
		shared->failure[sizeof(shared->failure) - 1] = '\0';
		torture_fail("%s", shared->failure);
	}
	int status;
	pid_t pid = waitpid(-1, &status, WNOHANG);
	if (pid > 0) {
		int id = worker_of(pid);
		if (id >= 0)
			shared->worker[id].pid = 0;
		if (__atomic_load_n(&shared->failed, __ATOMIC_ACQUIRE))
			watch_workers();
		torture_fail("worker %d (pid %d) died unexpectedly (status %#x)", id,
			     (int)pid, status);
	}
}

typedef int (*condition_fn)(int id, const void *arg);

/* Waits until cond holds for every worker but skip; fails on a timeout. */
static void wait_all(condition_fn cond, const void *arg, int skip, const char *what)
{
	uint64_t deadline = now_ms() + HANG_TIMEOUT_MS;
	for (;;) {
		int pending = -1;
		for (int i = 0; i < TORTURE_WORKERS && pending < 0; i++)
			if (i != skip && !cond(i, arg))
				pending = i;
		if (pending < 0)
			return;
		watch_workers();
		if (now_ms() > deadline && getenv("TORTURE_HANG_WAIT")) {
			fprintf(stderr, "HANG pid %d\n", shared->worker[pending].pid);
			alarm(0);
			sleep(600);
		}
		if (now_ms() > deadline)
			torture_fail(
				"worker %d hangs: no %s within %d ms (it was in call %u)",
				pending, what, HANG_TIMEOUT_MS,
				__atomic_load_n(&shared->worker[pending].in_call,
						__ATOMIC_ACQUIRE));
		sleep_us(100);
	}
}

static int is_paused(int id, const void *arg)
{
	(void)arg;
	return __atomic_load_n(&shared->worker[id].paused, __ATOMIC_ACQUIRE) != 0;
}

static int has_progressed(int id, const void *arg)
{
	const uint64_t *before = arg;
	return __atomic_load_n(&shared->worker[id].ops, __ATOMIC_ACQUIRE) >=
	       before[id] + PROGRESS_OPS;
}

static void spawn(int id)
{
	struct worker_journal *j = &shared->worker[id];
	j->generation++;
	j->paused = 0;
	j->in_call = CALL_NONE;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		torture_fail("fork: %s", strerror(errno));
	if (pid == 0)
		worker_main(id);
	j->pid = pid;
}

static void kill_one(shmheap_memory_handle mem, int victim, struct totals *t)
{
	struct worker_journal *j = &shared->worker[victim];
	int status;

	kill(j->pid, SIGKILL);
	if (waitpid(j->pid, &status, 0) != j->pid)
		torture_fail("waitpid: %s", strerror(errno));
	j->pid = 0;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		watch_workers();
		torture_fail("worker %d ended by itself (status %#x)", victim, status);
	}
	t->kills++;
	t->killed_in[__atomic_load_n(&j->in_call, __ATOMIC_ACQUIRE)]++;

	struct shmheap_info info;
	if (shmheap_info(shared->heap_name, &info) == 0 &&
	    info.lock_state == SHMHEAP_LOCK_OWNER_DEAD)
		t->lock_owner_dead++;
	/* Sometimes the supervisor locks first, and so repairs, while the
	 * survivors run. */
	if (t->kills % 2)
		audit_check(mem, "right after a kill");
}

/*
 * Waits a random while before a kill.  Half the time it then also waits for
 * the victim to be inside a library call, where the heap lock is likely held,
 * since a worker spends most of its time between calls.
 */
static void aim(int victim, uint64_t *rng)
{
	uint64_t r = torture_rand(rng);
	if (r % 2) {
		sleep_us((long)(r / 2 % 3000));
		return;
	}
	sleep_us((long)(r / 2 % 500));
	uint64_t deadline = now_ms() + 50;
	while (__atomic_load_n(&shared->worker[victim].in_call, __ATOMIC_ACQUIRE) ==
		       CALL_NONE &&
	       now_ms() < deadline)
		;
}

static void kill_and_recover(shmheap_memory_handle mem, uint64_t *rng, struct totals *t)
{
	uint64_t before[TORTURE_WORKERS];

	alarm(WATCHDOG_S);
	__atomic_store_n(&shared->pause, 0, __ATOMIC_RELEASE);
	int victim = (int)(torture_rand(rng) % TORTURE_WORKERS);
	aim(victim, rng);
	kill_one(mem, victim, t);

	for (int i = 0; i < TORTURE_WORKERS; i++)
		before[i] = __atomic_load_n(&shared->worker[i].ops, __ATOMIC_ACQUIRE);
	wait_all(has_progressed, before, victim, "progress after a kill");

	__atomic_store_n(&shared->pause, 1, __ATOMIC_RELEASE);
	wait_all(is_paused, NULL, victim, "pause");
	audit_after_kill(mem, victim, &t->audit);

	spawn(victim);
	t->replacements++;
	wait_all(is_paused, NULL, -1, "start of a replacement worker");
	alarm(0);
}

static void end_round(void)
{
	__atomic_store_n(&shared->stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&shared->pause, 0, __ATOMIC_RELEASE);
	uint64_t deadline = now_ms() + HANG_TIMEOUT_MS;
	for (int i = 0; i < TORTURE_WORKERS; i++) {
		struct worker_journal *j = &shared->worker[i];
		int status;
		pid_t r;
		while ((r = waitpid(j->pid, &status, WNOHANG)) == 0) {
			if (now_ms() > deadline)
				torture_fail("worker %d hangs: it does not exit", i);
			sleep_us(100);
		}
		j->pid = 0;
		if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			watch_workers();
			torture_fail("worker %d failed at its exit (status %#x)", i,
				     status);
		}
	}
}

static shmheap_memory_handle make_heap(const struct round_config *cfg)
{
	struct shmheap_options opts = {
		.max_size = cfg->max,
		.flags = cfg->growable ? 0 : SHMHEAP_NO_GROW,
	};
	size_t initial = cfg->initial;
	/* TORTURE_CACHED=1: cached heaps, large enough for a cache slot for
	 * every worker and the supervisor; rounds take turns at the depths. */
	if (getenv("TORTURE_CACHED") && atoi(getenv("TORTURE_CACHED"))) {
		size_t min = torture_cached_min[current_round % 3];
		opts.flags |= SHMHEAP_CACHED;
		if (initial < min)
			initial = min;
		if (opts.max_size < initial)
			opts.max_size = initial;
		/* The workers aim "past the heap" and grow from these. */
		shared->cfg.initial = initial;
		shared->cfg.max = opts.max_size;
		shared->grow_target = initial;
	}
	shmheap_memory_handle mem = shmheap_create_ex(shared->heap_name, initial, &opts);
	if (!mem)
		torture_fail("creating %s: %s", shared->heap_name, strerror(errno));
	return mem;
}

/* A second heap whose object the workers try to free in the first one. */
static shmheap_memory_handle make_other_heap(void)
{
	struct shmheap_options opts = {.flags = SHMHEAP_NO_GROW};
	shmheap_memory_handle other = shmheap_create_ex(shared->other_name, 4096, &opts);
	if (!other)
		torture_fail("creating %s: %s", shared->other_name, strerror(errno));
	void *p = shmheap_alloc(other, 64);
	if (!p)
		torture_fail("allocating in %s: %s", shared->other_name, strerror(errno));
	shared->other_object = shmheap_ptr_to_handle(other, p).value;
	return other;
}

static void run_round(unsigned round, unsigned long kills, uint64_t *rng,
		      struct totals *t)
{
	const char *only = getenv("TORTURE_ROUND_KIND");
	const struct round_config *cfg =
		&round_configs[(only ? (unsigned)atoi(only) : round) % ROUND_CONFIGS];
	shared->cfg = *cfg;
	shared->grow_target = cfg->initial;
	shared->stop = 0;
	shared->pause = 1;

	current_round = round;
	shmheap_memory_handle mem = make_heap(cfg);
	shmheap_memory_handle other = cfg->garbage ? make_other_heap() : NULL;
	for (int i = 0; i < TORTURE_WORKERS; i++)
		spawn(i);
	wait_all(is_paused, NULL, -1, "start");

	for (unsigned long k = 0; k < kills; k++) {
		current_kill = t->kills;
		kill_and_recover(mem, rng, t);
	}

	end_round();
	for (int i = 0; i < TORTURE_WORKERS; i++)
		t->ops += shared->worker[i].ops;

	struct shmheap_stats st;
	if (shmheap_stats(mem, &st) == 0 && st.heap_size > t->largest_heap)
		t->largest_heap = st.heap_size;
	audit_final(mem, &t->audit);

	shmheap_destroy(shared->other_name, other);
	shmheap_destroy(shared->heap_name, mem);
	memset(shared->worker, 0, sizeof(shared->worker));
}

static unsigned long parse_count(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0) {
		fprintf(stderr, "torture: bad %s: '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void report(const struct totals *t, uint64_t elapsed_ms)
{
	const struct audit_counts *a = &t->audit;
	printf("torture: %lu kills, %lu replacement workers, %" PRIu64
	       " worker operations, "
	       "%" PRIu64 " ms\n",
	       t->kills, t->replacements, t->ops, elapsed_ms);
	printf("torture: killed in alloc %lu, free %lu, garbage free %lu, grow %lu, "
	       "connect/stats %lu, between calls %lu\n",
	       t->killed_in[CALL_ALLOC], t->killed_in[CALL_FREE],
	       t->killed_in[CALL_GARBAGE_FREE], t->killed_in[CALL_GROW],
	       t->killed_in[CALL_OTHER], t->killed_in[CALL_NONE]);
	printf("torture: lock left owner-dead %lu times; killed allocs: %lu kept, %lu gone; "
	       "killed frees: %lu undone, %lu done; half-filled %lu\n",
	       t->lock_owner_dead, a->inflight_alloc_kept, a->inflight_alloc_gone,
	       a->inflight_free_undone, a->inflight_free_done, a->half_filled);
	printf("torture: %lu object patterns verified, %zu double frees refused; "
	       "largest grown heap %zu bytes\n",
	       a->objects_verified, a->double_frees, t->largest_heap);
}

int main(int argc, char **argv)
{
	unsigned long kills = 200;
	const char *env = getenv("TORTURE_KILLS");
	if (argc > 2) {
		fprintf(stderr, "usage: torture [KILLS]\n");
		return 2;
	}
	if (argc == 2)
		kills = parse_count(argv[1], "kill count");
	else if (env && *env)
		kills = parse_count(env, "TORTURE_KILLS");

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("torture: mmap");
		return 1;
	}
	supervisor_pid = getpid();
	env = getenv("TORTURE_SEED");
	shared->seed = env && *env ? strtoull(env, NULL, 0)
				   : torture_mix((uint64_t)time(NULL) ^
						 (uint64_t)supervisor_pid << 32);
	/* TORTURE_HEAP: the heap's name, for a run over another backing
	 * (file:PATH; /name); the second heap stays in POSIX shared memory. */
	env = getenv("TORTURE_HEAP");
	if (env && *env &&
	    (strlen(env) >= sizeof(shared->heap_name) ||
	     (env[0] != '/' && strncmp(env, "file:", 5) != 0))) {
		fprintf(stderr,
			"torture: TORTURE_HEAP wants /NAME or file:PATH, under %zu bytes\n",
			sizeof(shared->heap_name));
		return 2;
	}
	if (env && *env)
		snprintf(shared->heap_name, sizeof(shared->heap_name), "%s", env);
	else
		snprintf(shared->heap_name, sizeof(shared->heap_name),
			 "/shmheap-torture-%d", (int)supervisor_pid);
	snprintf(shared->other_name, sizeof(shared->other_name),
		 "/shmheap-torture-%d-other", (int)supervisor_pid);
	atexit(cleanup);
	signal(SIGALRM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	printf("torture: %lu kills, %d workers, seed %" PRIu64 "\n", kills,
	       TORTURE_WORKERS, shared->seed);
	uint64_t rng = shared->seed, start = now_ms();
	struct totals t = {0};
	for (unsigned round = 0; t.kills < kills; round++) {
		unsigned long n = kills - t.kills;
		run_round(round, n < KILLS_PER_ROUND ? n : KILLS_PER_ROUND, &rng, &t);
	}
	report(&t, now_ms() - start);
	return 0;
}
