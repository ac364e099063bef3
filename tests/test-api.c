/* SPDX-License-Identifier: MIT */
/* test-api.c - every public call of libshmheap: success and each error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layout.h" /* header field offsets, to forge damaged heaps */
#include "mmf.h"
#include "testutil.h"

#define PAGE 4096

/* ---- helpers ---------------------------------------------------------- */

/* Makes a plain shared-memory object holding exactly len bytes of buf. */
static void make_object(const char *name, const void *buf, size_t len)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_msg(fd >= 0, "shm_open %s: %s", name, strerror(errno));
	if (len)
		ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* The bytes and size of a shared-memory object. */
static unsigned char *read_object(const char *name, size_t *len)
{
	int fd = shm_open(name, O_RDONLY, 0);
	ck_assert_msg(fd >= 0, "shm_open %s: %s", name, strerror(errno));
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	unsigned char *buf = malloc(*len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, *len, 0), (ssize_t)*len);
	close(fd);
	return buf;
}

static mode_t object_mode(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	return st.st_mode & 07777;
}

static shmheap_memory_handle make_heap(const char **name, size_t len)
{
	*name = tu_name("heap");
	shmheap_memory_handle h = shmheap_create(*name, len);
	ck_assert_msg(h != NULL, "create %s: %s", *name, strerror(errno));
	return h;
}

static shmheap_memory_handle make_fixed_heap(const char **name, size_t len)
{
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	*name = tu_name("fixed");
	shmheap_memory_handle h = shmheap_create_ex(*name, len, &o);
	ck_assert_msg(h != NULL, "create_ex %s: %s", *name, strerror(errno));
	return h;
}

static struct shmheap_stats stats_of(shmheap_memory_handle h)
{
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	return st;
}

/* A heap image with three objects in it, taken from a real heap. */
static unsigned char *heap_image(size_t len)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, len);
	memset(shmheap_alloc(h, 24), 0x11, 24);
	memset(shmheap_alloc(h, 8), 0x22, 8);
	memset(shmheap_alloc(h, 300), 0x33, 300);
	unsigned char *img = malloc(len);
	ck_assert_ptr_nonnull(img);
	memcpy(img, shmheap_underlying(h), len);
	shmheap_destroy(name, h);
	return img;
}

static void expect_connect_fails(const char *name, int err)
{
	errno = 0;
	shmheap_memory_handle h = shmheap_connect(name);
	ck_assert_msg(h == NULL, "connect %s succeeded on a damaged object", name);
	ck_assert_msg(errno == err, "connect: errno %d (%s), want %d (%s)", errno,
		      strerror(errno), err, strerror(err));
}

/* ---- create ----------------------------------------------------------- */

START_TEST(create_makes_object_of_len)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 4 * PAGE);
	size_t len;
	free(read_object(name, &len));
	ck_assert_uint_eq(len, 4 * PAGE);
	ck_assert_uint_eq(object_mode(name), 0600);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, 4 * PAGE);
	ck_assert_uint_eq(st.max_size, SHMHEAP_DEFAULT_MAX_SIZE);
	shmheap_destroy(name, h);
	ck_assert(!tu_shm_exists(name));
}
END_TEST

START_TEST(create_mode_ignores_umask)
{
	mode_t old = umask(0);
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	ck_assert_uint_eq(object_mode(name), 0600);
	shmheap_destroy(name, h);

	umask(077);
	struct shmheap_options o = {.mode = 0644};
	name = tu_name("mode");
	h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(object_mode(name), 0644);
	shmheap_destroy(name, h);

	umask(022);
	o.mode = 0660;
	name = tu_name("mode");
	h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(object_mode(name), 0660);
	shmheap_destroy(name, h);
	umask(old);
}
END_TEST

START_TEST(create_existing_object_untouched)
{
	const char *name = tu_name("raw");
	unsigned char buf[2 * PAGE];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	make_object(name, buf, sizeof(buf));

	errno = 0;
	ck_assert_ptr_null(shmheap_create(name, PAGE));
	ck_assert_int_eq(errno, EEXIST);
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	errno = 0;
	ck_assert_ptr_null(shmheap_create_ex(name, PAGE, &o));
	ck_assert_int_eq(errno, EEXIST);

	size_t len;
	unsigned char *now = read_object(name, &len);
	ck_assert_uint_eq(len, sizeof(buf));
	ck_assert_mem_eq(now, buf, sizeof(buf));
	free(now);
	shm_unlink(name);
}
END_TEST

