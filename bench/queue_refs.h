/* SPDX-License-Identifier: MIT */
/*
 * queue_refs.h - reference channels for bench/queuebench (queue_refs.c):
 * what the machine gives any queue in shared memory, measured in the same
 * rounds as the queue, so that a target can be told from a ceiling.
 *
 *   ring, plain      one producer, one consumer, positions private to each
 *                    side, every slot changed by a plain store: the least a
 *                    ring in shared memory costs (neither several producers
 *                    nor kills are safe in it)
 *   ring, one CAS    the same ring, every slot changed by one
 *                    compare-and-swap, the least a ring of many producers
 *                    and consumers that commits each handle by one atomic
 *                    operation costs
 *   futex            a mailbox of one handle whose consumer sleeps with
 *                    FUTEX_WAIT on a shared word and is woken by FUTEX_WAKE:
 *                    the kernel's wake-up with nothing around it
 *   unix socket      a socketpair of datagrams, another wake-up through a
 *                    file descriptor beside the pipe
 *
 * The rings spin while full or empty: they are throughput references only;
 * the futex and the socket are wake-up references only.
 */
#ifndef QUEUE_REFS_H
#define QUEUE_REFS_H

#include <stdint.h>

/* Shared by the two processes of a reference measurement; made with
 * ref_shared_new before the fork, released with ref_shared_free. */
struct ref_shared;

enum ref_kind { REF_RING_PLAIN, REF_RING_CAS, REF_FUTEX, REF_SOCKET };

struct ref_chan {
	enum ref_kind kind;
	struct ref_shared *sh;
	uint64_t pos; /* this side's next position (rings) or sequence (futex) */
	int fd;	      /* the socket's end */
};

struct ref_shared *ref_shared_new(enum ref_kind kind);
void ref_shared_free(struct ref_shared *sh);
/* The two ends, made before the fork: the producer's and the consumer's. */
void ref_chan_ends(struct ref_shared *sh, struct ref_chan *producer,
		   struct ref_chan *consumer);
/* Closes the socket of an end a process does not use (the child the other's,
 * the parent both). */
void ref_chan_close(struct ref_chan *c);
int ref_send(struct ref_chan *c, uint64_t value);
int ref_recv(struct ref_chan *c, uint64_t *value);

#endif /* QUEUE_REFS_H */
