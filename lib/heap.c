/* SPDX-License-Identifier: MIT */
/*
 * heap.c - creating, connecting to, and tearing down heaps.
 *
 * Where the heap is mapped in each process is mapping.c's business.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "align.h"
#include "blocks.h"
#include "connection.h"
#include "heap.h"
#include "heapname.h"
#include "heapread.h"
#include "layers.h"
#include "lock.h"
#include "mapping.h"
#include "repair.h"
#include "testhooks.h"

/* How long connect waits for a heap whose creator is still initialising it,
 * and for the lock under which it verifies the heap. */
#define CONNECT_WAIT_MS 1000
#define CONNECT_LOCK_MS 5000
/* How long an inspecting connection waits for the lock by default. */
#define INSPECT_LOCK_MS 5000

struct create_params {
	size_t len;
	size_t max;
	mode_t mode;
	uint16_t flags;
	void *address; /* where to map the heap (SHMHEAP_FIXED_ADDRESS); NULL: anywhere */
};

static struct shmheap_heap *heap_new(const struct backing_ops *ops)
{
	struct shmheap_heap *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->backing.ops = ops;
	h->backing.fd = -1;
	h->backing.shmid = -1;
	return h;
}

static void heap_release(struct shmheap_heap *h)
{
	hr_stash_free(&h->read_stash);
	heap_mapping_release(h);
	h->backing.ops->close(&h->backing);
	free(h);
}

