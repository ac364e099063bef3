/* SPDX-License-Identifier: MIT */
/*
 * shmheap.h - heaps in POSIX shared memory, shared by any number of processes.
 *
 * Objects are handed between processes as shmheap_object_handle values, which
 * stay valid although every process maps the heap at a different address.
 * See shmheap(7) for the layout, the locking and the limits.
 */
#ifndef SHMHEAP_H
#define SHMHEAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A process's connection to one heap; copies of it name the same heap. */
typedef struct shmheap_heap *shmheap_memory_handle;

/*
 * A position-independent reference to an object: an offset from the start of
 * the heap plus a few bits identifying the heap.  It may be copied bitwise
 * (through a pipe, a file, another shared object) to any process connected to
 * the same heap.  The all-zero handle is the null handle.
 */
typedef struct shmheap_object_handle {
	uint64_t value;
} shmheap_object_handle;

/* The exercise API (see the lab specification). */
shmheap_memory_handle shmheap_create(const char *name, size_t len);
shmheap_memory_handle shmheap_connect(const char *name);
void shmheap_disconnect(shmheap_memory_handle mem);
void shmheap_destroy(const char *name, shmheap_memory_handle mem);
void *shmheap_underlying(shmheap_memory_handle mem);
void *shmheap_alloc(shmheap_memory_handle mem, size_t sz);
void shmheap_free(shmheap_memory_handle mem, void *ptr);
shmheap_object_handle shmheap_ptr_to_handle(shmheap_memory_handle mem, void *ptr);
void *shmheap_handle_to_ptr(shmheap_memory_handle mem, shmheap_object_handle hdl);

/* Largest heap the layout can address, and the alignment of every object. */
#define SHMHEAP_MAX_HEAP_SIZE ((size_t)1 << 35) /* 32 GiB */
#define SHMHEAP_ALIGNMENT 8
/*
 * Smallest len shmheap_create accepts: the header and one 8-byte object.
 * Any larger len is rounded up to a whole number of pages.
 */
#define SHMHEAP_MIN_SIZE 88

/*
 * Growth.  A heap grows inside shmheap_alloc when no free block fits, by
 * doubling (at most 256 MiB at a time) up to its maximum size; no mapping
 * moves, so every pointer and handle stays valid.  shmheap_create makes a
 * heap that may grow to SHMHEAP_DEFAULT_MAX_SIZE (or stays at len when len is
 * larger); shmheap_create_ex chooses.
 */
#define SHMHEAP_DEFAULT_MAX_SIZE ((size_t)4 << 30) /* 4 GiB */
#define SHMHEAP_NO_GROW 0x1u			   /* the heap keeps its initial size */

struct shmheap_options {
	size_t max_size; /* growth limit in bytes (rounded up to pages); 0: the default */
	mode_t mode;	 /* permission bits of the object; 0: 0600 */
	unsigned flags;	 /* SHMHEAP_NO_GROW, SHMHEAP_FIXED_ADDRESS, SHMHEAP_CACHED */
	void *address;	 /* read only with SHMHEAP_FIXED_ADDRESS */
};
shmheap_memory_handle shmheap_create_ex(const char *name, size_t len,
					const struct shmheap_options *opts);
/* Grows the heap to at least new_size bytes now (0 if it is that large already). */
int shmheap_grow(shmheap_memory_handle mem, size_t new_size);

/* Like shmheap_free, but reports a pointer that is not a live object: -1, EINVAL. */
int shmheap_free_checked(shmheap_memory_handle mem, void *ptr);