START_TEST(create_existing_heap_untouched)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *p = shmheap_alloc(h, 100);
	memset(p, 0x5a, 100);
	size_t len;
	unsigned char *before = read_object(name, &len);

	errno = 0;
	ck_assert_ptr_null(shmheap_create(name, 2 * PAGE));
	ck_assert_int_eq(errno, EEXIST);
	size_t len2;
	unsigned char *after = read_object(name, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(before, after, len);
	free(before);
	free(after);

	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(tu_check(c), 0);
	ck_assert_uint_eq(stats_of(c).objects, 1);
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(create_invalid_names)
{
	char longname[NAME_MAX + 8];
	longname[0] = '/';
	memset(longname + 1, 'a', sizeof(longname) - 2);
	longname[sizeof(longname) - 1] = '\0';
	const char *bad[] = {NULL, "", "/", "x", "noslash", "/a/b", "/a/", "//", longname};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_create(bad[i], PAGE) == NULL, "create accepted name %zu", i);
		ck_assert_msg(errno == EINVAL, "name %zu: errno %d", i, errno);
		errno = 0;
		ck_assert_ptr_null(shmheap_create_ex(bad[i], PAGE, NULL));
		ck_assert_int_eq(errno, EINVAL);
		errno = 0;
		ck_assert_ptr_null(shmheap_connect(bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert(!tu_shm_exists("/x"));
}
END_TEST

START_TEST(create_invalid_sizes)
{
	/* Other lengths are rounded up to pages: see tests/test-lab-sizes.c. */
	const size_t bad[] = {0, 1, 8, SHMHEAP_MIN_SIZE - 1, SIZE_MAX, SIZE_MAX - PAGE + 1,
			      SHMHEAP_MAX_HEAP_SIZE + 1, SHMHEAP_MAX_HEAP_SIZE + PAGE};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *name = tu_name("size");
		errno = 0;
		ck_assert_msg(shmheap_create(name, bad[i]) == NULL, "create accepted len %zu", bad[i]);
		ck_assert_msg(errno == EINVAL, "len %zu: errno %d", bad[i], errno);
		ck_assert_msg(!tu_shm_exists(name), "len %zu left an object behind", bad[i]);
	}
}
END_TEST

START_TEST(create_ex_invalid_options)
{
	const struct shmheap_options bad[] = {
		{.max_size = PAGE},                 /* below len */
		{.max_size = SHMHEAP_MAX_HEAP_SIZE + PAGE}, /* beyond the layout */
		{.flags = 0x2},                     /* unknown flag */
		{.flags = ~0u},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *name = tu_name("opts");
		errno = 0;
		ck_assert_msg(shmheap_create_ex(name, 2 * PAGE, &bad[i]) == NULL,
			      "create_ex accepted options %zu", i);
		ck_assert_msg(errno == EINVAL, "options %zu: errno %d", i, errno);
		ck_assert(!tu_shm_exists(name));
	}
}
END_TEST

START_TEST(create_ex_options_apply)
{
	const char *name = tu_name("opts");
	struct shmheap_options o = {0};
	shmheap_memory_handle h = shmheap_create_ex(name, 2 * PAGE, &o);
	ck_assert_ptr_nonnull(h);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, 2 * PAGE);
	ck_assert_uint_eq(st.max_size, SHMHEAP_DEFAULT_MAX_SIZE);
	ck_assert_uint_eq(object_mode(name), 0600);
	shmheap_destroy(name, h);

	name = tu_name("opts");
	o = (struct shmheap_options){.max_size = 1 << 20};
	h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(stats_of(h).max_size, 1 << 20);
	shmheap_destroy(name, h);

	h = make_fixed_heap(&name, 3 * PAGE);
	st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, 3 * PAGE);
	ck_assert_uint_eq(st.max_size, 3 * PAGE);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- connect ---------------------------------------------------------- */

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
	unsigned char *img = heap_image(PAGE);
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
	unsigned char *img = heap_image(2 * PAGE);
	const char *name = tu_name("copy");
	make_object(name, img, 2 * PAGE);
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
	unsigned char *img = heap_image(2 * PAGE);
	const size_t lens[] = {HEAP_HEADER_SIZE, HEAP_HEADER_SIZE + 16, 200, PAGE, 2 * PAGE - 8};
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
	ck_assert_int_eq(ftruncate(fd, PAGE), 0);
	close(fd);
	expect_connect_fails(name, EINVAL);
	shmheap_disconnect(h);
}
END_TEST

/* Writes img with one header field changed, and expects EINVAL. */
static void connect_with_field(const unsigned char *img, size_t len, size_t off, size_t width,
			       uint64_t value)
{
	unsigned char *copy = malloc(len);
	memcpy(copy, img, len);
	memcpy(copy + off, &value, width); /* little-endian: the low bytes */
	const char *name = tu_name("forged");
	make_object(name, copy, len);
	expect_connect_fails(name, EINVAL);
	free(copy);
}

START_TEST(connect_damaged_header)
{
	const size_t len = 2 * PAGE;
	unsigned char *img = heap_image(len);
	struct heap_header hdr;
	memcpy(&hdr, img, sizeof(hdr));

#define FIELD(f) offsetof(struct heap_header, f), sizeof(hdr.f)
	connect_with_field(img, len, FIELD(magic), hdr.magic ^ 1);
	connect_with_field(img, len, FIELD(version), hdr.version + 1);
	connect_with_field(img, len, FIELD(version), 0);
	connect_with_field(img, len, FIELD(flags), 0x8000);
	connect_with_field(img, len, FIELD(size_pages), 3);        /* beyond the object */
	connect_with_field(img, len, FIELD(size_pages), 0xffffffff);
	connect_with_field(img, len, FIELD(size_pages), 0);
	connect_with_field(img, len, FIELD(max_pages), 1);         /* below the size */
	connect_with_field(img, len, FIELD(max_pages), 0xffffffff); /* beyond 32 GiB */
	connect_with_field(img, len, FIELD(main_root), 0xfffffff);
	connect_with_field(img, len, FIELD(tiny_root), 0x7777777);
#undef FIELD
	free(img);
}
END_TEST

