/* SPDX-License-Identifier: MIT */
/*
 * test-shmseg.c - the numbered shared segments of shmseg.h: every call's
 * happy path and errors, two processes at two fixed addresses, attach counts
 * after a crash, no leak over many cycles, racing creators and threads, and
 *
 * the namespace lock (held by a process killed meanwhile, squatted by another
 * user).
 *
 * Every run uses its own namespace (SHMHEAP_SEGMENTS=test-shmseg-<pid>); each
 * test removes its segments in the checked teardown, and the runner removes
 * whatever is left of the namespace (segments and lock) at the end.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmseg.h"
#include "testutil.h"

#define ADDR_A ((void *)0x10000000)
#define ADDR_B ((void *)0x20000000)

static size_t pagesz(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* The System V key of id 0 of the namespace: the key of its lock too. */
static key_t namespace_key(void)
{
	int id = shmseg_create(1);
	ck_assert_int_ge(id, 0);
	struct shmseg_stat st;
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	ck_assert_int_eq(shmseg_destroy(id), 0);
	return (key_t)(st.sysv_key - id);
}

/* semctl(2): the caller defines it. */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* The namespace lock's semaphore set, or -1 (ENOENT: there is none). */
static int lock_semid(key_t key)
{
	return semget(key, 0, 0);
}

/* Removes every segment of the namespace; force: even attached ones, and a
 * lock left behind (by a failed test, or whoever made it). */
static void sweep_namespace(bool force)
{
	key_t key = -1;
	for (int id = 0; id < SHMSEG_MAX_IDS; id++) {
		struct shmseg_stat st;
		if (shmseg_stat(id, &st) < 0)
			continue;
		key = (key_t)(st.sysv_key - id);
		shmseg_detach(id);
		if (shmseg_destroy(id) < 0 && force)
			shmctl(st.sysv_id, IPC_RMID, NULL);
	}
	if (force) {
		if (key == -1) {
			int id = shmseg_create(1);
			struct shmseg_stat st;
			if (id < 0 || shmseg_stat(id, &st) < 0)
				return;
			key = (key_t)(st.sysv_key - id);
			shmctl(st.sysv_id, IPC_RMID, NULL);
		}
		int semid = lock_semid(key);
		if (semid >= 0)
			semctl(semid, 0, IPC_RMID);
	}
}

static void teardown(void)
{
	sweep_namespace(false);
}

static int count_segments(void)
{
	int n = 0;
	struct shmseg_stat st;
	for (int id = 0; id < SHMSEG_MAX_IDS; id++)
		n += shmseg_stat(id, &st) == 0;
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Mappings of System V segments (sanitizers add anonymous ones at will). */
static int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	ck_assert_ptr_nonnull(f);
	int n = 0;
	char line[512];
	while (fgets(line, sizeof(line), f))
		n += strstr(line, " /SYSV") != NULL;
	fclose(f);
	return n;
}

START_TEST(create_attach_detach_destroy)
{
	int id = shmseg_create(100);
	ck_assert_int_ge(id, 0);
	struct shmseg_stat st;
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	ck_assert_uint_eq(st.size, pagesz()); /* rounded up to a page */
	ck_assert_uint_eq(st.nattach, 0);
	ck_assert_int_eq(st.creator, getpid());

	unsigned char *p = shmseg_attach(id, NULL);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < pagesz(); i++)
		ck_assert_uint_eq(p[i], 0);
	memcpy(p, "hello", 6);
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	ck_assert_uint_eq(st.nattach, 1);
	ck_assert_int_eq(shmseg_detach(id), 0);
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	ck_assert_uint_eq(st.nattach, 0);

	/* Detached is not destroyed: the contents stay. */
	p = shmseg_attach(id, ADDR_A);
	ck_assert_ptr_eq(p, ADDR_A);
	ck_assert_str_eq((char *)p, "hello");
	ck_assert_int_eq(shmseg_detach(id), 0);
	ck_assert_int_eq(shmseg_destroy(id), 0);
	errno = 0;
	ck_assert_int_eq(shmseg_stat(id, &st), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* Sizes round up to whole pages; ids are reused once free. */
	int id2 = shmseg_create(pagesz() + 1);
	ck_assert_int_eq(id2, id);
	ck_assert_int_eq(shmseg_stat(id2, &st), 0);
	ck_assert_uint_eq(st.size, 2 * pagesz());
	ck_assert_int_eq(shmseg_destroy(id2), 0);
}
END_TEST