/* Figures about a heap, computed by one walk over its blocks under the lock. */
struct shmheap_stats {
	size_t heap_size;      /* bytes the heap spans now */
	size_t max_size;       /* bytes it may grow to */
	size_t header_size;    /* bytes before the first object */
	size_t used_bytes;     /* bytes of live objects (rounded sizes) */
	size_t free_bytes;     /* bytes of free blocks, their headers included */
	size_t overhead_bytes; /* block headers of live objects */
	size_t largest_free;   /* largest object shmheap_alloc can return now */
	size_t objects;	       /* live objects */
	size_t free_blocks;    /* free blocks */
	size_t invalid_frees;  /* frees this connection rejected */
	/* Since 0.5.0: the library's own blocks (SHMHEAP_BLOCK_LIBRARY: the names
	 * directory, queues), which objects, used_bytes and overhead_bytes leave
	 * out.  A program built against an older header gets the older figures. */
	size_t library_bytes;  /* bytes of the library's own blocks, headers included */
	size_t library_blocks; /* the library's own blocks */
};
int shmheap_stats(shmheap_memory_handle mem, struct shmheap_stats *st);

/* One block of the heap, as shmheap_walk reports it. */
struct shmheap_block {
	size_t offset; /* of the object (the first byte after the block header) */
	size_t size; /* usable bytes: the object's rounded size, or a free block's payload */
	int in_use; /* 1 for a live object, 0 for free space */
	int kind;   /* SHMHEAP_BLOCK_*: what the block holds (in in_use's padding) */
};
/*
 * What a block holds, finer than in_use (see shmheap_walk(3)): free space
 * (in_use 0), a live object (1), free space held in a process's cache (0),
 * the library's own, such as a cache table, the names directory or a queue (1).
 */
#define SHMHEAP_BLOCK_FREE 1
#define SHMHEAP_BLOCK_OBJECT 2
#define SHMHEAP_BLOCK_CACHED 3
#define SHMHEAP_BLOCK_LIBRARY 4
/* Called for each block in address order; a non-zero return stops the walk. */
typedef int (*shmheap_walk_fn)(const struct shmheap_block *blk, void *arg);
int shmheap_walk(shmheap_memory_handle mem, shmheap_walk_fn fn, void *arg);

/* Called once for each broken invariant that shmheap_check finds. */
typedef void (*shmheap_problem_fn)(size_t offset, const char *problem, void *arg);
/* Verifies every invariant of the heap; returns the number of problems, or -1. */
int shmheap_check(shmheap_memory_handle mem, shmheap_problem_fn fn, void *arg);

/*
 * Inspection, for tools such as shmheap-ctl.  shmheap_info reads a heap's
 * header without connecting, locking or writing anything.
 */
enum shmheap_lock_state {
	SHMHEAP_LOCK_FREE = 0,	       /* nobody holds the heap lock */
	SHMHEAP_LOCK_HELD = 1,	       /* a live thread holds it (lock_owner) */
	SHMHEAP_LOCK_OWNER_DEAD = 2,   /* its holder died; the next locker repairs */
	SHMHEAP_LOCK_UNRECOVERABLE = 3 /* released unrepaired; the heap is unusable */
};
struct shmheap_info {
	unsigned version;   /* layout version */
	size_t heap_size;   /* bytes the heap spans now */
	size_t max_size;    /* bytes it may grow to */
	size_t object_size; /* bytes of the shared-memory object */
	int growable;	    /* 1 unless created with SHMHEAP_NO_GROW */
	time_t created;	    /* creation time */
	uid_t uid;	    /* owner of the object */
	gid_t gid;
	mode_t mode;	  /* permission bits of the object */
	int lock_state;	  /* enum shmheap_lock_state */
	pid_t lock_owner; /* thread id of the holder (HELD, OWNER_DEAD), else 0 */
	/* Since 0.5.0: 1 when a call met damage in the heap and marked it, so
	 * that connects refuse it (see shmheap_check).  A program built against
	 * an older header gets the older structure. */
	int damaged;
	/* Since 0.6.0: bytes of the free-block index after the heap (a fitmap);
	 * 0 in a heap made by 0.5.0 or earlier, whose index lives in its free
	 * blocks.  object_size is heap_size + index_size. */
	size_t index_size;
};
/* -1 with errno ENOENT, EACCES, EINVAL (not a heap), EUCLEAN (a heap whose
 * header is damaged) or EAGAIN (its creator has not finished it). */