START_TEST(connect_damaged_blocks)
{
	const size_t len = 2 * PAGE;
	unsigned char *img = heap_image(len);
	/* The first block word: size 0, a size past the end, an odd size. */
	connect_with_field(img, len, HEAP_FIRST_BLOCK, 8, 0);
	connect_with_field(img, len, HEAP_FIRST_BLOCK, 8, 0x0fffffff8ull | BW_IN_USE);
	uint64_t bw;
	memcpy(&bw, img + HEAP_FIRST_BLOCK, 8);
	connect_with_field(img, len, HEAP_FIRST_BLOCK, 8, bw ^ 0x10);
	/* Every byte after the header scrambled. */
	unsigned char *copy = malloc(len);
	memcpy(copy, img, HEAP_HEADER_SIZE);
	uint64_t seed = 99;
	for (size_t i = HEAP_HEADER_SIZE; i < len; i++)
		copy[i] = (unsigned char)tu_rand(&seed);
	const char *name = tu_name("scrambled");
	make_object(name, copy, len);
	expect_connect_fails(name, EINVAL);
	free(copy);
	free(img);
}
END_TEST

/* ---- disconnect, destroy, underlying ------------------------------------ */

START_TEST(destroy_removes_name_others_keep_working)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	char *p = shmheap_alloc(c, 32);
	strcpy(p, "still here");

	shmheap_destroy(name, h);
	ck_assert(!tu_shm_exists(name));
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, ENOENT);

	/* The other connection still works, growth included. */
	ck_assert_str_eq(p, "still here");
	char *q = shmheap_alloc(c, 3 * PAGE);
	ck_assert_ptr_nonnull(q);
	memset(q, 1, 3 * PAGE);
	shmheap_free(c, p);
	shmheap_free(c, q);
	ck_assert_int_eq(tu_check(c), 0);
	ck_assert_uint_eq(stats_of(c).objects, 0);
	shmheap_disconnect(c);

	shmheap_disconnect(NULL); /* does nothing */
}
END_TEST

START_TEST(disconnect_keeps_object)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_object_handle hdl = shmheap_ptr_to_handle(h, strcpy(shmheap_alloc(h, 16), "kept"));
	shmheap_disconnect(h);
	ck_assert(tu_shm_exists(name));
	h = shmheap_connect(name);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(shmheap_handle_to_ptr(h, hdl), "kept");
	shmheap_destroy(name, h);
	ck_assert(!tu_shm_exists(name));
}
END_TEST

START_TEST(underlying_is_heap_start)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *base = shmheap_underlying(h);
	ck_assert_ptr_nonnull(base);
	ck_assert_uint_eq((uintptr_t)base % PAGE, 0);
	ck_assert_ptr_eq(shmheap_alloc(h, 1), base + 80);
	ck_assert_ptr_eq(shmheap_alloc(h, 1), base + 96);

	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	char *cbase = shmheap_underlying(c);
	ck_assert_ptr_ne(cbase, base);
	base[80] = 'x';
	ck_assert_int_eq(cbase[80], 'x');
	shmheap_disconnect(c);

	errno = 0;
	ck_assert_ptr_null(shmheap_underlying(NULL));
	ck_assert_int_eq(errno, EINVAL);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- alloc -------------------------------------------------------------- */

START_TEST(alloc_aligns_and_rounds)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 64 * PAGE);
	char *base = shmheap_underlying(h);
	size_t expect = 80;
	for (size_t sz = 0; sz <= 300; sz++) {
		char *p = shmheap_alloc(h, sz);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % SHMHEAP_ALIGNMENT, 0);
		ck_assert_uint_eq((size_t)(p - base), expect);
		memset(p, 0xee, sz ? sz : 8);
		size_t rounded = sz ? (sz + 7) / 8 * 8 : 8;
		expect += rounded + 8;
	}
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 301);
	ck_assert_uint_eq(st.overhead_bytes, 301 * 8);
	ck_assert_uint_eq(st.used_bytes + st.overhead_bytes + 72, expect - 8);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(alloc_zero_is_unique_object)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	uint64_t *a = shmheap_alloc(h, 0), *b = shmheap_alloc(h, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq((char *)b - (char *)a, 16);
	*a = 0x1111111111111111ull;
	*b = 0x2222222222222222ull;
	ck_assert_uint_eq(*a, 0x1111111111111111ull);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 2);
	ck_assert_uint_eq(st.used_bytes, 16);
	ck_assert_int_eq(shmheap_free_checked(h, a), 0);
	ck_assert_int_eq(shmheap_free_checked(h, b), 0);
	ck_assert_uint_eq(stats_of(h).objects, 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(alloc_huge_fails_cleanly)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_alloc(h, 40);
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	const size_t huge[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 6, SIZE_MAX - 7, SIZE_MAX - 8,
			       SIZE_MAX - 15, SIZE_MAX / 2 + 1, (size_t)1 << 40,
			       SHMHEAP_MAX_HEAP_SIZE, SHMHEAP_MAX_HEAP_SIZE - 8,
			       SHMHEAP_DEFAULT_MAX_SIZE, SHMHEAP_DEFAULT_MAX_SIZE - 80};
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_alloc(h, huge[i]) == NULL, "alloc(%zu) succeeded", huge[i]);
		ck_assert_msg(errno == ENOMEM, "alloc(%zu): errno %d", huge[i], errno);
		tu_layout_take(h, &after);
		ck_assert(tu_layout_equal(&before, &after));
		ck_assert_uint_eq(stats_of(h).heap_size, PAGE);
	}
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(NULL, 8));
	ck_assert_int_eq(errno, EINVAL);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(alloc_fixed_heap_exhausted)
{
	const char *name;
	shmheap_memory_handle h = make_fixed_heap(&name, PAGE);
	/* The whole free block, exactly. */
	void *all = shmheap_alloc(h, PAGE - 80);
	ck_assert_ptr_eq(all, (char *)shmheap_underlying(h) + 80);
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(h, 0));
	ck_assert_int_eq(errno, ENOMEM);
	tu_layout_take(h, &after);
	ck_assert(tu_layout_equal(&before, &after));
	shmheap_free(h, all);

	/* 4024 free bytes hold 250 blocks of 16, and a 24-byte last one. */
	int n = 0;
	void *p;
	while ((p = shmheap_alloc(h, 8)))
		n++;
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(n, 251);
	tu_layout_take(h, &before);
	ck_assert_uint_eq(before.n, 251);
	ck_assert_uint_eq(before.blk[250].size, 16);
	ck_assert_int_eq(before.blk[250].in_use, 1);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, PAGE);
	ck_assert_uint_eq(st.free_blocks, 0);
	ck_assert_uint_eq(st.free_bytes, 0);
	ck_assert_uint_eq(st.largest_free, 0);
	ck_assert_int_eq(tu_check(h), 0);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- free --------------------------------------------------------------- */

