/* SPDX-License-Identifier: MIT */
/*
 * test-liveness.c - a cached heap sweeps a process's cache slot only when
 * that process has ended (lib/liveness.c).  Not when its main thread has
 * called pthread_exit while a worker runs (the leader's /proc entry then
 * reads "zombie"), on each backing; not when /proc is mounted hidepid=2 and
 * two users share the heap; not when the owner lives in another pid
 * namespace.  A forked child that disconnects or outlives its parent does not
 * keep the parent's slot alive, nor release it while the parent runs.  And
 * the signal itself: a connection holds its slot's byte lock exactly while
 * it is connected.
 *
 * Each case has an owner process hold cached blocks and live objects, lets
 * another connection sweep, and checks that the owner's slot, its cached
 * blocks and its objects are untouched and that the newcomer got a slot of
 * its own; the owner then goes on allocating, which double handouts would
 * show.  The root-only cases (namespaces, another uid) skip when not root.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backing-testutil.h"
#include "cache.h"
#include "layout.h"
#include "liveness.h"

#define HEAP_BYTES (4u << 20)
#define SKIP_STATUS 77
#define NOBODY 65534
#define KEEP 64

/* ---- helpers ---- */

static shmheap_memory_handle connect_trusting(const char *name)
{
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_TRUST_OWNER};
	return shmheap_connect_ex(name, &o);
}

/* The pid recorded in slot i of h's table. */
static pid_t slot_pid(shmheap_memory_handle h, unsigned i)
{
	const unsigned char *t = (const unsigned char *)shmheap_underlying(h) +
				 HEAP_FIRST_OBJECT;
	const struct cache_table *tab = (const void *)t;
	uint32_t depth = __atomic_load_n(&tab->depth, __ATOMIC_RELAXED);
	if (i >= __atomic_load_n(&tab->slots, __ATOMIC_RELAXED) || depth > CACHE_DEPTH_MAX)
		return -1;
	const struct cache_slot *s = (const void *)(t + cache_table_head(depth) +
						    i * cache_slot_stride(depth));
	return (pid_t)__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
}

/* The first slot owned by pid, or -1. */
static int slot_of(shmheap_memory_handle h, pid_t pid)
{
	for (unsigned i = 0; i < CACHE_SLOTS_MAX; i++)
		if (slot_pid(h, i) == pid)
			return (int)i;
	return -1;
}

/* What shmheap_cache_stats says of pid's slot: its cached blocks (or -1 if
 * it has none) and whether it runs. */
static long cached_of(shmheap_memory_handle h, pid_t pid, int *alive)
{
	struct shmheap_cache_stats st;
	struct shmheap_cache_proc p[CACHE_SLOTS_MAX];
	if (shmheap_cache_stats(h, &st, p, CACHE_SLOTS_MAX) < 0)
		return -2;
	for (size_t i = 0; i < st.attached && i < CACHE_SLOTS_MAX; i++)
		if (p[i].pid == pid) {
			*alive = p[i].alive;
			return (long)p[i].cached_blocks;
		}
	return -1;
}

/* Allocates and frees objects of cached sizes, checking every one, so that
 * the connection's cache ends up holding blocks of several classes. */
static void churn(shmheap_memory_handle h, uint32_t owner, int rounds)
{
	enum { N = 48 };
	char *p[N];
	for (int r = 0; r < rounds; r++) {
		for (uint32_t i = 0; i < N; i++) {
			size_t len = 16 + (i % 8) * 40;
			p[i] = shmheap_alloc(h, len);
			TU_REQUIRE(p[i] != NULL, "alloc: %s", strerror(errno));
			tu_fill(p[i], len, owner, i);
		}
		for (uint32_t i = 0; i < N; i++) {
			size_t len = 16 + (i % 8) * 40;
			TU_REQUIRE(tu_verify(p[i], len, owner, i) < 0,
				   "object %u of %u changed: handed out twice", i, owner);
			TU_REQUIRE(shmheap_free_checked(h, p[i]) == 0, "free");
		}
	}
}

static void keep_objects(shmheap_memory_handle h, char **keep, uint32_t owner)
{
	for (uint32_t i = 0; i < KEEP; i++) {
		keep[i] = shmheap_alloc(h, 24 + i);
		TU_REQUIRE(keep[i] != NULL, "alloc");
		tu_fill(keep[i], 24 + i, owner, 1000 + i);
	}
}

