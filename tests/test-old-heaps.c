/* SPDX-License-Identifier: MIT */
/*
 * test-old-heaps.c - heaps made by older releases (0.3.1 and 0.5.0) keep
 * working with this library, which makes fitmap heaps (issue 29).
 *
 * The heaps are the images of tests/data/heap-VERSION-KIND.img, made by the
 * old code itself (tests/data/make-old-heaps.c says how); heap-VERSION-
 * KIND.txt lists the live objects each holds.  A test writes an image into a
 * fresh object (a POSIX object, or a file under the runner's directory for
 * the file heaps), connects, and checks: the heap is clean, every object
 * holds its bytes, allocations are exact first fit over the blocks the heap
 * has, the heap grows, names come and go, a process killed under the lock
 * leaves a heap the next connect repairs, and all along the header keeps its
 * treaps (no HEAP_FLAG_FITMAP, the object as long as the heap).
 *
 * The images are found through $srcdir, which make check exports, so that a
 * VPATH build (make distcheck) finds them in the source tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backing-testutil.h"
#include "layout.h"
#include "testutil.h"

static const struct image {
	const char *version, *kind;
} images[] = {
	{"0.3.1", "default"}, {"0.3.1", "cached"}, {"0.3.1", "file"},
	{"0.5.0", "default"}, {"0.5.0", "cached"}, {"0.5.0", "file"},
};
#define N_IMAGES ((int)(sizeof(images) / sizeof(images[0])))

#define MAX_OBJECTS 32

struct old_object {
	char name[16]; /* "-" for none */
	size_t offset, size;
	unsigned seed;
};

/* An image written into an object of its own, and what it holds. */
struct old_heap {
	const struct image *img;
	char name[BT_NAME_MAX]; /* as shmheap_connect takes it */
	int cached;
	struct old_object obj[MAX_OBJECTS];
	int n;
	size_t bytes; /* of the image */
};

static void data_path(char *buf, size_t len, const struct image *img, const char *ext)
{
	const char *srcdir = getenv("srcdir");
	snprintf(buf, len, "%s/tests/data/heap-%s-%s.%s", srcdir ? srcdir : ".",
		 img->version, img->kind, ext);
}

static void read_list(struct old_heap *oh)
{
	char path[4096], line[256];
	data_path(path, sizeof(path), oh->img, "txt");
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	oh->n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "obj ", 4) != 0)
			continue;
		ck_assert_int_lt(oh->n, MAX_OBJECTS);
		struct old_object *o = &oh->obj[oh->n++];
		ck_assert_int_eq(sscanf(line, "obj %15s %zu %zu %u", o->name, &o->offset,
					&o->size, &o->seed),
				 4);
	}
	fclose(f);
	ck_assert_int_gt(oh->n, 0);
}

/* Writes image i into a fresh object and reads its list. */
static void install(struct old_heap *oh, int i)
{
	memset(oh, 0, sizeof(*oh));
	oh->img = &images[i];
	oh->cached = strcmp(oh->img->kind, "cached") == 0;
	read_list(oh);

	char path[4096];
	data_path(path, sizeof(path), oh->img, "img");
	int in = open(path, O_RDONLY);
	ck_assert_msg(in >= 0, "%s: %s", path, strerror(errno));
	struct stat st;
	ck_assert_int_eq(fstat(in, &st), 0);
	unsigned char *buf = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(tu_read_all(in, buf, (size_t)st.st_size), 0);
	close(in);

	int out;
	if (strcmp(oh->img->kind, "file") == 0) {
		char file[BT_NAME_MAX];
		snprintf(oh->name, sizeof(oh->name), "%s",
			 bt_file_name("old", file, sizeof(file)));
		out = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} else {
		snprintf(oh->name, sizeof(oh->name), "%s", tu_name(oh->img->kind));
		out = shm_open(oh->name, O_RDWR | O_CREAT | O_EXCL, 0600);
	}
	ck_assert_msg(out >= 0, "%s: %s", oh->name, strerror(errno));
	tu_write_all(out, buf, (size_t)st.st_size);
	oh->bytes = (size_t)st.st_size;
	close(out);
	free(buf);
}

