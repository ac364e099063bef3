/* SPDX-License-Identifier: MIT */
/*
 * test-elastic.c - shmheap_elastic, the allocator that maps 4 KiB pages on
 * demand: the virtual size (VSZ, /proc/self/statm) grows by exactly one page
 * exactly when no page it has can hold a request, never at creation; no chunk
 * crosses a page; freed and merged space is reused before a new page; random
 * sequences against a model of the pages.
 *
 * Between two VSZ readings the tests call nothing that could allocate
 * (no stdio, no Check assertion): failures are recorded and asserted after.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmheap_pages.h"
#include "testutil.h"

#define PAGE SHMHEAP_ELASTIC_PAGE_SIZE
#define UNITS (PAGE / 8)

/* The virtual size of this process in bytes, read without allocating. */
static long vsz(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10) * sysconf(_SC_PAGESIZE);
}

static size_t mapped_meta(const shmheap_elastic *em)
{
	struct shmheap_elastic_stats st;
	return shmheap_elastic_stats(em, &st) == 0 ? st.bookkeeping_mapped : (size_t)-1;
}

static size_t pages_of(const shmheap_elastic *em)
{
	struct shmheap_elastic_stats st;
	return shmheap_elastic_stats(em, &st) == 0 ? st.pages : (size_t)-1;
}

static void print_problem(size_t off, const char *problem, void *arg)
{
	(void)arg;
	fprintf(stderr, "problem at %zu: %s\n", off, problem);
}

START_TEST(nothing_mapped_until_needed)
{
	ck_assert_int_eq(sysconf(_SC_PAGESIZE), PAGE); /* the VSZ steps below assume it */
	long v0 = vsz();
	shmheap_elastic *em = shmheap_elastic_create();
	long v1 = vsz();
	ck_assert_ptr_nonnull(em);
	ck_assert_int_eq(v1, v0);
	ck_assert_uint_eq(pages_of(em), 0);

	char *a = shmheap_elastic_alloc(em, 1024);
	long v2 = vsz();
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(v2 - v1, PAGE);
	ck_assert_uint_eq((uintptr_t)a % PAGE, 0);
	char *b = shmheap_elastic_alloc(em, 3072);
	long v3 = vsz();
	ck_assert_ptr_eq(b, a + 1024);
	ck_assert_int_eq(v3, v2);
	char *c = shmheap_elastic_alloc(em, 8);
	long v4 = vsz();
	ck_assert_int_eq(v4 - v3, PAGE);
	ck_assert_uint_eq(pages_of(em), 2);
	memset(a, 1, 1024);
	memset(b, 2, 3072);
	memset(c, 3, 8);
	ck_assert_int_eq(shmheap_elastic_check(em, print_problem, NULL), 0);
	ck_assert_int_eq(shmheap_elastic_destroy(em), 0);
	ck_assert_int_eq(vsz(), v0); /* cleanup unmaps every page */
}
END_TEST

START_TEST(create_in_caller_storage)
{
	static union {
		max_align_t align;
		unsigned char bytes[SHMHEAP_ELASTIC_STORAGE + 16];
	} storage;
	errno = 0;
	ck_assert_ptr_null(
		shmheap_elastic_create_in(&storage, SHMHEAP_ELASTIC_STORAGE - 1));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(
		shmheap_elastic_create_in(storage.bytes + 4, SHMHEAP_ELASTIC_STORAGE));
	ck_assert_ptr_null(shmheap_elastic_create_in(NULL, SHMHEAP_ELASTIC_STORAGE));
	long v0 = vsz();
	shmheap_elastic *em = shmheap_elastic_create_in(&storage, sizeof(storage));
	long v1 = vsz();
	ck_assert_ptr_eq(em, (void *)&storage);
	ck_assert_int_eq(v1, v0);
	char *p = shmheap_elastic_alloc(em, 4096);
	long v2 = vsz();
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(v2 - v1, PAGE);
	ck_assert_int_eq(shmheap_elastic_check(em, print_problem, NULL), 0);
	ck_assert_int_eq(shmheap_elastic_destroy(em), 0); /* unmaps, frees nothing */
	ck_assert_int_eq(vsz(), v0);
	/* The storage can serve again. */
	em = shmheap_elastic_create_in(&storage, sizeof(storage));
	ck_assert_ptr_nonnull(shmheap_elastic_alloc(em, 8));
	ck_assert_int_eq(shmheap_elastic_destroy(em), 0);
}
END_TEST

