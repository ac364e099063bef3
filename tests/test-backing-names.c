/* SPDX-License-Identifier: MIT */
/*
 * test-backing-names.c - what a heap name may be, and how a file heap fails:
 * every malformed name is EINVAL in every call that takes a name; a file in a
 * missing directory is ENOENT, in a read-only place EACCES, on a full file
 * system ENOSPC (creation and growth), each leaving nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing-testutil.h"

#define SIZE (64u << 10)

static const char *const malformed[] = {
	"",
	"name",
	"file:",
	"sysv:",
	"sysv:0",
	"sysv:00",
	"sysv:0x",
	"sysv:0x0",
	"sysv:12a",
	"sysv:0x12g",
	"sysv:-1",
	"sysv:+1",
	"sysv: 1",
	"sysv:1 ",
	"sysv:4294967296",
	"sysv:0x100000000",
	"shm:/heap",
	"posix:/heap",
	"FILE:/tmp/heap",
	"Sysv:1",
	"anon:",
	"/",
	"/a/b",
	"/..",
};

START_TEST(malformed_names_are_einval_everywhere)
{
	const char *ok = tu_name("ok");
	shmheap_memory_handle h = shmheap_create(ok, SIZE);
	ck_assert_ptr_nonnull(h);
	struct shmheap_options opt = {0};
	struct shmheap_connect_options copt = {.flags = SHMHEAP_CONNECT_INSPECT};
	struct shmheap_info info;
	for (size_t i = 0; i < sizeof(malformed) / sizeof(*malformed); i++) {
		const char *n = malformed[i];
		errno = 0;
		ck_assert_msg(!shmheap_create(n, SIZE) && errno == EINVAL, "create '%s'",
			      n);
		errno = 0;
		ck_assert_msg(!shmheap_create_ex(n, SIZE, &opt) && errno == EINVAL,
			      "create_ex '%s'", n);
		errno = 0;
		ck_assert_msg(!shmheap_connect(n) && errno == EINVAL, "connect '%s'", n);
		errno = 0;
		ck_assert_msg(!shmheap_connect_ex(n, &copt) && errno == EINVAL,
			      "connect_ex '%s'", n);
		errno = 0;
		ck_assert_msg(shmheap_info(n, &info) == -1 && errno == EINVAL,
			      "info '%s'", n);
		/* destroy refuses the name, and only disconnects the handle */
		shmheap_memory_handle c = shmheap_connect(ok);
		ck_assert_ptr_nonnull(c);
		errno = 0;
		shmheap_destroy(n, c);
		ck_assert_msg(errno == EINVAL, "destroy '%s': %d", n, errno);
		ck_assert(tu_shm_exists(ok));
	}
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(NULL));
	ck_assert_int_eq(errno, EINVAL);
	/* A name whose backing is another than the handle's is not its name. */
	char path[BT_NAME_MAX];
	errno = 0;
	shmheap_destroy(bt_file_name("other", path, sizeof(path)), shmheap_connect(ok));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	shmheap_destroy(ok, h);
	ck_assert_int_eq(errno, 0);
	ck_assert(!tu_shm_exists(ok));
}
END_TEST

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

START_TEST(file_in_a_missing_directory_is_enoent)
{
	char name[BT_NAME_MAX + 32], missing[BT_NAME_MAX];
	snprintf(missing, sizeof(missing), "%s/missing-%ld", bt_dir(), (long)getpid());
	snprintf(name, sizeof(name), "file:%s/heap", missing);
	errno = 0;
	ck_assert_ptr_null(shmheap_create(name, SIZE));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, ENOENT);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), -1);
	ck_assert_int_eq(errno, ENOENT);
	struct stat st;
	ck_assert_int_eq(stat(missing, &st), -1);
}
END_TEST

struct place {
	char dir[BT_NAME_MAX];
	char name[BT_NAME_MAX + 32];
	char heap[BT_NAME_MAX + 32]; /* the runner's heap, of a mode the child fails */
};

/* As root the child drops to nobody (root itself passes any mode). */
static void unprivileged_child(void *arg)
{
	struct place *p = arg;
	if (geteuid() == 0)
		TU_REQUIRE(setgroups(0, NULL) == 0 && setgid(65534) == 0 &&
				   setuid(65534) == 0,
			   "dropping privileges: %s", strerror(errno));
	errno = 0;
	TU_REQUIRE(!shmheap_create(p->name, SIZE) && errno == EACCES,
		   "create in a read-only directory: %s", strerror(errno));
	errno = 0;
	TU_REQUIRE(!shmheap_connect(p->heap) && errno == EACCES,
		   "connect to an unreadable heap: %s", strerror(errno));
}