int shmheap_info(const char *name, struct shmheap_info *info);

/*
 * SHMHEAP_CONNECT_INSPECT: connect without verifying the heap first (so that a
 * damaged heap can still be examined) and never change it: shmheap_alloc,
 * shmheap_free_checked and shmheap_grow fail with EPERM; shmheap_stats,
 * shmheap_walk and shmheap_check wait at most lock_timeout_ms for the lock
 * (ETIMEDOUT), and fail with EOWNERDEAD rather than repair a heap whose lock
 * holder died.  SHMHEAP_CONNECT_UNLOCKED (with INSPECT): open the object
 * read-only and read without the lock, so the figures may be torn while other
 * processes change the heap.
 *
 * A heap that another user than the caller's effective one may write (its
 * owner or creator is another user, or its mode has a group or other write
 * bit) is refused (EPERM) unless read with SHMHEAP_CONNECT_UNLOCKED, or unless
 * SHMHEAP_CONNECT_TRUST_OWNER says the caller trusts whoever may write it:
 * taking a heap's lock lets the heap's writers write into the caller.
 */
#define SHMHEAP_CONNECT_INSPECT 0x1u
#define SHMHEAP_CONNECT_UNLOCKED 0x2u
/*
 * SHMHEAP_CONNECT_WAIT_LIMIT: no call of this connection (connect included)
 * waits longer than wait_limit_ms (> 0) for the heap lock; it fails with
 * ETIMEDOUT instead (shmheap_free then leaves the object allocated).  Without
 * it an ordinary connection waits as long as the lock stays held.  The flag
 * also says that the caller's struct has the wait_limit_ms field, which
 * programs built before it was added do not pass.
 */
#define SHMHEAP_CONNECT_WAIT_LIMIT 0x4u
#define SHMHEAP_CONNECT_TRUST_OWNER 0x8u
struct shmheap_connect_options {
	unsigned flags;		  /* SHMHEAP_CONNECT_* */
	unsigned lock_timeout_ms; /* INSPECT: longest wait for the lock; 0: 5000 */
	unsigned wait_limit_ms;	  /* read only with SHMHEAP_CONNECT_WAIT_LIMIT */
	void *address;		  /* read only with SHMHEAP_CONNECT_FIXED_ADDRESS */
};
shmheap_memory_handle shmheap_connect_ex(const char *name,
					 const struct shmheap_connect_options *opts);

/*
 * Backings (where a heap's memory comes from).  Every call that takes a heap
 * name chooses the backing by the name's form:
 *   "/name"      POSIX shared memory (shm_open), as always;
 *   "file:PATH"  a regular file at PATH (absolute or relative), which keeps the
 *                heap across disconnects and reboots; it grows with the file;
 *   "sysv:KEY"   a System V segment of key KEY (decimal, or hex after 0x; not
 *                0, which is IPC_PRIVATE); such a heap never grows.
 * Any other name fails with EINVAL.  An anonymous heap has no name: it is
 * shared with the processes its creator forks, and with whoever receives its
 * descriptor (shmheap_fd, shmheap_connect_fd).  See shmheap(7), BACKINGS.
 */
/* Writes the whole heap to its file and waits (msync, fdatasync): 0, or -1
 * with errno set.  For heaps without storage (POSIX, anonymous, System V) it
 * does nothing and returns 0. */
int shmheap_sync(shmheap_memory_handle mem);
/* A new heap in anonymous shared memory (a memfd); opts as for shmheap_create_ex. */
shmheap_memory_handle shmheap_create_anonymous(size_t len,
					       const struct shmheap_options *opts);
/* The descriptor of the heap's object, owned by mem (do not close it); -1 with
 * ENOTSUP for a System V heap, which has none. */
