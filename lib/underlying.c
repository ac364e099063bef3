/* SPDX-License-Identifier: MIT */
/*
 * underlying.c - what lies under a heap: its mapping in this process, the
 * descriptor of its object, and writing it to storage.
 */
#include <errno.h>

#include "connection.h"
#include "lock.h"

EXPORT void *shmheap_underlying(shmheap_memory_handle mem)
{
	if (!mem) {
		errno = EINVAL;
		return NULL;
	}
	return mem->base;
}

/*
 * Under the heap lock, so that the bookkeeping written is that of a moment
 * when no call was changing it: a heap synced and then left alone reconnects
 * after a power loss.  Heaps without storage have nothing to write.
 */
EXPORT int shmheap_sync(shmheap_memory_handle mem)
{
	if (!mem) {
		errno = EINVAL;
		return -1;
	}
	if (!mem->backing.ops->sync)
		return 0;
	if (heap_read_lock(mem) < 0)
		return -1;
	int ret = mem->backing.ops->sync(&mem->backing, mem->base,
					 heap_mapped_bytes(mem));
	int err = errno;
	heap_read_unlock(mem);
	errno = err;
	return ret;
}

EXPORT int shmheap_fd(shmheap_memory_handle mem)
{
	if (!mem) {
		errno = EINVAL;
		return -1;
	}
	if (mem->backing.fd < 0) {
		errno = ENOTSUP; /* a System V segment has no descriptor */
		return -1;
	}
	return mem->backing.fd;
}
