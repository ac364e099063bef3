/* SPDX-License-Identifier: MIT */
/*
 * test-backing-sysv.c - heaps in System V segments ("sysv:KEY"): made at
 * their size for life, joined by key from another process, removed with
 * IPC_RMID by shmheap_destroy.  The keys are derived from the runner's pid
 * and removed after every case, however it ended.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "backing-testutil.h"

#define SIZE (64u << 10)

struct child_arg {
	const char *name;
	shmheap_object_handle hdl;
	int fd;
};

/* Verifies the parent's object, and answers with one of its own. */
static void joiner(void *arg)
{
	struct child_arg *a = arg;
	shmheap_memory_handle h = shmheap_connect(a->name);
	TU_REQUIRE(h, "connect %s: %s", a->name, strerror(errno));
	void *p = shmheap_handle_to_ptr(h, a->hdl);
	TU_REQUIRE(p && tu_verify(p, 1000, 1, 1) < 0, "the parent's object");
	void *q = shmheap_alloc(h, 500);
	TU_REQUIRE(q, "alloc: %s", strerror(errno));
	tu_fill(q, 500, 2, 2);
	shmheap_object_handle hq = shmheap_ptr_to_handle(h, q);
	tu_write_all(a->fd, &hq, sizeof(hq));
	shmheap_disconnect(h);
}

START_TEST(sysv_heap_is_shared_by_key_and_destroyed)
{
	char name[64];
	bt_sysv_name(0, name, sizeof(name));
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_msg(h != NULL, "create %s: %s", name, strerror(errno));
	ck_assert(bt_key_listed(bt_key(0)));

	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.growable, 0);
	ck_assert_uint_eq(info.heap_size, SIZE);
	ck_assert_uint_eq(info.max_size, SIZE);
	ck_assert_uint_eq(info.uid, geteuid());
	ck_assert_uint_eq(info.mode, 0600);

	void *p = shmheap_alloc(h, 1000);
	ck_assert_ptr_nonnull(p);
	tu_fill(p, 1000, 1, 1);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct child_arg a = {name, shmheap_ptr_to_handle(h, p), pfd[1]};
	char why[256];
	pid_t pid = tu_fork(joiner, &a, 30);
	shmheap_object_handle hq;
	ck_assert_int_eq(tu_read_all(pfd[0], &hq, sizeof(hq)), 0);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	void *q = shmheap_handle_to_ptr(h, hq);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_lt(tu_verify(q, 500, 2, 2), 0);
	close(pfd[0]);
	close(pfd[1]);

	/* No descriptor; sync has nothing to write. */
	errno = 0;
	ck_assert_int_eq(shmheap_fd(h), -1);
	ck_assert_int_eq(errno, ENOTSUP);
	ck_assert_int_eq(shmheap_sync(h), 0);
	ck_assert_int_eq(tu_check(h), 0);

	/* A second heap by the same key is refused, the first untouched. */
	ck_assert_ptr_null(shmheap_create(name, SIZE));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(tu_check(h), 0);

	errno = 0;
	shmheap_destroy(name, h);
	ck_assert_int_eq(errno, 0);
	ck_assert(!bt_key_listed(bt_key(0)));
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* A segment never changes size: SHMHEAP_NO_GROW is implied, a larger
 * max_size refused; the heap fills up instead of growing. */
START_TEST(sysv_heap_never_grows)
{
	char name[64];
	bt_sysv_name(1, name, sizeof(name));
	struct shmheap_options grow = {.max_size = SIZE * 4};
	errno = 0;
	ck_assert_ptr_null(shmheap_create_ex(name, SIZE, &grow));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!bt_key_listed(bt_key(1)));

	struct shmheap_options opt = {.mode = 0640};
	shmheap_memory_handle h = shmheap_create_ex(name, SIZE, &opt);
	ck_assert_ptr_nonnull(h);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.growable, 0);
	ck_assert_uint_eq(info.mode, 0640);
	ck_assert_ptr_null(shmheap_alloc(h, 2 * SIZE));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(shmheap_grow(h, 2 * SIZE), -1);
	ck_assert_int_eq(errno, ENOMEM);
	size_t n = 0;
	while (shmheap_alloc(h, 1024))
		n++;
	ck_assert_uint_gt(n, 50);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
	ck_assert(!bt_key_listed(bt_key(1)));

	/* The decimal form names the same key; NO_GROW given is fine too. */
	snprintf(name, sizeof(name), "sysv:%u", (unsigned)bt_key(2));
	struct shmheap_options fixed = {.flags = SHMHEAP_NO_GROW};
	h = shmheap_create_ex(name, SIZE, &fixed);
	ck_assert_ptr_nonnull(h);
	char hex[64];
	shmheap_memory_handle g = shmheap_connect(bt_sysv_name(2, hex, sizeof(hex)));
	ck_assert_ptr_nonnull(g);
	shmheap_destroy(hex, g);
	ck_assert(!bt_key_listed(bt_key(2)));
	shmheap_disconnect(h);
}
END_TEST