static void verify_kept(char **keep, uint32_t owner)
{
	for (uint32_t i = 0; i < KEEP; i++)
		TU_REQUIRE(tu_verify(keep[i], 24 + i, owner, 1000 + i) < 0,
			   "kept object %u changed", i);
}

/* What an owner tells the test once its cache holds blocks. */
struct report {
	int32_t slot;
	int32_t cached;
};

static struct report report_of(shmheap_memory_handle h)
{
	int alive = 0;
	struct report r = {.slot = slot_of(h, getpid())};
	r.cached = (int32_t)cached_of(h, getpid(), &alive);
	TU_REQUIRE(r.slot >= 0 && r.cached > 0, "slot %d, %d blocks cached", r.slot,
		   r.cached);
	return r;
}

/* Asserts (from the test process) that owner's slot survived a sweep. */
static void assert_slot_kept(shmheap_memory_handle h, pid_t owner, struct report r)
{
	int alive = -1;
	ck_assert_int_eq(slot_pid(h, (unsigned)r.slot), owner);
	ck_assert_int_eq(cached_of(h, owner, &alive), r.cached);
	ck_assert_int_eq(alive, 1);
}

/* A child reports on ready and waits for a byte on go. */
static void make_pipes(int ready[2], int go[2])
{
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
}

/* After the fork: the test keeps only its ends, so that a child's death
 * reads as end of file rather than a wait without end. */
static void keep_parent_ends(int ready[2], int go[2])
{
	close(ready[1]);
	close(go[0]);
}

static void close_parent_ends(int ready[2], int go[2])
{
	close(ready[0]);
	close(go[1]);
}

/* ---- a leader that called pthread_exit while a worker runs ---- */

struct leader {
	const char *name;
	int ready[2], go[2];
	shmheap_memory_handle h;
	pthread_barrier_t connected;
};

static void *leader_worker(void *arg)
{
	struct leader *l = arg;
	pthread_barrier_wait(&l->connected);
	uint32_t me = (uint32_t)getpid();
	char *keep[KEEP];
	churn(l->h, me, 20);
	keep_objects(l->h, keep, me);
	churn(l->h, me, 1);
	struct report r = report_of(l->h);
	tu_write_all(l->ready[1], &r, sizeof(r));
	char go;
	TU_REQUIRE(tu_read_all(l->go[0], &go, 1) == 0, "no go");
	/* The newcomer has swept and allocated: nothing of ours moved. */
	verify_kept(keep, me);
	TU_REQUIRE(slot_pid(l->h, (unsigned)r.slot) == getpid(), "slot swept");
	churn(l->h, me, 50);
	verify_kept(keep, me);
	TU_REQUIRE(shmheap_check(l->h, NULL, NULL) == 0, "check");
	shmheap_disconnect(l->h);
	_exit(0);
}

static void leader(void *arg)
{
	struct leader *l = arg;
	l->h = connect_trusting(l->name);
	TU_REQUIRE(l->h != NULL, "connect: %s", strerror(errno));
	pthread_barrier_init(&l->connected, NULL, 2);
	pthread_t t;
	TU_REQUIRE(pthread_create(&t, NULL, leader_worker, l) == 0, "thread");
	pthread_barrier_wait(&l->connected);
	pthread_exit(NULL);
}

/* Waits (boundedly) until pid's main thread has exited: /proc shows the
 * leader as a zombie while its other threads run. */
static void wait_for_zombie_leader(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	for (int i = 0; i < 10000; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		ck_assert_int_gt(n, 0);
		buf[n] = 0;
		const char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'Z')
			return;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	ck_abort_msg("the leader of %ld never exited", (long)pid);
}

static const char *backing_name(int backing, const char *tag)
{
	static char buf[BT_NAME_MAX];
	char path[BT_NAME_MAX];
	switch (backing) {
	case 0:
		return tu_name(tag);
	case 1:
		return bt_sysv_name(0, buf, sizeof(buf));
	default:
		snprintf(buf, sizeof(buf), "%s", bt_file_name(tag, path, sizeof(path)));
		return buf;
	}
}