static unsigned char *obj_at(shmheap_memory_handle h, const struct old_object *o)
{
	return (unsigned char *)shmheap_underlying(h) + o->offset;
}

static uint16_t header_flags(shmheap_memory_handle h)
{
	const struct heap_header *hdr = shmheap_underlying(h);
	return __atomic_load_n(&hdr->flags, __ATOMIC_ACQUIRE);
}

/*
 * The heap keeps its treaps: no fitmap flag, no map after the last block.
 * A growth killed after the object was extended and before the new size was
 * published leaves the object longer than the heap (as it always has): the
 * next growth takes that space.  Such a heap is checked with !exact.
 */
static void assert_treap_heap_as(const struct old_heap *oh, shmheap_memory_handle h,
				 int exact)
{
	ck_assert_uint_eq(header_flags(h) & HEAP_FLAG_FITMAP, 0);
	ck_assert_uint_eq(header_flags(h) & HEAP_FLAG_DAMAGED, 0);
	ck_assert_uint_eq((header_flags(h) & HEAP_FLAG_CACHED) != 0, oh->cached);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(oh->name, &info), 0);
	if (exact)
		ck_assert_uint_eq(info.object_size, info.heap_size);
	else
		ck_assert_uint_ge(info.object_size, info.heap_size);
	ck_assert_int_eq(info.damaged, 0);
}

static void assert_treap_heap(const struct old_heap *oh, shmheap_memory_handle h)
{
	assert_treap_heap_as(oh, h, 1);
}

static void assert_bytes(const struct old_object *o, const unsigned char *p)
{
	for (size_t j = 0; j < o->size; j++)
		ck_assert_msg(p[j] == (unsigned char)(o->seed + 11u * j),
			      "object at %zu: byte %zu is %u", o->offset, j, p[j]);
}

/* Every listed object holds its bytes, found by its name and by offset. */
static void assert_objects(const struct old_heap *oh, shmheap_memory_handle h)
{
	unsigned char *base = shmheap_underlying(h);
	for (int i = 0; i < oh->n; i++) {
		const struct old_object *o = &oh->obj[i];
		unsigned char *p = base + o->offset;
		ck_assert_uint_ge(shmheap_usable_size(h, p), o->size);
		shmheap_object_handle hdl = shmheap_ptr_to_handle(h, p);
		ck_assert_ptr_eq(shmheap_handle_to_ptr(h, hdl), p);
		if (strcmp(o->name, "-") != 0) {
			shmheap_object_handle got;
			ck_assert_msg(shmheap_name_get(h, o->name, &got) == 0, "%s: %s",
				      o->name, strerror(errno));
			ck_assert_uint_eq(got.value, hdl.value);
		}
		assert_bytes(o, p);
	}
}

static shmheap_memory_handle connect_clean(const struct old_heap *oh)
{
	shmheap_memory_handle h = shmheap_connect(oh->name);
	ck_assert_msg(h != NULL, "connect %s (%s %s): %s", oh->name, oh->img->version,
		      oh->img->kind, strerror(errno));
	ck_assert_int_eq(tu_check(h), 0);
	return h;
}

static int count_name(const char *name, shmheap_object_handle hdl, void *arg)
{
	(void)name;
	(void)hdl;
	++*(int *)arg;
	return 0;
}