START_TEST(sysv_segment_that_is_no_heap_is_refused)
{
	char name[64];
	bt_sysv_name(3, name, sizeof(name));
	int id = shmget(bt_key(3), SIZE, IPC_CREAT | IPC_EXCL | 0600);
	ck_assert_int_ge(id, 0);
	unsigned char *p = shmat(id, NULL, 0);
	ck_assert_ptr_ne(p, (void *)-1);
	memset(p, 0xab, SIZE);
	shmdt(p);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* An odd size (no whole number of pages) is no heap either. */
	shmctl(id, IPC_RMID, NULL);
	id = shmget(bt_key(3), 5000, IPC_CREAT | IPC_EXCL | 0600);
	ck_assert_int_ge(id, 0);
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	shmctl(id, IPC_RMID, NULL);
	ck_assert(!bt_key_listed(bt_key(3)));
}
END_TEST

/* Issue 14's rule over segments: the owner is shm_perm.uid.  Any user may
 * give a segment it made away (IPC_SET), and as its creator still use it. */
START_TEST(sysv_heap_of_another_user_is_refused)
{
	char name[64];
	bt_sysv_name(4, name, sizeof(name));
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	ck_assert_ptr_nonnull(h);
	struct shmid_ds ds;
	int id = shmget(bt_key(4), 0, 0);
	ck_assert_int_eq(shmctl(id, IPC_STAT, &ds), 0);
	ds.shm_perm.uid = geteuid() == 65534 ? 65533 : 65534; /* someone else */
	ck_assert_int_eq(shmctl(id, IPC_SET, &ds), 0);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EPERM);
	struct shmheap_connect_options opt = {.flags = SHMHEAP_CONNECT_TRUST_OWNER};
	shmheap_memory_handle g = shmheap_connect_ex(name, &opt);
	ck_assert_ptr_nonnull(g);
	shmheap_disconnect(g);
	shmheap_destroy(name, h);
	ck_assert(!bt_key_listed(bt_key(4)));
}
END_TEST

/* In a child become nobody: makes the heap, then gives the segment to root. */
static void create_and_give_away(void *arg)
{
	const char *name = arg;
	TU_REQUIRE(setgid(65534) == 0 && setuid(65534) == 0, "cannot become nobody");
	shmheap_memory_handle h = shmheap_create(name, SIZE);
	TU_REQUIRE(h, "nobody cannot create %s: %s", name, strerror(errno));
	TU_REQUIRE(shmheap_alloc(h, 64) != NULL, "alloc");
	shmheap_disconnect(h);
	struct shmid_ds ds;
	int id = shmget(bt_key(5), 0, 0);
	TU_REQUIRE(id >= 0 && shmctl(id, IPC_STAT, &ds) == 0, "IPC_STAT");
	ds.shm_perm.uid = 0;
	ds.shm_perm.gid = 0;
	TU_REQUIRE(shmctl(id, IPC_SET, &ds) == 0, "IPC_SET: %s", strerror(errno));
}

/*
 * Issue 25: a segment given to root with IPC_SET is still written by its
 * creator (the kernel keeps the owner's rights for shm_perm.cuid).  Before
 * the fix root's connect took its lock, letting that user write into root.
 */
START_TEST(sysv_heap_given_to_root_is_refused)
{
	if (tu_need_root("only root can become the user who gives a segment away"))
		return;
	char name[64], why[256];
	bt_sysv_name(5, name, sizeof(name));
	pid_t pid = tu_fork(create_and_give_away, name, 20);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_uint_eq(info.uid, 0);
	/* Its creator may still write it: trusted only when told. */
	shmheap_destroy(name, tu_expect_needs_trust(name));
	ck_assert(!bt_key_listed(bt_key(5)));
}
END_TEST

/* SHMHEAP_CACHED holds on a segment too: creation used to drop it with the
 * growth flag, leaving a heap without caches. */
START_TEST(sysv_heap_can_be_cached)
{
	char name[64];
	bt_sysv_name(6, name, sizeof(name));
	struct shmheap_options o = {.flags = SHMHEAP_CACHED};
	shmheap_memory_handle h = shmheap_create_ex(name, 1 << 20, &o);
	ck_assert_ptr_nonnull(h);
	shmheap_free(h, shmheap_alloc(h, 40));
	struct shmheap_cache_stats cs;
	ck_assert_int_eq(shmheap_cache_stats(h, &cs, NULL, 0), 0);
	ck_assert_uint_gt(cs.slots, 0);
	ck_assert_uint_eq(cs.attached, 1);
	ck_assert_uint_gt(cs.cached_blocks, 0);
	ck_assert_int_eq(shmheap_check(h, NULL, NULL), 0);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backing-sysv");
	TCase *tc = bt_tcase("sysv", 60);
	tcase_add_test(tc, sysv_heap_is_shared_by_key_and_destroyed);
	tcase_add_test(tc, sysv_heap_never_grows);
	tcase_add_test(tc, sysv_segment_that_is_no_heap_is_refused);
	tcase_add_test(tc, sysv_heap_of_another_user_is_refused);
	tcase_add_test(tc, sysv_heap_given_to_root_is_refused);
	tcase_add_test(tc, sysv_heap_can_be_cached);
	suite_add_tcase(s, tc);
	int ret = bt_run(s);
	for (unsigned n = 0; n < 8; n++)
		if (bt_key_listed(bt_key(n))) {
			fprintf(stderr, "segment of key 0x%x left behind\n",
				(unsigned)bt_key(n));
			ret = 1;
		}
	return ret;
}