START_TEST(free_null_does_nothing)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_alloc(h, 8);
	struct tu_layout before = {0}, after = {0};
	tu_layout_take(h, &before);
	shmheap_free(h, NULL);
	ck_assert_int_eq(shmheap_free_checked(h, NULL), 0);
	shmheap_free(NULL, NULL);
	ck_assert_int_eq(shmheap_free_checked(NULL, NULL), 0);
	tu_layout_take(h, &after);
	ck_assert(tu_layout_equal(&before, &after));
	ck_assert_uint_eq(stats_of(h).invalid_frees, 0);
	errno = 0;
	ck_assert_int_eq(shmheap_free_checked(NULL, &before), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_layout_free(&before);
	tu_layout_free(&after);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(free_invalid_pointers_refused)
{
	const char *name, *other_name;
	shmheap_memory_handle h = make_heap(&name, 4 * PAGE);
	shmheap_memory_handle other = make_heap(&other_name, PAGE);
	char *base = shmheap_underlying(h);
	char *a = shmheap_alloc(h, 32);
	char *b = shmheap_alloc(h, 8);
	char *c = shmheap_alloc(h, 100);
	char *d = shmheap_alloc(h, 16);
	char *e = shmheap_alloc(h, 64);
	memset(a, 0xaa, 32);
	memset(c, 0xcc, 100);
	memset(e, 0xee, 64);
	shmheap_free(h, b);
	shmheap_free(h, d);
	char *o = shmheap_alloc(other, 32); /* same offset as a, other heap */
	ck_assert_uint_eq(o - (char *)shmheap_underlying(other), a - base);
	long on_stack;
	char *on_malloc = malloc(64);

	char *bad[] = {
		(char *)&on_stack, on_malloc, a + 1, a + 4, a + 8, a + 24, c + 8, c + 64, c + 96,
		b,                            /* already freed */
		d,                            /* freed and merged */
		base, base + 8, base + 72, base + 76, /* header, block word */
		e + 72, e + 80,               /* free space after the objects */
		base + 4 * PAGE - 8, base + 4 * PAGE, base + 4 * PAGE + 8, /* at and past the end */
		base + (1 << 30),             /* reserved, never mapped */
		base - 8, base - PAGE,        /* before the heap */
		o,                            /* a live object of another heap */
		(char *)(uintptr_t)8, (char *)(uintptr_t)-8,
	};
	struct tu_layout before = {0}, after = {0}, other_before = {0}, other_after = {0};
	tu_layout_take(h, &before);
	tu_layout_take(other, &other_before);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_free_checked(h, bad[i]) == -1, "free of bad[%zu] accepted", i);
		ck_assert_msg(errno == EINVAL, "bad[%zu]: errno %d", i, errno);
		shmheap_free(h, bad[i]);
		tu_layout_take(h, &after);
		ck_assert_msg(tu_layout_equal(&before, &after), "free of bad[%zu] changed the heap", i);
		ck_assert_uint_eq(stats_of(h).invalid_frees, 2 * (i + 1));
	}
	tu_layout_take(other, &other_after);
	ck_assert(tu_layout_equal(&other_before, &other_after));
	ck_assert_uint_eq(stats_of(other).invalid_frees, 0);
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq((unsigned char)a[i], 0xaa);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq((unsigned char)c[i], 0xcc);
	ck_assert_int_eq(tu_check(h), 0);

	/* The genuine objects still free normally. */
	ck_assert_int_eq(shmheap_free_checked(h, a), 0);
	ck_assert_int_eq(shmheap_free_checked(h, c), 0);
	ck_assert_int_eq(shmheap_free_checked(h, e), 0);
	ck_assert_int_eq(shmheap_free_checked(other, o), 0);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_int_eq(tu_check(h), 0);

	free(on_malloc);
	tu_layout_free(&before);
	tu_layout_free(&after);
	tu_layout_free(&other_before);
	tu_layout_free(&other_after);
	shmheap_destroy(other_name, other);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(invalid_frees_count_per_connection)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	shmheap_memory_handle c = shmheap_connect(name);
	char *p = shmheap_alloc(h, 16);
	shmheap_free(c, p + 8);
	ck_assert_uint_eq(stats_of(c).invalid_frees, 1);
	ck_assert_uint_eq(stats_of(h).invalid_frees, 0);
	/* A connection may free what another allocated. */
	ck_assert_int_eq(shmheap_free_checked(c, shmheap_handle_to_ptr(c, shmheap_ptr_to_handle(h, p))), 0);
	ck_assert_uint_eq(stats_of(h).objects, 0);
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- handles ------------------------------------------------------------ */

