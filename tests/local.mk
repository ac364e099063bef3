# Check test suites of the library: one program per concern.
#   make check                        runs them (CK_FORK=yes, per-test timeouts)
#   make check-valgrind-suites        runs them under valgrind with CK_FORK=no
# SHMHEAP_TEST_MODEL_OPS, _THREAD_OPS and _PROCS_OPS shorten the random tests,
# SHMHEAP_TEST_FITMAP_OPS and _FITMAP_KILLS those of the fitmap.
# tests/README: root and ordinary users, and how a test reports a skip.
EXTRA_DIST += tests/README
#
# The flags of every program of tests/, set once for the directory: the
# library's private headers (a test may look inside: layout.h and the like),
# Check's flags and threads, and -no-install, for plain binaries with an rpath
# that valgrind runs directly and that start without libtool's wrapper.  They
# are GNU make pattern-specific variables, private so that the library and the
# tools a test links are not built with them.  A suite then needs no flags of
# its own (which would also give its objects names of their own).
tests/%: private AM_CPPFLAGS += -I$(top_srcdir)/lib
tests/%: private AM_CFLAGS += $(CHECK_CFLAGS) -pthread
tests/%: private AM_LDFLAGS += -no-install -pthread

if HAVE_CHECK
# A suite tests/test-NAME is built from tests/test-NAME.c (automake's default
# source) and links LDADD: the helpers every suite shares, libshmheap.la (the
# library as installed) and Check.  make check builds and runs SUITES.
check_LTLIBRARIES += tests/libtestutil.la
tests_libtestutil_la_SOURCES = \
	tests/testutil.c \
	tests/testutil-skip.c \
	tests/testutil.h \
	tests/api-helpers.c \
	tests/api-helpers.h \
	tests/backing-testutil.c \
	tests/backing-testutil.h
LDADD = tests/libtestutil.la lib/libshmheap.la $(CHECK_LIBS)
# What a suite that needs a test hook (lib/testhooks.h) links instead.
LDADD_HOOKS = tests/libtestutil.la lib/libshmheap-test.la $(CHECK_LIBS)
# The names the per-program rules of older suites use; a suite needs none.
suite_common_src =
suite_common_cflags = $(AM_CFLAGS)
suite_common_ldflags = $(AM_LDFLAGS)
suite_common_libs = $(LDADD)
api_common_src =
backing_suite_src =

SUITES = tests/test-model tests/test-procs tests/test-threads \
	 tests/test-remap tests/test-grow tests/test-lock
check_PROGRAMS += $(SUITES)
TESTS += $(SUITES)
tests_test_model_SOURCES = tests/test-model.c tests/model.c tests/model.h

# What another user, or an unlucky moment, can do to a reader (issue 14);
# heaps of the old layout (treaps) come from the test library.
SUITES += tests/test-hostile
tests_test_hostile_LDADD = tests/libfitmap.la $(LDADD_HOOKS)

# What reading a heap without its lock costs: bounded memory, and a poller
# on a heap that grows and is re-created (issue 31).
SUITES += tests/test-unlocked-cost

# mapping as the heap grows: fork, connect/info racing growth, reservation
SUITES += tests/test-mapping
# shmheap_destroy and the name of another heap
SUITES += tests/test-destroy

# The public calls, one suite per concern (they share tests/api-helpers.c).
API_SUITES = tests/test-api-create tests/test-api-connect tests/test-api-lifetime \
	     tests/test-api-alloc tests/test-api-handles tests/test-api-inspect \
	     tests/test-api-info tests/test-api-mmf
SUITES += $(API_SUITES)
VALGRIND_SUITES = $(API_SUITES) tests/test-model tests/test-threads tests/test-remap \
		  tests/test-lock

# What ./configure --enable-debug adds (and that other builds do not).
SUITES += tests/test-debug

# Repair of heaps left at each step of blocks.c's commit protocol, and of an
# in-place realloc or aligned carve; they build their images with the
# library's own treap code, on heaps of the old layout (treaps in the
# blocks), which only the test library makes (SHMHEAP_TEST_TREAP_HEAPS).
SUITES += tests/test-repair-steps tests/test-repair-resize
check_LTLIBRARIES += tests/librepair-images.la
tests_librepair_images_la_SOURCES = tests/repair-images.c tests/repair-images.h \
	lib/fitmap.c lib/freeindex.c lib/heapread.c
tests_test_repair_steps_LDADD = tests/librepair-images.la $(LDADD_HOOKS)
tests_test_repair_resize_LDADD = tests/librepair-images.la $(LDADD_HOOKS)