/* Before the fix: the newcomer found the leader a zombie, swept the slot and
 * took it, and two processes shared one cache. */
START_TEST(leader_exit_keeps_slot)
{
	static const char *const kinds[] = {"POSIX", "System V", "file"};
	const char *name = backing_name(_i, "leader");
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	shmheap_memory_handle h = shmheap_create_ex(name, HEAP_BYTES, &o);
	ck_assert_msg(h != NULL, "%s: create %s: %s", kinds[_i], name, strerror(errno));

	struct leader l = {.name = name};
	make_pipes(l.ready, l.go);
	pid_t pid = tu_fork(leader, &l, 60);
	keep_parent_ends(l.ready, l.go);
	struct report r;
	char why[256];
	if (tu_read_all(l.ready[0], &r, sizeof(r)) < 0) {
		tu_wait(pid, 60, why, sizeof(why));
		ck_abort_msg("%s: the leader failed: %s", kinds[_i], why);
	}
	wait_for_zombie_leader(pid);

	shmheap_memory_handle g = shmheap_connect(name);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(tu_check(g), 0);
	assert_slot_kept(g, pid, r);
	/* The newcomer allocates what a wrongly swept cache would have freed. */
	char *keep[KEEP];
	keep_objects(g, keep, 7);
	churn(g, 7, 20);

	char go = 1;
	tu_write_all(l.go[1], &go, 1);
	ck_assert_msg(tu_wait(pid, 60, why, sizeof(why)) == 0, "%s: %s", kinds[_i], why);
	verify_kept(keep, 7);
	ck_assert_int_eq(tu_check(g), 0);
	close_parent_ends(l.ready, l.go);
	shmheap_disconnect(g);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- two users, /proc mounted hidepid=2 ---- */

struct world {
	const char *name;
	pid_t root_pid;
	struct report root_report;
	int root_alive; /* what nobody is told of root's process */
	int ready[2], go[2];
};

/* As nobody: connects (a sweep that cannot see root's process), fills its own
 * cache, and waits while root sweeps in turn. */
static void nobody(void *arg)
{
	struct world *w = arg;
	TU_REQUIRE(setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
			   setresuid(NOBODY, NOBODY, NOBODY) == 0,
		   "cannot become nobody");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld", (long)w->root_pid);
	TU_REQUIRE(access(path, F_OK) < 0, "/proc shows root's process to nobody");

	shmheap_memory_handle h = connect_trusting(w->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	int alive = 0;
	TU_REQUIRE(slot_pid(h, (unsigned)w->root_report.slot) == w->root_pid,
		   "nobody's connect swept root's slot");
	TU_REQUIRE(cached_of(h, w->root_pid, &alive) == w->root_report.cached,
		   "root's cache changed");
	TU_REQUIRE(alive == w->root_alive, "root's process reported as %d", alive);
	uint32_t me = (uint32_t)getpid();
	char *keep[KEEP];
	keep_objects(h, keep, me);
	churn(h, me, 20);
	struct report r = report_of(h);
	TU_REQUIRE(r.slot != w->root_report.slot, "nobody got root's slot");
	tu_write_all(w->ready[1], &r, sizeof(r));
	char go;
	TU_REQUIRE(tu_read_all(w->go[0], &go, 1) == 0, "no go");
	TU_REQUIRE(slot_pid(h, (unsigned)r.slot) == getpid(), "root swept nobody's slot");
	verify_kept(keep, me);
	churn(h, me, 20);
	TU_REQUIRE(shmheap_check(h, NULL, NULL) == 0, "check");
	shmheap_disconnect(h);
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a, b;
	return uname(&u) == 0 && sscanf(u.release, "%d.%d", &a, &b) == 2 &&
	       (a > major || (a == major && b >= minor));
}

/* Root and nobody share a heap, each sweeping with the other's cache full. */
static void hidepid_round(const char *name, int root_alive)
{
	struct world w = {.name = name, .root_pid = getpid(), .root_alive = root_alive};
	struct shmheap_options o = {.flags = SHMHEAP_CACHED, .mode = 0666};
	shmheap_memory_handle h = shmheap_create_ex(w.name, HEAP_BYTES, &o);
	TU_REQUIRE(h != NULL, "create %s: %s", name, strerror(errno));
	char *keep[KEEP];
	keep_objects(h, keep, 1);
	churn(h, 1, 20);
	w.root_report = report_of(h);

	TU_REQUIRE(pipe(w.ready) == 0 && pipe(w.go) == 0, "pipe");
	pid_t pid = tu_fork(nobody, &w, 60);
	keep_parent_ends(w.ready, w.go);
	struct report r;
	TU_REQUIRE(tu_read_all(w.ready[0], &r, sizeof(r)) == 0, "%s: nobody failed", name);
	/* Root sweeps (it sees every process) with nobody's cache full. */
	shmheap_memory_handle g = connect_trusting(w.name);
	TU_REQUIRE(g != NULL, "connect: %s", strerror(errno));
	TU_REQUIRE(shmheap_check(g, NULL, NULL) == 0, "check");
	TU_REQUIRE(slot_pid(g, (unsigned)r.slot) == pid, "root swept nobody's slot");
	char go = 1;
	tu_write_all(w.go[1], &go, 1);
	char why[256];
	TU_REQUIRE(tu_wait(pid, 60, why, sizeof(why)) == 0, "%s: nobody: %s", name, why);
	verify_kept(keep, 1);
	churn(h, 1, 20);
	TU_REQUIRE(shmheap_check(g, NULL, NULL) == 0, "check");
	close_parent_ends(w.ready, w.go);
	shmheap_disconnect(g);
	shmheap_destroy(w.name, h);
}

/* As root in a mount namespace of its own whose /proc hides other users'
 * processes (per mount since Linux 5.8: the host's /proc is left alone). */
static void hidepid_world(void *arg)
{
	(void)arg;
	if (!kernel_at_least(5, 8) || unshare(CLONE_NEWNS) < 0)
		_exit(SKIP_STATUS);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") <
		    0)
		_exit(SKIP_STATUS);

	/* A file descriptor tells liveness by its lock; a System V segment by
	 * pid alone, which nobody cannot check: root's slot is reserved. */
	char sysv[BT_NAME_MAX];
	hidepid_round(tu_name("hidepid"), 1);
	hidepid_round(bt_sysv_name(1, sysv, sizeof(sysv)), 2);
}

/* Before the fix: nobody could not open /proc/ROOTPID/stat, took root's
 * process for gone and swept its slot. */
START_TEST(hidepid_keeps_other_users_slot)
{
	if (tu_need_root("a hidepid=2 /proc of its own and a second user need root"))
		return;
	pid_t pid = tu_fork(hidepid_world, NULL, 120);
	char why[256];
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid); /* the child runs under alarm */
	if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS) {
		fprintf(stderr, "hidepid_keeps_other_users_slot: skipped "
				"(needs unshare -m and a per-mount hidepid, Linux 5.8)\n");
		return;
	}
	snprintf(why, sizeof(why), "status %#x", status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", why);
}
END_TEST

