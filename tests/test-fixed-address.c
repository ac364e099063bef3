/* SPDX-License-Identifier: MIT */
/*
 * test-fixed-address.c - heaps mapped at an address the caller chooses
 * (SHMHEAP_FIXED_ADDRESS, SHMHEAP_CONNECT_FIXED_ADDRESS): raw pointers shared
 * by two processes, and a taken range refused without touching it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"

#define PAGE ((size_t)4096)
#define MAX_SIZE ((size_t)4 << 20)
/* What a heap of MAX_SIZE reserves: its index follows it (at most the
 * maximum / 50 + 8 KiB more, shmheap_create(3)). */
#define RESERVED (MAX_SIZE + MAX_SIZE / 50 + 8192)

/* An address range of len bytes that nothing in this process maps now. */
static void *free_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(munmap(p, len), 0);
	return p;
}

/* /proc/self/maps, read without stdio (whose buffer would be a new mapping). */
static char *read_maps(char *buf, size_t cap)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	size_t n = 0;
	ssize_t r;
	while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	ck_assert_uint_lt(n, cap - 1);
	buf[n] = '\0';
	return buf;
}

struct node {
	struct node *next; /* a raw pointer, valid wherever the heap is at base */
	long value;
};

struct follower {
	const char *name;
	void *base;
	int ready; /* read end: the list is there */
};

/* The second process: maps the heap at the same address, follows the list
 * through raw pointers, and appends a node of its own. */
static void follow(void *arg)
{
	struct follower *f = arg;
	char c;
	TU_REQUIRE(read(f->ready, &c, 1) == 1, "no signal from the creator");
	struct shmheap_connect_options o = {.flags = SHMHEAP_CONNECT_FIXED_ADDRESS,
					    .address = f->base};
	shmheap_memory_handle h = shmheap_connect_ex(f->name, &o);
	TU_REQUIRE(h != NULL, "connect at %p: %s", f->base, strerror(errno));
	TU_REQUIRE(shmheap_underlying(h) == f->base, "mapped at %p",
		   shmheap_underlying(h));
	struct node **root = (struct node **)(void *)((char *)f->base + tu_header_size());
	long n = 0;
	struct node *last = NULL;
	for (struct node *p = *root; p; p = p->next, n++) {
		TU_REQUIRE(p->value == n, "node %ld holds %ld", n, p->value);
		last = p;
	}
	TU_REQUIRE(n == 1000 && last, "%ld nodes", n);
	struct node *mine = shmheap_alloc(h, sizeof(*mine));
	TU_REQUIRE(mine != NULL, "alloc: %s", strerror(errno));
	*mine = (struct node){NULL, -1};
	last->next = mine;
	shmheap_disconnect(h);
}

START_TEST(two_processes_follow_raw_pointers)
{
	const char *name = tu_name("fixed");
	void *base = free_range(RESERVED);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct follower f = {name, base, pfd[0]};
	/* Forked first, so that the follower maps the heap itself. */
	pid_t pid = tu_fork(follow, &f, 30);

	struct shmheap_options o = {.max_size = MAX_SIZE,
				    .flags = SHMHEAP_FIXED_ADDRESS,
				    .address = base};
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE, &o);
	ck_assert_msg(h != NULL, "create at %p: %s", base, strerror(errno));
	ck_assert_ptr_eq(shmheap_underlying(h), base);
	struct node **root = shmheap_alloc(h, sizeof(*root));
	ck_assert_ptr_eq((char *)root, (char *)base + tu_header_size());
	/* 1000 nodes of 16 bytes and padding: the heap grows, in place. */
	struct node **tail = root;
	for (long i = 0; i < 1000; i++) {
		struct node *p = shmheap_alloc(h, sizeof(*p) + (size_t)(i % 7) * 8);
		ck_assert_ptr_nonnull(p);
		*p = (struct node){NULL, i};
		*tail = p;
		tail = &p->next;
	}
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_gt(st.heap_size, PAGE);
	ck_assert_int_eq(write(pfd[1], "g", 1), 1);
	char why[256];
	ck_assert_msg(tu_wait(pid, 30, why, sizeof(why)) == 0, "follower: %s", why);
	/* The follower's node, linked by its raw pointer. */
	struct node *p = *root;
	for (long i = 0; i < 1000; i++)
		p = p->next;
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->value, -1);
	ck_assert_int_eq(tu_check(h), 0);
	close(pfd[0]);
	close(pfd[1]);
	shmheap_destroy(name, h);
}
END_TEST