int shmheap_fd(shmheap_memory_handle mem);
/* Connects to the heap whose object fd refers to (a duplicate of fd is kept:
 * the caller still owns fd), as shmheap_connect does. */
shmheap_memory_handle shmheap_connect_fd(int fd);

/*
 * Allocation calls beyond alloc and free (see shmheap_realloc(3)).
 * shmheap_realloc resizes in place when the object's block and a free right
 * neighbour hold the new size, else moves the object; size 0 shrinks it to the
 * smallest object (it is never freed).  shmheap_calloc fails with ENOMEM when
 * n * size overflows.  shmheap_alloc_aligned takes a power of two from 8 to
 * SHMHEAP_MAX_ALIGNMENT.  shmheap_usable_size gives the bytes an object may
 * use (0 and EINVAL for a pointer that is not a live object).
 */
#define SHMHEAP_MAX_ALIGNMENT 4096
void *shmheap_realloc(shmheap_memory_handle mem, void *ptr, size_t size);
void *shmheap_calloc(shmheap_memory_handle mem, size_t n, size_t size);
void *shmheap_alloc_aligned(shmheap_memory_handle mem, size_t alignment, size_t size);
size_t shmheap_usable_size(shmheap_memory_handle mem, void *ptr);

/*
 * Fixed addresses (see shmheap(7)): with SHMHEAP_FIXED_ADDRESS in
 * shmheap_options.flags, or SHMHEAP_CONNECT_FIXED_ADDRESS in
 * shmheap_connect_options.flags, the heap is mapped at address (page-aligned;
 * else EINVAL), address space for its whole maximum size included; EEXIST if
 * any of that range is mapped already, which is left untouched.  When every
 * process maps a heap at one address, pointers into it are valid in all of
 * them.  The flags also say that the caller's struct has the address field,
 * which programs built before it was added do not pass.
 */
#define SHMHEAP_FIXED_ADDRESS 0x4u
#define SHMHEAP_CONNECT_FIXED_ADDRESS 0x10u
/*
 * SHMHEAP_CONNECT_VERIFY: connect checks the whole heap under its lock before
 * it returns (its cost grows with the heap's blocks), and refuses a damaged
 * heap (EINVAL) there rather than leaving it to the first call that meets the
 * damage.  Without it connect takes a time independent of the heap's size:
 * it checks the header and repairs a heap whose lock holder died; every call
 * checks what it reads and fails with EUCLEAN on damage, which marks the
 * heap so that later connects refuse it.  See shmheap_connect(3).
 */
#define SHMHEAP_CONNECT_VERIFY 0x20u

/*
 * Named objects and leak-proof publishing (see shmheap_name_set(3) and
 * shmheap_alloc_into(3)).  A heap holds a directory of names, each naming one
 * object by its handle; the directory lives in blocks of the heap.  Every call
 * here takes the heap lock, and a process killed inside one of them leaves
 * the directory, and the slot it was given, as if the call had completed or
 * had never begun (the repair finishes it).
 */
#define SHMHEAP_NAME_MAX 255	  /* longest name, in bytes, without its NUL */
#define SHMHEAP_NAME_REPLACE 0x1u /* shmheap_name_set: replace a name's handle */
int shmheap_name_set(shmheap_memory_handle mem, const char *name,
		     shmheap_object_handle hdl, unsigned flags);
int shmheap_name_get(shmheap_memory_handle mem, const char *name,
		     shmheap_object_handle *hdl);
int shmheap_name_remove(shmheap_memory_handle mem, const char *name);
/* Called once for each name; a non-zero return stops the walk. */
typedef int (*shmheap_name_fn)(const char *name, shmheap_object_handle hdl, void *arg);
int shmheap_name_walk(shmheap_memory_handle mem, shmheap_name_fn fn, void *arg);
/* Allocates size bytes and stores the object's handle into *slot, a handle
 * inside a live object of the same heap: both or neither, even under SIGKILL. */
