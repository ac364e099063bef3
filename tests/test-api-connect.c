/* SPDX-License-Identifier: MIT */
/* test-api-connect.c - connecting: shmheap_connect to good, missing, truncated and damaged objects. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h" /* header field offsets, to forge damaged heaps */
#include "mmf.h"
#include "testutil.h"
#include "api-helpers.h"

START_TEST(connect_missing)
{
	const char *name = tu_name("missing");
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(connect_sees_creator_objects)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *p = shmheap_alloc(h, 64);
	strcpy(p, "hello from the creator");
	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	char *q = shmheap_handle_to_ptr(c, shmheap_ptr_to_handle(h, p));
	ck_assert_str_eq(q, "hello from the creator");
	ck_assert_uint_eq((char *)q - (char *)shmheap_underlying(c),
			  p - (char *)shmheap_underlying(h));
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(connect_random_bytes)
{
	uint64_t seed = 12345;
	for (size_t len = 64; len <= 4 * PAGE; len *= 4) {
		unsigned char *buf = malloc(len);
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)tu_rand(&seed);
		const char *name = tu_name("random");
		make_object(name, buf, len);
		expect_connect_fails(name, EINVAL);
		free(buf);
	}
}
END_TEST

START_TEST(connect_tiny_object)
{
	const char *name = tu_name("tiny");
	size_t len;
	unsigned char *img = heap_image(PAGE, &len);
	make_object(name, img, 40); /* shorter than the header */
	expect_connect_fails(name, EINVAL);
	free(img);
}
END_TEST

/*
 * A zero-length or all-zero object looks exactly like a heap whose creator
 * has not finished; the documented answer after the wait is EAGAIN.
 */
START_TEST(connect_empty_object)
{
	const char *name = tu_name("empty");
	make_object(name, NULL, 0);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_msg(errno == EAGAIN || errno == EINVAL, "errno %d", errno);

	unsigned char zero[PAGE] = {0};
	name = tu_name("zero");
	make_object(name, zero, sizeof(zero));
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_msg(errno == EAGAIN || errno == EINVAL, "errno %d", errno);
}
END_TEST

START_TEST(connect_faithful_copy_works)
{
	/* The control for the damaged images below: an intact copy is a heap. */
	size_t len; /* the heap and its free-block index after it */
	unsigned char *img = heap_image(2 * PAGE, &len);
	const char *name = tu_name("copy");
	make_object(name, img, len);
	shmheap_memory_handle h = shmheap_connect(name);
	ck_assert_msg(h != NULL, "connect copy: %s", strerror(errno));
	ck_assert_int_eq(tu_check(h), 0);
	ck_assert_uint_eq(stats_of(h).objects, 3);
	shmheap_disconnect(h);
	free(img);
}
END_TEST

START_TEST(connect_truncated)
{
	size_t len;
	unsigned char *img = heap_image(2 * PAGE, &len);
	/* Short of the heap, or of its index (the heap alone: 2 * PAGE). */
	const size_t lens[] = {HEAP_HEADER_SIZE, HEAP_HEADER_SIZE + 16, 200, PAGE,
			       2 * PAGE - 8,	 2 * PAGE,		  len - 8};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const char *name = tu_name("trunc");
		make_object(name, img, lens[i]);
		expect_connect_fails(name, EINVAL);
	}
	free(img);

	/* A live heap whose object someone shrank. */
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 4 * PAGE);
	int fd = shm_open(name, O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4 * PAGE), 0); /* its index cut off */
	expect_connect_fails(name, EINVAL);
	ck_assert_int_eq(ftruncate(fd, PAGE), 0);
	close(fd);
	expect_connect_fails(name, EINVAL);
	shmheap_disconnect(h);
}
END_TEST

/*
 * A heap whose header is sound but whose blocks are damaged: connect takes
 * it (it reads the header alone), shmheap_check finds the damage, a connect
 * with SHMHEAP_CONNECT_VERIFY refuses it (EINVAL) and marks it, and plain
 * connects refuse it from then on.
 */
static void expect_verify_refuses(const char *name)
{
#ifdef SHMHEAP_DEBUG
	/* whose connects all verify the heap (lib/heap.c) */
	expect_connect_fails(name, EINVAL);
	return;
#endif
	shmheap_memory_handle h = shmheap_connect(name);
	ck_assert_msg(h != NULL, "connect %s: %s", name, strerror(errno));
	ck_assert_int_gt(tu_check(h), 0);
	shmheap_disconnect(h);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_VERIFY};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &o));
	ck_assert_int_eq(errno, EINVAL);
	expect_connect_fails(name, EINVAL);
}

