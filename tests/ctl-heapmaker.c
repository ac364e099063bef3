/* SPDX-License-Identifier: MIT */
/*
 * ctl-heapmaker.c - puts heaps into the states the shmheap-ctl tests need.
 *
 *   fill NAME            a known set of live objects and free blocks (see below)
 *   populate NAME        objects of 1 to 4000 bytes (--enable-debug: to 128 KiB)
 *                        until the heap is full, every third one freed again
 *                        (any mode: the heap may be one other users may write)
 *   hold NAME            a child process maps NAME and sleeps; prints its pid
 *   lock NAME            a child holds NAME's heap lock and sleeps; prints its pid
 *   dead NAME            a child takes NAME's heap lock and dies; prints its pid
 *   corrupt-magic NAME   overwrites the header's magic number
 *   corrupt-size NAME    makes the header claim more pages than the object has
 *   corrupt-chain NAME   gives the first block a size that runs past the heap
 *   corrupt-tag NAME     flips a bit of the first (live) block's tag
 *   mark-damaged NAME    a free block whose size runs past the heap, met by
 *                        the free of its neighbour, which fails with EUCLEAN
 *                        and marks the heap (exit 77 in a debug build, whose
 *                        calls abort on damage instead)
 *   garbage NAME SEED    a heap of 1 to 4 pages whose bytes after the lock are
 *                        random, its index's too, behind mostly plausible
 *                        header fields (of either layout: with a fitmap or
 *                        with treaps)
 *   shrink NAME          a child holds NAME's heap lock, prints its pid, and
 *                        0.3 s later truncates the object to one page and
 *                        releases the lock (then sleeps)
 *   giveaway NAME        (sysv:KEY) gives the segment to root with IPC_SET;
 *                        its creator keeps the owner's access
 *   scribble NAME        a child rewrites the heap lock's robust-list links
 *                        in a loop, as a hostile writer would under a
 *                        reader that took the lock; prints its pid
 *
 * Children sleep at most CHILD_LIFETIME seconds, so a test that dies without
 * cleaning up does not leave them behind for long.  The lock is the robust
 * mutex at the start of the header; a child locks it through a raw mapping,
 * as a library user that died inside an allocation would have.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "shmheap.h"

#define CHILD_LIFETIME 300

static _Noreturn void die(const char *what, const char *name)
{
	fprintf(stderr, "ctl-heapmaker: %s: %s: %s\n", name, what, strerror(errno));
	exit(1);
}

/*
 * fill: 8 objects of 8 bytes, 5 of 24, 3 of 100 (104), 3 of 1000 and 1 of
 * 5000, then the second and fourth 8-byte and the first two 1000-byte objects
 * freed: 16 live objects (6, 5, 3, 1 and 1 in the buckets 8-15, 16-31,
 * 64-127, 512-1023 and 4096-8191), and 4 free blocks: two of 8 bytes, the two
 * adjacent 1000-byte objects merged into one, and the rest of the heap.
 */
static int fill(const char *name)
{
	shmheap_memory_handle mem = shmheap_connect(name);
	if (!mem)
		die("connect", name);
	void *small[8], *big[3];
	for (int i = 0; i < 8; i++)
		small[i] = shmheap_alloc(mem, 8);
	for (int i = 0; i < 5; i++)
		shmheap_alloc(mem, 24);
	for (int i = 0; i < 3; i++)
		shmheap_alloc(mem, 100);
	for (int i = 0; i < 3; i++)
		big[i] = shmheap_alloc(mem, 1000);
	void *last = shmheap_alloc(mem, 5000);
	if (!small[7] || !big[2] || !last)
		die("alloc", name);
	shmheap_free(mem, small[1]);
	shmheap_free(mem, small[3]);
	shmheap_free(mem, big[0]);
	shmheap_free(mem, big[1]);
	shmheap_disconnect(mem);
	return 0;
}

