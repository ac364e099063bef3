/* SPDX-License-Identifier: MIT */
/*
 * test-backing-file.c - heaps in regular files ("file:PATH"): they outlive
 * their processes, survive a copy of the file, and a copy taken while a
 * thread held the heap lock (what a reboot leaves) connects with the lock
 * reset and the heap repaired.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backing-testutil.h"
#include "filepath.h"

#define SIZE (64u << 10)
#define NOBJ 40

struct objset {
	shmheap_object_handle hdl[NOBJ];
	size_t len[NOBJ];
};

/* Allocates NOBJ objects of assorted sizes, one large enough to grow the heap. */
static void fill_heap(shmheap_memory_handle h, struct objset *o)
{
	for (int i = 0; i < NOBJ; i++) {
		o->len[i] = i == NOBJ / 2 ? 3 * SIZE : 8 + (size_t)i * 37;
		void *p = shmheap_alloc(h, o->len[i]);
		ck_assert_ptr_nonnull(p);
		tu_fill(p, o->len[i], 7, (uint32_t)i);
		o->hdl[i] = shmheap_ptr_to_handle(h, p);
	}
}

/* In a child: every object of o is intact in the heap of that name. */
struct verify_arg {
	const char *name;
	const struct objset *o;
};

static void verify_child(void *arg)
{
	const struct verify_arg *a = arg;
	shmheap_memory_handle h = shmheap_connect(a->name);
	TU_REQUIRE(h, "connect %s: %s", a->name, strerror(errno));
	for (int i = 0; i < NOBJ; i++) {
		void *p = shmheap_handle_to_ptr(h, a->o->hdl[i]);
		TU_REQUIRE(p, "object %d unresolved", i);
		TU_REQUIRE(tu_verify(p, a->o->len[i], 7, (uint32_t)i) < 0,
			   "object %d damaged", i);
	}
	TU_REQUIRE(tu_check(h) == 0, "check of %s", a->name);
	shmheap_disconnect(h);
}

static void verify_in_child(const char *name, const struct objset *o)
{
	char why[256];
	struct verify_arg a = {name, o};
	pid_t pid = tu_fork(verify_child, &a, 30);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
}

static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	close(in);
	close(out);
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

START_TEST(file_heap_outlives_its_processes_and_copies)
{
	char path[BT_NAME_MAX], copy[BT_NAME_MAX], name[BT_NAME_MAX + 8],
		copyname[BT_NAME_MAX + 8];
	snprintf(name, sizeof(name), "%s", bt_file_name("heap", path, sizeof(path)));
	snprintf(copyname, sizeof(copyname), "%s",
		 bt_file_name("copy", copy, sizeof(copy)));
	struct objset o;

	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	fill_heap(h, &o);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_gt(st.heap_size, SIZE); /* it grew with the file */
	ck_assert_int_eq(shmheap_sync(h), 0);
	shmheap_disconnect(h);

	/* Nobody is connected now: the file alone holds the heap. */
	verify_in_child(name, &o);
	copy_file(path, copy);
	verify_in_child(copyname, &o);
	verify_in_child(name, &o);

	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(copyname, &info), 0);
	ck_assert_uint_eq(info.heap_size, st.heap_size);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_FREE);

	h = shmheap_connect(name);
	ck_assert_ptr_nonnull(h);
	errno = 0;
	shmheap_destroy(name, h);
	ck_assert_int_eq(errno, 0);
	ck_assert(!exists(path));
	h = shmheap_connect(copyname);
	ck_assert_ptr_nonnull(h);
	shmheap_destroy(copyname, h);
	ck_assert(!exists(copy));
}
END_TEST

/* The child holds the heap lock inside a walk until it is killed. */
static int hold_lock(const struct shmheap_block *blk, void *arg)
{
	(void)blk;
	int fd = *(int *)arg;
	tu_write_all(fd, "L", 1);
	for (;;)
		pause();
	return 1;
}

struct holder_arg {
	const char *name;
	int fd;
};

static void holder_child(void *arg)
{
	struct holder_arg *a = arg;
	shmheap_memory_handle h = shmheap_connect(a->name);
	TU_REQUIRE(h, "connect: %s", strerror(errno));
	shmheap_walk(h, hold_lock, &a->fd);
}

