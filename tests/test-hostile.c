/* SPDX-License-Identifier: MIT */
/*
 * test-hostile.c - what another user, or an unlucky moment, can do to a
 * caller that looks at a heap: a FIFO under a heap's name, a heap owned by
 * another user, a heap truncated or grown while it is read, and a heap
 * crafted to make verification slow.
 *
 * The tests of another user's heap need root (to become nobody); run as
 * anyone else they check only what a single user can.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define PAGE 4096
#define NOBODY 65534

/* Where name lives; two buffers in turn, for calls that take two paths. */
static const char *shm_path(const char *name)
{
	static char buf[2][TU_NAME_MAX + 16];
	static unsigned next;
	char *p = buf[next++ % 2];
	snprintf(p, sizeof(buf[0]), "/dev/shm%s", name);
	return p;
}

/* ---- item: a FIFO or a link under a heap's name ----------------------------- */

/* Before the fix, opening a FIFO for reading waited for a writer forever:
 * the test case's timeout fails it. */
START_TEST(fifo_is_no_heap)
{
	const char *name = tu_name("fifo");
	ck_assert_int_eq(mkfifo(shm_path(name), 0666), 0);
	struct shmheap_info in;
	errno = 0;
	ck_assert_int_eq(shmheap_info(name, &in), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT |
						     SHMHEAP_CONNECT_UNLOCKED,
					    .lock_timeout_ms = 0};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &o));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(link_is_not_followed)
{
	const char *heap = tu_name("target");
	const char *link = tu_name("link");
	shmheap_memory_handle h = shmheap_create(heap, PAGE);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(symlink(shm_path(heap), shm_path(link)), 0);
	struct shmheap_info in;
	errno = 0;
	ck_assert_int_eq(shmheap_info(link, &in), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(link));
	ck_assert_int_eq(errno, EINVAL);
	shmheap_disconnect(h);
}
END_TEST

/* ---- item: another user's heap is not locked -------------------------------- */

static void become_nobody(void)
{
	TU_REQUIRE(setgid(NOBODY) == 0 && setuid(NOBODY) == 0, "cannot become nobody");
}

static void create_as_nobody(void *arg)
{
	become_nobody();
	struct shmheap_options o = {.mode = 0666};
	shmheap_memory_handle h = shmheap_create_ex(arg, PAGE, &o);
	TU_REQUIRE(h != NULL, "nobody cannot create %s: %s", (const char *)arg,
		   strerror(errno));
	TU_REQUIRE(shmheap_alloc(h, 64) != NULL, "alloc");
	shmheap_disconnect(h);
}

/* The permissions of this process's mapping at addr, as /proc shows them. */
static void mapping_perms(const void *addr, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "re");
	ck_assert_ptr_nonnull(f);
	char line[512];
	strcpy(perms, "?");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			memcpy(perms, p, 5);
			break;
		}
	}
	fclose(f);
}

/* Before the fix, root connected to (and locked) any user's heap. */
START_TEST(foreign_heap_needs_trust)
{
	if (tu_need_root("only root can make a heap another user owns"))
		return;
	const char *name = tu_name("foreign");
	char why[256];
	pid_t pid = tu_fork(create_as_nobody, (void *)name, 20);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);

	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EPERM);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT,
					    .lock_timeout_ms = 100};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &o));
	ck_assert_int_eq(errno, EPERM);

	/* Read-only, unlocked inspection is allowed, and maps read-only. */
	o.flags = SHMHEAP_CONNECT_INSPECT | SHMHEAP_CONNECT_UNLOCKED;
	shmheap_memory_handle r = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(r);
	char perms[5];
	mapping_perms(shmheap_underlying(r), perms);
	ck_assert_str_eq(perms, "r--s");
	ck_assert_int_eq(shmheap_check(r, NULL, NULL), 0);
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(r, &st), 0);
	ck_assert_uint_eq(st.objects, 1);
	shmheap_disconnect(r);

	/* A caller that says it trusts the owner may use the heap. */
	o.flags = SHMHEAP_CONNECT_TRUST_OWNER;
	shmheap_memory_handle t = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(shmheap_alloc(t, 8));
	shmheap_disconnect(t);
}
END_TEST

static void connect_as_nobody(void *arg)
{
	become_nobody();
	errno = 0;
	TU_REQUIRE(shmheap_connect(arg) == NULL && errno == EPERM,
		   "connect: errno %d, not EPERM", errno);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_TRUST_OWNER,
					    .lock_timeout_ms = 0};
	shmheap_memory_handle h = shmheap_connect_ex(arg, &o);
	TU_REQUIRE(h != NULL, "trusting connect: %s", strerror(errno));
	TU_REQUIRE(shmheap_alloc(h, 8) != NULL, "alloc");
	shmheap_disconnect(h);
}