START_TEST(sizes)
{
	shmheap_elastic *em = shmheap_elastic_create();
	ck_assert_ptr_nonnull(em);
	static const size_t bad[] = {0, 1, 12, 100, PAGE - 4, PAGE + 8, SIZE_MAX - 7};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(shmheap_elastic_alloc(em, bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_uint_eq(pages_of(em), 0); /* refused sizes map nothing */
	char *whole = shmheap_elastic_alloc(em, PAGE);
	ck_assert_ptr_nonnull(whole);
	memset(whole, 0xa5, PAGE);
	for (size_t sz = 8; sz <= PAGE; sz += 8) /* every size the allocator takes */
		ck_assert_ptr_nonnull(shmheap_elastic_alloc(em, sz));
	ck_assert_int_eq(shmheap_elastic_check(em, print_problem, NULL), 0);
	ck_assert_ptr_null(shmheap_elastic_alloc(NULL, 8));
	ck_assert_int_eq(shmheap_elastic_destroy(em), 0);
}
END_TEST

START_TEST(reuse_before_new_page)
{
	shmheap_elastic *em = shmheap_elastic_create();
	char *p[8];
	for (int i = 0; i < 8; i++) /* two pages of four 1 KiB chunks */
		p[i] = shmheap_elastic_alloc(em, 1024);
	ck_assert_uint_eq(pages_of(em), 2);
	long v = vsz();
	/* A freed chunk is reused, split: 512 + 512 in p[5]'s place. */
	shmheap_elastic_free(em, p[5]);
	char *s1 = shmheap_elastic_alloc(em, 512), *s2 = shmheap_elastic_alloc(em, 512);
	long v1 = vsz();
	ck_assert_ptr_eq(s1, p[5]);
	ck_assert_ptr_eq(s2, p[5] + 512);
	/* Two freed neighbours merge: 2048 fits where p[1] and p[2] were. */
	shmheap_elastic_free(em, p[1]);
	shmheap_elastic_free(em, p[2]);
	char *m = shmheap_elastic_alloc(em, 2048);
	long v2 = vsz();
	ck_assert_ptr_eq(m, p[1]);
	/* A page emptied entirely serves a whole-page request. */
	shmheap_elastic_free(em, p[4]);
	shmheap_elastic_free(em, s1);
	shmheap_elastic_free(em, s2);
	shmheap_elastic_free(em, p[6]);
	shmheap_elastic_free(em, p[7]);
	char *w = shmheap_elastic_alloc(em, PAGE);
	long v3 = vsz();
	ck_assert_ptr_eq(w, p[4]);
	ck_assert_int_eq(v1, v);
	ck_assert_int_eq(v2, v);
	ck_assert_int_eq(v3, v);
	ck_assert_uint_eq(pages_of(em), 2);
	/* Two free chunks of 1 KiB in different pages do not make 2 KiB. */
	shmheap_elastic_free(em, p[0]);
	shmheap_elastic_free(em, w);
	ck_assert_ptr_eq(shmheap_elastic_alloc(em, 1024),
			 p[0]); /* the first page first */
	ck_assert_int_eq(shmheap_elastic_check(em, print_problem, NULL), 0);
	ck_assert_int_eq(shmheap_elastic_destroy(em), 0);
}
END_TEST

START_TEST(bad_frees_refused)
{
	shmheap_elastic *em = shmheap_elastic_create(), *other = shmheap_elastic_create();
	char *a = shmheap_elastic_alloc(em, 64), *b = shmheap_elastic_alloc(em, 64);
	char *o = shmheap_elastic_alloc(other, 64);
	shmheap_elastic_free(em, a);
	int local;
	void *bad[] = {a, b + 8, b + 1, o, &local, b + PAGE};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_int_eq(shmheap_elastic_free_checked(em, bad[i]), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	struct shmheap_elastic_stats st;
	ck_assert_int_eq(shmheap_elastic_stats(em, &st), 0);
	ck_assert_uint_eq(st.allocations, 1);
	ck_assert_uint_eq(st.used_bytes, 64);
	ck_assert_uint_eq(st.invalid_frees, sizeof(bad) / sizeof(bad[0]));
	ck_assert_int_eq(shmheap_elastic_free_checked(em, NULL), 0);
	ck_assert_int_eq(shmheap_elastic_free_checked(em, b), 0);
	ck_assert_int_eq(shmheap_elastic_check(em, print_problem, NULL), 0);
	ck_assert_int_eq(shmheap_elastic_destroy(em), 0);
	ck_assert_int_eq(shmheap_elastic_destroy(other), 0);
}
END_TEST

/*
 * The model: for each page (in the order mapped) one byte per 8-byte unit,
 * 0 free or 1 used.  An allocation must land at the first fit of the first
 * page with room; only when no page has room may a page be mapped, and then
 * the VSZ grows by one page (plus what the tables' own mapping grew by,
 * which happens only then and is 0 for the first 32 pages).
 */
#define MAX_PAGES 256
#define MAX_LIVE 4096

struct model {
	size_t pages;
	uintptr_t base[MAX_PAGES];
	unsigned char used[MAX_PAGES][UNITS];
};

static long first_fit(const unsigned char *used, size_t need)
{
	size_t run = 0;
	for (size_t u = 0; u < UNITS; u++) {
		run = used[u] ? 0 : run + 1;
		if (run == need)
			return (long)(u + 1 - need);
	}
	return -1;
}

static size_t random_size(uint64_t *rng, int lab)
{
	uint64_t r = tu_rand(rng);
	if (lab) /* the lab's own assumption: multiples of 256 up to 4 KiB */
		return 256 * (1 + r % 16);
	return r % 4 ? 8 * (1 + r % 64) : 8 * (1 + r % UNITS);
}

static int walk_chunk(const struct shmheap_elastic_block *blk, void *arg)
{
	struct model *m = arg;
	size_t u = blk->offset / 8;
	int bad = blk->page >= m->pages ||
		  (uintptr_t)blk->addr != m->base[blk->page] + blk->offset ||
		  blk->offset + blk->size > PAGE; /* a chunk never crosses its page */
	for (size_t k = 0; !bad && k < blk->size / 8; k++)
		bad = m->used[blk->page][u + k] != blk->in_use;
	return bad;
}

static int walk_count(const struct shmheap_elastic_block *blk, void *arg)
{
	(void)blk;
	++*(size_t *)arg;
	return 0;
}

START_TEST(random_ops_match_model)
{
	int lab = _i == 1;
	size_t ops = tu_env_ulong("SHMHEAP_TEST_ELASTIC_OPS", 20000);
	size_t target_live = lab ? 12 : 200; /* lab: about 4 pages; else some 50 */
	uint64_t rng = 12345 + (uint64_t)_i;
	struct model *m = calloc(1, sizeof(*m));
	struct {
		char *p;
		size_t len, page;
	} *live = calloc(MAX_LIVE, sizeof(*live));
	size_t nlive = 0, new_pages = 0;
	char why[160] = "";
	shmheap_elastic *em = shmheap_elastic_create();
	ck_assert_ptr_nonnull(em);

	for (size_t op = 0; op < ops && !why[0]; op++) {
		if (nlive && (nlive >= target_live || tu_rand(&rng) % 2)) {
			size_t k = tu_rand(&rng) % nlive;
			uintptr_t off = (uintptr_t)live[k].p - m->base[live[k].page];
			if (shmheap_elastic_free_checked(em, live[k].p) < 0)
				snprintf(why, sizeof(why), "op %zu: free refused", op);
			memset(&m->used[live[k].page][off / 8], 0, live[k].len / 8);
			live[k] = live[--nlive];
			continue;
		}
		size_t sz = random_size(&rng, lab), page = 0;
		long at = -1;
		for (; page < m->pages && at < 0; page++)
			at = first_fit(m->used[page], sz / 8);
		page = at < 0 ? m->pages : page - 1;
		long v0 = vsz();
		size_t meta0 = mapped_meta(em);
		char *p = shmheap_elastic_alloc(em, sz);
		long v1 = vsz();
		size_t meta1 = mapped_meta(em);
		if (!p) {
			snprintf(why, sizeof(why), "op %zu: alloc(%zu) failed", op, sz);
			break;
		}
		long grew = v1 - v0 - (long)(meta1 - meta0);
		if (at >= 0) {
			if ((uintptr_t)p != m->base[page] + (uintptr_t)at * 8 || v1 != v0)
				snprintf(
					why, sizeof(why),
					"op %zu: alloc(%zu) should reuse page %zu unit %ld, VSZ "
					"%+ld",
					op, sz, page, at, v1 - v0);
		} else {
			if (grew != PAGE || (uintptr_t)p % PAGE ||
			    m->pages == MAX_PAGES || (m->pages < 32 && meta1 != meta0))
				snprintf(
					why, sizeof(why),
					"op %zu: alloc(%zu) with no room: VSZ %+ld, tables %+ld",
					op, sz, v1 - v0, (long)(meta1 - meta0));
			else
				m->base[m->pages++] = (uintptr_t)p;
			at = 0;
			new_pages++;
		}
		if (why[0])
			break;
		memset(&m->used[page][at], 1, sz / 8);
		if (nlive == MAX_LIVE)
			break;
		live[nlive++] = (typeof(*live)){p, sz, page};
		if (op % 1024 == 0 && shmheap_elastic_walk(em, walk_chunk, m) != 0)
			snprintf(why, sizeof(why),
				 "op %zu: the walk differs from the model", op);
	}
	ck_assert_msg(!why[0], "%s", why);
	ck_assert_uint_eq(pages_of(em), m->pages);
	ck_assert_uint_eq(new_pages, m->pages);
	ck_assert_uint_ge(m->pages,
			  lab ? 3 : 33); /* beyond the inline tables, lab: a few */
	ck_assert_int_eq(shmheap_elastic_walk(em, walk_chunk, m), 0);
	ck_assert_int_eq(shmheap_elastic_check(em, print_problem, NULL), 0);
	size_t chunks = 0;
	ck_assert_int_eq(shmheap_elastic_walk(em, walk_count, &chunks), 0);
	ck_assert_uint_ge(chunks, nlive);
	long before = vsz();
	size_t meta = mapped_meta(em);
	ck_assert_int_eq(shmheap_elastic_destroy(em), 0);
	ck_assert_int_eq(before - vsz(), (long)(m->pages * PAGE + meta));
	free(live);
	free(m);
}
END_TEST

static Suite *elastic_suite(void)
{
	Suite *s = suite_create("elastic");
	TCase *tc = tu_tcase("scenarios", 30);
	tcase_add_test(tc, nothing_mapped_until_needed);
	tcase_add_test(tc, create_in_caller_storage);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, reuse_before_new_page);
	tcase_add_test(tc, bad_frees_refused);
	suite_add_tcase(s, tc);
	tc = tu_tcase("random", 300);
	tcase_add_loop_test(tc, random_ops_match_model, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(elastic_suite());
}