/*
 * What a reboot leaves: a lock word naming a thread that will never exit
 * here.  The copy is taken while the holder is alive, so its lock word names
 * the holder without the owner-died bit the kernel sets in the original when
 * the holder is killed.  Connecting must neither hang nor time out (the
 * default wait is 5 s; no timing is asserted), and the heap is whole.
 */
START_TEST(copy_taken_under_a_held_lock_connects_repaired)
{
	char path[BT_NAME_MAX], copy[BT_NAME_MAX], name[BT_NAME_MAX + 8],
		copyname[BT_NAME_MAX + 8];
	snprintf(name, sizeof(name), "%s", bt_file_name("held", path, sizeof(path)));
	snprintf(copyname, sizeof(copyname), "%s",
		 bt_file_name("heldcopy", copy, sizeof(copy)));
	struct objset o;
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	fill_heap(h, &o);
	shmheap_disconnect(h);

	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct holder_arg a = {name, pfd[1]};
	pid_t pid = tu_fork(holder_child, &a, 60);
	char c;
	ck_assert_int_eq(tu_read_all(pfd[0], &c, 1), 0);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_HELD);

	copy_file(path, copy);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);

	ck_assert_int_eq(shmheap_info(copyname, &info), 0);
	/* held by a thread of the past (which info may see is gone) */
	ck_assert_int_ne(info.lock_state, SHMHEAP_LOCK_FREE);
	h = shmheap_connect(copyname);
	ck_assert_msg(h != NULL, "connect to the copy: %s", strerror(errno));
	ck_assert_int_eq(tu_check(h), 0);
	for (int i = 0; i < NOBJ; i++) {
		void *p = shmheap_handle_to_ptr(h, o.hdl[i]);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_lt(tu_verify(p, o.len[i], 7, (uint32_t)i), 0);
	}
	void *more = shmheap_alloc(h, 100);
	ck_assert_ptr_nonnull(more);
	shmheap_free(h, more);
	shmheap_disconnect(h);
	ck_assert_int_eq(shmheap_info(copyname, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_FREE);
	verify_in_child(copyname, &o);
	/* The original: its holder died here, the usual repair. */
	verify_in_child(name, &o);
}
END_TEST

/*
 * A reboot in place: the file's stamp says another boot (its boot id, the
 * first bytes after the preamble's 16-byte magic, is changed here, as a
 * reboot changes the system's) while the lock word names a thread, here one
 * that still lives but stands for a thread of that other boot.
 */
START_TEST(file_of_an_earlier_boot_connects_repaired)
{
	char path[BT_NAME_MAX], name[BT_NAME_MAX + 8];
	snprintf(name, sizeof(name), "%s", bt_file_name("boot", path, sizeof(path)));
	struct objset o;
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	fill_heap(h, &o);
	shmheap_disconnect(h);

	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct holder_arg a = {name, pfd[1]};
	pid_t pid = tu_fork(holder_child, &a, 60);
	char c;
	ck_assert_int_eq(tu_read_all(pfd[0], &c, 1), 0);
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 16), 1);
	close(fd);

	h = shmheap_connect(name);
	ck_assert_msg(h != NULL, "connect: %s", strerror(errno));
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_disconnect(h);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	verify_in_child(name, &o);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_FREE);
}
END_TEST

/* The holder of a live lock, made by a process that cannot read the boot id. */
static void blind_holder_child(void *arg)
{
	struct holder_arg *a = arg;
	char why[256];
	if (tu_private_mounts(why, sizeof(why)) < 0)
		tu_child_skip("%s", why);
	if (mount("none", "/proc/sys/kernel/random", "tmpfs", 0, NULL) < 0)
		tu_child_skip("cannot hide /proc/sys/kernel/random: %s", strerror(errno));
	shmheap_memory_handle h = shmheap_create(a->name, SIZE);
	TU_REQUIRE(h, "create: %s", strerror(errno));
	shmheap_walk(h, hold_lock, &a->fd);
}