static int init_heap(struct shmheap_heap *h, const struct create_params *p)
{
	struct heap_header *hdr = h->hdr;
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint32_t)mix64((uint64_t)getpid() ^ (uint64_t)time(NULL) ^
				       (uintptr_t)h);
	/* First the mutex: on arm64 initialising it clears the bytes of the
	 * fields that follow its slot (see layout.h).  Then at once the mark
	 * that from now on the object is a heap being made. */
	if (heap_lock_init(&hdr->lock) < 0)
		return -1;
	__atomic_store_n(&hdr->magic, HEAP_MAGIC_CREATING, __ATOMIC_RELEASE);
	h->lock_kind = heap_lock_kind(&hdr->lock);
	hdr->version = HEAP_LAYOUT_VERSION;
	hdr->flags = p->flags;
	hdr->size_pages = (uint32_t)(p->len / HEAP_PAGE);
	hdr->max_pages = (uint32_t)(p->max / HEAP_PAGE);
	hdr->seed = seed;
	hdr->created = (uint32_t)time(NULL);
	h->seed = seed;
	h->heap_flags = p->flags;
	heap_layers_select(h);

	uint64_t size = p->len - HEAP_FIRST_BLOCK;
	block_set_free(h, HEAP_FIRST_BLOCK, size, BW_PREV_USED, BLOCK_PRIO_TOP);
	fi_insert(&h->index, HEAP_FIRST_BLOCK);
	if (heap_layers_create(h, p->len) < 0)
		return -1;
	/* The magic goes last: until it is there, nobody takes this for a heap. */
	__atomic_store_n(&hdr->magic, HEAP_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

static int valid_sizes(size_t len, size_t max)
{
	size_t ps = page_size();
	return len >= ps && len % ps == 0 && len % HEAP_PAGE == 0 && max >= len &&
	       max <= HEAP_MAX_SIZE && max % HEAP_PAGE == 0;
}

_Static_assert(HEAP_FIRST_BLOCK + BLOCK_MIN <= SHMHEAP_MIN_SIZE,
	       "SHMHEAP_MIN_SIZE must hold the header and one block");

/*
 * The object is sized in whole pages anyway, so a length that is not a page
 * multiple is rounded up rather than refused (the lab's own programs ask for
 * such sizes).  Returns false for a length no heap can have: below
 * SHMHEAP_MIN_SIZE, or beyond HEAP_MAX_SIZE once rounded.
 */
static bool round_to_pages(size_t len, size_t *out)
{
	size_t unit = page_size() > HEAP_PAGE ? page_size() : HEAP_PAGE;
	if (len < SHMHEAP_MIN_SIZE || len > HEAP_MAX_SIZE || len > SIZE_MAX - (unit - 1))
		return false;
	*out = round_up(len, unit);
	return *out <= HEAP_MAX_SIZE;
}

/* The length of a new heap's object: the heap, and its fitmap after it. */
static size_t object_length(const struct create_params *p)
{
	return fm_span(p->len, p->flags & HEAP_FLAG_FITMAP);
}

/* Sizes the new object of h (name: its backing's name, NULL for none) and
 * makes it a heap; on failure removes the object and releases h. */
static shmheap_memory_handle heap_init_new(struct shmheap_heap *h, const char *name,
					   const struct create_params *p)
{
	h->heap_flags = p->flags; /* the mapping follows the index kept */
	if (h->backing.ops->extend(&h->backing, 0, object_length(p)) < 0 ||
	    heap_mapping_init_at(h, p->len, p->max, p->address) < 0 ||
	    init_heap(h, p) < 0 || heap_layers_attach(h) < 0) {
		int err = errno;
		if (name)
			h->backing.ops->remove(&h->backing, name);
		heap_release(h);
		errno = err;
		return NULL;
	}
	return h;
}

static shmheap_memory_handle heap_create(const struct heap_name *n,
					 const struct create_params *p)
{
	if (!valid_sizes(p->len, p->max)) {
		errno = EINVAL;
		return NULL;
	}
	struct shmheap_heap *h = heap_new(n->ops);
	if (!h)
		return NULL;
	if (h->backing.ops->create(&h->backing, n->arg, p->mode, object_length(p)) < 0) {
		int err = errno;
		heap_release(h);
		errno = err;
		return NULL;
	}
	return heap_init_new(h, n->arg, p);
}

/*
 * Reads len and opts into *p: 0, or -1 (EINVAL).  A heap in a System V
 * segment (fixed_size) cannot grow: SHMHEAP_NO_GROW is implied, and a
 * max_size beyond len, which could not be honoured, is refused.
 */
static int create_params_from(size_t len, const struct shmheap_options *opts,
			      int fixed_size, struct create_params *out)
{
	struct create_params p = {0, 0, 0600, HEAP_FLAG_GROWABLE | HEAP_FLAG_FITMAP, NULL};
	if (SHMHEAP_TEST_TREAP_HEAPS())
		p.flags &= ~HEAP_FLAG_FITMAP; /* a heap as 0.5 made them */
	if (!round_to_pages(len, &p.len)) {
		errno = EINVAL;
		return -1;
	}
	len = p.len;
	if (opts) {
		/* Set-user-ID, set-group-ID and sticky bits mean nothing on a heap. */
		if (opts->mode & ~(mode_t)0777) {
			errno = EINVAL;
			return -1;
		}
		if (opts->mode)
			p.mode = opts->mode;
		if (opts->flags &
		    ~(SHMHEAP_NO_GROW | SHMHEAP_FIXED_ADDRESS | SHMHEAP_CACHED)) {
			errno = EINVAL;
			return -1;
		}
		/* address is only read when the flag says the caller's struct has it. */
		if (opts->flags & SHMHEAP_FIXED_ADDRESS) {
			p.address = opts->address;
			if (!p.address) {
				errno = EINVAL;
				return -1;
			}
		}
		if (opts->flags & SHMHEAP_NO_GROW)
			p.flags &= ~HEAP_FLAG_GROWABLE;
		if (opts->flags & SHMHEAP_CACHED)
			p.flags |= HEAP_FLAG_CACHED;
		/* A maximum is rounded up like len: it too is a whole number of pages. */
		if (opts->max_size && (p.flags & HEAP_FLAG_GROWABLE) &&
		    !round_to_pages(opts->max_size, &p.max)) {
			errno = EINVAL;
			return -1;
		}
	}
	if (fixed_size) {
		if (p.max > len) {
			errno = EINVAL;
			return -1;
		}
		p.flags &= ~HEAP_FLAG_GROWABLE; /* SHMHEAP_CACHED stays */
	}
	if (!p.max)
		p.max = len > SHMHEAP_DEFAULT_MAX_SIZE ? len : SHMHEAP_DEFAULT_MAX_SIZE;
	if (!(p.flags & HEAP_FLAG_GROWABLE))
		p.max = len;
	*out = p;
	return 0;
}

EXPORT shmheap_memory_handle shmheap_create_ex(const char *name, size_t len,
					       const struct shmheap_options *opts)
{
	struct heap_name n;
	struct create_params p;
	if (heap_name_parse(name, &n) < 0 ||
	    create_params_from(len, opts, n.ops == &backing_sysv, &p) < 0)
		return NULL;
	return heap_create(&n, &p);
}

EXPORT shmheap_memory_handle shmheap_create_anonymous(size_t len,
						      const struct shmheap_options *opts)
{
	struct create_params p;
	if (create_params_from(len, opts, 0, &p) < 0)
		return NULL;
	if (!valid_sizes(p.len, p.max)) {
		errno = EINVAL;
		return NULL;
	}
	struct shmheap_heap *h = heap_new(&backing_memfd);
	if (!h)
		return NULL;
	if (backing_memfd_create(&h->backing, p.mode) < 0) {
		int err = errno;
		heap_release(h);
		errno = err;
		return NULL;
	}
	return heap_init_new(h, NULL, &p);
}

EXPORT shmheap_memory_handle shmheap_create(const char *name, size_t len)
{
	return shmheap_create_ex(name, len, NULL);
}

/*
 * An empty object, or one of zeros, is a heap being created only for a
 * moment: the creator sizes the object and at once writes
 * HEAP_MAGIC_CREATING.  So it counts as one (0) only while it was changed
 * less than HEAP_CREATING_GRACE_S seconds ago; after that it is an object of
 * another program (-1, EINVAL).
 */
#define HEAP_CREATING_GRACE_S 5
static int young_or_not_heap(struct backing *b)
{
	struct stat st;
	struct timespec now;
	if (b->ops->stat(b, &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	/* Sizing the object (ftruncate) sets its modification time. */
	if (now.tv_sec - st.st_mtim.tv_sec < HEAP_CREATING_GRACE_S)
		return 0;
	errno = EINVAL;
	return -1;
}

static int read_header_once(struct backing *b, struct heap_header *hdr, size_t *len)
{
	if (b->ops->length(b, len) < 0)
		return -1;
	if (*len == 0)
		return young_or_not_heap(b);
	/* A heap being created already has its whole first size. */
	if (*len < HEAP_PAGE || *len % HEAP_PAGE) {
		errno = EINVAL;
		return -1;
	}
	if (b->ops->read(b, hdr, sizeof(*hdr), 0) < 0)
		return -1;
	uint32_t magic = __atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE);
	if (magic == HEAP_MAGIC_CREATING)
		return 0;
	if (magic == 0)
		return young_or_not_heap(b);
	if (magic != HEAP_MAGIC || hdr->version != HEAP_LAYOUT_VERSION) {
		errno = EINVAL; /* not a heap, or one of another layout */
		return -1;
	}
	uint64_t size = (uint64_t)hdr->size_pages * HEAP_PAGE;
	uint64_t max = heap_max_bytes(hdr);
	/* Growth lengthens the object before it publishes the new size, so a
	 * size beyond the length read first may be growth that landed between
	 * the two reads: the length read after the header holds it.  A heap
	 * with a fitmap spans its index too. */
	uint64_t span = fm_span(size, hdr->flags & HEAP_FLAG_FITMAP);
	if (span > *len && b->ops->length(b, len) < 0)
		return -1;
	if ((hdr->flags & ~(HEAP_FLAG_GROWABLE | HEAP_FLAG_EXT | HEAP_FLAG_CACHED |
			    HEAP_FLAG_DAMAGED | HEAP_FLAG_FITMAP)) ||
	    size < HEAP_PAGE || span > *len ||
	    heap_lock_kind(&hdr->lock) != heap_lock_expected_kind() || max < size ||
	    max > HEAP_MAX_SIZE || unit_to_off(hdr->main_root) >= size ||
	    unit_to_off(hdr->tiny_root) >= size ||
	    ((hdr->flags & HEAP_FLAG_FITMAP) && (hdr->main_root || hdr->tiny_root))) {
		errno = EUCLEAN; /* a heap whose header is damaged */
		return -1;
	}
	return 1;
}

/* How often a header that looks damaged is read again before it is believed. */
#define HEADER_READS 16

/* The header fields after the lock, whose word changes at every call. */
static int same_fields(const struct heap_header *a, const struct heap_header *b)
{
	size_t from = offsetof(struct heap_header, magic);
	return memcmp((const char *)a + from, (const char *)b + from,
		      sizeof(*a) - from) == 0;
}

int heap_read_header(struct backing *b, struct heap_header *hdr, size_t *len)
{
	struct heap_header prev;
	size_t prev_len = 0;
	for (int reads = 1;; reads++) {
		int state = read_header_once(b, hdr, len);
		if (state >= 0 || errno != EUCLEAN || reads == HEADER_READS)
			return state;
		/* A healthy heap read while it changed (the size published by one
		 * growth, the roots already moved by the next) looks damaged only
		 * for that moment; a damaged one reads the same again. */
		if (reads > 1 && *len == prev_len && same_fields(hdr, &prev))
			return state;
		prev = *hdr;
		prev_len = *len;
	}
}

/* The lock, with a timeout (a garbage mutex may never be released): what a
 * damaged heap answers becomes EINVAL, as for a heap connect refuses. */
static int lock_on_connect(struct shmheap_heap *h)
{
	unsigned limit = h->wait_limit_ms;
	if (heap_lock_timed(h, limit && limit < CONNECT_LOCK_MS ? limit
								: CONNECT_LOCK_MS) == 0)
		return 0;
	if (errno != ETIMEDOUT && errno != ENOTRECOVERABLE)
		errno = EINVAL;
	return -1;
}

/*
 * With SHMHEAP_CONNECT_VERIFY, the heap is only used once it has been
 * verified whole: a corrupted or hostile heap image is refused here (EINVAL)
 * instead of by the first call that meets the damage.
 */
static int verify_on_connect(struct shmheap_heap *h)
{
	if (lock_on_connect(h) < 0)
		return -1;
	int ret = heap_verify_or_mark(h);
	heap_unlock(h);
	if (ret < 0)
		errno = EINVAL;
	return ret;
}

/*
 * Without SHMHEAP_CONNECT_VERIFY connect costs the same whatever the heap's
 * size: the header was read once and checked (heap_read_header), and the
 * lock is taken only when its holder died, for the repair and the full
 * check that follows it (lock.c), or when the mutex cannot be used.  The
 * rest of the heap is checked by each call as it reads it.
 */
static int check_on_connect(struct shmheap_heap *h)
{
	pid_t owner;
	switch (heap_lock_probe(&h->hdr->lock, &owner)) {
	case SHMHEAP_LOCK_OWNER_DEAD:
		if (lock_on_connect(h) < 0)
			return -1;
		heap_unlock(h);
		break;
	case SHMHEAP_LOCK_UNRECOVERABLE:
		errno = ENOTRECOVERABLE;
		return -1;
	}
	/* Marked by a call that met damage, or by the repair just run. */
	if (__atomic_load_n(&h->hdr->flags, __ATOMIC_ACQUIRE) & HEAP_FLAG_DAMAGED) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * A heap another user may write is locked (and mapped writable) only when the
 * caller says it trusts that user: see backing_writers.c for why and for the
 * rule.  An unlocked inspection never locks, and maps read-only.
 */
static int owner_trusted(struct shmheap_heap *h, unsigned flags)
{
	if (flags & (SHMHEAP_CONNECT_UNLOCKED | SHMHEAP_CONNECT_TRUST_OWNER))
		return 1;
	int others = backing_others_may_write(&h->backing);
	if (others < 0)
		return 0;
	if (others) {
		errno = EPERM;
		return 0;
	}
	return 1;
}

/*
 * A heap whose lock belongs to an earlier life of its object (a file after a
 * reboot, or a copy: see backing_file.c) gets a new lock and the repair that
 * follows a crash.  The backing calls this with every other connect excluded,
 * before anyone has touched the stale lock.
 */
static int reset_stale_lock(void *arg)
{
	struct shmheap_heap *h = arg;
	unsigned char *hdr = (unsigned char *)h->hdr;
	/* On arm64 initialising the mutex clears the fields after its slot
	 * (layout.h): they are kept aside and put back. */
	unsigned char fields[HEAP_HEADER_SIZE - HEAP_LOCK_SLOT];
	memcpy(fields, hdr + HEAP_LOCK_SLOT, sizeof(fields));
	memset(hdr, 0, HEAP_LOCK_SLOT);
	int ret = heap_lock_init(&h->hdr->lock);
	memcpy(hdr + HEAP_LOCK_SLOT, fields, sizeof(fields));
	if (ret < 0 || heap_lock_timed(h, CONNECT_LOCK_MS) < 0)
		return -1;
	ret = heap_repair(h);
	if (ret == 0)
		ret = heap_verify_or_mark(h);
	int err = errno;
	heap_unlock(h);
	errno = err;
	return ret;
}

/* Connects h, whose backing is open, to the heap in it; releases h on failure. */
static shmheap_memory_handle heap_connect_opened(struct shmheap_heap *h, unsigned flags,
						 void *address)
{
	if (!owner_trusted(h, flags))
		goto fail;

	struct heap_header hdr;
	size_t len;
	int state;
	for (int waited = 0;; waited++) {
		state = heap_read_header(&h->backing, &hdr, &len);
		if (state != 0 || waited >= CONNECT_WAIT_MS)
			break;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	if (state <= 0) {
		/* Only shmheap_info tells a damaged header from no heap at all. */
		errno = state == 0 ? EAGAIN : errno == EUCLEAN ? EINVAL : errno;
		goto fail;
	}
	/* A heap marked damaged is refused at once (an inspection takes it). */
	if ((hdr.flags & HEAP_FLAG_DAMAGED) && !(flags & SHMHEAP_CONNECT_INSPECT)) {
		errno = EINVAL;
		goto fail;
	}
	h->heap_flags = hdr.flags; /* before the mapping, which follows the index */
	if (heap_mapping_init_at(h, heap_size_bytes(&hdr), heap_max_bytes(&hdr),
				 address) < 0)
		goto fail;
	h->seed = hdr.seed;
	h->lock_kind = heap_lock_kind(&hdr.lock);
	heap_layers_select(h);
	/* An inspecting connection changes nothing, a stale lock included. */
	if (!(flags & SHMHEAP_CONNECT_INSPECT) && h->backing.ops->revive &&
	    h->backing.ops->revive(&h->backing, reset_stale_lock, h) < 0) {
		if (errno == EUCLEAN)
			errno = EINVAL;
		goto fail;
	}
#ifdef SHMHEAP_DEBUG
	/* A debug build verifies the heap after every call that changed it
	 * (debug.c) and aborts on a problem, blaming that call: so it takes
	 * only a heap verified whole. */
	flags |= SHMHEAP_CONNECT_VERIFY;
#endif
	/* An inspecting connection is how a damaged heap gets examined. */
	if (!(flags & SHMHEAP_CONNECT_INSPECT) &&
	    ((flags & SHMHEAP_CONNECT_VERIFY) ? verify_on_connect(h)
					      : check_on_connect(h)) < 0)
		goto fail;
	if (heap_layers_attach(h) < 0)
		goto fail;
	return h;
fail:;
	int err = errno;
	heap_release(h);
	errno = err;
	return NULL;
}

static shmheap_memory_handle heap_connect(const char *name, unsigned flags,
					  unsigned timeout_ms, unsigned wait_limit_ms,
					  void *address)
{
	struct heap_name n;
	if (heap_name_parse(name, &n) < 0)
		return NULL;
	struct shmheap_heap *h = heap_new(n.ops);
	if (!h)
		return NULL;
	h->connect_flags = flags;
	h->lock_timeout_ms = timeout_ms;
	h->wait_limit_ms = wait_limit_ms;
	if (h->backing.ops->open(&h->backing, n.arg,
				 (flags & SHMHEAP_CONNECT_UNLOCKED) != 0) < 0) {
		int err = errno;
		heap_release(h);
		errno = err;
		return NULL;
	}
	return heap_connect_opened(h, flags, address);
}

/* The descriptor is duplicated: the caller keeps (and closes) fd. */
EXPORT shmheap_memory_handle shmheap_connect_fd(int fd)
{
	struct shmheap_heap *h = heap_new(&backing_memfd);
	if (!h)
		return NULL;
	if (backing_adopt_fd(&h->backing, fd) < 0) {
		int err = errno;
		heap_release(h);
		errno = err;
		return NULL;
	}
	return heap_connect_opened(h, 0, NULL);
}

EXPORT shmheap_memory_handle shmheap_connect(const char *name)
{
	return heap_connect(name, 0, 0, 0, NULL);
}

EXPORT shmheap_memory_handle
shmheap_connect_ex(const char *name, const struct shmheap_connect_options *opts)
{
	unsigned flags = opts ? opts->flags : 0;
	unsigned timeout_ms = opts && opts->lock_timeout_ms ? opts->lock_timeout_ms
							    : INSPECT_LOCK_MS;
	unsigned known = SHMHEAP_CONNECT_INSPECT | SHMHEAP_CONNECT_UNLOCKED |
			 SHMHEAP_CONNECT_TRUST_OWNER | SHMHEAP_CONNECT_VERIFY;
	/* wait_limit_ms is only read when the flag says the caller's struct
	 * has it: a program built with the two-field struct never sets it. */
	unsigned wait_limit_ms = 0;
	if (flags & SHMHEAP_CONNECT_WAIT_LIMIT) {
		wait_limit_ms = opts->wait_limit_ms;
		if (!wait_limit_ms) {
			errno = EINVAL;
			return NULL;
		}
		flags &= ~SHMHEAP_CONNECT_WAIT_LIMIT;
		timeout_ms = wait_limit_ms;
	}
	/* So is address, with its own flag. */
	void *address = NULL;
	if (flags & SHMHEAP_CONNECT_FIXED_ADDRESS) {
		address = opts->address;
		if (!address) {
			errno = EINVAL;
			return NULL;
		}
		flags &= ~SHMHEAP_CONNECT_FIXED_ADDRESS;
	}
	if ((flags & ~known) ||
	    ((flags & SHMHEAP_CONNECT_UNLOCKED) && !(flags & SHMHEAP_CONNECT_INSPECT))) {
		errno = EINVAL;
		return NULL;
	}
	return heap_connect(name, flags, timeout_ms, wait_limit_ms, address);
}

EXPORT void shmheap_disconnect(shmheap_memory_handle mem)
{
	if (!mem)
		return;
	heap_layers_detach(mem);
	heap_release(mem);
}

/*
 * The name is removed only if it still names mem's heap: a name since given
 * to another heap (or to a link) is that heap's, not the caller's to remove.
 * The function returns nothing (its signature is the specification's), so a
 * refusal is told through errno alone; mem is disconnected in every case.
 */
EXPORT void shmheap_destroy(const char *name, shmheap_memory_handle mem)
{
	if (!mem)
		return;
	int err = errno;
	if (name) {
		struct heap_name n;
		if (heap_name_parse(name, &n) == 0) {
			if (n.ops != mem->backing.ops)
				errno = EINVAL; /* a name of another backing */
			else if (mem->backing.ops->remove(&mem->backing, n.arg) == 0)
				errno = err;
		}
		err = errno;
	}
	shmheap_disconnect(mem);
	errno = err;
}