/* The rule is about the owner, whoever the caller is: root's heap too. */
START_TEST(roots_heap_needs_trust_too)
{
	if (tu_need_root("only root can connect as another user"))
		return;
	const char *name = tu_name("roots");
	struct shmheap_options opt = {.mode = 0666};
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE, &opt);
	ck_assert_ptr_nonnull(h);
	char why[256];
	pid_t pid = tu_fork(connect_as_nobody, (void *)name, 20);
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(tu_check(h), 0);
	shmheap_disconnect(h);
}
END_TEST

/*
 * Issue 25: the caller's own heap whose mode lets its group write it (0620)
 * may be written by another user: not locked without TRUST_OWNER.  Runs as
 * any user.
 */
START_TEST(group_writable_heap_needs_trust)
{
	const char *name = tu_name("groupw");
	struct shmheap_options opt = {.mode = 0620};
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE, &opt);
	ck_assert_ptr_nonnull(h);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EPERM);
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT,
					    .lock_timeout_ms = 100};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &o));
	ck_assert_int_eq(errno, EPERM);
	o.flags = SHMHEAP_CONNECT_INSPECT | SHMHEAP_CONNECT_UNLOCKED;
	shmheap_memory_handle r = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(shmheap_check(r, NULL, NULL), 0);
	shmheap_disconnect(r);
	o.flags = SHMHEAP_CONNECT_TRUST_OWNER;
	shmheap_memory_handle t = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(shmheap_alloc(t, 8));
	shmheap_disconnect(t);
	shmheap_destroy(name, h);
}
END_TEST

/* ---- item: a heap truncated while a reader waits for its lock ---------------- */

struct shrinker {
	const char *name;
	int ready; /* write end: the lock is held */
};

/* Holds the lock, truncates the object to one page, releases the lock. */
static void shrink_under_lock(void *arg)
{
	struct shrinker *s = arg;
	int fd = shm_open(s->name, O_RDWR, 0);
	TU_REQUIRE(fd >= 0, "open");
	pthread_mutex_t *lock = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				     0);
	TU_REQUIRE(lock != MAP_FAILED, "mmap");
	TU_REQUIRE(pthread_mutex_lock(lock) == 0, "lock");
	tu_write_all(s->ready, "r", 1);
	usleep(200 * 1000); /* the reader is waiting by now, or will find it so */
	TU_REQUIRE(ftruncate(fd, PAGE) == 0, "ftruncate");
	pthread_mutex_unlock(lock);
}

static int count_walk(const struct shmheap_block *blk, void *arg)
{
	(void)blk;
	++*(size_t *)arg;
	return 0;
}

/* Before the fix the reader died of SIGBUS. */
START_TEST(truncated_while_waiting)
{
	const char *name = tu_name("shrink");
	shmheap_memory_handle h = shmheap_create(name, 16 * PAGE);
	ck_assert_ptr_nonnull(h);
	for (int i = 0; i < 100; i++)
		ck_assert_ptr_nonnull(shmheap_alloc(h, 300));
	shmheap_disconnect(h);

	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT,
					    .lock_timeout_ms = 5000};
	shmheap_memory_handle r = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(r);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct shrinker s = {name, p[1]};
	pid_t pid = tu_fork(shrink_under_lock, &s, 20);
	char c;
	ck_assert_int_eq(tu_read_all(p[0], &c, 1), 0);
	/* Waits for the lock, then finds the heap longer than its object. */
	ck_assert_int_gt(shmheap_check(r, NULL, NULL), 0);
	struct shmheap_stats st;
	errno = 0;
	ck_assert_int_eq(shmheap_stats(r, &st), -1);
	ck_assert_int_eq(errno, EUCLEAN);
	size_t n = 0;
	ck_assert_int_eq(shmheap_walk(r, count_walk, &n), -1);
	ck_assert_int_eq(errno, EUCLEAN);
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "%s", why);
	shmheap_disconnect(r);

	/* Unlocked, from a private copy, the same. */
	o.flags |= SHMHEAP_CONNECT_UNLOCKED;
	shmheap_memory_handle u = shmheap_connect_ex(name, &o);
	if (u) { /* the header now claims more than the object: EINVAL is fine too */
		ck_assert_int_gt(shmheap_check(u, NULL, NULL), 0);
		ck_assert_int_eq(shmheap_stats(u, &st), -1);
		shmheap_disconnect(u);
	}
	close(p[0]);
	close(p[1]);
}
END_TEST

