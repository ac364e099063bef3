/* SPDX-License-Identifier: MIT */
/*
 * fuzz-heap.c - fuzz target: arbitrary bytes as a heap's shared-memory object.
 *
 * Input: one control byte, then the image.  The image becomes the contents of
 * a /dev/shm object, zero-padded to a page multiple unless the control byte
 * says otherwise, and then every entry point that reads a heap must cope:
 *   - shmheap_info;
 *   - shmheap_connect: refuses the image (NULL), or takes it (it checks the
 *     header alone).  A heap shmheap_check finds sound must behave as one:
 *     allocations and frees work, and freeing every object the walk
 *     reports leaves one free block.  On a damaged one every call either
 *     works or fails with an errno (EUCLEAN where it meets the damage);
 *     afterwards connect refuses the heap (EINVAL);
 *   - shmheap_connect_ex with SHMHEAP_CONNECT_VERIFY: takes only a heap
 *     shmheap_check finds sound;
 *   - shmheap_connect_ex with SHMHEAP_CONNECT_INSPECT, with and without
 *     SHMHEAP_CONNECT_UNLOCKED: check, stats and walk on the unverified image
 *     must not crash; alloc must fail with EPERM.
 * A crash, a sanitizer report or a broken oracle (abort) is a finding.
 *
 * With CTL_FILE the image is a file heap's instead (file:PATH, the image after
 * the library's preamble page) whose life stamp is of another boot, as after
 * a reboot or a copy: shmheap_connect then resets the lock and repairs the
 * image before it verifies it, so that path meets every image too, the raw
 * mutex bytes included (they are replaced, never waited on).
 *
 * The mutex at the start of a real heap is replaced by a fresh robust mutex
 * unless the control byte asks for the raw bytes (a garbage mutex kind once
 * made glibc abort: tests/fuzz/regressions/heap): a garbage mutex that looks
 * locked makes a connect wait its full lock timeout (5 s), which would starve
 * the fuzzer.  With raw bytes only the inspecting paths (1 ms lock timeout)
 * and shmheap_info run.  An image whose magic is still 0 (a heap being
 * created) makes a connect wait 1 s for its creator, so it is only inspected
 * through shmheap_info.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "layout.h"
#include "shmheap.h"

#define CTL_RAW_MUTEX 0x1  /* keep the image's mutex bytes */
#define CTL_EXACT_SIZE 0x2 /* no padding to a page multiple */
#define CTL_FILE 0x4	   /* a file heap of an earlier life */
/* Where a file heap starts in its file, and its stamp's boot id (see
 * lib/backing_file.c): changing a byte of it makes the stamp another boot's. */
#define FILE_HEAP_OFFSET 4096
#define FILE_STAMP_BOOT_ID 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char shm_name[64], file_path[64], file_name[80];
static const char *name; /* the heap's name in this run: shm_name or file_name */

static void remove_object(void)
{
	shm_unlink(shm_name);
	unlink(file_path);
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-heap: oracle broken: %s (errno %d: %s)\n", what, errno,
		strerror(errno));
	remove_object();
	abort();
}

