/* SPDX-License-Identifier: MIT */
/*
 * backing-fd-helper.c - the process test-backing-anon starts with exec: it
 * receives a heap's descriptor and an object handle over the Unix socket
 * whose number is argv[1] (SCM_RIGHTS), joins the heap with
 * shmheap_connect_fd, checks the object's text, and answers with the handle
 * of an object of its own.  Exit status 0 when all went well.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shmheap.h"

#define GREETING "hello over SCM_RIGHTS"
#define ANSWER "answered from an exec'd process"

static int fail(const char *what)
{
	fprintf(stderr, "backing-fd-helper: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int sock = atoi(argv[1]);
	shmheap_object_handle hdl;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&hdl, sizeof(hdl)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(hdl))
		return fail("recvmsg");
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return fail("no descriptor");
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));

	shmheap_memory_handle h = shmheap_connect_fd(fd);
	if (!h)
		return fail("shmheap_connect_fd");
	close(fd); /* the heap keeps a duplicate */
	const char *text = shmheap_handle_to_ptr(h, hdl);
	if (!text || strcmp(text, GREETING) != 0)
		return fail("the greeting");
	char *answer = shmheap_alloc(h, sizeof(ANSWER));
	if (!answer)
		return fail("shmheap_alloc");
	memcpy(answer, ANSWER, sizeof(ANSWER));
	shmheap_object_handle reply = shmheap_ptr_to_handle(h, answer);
	if (write(sock, &reply, sizeof(reply)) != (ssize_t)sizeof(reply))
		return fail("write");
	shmheap_disconnect(h);
	return 0;
}