# The length of a heap's free-block index (fm_bytes, lib/fitmap.c), for the
# suites that check an object's length: the heap, then its index.
check_LTLIBRARIES += tests/libfitmap.la
tests_libfitmap_la_SOURCES = lib/fitmap.c
tests_test_api_create_LDADD = tests/libfitmap.la $(LDADD)
# The test library: a heap with treaps (SHMHEAP_TEST_TREAP_HEAPS) has no index_size.
tests_test_api_info_LDADD = tests/libfitmap.la $(LDADD_HOOKS)
tests_test_sizes_LDADD = tests/libfitmap.la $(LDADD)
tests_test_mapping_LDADD = tests/libfitmap.la $(LDADD)

# What the library refuses or leaves alone (issue 14 items 2 and 14).
SUITES += tests/test-refuse

# Lengths that are not page multiples, and programs shaped like the lab's
# runners and graders (issue 13).
SUITES += tests/test-sizes tests/test-lab
VALGRIND_SUITES += tests/test-sizes tests/test-lab

# The heap lock: recovery states, fairness under a busy holder, wait limits.
SUITES += tests/test-lock-recovery tests/test-lock-fairness tests/test-lock-limit
VALGRIND_SUITES += tests/test-lock-recovery tests/test-lock-limit
# A cached heap's waiter watches the lock only while its holder can run
# (a kill point of the test library tells whether it watched).
SUITES += tests/test-lock-spin
tests_test_lock_spin_LDADD = $(LDADD_HOOKS)

# The private allocators: shmheap_pages and shmheap_elastic.
SUITES += tests/test-pages tests/test-elastic
VALGRIND_SUITES += tests/test-pages

# Numbered shared segments (shmseg.h).
SUITES += tests/test-shmseg
VALGRIND_SUITES += tests/test-shmseg

# Backings chosen by name, anonymous heaps and descriptors (issue 16).
SUITES += tests/test-backing-file tests/test-backing-sysv tests/test-backing-anon \
	  tests/test-backing-names
VALGRIND_SUITES += tests/test-backing-file tests/test-backing-sysv \
		   tests/test-backing-anon tests/test-backing-names
# common/filepath.c too: the suite compares its walk with openat2.
tests_test_backing_file_LDADD = common/libcommon.la $(LDADD)
# exec'd by test-backing-anon: joins a heap whose descriptor it receives
check_PROGRAMS += tests/backing-fd-helper
tests_backing_fd_helper_LDADD = lib/libshmheap.la

# Allocation calls beyond alloc and free (issue 20 item 1), and heaps mapped
# at a fixed address (issue 20 item 4).
SUITES += tests/test-api-resize tests/test-model-resize tests/test-fixed-address
VALGRIND_SUITES += tests/test-api-resize tests/test-model-resize \
		   tests/test-fixed-address
tests_test_model_resize_SOURCES = tests/test-model-resize.c tests/model.c tests/model.h

# The fitmap index of 0.6 heaps (issue 29): a model of 1,000,000 random
# calls (SHMHEAP_TEST_FITMAP_OPS), the same on a treap heap of the test
# library; kills at every step of an index update, and random ones
# (SHMHEAP_TEST_FITMAP_KILLS rounds), each repaired.
SUITES += tests/test-fitmap-model
tests_test_fitmap_model_SOURCES = tests/test-fitmap-model.c tests/model.c tests/model.h
tests_test_fitmap_model_LDADD = $(LDADD_HOOKS)
SUITES += tests/test-fitmap-kill
tests_test_fitmap_kill_SOURCES = tests/test-fitmap-kill.c tests/model.c tests/model.h
tests_test_fitmap_kill_LDADD = $(LDADD_HOOKS)
VALGRIND_SUITES += tests/test-fitmap-model tests/test-fitmap-kill

# Named objects and leak-proof publishing (issue 20): the directory's calls,
# a model, concurrent processes; every step of each call killed (a kill
# point of the test library) and repaired.
SUITES += tests/test-names tests/test-publish
VALGRIND_SUITES += tests/test-names tests/test-publish
tests_test_publish_LDADD = $(LDADD_HOOKS)

# Heaps made by older releases (issue 29): images that 0.3.1 and 0.5.0 wrote
# (tests/data/make-old-heaps.c, not built), opened, used, grown and repaired
# after a kill at a kill point of the test library; they keep their treaps.
SUITES += tests/test-old-heaps
VALGRIND_SUITES += tests/test-old-heaps
tests_test_old_heaps_LDADD = $(LDADD_HOOKS)
EXTRA_DIST += tests/data/make-old-heaps.c \
	tests/data/heap-0.3.1-default.img \
	tests/data/heap-0.3.1-default.txt \
	tests/data/heap-0.3.1-cached.img \
	tests/data/heap-0.3.1-cached.txt \
	tests/data/heap-0.3.1-file.img \
	tests/data/heap-0.3.1-file.txt \
	tests/data/heap-0.5.0-default.img \
	tests/data/heap-0.5.0-default.txt \
	tests/data/heap-0.5.0-cached.img \
	tests/data/heap-0.5.0-cached.txt \
	tests/data/heap-0.5.0-file.img \
	tests/data/heap-0.5.0-file.txt