START_TEST(open_and_close)
{
	void *p, *q;
	struct shmseg_stat st;
	ck_assert_int_eq(shmseg_open(7, &p), 0);
	ck_assert_int_eq(shmseg_stat(7, &st), 0);
	ck_assert_uint_eq(st.size, pagesz());
	ck_assert_uint_eq(st.nattach, 1);
	*(int *)p = 41;

	/* A second process opens the same page, and its close is not the last. */
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		shmseg_detach(7); /* the attachment fork copied */
		void *c;
		int ok = shmseg_open(7, &c) == 0 && ++*(int *)c == 42 &&
			 shmseg_close(7) == 0;
		_exit(ok ? 0 : 1);
	}
	char why[128];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(*(int *)p, 42);
	ck_assert_int_eq(shmseg_stat(7, &st), 0);
	close(fds[0]);
	close(fds[1]);

	/* The last close removes it. */
	ck_assert_int_eq(shmseg_close(7), 0);
	errno = 0;
	ck_assert_int_eq(shmseg_stat(7, &st), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* open attaches an existing segment of any size. */
	int id = shmseg_create(3 * pagesz());
	ck_assert_int_ge(id, 0);
	ck_assert_int_eq(shmseg_open(id, &q), 0);
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	ck_assert_uint_eq(st.size, 3 * pagesz());
	ck_assert_int_eq(shmseg_close(id), 0);
	ck_assert_int_eq(count_segments(), 0);
}
END_TEST

