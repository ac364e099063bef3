/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a program built only from the installed headers, shmheap.pc
 * and libshmheap.so, as a user of libshmheap-dev would build it.  It creates
 * a heap, allocates an object, hands it to a child process as a handle (the
 * child connects and maps the heap at its own address), frees it and
 * destroys the heap, checking every step.  Exit 0 when all is well.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmheap.h>

#define OBJECT_SIZE 100

static char heap_name[64];

/* Whatever fails, the heap must not outlive the test. */
static void remove_heap(void)
{
	shm_unlink(heap_name);
}

static void on_signal(int sig)
{
	remove_heap();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fail(const char *what)
{
	fprintf(stderr, "consumer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + 3);
}

static int filled(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 7 + 3))
			return 0;
	return 1;
}

/* The child sees the object only through the handle it reads from the pipe. */
static int child(int rfd)
{
	shmheap_object_handle h;
	shmheap_memory_handle mem;
	unsigned char *p;

	if (read(rfd, &h, sizeof(h)) != (ssize_t)sizeof(h))
		return 10;
	mem = shmheap_connect(heap_name);
	if (!mem)
		return 11;
	p = shmheap_handle_to_ptr(mem, h);
	if (!p || !filled(p, OBJECT_SIZE))
		return 12;
	shmheap_disconnect(mem);
	return 0;
}

int main(void)
{
	shmheap_memory_handle mem;
	shmheap_object_handle h;
	struct shmheap_stats st;
	unsigned char *p;
	int fds[2], status, fd;
	pid_t pid;

	snprintf(heap_name, sizeof(heap_name), "/shmheap-consumer-%ld", (long)getpid());
	atexit(remove_heap);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	mem = shmheap_create(heap_name, 64 * 1024);
	if (!mem)
		fail("shmheap_create");
	p = shmheap_alloc(mem, OBJECT_SIZE);
	if (!p)
		fail("shmheap_alloc");
	if ((size_t)p % 8 != 0) {
		fprintf(stderr, "consumer: object %p is not 8-byte aligned\n", (void *)p);
		return 1;
	}
	fill(p, OBJECT_SIZE);

	h = shmheap_ptr_to_handle(mem, p);
	if (shmheap_handle_to_ptr(mem, h) != p) {
		fprintf(stderr, "consumer: handle does not lead back to the object\n");
		return 1;
	}

	if (pipe(fds) != 0)
		fail("pipe");
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		close(fds[1]);
		_exit(child(fds[0]));
	}
	close(fds[0]);
	if (write(fds[1], &h, sizeof(h)) != (ssize_t)sizeof(h))
		fail("write");
	close(fds[1]);
	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr,
			"consumer: child could not read the object (status %#x)\n",
			status);
		return 1;
	}

	shmheap_free(mem, p);
	if (shmheap_stats(mem, &st) != 0)
		fail("shmheap_stats");
	if (st.objects != 0) {
		fprintf(stderr, "consumer: %zu objects left after free\n", st.objects);
		return 1;
	}

	shmheap_destroy(heap_name, mem);
	fd = shm_open(heap_name, O_RDONLY, 0);
	if (fd >= 0 || errno != ENOENT) {
		fprintf(stderr, "consumer: %s still exists after shmheap_destroy\n",
			heap_name);
		return 1;
	}
	printf("consumer: create, alloc, handle round trip across fork, free, destroy: ok\n");
	return 0;
}