/* An unlocked reader whose object is truncated between connecting and reading. */
START_TEST(unlocked_reader_of_truncated_heap)
{
	const char *name = tu_name("cut");
	shmheap_memory_handle h = shmheap_create(name, 16 * PAGE);
	ck_assert_ptr_nonnull(h);
	for (int i = 0; i < 100; i++)
		ck_assert_ptr_nonnull(shmheap_alloc(h, 300));
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT |
						     SHMHEAP_CONNECT_UNLOCKED,
					    .lock_timeout_ms = 0};
	shmheap_memory_handle u = shmheap_connect_ex(name, &o);
	ck_assert_ptr_nonnull(u);
	int fd = shm_open(name, O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 2 * PAGE), 0);
	ck_assert_int_gt(shmheap_check(u, NULL, NULL), 0);
	struct shmheap_stats st;
	errno = 0;
	ck_assert_int_eq(shmheap_stats(u, &st), -1);
	ck_assert_int_eq(errno, EUCLEAN);
	shmheap_disconnect(u);
	close(fd);
	/* The owner's own mapping is past the object now too: not used again. */
	shmheap_disconnect(h);
}
END_TEST

/* ---- item: unlocked readers while the heap grows ----------------------------- */

#define GROW_MAX (16u << 20)

/* Grows the heap a page at a time up to its maximum, allocating as it goes:
 * thousands of growths for the readers to run into. */
static void grower(void *arg)
{
	close((int)(intptr_t)((void *const *)arg)[1]);
	close((int)(intptr_t)((void *const *)arg)[2]);
	shmheap_memory_handle h = shmheap_connect(((const char *const *)arg)[0]);
	TU_REQUIRE(h != NULL, "connect");
	uint64_t seed = 12345;
	for (size_t size = 2 * PAGE; size <= GROW_MAX; size += PAGE) {
		TU_REQUIRE(shmheap_grow(h, size) == 0, "grow to %zu: %s", size,
			   strerror(errno));
		void *p = shmheap_alloc(h, 8 + tu_rand(&seed) % 2000);
		TU_REQUIRE(p != NULL, "alloc");
		if (tu_rand(&seed) % 2)
			shmheap_free(h, p);
	}
	shmheap_disconnect(h);
}

/* An unlocked reader: checks, counts and walks the heap until told to stop
 * (its pipe closes).  Torn figures are allowed (EUCLEAN, problems); a crash
 * is not. */
static void unlocked_reader(void *arg)
{
	const char *name = ((const char *const *)arg)[0];
	int stop_fd = (int)(intptr_t)((void *const *)arg)[1];
	close((int)(intptr_t)((void *const *)arg)[2]); /* only the test may write */
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_INSPECT |
						     SHMHEAP_CONNECT_UNLOCKED,
					    .lock_timeout_ms = 0};
	shmheap_memory_handle u = shmheap_connect_ex(name, &o);
	TU_REQUIRE(u != NULL, "unlocked connect: %s", strerror(errno));
	fcntl(stop_fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct shmheap_stats st;
		size_t n = 0;
		char c;
		TU_REQUIRE(shmheap_check(u, NULL, NULL) >= 0, "check: %s",
			   strerror(errno));
		int r = shmheap_stats(u, &st);
		TU_REQUIRE(r == 0 || errno == EUCLEAN, "stats: %s", strerror(errno));
		r = shmheap_walk(u, count_walk, &n);
		TU_REQUIRE(r == 0 || errno == EUCLEAN, "walk: %s", strerror(errno));
		if (read(stop_fd, &c, 1) == 0)
			break;
	}
	/* Once the heap stands still, the reader sees it whole and sound. */
	TU_REQUIRE(shmheap_check(u, NULL, NULL) == 0, "the grown heap is not sound");
	shmheap_disconnect(u);
}

#define READERS 8