/*
 * A process that sees less of the system must not make a live heap look
 * stale: here the heap's creator cannot read the boot id (no /proc), holds
 * the lock, and a call from outside waits for it as for any lock.
 */
START_TEST(live_lock_is_not_reset_for_an_unknown_boot_id)
{
	char path[BT_NAME_MAX], name[BT_NAME_MAX + 8];
	snprintf(name, sizeof(name), "%s", bt_file_name("blind", path, sizeof(path)));
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct holder_arg a = {name, pfd[1]};
	pid_t pid = tu_fork(blind_holder_child, &a, 60);
	close(pfd[1]);
	char c;
	if (tu_read_all(pfd[0], &c, 1) < 0) {
		/* The child ended without the lock: it skipped or failed. */
		char why[256];
		int r = tu_wait(pid, 30, why, sizeof(why));
		close(pfd[0]);
		if (r == 1) {
			tu_skip("%s", why);
			return;
		}
		ck_abort_msg("the holder ended before taking the lock: %s",
			     r ? why : "status 0");
	}
	ck_assert_int_eq(c, 'L');
	struct shmheap_connect_options opt = {.flags = SHMHEAP_CONNECT_WAIT_LIMIT,
					      .wait_limit_ms = 300};
	errno = 0;
	shmheap_memory_handle late = shmheap_connect_ex(name, &opt);
#ifdef SHMHEAP_DEBUG /* whose connects verify the heap under the lock */
	ck_assert_ptr_null(late);
	ck_assert_int_eq(errno, ETIMEDOUT);
#else
	/* Connect takes no lock from a live holder; the first call waits. */
	ck_assert_msg(late != NULL, "connect: %s", strerror(errno));
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(late, 8));
	ck_assert_int_eq(errno, ETIMEDOUT);
	shmheap_disconnect(late);
#endif
	opt.flags |= SHMHEAP_CONNECT_VERIFY;
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &opt));
	ck_assert_int_eq(errno, ETIMEDOUT);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	/* Its holder died: the usual repair. */
	shmheap_memory_handle h = shmheap_connect(name);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* The descriptor of a file heap joins the same heap (after its preamble). */
START_TEST(file_heap_descriptor_connects)
{
	char path[BT_NAME_MAX];
	const char *name = bt_file_name("fd", path, sizeof(path));
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	int *obj = shmheap_alloc(h, sizeof(int));
	ck_assert_ptr_nonnull(obj);
	*obj = 1234;
	int fd = shmheap_fd(h);
	ck_assert_int_ge(fd, 0);
	shmheap_memory_handle g = shmheap_connect_fd(fd);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(*(int *)shmheap_handle_to_ptr(g, shmheap_ptr_to_handle(h, obj)),
			 1234);
	ck_assert_int_eq(shmheap_sync(g), 0);
	shmheap_disconnect(g);
	ck_assert_int_eq(fcntl(fd, F_GETFD) >= 0, 1); /* h's descriptor stays */
	shmheap_destroy(name, h);
	ck_assert(!exists(path));
}
END_TEST

struct reader_arg {
	const char *path;
	int fd; /* write end: the locks are held */
};

/* Holds every lock a read-only descriptor can take on the whole file. */
static void locking_reader(void *arg)
{
	struct reader_arg *a = arg;
	if (geteuid() == 0)
		TU_REQUIRE(setgid(65534) == 0 && setuid(65534) == 0,
			   "cannot become nobody");
	int fd = open(a->path, O_RDONLY), ofd = open(a->path, O_RDONLY);
	TU_REQUIRE(fd >= 0 && ofd >= 0, "open %s: %s", a->path, strerror(errno));
	TU_REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0, "flock: %s", strerror(errno));
	struct flock whole = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
	TU_REQUIRE(fcntl(fd, F_SETLK, &whole) == 0, "F_SETLK: %s", strerror(errno));
	TU_REQUIRE(fcntl(ofd, F_OFD_SETLK, &whole) == 0, "F_OFD_SETLK: %s",
		   strerror(errno));
	tu_write_all(a->fd, "R", 1);
	for (;;)
		pause();
}