/*
 * As root, the child is another user facing a directory of mode 0555 and a
 * heap of mode 0600.  Without root there is no other user to be, so the
 * owner itself faces them, the heap made mode 0200 (0555 stops the owner too).
 */
START_TEST(file_in_a_read_only_place_is_eacces)
{
	struct place p;
	snprintf(p.dir, sizeof(p.dir), "%s/ro-%ld", bt_dir(), (long)getpid());
	ck_assert_int_eq(mkdir(p.dir, 0700), 0);
	snprintf(p.name, sizeof(p.name), "file:%s/heap", p.dir);
	char heappath[BT_NAME_MAX];
	snprintf(p.heap, sizeof(p.heap), "%s",
		 bt_file_name("private", heappath, sizeof(heappath)));
	struct shmheap_options o = {.mode = 0600};
	if (geteuid() != 0) {
		tu_skip_part("not root: no other user to be; the owner is shut out by mode 0200");
		o.mode = 0200;
	}
	shmheap_memory_handle h = shmheap_create_ex(p.heap, SIZE, &o);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(chmod(p.dir, 0555), 0);
	char why[256];
	pid_t pid = tu_fork(unprivileged_child, &p, 30);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	ck_assert(dir_is_empty(p.dir));
	chmod(p.dir, 0700);
	rmdir(p.dir);
	shmheap_destroy(p.heap, h);
}
END_TEST

static void full_fs_child(void *arg)
{
	const char *dir = arg;
	char why[256];
	if (tu_private_mounts(why, sizeof(why)) < 0)
		tu_child_skip("%s", why);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=192k,mode=0700") < 0)
		tu_child_skip("cannot mount a tmpfs: %s", strerror(errno));
	char name[BT_NAME_MAX + 32];
	snprintf(name, sizeof(name), "file:%s/heap", dir);
	errno = 0;
	TU_REQUIRE(!shmheap_create(name, 1u << 20) && errno == ENOSPC,
		   "a heap larger than the file system: %s", strerror(errno));
	TU_REQUIRE(dir_is_empty(dir), "left behind");

	struct shmheap_options opt = {.max_size = 1u << 20};
	shmheap_memory_handle h = shmheap_create_ex(name, SIZE, &opt);
	TU_REQUIRE(h, "create: %s", strerror(errno));
	void *p = shmheap_alloc(h, 1000);
	TU_REQUIRE(p, "alloc");
	tu_fill(p, 1000, 3, 3);
	errno = 0;
	TU_REQUIRE(shmheap_grow(h, 512u << 10) == -1 && errno == ENOSPC, "grow: %s",
		   strerror(errno));
	errno = 0;
	TU_REQUIRE(!shmheap_alloc(h, 256u << 10) && errno == ENOSPC, "alloc: %s",
		   strerror(errno));
	TU_REQUIRE(tu_check(h) == 0 && tu_verify(p, 1000, 3, 3) < 0, "heap damaged");
	errno = 0;
	shmheap_destroy(name, h);
	TU_REQUIRE(errno == 0 && dir_is_empty(dir), "destroy");
	umount(dir);
}

/* The small file system is a tmpfs the child mounts in a namespace of its own. */
START_TEST(file_on_a_full_file_system_is_enospc)
{
	char dir[BT_NAME_MAX];
	snprintf(dir, sizeof(dir), "%s/full-%ld", bt_dir(), (long)getpid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	char why[256];
	pid_t pid = tu_fork(full_fs_child, dir, 30);
	int r = tu_wait(pid, 30, why, sizeof(why));
	ck_assert(dir_is_empty(dir));
	ck_assert_int_eq(rmdir(dir), 0);
	if (r == 1)
		tu_skip("%s", why);
	else
		ck_assert_msg(r == 0, "%s", why);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backing-names");
	TCase *tc = bt_tcase("names", 60);
	tcase_add_test(tc, malformed_names_are_einval_everywhere);
	tcase_add_test(tc, file_in_a_missing_directory_is_enoent);
	tcase_add_test(tc, file_in_a_read_only_place_is_eacces);
	tcase_add_test(tc, file_on_a_full_file_system_is_enospc);
	suite_add_tcase(s, tc);
	return bt_run(s);
}
