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
 * the lock, and a connect from outside waits for it as for any lock.
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

int main(void)
{
	Suite *s = suite_create("backing-file");
	TCase *tc = bt_tcase("file", 60);
	tcase_add_test(tc, file_heap_outlives_its_processes_and_copies);
	tcase_add_test(tc, copy_taken_under_a_held_lock_connects_repaired);
	tcase_add_test(tc, file_of_an_earlier_boot_connects_repaired);
	tcase_add_test(tc, live_lock_is_not_reset_for_an_unknown_boot_id);
	tcase_add_test(tc, file_heap_descriptor_connects);
	tcase_add_test(tc, file_heap_refuses_what_is_no_heap);
	tcase_add_test(tc, file_heap_of_another_user_is_refused);
	suite_add_tcase(s, tc);
	return bt_run(s);
}
