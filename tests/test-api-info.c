/* SPDX-License-Identifier: MIT */
/* test-api-info.c - inspection without connecting: shmheap_info, shmheap_connect_ex, permissions. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fitmap.h" /* fm_bytes: the index that follows the heap */
#include "layout.h" /* header field offsets, to forge damaged heaps */
#include "mmf.h"
#include "testutil.h"
#include "api-helpers.h"

/* In a child the heap's mode shuts out, every way in fails with EACCES.  As
 * root the child drops to nobody (root itself passes any mode). */
static void unprivileged_child(void *arg)
{
	const char *name = arg;
	if (geteuid() == 0)
		TU_REQUIRE(setgid(65534) == 0 && setuid(65534) == 0,
			   "cannot become nobody");
	errno = 0;
	TU_REQUIRE(shmheap_connect(name) == NULL && errno == EACCES,
		   "connect: errno %d, not EACCES", errno);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT};
	errno = 0;
	TU_REQUIRE(shmheap_connect_ex(name, &o) == NULL && errno == EACCES,
		   "inspecting connect: errno %d, not EACCES", errno);
	struct shmheap_info in;
	errno = 0;
	TU_REQUIRE(shmheap_info(name, &in) == -1 && errno == EACCES,
		   "info: errno %d, not EACCES", errno);
}

/*
 * Another user facing mode 0600.  Without root there is no other user to be,
 * so the owner faces mode 0200 instead (neither readable nor mappable by it);
 * mode 0 would not do: it asks for the default, 0600 (shmheap_create_ex(3)).
 */