START_TEST(handles_round_trip)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 16 * PAGE);
	void *objs[200];
	shmheap_object_handle hdls[200];
	for (int i = 0; i < 200; i++) {
		objs[i] = shmheap_alloc(h, (size_t)i * 3);
		hdls[i] = shmheap_ptr_to_handle(h, objs[i]);
		ck_assert_uint_ne(hdls[i].value, 0);
		ck_assert_ptr_eq(shmheap_handle_to_ptr(h, hdls[i]), objs[i]);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(hdls[i].value, hdls[j].value);
	}
	/* The null handle and NULL. */
	ck_assert_uint_eq(shmheap_ptr_to_handle(h, NULL).value, 0);
	ck_assert_ptr_null(shmheap_handle_to_ptr(h, (shmheap_object_handle){0}));

	/* Another connection resolves the same handles to its own addresses. */
	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 200; i++) {
		char *q = shmheap_handle_to_ptr(c, hdls[i]);
		ck_assert_uint_eq(q - (char *)shmheap_underlying(c),
				  (char *)objs[i] - (char *)shmheap_underlying(h));
		ck_assert_uint_eq(shmheap_ptr_to_handle(c, q).value, hdls[i].value);
	}
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(handles_refused_elsewhere)
{
	const char *na, *nb;
	shmheap_memory_handle a = make_heap(&na, PAGE);
	shmheap_memory_handle b = make_heap(&nb, PAGE);
	void *pa = shmheap_alloc(a, 16);
	shmheap_alloc(b, 16);
	shmheap_object_handle ha = shmheap_ptr_to_handle(a, pa);

	errno = 0;
	ck_assert_ptr_null(shmheap_handle_to_ptr(b, ha));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_handle_to_ptr(NULL, ha));
	ck_assert_int_eq(errno, EINVAL);

	/* Pointers that are not in the heap have no handle. */
	long on_stack;
	void *bad[] = {&on_stack, shmheap_underlying(a), (char *)shmheap_underlying(a) + 8,
		       (char *)shmheap_underlying(a) + PAGE, (char *)shmheap_underlying(a) + (1 << 30)};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(shmheap_ptr_to_handle(a, bad[i]).value == 0, "bad[%zu] got a handle", i);
		ck_assert_int_eq(errno, EINVAL);
	}
	errno = 0;
	ck_assert_uint_eq(shmheap_ptr_to_handle(NULL, pa).value, 0);
	ck_assert_int_eq(errno, EINVAL);

	/* A handle whose offset lies past the heap's end. */
	shmheap_object_handle far = {ha.value + ((uint64_t)1 << 30)};
	errno = 0;
	ck_assert_ptr_null(shmheap_handle_to_ptr(a, far));
	ck_assert_int_eq(errno, EINVAL);
	shmheap_object_handle low = {ha.value - 16 * 4}; /* into the header */
	errno = 0;
	ck_assert_ptr_null(shmheap_handle_to_ptr(a, low));
	ck_assert_int_eq(errno, EINVAL);

	shmheap_destroy(na, a);
	shmheap_destroy(nb, b);
}
END_TEST

struct pipe_child {
	const char *name;
	int in, out;
};

/* Connects by itself, checks what the handles name, answers with its own. */
static void handle_child(void *arg)
{
	struct pipe_child *pc = arg;
	shmheap_memory_handle h = shmheap_connect(pc->name);
	TU_REQUIRE(h != NULL, "connect: %s", strerror(errno));
	for (uint32_t i = 0; i < 50; i++) {
		shmheap_object_handle hdl;
		TU_REQUIRE(tu_read_all(pc->in, &hdl, sizeof(hdl)) == 0, "short read");
		void *p = shmheap_handle_to_ptr(h, hdl);
		TU_REQUIRE(p != NULL, "handle %u did not resolve: %s", i, strerror(errno));
		TU_REQUIRE(tu_verify(p, 8 + i, 1, i) < 0, "object %u corrupt", i);
		void *q = shmheap_alloc(h, 8 + i);
		TU_REQUIRE(q != NULL, "alloc");
		tu_fill(q, 8 + i, 2, i);
		shmheap_object_handle reply = shmheap_ptr_to_handle(h, q);
		tu_write_all(pc->out, &reply, sizeof(reply));
	}
	shmheap_disconnect(h);
}