static void init_robust(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

/* A file with the preamble of a real file heap, whose stamp is then made
 * another boot's; the image goes after the preamble.  The descriptor, or -1. */
static int open_stale_file(void)
{
	unlink(file_path);
	shmheap_memory_handle mem = shmheap_create(file_name, 4096);
	if (!mem)
		return -1;
	shmheap_disconnect(mem);
	int fd = open(file_path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && pwrite(fd, "?", 1, FILE_STAMP_BOOT_ID) != 1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Writes the object; returns 0, or -1 if the system refused (not a finding). */
static int write_object(const uint8_t *img, size_t len, unsigned ctl)
{
	size_t objlen = len;
	if (!(ctl & CTL_EXACT_SIZE))
		objlen = (len + 4095) / 4096 * 4096;
	off_t at = ctl & CTL_FILE ? FILE_HEAP_OFFSET : 0;
	int fd = ctl & CTL_FILE ? open_stale_file()
				: shm_open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	int ret = 0;
	if (ftruncate(fd, at + (off_t)objlen) < 0 ||
	    (len && pwrite(fd, img, len, at) != (ssize_t)len))
		ret = -1;
	if (ret == 0 && objlen >= sizeof(pthread_mutex_t)) {
		/* Made in place: a robust mutex's identity is its address. */
		void *p = mmap(NULL, sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, at);
		if (p == MAP_FAILED) {
			ret = -1;
		} else {
			if (!(ctl & CTL_RAW_MUTEX))
				init_robust(p);
			munmap(p, sizeof(pthread_mutex_t));
		}
	}
	close(fd);
	return ret;
}

static int count_block(const struct shmheap_block *blk, void *arg)
{
	size_t *n = arg;
	(*n)++;
	(void)blk;
	return *n > 100000; /* a walk may stop early */
}

struct live_list {
	size_t off[64];
	size_t n;
};

static int collect_live(const struct shmheap_block *blk, void *arg)
{
	struct live_list *l = arg;
	if (blk->in_use && l->n < 64)
		l->off[l->n++] = blk->offset;
	return 0;
}

static const size_t sizes[] = {0, 8, 24, 40, 100, 1000, 5000};

/* A call that failed must say why. */
static void failed_with_errno(int failed, const char *what)
{
	if (failed && errno == 0)
		fail(what);
}

/* A damaged heap connect took: every call works or fails with an errno; no
 * crash, hang or access outside the heap (the sanitizers watch). */
static void exercise_damaged(shmheap_memory_handle mem)
{
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	struct shmheap_stats st;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		errno = 0;
		p[i] = shmheap_alloc(mem, sizes[i]);
		failed_with_errno(!p[i], "shmheap_alloc failed without errno");
		if (p[i])
			memset(p[i], 0xa5, sizes[i]);
	}
	errno = 0;
	void *a = shmheap_alloc_aligned(mem, 64, 100);
	failed_with_errno(!a, "shmheap_alloc_aligned failed without errno");
	errno = 0;
	void *r = p[3] ? shmheap_realloc(mem, p[3], 3000) : NULL;
	failed_with_errno(p[3] && !r, "shmheap_realloc failed without errno");
	if (r)
		p[3] = r;
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		errno = 0;
		failed_with_errno(p[i] && shmheap_free_checked(mem, p[i]) != 0,
				  "shmheap_free_checked failed without errno");
	}
	errno = 0;
	failed_with_errno(a && shmheap_free_checked(mem, a) != 0,
			  "shmheap_free_checked failed without errno");
	/* What the image held, as far as a walk gets. */
	struct live_list live = {.n = 0};
	(void)shmheap_walk(mem, collect_live, &live);
	unsigned char *base = shmheap_underlying(mem);
	for (size_t i = 0; i < live.n; i++) {
		errno = 0;
		failed_with_errno(shmheap_free_checked(mem, base + live.off[i]) != 0,
				  "shmheap_free_checked failed without errno");
	}
	errno = 0;
	failed_with_errno(shmheap_stats(mem, &st) < 0,
			  "shmheap_stats failed without errno");
	(void)shmheap_walk(mem, count_block, &n);
	(void)shmheap_check(mem, NULL, NULL);
}

/* The heap connect accepted and shmheap_check finds sound must behave like
 * a heap. */
static void exercise(shmheap_memory_handle mem)
{
	struct shmheap_stats before, after;
	void *p[sizeof(sizes) / sizeof(sizes[0])];

	if (shmheap_stats(mem, &before) < 0)
		fail("shmheap_stats on a connected heap");
	size_t made = 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = shmheap_alloc(mem, sizes[i]);
		if (p[i]) {
			memset(p[i], 0xa5, sizes[i]);
			made++;
		} else if (errno != ENOMEM && errno != ENOSPC) {
			fail("shmheap_alloc failed other than for space");
		}
	}
	if (shmheap_stats(mem, &after) < 0 || after.objects != before.objects + made)
		fail("objects after allocating");
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i += 2)
		if (p[i] && shmheap_free_checked(mem, p[i]) != 0)
			fail("freeing a fresh object");
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i += 2)
		if (p[i] && shmheap_free_checked(mem, p[i]) != -1)
			fail("a double free was accepted");
	for (size_t i = 1; i < sizeof(p) / sizeof(p[0]); i += 2)
		if (p[i] && shmheap_free_checked(mem, p[i]) != 0)
			fail("freeing a fresh object");
	if (shmheap_check(mem, NULL, NULL) != 0)
		fail("shmheap_check after allocating and freeing");

	/* Free whatever the image held: one free block must remain. */
	struct live_list live = {.n = 0};
	if (shmheap_walk(mem, collect_live, &live) < 0)
		fail("shmheap_walk on a connected heap");
	unsigned char *base = shmheap_underlying(mem);
	for (size_t i = 0; i < live.n; i++)
		if (shmheap_free_checked(mem, base + live.off[i]) != 0)
			fail("freeing an object the walk reported");
	if (shmheap_stats(mem, &after) < 0)
		fail("shmheap_stats");
	if (live.n < 64 && (after.objects != 0 || after.free_blocks != 1))
		fail("freeing every object did not leave one free block");
	if (shmheap_check(mem, NULL, NULL) != 0)
		fail("shmheap_check after freeing the image's objects");
}

