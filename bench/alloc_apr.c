/* SPDX-License-Identifier: MIT */
/*
 * alloc_apr.c - APR's relocatable memory manager (apr_rmm) over an anonymous
 * apr_shm segment, locked by a process-shared pthread mutex (apr_proc_mutex),
 * so that forked children can use it.  apr_rmm keeps its free and used blocks
 * in address-ordered lists and walks them on every call: the driver runs it
 * with scaled-down counts (BENCH_LINEAR).
 */
#include <apr_anylock.h>
#include <apr_general.h>
#include <apr_proc_mutex.h>
#include <apr_rmm.h>
#include <apr_shm.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

struct apr_bench {
	apr_pool_t *pool;
	apr_shm_t *shm;
	apr_proc_mutex_t *mutex;
	apr_anylock_t lock;
	apr_rmm_t *rmm;
};

static void apr_warn(const char *what, apr_status_t rv)
{
	char buf[256];
	fprintf(stderr, "shmbench: apr: %s: %s\n", what,
		apr_strerror(rv, buf, sizeof(buf)));
}

static void *apr_bench_create(size_t bytes)
{
	static int initialised;
	apr_status_t rv;

	if (!initialised) {
		if ((rv = apr_initialize()) != APR_SUCCESS) {
			apr_warn("apr_initialize", rv);
			return NULL;
		}
		atexit(apr_terminate);
		initialised = 1;
	}
	struct apr_bench *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	if ((rv = apr_pool_create(&b->pool, NULL)) != APR_SUCCESS) {
		apr_warn("apr_pool_create", rv);
		free(b);
		return NULL;
	}
	if ((rv = apr_shm_create(&b->shm, bytes, NULL, b->pool)) != APR_SUCCESS) {
		apr_warn("apr_shm_create", rv);
		goto fail;
	}
	rv = apr_proc_mutex_create(&b->mutex, NULL, APR_LOCK_PROC_PTHREAD, b->pool);
	if (rv != APR_SUCCESS) {
		apr_warn("apr_proc_mutex_create", rv);
		goto fail;
	}
	b->lock.type = apr_anylock_procmutex;
	b->lock.lock.pm = b->mutex;
	rv = apr_rmm_init(&b->rmm, &b->lock, apr_shm_baseaddr_get(b->shm),
			  apr_shm_size_get(b->shm), b->pool);
	if (rv != APR_SUCCESS) {
		apr_warn("apr_rmm_init", rv);
		goto fail;
	}
	return b;
fail:
	apr_pool_destroy(b->pool);
	free(b);
	return NULL;
}

static void apr_bench_prefault(void *heap)
{
	struct apr_bench *b = heap;
	bench_populate(apr_shm_baseaddr_get(b->shm), apr_shm_size_get(b->shm));
}

static int apr_bench_attach(void *heap)
{
	struct apr_bench *b = heap;
	apr_status_t rv = apr_proc_mutex_child_init(&b->mutex, NULL, b->pool);
	if (rv != APR_SUCCESS) {
		apr_warn("apr_proc_mutex_child_init", rv);
		return -1;
	}
	return 0;
}

static void *apr_bench_alloc(void *heap, size_t n)
{
	struct apr_bench *b = heap;
	apr_rmm_off_t off = apr_rmm_malloc(b->rmm, n);
	return off ? apr_rmm_addr_get(b->rmm, off) : NULL;
}

static void apr_bench_free(void *heap, void *p)
{
	struct apr_bench *b = heap;
	apr_rmm_free(b->rmm, apr_rmm_offset_get(b->rmm, p));
}

static void apr_bench_destroy(void *heap)
{
	struct apr_bench *b = heap;
	apr_rmm_destroy(b->rmm);
	apr_pool_destroy(b->pool); /* the segment and the mutex with it */
	free(b);
}

const struct bench_allocator bench_apr = {
	.name = "apr_rmm",
	.flags = BENCH_SHARED | BENCH_BOUNDED | BENCH_LINEAR,
	.create = apr_bench_create,
	.prefault = apr_bench_prefault,
	.attach_child = apr_bench_attach,
	.alloc = apr_bench_alloc,
	.free = apr_bench_free,
	.destroy = apr_bench_destroy,
};