/* ---- an owner in another pid namespace ---- */

struct guest {
	const char *name;
	int ready[2], go[2];
};

static void guest_in_namespace(void *arg)
{
	struct guest *g = arg;
	shmheap_memory_handle h = shmheap_connect(g->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	TU_REQUIRE(getpid() == 1, "not the first process of a new pid namespace");
	uint32_t me = 0x6e5;
	char *keep[KEEP];
	keep_objects(h, keep, me);
	churn(h, me, 20);
	struct report r = report_of(h);
	tu_write_all(g->ready[1], &r, sizeof(r));
	char go;
	TU_REQUIRE(tu_read_all(g->go[0], &go, 1) == 0, "no go");
	TU_REQUIRE(slot_pid(h, (unsigned)r.slot) == getpid(), "slot swept");
	verify_kept(keep, me);
	churn(h, me, 20);
	TU_REQUIRE(shmheap_check(h, NULL, NULL) == 0, "check");
	/* It ends without disconnecting: the test's sweep must then free it. */
}

/* Forks the guest as pid 1 of a new pid namespace and waits for it. */
static void namespace_parent(void *arg)
{
	if (unshare(CLONE_NEWPID) < 0)
		_exit(SKIP_STATUS);
	pid_t pid = tu_fork(guest_in_namespace, arg, 60);
	char why[256];
	TU_REQUIRE(tu_wait(pid, 60, why, sizeof(why)) == 0, "guest: %s", why);
}

/* Before the fix: the guest's slot said pid 1, which is init here, whose
 * start time differs: the guest was taken for gone. */
START_TEST(other_pid_namespace)
{
	if (tu_need_root("a pid namespace of its own needs root"))
		return;
	struct guest gu = {.name = tu_name("pidns")};
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	shmheap_memory_handle h = shmheap_create_ex(gu.name, HEAP_BYTES, &o);
	ck_assert_ptr_nonnull(h);
	make_pipes(gu.ready, gu.go);
	pid_t pid = tu_fork(namespace_parent, &gu, 90);
	keep_parent_ends(gu.ready, gu.go);
	struct report r;
	if (tu_read_all(gu.ready[0], &r, sizeof(r)) < 0) {
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS,
			      "namespace child status %#x", status);
		fprintf(stderr, "other_pid_namespace: skipped (no unshare -p)\n");
		close_parent_ends(gu.ready, gu.go);
		shmheap_destroy(gu.name, h);
		return;
	}
	shmheap_memory_handle g = shmheap_connect(gu.name);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(tu_check(g), 0);
	ck_assert_int_eq(slot_pid(g, (unsigned)r.slot), 1);
	char *keep[KEEP];
	keep_objects(g, keep, 7);
	churn(g, 7, 20);
	char go = 1;
	tu_write_all(gu.go[1], &go, 1);
	char why[256];
	ck_assert_msg(tu_wait(pid, 60, why, sizeof(why)) == 0, "%s", why);
	/* Ended (its lock went with it): the next sweep frees the slot. */
	ck_assert_int_eq(tu_check(g), 0);
	ck_assert_int_eq(slot_pid(g, (unsigned)r.slot), 0);
	verify_kept(keep, 7);
	close_parent_ends(gu.ready, gu.go);
	shmheap_disconnect(g);
	shmheap_destroy(gu.name, h);
}
END_TEST

