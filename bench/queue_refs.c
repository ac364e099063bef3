/* SPDX-License-Identifier: MIT */
/*
 * queue_refs.c - the reference channels of bench/queuebench (queue_refs.h).
 *
 * The rings are cells of {sequence, value} (as in Dmitry Vyukov's bounded
 * queue): the cell of position p is free for the producer when its sequence
 * is p, and full for the consumer when it is p + 1; the consumer gives it
 * back for the next lap with p + REF_RING_CAP.  Each side keeps its position
 * to itself, so the only lines that cross between the cores are the cells'
 * and the objects'.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "queue_refs.h"

#define REF_RING_CAP 256 /* as the queue's QUEUE_CAP */

struct ref_cell {
	uint64_t seq, value;
};

struct ref_shared {
	_Alignas(64) uint32_t mail_seq; /* futex: handles put in the mailbox */
	uint64_t mail_value;
	_Alignas(64) uint64_t mail_taken; /* futex: handles taken out */
	_Alignas(64) struct ref_cell ring[REF_RING_CAP];
	int fds[2]; /* socket: the producer's end, the consumer's */
};

static inline void pause_briefly(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

struct ref_shared *ref_shared_new(enum ref_kind kind)
{
	struct ref_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return NULL;
	for (uint64_t i = 0; i < REF_RING_CAP; i++)
		sh->ring[i].seq = i;
	sh->fds[0] = sh->fds[1] = -1;
	if (kind == REF_SOCKET && socketpair(AF_UNIX, SOCK_DGRAM, 0, sh->fds) < 0) {
		int err = errno;
		munmap(sh, sizeof(*sh));
		errno = err;
		return NULL;
	}
	return sh;
}

void ref_shared_free(struct ref_shared *sh)
{
	munmap(sh, sizeof(*sh));
}

void ref_chan_ends(struct ref_shared *sh, struct ref_chan *producer,
		   struct ref_chan *consumer)
{
	producer->sh = consumer->sh = sh;
	producer->pos = consumer->pos = 0;
	producer->fd = sh->fds[0];
	consumer->fd = sh->fds[1];
}

void ref_chan_close(struct ref_chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
}

/* Spins until *word is want. */
static void await_word(const uint64_t *word, uint64_t want)
{
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != want)
		pause_briefly();
}

/* Takes the cell of sequence seen to its next: by a plain store, or by a
 * compare-and-swap. */
static void cell_publish(struct ref_cell *cell, uint64_t seen, uint64_t next, int cas)
{
	if (cas)
		__atomic_compare_exchange_n(&cell->seq, &seen, next, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&cell->seq, next, __ATOMIC_RELEASE);
}

static long futex(uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

int ref_send(struct ref_chan *c, uint64_t value)
{
	struct ref_shared *sh = c->sh;
	uint64_t p = c->pos++;
	switch (c->kind) {
	case REF_RING_PLAIN:
	case REF_RING_CAS: {
		struct ref_cell *cell = &sh->ring[p % REF_RING_CAP];
		await_word(&cell->seq, p);
		cell->value = value;
		cell_publish(cell, p, p + 1, c->kind == REF_RING_CAS);
		return 0;
	}
	case REF_FUTEX:
		/* One handle in the mailbox at a time. */
		await_word(&sh->mail_taken, p);
		sh->mail_value = value;
		__atomic_add_fetch(&sh->mail_seq, 1, __ATOMIC_SEQ_CST);
		return futex(&sh->mail_seq, FUTEX_WAKE, INT_MAX) < 0 ? -1 : 0;
	case REF_SOCKET:
		return send(c->fd, &value, sizeof(value), 0) == (ssize_t)sizeof(value) ? 0
										      : -1;
	}
	errno = EINVAL;
	return -1;
}

int ref_recv(struct ref_chan *c, uint64_t *value)
{
	struct ref_shared *sh = c->sh;
	uint64_t p = c->pos++;
	switch (c->kind) {
	case REF_RING_PLAIN:
	case REF_RING_CAS: {
		struct ref_cell *cell = &sh->ring[p % REF_RING_CAP];
		await_word(&cell->seq, p + 1);
		*value = cell->value;
		cell_publish(cell, p + 1, p + REF_RING_CAP, c->kind == REF_RING_CAS);
		return 0;
	}
	case REF_FUTEX:
		for (;;) {
			uint32_t s = __atomic_load_n(&sh->mail_seq, __ATOMIC_SEQ_CST);
			if (s == (uint32_t)(p + 1))
				break;
			if (futex(&sh->mail_seq, FUTEX_WAIT, s) < 0 && errno != EAGAIN &&
			    errno != EINTR)
				return -1;
		}
		*value = sh->mail_value;
		__atomic_store_n(&sh->mail_taken, p + 1, __ATOMIC_RELEASE);
		return 0;
	case REF_SOCKET:
		return recv(c->fd, value, sizeof(*value), 0) == (ssize_t)sizeof(*value) ? 0
											 : -1;
	}
	errno = EINVAL;
	return -1;
}
