/* SPDX-License-Identifier: MIT */
/* cleanup.c - kill, reap and remove on a terminating signal (see cleanup.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "tool.h"
/* The library's resolution of a file: path (common/, shared with it). */
#include "filepath.h"

#define PATH_BUF 4096

static pid_t *children;
static size_t max_children;
static volatile sig_atomic_t nchildren;
static char shm_name[PATH_BUF];
/* The file: its directory, opened when it was registered, and its name there;
 * with file_same, only the file of that device and inode is removed. */
static int file_dir = -1;
static char file_leaf[NAME_MAX + 1];
static bool file_same;
static dev_t file_dev;
static ino_t file_ino;
static char dir_path[PATH_BUF];
static volatile sig_atomic_t sysv_id = -1;

static const int fixed_signals[] = {
	SIGHUP,	   SIGINT,    SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
	SIGALRM,   SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGIO,
#ifdef SIGPWR
	SIGPWR,
#endif
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
};

static void fatal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(fixed_signals) / sizeof(fixed_signals[0]); i++)
		sigaddset(set, fixed_signals[i]);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(set, s);
}

void cleanup_block(sigset_t *old)
{
	sigset_t set;
	fatal_set(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

void cleanup_reserve(size_t max)
{
	children = xcalloc(max, sizeof(*children));
	max_children = max;
}

/* Async-signal-safe only: kill, waitpid, fstatat, unlinkat, rmdir, shm_unlink
 * (an unlink), shmctl (a system call), sigaction, raise. */
static void on_fatal_signal(int sig)
{
	for (sig_atomic_t i = 0; i < nchildren; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
	for (sig_atomic_t i = 0; i < nchildren; i++)
		if (children[i] > 0)
			while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
				;
	if (shm_name[0])
		shm_unlink(shm_name);
	struct stat st;
	if (file_dir >= 0 &&
	    (!file_same || (fstatat(file_dir, file_leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    st.st_dev == file_dev && st.st_ino == file_ino)))
		unlinkat(file_dir, file_leaf, 0);
	if (dir_path[0])
		rmdir(dir_path);
	if (sysv_id >= 0)
		shmctl(sysv_id, IPC_RMID, NULL); /* a system call, like unlink */
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig); /* delivered when the handler returns: the runner dies by sig */
}

static bool is_fatal(int sig)
{
	sigset_t set;
	fatal_set(&set);
	return sigismember(&set, sig) == 1;
}

void cleanup_install(void)
{
	struct sigaction sa = {.sa_handler = on_fatal_signal};
	fatal_set(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++) {
		struct sigaction now;
		if (!is_fatal(s) || sigaction(s, NULL, &now) < 0)
			continue;
		/* nohup ignores SIGHUP so that the run goes on: it stays ignored. */
		if (s == SIGHUP && now.sa_handler == SIG_IGN)
			continue;
		sigaction(s, &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
}

static int set_path(char *buf, const char *value)
{
	if (!value) {
		buf[0] = '\0';
		return 0;
	}
	size_t n = strlen(value);
	if (n >= PATH_BUF) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, value, n + 1);
	return 0;
}

int cleanup_set_shm(const char *name)
{
	return set_path(shm_name, name);
}

static void forget_file(void)
{
	if (file_dir >= 0)
		close(file_dir);
	file_dir = -1;
	file_same = false;
	dir_path[0] = '\0';
}

/*
 * The path is resolved here, once, as the library resolves it (no symbolic
 * link followed): whoever renames a directory of it later, or puts a link in
 * its place, cannot turn the removal onto a file elsewhere.
 */
int cleanup_set_file(const char *path, const char *dir, int fd)
{
	forget_file();
	if (!path)
		return set_path(dir_path, dir);
	struct file_path fp;
	struct stat st;
	size_t n = 0;
	int err = 0;
	if (file_path_open(path, &fp) < 0)
		return -1;
	if ((n = strlen(fp.leaf)) > NAME_MAX)
		err = ENAMETOOLONG;
	else if (fd >= 0 && fstat(fd, &st) < 0)
		err = errno;
	else if (set_path(dir_path, dir) < 0)
		err = errno;
	if (err) {
		file_path_close(&fp);
		errno = err;
		return -1;
	}
	memcpy(file_leaf, fp.leaf, n + 1);
	if (fd >= 0) {
		file_dev = st.st_dev;
		file_ino = st.st_ino;
		file_same = true;
	}
	file_dir = fp.dirfd;
	return 0;
}

int cleanup_set_sysv(int shmid)
{
	sysv_id = shmid;
	return 0;
}

void cleanup_add_child(pid_t pid)
{
	if ((size_t)nchildren < max_children) {
		children[nchildren] = pid;
		nchildren = nchildren + 1;
	}
}

int cleanup_wait_child(pid_t pid)
{
	siginfo_t si;
	/* WNOWAIT: the child stays a zombie, its pid not reusable, meanwhile. */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			return -1;
	sigset_t old;
	cleanup_block(&old);
	int status = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (sig_atomic_t i = 0; i < nchildren; i++)
		if (children[i] == pid)
			children[i] = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return status;
}

void cleanup_forget_children(void)
{
	nchildren = 0;
}

void cleanup_in_child(const sigset_t *old)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigemptyset(&dfl.sa_mask);
	for (int s = 1; s < NSIG; s++) {
		struct sigaction now;
		if (is_fatal(s) && sigaction(s, NULL, &now) == 0 &&
		    now.sa_handler == on_fatal_signal)
			sigaction(s, &dfl, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	nchildren = 0;
	shm_name[0] = '\0';
	forget_file();
	sysv_id = -1;
	sigprocmask(SIG_SETMASK, old, NULL);
}