/* populate: blocks all over the heap, so that reading them all costs.
 * --enable-debug verifies the whole heap after every allocation: fewer,
 * larger objects then. */
#ifdef SHMHEAP_DEBUG
#define POPULATE_MAX 131072u
#else
#define POPULATE_MAX 4000u
#endif

static int populate(const char *name)
{
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_TRUST_OWNER};
	shmheap_memory_handle mem = shmheap_connect_ex(name, &o);
	if (!mem)
		die("connect", name);
	uint64_t s = 31;
	void *prev = NULL;
	for (size_t i = 0;; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		void *p = shmheap_alloc(mem, 1 + s % POPULATE_MAX);
		if (!p)
			break;
		if (i % 3 == 2)
			shmheap_free(mem, prev);
		prev = p;
	}
	shmheap_disconnect(mem);
	return 0;
}

/* The segment of a "sysv:KEY" name, or -1 (errno set). */
static int sysv_segment(const char *name)
{
	char *end;
	errno = 0;
	unsigned long key = strtoul(name + strlen("sysv:"), &end, 0);
	if (errno || *end || key == 0 || key > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	return shmget((key_t)(uint32_t)key, 0, 0);
}

static void *map_raw(const char *name, size_t len, int *fd_out)
{
	if (strncmp(name, "sysv:", 5) == 0 && !fd_out) {
		int id = sysv_segment(name);
		void *p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
		if (p == (void *)-1)
			die("shmat", name);
		return p;
	}
	int fd = shm_open(name, O_RDWR, 0);
	if (fd < 0)
		die("shm_open", name);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap", name);
	if (fd_out)
		*fd_out = fd;
	else
		close(fd);
	return p;
}

static void quiet_child(void)
{
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	if (null > 2)
		close(null);
	alarm(CHILD_LIFETIME);
}

/* hold and lock: the child reports on a pipe when it is ready, then sleeps. */
static int sleeper(const char *name, int take_lock)
{
	int ready[2];
	if (pipe(ready) < 0)
		die("pipe", name);
	shmheap_memory_handle mem = shmheap_connect(name);
	if (!mem)
		die("connect", name);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", name);
	if (pid == 0) {
		close(ready[0]);
		if (take_lock) {
			struct heap_header *hdr = map_raw(name, HEAP_PAGE, NULL);
			int rc = pthread_mutex_lock(&hdr->lock);
			if (rc != 0 && rc != EOWNERDEAD)
				_exit(1);
		}
		quiet_child();
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	shmheap_disconnect(mem); /* the child keeps its own mapping */
	char c;
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "ctl-heapmaker: %s: child failed\n", name);
		return 1;
	}
	printf("%ld\n", (long)pid);
	return 0;
}

/* shrink: what a heap's owner can do to a tool waiting for the lock. */
static int shrinker(const char *name)
{
	int ready[2];
	if (pipe(ready) < 0)
		die("pipe", name);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", name);
	if (pid == 0) {
		int fd;
		close(ready[0]);
		struct heap_header *hdr = map_raw(name, HEAP_PAGE, &fd);
		if (pthread_mutex_lock(&hdr->lock) != 0)
			_exit(1);
		quiet_child();
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		struct timespec wait = {0, 300 * 1000 * 1000};
		nanosleep(&wait, NULL);
		if (ftruncate(fd, HEAP_PAGE) < 0)
			_exit(1);
		pthread_mutex_unlock(&hdr->lock);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "ctl-heapmaker: %s: child failed\n", name);
		return 1;
	}
	printf("%ld\n", (long)pid);
	return 0;
}

static int dead_owner(const char *name)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork", name);
	if (pid == 0) {
		struct heap_header *hdr = map_raw(name, HEAP_PAGE, NULL);
		int rc = pthread_mutex_lock(&hdr->lock);
		_exit(rc == 0 ? 0 : 1);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child could not take the lock", name);
	printf("%ld\n", (long)pid);
	return 0;
}