/*
 * Issue 25: a user who may only read a file heap (here nobody, as root; the
 * caller through a read-only descriptor otherwise) must not delay its
 * owner's connects.  Before the fix, a reader's flock(LOCK_EX) made each
 * connect wait 5.5 s and fail with ETIMEDOUT.  The owner connects to the
 * heap as it is, and again once its stamp says another boot (a reset).
 */
START_TEST(reader_locks_do_not_stop_connects)
{
	char path[BT_NAME_MAX];
	const char *name = bt_file_name("readlock", path, sizeof(path));
	struct shmheap_options o = {.mode = 0644};
	shmheap_memory_handle h = shmheap_create_ex(name, SIZE, &o);
	ck_assert_ptr_nonnull(h);
	void *obj = shmheap_alloc(h, 100);
	ck_assert_ptr_nonnull(obj);
	shmheap_disconnect(h);

	ck_assert_int_eq(chmod(bt_dir(), 0755), 0); /* whatever the umask */
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct reader_arg a = {path, pfd[1]};
	pid_t pid = tu_fork(locking_reader, &a, 60);
	char c;
	ck_assert_int_eq(tu_read_all(pfd[0], &c, 1), 0);
	ck_assert_int_eq(c, 'R');

	h = shmheap_connect(name);
	int err = errno;
	if (h)
		shmheap_disconnect(h);
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 16), 1); /* another boot's stamp */
	close(fd);
	shmheap_memory_handle g = shmheap_connect(name);
	int gerr = errno;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	ck_assert_msg(h != NULL, "connect: %s", strerror(err));
	ck_assert_msg(g != NULL, "connect of a stale heap: %s", strerror(gerr));
	ck_assert_int_eq(tu_check(g), 0);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(g, &st), 0);
	ck_assert_uint_eq(st.objects, 1);
	shmheap_destroy(name, g);
}
END_TEST

#define RACERS 8

struct racer_arg {
	const char *name;
	int go;	      /* read end: end of file when all may start */
	int go_write; /* closed by every racer */
};

static void racing_connect(void *arg)
{
	struct racer_arg *a = arg;
	char c;
	close(a->go_write);
	TU_REQUIRE(read(a->go, &c, 1) == 0, "start");
	shmheap_memory_handle h = shmheap_connect(a->name);
	TU_REQUIRE(h, "connect: %s", strerror(errno));
	void *p = shmheap_alloc(h, 64);
	TU_REQUIRE(p, "alloc: %s", strerror(errno));
	shmheap_free(h, p);
	TU_REQUIRE(tu_check(h) == 0, "check");
	shmheap_disconnect(h);
}

/* Connects racing to a heap of another boot: one resets it (under the reset
 * lock of the preamble), the others wait for it and find the heap whole. */
START_TEST(racing_connects_reset_a_stale_heap)
{
	char path[BT_NAME_MAX];
	const char *name = bt_file_name("race", path, sizeof(path));
	struct objset o;
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	fill_heap(h, &o);
	shmheap_disconnect(h);
	for (int round = 0; round < 3; round++) {
		int fd = open(path, O_RDWR);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pwrite(fd, round % 2 ? "Y" : "X", 1, 16), 1);
		close(fd);
		int go[2];
		ck_assert_int_eq(pipe(go), 0);
		pid_t pids[RACERS];
		struct racer_arg a = {name, go[0], go[1]};
		for (int i = 0; i < RACERS; i++)
			pids[i] = tu_fork(racing_connect, &a, 30);
		close(go[1]);
		char why[256];
		ck_assert_msg(tu_wait_all(pids, RACERS, 30, why, sizeof(why)) == 0, "%s",
			      why);
		close(go[0]);
	}
	verify_in_child(name, &o);
}
END_TEST

/*
 * pwrite through an O_APPEND descriptor writes at the end, whatever the
 * offset: a stale stamp rewritten through one would land past the heap and
 * leave the file no whole number of pages.  Such a descriptor is refused.
 */
