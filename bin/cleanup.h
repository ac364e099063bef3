/* SPDX-License-Identifier: MIT */
/*
 * cleanup.h - what a runner must not leave behind when a signal ends it.
 *
 * A runner registers its child processes, its shared-memory object (or
 * System V segment) and its file here.  From cleanup_install until it exits, every asynchronous signal
 * whose default action ends the process (SIGHUP, SIGINT, SIGQUIT, SIGTERM,
 * SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGIO,
 * SIGPWR, SIGSTKFLT and the real-time signals) kills and reaps the children,
 * removes the object and the file and then ends the runner by the same
 * signal, so that its parent sees the usual status (128 + signal in a shell).
 * A SIGHUP ignored when the runner started (nohup) stays ignored.  SIGKILL
 * cannot be caught, and the synchronous faults (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE) are left to their default action.
 *
 * The state is global because a signal handler must find it; a runner has
 * one of each.
 */
#ifndef SHMHEAP_CLEANUP_H
#define SHMHEAP_CLEANUP_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* Blocks the signals above; the previous mask goes to *old when not NULL. */
void cleanup_block(sigset_t *old);
/* Room for max children; call once, before cleanup_install.  Dies on failure. */
void cleanup_reserve(size_t max);
/* Installs the handler (call with the signals blocked); SIGPIPE is ignored,
 * so that writing to a dead child's pipe fails with EPIPE instead. */
void cleanup_install(void);

/* What the handler removes; each call replaces the last, NULL forgets.
 * Call with the signals blocked.  Names longer than 4095 bytes are refused
 * (-1, errno ENAMETOOLONG). */
int cleanup_set_shm(const char *name);
/*
 * The file at path, then the directory dir (or NULL).  The file's directory
 * is opened now, without following a symbolic link (-1, errno ELOOP, for a
 * link among its directories), and the handler removes the file's name in
 * that directory: with fd >= 0 only if it still names the file fd has open,
 * else whatever it names (a file not made yet, in the runner's own directory).
 */
int cleanup_set_file(const char *path, const char *dir, int fd);
/* A System V segment to remove (IPC_RMID); -1 forgets.  Returns 0. */
int cleanup_set_sysv(int shmid);

/* A child to kill and reap (call with the signals blocked). */
void cleanup_add_child(pid_t pid);
/*
 * Waits for child pid to end, with the signals unblocked (the caller's mask
 * must not block them), then reaps it with them blocked and forgets it, so
 * that the handler never signals a pid that may have been reused.  Returns
 * the wait status, or -1 if pid is no child.
 */
int cleanup_wait_child(pid_t pid);
/* The children have been reaped: the handler must not touch their pids. */
void cleanup_forget_children(void);

/*
 * In a newly forked child: the default action for every signal above, SIGPIPE
 * ignored (a write to a closed output fails with EPIPE, which the child
 * reports), and the signal mask the parent had before cleanup_block (old).
 */
void cleanup_in_child(const sigset_t *old);

#endif /* SHMHEAP_CLEANUP_H */