/* ---- the byte lock itself ---- */

/* Whether slot i's byte is locked, as another description of path sees it. */
static int byte_locked(const char *path, unsigned i)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	struct flock fl = {.l_type = F_WRLCK,
			   .l_whence = SEEK_SET,
			   .l_start = LIVENESS_LOCK_BASE + (off_t)i,
			   .l_len = 1};
	ck_assert_int_eq(fcntl(fd, F_OFD_GETLK, &fl), 0);
	close(fd);
	return fl.l_type != F_UNLCK;
}

static uint32_t slot_mark(shmheap_memory_handle h, unsigned i)
{
	unsigned char *t = (unsigned char *)shmheap_underlying(h) + HEAP_FIRST_OBJECT;
	struct cache_table hdr = cache_table_read(t);
	return __atomic_load_n(&cache_slot_at(t, &hdr, i)->mark, __ATOMIC_RELAXED);
}

/* A connection holds its slot's byte from connect to disconnect, and its
 * slot says so; on a System V heap (no descriptor) it says it does not. */
START_TEST(slot_lock_follows_connection)
{
	const char *name = tu_name("byte");
	char path[TU_NAME_MAX + 16];
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	shmheap_memory_handle h = shmheap_create_ex(name, HEAP_BYTES, &o);
	ck_assert_ptr_nonnull(h);
	shmheap_memory_handle g = shmheap_connect(name);
	ck_assert_ptr_nonnull(g);
	/* The creator took slot 0, the second connection slot 1. */
	ck_assert_int_eq(slot_pid(h, 1), getpid());
	ck_assert(slot_mark(h, 1) & LIVENESS_MARK_LOCKED);
	ck_assert(byte_locked(path, 0));
	ck_assert(byte_locked(path, 1));
	ck_assert(!byte_locked(path, 2));
	shmheap_disconnect(g);
	ck_assert(!byte_locked(path, 1));
	ck_assert_int_eq(slot_pid(h, 1), 0);
	ck_assert_uint_eq(slot_mark(h, 1), 0);
	shmheap_destroy(name, h);

	char sysv[BT_NAME_MAX];
	h = shmheap_create_ex(bt_sysv_name(2, sysv, sizeof(sysv)), HEAP_BYTES, &o);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(slot_pid(h, 0), getpid());
	ck_assert(!(slot_mark(h, 0) & LIVENESS_MARK_LOCKED));
	ck_assert(slot_mark(h, 0) & LIVENESS_MARK_OURS);
	shmheap_destroy(sysv, h);
}
END_TEST