/* giveaway: what issue 25 found a user can do to pass root's owner check. */
static int giveaway(const char *name)
{
	struct shmid_ds ds;
	int id = sysv_segment(name);
	if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0)
		die("IPC_STAT", name);
	ds.shm_perm.uid = 0;
	ds.shm_perm.gid = 0;
	if (shmctl(id, IPC_SET, &ds) < 0)
		die("IPC_SET", name);
	return 0;
}

/*
 * scribble: a reader that locked the heap has linked the lock into its
 * robust list; rewriting the links makes that reader's unlock store through
 * them.  The lock word is left alone: an unlock finding another owner there
 * would return EPERM before reaching the links.
 */
static int scribbler(const char *name)
{
	int ready[2];
	if (pipe(ready) < 0)
		die("pipe", name);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", name);
	if (pid == 0) {
		close(ready[0]);
		struct heap_header *hdr = map_raw(name, HEAP_PAGE, NULL);
		quiet_child();
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		struct __pthread_mutex_s *m = &hdr->lock.__data;
		for (uintptr_t n = 0;; n++) {
			void *junk = (void *)(UINTPTR_MAX / 255 * (0x41 + (n & 7)));
			__atomic_store_n(&m->__list.__prev, junk, __ATOMIC_RELAXED);
			__atomic_store_n(&m->__list.__next, junk, __ATOMIC_RELAXED);
			sched_yield();
		}
	}
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "ctl-heapmaker: %s: child failed\n", name);
		return 1;
	}
	printf("%ld\n", (long)pid);
	return 0;
}

static int corrupt(const char *name, const char *how)
{
	struct stat st;
	int fd;
	unsigned char *base = map_raw(name, HEAP_PAGE, &fd);
	if (fstat(fd, &st) < 0)
		die("fstat", name);
	struct heap_header *hdr = (struct heap_header *)(void *)base;
	uint64_t *first = block_word(base, HEAP_FIRST_BLOCK);
	if (strcmp(how, "corrupt-magic") == 0)
		hdr->magic = 0x454d4f4e; /* "NOME" */
	else if (strcmp(how, "corrupt-size") == 0)
		hdr->size_pages = hdr->max_pages = (uint32_t)(st.st_size / HEAP_PAGE + 2);
	else if (strcmp(how, "corrupt-chain") == 0)
		*first = (*first & ~BW_SIZE_MASK) |
			 ((uint64_t)st.st_size * 2 & BW_SIZE_MASK);
	else if (strcmp(how, "corrupt-tag") == 0)
		*first ^= 1ull << (BW_TAG_SHIFT + 3);
	else
		return 2;
	munmap(base, HEAP_PAGE);
	close(fd);
	return 0;
}