START_TEST(handles_cross_pipe_to_child)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, 4 * PAGE);
	int down[2], up[2];
	ck_assert_int_eq(pipe(down), 0);
	ck_assert_int_eq(pipe(up), 0);
	struct pipe_child pc = {name, down[0], up[1]};
	pid_t pid = tu_fork(handle_child, &pc, 20);
	close(down[0]);
	close(up[1]);
	for (uint32_t i = 0; i < 50; i++) {
		void *p = shmheap_alloc(h, 8 + i);
		tu_fill(p, 8 + i, 1, i);
		shmheap_object_handle hdl = shmheap_ptr_to_handle(h, p);
		unsigned char bytes[sizeof(hdl)];
		memcpy(bytes, &hdl, sizeof(hdl)); /* a bitwise copy, nothing more */
		ck_assert_int_eq(write(down[1], bytes, sizeof(bytes)), (ssize_t)sizeof(bytes));
		shmheap_object_handle reply;
		ck_assert_int_eq(tu_read_all(up[0], &reply, sizeof(reply)), 0);
		void *q = shmheap_handle_to_ptr(h, reply);
		ck_assert_ptr_nonnull(q);
		ck_assert_int_lt(tu_verify(q, 8 + i, 2, i), 0);
		ck_assert_int_lt(tu_verify(p, 8 + i, 1, i), 0);
	}
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	close(down[1]);
	close(up[0]);
	ck_assert_uint_eq(stats_of(h).objects, 100);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- stats, walk, check --------------------------------------------------- */

START_TEST(stats_of_fresh_heap)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.heap_size, PAGE);
	ck_assert_uint_eq(st.header_size, 80);
	ck_assert_uint_eq(st.used_bytes, 0);
	ck_assert_uint_eq(st.overhead_bytes, 0);
	ck_assert_uint_eq(st.free_bytes, PAGE - 72);
	ck_assert_uint_eq(st.largest_free, PAGE - 80);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.invalid_frees, 0);
	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.blk[0].offset, 80);
	ck_assert_uint_eq(l.blk[0].size, PAGE - 80);
	ck_assert_int_eq(l.blk[0].in_use, 0);
	tu_layout_free(&l);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(stats_and_walk_of_known_layout)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *base = shmheap_underlying(h);
	char *a = shmheap_alloc(h, 1);   /* block 72..88 */
	char *b = shmheap_alloc(h, 24);  /* block 88..120 */
	char *c = shmheap_alloc(h, 100); /* block 120..232 */
	ck_assert_ptr_eq(a, base + 80);
	ck_assert_ptr_eq(b, base + 96);
	ck_assert_ptr_eq(c, base + 128);
	shmheap_free(h, b);

	const struct shmheap_block want[] = {
		{80, 8, 1}, {96, 24, 0}, {128, 104, 1}, {240, PAGE - 240, 0}};
	struct tu_layout l = {0};
	tu_layout_take(h, &l);
	ck_assert_uint_eq(l.n, 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(l.blk[i].offset, want[i].offset);
		ck_assert_uint_eq(l.blk[i].size, want[i].size);
		ck_assert_int_eq(l.blk[i].in_use, want[i].in_use);
	}
	tu_layout_free(&l);

	struct shmheap_stats st = stats_of(h);
	ck_assert_uint_eq(st.objects, 2);
	ck_assert_uint_eq(st.used_bytes, 8 + 104);
	ck_assert_uint_eq(st.overhead_bytes, 16);
	ck_assert_uint_eq(st.free_blocks, 2);
	ck_assert_uint_eq(st.free_bytes, 32 + PAGE - 232);
	ck_assert_uint_eq(st.largest_free, PAGE - 240);
	ck_assert_uint_eq(st.used_bytes + st.overhead_bytes + st.free_bytes + 72, PAGE);
	ck_assert_int_eq(tu_check(h), 0);

	/* Freeing c merges it with both neighbours. */
	shmheap_free(h, c);
	st = stats_of(h);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.free_bytes, PAGE - 88);
	ck_assert_uint_eq(st.largest_free, PAGE - 96);
	shmheap_free(h, a);
	st = stats_of(h);
	ck_assert_uint_eq(st.free_blocks, 1);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.largest_free, PAGE - 80);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

static int stop_after_two(const struct shmheap_block *blk, void *arg)
{
	(void)blk;
	return ++*(int *)arg == 2;
}

struct problems {
	int n;
	size_t first_offset;
};

static void count_problem(size_t offset, const char *problem, void *arg)
{
	struct problems *p = arg;
	ck_assert_ptr_nonnull(problem);
	if (p->n++ == 0)
		p->first_offset = offset;
}