/* ---- forked children ---- */

static void disconnect_in_child(void *arg)
{
	shmheap_memory_handle h = arg;
	TU_REQUIRE(shmheap_alloc(h, 40) != NULL, "alloc");
	shmheap_disconnect(h);
}

/* The child shares the description that holds the parent's byte lock: its
 * disconnect and its exit must leave the lock (and so the slot) alone. */
START_TEST(child_disconnect_keeps_parent_slot)
{
	const char *name = tu_name("child");
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	shmheap_memory_handle h = shmheap_create_ex(name, HEAP_BYTES, &o);
	ck_assert_ptr_nonnull(h);
	churn(h, 3, 5);
	int alive = 0;
	struct report r = {.slot = slot_of(h, getpid())};
	r.cached = (int32_t)cached_of(h, getpid(), &alive);
	ck_assert_int_gt(r.cached, 0);
	char why[256];
	pid_t pid = tu_fork(disconnect_in_child, h, 30);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	shmheap_memory_handle g = shmheap_connect(name);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(tu_check(g), 0);
	assert_slot_kept(g, getpid(), r);
	shmheap_disconnect(g);
	shmheap_destroy(name, h);
}
END_TEST

struct orphan {
	const char *name;
	int ready[2], go[2];
};

static void owner_that_forks(void *arg)
{
	struct orphan *o = arg;
	shmheap_memory_handle h = shmheap_connect(o->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	churn(h, 4, 5);
	struct report r = report_of(h);
	pid_t child = fork();
	TU_REQUIRE(child >= 0, "fork");
	if (child == 0) {
		/* Lives on after its parent, holding (with every descriptor)
		 * the description of the parent's byte lock, until told. */
		char go;
		close(o->go[1]);
		alarm(30);
		(void)tu_read_all(o->go[0], &go, 1);
		_exit(0);
	}
	tu_write_all(o->ready[1], &r, sizeof(r));
	_exit(0); /* without disconnecting */
}

/* An owner that ended while a child it forked lives on: its slot is freed
 * (its pid is gone in this namespace), though the child holds its lock. */
START_TEST(orphan_does_not_keep_slot)
{
	struct orphan o = {.name = tu_name("orphan")};
	struct shmheap_options opt = {.flags = SHMHEAP_CACHED};
	shmheap_memory_handle h = shmheap_create_ex(o.name, HEAP_BYTES, &opt);
	ck_assert_ptr_nonnull(h);
	make_pipes(o.ready, o.go);
	char why[256];
	pid_t pid = tu_fork(owner_that_forks, &o, 30);
	keep_parent_ends(o.ready, o.go);
	struct report r;
	ck_assert_int_eq(tu_read_all(o.ready[0], &r, sizeof(r)), 0);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);

	shmheap_memory_handle g = shmheap_connect(o.name);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(tu_check(g), 0);
	int alive;
	ck_assert_int_eq(cached_of(g, pid, &alive), -1);
	ck_assert_int_ne(slot_pid(g, (unsigned)r.slot), pid);
	struct shmheap_cache_stats st;
	ck_assert_int_eq(shmheap_cache_stats(g, &st, NULL, 0), 0);
	ck_assert_uint_eq(st.attached, 2);
	ck_assert_uint_eq(st.cached_bytes, 0);
	char go = 1;
	tu_write_all(o.go[1], &go, 1);
	close_parent_ends(o.ready, o.go);
	shmheap_disconnect(g);
	shmheap_destroy(o.name, h);
}
END_TEST

static Suite *liveness_suite(void)
{
	Suite *s = suite_create("liveness");
	TCase *tc = bt_tcase("owners", 240);
	tcase_add_loop_test(tc, leader_exit_keeps_slot, 0, 3);
	tcase_add_test(tc, hidepid_keeps_other_users_slot);
	tcase_add_test(tc, other_pid_namespace);
	tcase_add_test(tc, slot_lock_follows_connection);
	tcase_add_test(tc, child_disconnect_keeps_parent_slot);
	tcase_add_test(tc, orphan_does_not_keep_slot);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return bt_run(liveness_suite());
}