START_TEST(append_descriptor_is_refused)
{
	char path[BT_NAME_MAX];
	const char *name = bt_file_name("append", path, sizeof(path));
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	shmheap_disconnect(h);
	/* Another boot's stamp (see file_of_an_earlier_boot_connects_repaired). */
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 16), 1);
	close(fd);
	struct stat before, after;
	ck_assert_int_eq(stat(path, &before), 0);

	fd = open(path, O_RDWR | O_APPEND);
	ck_assert_int_ge(fd, 0);
	errno = 0;
	shmheap_memory_handle g = shmheap_connect_fd(fd);
	int err = errno;
	if (g)
		shmheap_disconnect(g);
	close(fd);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(err, EINVAL);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert_int_eq(after.st_size, before.st_size);

	/* An ordinary descriptor still connects, and renews the stamp. */
	h = shmheap_connect(name);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(file_heap_refuses_what_is_no_heap)
{
	char path[BT_NAME_MAX], name[BT_NAME_MAX + 8], heap[BT_NAME_MAX],
		heapname[BT_NAME_MAX + 8];
	snprintf(heapname, sizeof(heapname), "%s",
		 bt_file_name("target", heap, sizeof(heap)));
	shmheap_memory_handle h = shmheap_create(heapname, SIZE);
	ck_assert_ptr_nonnull(h);

	/* A FIFO: refused at once, never waited on. */
	snprintf(name, sizeof(name), "%s", bt_file_name("fifo", path, sizeof(path)));
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* A name already taken is not overwritten. */
	ck_assert_ptr_null(shmheap_create(name, SIZE));
	ck_assert_int_eq(errno, EEXIST);
	unlink(path);

	/* A symbolic link to a heap is not followed. */
	snprintf(name, sizeof(name), "%s", bt_file_name("link", path, sizeof(path)));
	ck_assert_int_eq(symlink(heap, path), 0);
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	shmheap_destroy(name, shmheap_connect(heapname)); /* the link's name: refused */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(exists(heap));
	unlink(path);

	/* A directory, and a file of text. */
	snprintf(name, sizeof(name), "%s", bt_file_name("dir", path, sizeof(path)));
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	rmdir(path);
	snprintf(name, sizeof(name), "%s", bt_file_name("text", path, sizeof(path)));
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 1000; i++)
		fputs("not a heap at all\n", f);
	fclose(f);
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shmheap_info(name, &info), -1);
	ck_assert_int_eq(errno, EINVAL);
	unlink(path);

	shmheap_destroy(heapname, h);
	ck_assert(!exists(heap));
}
END_TEST

/* Issue 14's rule holds for files: another user's heap is not locked. */
START_TEST(file_heap_of_another_user_is_refused)
{
	if (tu_need_root("only root can give a file to another user"))
		return;
	char path[BT_NAME_MAX];
	const char *name = bt_file_name("foreign", path, sizeof(path));
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EPERM);
	struct shmheap_connect_options opt = {.flags = SHMHEAP_CONNECT_TRUST_OWNER};
	shmheap_memory_handle g = shmheap_connect_ex(name, &opt);
	ck_assert_ptr_nonnull(g);
	shmheap_disconnect(g);
	shmheap_destroy(name, h);
	ck_assert(!exists(path));
}
END_TEST

/*
 * Issue 25: a file that others may write is another user's heap too, even
 * the caller's own (here of mode 0666): refused without TRUST_OWNER, by name
 * and by descriptor.  Runs as any user.
 */
START_TEST(file_heap_writable_by_others_needs_trust)
{
	char path[BT_NAME_MAX];
	const char *name = bt_file_name("shared", path, sizeof(path));
	struct shmheap_options o = {.mode = 0666};
	shmheap_memory_handle h = shmheap_create_ex(name, SIZE, &o);
	ck_assert_ptr_nonnull(h);
	shmheap_disconnect(h);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EPERM);
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_fd(fd));
	ck_assert_int_eq(errno, EPERM);
	close(fd);
	struct shmheap_connect_options opt = {.flags = SHMHEAP_CONNECT_TRUST_OWNER};
	h = shmheap_connect_ex(name, &opt);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(shmheap_alloc(h, 8));
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
	ck_assert(!exists(path));
}
END_TEST