/* Writes img with one field changed; a header field's damage is refused by
 * every connect (EINVAL), a block's by a verifying one (header false). */
static void forge_field(const unsigned char *img, size_t len, size_t off, size_t width,
			uint64_t value, bool header)
{
	unsigned char *copy = malloc(len);
	memcpy(copy, img, len);
	memcpy(copy + off, &value, width); /* little-endian: the low bytes */
	const char *name = tu_name("forged");
	make_object(name, copy, len);
	if (header)
		expect_connect_fails(name, EINVAL);
	else
		expect_verify_refuses(name);
	free(copy);
}

static void connect_with_field(const unsigned char *img, size_t len, size_t off,
			       size_t width, uint64_t value)
{
	forge_field(img, len, off, width, value, true);
}

START_TEST(connect_damaged_header)
{
	size_t len; /* the whole object: the heap and its index */
	unsigned char *img = heap_image(2 * PAGE, &len);
	struct heap_header hdr;
	memcpy(&hdr, img, sizeof(hdr));

#define FIELD(f) offsetof(struct heap_header, f), sizeof(hdr.f)
	connect_with_field(img, len, FIELD(magic), hdr.magic ^ 1);
	connect_with_field(img, len, FIELD(version), hdr.version + 1);
	connect_with_field(img, len, FIELD(version), 0);
	connect_with_field(img, len, FIELD(flags), 0x8000);
	/* A heap as long as the whole object: its index lies beyond it. */
	connect_with_field(img, len, FIELD(size_pages), len / PAGE);
	connect_with_field(img, len, FIELD(size_pages), 0xffffffff);
	connect_with_field(img, len, FIELD(size_pages), 0);
	connect_with_field(img, len, FIELD(max_pages), 1);	    /* below the size */
	connect_with_field(img, len, FIELD(max_pages), 0xffffffff); /* beyond 32 GiB */
	/* A heap with a fitmap keeps its roots 0: any other root is damage,
	 * inside the heap or beyond it. */
	ck_assert(hdr.flags & HEAP_FLAG_FITMAP);
	ck_assert_uint_eq(hdr.main_root, 0);
	ck_assert_uint_eq(hdr.tiny_root, 0);
	connect_with_field(img, len, FIELD(main_root), 0xfffffff);
	connect_with_field(img, len, FIELD(tiny_root), 0x7777777);
	connect_with_field(img, len, FIELD(main_root), 10);
	connect_with_field(img, len, FIELD(tiny_root), 12);
#undef FIELD
	free(img);
}
END_TEST

START_TEST(connect_damaged_blocks)
{
	size_t len; /* the whole object: the heap and its index */
	unsigned char *img = heap_image(2 * PAGE, &len);
	/* The first block word: size 0, a size past the end, an odd size. */
	forge_field(img, len, HEAP_FIRST_BLOCK, 8, 0, false);
	forge_field(img, len, HEAP_FIRST_BLOCK, 8, 0x0fffffff8ull | BW_IN_USE, false);
	uint64_t bw;
	memcpy(&bw, img + HEAP_FIRST_BLOCK, 8);
	forge_field(img, len, HEAP_FIRST_BLOCK, 8, bw ^ 0x10, false);
	/* The flag of the fitmap cleared: the free blocks are in no treap. */
	struct heap_header hdr;
	memcpy(&hdr, img, sizeof(hdr));
	forge_field(img, len, offsetof(struct heap_header, flags), sizeof(hdr.flags),
		    hdr.flags & ~HEAP_FLAG_FITMAP, false);
	/* Every byte after the header scrambled, the index's too. */
	unsigned char *copy = malloc(len);
	memcpy(copy, img, HEAP_HEADER_SIZE);
	uint64_t seed = 99;
	for (size_t i = HEAP_HEADER_SIZE; i < len; i++)
		copy[i] = (unsigned char)tu_rand(&seed);
	const char *name = tu_name("scrambled");
	make_object(name, copy, len);
	expect_verify_refuses(name);
	free(copy);
	free(img);
}
END_TEST

static bool marked_damaged(shmheap_memory_handle h)
{
	const struct heap_header *hdr = shmheap_underlying(h);
	return __atomic_load_n(&hdr->flags, __ATOMIC_ACQUIRE) & HEAP_FLAG_DAMAGED;
}