# Cached heaps (SHMHEAP_CACHED): the table, refused frees, recovery at each
# step of a cache operation, killed processes, threads sharing a cache.
SUITES += tests/test-cache
VALGRIND_SUITES += tests/test-cache
# Cached heaps: a slot is swept only when its owner has ended (a leader that
# called pthread_exit, hidepid=2, another pid namespace, forked children).
SUITES += tests/test-liveness

# Every allocation call on every kind of heap, two processes at once.
SUITES += tests/test-mixed
VALGRIND_SUITES += tests/test-mixed

check-valgrind-suites: $(VALGRIND_SUITES)
	@test -n "$(VALGRIND)" || { echo "valgrind not found" >&2; exit 1; }
	@for t in $(VALGRIND_SUITES); do \
		echo "valgrind $$t"; \
		CK_FORK=no srcdir=$(srcdir) \
		SHMHEAP_TEST_MODEL_OPS=$${SHMHEAP_TEST_MODEL_OPS:-5000} \
		SHMHEAP_TEST_THREAD_OPS=$${SHMHEAP_TEST_THREAD_OPS:-5000} \
		SHMHEAP_TEST_FITMAP_OPS=$${SHMHEAP_TEST_FITMAP_OPS:-20000} \
		SHMHEAP_TEST_FITMAP_KILLS=$${SHMHEAP_TEST_FITMAP_KILLS:-20} \
		$(VALGRIND) -q --error-exitcode=3 --leak-check=full ./$$t || exit 1; \
	done
endif
.PHONY: check-valgrind-suites

# The segment demos and shmheap-ctl segments (shell tests; shmseg-lib.sh).
# take-address.so, preloaded, makes an address the demos want taken.
check_LTLIBRARIES += tests/take-address.la
tests_take_address_la_SOURCES = tests/take-address.c
tests_take_address_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -rpath /nowhere
# shmseg-plant leaves a value in a segment, as a crashed program would.
check_PROGRAMS += tests/shmseg-plant
tests_shmseg_plant_SOURCES = tests/shmseg-plant.c
tests_shmseg_plant_LDADD = lib/libshmheap.la
SHMSEG_TESTS = tests/shmseg-demos.sh tests/ctl-segments.sh tests/demo-failures.sh
TESTS += $(SHMSEG_TESTS)
EXTRA_DIST += $(SHMSEG_TESTS) tests/shmseg-lib.sh
# Without Check (configure --disable-tests) the suites above are not built;
# make check says so rather than pass quietly without them.
if !HAVE_CHECK
check-local:
	@echo "*** NOTE: configured with --disable-tests: the Check unit suites were NOT built or run"
endif

# Crash torture of names and slots (zero orphans after every repair).
check_PROGRAMS += tests/torture-names
TESTS += tests/torture-names
tests_torture_names_LDADD = lib/libshmheap.la

# Queues of handles (issue 30): the calls and their errors on every kind of
# heap; a model of 1,000,000 random calls (SHMHEAP_TEST_MODEL_OPS); producers
# and consumers in 2x2 and 8x8 processes (SHMHEAP_TEST_PROCS_OPS); kills at
# every step of the logged calls (a kill point of the test library), and
# random SIGKILLs (SHMHEAP_TEST_QUEUE_KILLS).  tests/libqueuetest.la: heaps
# of every kind and the accounting of orphans.
if HAVE_CHECK
check_LTLIBRARIES += tests/libqueuetest.la
tests_libqueuetest_la_SOURCES = tests/queue-testutil.c tests/queue-testutil.h
SUITES += tests/test-queue tests/test-queue-model tests/test-queue-procs \
	  tests/test-queue-kill
VALGRIND_SUITES += tests/test-queue tests/test-queue-model
check-valgrind-suites: tests/test-queue tests/test-queue-model
tests_test_queue_LDADD = tests/libqueuetest.la $(LDADD)
tests_test_queue_model_LDADD = tests/libqueuetest.la $(LDADD)
tests_test_queue_procs_LDADD = tests/libqueuetest.la $(LDADD)
# The kill points are in the test build of the library only.
tests_test_queue_kill_LDADD = tests/libqueuetest.la $(LDADD_HOOKS)
endif