/* The text of a file, or "" if it cannot be read. */
static const char *contents(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * Issue 25 item 2: no link among the directories of a file: path is
 * followed (ELOOP), by any call; relative paths without links work.
 */
START_TEST(file_path_through_a_link_is_refused)
{
	char real[BT_NAME_MAX], link[BT_NAME_MAX], name[2 * BT_NAME_MAX];
	snprintf(real, sizeof(real), "%s/real-%ld", bt_dir(), (long)getpid());
	snprintf(link, sizeof(link), "%s/link-%ld", bt_dir(), (long)getpid());
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, link), 0);
	snprintf(name, sizeof(name), "file:%s/h", real);
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);

	snprintf(name, sizeof(name), "file:%s/new", link);
	errno = 0;
	ck_assert_ptr_null(shmheap_create(name, SIZE));
	ck_assert_int_eq(errno, ELOOP);
	snprintf(name, sizeof(name), "%s/new", real);
	ck_assert(!exists(name));

	snprintf(name, sizeof(name), "file:%s/h", link);
	struct shmheap_connect_options opt = {.flags = SHMHEAP_CONNECT_INSPECT |
						       SHMHEAP_CONNECT_UNLOCKED};
	struct shmheap_info info;
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, ELOOP);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &opt));
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(shmheap_info(name, &info), -1);
	ck_assert_int_eq(errno, ELOOP);
	/* The heap's own name, but through the link: not removed. */
	errno = 0;
	shmheap_destroy(name, h);
	ck_assert_int_eq(errno, ELOOP);
	snprintf(name, sizeof(name), "%s/h", real);
	ck_assert(exists(name));

	/* Relative: through the link refused, without it as before. */
	int cwd = open(".", O_PATH | O_DIRECTORY);
	ck_assert_int_ge(cwd, 0);
	ck_assert_int_eq(chdir(bt_dir()), 0);
	snprintf(name, sizeof(name), "file:%s/h", strrchr(link, '/') + 1);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, ELOOP);
	snprintf(name, sizeof(name), "file:%s/h", strrchr(real, '/') + 1);
	h = shmheap_connect(name);
	ck_assert_ptr_nonnull(h);
	errno = 0;
	shmheap_destroy(name, h);
	ck_assert_int_eq(errno, 0);
	ck_assert_int_eq(chdir(real), 0);
	h = shmheap_create("file:rel", SIZE);
	ck_assert_ptr_nonnull(h);
	shmheap_destroy("file:./rel", h);
	ck_assert(!exists("rel"));
	ck_assert_int_eq(fchdir(cwd), 0);
	close(cwd);
	unlink(link);
	rmdir(real);
}
END_TEST

/* A file that is no heap is never removed, truncated or written. */
START_TEST(file_that_is_no_heap_is_never_removed)
{
	char heap[BT_NAME_MAX], heapname[BT_NAME_MAX + 8], text[BT_NAME_MAX],
		textname[BT_NAME_MAX + 8];
	snprintf(heapname, sizeof(heapname), "%s",
		 bt_file_name("heap", heap, sizeof(heap)));
	snprintf(textname, sizeof(textname), "%s",
		 bt_file_name("text", text, sizeof(text)));
	write_text(text, "precious\n");
	shmheap_memory_handle h = shmheap_create(heapname, SIZE);
	ck_assert_ptr_nonnull(h);
	errno = 0;
	ck_assert_ptr_null(shmheap_create(textname, SIZE));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_ptr_null(shmheap_connect(textname)); /* EAGAIN: short and young */
	errno = 0;
	shmheap_destroy(textname, h); /* names another file: refused */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(contents(text), "precious\n");
	h = shmheap_connect(heapname);
	ck_assert_ptr_nonnull(h);
	shmheap_destroy(heapname, h);
	ck_assert(!exists(heap));
	unlink(text);
}
END_TEST