START_TEST(opens_clean_with_its_objects)
{
	struct old_heap oh;
	install(&oh, _i);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(oh.name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_FREE);
	ck_assert_uint_eq(info.version, HEAP_LAYOUT_VERSION);
	/* A file holds a page of its own before the heap (backing_file.c). */
	ck_assert_uint_eq(info.heap_size,
			  oh.bytes - (strcmp(oh.img->kind, "file") == 0 ? 4096 : 0));
	shmheap_memory_handle h = connect_clean(&oh);
	assert_treap_heap(&oh, h);
	assert_objects(&oh, h);

	/* Every named object, and no other name. */
	int named = 0;
	for (int i = 0; i < oh.n; i++)
		named += strcmp(oh.obj[i].name, "-") != 0;
	struct shmheap_stats st;
	ck_assert_int_eq(shmheap_stats(h, &st), 0);
	ck_assert_uint_eq(st.objects, (size_t)oh.n);
	int names = 0;
	ck_assert_int_eq(shmheap_name_walk(h, count_name, &names), 0);
	ck_assert_int_eq(names, named);
	shmheap_disconnect(h);

	/* Tools read it as they read any heap. */
	for (int u = 0; u < 2; u++) {
		struct shmheap_connect_options co = {
			.flags = SHMHEAP_CONNECT_INSPECT |
				 (u ? SHMHEAP_CONNECT_UNLOCKED : 0)};
		shmheap_memory_handle c = shmheap_connect_ex(oh.name, &co);
		ck_assert_msg(c != NULL, "inspect %s: %s", oh.name, strerror(errno));
		ck_assert_int_eq(tu_check(c), 0);
		ck_assert_int_eq(shmheap_stats(c, &st), 0);
		ck_assert_uint_eq(st.objects, (size_t)oh.n);
		shmheap_disconnect(c);
	}

	/* And again, as a second connection finds it. */
	h = connect_clean(&oh);
	assert_objects(&oh, h);
	shmheap_disconnect(h);
}
END_TEST

/* ---- exact first fit over the blocks the old heap has ---- */

struct fit_search {
	size_t need; /* usable bytes the request takes */
	size_t found;
	int any;
};

static int lowest_fit(const struct shmheap_block *blk, void *arg)
{
	struct fit_search *s = arg;
	if (blk->kind != SHMHEAP_BLOCK_FREE || blk->size < s->need)
		return 0;
	s->found = blk->offset;
	s->any = 1;
	return 1;
}

/* The offset a first-fit model gives a request of size bytes: the lowest
 * free block whose payload holds it (0: none, the heap would grow). */
static size_t first_fit(shmheap_memory_handle h, size_t size)
{
	struct fit_search s = {.need = size < HEAP_UNIT ? HEAP_UNIT
							: round_up(size, HEAP_UNIT)};
	ck_assert_int_eq(shmheap_walk(h, lowest_fit, &s), 0);
	return s.any ? s.found : 0;
}

START_TEST(allocates_first_fit)
{
	struct old_heap oh;
	install(&oh, _i);
	shmheap_memory_handle h = connect_clean(&oh);
	unsigned char *base = shmheap_underlying(h);
	static const size_t sizes[] = {8, 16, 8,   100, 16,   24, 200,
				       8, 56, 300, 40,	1000, 8,  16};
	const size_t n_sizes = sizeof(sizes) / sizeof(sizes[0]);
	unsigned char *got[64];
	int n = 0, predicted = 0;
	uint64_t rng = 29;

	for (int round = 0; round < 3; round++) {
		for (size_t k = 0; k < n_sizes; k++) {
			size_t size = sizes[(k + (size_t)round * 5) % n_sizes];
			size_t want = first_fit(h, size);
			unsigned char *p = shmheap_alloc(h, size);
			ck_assert_msg(p != NULL, "alloc %zu: %s", size, strerror(errno));
			/* A cached heap serves small objects from its caches: not
			 * first fit by design, and said so in shmheap(7). */
			predicted += !oh.cached && want;
			if (!oh.cached && want)
				ck_assert_msg(
					(size_t)(p - base) == want,
					"%s %s: alloc %zu at %zu, first fit says %zu",
					oh.img->version, oh.img->kind, size,
					(size_t)(p - base), want);
			memset(p, 0x5a, size);
			ck_assert_int_lt(n, 64);
			got[n++] = p;
		}
		/* Free a third of what this test holds, and some of the image's
		 * own objects, to make holes of every size between live ones. */
		for (int k = 0; k < n;) {
			if (tu_rand(&rng) % 3 == 0) {
				ck_assert_int_eq(shmheap_free_checked(h, got[k]), 0);
				got[k] = got[--n];
			} else {
				k++;
			}
		}
		if (round == 1) {
			for (int i = 0; i < oh.n; i += 3) {
				ck_assert_int_eq(
					shmheap_free_checked(h, obj_at(h, &oh.obj[i])),
					0);
				oh.obj[i].size = 0; /* no bytes to check any more */
			}
		}
		ck_assert_int_eq(tu_check(h), 0);
	}
	for (int i = 0; i < oh.n; i++)
		assert_bytes(&oh.obj[i], obj_at(h, &oh.obj[i]));
	/* Every request fitted a free block, so every one was predicted. */
	if (!oh.cached)
		ck_assert_int_ge(predicted, 42);
	for (int k = 0; k < n; k++)
		ck_assert_int_eq(shmheap_free_checked(h, got[k]), 0);
	ck_assert_int_eq(tu_check(h), 0);
	assert_treap_heap(&oh, h);
	shmheap_disconnect(h);
}
END_TEST