/* Before the fix unlocked readers died of SIGSEGV (reads past the mapped part). */
START_TEST(unlocked_readers_while_growing)
{
	const char *name = tu_name("growing");
	struct shmheap_options opt = {.max_size = GROW_MAX};
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE, &opt);
	ck_assert_ptr_nonnull(h);
	int stop[2];
	ck_assert_int_eq(pipe(stop), 0);
	void *arg[3] = {(void *)name, (void *)(intptr_t)stop[0],
			(void *)(intptr_t)stop[1]};
	pid_t pids[READERS];
	for (int i = 0; i < READERS; i++)
		pids[i] = tu_fork(unlocked_reader, arg, 280);
	char why[256];
	pid_t g = tu_fork(grower, arg, 280);
	ck_assert_msg(tu_wait(g, 290, why, sizeof(why)) == 0, "%s", why);
	close(stop[1]);
	ck_assert_msg(tu_wait_all(pids, READERS, 290, why, sizeof(why)) == 0, "%s", why);
	close(stop[0]);
	shmheap_disconnect(h);
}
END_TEST

/* ---- item: verification on a crafted heap is not quadratic ------------------- */

#ifdef SHMHEAP_DEBUG
/* --enable-debug verifies the whole heap after every allocation, which makes
 * building a large heap quadratic: a smaller one still shows the check. */
#define CRAFTED_NODES 4096u
#else
#define CRAFTED_NODES 262144u
#endif

/*
 * A heap of 16-byte blocks, every other one free, whose two treap roots are
 * swapped: the main treap then holds the 262,144 16-byte blocks.  Before the
 * fix, matching each of them against the chain walked the rest of the chain:
 * minutes for check and for connect (which did it under the lock); the test
 * case's timeout fails that.  Connect checks the whole heap only when asked
 * (SHMHEAP_CONNECT_VERIFY); without it the first call to meet the wrong root
 * fails (EUCLEAN) and marks the heap, which connect then refuses.
 */
START_TEST(crafted_index_is_checked_in_linear_time)
{
	const char *name = tu_name("crafted");
	size_t len = ((size_t)CRAFTED_NODES * 32 + tu_header_size() + 2 * PAGE) / PAGE *
		     PAGE;
	struct shmheap_options opt = {.flags = SHMHEAP_NO_GROW};
	shmheap_memory_handle h = shmheap_create_ex(name, len, &opt);
	ck_assert_ptr_nonnull(h);
	void **p = malloc(2 * CRAFTED_NODES * sizeof(*p));
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < 2 * CRAFTED_NODES; i++)
		ck_assert_ptr_nonnull(p[i] = shmheap_alloc(h, 8));
	for (size_t i = 0; i < 2 * CRAFTED_NODES; i += 2)
		shmheap_free(h, p[i]);
	free(p);
	ck_assert_int_eq(shmheap_check(h, NULL, NULL), 0);

	/* The roots follow the lock, magic, version, flags and the two sizes. */
	unsigned char *base = shmheap_underlying(h);
	uint32_t *roots = (uint32_t *)(void *)(base + sizeof(pthread_mutex_t) + 16);
	uint32_t t = roots[0];
	roots[0] = roots[1];
	roots[1] = t;
	/* Every 16-byte node is in the wrong treap and missing from its own. */
	ck_assert_int_ge(shmheap_check(h, NULL, NULL), (int)CRAFTED_NODES);
	/* The full check at connect, on request, is linear too. */
	struct shmheap_connect_options vo = {.flags = SHMHEAP_CONNECT_VERIFY};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &vo));
	ck_assert_int_eq(errno, EINVAL);
	/* The first allocation meets the main treap's wrong root. */
	errno = 0;
	ck_assert_ptr_null(shmheap_alloc(h, 100));
	ck_assert_int_eq(errno, EUCLEAN);
	errno = 0;
	ck_assert_ptr_null(shmheap_connect(name));
	ck_assert_int_eq(errno, EINVAL);
	shmheap_disconnect(h);
}
END_TEST

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tu_tcase("objects", 10);
	tcase_add_test(tc, fifo_is_no_heap);
	tcase_add_test(tc, link_is_not_followed);
	suite_add_tcase(s, tc);
	tc = tu_tcase("owner", 30);
	tcase_add_test(tc, foreign_heap_needs_trust);
	tcase_add_test(tc, roots_heap_needs_trust_too);
	tcase_add_test(tc, group_writable_heap_needs_trust);
	suite_add_tcase(s, tc);
	tc = tu_tcase("truncation", 30);
	tcase_add_test(tc, truncated_while_waiting);
	tcase_add_test(tc, unlocked_reader_of_truncated_heap);
	suite_add_tcase(s, tc);
	tc = tu_tcase("growth", 300);
	tcase_add_test(tc, unlocked_readers_while_growing);
	suite_add_tcase(s, tc);
	tc = tu_tcase("crafted", 60);
	tcase_add_test(tc, crafted_index_is_checked_in_linear_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(hostile_suite());
}