/* The walk (where openat2 is missing) resolves as openat2 does. */
START_TEST(file_path_walk_agrees_with_openat2)
{
	char top[BT_NAME_MAX], path[2 * BT_NAME_MAX];
	snprintf(top, sizeof(top), "%s/walk-%ld", bt_dir(), (long)getpid());
	ck_assert_int_eq(mkdir(top, 0700), 0);
	snprintf(path, sizeof(path), "%s/d", top);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/f", top);
	write_text(path, "x");
	snprintf(path, sizeof(path), "%s/l", top);
	ck_assert_int_eq(symlink("d", path), 0);
	int cwd = open(".", O_PATH | O_DIRECTORY);
	ck_assert_int_ge(cwd, 0);
	ck_assert_int_eq(chdir(top), 0);
	struct stat d_st, top_st, root_st;
	ck_assert_int_eq(stat("d", &d_st), 0);
	ck_assert_int_eq(stat(".", &top_st), 0);
	ck_assert_int_eq(stat("/", &root_st), 0);

	static const struct {
		const char *path; /* "@" stands for top */
		int err;	  /* 0: resolves, to dir (d, t: top, r: /) and leaf h */
		char dir;
	} cases[] = {
		{"@/d/h", 0, 'd'},	{"d/h", 0, 'd'},       {"h", 0, 't'},
		{"./d/../d/h", 0, 'd'}, {"d//h", 0, 'd'},      {"/h", 0, 'r'},
		{"@/l/h", ELOOP, 0},	{"l/h", ELOOP, 0},     {"l/../d/h", ELOOP, 0},
		{"f/h", ENOTDIR, 0},	{"none/h", ENOENT, 0}, {"", EINVAL, 0},
		{"d/", EINVAL, 0},	{"d/.", EINVAL, 0},    {"d/..", EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char p[2 * BT_NAME_MAX];
		if (cases[i].path[0] == '@')
			snprintf(p, sizeof(p), "%s%s", top, cases[i].path + 1);
		else
			snprintf(p, sizeof(p), "%s", cases[i].path);
		for (int how = 0; how < 2; how++) {
			struct file_path fp = {-1, NULL};
			errno = 0;
			int ret = how ? file_path_walk(p, &fp) : file_path_open(p, &fp);
			if (cases[i].err) {
				ck_assert_msg(ret == -1 && errno == cases[i].err,
					      "%s (%s): %d, errno %d", p,
					      how ? "walk" : "open", ret, errno);
				continue;
			}
			ck_assert_msg(ret == 0, "%s (%s): errno %d", p,
				      how ? "walk" : "open", errno);
			struct stat st;
			const struct stat *want = cases[i].dir == 'd'	? &d_st
						  : cases[i].dir == 't' ? &top_st
									: &root_st;
			ck_assert_int_eq(fstat(fp.dirfd, &st), 0);
			ck_assert(st.st_dev == want->st_dev && st.st_ino == want->st_ino);
			ck_assert_str_eq(fp.leaf, "h");
			file_path_close(&fp);
			ck_assert_int_eq(fp.dirfd, -1);
		}
	}
	ck_assert_int_eq(fchdir(cwd), 0);
	close(cwd);
	unlink(strcat(strcpy(path, top), "/l"));
	unlink(strcat(strcpy(path, top), "/f"));
	rmdir(strcat(strcpy(path, top), "/d"));
	rmdir(top);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backing-file");
	TCase *tc = bt_tcase("file", 60);
	tcase_add_test(tc, file_heap_outlives_its_processes_and_copies);
	tcase_add_test(tc, copy_taken_under_a_held_lock_connects_repaired);
	tcase_add_test(tc, file_of_an_earlier_boot_connects_repaired);
	tcase_add_test(tc, live_lock_is_not_reset_for_an_unknown_boot_id);
	tcase_add_test(tc, file_heap_descriptor_connects);
	tcase_add_test(tc, append_descriptor_is_refused);
	tcase_add_test(tc, reader_locks_do_not_stop_connects);
	tcase_add_test(tc, racing_connects_reset_a_stale_heap);
	tcase_add_test(tc, file_heap_refuses_what_is_no_heap);
	tcase_add_test(tc, file_heap_of_another_user_is_refused);
	tcase_add_test(tc, file_heap_writable_by_others_needs_trust);
	tcase_add_test(tc, file_path_through_a_link_is_refused);
	tcase_add_test(tc, file_that_is_no_heap_is_never_removed);
	tcase_add_test(tc, file_path_walk_agrees_with_openat2);
	suite_add_tcase(s, tc);
	return bt_run(s);
}