START_TEST(grows_and_names_come_and_go)
{
	struct old_heap oh;
	install(&oh, _i);
	shmheap_memory_handle h = connect_clean(&oh);
	struct shmheap_info info;
	ck_assert_int_eq(shmheap_info(oh.name, &info), 0);
	size_t old_size = info.heap_size;

	ck_assert_int_eq(shmheap_grow(h, old_size * 4), 0);
	ck_assert_int_eq(shmheap_info(oh.name, &info), 0);
	ck_assert_uint_eq(info.heap_size, old_size * 4);
	ck_assert_int_eq(tu_check(h), 0);
	assert_treap_heap(&oh, h);
	assert_objects(&oh, h);
	/* The new space serves an object larger than the old heap. */
	void *big = shmheap_alloc(h, old_size * 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 0xc3, old_size * 2);
	/* And growth inside an allocation, past what shmheap_grow gave. */
	void *bigger = shmheap_alloc(h, old_size * 4);
	ck_assert_ptr_nonnull(bigger);
	ck_assert_int_eq(tu_check(h), 0);
	assert_treap_heap(&oh, h);

	/* Names: new ones, replaced ones, removed old ones. */
	shmheap_object_handle bh = shmheap_ptr_to_handle(h, big), got;
	ck_assert_int_eq(shmheap_name_set(h, "big", bh, 0), 0);
	ck_assert_int_eq(shmheap_name_set(h, "big", bh, 0), -1);
	ck_assert_int_eq(errno, EEXIST);
	for (int i = 0; i < oh.n; i++) {
		if (strcmp(oh.obj[i].name, "-") == 0)
			continue;
		if (i % 2) {
			ck_assert_int_eq(shmheap_name_remove(h, oh.obj[i].name), 0);
			ck_assert_int_eq(shmheap_name_get(h, oh.obj[i].name, &got), -1);
			ck_assert_int_eq(errno, ENOENT);
			strcpy(oh.obj[i].name, "-");
		} else {
			ck_assert_int_eq(shmheap_name_set(h, oh.obj[i].name, bh,
							  SHMHEAP_NAME_REPLACE),
					 0);
			ck_assert_int_eq(shmheap_name_get(h, oh.obj[i].name, &got), 0);
			ck_assert_uint_eq(got.value, bh.value);
			ck_assert_int_eq(shmheap_name_remove(h, oh.obj[i].name), 0);
			strcpy(oh.obj[i].name, "-");
		}
	}
	char many[32];
	for (int i = 0; i < 40; i++) {
		snprintf(many, sizeof(many), "new-%d", i);
		ck_assert_int_eq(shmheap_name_set(h, many, bh, 0), 0);
	}
	ck_assert_int_eq(shmheap_name_get(h, "new-39", &got), 0);
	ck_assert_uint_eq(got.value, bh.value);
	ck_assert_int_eq(tu_check(h), 0);
	assert_objects(&oh, h);
	shmheap_disconnect(h);

	/* What it became is what the next connection finds. */
	h = connect_clean(&oh);
	assert_treap_heap(&oh, h);
	assert_objects(&oh, h);
	ck_assert_int_eq(shmheap_name_get(h, "new-0", &got), 0);
	ck_assert_uint_eq(got.value, bh.value);
	shmheap_disconnect(h);
}
END_TEST