/*
 * Connect reads the header alone: a block damaged in the middle of a heap of
 * 100,000 blocks is not seen by connect, but by the call that meets it,
 * which fails with EUCLEAN and marks the heap; from then on connects refuse
 * it.  Calls that do not meet the damage work meanwhile.
 */
#define WALK_OBJECTS 100000u
START_TEST(connect_does_not_walk_the_heap)
{
#ifdef SHMHEAP_DEBUG
	/* Its connects verify the whole heap, and its calls abort on a damaged
	 * heap: what this case tests does not exist in a debug build. */
	return;
#endif
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 8u << 20);
	void **p = malloc(WALK_OBJECTS * sizeof(*p));
	ck_assert_ptr_nonnull(p);
	for (unsigned i = 0; i < WALK_OBJECTS; i++)
		ck_assert_ptr_nonnull(p[i] = shmheap_alloc(h, 48));
	for (unsigned i = 0; i < WALK_OBJECTS; i += 2)
		shmheap_free(h, p[i]);
	ck_assert_int_eq(tu_check(h), 0);

	/* A free block in the middle claims to reach far past the heap. */
	unsigned mid = WALK_OBJECTS / 2;
	uint64_t *w = (uint64_t *)p[mid] - 1;
	*w = (*w & ~BW_SIZE_MASK) | 0x7fffff8ull;

	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_msg(c != NULL, "connect: %s", strerror(errno));
	ck_assert(!marked_damaged(c));
	struct shmheap_info before;
	ck_assert_int_eq(shmheap_info(name, &before), 0);
	ck_assert_int_eq(before.damaged, 0);
	void *q = shmheap_alloc(c, 48); /* the first free block fits */
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(shmheap_free_checked(c, q), 0);
	ck_assert_int_eq(shmheap_free_checked(c,
					      shmheap_handle_to_ptr(
						      c, shmheap_ptr_to_handle(h, p[1]))),
			 0);
	ck_assert(!marked_damaged(c));

	/* Freeing the damaged block's left neighbour merges with it. */
	void *left = shmheap_handle_to_ptr(c, shmheap_ptr_to_handle(h, p[mid - 1]));
	errno = 0;
	ck_assert_int_eq(shmheap_free_checked(c, left), -1);
	ck_assert_int_eq(errno, EUCLEAN);
	ck_assert(marked_damaged(c));
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(name, &info), 0);
	ck_assert_int_eq(info.damaged, 1);

	expect_connect_fails(name, EINVAL);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_VERIFY};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &o));
	ck_assert_int_eq(errno, EINVAL);
	/* An inspection still takes it, and its check names the mark. */
	o.flags = SHMHEAP_CONNECT_INSPECT;
	shmheap_memory_handle r = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_gt(tu_check(r), 1);
	shmheap_disconnect(r);
	shmheap_disconnect(c);
	free(p);
	shmheap_destroy(name, h);
}
END_TEST

/*
 * A connect that finds the lock's holder dead repairs the heap and then
 * checks it whole: a live block whose tag no repair can mend is damage, and
 * the heap is marked and refused.
 */
START_TEST(connect_checks_after_a_repair)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 4 * PAGE);
	uint64_t *obj = shmheap_alloc(h, 40);
	ck_assert_ptr_nonnull(obj);
	obj[-1] ^= (uint64_t)1 << BW_TAG_SHIFT;
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(pthread_mutex_lock(
			      &((struct heap_header *)shmheap_underlying(h))->lock) == 0
			      ? 0
			      : 1);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(!marked_damaged(h));
	expect_connect_fails(name, EINVAL);
	ck_assert(marked_damaged(h));
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api-connect");
	TCase *tc = tu_tcase("connect", 30);
	tcase_add_test(tc, connect_missing);
	tcase_add_test(tc, connect_sees_creator_objects);
	tcase_add_test(tc, connect_random_bytes);
	tcase_add_test(tc, connect_tiny_object);
	tcase_add_test(tc, connect_empty_object);
	tcase_add_test(tc, connect_faithful_copy_works);
	tcase_add_test(tc, connect_truncated);
	tcase_add_test(tc, connect_damaged_header);
	tcase_add_test(tc, connect_damaged_blocks);
	tcase_add_test(tc, connect_does_not_walk_the_heap);
	tcase_add_test(tc, connect_checks_after_a_repair);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