#define EXPECT_ERR(call, err)                                                          \
	do {                                                                           \
		errno = 0;                                                             \
		ck_assert_msg((call) == -1, #call " succeeded");                       \
		ck_assert_msg(errno == (err), #call ": errno %d (%s), expected " #err, \
			      errno, strerror(errno));                                 \
	} while (0)
#define EXPECT_NULL(call, err)                                                         \
	do {                                                                           \
		errno = 0;                                                             \
		ck_assert_msg((call) == NULL, #call " succeeded");                     \
		ck_assert_msg(errno == (err), #call ": errno %d (%s), expected " #err, \
			      errno, strerror(errno));                                 \
	} while (0)

START_TEST(bad_arguments)
{
	void *p;
	EXPECT_ERR(shmseg_create(0), EINVAL);
	EXPECT_ERR(shmseg_create(SIZE_MAX), EINVAL);
	EXPECT_NULL(shmseg_attach(-1, NULL), EINVAL);
	EXPECT_NULL(shmseg_attach(SHMSEG_MAX_IDS, NULL), EINVAL);
	EXPECT_ERR(shmseg_detach(-1), EINVAL);
	EXPECT_ERR(shmseg_destroy(SHMSEG_MAX_IDS), EINVAL);
	EXPECT_ERR(shmseg_open(-5, &p), EINVAL);
	EXPECT_ERR(shmseg_open(1, NULL), EINVAL);
	EXPECT_ERR(shmseg_close(SHMSEG_MAX_IDS), EINVAL);
	struct shmseg_stat st;
	EXPECT_ERR(shmseg_stat(-1, &st), EINVAL);
	EXPECT_ERR(shmseg_stat(0, NULL), EINVAL);

	/* No such id. */
	EXPECT_NULL(shmseg_attach(3, NULL), ENOENT);
	EXPECT_ERR(shmseg_detach(3), ENOENT);
	EXPECT_ERR(shmseg_destroy(3), ENOENT);
	EXPECT_ERR(shmseg_close(3), ENOENT);
	EXPECT_ERR(shmseg_stat(3, &st), ENOENT);

	/* An address that is not page-aligned. */
	int id = shmseg_create(1);
	ck_assert_int_ge(id, 0);
	EXPECT_NULL(shmseg_attach(id, (char *)ADDR_A + 1), EINVAL);

	/* Not attached here. */
	EXPECT_ERR(shmseg_detach(id), EINVAL);
	EXPECT_ERR(shmseg_close(id), EINVAL);
	ck_assert_int_eq(count_segments(), 1); /* a refused close removes nothing */

	/* Attached already: attach and open refuse a second attachment. */
	ck_assert_ptr_nonnull(shmseg_attach(id, NULL));
	EXPECT_NULL(shmseg_attach(id, NULL), EBUSY);
	EXPECT_ERR(shmseg_open(id, &p), EBUSY);
	EXPECT_ERR(shmseg_destroy(id), EBUSY);
	ck_assert_int_eq(shmseg_detach(id), 0);
	EXPECT_ERR(shmseg_detach(id), EINVAL);
	ck_assert_int_eq(shmseg_destroy(id), 0);

	/* A namespace name longer than 255 bytes. */
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	char *saved = strdup(getenv("SHMHEAP_SEGMENTS"));
	setenv("SHMHEAP_SEGMENTS", longname, 1);
	EXPECT_ERR(shmseg_create(1), EINVAL);
	setenv("SHMHEAP_SEGMENTS", saved, 1);
	free(saved);
}
END_TEST

START_TEST(taken_address_is_not_clobbered)
{
	size_t len = 2 * pagesz();
	/* Something of ours at ADDR_A + one page: the segment would overlap it. */
	char *mine = mmap((char *)ADDR_A + pagesz(), pagesz(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ck_assert_ptr_eq(mine, (char *)ADDR_A + pagesz());
	memset(mine, 0x5a, pagesz());

	int id = shmseg_create(len);
	ck_assert_int_ge(id, 0);
	EXPECT_NULL(shmseg_attach(id, ADDR_A), EEXIST);
	EXPECT_NULL(shmseg_attach(id, mine), EEXIST);
	for (size_t i = 0; i < pagesz(); i++)
		ck_assert_uint_eq((unsigned char)mine[i], 0x5a);
	struct shmseg_stat st;
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	ck_assert_uint_eq(st.nattach, 0);
	/* Next to it is free. */
	ck_assert_ptr_eq(shmseg_attach(id, mine + pagesz()), mine + pagesz());
	ck_assert_int_eq(shmseg_detach(id), 0);
	ck_assert_int_eq(shmseg_destroy(id), 0);
	munmap(mine, pagesz());
}
END_TEST

/* A key of the namespace that holds a segment of another owner is refused. */
START_TEST(foreign_owner_refused)
{
	int id = shmseg_create(1);
	ck_assert_int_ge(id, 0);
	struct shmseg_stat st;
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	struct shmid_ds ds;
	ck_assert_int_eq(shmctl(st.sysv_id, IPC_STAT, &ds), 0);
	uid_t mine = ds.shm_perm.uid;
	ds.shm_perm.uid = mine + 4242;
	if (shmctl(st.sysv_id, IPC_SET, &ds) < 0) {
		/* Only a privileged process may give a segment away. */
		ck_assert_int_eq(errno, EPERM);
		ck_assert_int_eq(shmseg_destroy(id), 0);
		return;
	}
	void *p;
	EXPECT_NULL(shmseg_attach(id, NULL), EACCES);
	EXPECT_ERR(shmseg_open(id, &p), EACCES);
	EXPECT_ERR(shmseg_destroy(id), EACCES);
	EXPECT_ERR(shmseg_stat(id, &st), EACCES);
	/* shmseg_create skips the key. */
	int other = shmseg_create(1);
	ck_assert_int_ge(other, 0);
	ck_assert_int_ne(other, id);
	ck_assert_int_eq(shmseg_destroy(other), 0);
	ds.shm_perm.uid = mine;
	ck_assert_int_eq(shmctl(st.sysv_id, IPC_SET, &ds), 0);
	ck_assert_int_eq(shmseg_destroy(id), 0);
}
END_TEST

START_TEST(table_full)
{
	int made = 0;
	for (;;) {
		int id = shmseg_create(1);
		if (id < 0) {
			ck_assert_msg(errno == ENOSPC, "create %d: %s", made,
				      strerror(errno));
			break;
		}
		ck_assert_int_eq(id, made);
		made++;
	}
	ck_assert_int_eq(made, SHMSEG_MAX_IDS);
	void *p;
	EXPECT_NULL(shmseg_attach(SHMSEG_MAX_IDS, NULL), EINVAL);
	/* open of an existing id still works when the table is full. */
	ck_assert_int_eq(shmseg_open(SHMSEG_MAX_IDS - 1, &p), 0);
	ck_assert_int_eq(shmseg_close(SHMSEG_MAX_IDS - 1), 0);
	ck_assert_int_eq(shmseg_create(1), SHMSEG_MAX_IDS - 1);
	for (int id = 0; id < SHMSEG_MAX_IDS; id++)
		ck_assert_int_eq(shmseg_destroy(id), 0);
	ck_assert_int_eq(count_segments(), 0);
}
END_TEST

/* The child of two_processes: attaches at ADDR_B, answers the parent. */
struct two_arg {
	int id;
	int to_child, to_parent;
};

static void two_child(void *varg)
{
	struct two_arg *a = varg;
	shmseg_detach(a->id); /* fork copied the parent's attachment */
	char *p = shmseg_attach(a->id, ADDR_B);
	TU_REQUIRE(p == ADDR_B, "attach at %p: %s", ADDR_B, strerror(errno));
	char c;
	TU_REQUIRE(tu_read_all(a->to_child, &c, 1) == 0, "no word from the parent");
	TU_REQUIRE(strcmp(p, "from the parent") == 0, "child reads '%.20s'", p);
	strcpy(p + 100, "from the child");
	tu_write_all(a->to_parent, "k", 1);
	TU_REQUIRE(shmseg_detach(a->id) == 0, "detach: %s", strerror(errno));
}

START_TEST(two_processes_two_addresses)
{
	struct two_arg a;
	int down[2], up[2];
	ck_assert_int_eq(pipe(down), 0);
	ck_assert_int_eq(pipe(up), 0);
	a.id = shmseg_create(8192);
	ck_assert_int_ge(a.id, 0);
	a.to_child = down[0];
	a.to_parent = up[1];
	char *p = shmseg_attach(a.id, ADDR_A);
	ck_assert_ptr_eq(p, ADDR_A);
	pid_t pid = tu_fork(two_child, &a, 30);
	strcpy(p, "from the parent");
	tu_write_all(down[1], "g", 1);
	char c;
	ck_assert_int_eq(tu_read_all(up[0], &c, 1), 0);
	ck_assert_str_eq(p + 100, "from the child");
	char why[128];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(shmseg_detach(a.id), 0);
	ck_assert_int_eq(shmseg_destroy(a.id), 0);
	close(down[0]);
	close(down[1]);
	close(up[0]);
	close(up[1]);
}
END_TEST

START_TEST(destroy_waits_for_live_processes_only)
{
	int id = shmseg_create(1);
	ck_assert_int_ge(id, 0);
	int up[2];
	ck_assert_int_eq(pipe(up), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(60);
		if (!shmseg_attach(id, NULL))
			_exit(1);
		write(up[1], "a", 1);
		for (;;)
			pause();
	}
	char c;
	ck_assert_int_eq(tu_read_all(up[0], &c, 1), 0);
	struct shmseg_stat st;
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	ck_assert_uint_eq(st.nattach, 1);
	EXPECT_ERR(shmseg_destroy(id), EBUSY);

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int wst;
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
	ck_assert_int_eq(shmseg_stat(id, &st), 0);
	ck_assert_uint_eq(st.nattach, 0);
	ck_assert_int_eq(shmseg_destroy(id), 0);

	/* The same through open/close: the killed opener does not keep the
	 * page alive; the survivor's close is the last and removes it. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(60);
		void *p;
		if (shmseg_open(5, &p) < 0)
			_exit(1);
		write(up[1], "o", 1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(tu_read_all(up[0], &c, 1), 0);
	void *p;
	ck_assert_int_eq(shmseg_open(5, &p), 0);
	ck_assert_int_eq(shmseg_stat(5, &st), 0);
	ck_assert_uint_eq(st.nattach, 2);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert_int_eq(shmseg_close(5), 0);
	EXPECT_ERR(shmseg_stat(5, &st), ENOENT);
	close(up[0]);
	close(up[1]);
}
END_TEST

START_TEST(thousand_cycles_leave_nothing)
{
	/* Warm up once, so that lazily opened descriptors are already counted. */
	int id = shmseg_create(1);
	ck_assert_int_ge(id, 0);
	ck_assert_ptr_nonnull(shmseg_attach(id, NULL));
	ck_assert_int_eq(shmseg_detach(id), 0);
	ck_assert_int_eq(shmseg_destroy(id), 0);

	int fds = count_fds(), maps = count_mappings();
	ck_assert_int_eq(maps, 0);
	for (int i = 0; i < 1000; i++) {
		id = shmseg_create(8192);
		ck_assert_int_ge(id, 0);
		char *p = shmseg_attach(id, i % 2 ? ADDR_A : NULL);
		ck_assert_ptr_nonnull(p);
		p[8191] = (char)i;
		ck_assert_int_eq(shmseg_detach(id), 0);
		ck_assert_int_eq(shmseg_destroy(id), 0);
		void *q;
		ck_assert_int_eq(shmseg_open(9, &q), 0);
		ck_assert_int_eq(shmseg_close(9), 0);
	}
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(count_mappings(), maps);
	ck_assert_int_eq(count_segments(), 0);
}
END_TEST

#define CREATORS 8
#define PER_CREATOR 16

struct creator_arg {
	int out;
};

static void creator(void *varg)
{
	struct creator_arg *a = varg;
	int ids[PER_CREATOR];
	for (int i = 0; i < PER_CREATOR; i++) {
		ids[i] = shmseg_create(1);
		TU_REQUIRE(ids[i] >= 0, "create: %s", strerror(errno));
	}
	tu_write_all(a->out, ids, sizeof(ids));
}

START_TEST(concurrent_creators_get_distinct_ids)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	struct creator_arg a = {fds[1]};
	pid_t pids[CREATORS];
	for (int i = 0; i < CREATORS; i++)
		pids[i] = tu_fork(creator, &a, 60);
	close(fds[1]);
	bool seen[SHMSEG_MAX_IDS] = {false};
	int ids[PER_CREATOR], total = 0;
	while (tu_read_all(fds[0], ids, sizeof(ids)) == 0) {
		for (int i = 0; i < PER_CREATOR; i++) {
			ck_assert_int_ge(ids[i], 0);
			ck_assert_int_lt(ids[i], SHMSEG_MAX_IDS);
			ck_assert_msg(!seen[ids[i]], "id %d given twice", ids[i]);
			seen[ids[i]] = true;
			total++;
		}
	}
	close(fds[0]);
	char why[128];
	ck_assert_msg(tu_wait_all(pids, CREATORS, 60, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(total, CREATORS * PER_CREATOR);
	ck_assert_int_eq(count_segments(), CREATORS * PER_CREATOR);
	for (int id = 0; id < SHMSEG_MAX_IDS; id++)
		if (seen[id])
			ck_assert_int_eq(shmseg_destroy(id), 0);
}
END_TEST

/* Threads of one process attaching one id: exactly one wins each round. */
struct race {
	int id;
	pthread_barrier_t *go;
	void *got;
	int err;
};

static void *race_attach(void *varg)
{
	struct race *r = varg;
	pthread_barrier_wait(r->go);
	r->got = shmseg_attach(r->id, NULL);
	r->err = r->got ? 0 : errno;
	return NULL;
}

START_TEST(threads_attach_once)
{
	enum { THREADS = 4, ROUNDS = 50 };
	int id = shmseg_create(1);
	ck_assert_int_ge(id, 0);
	for (int round = 0; round < ROUNDS; round++) {
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, THREADS);
		pthread_t t[THREADS];
		struct race r[THREADS];
		for (int i = 0; i < THREADS; i++) {
			r[i] = (struct race){id, &go, NULL, 0};
			ck_assert_int_eq(pthread_create(&t[i], NULL, race_attach, &r[i]),
					 0);
		}
		int won = 0;
		for (int i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			if (r[i].got)
				won++;
			else
				ck_assert_int_eq(r[i].err, EBUSY);
		}
		pthread_barrier_destroy(&go);
		ck_assert_int_eq(won, 1);
		struct shmseg_stat st;
		ck_assert_int_eq(shmseg_stat(id, &st), 0);
		ck_assert_uint_eq(st.nattach, 1);
		ck_assert_int_eq(shmseg_detach(id), 0);
	}
	ck_assert_int_eq(shmseg_destroy(id), 0);
}
END_TEST

/* Takes the namespace lock as the library does (semaphore 0 of the set with
 * the namespace's key: 0 free, 1 held; SEM_UNDO gives it back at exit), says
 * so on fd, and waits to be killed. */
struct holder_arg {
	key_t key;
	int fd;
};

static void hold_lock(void *varg)
{
	struct holder_arg *a = varg;
	int semid = lock_semid(a->key);
	TU_REQUIRE(semid >= 0, "no lock: %s", strerror(errno));
	struct sembuf take[2] = {{0, 0, 0}, {0, 1, SEM_UNDO}};
	TU_REQUIRE(semop(semid, take, 2) == 0, "semop: %s", strerror(errno));
	tu_write_all(a->fd, "h", 1);
	for (;;)
		pause();
}

/* The lock is a 0600 semaphore of the caller's that lives as long as the
 * namespace has segments; a holder killed in a call does not keep it. */
START_TEST(lock_released_when_holder_dies)
{
	key_t key = namespace_key();
	errno = 0;
	ck_assert_int_eq(lock_semid(key), -1); /* an empty namespace has no lock */
	ck_assert_int_eq(errno, ENOENT);

	int id = shmseg_create(1);
	ck_assert_int_ge(id, 0);
	ck_assert_ptr_nonnull(shmseg_attach(id, NULL));
	ck_assert_int_eq(shmseg_detach(id), 0);
	int semid = lock_semid(key);
	ck_assert_int_ge(semid, 0);
	struct semid_ds ds;
	ck_assert_int_eq(semctl(semid, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	ck_assert_uint_eq(ds.sem_perm.uid, geteuid());
	ck_assert_uint_eq(ds.sem_perm.cuid, geteuid());
	ck_assert_uint_eq(ds.sem_perm.mode & 0777, 0600);
	ck_assert_uint_eq(ds.sem_nsems, 1);

	int up[2];
	ck_assert_int_eq(pipe(up), 0);
	struct holder_arg a = {key, up[1]};
	pid_t pid = tu_fork(hold_lock, &a, 60);
	char c;
	ck_assert_int_eq(tu_read_all(up[0], &c, 1), 0);
	/* Held: the calls that take it wait, a bounded time. */
	EXPECT_ERR(shmseg_destroy(id), EAGAIN);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int wst;
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	/* Dead: the kernel gave it back. */
	ck_assert_ptr_nonnull(shmseg_attach(id, NULL));
	ck_assert_int_eq(shmseg_detach(id), 0);
	ck_assert_int_eq(shmseg_destroy(id), 0);
	/* The last segment took the lock with it; open and close likewise. */
	errno = 0;
	ck_assert_int_eq(lock_semid(key), -1);
	ck_assert_int_eq(errno, ENOENT);
	void *p;
	ck_assert_int_eq(shmseg_open(3, &p), 0);
	ck_assert_int_ge(lock_semid(key), 0);
	ck_assert_int_eq(shmseg_close(3), 0);
	ck_assert_int_eq(lock_semid(key), -1);
	/* A call that finds nothing takes no lock away with it either. */
	EXPECT_NULL(shmseg_attach(3, NULL), ENOENT);
	ck_assert_int_eq(lock_semid(key), -1);
	close(up[0]);
	close(up[1]);
}
END_TEST

#define NOBODY 65534

/* What another user can do against root's namespace: bind the abstract
 * socket name of the former lock, or make a semaphore with the lock's key
 * (0666, held, even given to root with IPC_SET). */
enum squat { SQUAT_SOCKET, SQUAT_SEMAPHORE, SQUAT_SEMAPHORE_GIVEN };
struct squatter_arg {
	key_t key;
	enum squat how;
	int fd;
};

static void squat(void *varg)
{
	struct squatter_arg *a = varg;
	TU_REQUIRE(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0,
		   "become nobody: %s", strerror(errno));
	if (a->how == SQUAT_SOCKET) {
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
				 "shmheap-segments/%u/%08x", 0u, (unsigned)a->key);
		int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		TU_REQUIRE(fd >= 0 && bind(fd, (struct sockaddr *)&sa,
					   (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
						       1 + (size_t)n)) == 0,
			   "bind: %s", strerror(errno));
	} else {
		int semid = semget(a->key, 1, IPC_CREAT | IPC_EXCL | 0666);
		TU_REQUIRE(semid >= 0, "semget: %s", strerror(errno));
		struct sembuf take[2] = {{0, 0, 0}, {0, 1, SEM_UNDO}};
		TU_REQUIRE(semop(semid, take, 2) == 0, "semop: %s", strerror(errno));
		if (a->how == SQUAT_SEMAPHORE_GIVEN) {
			struct semid_ds ds;
			TU_REQUIRE(semctl(semid, 0, IPC_STAT, (union semun){.buf = &ds}) == 0,
				   "IPC_STAT");
			ds.sem_perm.uid = 0;
			ds.sem_perm.mode = 0600;
			TU_REQUIRE(semctl(semid, 0, IPC_SET, (union semun){.buf = &ds}) == 0,
				   "IPC_SET: %s", strerror(errno));
		}
	}
	tu_write_all(a->fd, "s", 1);
	for (;;)
		pause();
}

/* Another user cannot make root's calls wait: a squatted socket name does
 * nothing, and a semaphore squatting the lock's key makes the calls that take
 * the lock fail at once with EACCES (shmseg_create takes no lock). */
START_TEST(squatter_cannot_block_the_owner)
{
	if (tu_need_root("a squatter of another uid needs root"))
		return;
	key_t key = namespace_key();
	int up[2];
	ck_assert_int_eq(pipe(up), 0);
	char c, why[128];
	void *p;

	struct squatter_arg a = {key, SQUAT_SOCKET, up[1]};
	pid_t pid = tu_fork(squat, &a, 60);
	ck_assert_int_eq(tu_read_all(up[0], &c, 1), 0);
	int id = shmseg_create(1);
	ck_assert_int_ge(id, 0);
	ck_assert_ptr_nonnull(shmseg_attach(id, NULL));
	ck_assert_int_eq(shmseg_detach(id), 0);
	ck_assert_int_eq(shmseg_open(7, &p), 0);
	ck_assert_int_eq(shmseg_close(7), 0);
	ck_assert_int_eq(shmseg_destroy(id), 0);
	kill(pid, SIGKILL);
	tu_wait(pid, 30, why, sizeof(why));

	for (enum squat how = SQUAT_SEMAPHORE; how <= SQUAT_SEMAPHORE_GIVEN; how++) {
		a.how = how;
		pid = tu_fork(squat, &a, 60);
		ck_assert_int_eq(tu_read_all(up[0], &c, 1), 0);
		id = shmseg_create(1);
		ck_assert_int_ge(id, 0);
		EXPECT_NULL(shmseg_attach(id, NULL), EACCES);
		EXPECT_ERR(shmseg_open(7, &p), EACCES);
		EXPECT_ERR(shmseg_destroy(id), EACCES);
		struct shmseg_stat st;
		ck_assert_int_eq(shmseg_stat(id, &st), 0); /* takes no lock */
		kill(pid, SIGKILL);
		tu_wait(pid, 30, why, sizeof(why));
		/* Once the squatter's semaphore is gone, all is as before. */
		int semid = lock_semid(key);
		ck_assert_int_ge(semid, 0);
		ck_assert_int_eq(semctl(semid, 0, IPC_RMID), 0);
		ck_assert_ptr_nonnull(shmseg_attach(id, NULL));
		ck_assert_int_eq(shmseg_detach(id), 0);
		ck_assert_int_eq(shmseg_destroy(id), 0);
		errno = 0;
		ck_assert_int_eq(lock_semid(key), -1);
		ck_assert_int_eq(errno, ENOENT);
	}
	close(up[0]);
	close(up[1]);
}
END_TEST

static Suite *shmseg_suite(void)
{
	Suite *s = suite_create("shmseg");
	TCase *tc = tu_tcase("api", 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, create_attach_detach_destroy);
	tcase_add_test(tc, open_and_close);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, taken_address_is_not_clobbered);
	tcase_add_test(tc, foreign_owner_refused);
	tcase_add_test(tc, table_full);
	tcase_add_test(tc, two_processes_two_addresses);
	tcase_add_test(tc, destroy_waits_for_live_processes_only);
	tcase_add_test(tc, thousand_cycles_leave_nothing);
	tcase_add_test(tc, concurrent_creators_get_distinct_ids);
	tcase_add_test(tc, threads_attach_once);
	tcase_add_test(tc, lock_released_when_holder_dies);
	tcase_add_test(tc, squatter_cannot_block_the_owner);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char ns[64];
	snprintf(ns, sizeof(ns), "test-shmseg-%ld", (long)getpid());
	setenv("SHMHEAP_SEGMENTS", ns, 1);
	int status = tu_run(shmseg_suite());
	sweep_namespace(true);
	return status;
}