static void inspect(unsigned flags)
{
	struct shmheap_connect_options opts = {.flags = flags, .lock_timeout_ms = 1};
	shmheap_memory_handle mem = shmheap_connect_ex(name, &opts);
	if (!mem)
		return;
	struct shmheap_stats st;
	size_t n = 0;
	(void)shmheap_check(mem, NULL, NULL);
	(void)shmheap_stats(mem, &st);
	(void)shmheap_walk(mem, count_block, &n);
	if (shmheap_alloc(mem, 8) || errno != EPERM)
		fail("an inspecting connection allocated");
	shmheap_disconnect(mem);
}

/* Whether a connect with SHMHEAP_CONNECT_VERIFY takes the heap; it refuses
 * one with EINVAL, as a plain connect refuses a damaged header. */
static bool verifying_connect_takes(void)
{
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_VERIFY};
	shmheap_memory_handle mem = shmheap_connect_ex(name, &o);
	if (!mem && errno != EINVAL)
		fail("a verifying connect refused an image other than with EINVAL");
	shmheap_disconnect(mem);
	return mem != NULL;
}

static void connect_and_exercise(void)
{
	shmheap_memory_handle mem = shmheap_connect(name);
	if (!mem) {
		if (errno != EINVAL)
			fail("shmheap_connect refused an image other than with EINVAL");
		return;
	}
	if (shmheap_check(mem, NULL, NULL) == 0) {
		exercise(mem);
		shmheap_disconnect(mem);
		if (!verifying_connect_takes())
			fail("a verifying connect refused a sound heap");
		return;
	}
	exercise_damaged(mem);
	/* The calls may have freed what was damaged, or met it and marked
	 * the heap (a problem shmheap_check reports). */
	int problems = shmheap_check(mem, NULL, NULL);
	shmheap_disconnect(mem);
	if (verifying_connect_takes() != (problems == 0))
		fail("a verifying connect and shmheap_check disagree");
	/* A refusing verifying connect marked the heap, if no call had. */
	mem = shmheap_connect(name);
	if ((mem != NULL) != (problems == 0) || (!mem && errno != EINVAL))
		fail("connect took a heap marked damaged, or refused a sound one");
	shmheap_disconnect(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!shm_name[0]) {
		snprintf(shm_name, sizeof(shm_name), "/shmheap-fuzz-%d", (int)getpid());
		snprintf(file_path, sizeof(file_path), "/tmp/shmheap-fuzz-%d.heap",
			 (int)getpid());
		snprintf(file_name, sizeof(file_name), "file:%s", file_path);
	}
	if (size < 1)
		return 0;
	unsigned ctl = data[0];
	const uint8_t *img = data + 1;
	size_t len = size - 1;
	name = ctl & CTL_FILE ? file_name : shm_name;

	if (write_object(img, len, ctl) < 0) {
		remove_object();
		return 0;
	}
	struct shmheap_info info;
	(void)shmheap_info(name, &info);

	uint32_t magic = 0;
	if (len >= offsetof(struct heap_header, magic) + sizeof(magic))
		memcpy(&magic, img + offsetof(struct heap_header, magic), sizeof(magic));
	if (magic != 0) {
		inspect(SHMHEAP_CONNECT_INSPECT);
		inspect(SHMHEAP_CONNECT_INSPECT | SHMHEAP_CONNECT_UNLOCKED);
		if (!(ctl & CTL_RAW_MUTEX) || (ctl & CTL_FILE)) {
			connect_and_exercise();
		}
	}
	remove_object();
	return 0;
}