START_TEST(other_users_get_eacces)
{
	const char *name = tu_name("perm");
	struct shmheap_options o = {.mode = 0600};
	if (geteuid() != 0) {
		tu_skip_part("not root: no other user to be; the owner is shut out by mode 0200");
		o.mode = 0200;
	}
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	void *p = shmheap_alloc(h, 64);
	memset(p, 0x5a, 64);
	char why[256];
	pid_t pid = tu_fork(unprivileged_child, (void *)name, 20);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	/* Nothing changed for the owner. */
	ck_assert_int_eq(((unsigned char *)p)[63], 0x5a);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- shmheap_info and shmheap_connect_ex ---------------------------------- */

START_TEST(info_describes_heap)
{
	time_t t0 = time(NULL);
	const char *name = tu_name("info");
	struct shmheap_options o = {.max_size = 1 << 20, .mode = 0640};
	shmheap_memory_handle h = shmheap_create_ex(name, 2 * PAGE, &o);
	ck_assert_ptr_nonnull(h);
	shmheap_alloc(h, 100);
	struct shmheap_info in;
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_eq(in.version, HEAP_LAYOUT_VERSION);
	ck_assert_uint_eq(in.heap_size, 2 * PAGE);
	ck_assert_uint_eq(in.max_size, 1 << 20);
	/* The object: the heap, then its free-block index. */
	ck_assert_uint_eq(in.object_size, 2 * PAGE + fm_bytes(2 * PAGE));
	size_t len;
	free(read_object(name, &len));
	ck_assert_uint_eq(in.object_size, len);
	ck_assert_int_eq(in.growable, 1);
	ck_assert_int_ge(in.created, t0 - 1);
	ck_assert_int_le(in.created, time(NULL) + 1);
	ck_assert_uint_eq(in.uid, geteuid());
	ck_assert_uint_eq(in.gid, getegid());
	ck_assert_uint_eq(in.mode, 0640);
	ck_assert_int_eq(in.lock_state, SHMHEAP_LOCK_FREE);
	ck_assert_int_eq(in.lock_owner, 0);
	ck_assert_int_eq(in.damaged, 0);
	/* It follows growth. */
	ck_assert_int_eq(shmheap_grow(h, 8 * PAGE), 0);
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_eq(in.heap_size, 8 * PAGE);
	ck_assert_uint_eq(in.object_size, 8 * PAGE + fm_bytes(8 * PAGE));
	free(read_object(name, &len));
	ck_assert_uint_eq(in.object_size, len);
	shmheap_destroy(name, h);

	shmheap_memory_handle f = make_fixed_heap(&name, PAGE);
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_int_eq(in.growable, 0);
	ck_assert_uint_eq(in.max_size, PAGE);
	shmheap_destroy(name, f);
}
END_TEST

/*
 * index_size: the bytes of the map after the heap, which is the object less
 * the heap, and grows with it; 0 in a heap with treaps, of the layout of
 * 0.5.0, which the library built for the tests makes when
 * SHMHEAP_TEST_TREAP_HEAPS=1.
 */
START_TEST(info_index_size)
{
	const char *name = tu_name("index");
	struct shmheap_options o = {.max_size = 1 << 22};
	shmheap_memory_handle h = shmheap_create_ex(name, 2 * PAGE, &o);
	ck_assert_ptr_nonnull(h);
	struct shmheap_info in;
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_gt(in.index_size, 0);
	ck_assert_uint_eq(in.index_size, in.object_size - in.heap_size);
	ck_assert_uint_eq(in.index_size, fm_bytes(2 * PAGE));
	size_t small = in.index_size;
	ck_assert_int_eq(shmheap_grow(h, 1 << 22), 0);
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_eq(in.heap_size, 1 << 22);
	ck_assert_uint_eq(in.index_size, in.object_size - in.heap_size);
	ck_assert_uint_eq(in.index_size, fm_bytes(1 << 22));
	ck_assert_uint_gt(in.index_size, small);
	size_t len;
	free(read_object(name, &len));
	ck_assert_uint_eq(in.heap_size + in.index_size, len);
	shmheap_destroy(name, h);

	name = tu_name("treaps");
	ck_assert_int_eq(setenv("SHMHEAP_TEST_TREAP_HEAPS", "1", 1), 0);
	h = shmheap_create_ex(name, 2 * PAGE, &o);
	unsetenv("SHMHEAP_TEST_TREAP_HEAPS");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_eq(in.index_size, 0);
	ck_assert_uint_eq(in.object_size, 2 * PAGE);
	ck_assert_int_eq(shmheap_grow(h, 8 * PAGE), 0);
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_eq(in.index_size, 0);
	ck_assert_uint_eq(in.object_size, 8 * PAGE);
	shmheap_destroy(name, h);
}
END_TEST

/* The structure and the version of shmheap_info that programs built against
 * 0.1 to 0.4 call: it ends at lock_owner. */
struct info_0_1 {
	unsigned version;
	size_t heap_size, max_size, object_size;
	int growable;
	time_t created;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int lock_state;
	pid_t lock_owner;
};
int info_0_1(const char *name, struct info_0_1 *info);
__asm__(".symver info_0_1, shmheap_info@SHMHEAP_0.1");

/* Those that programs built against 0.5 call: it ends at damaged. */
struct info_0_5 {
	unsigned version;
	size_t heap_size, max_size, object_size;
	int growable;
	time_t created;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int lock_state;
	pid_t lock_owner;
	int damaged;
};
int info_0_5(const char *name, struct info_0_5 *info);
__asm__(".symver info_0_5, shmheap_info@SHMHEAP_0.5");
/* So that a canary right after it stands where index_size is. */
_Static_assert(offsetof(struct shmheap_info, index_size) >= sizeof(struct info_0_5),
	       "index_size lies past the structure of 0.5");

START_TEST(info_of_older_programs)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 2 * PAGE);
	struct {
		struct info_0_5 in;
		unsigned char canary[16];
	} old5;
	memset(&old5, 0x5a, sizeof(old5));
	ck_assert_int_eq(info_0_5(name, &old5.in), 0);
	for (size_t i = 0; i < sizeof(old5.canary); i++)
		ck_assert_uint_eq(old5.canary[i], 0x5a);
	struct {
		struct info_0_1 in;
		unsigned char canary[16];
	} old;
	memset(&old, 0x5a, sizeof(old));
	ck_assert_int_eq(info_0_1(name, &old.in), 0);
	for (size_t i = 0; i < sizeof(old.canary); i++)
		ck_assert_uint_eq(old.canary[i], 0x5a);
	struct shmheap_info in;
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_eq(old.in.version, in.version);
	ck_assert_uint_eq(old.in.heap_size, in.heap_size);
	ck_assert_uint_eq(old.in.max_size, in.max_size);
	ck_assert_int_eq(old.in.lock_state, in.lock_state);
	ck_assert_uint_eq(old.in.mode, in.mode);
	ck_assert_uint_eq(old5.in.version, in.version);
	ck_assert_uint_eq(old5.in.heap_size, in.heap_size);
	ck_assert_uint_eq(old5.in.max_size, in.max_size);
	ck_assert_uint_eq(old5.in.object_size, in.object_size);
	ck_assert_int_eq(old5.in.lock_state, in.lock_state);
	ck_assert_uint_eq(old5.in.mode, in.mode);
	ck_assert_int_eq(old5.in.damaged, 0);
	errno = 0;
	ck_assert_int_eq(info_0_1(name, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(info_0_5(name, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(info_errors)
{
	struct shmheap_info in;
	const char *name = tu_name("missing");
	errno = 0;
	ck_assert_int_eq(shmheap_info(name, &in), -1);
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_int_eq(shmheap_info("bad", &in), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_info(NULL, &in), -1);
	ck_assert_int_eq(errno, EINVAL);

	const char *heap;
	shmheap_memory_handle h = make_heap(&heap, PAGE);
	errno = 0;
	ck_assert_int_eq(shmheap_info(heap, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	shmheap_destroy(heap, h);

	/* Not a heap: EINVAL; a heap's header with a bad size: EUCLEAN. */
	unsigned char junk[PAGE];
	memset(junk, 0xa5, sizeof(junk));
	name = tu_name("junk");
	make_object(name, junk, sizeof(junk));
	errno = 0;
	ck_assert_int_eq(shmheap_info(name, &in), -1);
	ck_assert_int_eq(errno, EINVAL);

	size_t img_len;
	unsigned char *img = heap_image(2 * PAGE, &img_len);
	uint32_t pages = 7; /* a heap longer than the object */
	memcpy(img + offsetof(struct heap_header, size_pages), &pages, sizeof(pages));
	name = tu_name("bad-size");
	make_object(name, img, img_len);
	errno = 0;
	ck_assert_int_eq(shmheap_info(name, &in), -1);
	ck_assert_int_eq(errno, EUCLEAN);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	free(img);
}
END_TEST

START_TEST(connect_inspect_never_changes)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *p = shmheap_alloc(h, 40);
	strcpy(p, "inspected");
	const unsigned modes[] = {SHMHEAP_CONNECT_INSPECT,
				  SHMHEAP_CONNECT_INSPECT | SHMHEAP_CONNECT_UNLOCKED};
	for (int i = 0; i < 2; i++) {
		struct shmheap_connect_options co = {.flags = modes[i]};
		shmheap_memory_handle c = shmheap_connect_ex(name, &co);
		ck_assert_msg(c != NULL, "connect_ex %#x: %s", modes[i], strerror(errno));
		struct tu_layout before = {0}, after = {0};
		tu_layout_take(h, &before);
		errno = 0;
		ck_assert_ptr_null(shmheap_alloc(c, 8));
		ck_assert_int_eq(errno, EPERM);
		char *q = shmheap_handle_to_ptr(c, shmheap_ptr_to_handle(h, p));
		ck_assert_str_eq(q, "inspected");
		errno = 0;
		ck_assert_int_eq(shmheap_free_checked(c, q), -1);
		ck_assert_int_eq(errno, EPERM);
		errno = 0;
		ck_assert_int_eq(shmheap_grow(c, 4 * PAGE), -1);
		ck_assert_int_eq(errno, EPERM);
		struct shmheap_stats st;
		ck_assert_int_eq(shmheap_stats(c, &st), 0);
		ck_assert_uint_eq(st.objects, 1);
		ck_assert_int_eq(tu_check(c), 0);
		tu_layout_take(c, &after);
		ck_assert(tu_layout_equal(&before, &after));
		shmheap_disconnect(c);
		tu_layout_free(&before);
		tu_layout_free(&after);
	}
	ck_assert_str_eq(p, "inspected");
	ck_assert_uint_eq(stats_of(h).objects, 1);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(connect_inspect_opens_damaged_heap)
{
	size_t len; /* the whole object: the heap and its index */
	unsigned char *img = heap_image(2 * PAGE, &len);
	uint64_t bw;
	memcpy(&bw, img + HEAP_FIRST_BLOCK, 8);
	bw ^= (uint64_t)1 << 40; /* a live block's tag */
	memcpy(img + HEAP_FIRST_BLOCK, &bw, 8);
	const char *name = tu_name("damaged");
	make_object(name, img, len);
#ifndef SHMHEAP_DEBUG /* whose connects verify the heap, and mark it */
	/* Connect reads the header alone; a verifying one refuses (below). */
	shmheap_memory_handle p = shmheap_connect(name);
	ck_assert_msg(p != NULL, "connect: %s", strerror(errno));
	shmheap_disconnect(p);
#endif
	struct shmheap_connect_options co = {.flags = SHMHEAP_CONNECT_INSPECT};
	shmheap_memory_handle c = shmheap_connect_ex(name, &co);
	ck_assert_msg(c != NULL, "connect_ex: %s", strerror(errno));
	struct problems pr = {0};
	ck_assert_int_ge(shmheap_check(c, count_problem, &pr), 1);
	ck_assert_uint_eq(pr.first_offset, HEAP_FIRST_BLOCK);
	shmheap_disconnect(c);
	/* Inspection changed nothing: the image is as written. */
	size_t now_len;
	unsigned char *now = read_object(name, &now_len);
	ck_assert_uint_eq(now_len, len);
	ck_assert_mem_eq(now + 64, img + 64, len - 64); /* past the lock word */
	free(now);
	free(img);
	co.flags = SHMHEAP_CONNECT_VERIFY;
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &co));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(connect_ex_invalid_options)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	const unsigned bad[] = {SHMHEAP_CONNECT_UNLOCKED, 0x4, ~0u};
	for (size_t i = 0; i < 3; i++) {
		struct shmheap_connect_options co = {.flags = bad[i]};
		errno = 0;
		ck_assert_ptr_null(shmheap_connect_ex(name, &co));
		ck_assert_int_eq(errno, EINVAL);
	}
	/* No options: an ordinary connection. */
	shmheap_memory_handle c = shmheap_connect_ex(name, NULL);
	ck_assert_ptr_nonnull(c);
	void *p = shmheap_alloc(c, 8);
	ck_assert_ptr_nonnull(p);
	shmheap_free(c, p);
	shmheap_disconnect(c);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(tu_name("missing"), NULL));
	ck_assert_int_eq(errno, ENOENT);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-info");
	TCase *tc = tu_tcase("info", 30);
	tcase_add_test(tc, info_describes_heap);
	tcase_add_test(tc, other_users_get_eacces);
	tcase_add_test(tc, info_errors);
	tcase_add_test(tc, info_of_older_programs);
	tcase_add_test(tc, info_index_size);
	tcase_add_test(tc, connect_inspect_never_changes);
	tcase_add_test(tc, connect_inspect_opens_damaged_heap);
	tcase_add_test(tc, connect_ex_invalid_options);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