START_TEST(taken_range_is_eexist_and_untouched)
{
	const char *name = tu_name("taken");
	static char before[1 << 16], after[1 << 16];
	/* A mapping of ours, in the middle of the range a heap would want. */
	char *range = free_range(3 * MAX_SIZE);
	char *mine = mmap(range + MAX_SIZE, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ck_assert_ptr_eq(mine, range + MAX_SIZE);
	memset(mine, 0x3c, PAGE);
	struct shmheap_options o = {.max_size = MAX_SIZE, .flags = SHMHEAP_FIXED_ADDRESS};
	/* Overlapping its start, its end, and all of it. */
	char *wants[] = {mine - PAGE, mine - MAX_SIZE + PAGE, mine};
	o.address = wants[0];
	ck_assert_ptr_null(shmheap_create_ex(name, PAGE, &o)); /* settles malloc */
	read_maps(before, sizeof(before));
	for (size_t i = 0; i < 3; i++) {
		o.address = wants[i];
		errno = 0;
		ck_assert_ptr_null(shmheap_create_ex(name, PAGE, &o));
		ck_assert_int_eq(errno, EEXIST);
		ck_assert(!tu_shm_exists(name)); /* nothing left behind */
	}
	/* A heap made elsewhere, connected at the taken address: the same. */
	shmheap_memory_handle h = shmheap_create(name, PAGE);
	ck_assert_ptr_nonnull(h);
	shmheap_memory_handle c = shmheap_connect(name);
	ck_assert_ptr_nonnull(c);
	shmheap_disconnect(c);
	read_maps(before, sizeof(before));
	struct shmheap_connect_options co = {.flags = SHMHEAP_CONNECT_FIXED_ADDRESS,
					     .address = mine - PAGE};
	errno = 0;
	ck_assert_ptr_null(shmheap_connect_ex(name, &co));
	ck_assert_int_eq(errno, EEXIST);
	read_maps(after, sizeof(after));
	ck_assert_str_eq(before, after);
	for (size_t i = 0; i < PAGE; i++)
		ck_assert_int_eq(mine[i], 0x3c);
	shmheap_destroy(name, h);
	munmap(mine, PAGE);
}
END_TEST

START_TEST(bad_addresses_are_einval)
{
	const char *name = tu_name("badaddr");
	char *base = free_range(RESERVED);
	struct shmheap_options o = {.flags = SHMHEAP_FIXED_ADDRESS | SHMHEAP_NO_GROW};
	void *bad[] = {NULL, base + 8, base + 2048, (void *)(UINTPTR_MAX & ~(PAGE - 1))};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.address = bad[i];
		errno = 0;
		ck_assert_ptr_null(shmheap_create_ex(name, PAGE, &o));
		ck_assert_int_eq(errno, EINVAL);
		ck_assert(!tu_shm_exists(name));
	}
	shmheap_memory_handle h = shmheap_create_ex(name, PAGE,
						    &(struct shmheap_options){
							    .flags = SHMHEAP_NO_GROW});
	ck_assert_ptr_nonnull(h);
	struct shmheap_connect_options co = {.flags = SHMHEAP_CONNECT_FIXED_ADDRESS};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		co.address = bad[i];
		errno = 0;
		ck_assert_ptr_null(shmheap_connect_ex(name, &co));
		ck_assert_int_eq(errno, EINVAL);
	}
	/* Without the flag the field is not read: a stray value is no request. */
	co = (struct shmheap_connect_options){.address = base + 8};
	shmheap_memory_handle c = shmheap_connect_ex(name, &co);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_ne(shmheap_underlying(c), base + 8);
	shmheap_disconnect(c);
	/* An inspecting connection may ask for an address too. */
	co = (struct shmheap_connect_options){.flags = SHMHEAP_CONNECT_FIXED_ADDRESS |
						       SHMHEAP_CONNECT_INSPECT,
					      .address = base};
	c = shmheap_connect_ex(name, &co);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_eq(shmheap_underlying(c), base);
	shmheap_disconnect(c);
	shmheap_destroy(name, h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fixed-address");
	TCase *tc = tu_tcase("fixed", 60);
	tcase_add_test(tc, two_processes_follow_raw_pointers);
	tcase_add_test(tc, taken_range_is_eexist_and_untouched);
	tcase_add_test(tc, bad_addresses_are_einval);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