/* xorshift: the same garbage for the same seed, on every machine. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int garbage(const char *name, const char *seed_arg)
{
	uint64_t s = strtoull(seed_arg, NULL, 10) * 2654435761u + 1;
	size_t pages = 1 + next_random(&s) % 4;
	size_t len = pages * HEAP_PAGE;
	/* A real heap first, for a lock of the kind the library accepts. */
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	shmheap_memory_handle mem = shmheap_create_ex(name, len, &o);
	if (!mem)
		die("create", name);
	shmheap_disconnect(mem);
	/* The object: the heap, then its free-block index. */
	struct shmheap_info info;
	if (shmheap_info(name, &info) < 0 || info.heap_size != len ||
	    info.object_size <= len)
		die("info", name);
	size_t obj_len = info.object_size;
	int fd = shm_open(name, O_RDWR, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != obj_len)
		die("open", name);
	unsigned char *base = mmap(NULL, obj_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		die("mmap", name);
	for (size_t i = HEAP_LOCK_SLOT; i < obj_len; i++)
		base[i] = (unsigned char)next_random(&s);
	/* Mostly plausible header fields, so the garbage gets past the first
	 * checks: a heap's of 0.6 (a fitmap) or of 0.5 (treaps, the index's
	 * bytes then past its end). */
	struct heap_header *hdr = (struct heap_header *)(void *)base;
	hdr->magic = HEAP_MAGIC;
	hdr->version = HEAP_LAYOUT_VERSION;
	uint64_t layout = next_random(&s);
	hdr->flags = layout % 8 ? HEAP_FLAG_GROWABLE | (layout / 8 % 2 ? HEAP_FLAG_FITMAP : 0)
				: (uint16_t)next_random(&s);
	hdr->size_pages = (uint32_t)(next_random(&s) % 6 ? pages : next_random(&s));
	hdr->max_pages = (uint32_t)(next_random(&s) % 6 ? pages + next_random(&s) % 8
							: next_random(&s));
	uint32_t units = (uint32_t)(len / HEAP_UNIT);
	switch (next_random(&s) % 4) {
	case 0:
		hdr->main_root = hdr->tiny_root = 0;
		break;
	case 1:
		hdr->main_root = (uint32_t)next_random(&s);
		hdr->tiny_root = (uint32_t)next_random(&s);
		break;
	default:
		hdr->main_root = (uint32_t)(next_random(&s) % units);
		hdr->tiny_root = next_random(&s) % 2
					 ? 0
					 : (uint32_t)(next_random(&s) % units);
	}
	/* Now and then a first block word that starts a plausible chain. */
	if (next_random(&s) % 2)
		*block_word(base, HEAP_FIRST_BLOCK) = (next_random(&s) % 64 + 2) *
							      HEAP_UNIT |
						      (next_random(&s) & 1);
	munmap(base, obj_len);
	close(fd);
	return 0;
}

/* See mark-damaged above. */
static int mark_damaged(const char *name)
{
#ifdef SHMHEAP_DEBUG
	(void)name;
	return 77;
#else
	shmheap_memory_handle h = shmheap_connect(name);
	if (!h)
		die("connect", name);
	void *a = shmheap_alloc(h, 48), *b = shmheap_alloc(h, 48), *c = shmheap_alloc(h, 48);
	if (!a || !b || !c)
		die("alloc", name);
	shmheap_free(h, b);
	uint64_t *w = (uint64_t *)b - 1;
	*w = (*w & ~BW_SIZE_MASK) | 0x7fffff8ull;
	errno = 0;
	if (shmheap_free_checked(h, a) == 0 || errno != EUCLEAN) {
		fprintf(stderr, "ctl-heapmaker: %s: the free that meets damage did not fail "
				"with EUCLEAN\n", name);
		return 1;
	}
	shmheap_disconnect(h);
	return 0;
#endif
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ctl-heapmaker COMMAND NAME [ARG]\n");
		return 2;
	}
	const char *cmd = argv[1], *name = argv[2];
	if (strcmp(cmd, "fill") == 0)
		return fill(name);
	if (strcmp(cmd, "populate") == 0)
		return populate(name);
	if (strcmp(cmd, "hold") == 0)
		return sleeper(name, 0);
	if (strcmp(cmd, "lock") == 0)
		return sleeper(name, 1);
	if (strcmp(cmd, "shrink") == 0)
		return shrinker(name);
	if (strcmp(cmd, "dead") == 0)
		return dead_owner(name);
	if (strcmp(cmd, "giveaway") == 0)
		return giveaway(name);
	if (strcmp(cmd, "scribble") == 0)
		return scribbler(name);
	if (strcmp(cmd, "mark-damaged") == 0)
		return mark_damaged(name);
	if (strcmp(cmd, "garbage") == 0 && argc > 3)
		return garbage(name, argv[3]);
	if (strncmp(cmd, "corrupt-", 8) == 0 && corrupt(name, cmd) == 0)
		return 0;
	fprintf(stderr, "ctl-heapmaker: unknown command '%s'\n", cmd);
	return 2;
}