START_TEST(walk_stops_and_errors)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	for (int i = 0; i < 5; i++)
		shmheap_alloc(h, 8);
	int calls = 0;
	ck_assert_int_eq(shmheap_walk(h, stop_after_two, &calls), 0);
	ck_assert_int_eq(calls, 2);
	errno = 0;
	ck_assert_int_eq(shmheap_walk(h, NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_walk(NULL, stop_after_two, &calls), -1);
	ck_assert_int_eq(errno, EINVAL);
	struct shmheap_stats st;
	errno = 0;
	ck_assert_int_eq(shmheap_stats(NULL, &st), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_stats(h, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(shmheap_check(NULL, NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(check_reports_damage)
{
	const char *name;
	shmheap_memory_handle h = make_heap(&name, PAGE);
	char *a = shmheap_alloc(h, 8);
	char *b = shmheap_alloc(h, 40);
	shmheap_alloc(h, 8);
	shmheap_free(h, a);
	struct problems pr = {0};
	ck_assert_int_eq(shmheap_check(h, count_problem, &pr), 0);
	ck_assert_int_eq(pr.n, 0);

	/* A live block word with its tag changed. */
	uint64_t *bw = (uint64_t *)(void *)(b - 8);
	uint64_t saved = *bw;
	*bw ^= (uint64_t)1 << 40;
	pr = (struct problems){0};
	int n = shmheap_check(h, count_problem, &pr);
	ck_assert_int_ge(n, 1);
	ck_assert_int_eq(pr.n, n);
	ck_assert_uint_eq(pr.first_offset, (size_t)(b - 8 - (char *)shmheap_underlying(h)));
	*bw = saved;

	/* A free block's footer overwritten (a use-after-free would do this). */
	char *big = shmheap_alloc(h, 200);
	shmheap_alloc(h, 16); /* a live neighbour, so big stays a block of its own */
	shmheap_free(h, big);
	/* Its 208-byte block ends 200 bytes after the object: footer at 192. */
	uint64_t *footer = (uint64_t *)(void *)(big + 192);
	saved = *footer;
	*footer = 12345;
	pr = (struct problems){0};
	ck_assert_int_ge(shmheap_check(h, count_problem, &pr), 1);
	ck_assert_int_ge(pr.n, 1);
	*footer = saved;
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- mmf (exercise 0) ----------------------------------------------------- */

/*
 * The directory is made and removed by the runner (an unchecked fixture), so
 * it goes away also when a test fails in its forked child; each test empties
 * it after itself.
 */
static char mmf_dir[64];

static void mmf_dir_make(void)
{
	snprintf(mmf_dir, sizeof(mmf_dir), "/tmp/shmheap-test-mmf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(mmf_dir));
}

static void mmf_dir_empty(void)
{
	DIR *d = opendir(mmf_dir);
	if (!d)
		return;
	struct dirent *e;
	char path[128 + NAME_MAX];
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", mmf_dir, e->d_name);
			unlink(path);
		}
	closedir(d);
}

static void mmf_dir_remove(void)
{
	mmf_dir_empty();
	rmdir(mmf_dir);
}

START_TEST(mmf_creates_and_shares)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/data", mmf_dir);
	size_t sz = 4 * PAGE;
	unsigned char *p = mmf_create_or_open(path, sz);
	ck_assert_msg(p != NULL, "mmf_create_or_open: %s", strerror(errno));
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size, sz);
	ck_assert(S_ISREG(st.st_mode));
	for (size_t i = 0; i < sz; i++)
		ck_assert_uint_eq(p[i], 0);

	/* A second mapping of the same file sees the first one's writes. */
	unsigned char *q = mmf_create_or_open(path, sz);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_ne(p, q);
	for (size_t i = 0; i < sz; i++)
		p[i] = (unsigned char)(i % 251);
	for (size_t i = 0; i < sz; i++)
		ck_assert_uint_eq(q[i], i % 251);
	q[sz - 1] = 0x42;
	ck_assert_uint_eq(p[sz - 1], 0x42);
	mmf_close(q, sz);
	mmf_close(p, sz);

	/* The data outlives every mapping. */
	p = mmf_create_or_open(path, sz);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p[sz - 1], 0x42);
	for (size_t i = 0; i < sz - 1; i++)
		ck_assert_uint_eq(p[i], i % 251);
	mmf_close(p, sz);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size, sz);

	mmf_close(NULL, sz); /* does nothing */
}
END_TEST

START_TEST(mmf_errors)
{
	char path[128];
	errno = 0;
	ck_assert_ptr_null(mmf_create_or_open(NULL, PAGE));
	ck_assert_int_eq(errno, EINVAL);
	snprintf(path, sizeof(path), "%s/data", mmf_dir);
	errno = 0;
	ck_assert_ptr_null(mmf_create_or_open(path, 0));
	ck_assert_int_eq(errno, EINVAL);

	snprintf(path, sizeof(path), "%s/no/such/dir", mmf_dir);
	errno = 0;
	ck_assert_ptr_null(mmf_create_or_open(path, PAGE));
	ck_assert_int_eq(errno, ENOENT);

	/* An existing file shorter than asked is extended, its data kept (a
	 * mapping past its end would fault later). */
	snprintf(path, sizeof(path), "%s/short", mmf_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	close(fd);
	char *m = mmf_create_or_open(path, PAGE);
	ck_assert_ptr_nonnull(m);
	ck_assert_mem_eq(m, "abc", 3);
	ck_assert_int_eq(m[PAGE - 1], 0);
	mmf_close(m, PAGE);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, PAGE);

	/* A directory is not a file to map. */
	errno = 0;
	ck_assert_ptr_null(mmf_create_or_open(mmf_dir, PAGE));
	ck_assert(errno != 0);
}
END_TEST

/* ---- permissions ----------------------------------------------------------- */

/* In a child that is not the heap's owner (root drops to nobody; any other
 * user is refused by mode 000 anyway), every way in fails with EACCES. */
static void unprivileged_child(void *arg)
{
	const char *name = arg;
	if (geteuid() == 0)
		TU_REQUIRE(setgid(65534) == 0 && setuid(65534) == 0, "cannot become nobody");
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

START_TEST(other_users_get_eacces)
{
	const char *name = tu_name("perm");
	struct shmheap_options o = {.mode = geteuid() == 0 ? 0600 : 0000};
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
	ck_assert_uint_eq(in.object_size, 2 * PAGE);
	ck_assert_int_eq(in.growable, 1);
	ck_assert_int_ge(in.created, t0 - 1);
	ck_assert_int_le(in.created, time(NULL) + 1);
	ck_assert_uint_eq(in.uid, geteuid());
	ck_assert_uint_eq(in.gid, getegid());
	ck_assert_uint_eq(in.mode, 0640);
	ck_assert_int_eq(in.lock_state, SHMHEAP_LOCK_FREE);
	ck_assert_int_eq(in.lock_owner, 0);
	/* It follows growth. */
	ck_assert_int_eq(shmheap_grow(h, 8 * PAGE), 0);
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_uint_eq(in.heap_size, 8 * PAGE);
	ck_assert_uint_eq(in.object_size, 8 * PAGE);
	shmheap_destroy(name, h);

	shmheap_memory_handle f = make_fixed_heap(&name, PAGE);
	ck_assert_int_eq(shmheap_info(name, &in), 0);
	ck_assert_int_eq(in.growable, 0);
	ck_assert_uint_eq(in.max_size, PAGE);
	shmheap_destroy(name, f);
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

	unsigned char *img = heap_image(2 * PAGE);
	uint32_t pages = 7;
	memcpy(img + offsetof(struct heap_header, size_pages), &pages, sizeof(pages));
	name = tu_name("bad-size");
	make_object(name, img, 2 * PAGE);
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
	const size_t len = 2 * PAGE;
	unsigned char *img = heap_image(len);
	uint64_t bw;
	memcpy(&bw, img + HEAP_FIRST_BLOCK, 8);
	bw ^= (uint64_t)1 << 40; /* a live block's tag */
	memcpy(img + HEAP_FIRST_BLOCK, &bw, 8);
	const char *name = tu_name("damaged");
	make_object(name, img, len);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
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

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tu_tcase("create", 30);
	tcase_add_test(tc, create_makes_object_of_len);
	tcase_add_test(tc, create_mode_ignores_umask);
	tcase_add_test(tc, create_existing_object_untouched);
	tcase_add_test(tc, create_existing_heap_untouched);
	tcase_add_test(tc, create_invalid_names);
	tcase_add_test(tc, create_invalid_sizes);
	tcase_add_test(tc, create_ex_invalid_options);
	tcase_add_test(tc, create_ex_options_apply);
	suite_add_tcase(s, tc);

	tc = tu_tcase("connect", 30);
	tcase_add_test(tc, connect_missing);
	tcase_add_test(tc, connect_sees_creator_objects);
	tcase_add_test(tc, connect_random_bytes);
	tcase_add_test(tc, connect_tiny_object);
	tcase_add_test(tc, connect_empty_object);
	tcase_add_test(tc, connect_faithful_copy_works);
	tcase_add_test(tc, connect_truncated);
	tcase_add_test(tc, connect_damaged_header);
	tcase_add_test(tc, connect_damaged_blocks);
	suite_add_tcase(s, tc);

	tc = tu_tcase("lifetime", 30);
	tcase_add_test(tc, destroy_removes_name_others_keep_working);
	tcase_add_test(tc, disconnect_keeps_object);
	tcase_add_test(tc, underlying_is_heap_start);
	suite_add_tcase(s, tc);

	tc = tu_tcase("alloc", 30);
	tcase_add_test(tc, alloc_aligns_and_rounds);
	tcase_add_test(tc, alloc_zero_is_unique_object);
	tcase_add_test(tc, alloc_huge_fails_cleanly);
	tcase_add_test(tc, alloc_fixed_heap_exhausted);
	suite_add_tcase(s, tc);

	tc = tu_tcase("free", 30);
	tcase_add_test(tc, free_null_does_nothing);
	tcase_add_test(tc, free_invalid_pointers_refused);
	tcase_add_test(tc, invalid_frees_count_per_connection);
	suite_add_tcase(s, tc);

	tc = tu_tcase("handles", 30);
	tcase_add_test(tc, handles_round_trip);
	tcase_add_test(tc, handles_refused_elsewhere);
	tcase_add_test(tc, handles_cross_pipe_to_child);
	suite_add_tcase(s, tc);

	tc = tu_tcase("inspect", 30);
	tcase_add_test(tc, stats_of_fresh_heap);
	tcase_add_test(tc, stats_and_walk_of_known_layout);
	tcase_add_test(tc, walk_stops_and_errors);
	tcase_add_test(tc, check_reports_damage);
	suite_add_tcase(s, tc);

	tc = tu_tcase("info", 30);
	tcase_add_test(tc, info_describes_heap);
	tcase_add_test(tc, other_users_get_eacces);
	tcase_add_test(tc, info_errors);
	tcase_add_test(tc, connect_inspect_never_changes);
	tcase_add_test(tc, connect_inspect_opens_damaged_heap);
	tcase_add_test(tc, connect_ex_invalid_options);
	suite_add_tcase(s, tc);

	tc = tu_tcase("mmf", 30);
	tcase_add_unchecked_fixture(tc, mmf_dir_make, mmf_dir_remove);
	tcase_add_checked_fixture(tc, NULL, mmf_dir_empty);
	tcase_add_test(tc, mmf_creates_and_shares);
	tcase_add_test(tc, mmf_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(api_suite());
}
