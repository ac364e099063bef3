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
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", "/proc/sys/kernel/random", "tmpfs", 0, NULL) < 0) {
		tu_write_all(a->fd, "S", 1); /* cannot hide /proc here: skip */
		return;
	}
	shmheap_memory_handle h = shmheap_create(a->name, SIZE);
	TU_REQUIRE(h, "create: %s", strerror(errno));
	shmheap_walk(h, hold_lock, &a->fd);
}

/*
 * A process that sees less of the system must not make a live heap look
 * stale: here the heap's creator cannot read the boot id (no /proc), holds
 * the lock, and a connect from outside waits for it as for any lock.
 */
START_TEST(live_lock_is_not_reset_for_an_unknown_boot_id)
{
	if (geteuid() != 0)
		return; /* hiding /proc needs a mount namespace */
	char path[BT_NAME_MAX], name[BT_NAME_MAX + 8];
	snprintf(name, sizeof(name), "%s", bt_file_name("blind", path, sizeof(path)));
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct holder_arg a = {name, pfd[1]};
	pid_t pid = tu_fork(blind_holder_child, &a, 60);
	char c;
	ck_assert_int_eq(tu_read_all(pfd[0], &c, 1), 0);
	if (c == 'L') {
		struct shmheap_connect_options opt = {.flags = SHMHEAP_CONNECT_WAIT_LIMIT,
						      .wait_limit_ms = 300};
		errno = 0;
		ck_assert_ptr_null(shmheap_connect_ex(name, &opt));
		ck_assert_int_eq(errno, ETIMEDOUT);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	if (c == 'L') {
		/* Its holder died: the usual repair. */
		shmheap_memory_handle h = shmheap_connect(name);
		ck_assert_ptr_nonnull(h);
		ck_assert_int_eq(tu_check(h), 0);
		shmheap_destroy(name, h);
	}
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
	if (geteuid() != 0)
		return; /* only root can give a file away */
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
	suite_add_tcase(s, tc);
	return bt_run(s);
}