/* ---- a process killed under the heap lock ---- */

/* Steps at which a child is killed holding the lock (lib/testhooks.h):
 * inside a growth, and inside a name_set's logged update. */
static const char *const kill_at[] = {"grow:1", "name_set:2", "name_set:3"};
#define N_KILL_AT ((int)(sizeof(kill_at) / sizeof(kill_at[0])))

START_TEST(killed_under_the_lock_is_repaired)
{
	struct old_heap oh;
	install(&oh, _i / N_KILL_AT);
	const char *at = kill_at[_i % N_KILL_AT];
	struct shmheap_info info0, info;
	ck_assert_int_eq(shmheap_info(oh.name, &info0), 0);

	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(20);
		setenv("SHMHEAP_TEST_KILL_AT", at, 1);
		shmheap_memory_handle c = shmheap_connect(oh.name);
		if (!c)
			_exit(2);
		/* A cached heap's caches hold blocks when it dies, too. */
		for (int i = 0; i < 20; i++)
			if (!shmheap_alloc(c, 8 + (size_t)i * 8))
				_exit(4);
		if (strcmp(at, "grow:1") == 0)
			shmheap_grow(c, info0.heap_size * 2);
		else
			shmheap_name_set(c, "killed",
					 shmheap_ptr_to_handle(c, obj_at(c, &oh.obj[0])),
					 0);
		_exit(3); /* the step was not reached */
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "%s: the child was not killed at the step (status %#x)", at,
		      status);
	ck_assert_int_eq(shmheap_info(oh.name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_OWNER_DEAD);

	/* The next connect repairs; the heap is clean and keeps its treaps. */
	shmheap_memory_handle h = connect_clean(&oh);
	ck_assert_int_eq(shmheap_info(oh.name, &info), 0);
	ck_assert_int_eq(info.lock_state, SHMHEAP_LOCK_FREE);
	int grow = strncmp(at, "grow", 4) == 0;
	ck_assert_uint_eq(info.heap_size, info0.heap_size); /* not grown */
	assert_treap_heap_as(&oh, h, !grow);
	assert_objects(&oh, h);
	shmheap_object_handle got;
	if (shmheap_name_get(h, "killed", &got) == 0)
		ck_assert_uint_eq(got.value,
				  shmheap_ptr_to_handle(h, obj_at(h, &oh.obj[0])).value);
	/* And it works on. */
	void *p = shmheap_alloc(h, 300);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(shmheap_name_set(h, "after", shmheap_ptr_to_handle(h, p),
					  SHMHEAP_NAME_REPLACE),
			 0);
	ck_assert_int_eq(shmheap_grow(h, info.heap_size * 2), 0);
	ck_assert_int_eq(tu_check(h), 0);
	assert_treap_heap(&oh, h);
	shmheap_disconnect(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("old-heaps");
	TCase *tc = bt_tcase("open", 30);
	tcase_add_loop_test(tc, opens_clean_with_its_objects, 0, N_IMAGES);
	suite_add_tcase(s, tc);
	tc = bt_tcase("first-fit", 60);
	tcase_add_loop_test(tc, allocates_first_fit, 0, N_IMAGES);
	suite_add_tcase(s, tc);
	tc = bt_tcase("grow-names", 30);
	tcase_add_loop_test(tc, grows_and_names_come_and_go, 0, N_IMAGES);
	suite_add_tcase(s, tc);
	tc = bt_tcase("killed", 60);
	tcase_add_loop_test(tc, killed_under_the_lock_is_repaired, 0,
			    N_IMAGES * N_KILL_AT);
	suite_add_tcase(s, tc);
	return bt_run(s);
}