void *shmheap_alloc_into(shmheap_memory_handle mem, size_t size,
			 shmheap_object_handle *slot);
/* Frees the object *slot names and clears *slot: both or neither. */
int shmheap_free_from(shmheap_memory_handle mem, shmheap_object_handle *slot);

/*
 * Cached heaps.  SHMHEAP_CACHED (shmheap_options.flags) makes a heap whose
 * connections keep small caches of free blocks (objects up to 512 bytes) and
 * serve most allocations and frees from them without the heap lock; the
 * heap is then no longer exact first fit.  See shmheap(7).
 */
#define SHMHEAP_CACHED 0x2u

/* Figures about the caches of a cached heap (all 0 for another heap). */
struct shmheap_cache_stats {
	size_t cached_bytes; /* bytes of cached blocks, headers included (part of free_bytes) */
	size_t cached_blocks; /* blocks in caches */
	size_t slots;	      /* cache slots the heap has */
	size_t attached;      /* slots owned by a connection (a process) now */
};
/* One slot's figures. */
struct shmheap_cache_proc {
	pid_t pid; /* owner's process id */
	int alive; /* 1 while the owner runs; 0 once it has ended (its blocks return
		    * at the next sweep); 2: reserved, not provably ended */
	size_t cached_bytes;  /* bytes of its cached blocks, headers included */
	size_t cached_blocks; /* its cached blocks */
};
/* Fills *st and up to nprocs entries of procs (one per attached slot; procs
 * may be NULL); -1 with errno set on failure. */
int shmheap_cache_stats(shmheap_memory_handle mem, struct shmheap_cache_stats *st,
			struct shmheap_cache_proc *procs, size_t nprocs);

/*
 * Queues of handles (see shmheap_queue_create(3)): a bounded FIFO of object
 * handles in the heap, under a name of its directory, for any number of
 * producers and consumers in any processes connected to the heap.  Per
 * producer, handles come out in the order they went in.  timeout_ms: 0 does
 * not wait (EAGAIN when full or empty), < 0 waits as long as it takes, > 0
 * fails with ETIMEDOUT after that many milliseconds.  push_from and pop_into
 * move a handle between the queue and a slot inside a live object of the
 * heap, both or neither even under SIGKILL; push and pop may lose the one
 * handle in flight when their process is killed.  A destroyed queue answers
 * EIDRM to every call made through a handle opened before.
 */
typedef struct shmheap_queue shmheap_queue;
shmheap_queue *shmheap_queue_create(shmheap_memory_handle mem, const char *name,
				    size_t capacity);
shmheap_queue *shmheap_queue_open(shmheap_memory_handle mem, const char *name);
int shmheap_queue_close(shmheap_queue *q);
int shmheap_queue_destroy(shmheap_memory_handle mem, const char *name);
int shmheap_queue_push(shmheap_queue *q, shmheap_object_handle h, int timeout_ms);
int shmheap_queue_pop(shmheap_queue *q, shmheap_object_handle *h, int timeout_ms);
int shmheap_queue_push_from(shmheap_queue *q, shmheap_object_handle *slot,
			    int timeout_ms);
int shmheap_queue_pop_into(shmheap_queue *q, shmheap_object_handle *slot, int timeout_ms);

/* One queue's figures, as shmheap_queue_walk reports them. */
struct shmheap_queue_stats {
	size_t offset;	       /* of the queue's object */
	size_t capacity;       /* handles it holds at most */
	size_t length;	       /* handles it holds now */
	int producers_waiting; /* threads asleep in a push call; -1: unknown */
	int consumers_waiting; /* threads asleep in a pop call; -1: unknown */
};
/* Called once for each queue; a non-zero return stops the walk. */
typedef int (*shmheap_queue_walk_fn)(const char *name,
				     const struct shmheap_queue_stats *st, void *arg);
int shmheap_queue_walk(shmheap_memory_handle mem, shmheap_queue_walk_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* SHMHEAP_H */
