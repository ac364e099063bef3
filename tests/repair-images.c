/* SPDX-License-Identifier: MIT */
/*
 * repair-images.c - heap images built to order for the repair tests, and the
 * check after a crash (see repair-images.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "repair-images.h"

void free_word(struct img *m, heap_off off, uint64_t size, uint64_t prev, uint32_t prio)
{
	*word(m, off) = size | prev | (uint64_t)prio << BW_TAG_SHIFT;
	if (size >= BLOCK_FOOTER_MIN)
		*word(m, off + size - HEAP_UNIT) = size;
}

/*
 * Lays the blocks of spec over a fresh heap and indexes the free ones.  The
 * cases write treap links by hand, so the heap is one of the old layout
 * (treaps in the blocks, no HEAP_FLAG_FITMAP), which the test library makes
 * when SHMHEAP_TEST_TREAP_HEAPS=1, and fi is a treap index (flat false).
 */
void build(struct img *m, const char *tag, const struct spec *spec)
{
	struct shmheap_options o = {.flags = SHMHEAP_NO_GROW};
	m->name = tu_name(tag);
	ck_assert_int_eq(setenv("SHMHEAP_TEST_TREAP_HEAPS", "1", 1), 0);
	m->h = shmheap_create_ex(m->name, HEAP_BYTES, &o);
	ck_assert_msg(m->h != NULL, "create: %s", strerror(errno));
	unsetenv("SHMHEAP_TEST_TREAP_HEAPS");
	m->base = shmheap_underlying(m->h);
	m->fi = (struct free_index){
		.base = m->base,
		.hdr = (struct heap_header *)(void *)m->base,
		.mapped = &m->fi_mapped,
		.damaged = &m->fi_damaged,
	};
	ck_assert_msg(!(m->fi.hdr->flags & HEAP_FLAG_FITMAP),
		      "a heap with a fitmap: not the test library?");
	m->fi_mapped = HEAP_BYTES;
	m->fi_damaged = 0;
	m->seed = m->fi.hdr->seed;

	heap_off off = HEAP_FIRST_BLOCK;
	uint64_t prev = BW_PREV_USED;
	fi_clear(&m->fi);
	for (int i = 0; off < HEAP_BYTES; i++) {
		uint64_t size = spec[i].size ? spec[i].size : HEAP_BYTES - off;
		m->at[i] = off;
		if (spec[i].used) {
			*word(m, off) = used_word(m, off, size, prev);
			prev = BW_PREV_USED;
		} else {
			uint32_t prio = off + size == HEAP_BYTES ? BLOCK_PRIO_TOP
								 : spec[i].prio;
			free_word(m, off, size, prev, prio);
			fi_insert(&m->fi, off);
			prev = prev_state_for_free(size);
		}
		off += size;
	}
	ck_assert_int_eq(m->fi_damaged, 0);
	ck_assert_int_eq(tu_check(m->h), 0); /* the image starts out sane */
}

/* Takes the heap lock in a child that then exits: the lock is owner-dead. */
void kill_holder(struct img *m)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int err = pthread_mutex_lock(&m->fi.hdr->lock);
		_exit(err == 0 ? 0 : 1);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the holder did not lock");
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(m->name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_OWNER_DEAD);
}

/* Repairs by connecting, then compares the blocks with want (sizes as in a
 * spec: block sizes, 0 for the rest of the heap). */
void expect_repaired(struct img *m, const struct spec *want, const char *what)
{
	kill_holder(m);
	shmheap_memory_handle c = shmheap_connect(m->name);
	ck_assert_msg(c != NULL, "%s: connect after the crash: %s", what,
		      strerror(errno));
	ck_assert_msg(tu_check(c) == 0, "%s: the repaired heap is not clean", what);

	struct tu_layout got = {0}, exp = {0};
	tu_layout_take(c, &got);
	heap_off off = HEAP_FIRST_BLOCK;
	for (int i = 0; off < HEAP_BYTES; i++) {
		uint64_t size = want[i].size ? want[i].size : HEAP_BYTES - off;
		if (exp.n == exp.cap) {
			exp.cap = exp.cap ? 2 * exp.cap : 16;
			exp.blk = realloc(exp.blk, exp.cap * sizeof(*exp.blk));
			ck_assert_ptr_nonnull(exp.blk);
		}
		exp.blk[exp.n++] = (struct shmheap_block){off + HEAP_UNIT,
							  size - HEAP_UNIT, want[i].used,
							  want[i].used
								  ? SHMHEAP_BLOCK_OBJECT
								  : SHMHEAP_BLOCK_FREE};
		off += size;
	}
	ck_assert_msg(tu_layout_equal(&got, &exp),
		      "%s: %zu blocks after repair, want %zu", what, got.n, exp.n);
	/* Repaired for good: the heap is usable at once. */
	void *p = shmheap_alloc(c, 8);
	ck_assert_ptr_nonnull(p);
	shmheap_free(c, p);
	ck_assert_int_eq(tu_check(c), 0);
	tu_layout_free(&got);
	tu_layout_free(&exp);
	shmheap_disconnect(c);
	shmheap_destroy(m->name, m->h);
}
