/* SPDX-License-Identifier: MIT */
/*
 * make-old-heaps.c - makes the heap images of tests/data/heap-VERSION-*.img,
 * which tests/test-old-heaps.c opens with the library of today.  It is not
 * built by make: it is compiled once against an older release, and what it
 * writes is kept in git.
 *
 * How the images were made (0.3.1 is commit 45b94cb, 0.5.0 is c8aad89):
 *
 *   git worktree add /tmp/old-0.3.1 45b94cb
 *   cd /tmp/old-0.3.1 && autoreconf -fi && ./configure && make
 *   gcc -std=gnu11 -Iinclude tests/data/make-old-heaps.c \
 *       lib/.libs/libshmheap.so -Wl,-rpath,$PWD/lib/.libs -o /tmp/make-old-heaps
 *   /tmp/make-old-heaps 0.3.1 OUTDIR
 *
 * (with this file copied into the old tree, or named by its path here), and
 * the same with 0.5.0.  For each of three heaps it writes OUTDIR/heap-
 * VERSION-KIND.img, the bytes of the heap's object after its creator
 * disconnected, and OUTDIR/heap-VERSION-KIND.txt, what it holds:
 *
 *   default  a POSIX heap (shm_open) made by shmheap_create_ex;
 *   cached   the same with SHMHEAP_CACHED;
 *   file     a file heap ("file:PATH").
 *
 * Each is 16 KiB and may grow to 1 MiB.  It holds the objects of `plan`
 * below in address order, the freed ones leaving free blocks of 16, 24 and
 * more bytes between live ones, and a name for every live object but one.
 * Byte j of the object of seed s is (s + 11 * j) mod 256.  The .txt lists
 * each live object as
 *
 *   obj NAME OFFSET SIZE SEED
 *
 * (NAME "-" for the unnamed one; OFFSET from the start of the heap, as
 * shmheap_underlying gives it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmheap.h"

#define HEAP_LEN (16u << 10)
#define HEAP_MAX (1u << 20)

/* What each object becomes: its size, whether it is freed at the end,
 * whether it gets a name. */
static const struct {
	size_t size;
	int freed;
	int named;
} plan[] = {
	{40, 0, 1}, {8, 1, 0},	  {100, 0, 1}, {16, 1, 0},  {8, 0, 1},	{200, 1, 0},
	{16, 0, 1}, {64, 0, 1},	  {300, 1, 0}, {8, 0, 0},   {24, 1, 0}, {500, 0, 1},
	{56, 1, 0}, {1000, 0, 1}, {32, 0, 1},  {120, 1, 0}, {8, 0, 1},	{700, 0, 1},
};
#define N_OBJECTS (sizeof(plan) / sizeof(plan[0]))

static void die(const char *what)
{
	fprintf(stderr, "make-old-heaps: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned seed_of(unsigned i)
{
	return (i * 37u + 5u) & 0xffu;
}

/* Fills the heap name: the plan's objects, names, frees; writes the list. */
static void fill(const char *name, unsigned flags, FILE *txt)
{
	struct shmheap_options o = {.max_size = HEAP_MAX, .mode = 0600, .flags = flags};
	shmheap_memory_handle h = shmheap_create_ex(name, HEAP_LEN, &o);
	if (!h)
		die(name);
	unsigned char *base = shmheap_underlying(h);
	unsigned char *obj[N_OBJECTS];
	for (unsigned i = 0; i < N_OBJECTS; i++) {
		obj[i] = shmheap_alloc(h, plan[i].size);
		if (!obj[i])
			die("shmheap_alloc");
		for (size_t j = 0; j < plan[i].size; j++)
			obj[i][j] = (unsigned char)(seed_of(i) + 11u * j);
	}
	/* Names first, so that the directory's blocks come after the objects
	 * rather than into the holes the frees leave. */
	for (unsigned i = 0; i < N_OBJECTS; i++) {
		char oname[16];
		snprintf(oname, sizeof(oname), "o%02u", i);
		if (!plan[i].freed && plan[i].named &&
		    shmheap_name_set(h, oname, shmheap_ptr_to_handle(h, obj[i]), 0) < 0)
			die("shmheap_name_set");
	}
	for (unsigned i = 0; i < N_OBJECTS; i++)
		if (plan[i].freed)
			shmheap_free(h, obj[i]);
	for (unsigned i = 0; i < N_OBJECTS; i++) {
		if (plan[i].freed)
			continue;
		char oname[16] = "-";
		if (plan[i].named)
			snprintf(oname, sizeof(oname), "o%02u", i);
		fprintf(txt, "obj %s %zu %zu %u\n", oname, (size_t)(obj[i] - base),
			plan[i].size, seed_of(i));
	}
	if (shmheap_check(h, NULL, NULL) != 0)
		die("shmheap_check");
	shmheap_disconnect(h);
}

static void copy_out(int fd, const char *img)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		die("fstat");
	unsigned char *buf = malloc((size_t)st.st_size);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		die("read the heap");
	FILE *f = fopen(img, "wb");
	if (!f || fwrite(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size ||
	    fclose(f) != 0)
		die(img);
	free(buf);
}

static void make(const char *version, const char *dir, const char *kind)
{
	char img[4096], txtname[4096], name[4096];
	snprintf(img, sizeof(img), "%s/heap-%s-%s.img", dir, version, kind);
	snprintf(txtname, sizeof(txtname), "%s/heap-%s-%s.txt", dir, version, kind);
	FILE *txt = fopen(txtname, "w");
	if (!txt)
		die(txtname);
	fprintf(txt,
		"# heap-%s-%s.img: made by tests/data/make-old-heaps.c with libshmheap %s\n"
		"# obj NAME OFFSET SIZE SEED: byte j is (SEED + 11 * j) mod 256\n",
		version, kind, version);
	int file = strcmp(kind, "file") == 0;
	if (file)
		snprintf(name, sizeof(name), "file:%s/old-heap-%ld", dir, (long)getpid());
	else
		snprintf(name, sizeof(name), "/old-heap-%ld-%s", (long)getpid(), kind);
	fill(name, strcmp(kind, "cached") == 0 ? SHMHEAP_CACHED : 0, txt);
	if (fclose(txt) != 0)
		die(txtname);
	int fd = file ? open(name + 5, O_RDONLY) : shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		die(name);
	copy_out(fd, img);
	close(fd);
	if (file ? unlink(name + 5) : shm_unlink(name))
		die(name);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: make-old-heaps VERSION OUTDIR\n");
		return 2;
	}
	make(argv[1], argv[2], "default");
	make(argv[1], argv[2], "cached");
	make(argv[1], argv[2], "file");
	return 0;
}
