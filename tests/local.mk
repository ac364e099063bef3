# Check test suites of the library: one program per concern.
#   make check                        runs them (CK_FORK=yes, per-test timeouts)
#   make check-valgrind-suites        runs them under valgrind with CK_FORK=no
# SHMHEAP_TEST_MODEL_OPS, _THREAD_OPS and _PROCS_OPS shorten the random tests.
# tests/README: root and ordinary users, and how a test reports a skip.
EXTRA_DIST += tests/README
if HAVE_CHECK
suite_common_src = tests/testutil.c tests/testutil-skip.c tests/testutil.h
suite_common_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
# -no-install: plain binaries with an rpath, so valgrind runs them directly.
suite_common_ldflags = $(AM_LDFLAGS) -no-install -pthread
suite_common_libs = lib/libshmheap.la $(CHECK_LIBS)

SUITES = tests/test-model tests/test-procs tests/test-threads \
	 tests/test-remap tests/test-grow tests/test-lock
check_PROGRAMS += $(SUITES)
TESTS += $(SUITES)

tests_test_model_SOURCES = tests/test-model.c tests/model.c tests/model.h \
	$(suite_common_src)
tests_test_model_CFLAGS = $(suite_common_cflags)
tests_test_model_LDFLAGS = $(suite_common_ldflags)
tests_test_model_LDADD = $(suite_common_libs)

tests_test_procs_SOURCES = tests/test-procs.c $(suite_common_src)
tests_test_procs_CFLAGS = $(suite_common_cflags)
tests_test_procs_LDFLAGS = $(suite_common_ldflags)
tests_test_procs_LDADD = $(suite_common_libs)

tests_test_threads_SOURCES = tests/test-threads.c $(suite_common_src)
tests_test_threads_CFLAGS = $(suite_common_cflags)
tests_test_threads_LDFLAGS = $(suite_common_ldflags)
tests_test_threads_LDADD = $(suite_common_libs)

tests_test_remap_SOURCES = tests/test-remap.c $(suite_common_src)
tests_test_remap_CFLAGS = $(suite_common_cflags)
tests_test_remap_LDFLAGS = $(suite_common_ldflags)
tests_test_remap_LDADD = $(suite_common_libs)

tests_test_grow_SOURCES = tests/test-grow.c $(suite_common_src)
tests_test_grow_CFLAGS = $(suite_common_cflags)
tests_test_grow_LDFLAGS = $(suite_common_ldflags)
tests_test_grow_LDADD = $(suite_common_libs)

tests_test_lock_SOURCES = tests/test-lock.c $(suite_common_src)
tests_test_lock_CFLAGS = $(suite_common_cflags)
tests_test_lock_LDFLAGS = $(suite_common_ldflags)
tests_test_lock_LDADD = $(suite_common_libs)

# What another user, or an unlucky moment, can do to a reader (issue 14).
check_PROGRAMS += tests/test-hostile
TESTS += tests/test-hostile
tests_test_hostile_SOURCES = tests/test-hostile.c $(suite_common_src)
tests_test_hostile_CFLAGS = $(suite_common_cflags)
tests_test_hostile_LDFLAGS = $(suite_common_ldflags)
tests_test_hostile_LDADD = $(suite_common_libs)

# mapping as the heap grows: fork, connect/info racing growth, reservation
SUITES += tests/test-mapping
tests_test_mapping_SOURCES = tests/test-mapping.c $(suite_common_src)
tests_test_mapping_CFLAGS = $(suite_common_cflags)
tests_test_mapping_LDFLAGS = $(suite_common_ldflags)
tests_test_mapping_LDADD = $(suite_common_libs)
# shmheap_destroy and the name of another heap
SUITES += tests/test-destroy
tests_test_destroy_SOURCES = tests/test-destroy.c $(suite_common_src)
tests_test_destroy_CFLAGS = $(suite_common_cflags)
tests_test_destroy_LDFLAGS = $(suite_common_ldflags)
tests_test_destroy_LDADD = $(suite_common_libs)

VALGRIND_SUITES = $(API_SUITES) tests/test-model tests/test-threads tests/test-remap \
		  tests/test-lock
# The public calls, one suite per concern (they share tests/api-helpers.c).
API_SUITES = tests/test-api-create tests/test-api-connect tests/test-api-lifetime \
	     tests/test-api-alloc tests/test-api-handles tests/test-api-inspect \
	     tests/test-api-info tests/test-api-mmf
check_PROGRAMS += $(API_SUITES)
TESTS += $(API_SUITES)
api_common_src = tests/api-helpers.c tests/api-helpers.h $(suite_common_src)
tests_test_api_create_SOURCES = tests/test-api-create.c $(api_common_src)
tests_test_api_create_CFLAGS = $(suite_common_cflags)
tests_test_api_create_LDFLAGS = $(suite_common_ldflags)
tests_test_api_create_LDADD = $(suite_common_libs)
tests_test_api_connect_SOURCES = tests/test-api-connect.c $(api_common_src)
tests_test_api_connect_CFLAGS = $(suite_common_cflags)
tests_test_api_connect_LDFLAGS = $(suite_common_ldflags)
tests_test_api_connect_LDADD = $(suite_common_libs)
tests_test_api_lifetime_SOURCES = tests/test-api-lifetime.c $(api_common_src)
tests_test_api_lifetime_CFLAGS = $(suite_common_cflags)
tests_test_api_lifetime_LDFLAGS = $(suite_common_ldflags)
tests_test_api_lifetime_LDADD = $(suite_common_libs)
tests_test_api_alloc_SOURCES = tests/test-api-alloc.c $(api_common_src)
tests_test_api_alloc_CFLAGS = $(suite_common_cflags)
tests_test_api_alloc_LDFLAGS = $(suite_common_ldflags)
tests_test_api_alloc_LDADD = $(suite_common_libs)
tests_test_api_handles_SOURCES = tests/test-api-handles.c $(api_common_src)
tests_test_api_handles_CFLAGS = $(suite_common_cflags)
tests_test_api_handles_LDFLAGS = $(suite_common_ldflags)
tests_test_api_handles_LDADD = $(suite_common_libs)
tests_test_api_inspect_SOURCES = tests/test-api-inspect.c $(api_common_src)
tests_test_api_inspect_CFLAGS = $(suite_common_cflags)
tests_test_api_inspect_LDFLAGS = $(suite_common_ldflags)
tests_test_api_inspect_LDADD = $(suite_common_libs)
tests_test_api_info_SOURCES = tests/test-api-info.c $(api_common_src)
tests_test_api_info_CFLAGS = $(suite_common_cflags)
tests_test_api_info_LDFLAGS = $(suite_common_ldflags)
tests_test_api_info_LDADD = $(suite_common_libs)
tests_test_api_mmf_SOURCES = tests/test-api-mmf.c $(api_common_src)
tests_test_api_mmf_CFLAGS = $(suite_common_cflags)
tests_test_api_mmf_LDFLAGS = $(suite_common_ldflags)
tests_test_api_mmf_LDADD = $(suite_common_libs)

# What ./configure --enable-debug adds (and that other builds do not).
check_PROGRAMS += tests/test-debug
TESTS += tests/test-debug
tests_test_debug_SOURCES = tests/test-debug.c $(suite_common_src)
tests_test_debug_CFLAGS = $(suite_common_cflags)
tests_test_debug_LDFLAGS = $(suite_common_ldflags)
tests_test_debug_LDADD = $(suite_common_libs)

# Repair of heaps left at each step of blocks.c's commit protocol; builds its
# images with the library's own treap code.
check_PROGRAMS += tests/test-repair-steps
TESTS += tests/test-repair-steps
tests_test_repair_steps_SOURCES = tests/test-repair-steps.c tests/repair-images.c \
	tests/repair-images.h lib/freeindex.c $(suite_common_src)
tests_test_repair_steps_CFLAGS = $(suite_common_cflags)
tests_test_repair_steps_LDFLAGS = $(suite_common_ldflags)
tests_test_repair_steps_LDADD = $(suite_common_libs)

check-valgrind-suites: $(VALGRIND_SUITES)
	@test -n "$(VALGRIND)" || { echo "valgrind not found" >&2; exit 1; }
	@for t in $(VALGRIND_SUITES); do \
		echo "valgrind $$t"; \
		CK_FORK=no SHMHEAP_TEST_MODEL_OPS=$${SHMHEAP_TEST_MODEL_OPS:-5000} \
		SHMHEAP_TEST_THREAD_OPS=$${SHMHEAP_TEST_THREAD_OPS:-5000} \
		$(VALGRIND) -q --error-exitcode=3 --leak-check=full ./$$t || exit 1; \
	done
endif
.PHONY: check-valgrind-suites

# What the library refuses or leaves alone (issue 14 items 2 and 14).
if HAVE_CHECK
SUITES += tests/test-refuse
tests_test_refuse_SOURCES = tests/test-refuse.c $(suite_common_src)
tests_test_refuse_CFLAGS = $(suite_common_cflags)
tests_test_refuse_LDFLAGS = $(suite_common_ldflags)
tests_test_refuse_LDADD = $(suite_common_libs)
endif

# Lengths that are not page multiples, and programs shaped like the lab's
# runners and graders (issue 13).
if HAVE_CHECK
check_PROGRAMS += tests/test-sizes tests/test-lab
TESTS += tests/test-sizes tests/test-lab
tests_test_sizes_SOURCES = tests/test-sizes.c $(suite_common_src)
tests_test_sizes_CFLAGS = $(suite_common_cflags)
tests_test_sizes_LDFLAGS = $(suite_common_ldflags)
tests_test_sizes_LDADD = $(suite_common_libs)

tests_test_lab_SOURCES = tests/test-lab.c $(suite_common_src)
tests_test_lab_CFLAGS = $(suite_common_cflags)
tests_test_lab_LDFLAGS = $(suite_common_ldflags)
tests_test_lab_LDADD = $(suite_common_libs)
VALGRIND_SUITES += tests/test-sizes tests/test-lab
check-valgrind-suites: tests/test-sizes tests/test-lab
endif

# The heap lock: recovery states, fairness under a busy holder, wait limits.
if HAVE_CHECK
LOCK_SUITES = tests/test-lock-recovery tests/test-lock-fairness tests/test-lock-limit
check_PROGRAMS += $(LOCK_SUITES)
TESTS += $(LOCK_SUITES)

tests_test_lock_recovery_SOURCES = tests/test-lock-recovery.c $(suite_common_src)
tests_test_lock_recovery_CFLAGS = $(suite_common_cflags)
tests_test_lock_recovery_LDFLAGS = $(suite_common_ldflags)
tests_test_lock_recovery_LDADD = $(suite_common_libs)

tests_test_lock_fairness_SOURCES = tests/test-lock-fairness.c $(suite_common_src)
tests_test_lock_fairness_CFLAGS = $(suite_common_cflags)
tests_test_lock_fairness_LDFLAGS = $(suite_common_ldflags)
tests_test_lock_fairness_LDADD = $(suite_common_libs)

tests_test_lock_limit_SOURCES = tests/test-lock-limit.c $(suite_common_src)
tests_test_lock_limit_CFLAGS = $(suite_common_cflags)
tests_test_lock_limit_LDFLAGS = $(suite_common_ldflags)
tests_test_lock_limit_LDADD = $(suite_common_libs)

VALGRIND_SUITES += tests/test-lock-recovery tests/test-lock-limit
endif

# The private allocators: shmheap_pages and shmheap_elastic.
if HAVE_CHECK
SUITES += tests/test-pages tests/test-elastic
VALGRIND_SUITES += tests/test-pages
tests_test_pages_SOURCES = tests/test-pages.c $(suite_common_src)
tests_test_pages_CFLAGS = $(suite_common_cflags)
tests_test_pages_LDFLAGS = $(suite_common_ldflags)
tests_test_pages_LDADD = $(suite_common_libs)
tests_test_elastic_SOURCES = tests/test-elastic.c $(suite_common_src)
tests_test_elastic_CFLAGS = $(suite_common_cflags)
tests_test_elastic_LDFLAGS = $(suite_common_ldflags)
tests_test_elastic_LDADD = $(suite_common_libs)
endif

# Numbered shared segments (shmseg.h).
if HAVE_CHECK
SUITES += tests/test-shmseg
tests_test_shmseg_SOURCES = tests/test-shmseg.c $(suite_common_src)
tests_test_shmseg_CFLAGS = $(suite_common_cflags)
tests_test_shmseg_LDFLAGS = $(suite_common_ldflags)
tests_test_shmseg_LDADD = $(suite_common_libs)
VALGRIND_SUITES += tests/test-shmseg
endif

# The segment demos and shmheap-ctl segments (shell tests; shmseg-lib.sh).
# take-address.so, preloaded, makes an address the demos want taken.
check_LTLIBRARIES = tests/take-address.la
tests_take_address_la_SOURCES = tests/take-address.c
tests_take_address_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -rpath /nowhere
# shmseg-plant leaves a value in a segment, as a crashed program would.
check_PROGRAMS += tests/shmseg-plant
tests_shmseg_plant_SOURCES = tests/shmseg-plant.c
tests_shmseg_plant_LDADD = lib/libshmheap.la
tests_shmseg_plant_LDFLAGS = $(AM_LDFLAGS) -no-install
SHMSEG_TESTS = tests/shmseg-demos.sh tests/ctl-segments.sh tests/demo-failures.sh
TESTS += $(SHMSEG_TESTS)
EXTRA_DIST += $(SHMSEG_TESTS) tests/shmseg-lib.sh
# Without Check (configure --disable-tests) the suites above are not built;
# make check says so rather than pass quietly without them.
if !HAVE_CHECK
check-local:
	@echo "*** NOTE: configured with --disable-tests: the Check unit suites were NOT built or run"
endif

# Backings chosen by name, anonymous heaps and descriptors (issue 16).
if HAVE_CHECK
backing_suite_src = tests/backing-testutil.c tests/backing-testutil.h $(suite_common_src)
SUITES += tests/test-backing-file
# lib/filepath.c too: the suite compares its walk with openat2.
tests_test_backing_file_SOURCES = tests/test-backing-file.c lib/filepath.c \
	$(backing_suite_src)
tests_test_backing_file_CFLAGS = $(suite_common_cflags)
tests_test_backing_file_LDFLAGS = $(suite_common_ldflags)
tests_test_backing_file_LDADD = $(suite_common_libs)
VALGRIND_SUITES += tests/test-backing-file
endif
if HAVE_CHECK
SUITES += tests/test-backing-sysv
tests_test_backing_sysv_SOURCES = tests/test-backing-sysv.c $(backing_suite_src)
tests_test_backing_sysv_CFLAGS = $(suite_common_cflags)
tests_test_backing_sysv_LDFLAGS = $(suite_common_ldflags)
tests_test_backing_sysv_LDADD = $(suite_common_libs)
VALGRIND_SUITES += tests/test-backing-sysv
endif
if HAVE_CHECK
SUITES += tests/test-backing-anon
tests_test_backing_anon_SOURCES = tests/test-backing-anon.c $(suite_common_src)
tests_test_backing_anon_CFLAGS = $(suite_common_cflags)
tests_test_backing_anon_LDFLAGS = $(suite_common_ldflags)
tests_test_backing_anon_LDADD = $(suite_common_libs)
VALGRIND_SUITES += tests/test-backing-anon
# exec'd by test-backing-anon: joins a heap whose descriptor it receives
check_PROGRAMS += tests/backing-fd-helper
tests_backing_fd_helper_SOURCES = tests/backing-fd-helper.c
tests_backing_fd_helper_LDFLAGS = $(AM_LDFLAGS) -no-install
tests_backing_fd_helper_LDADD = lib/libshmheap.la
endif
if HAVE_CHECK
SUITES += tests/test-backing-names
tests_test_backing_names_SOURCES = tests/test-backing-names.c $(backing_suite_src)
tests_test_backing_names_CFLAGS = $(suite_common_cflags)
tests_test_backing_names_LDFLAGS = $(suite_common_ldflags)
tests_test_backing_names_LDADD = $(suite_common_libs)
VALGRIND_SUITES += tests/test-backing-names
endif
# Allocation calls beyond alloc and free (issue 20 item 1), and heaps mapped
# at a fixed address (issue 20 item 4).
if HAVE_CHECK
check_PROGRAMS += tests/test-api-resize
TESTS += tests/test-api-resize
VALGRIND_SUITES += tests/test-api-resize
tests_test_api_resize_SOURCES = tests/test-api-resize.c $(api_common_src)
tests_test_api_resize_CFLAGS = $(suite_common_cflags)
tests_test_api_resize_LDFLAGS = $(suite_common_ldflags)
tests_test_api_resize_LDADD = $(suite_common_libs)
endif
if HAVE_CHECK
SUITES += tests/test-model-resize
VALGRIND_SUITES += tests/test-model-resize
tests_test_model_resize_SOURCES = tests/test-model-resize.c tests/model.c tests/model.h \
	$(suite_common_src)
tests_test_model_resize_CFLAGS = $(suite_common_cflags)
tests_test_model_resize_LDFLAGS = $(suite_common_ldflags)
tests_test_model_resize_LDADD = $(suite_common_libs)
endif
# Repair of heaps left at each step of an in-place realloc or aligned carve.
if HAVE_CHECK
check_PROGRAMS += tests/test-repair-resize
TESTS += tests/test-repair-resize
tests_test_repair_resize_SOURCES = tests/test-repair-resize.c tests/repair-images.c \
	tests/repair-images.h lib/freeindex.c $(suite_common_src)
tests_test_repair_resize_CFLAGS = $(suite_common_cflags)
tests_test_repair_resize_LDFLAGS = $(suite_common_ldflags)
tests_test_repair_resize_LDADD = $(suite_common_libs)
endif
if HAVE_CHECK
SUITES += tests/test-fixed-address
VALGRIND_SUITES += tests/test-fixed-address
tests_test_fixed_address_SOURCES = tests/test-fixed-address.c $(suite_common_src)
tests_test_fixed_address_CFLAGS = $(suite_common_cflags)
tests_test_fixed_address_LDFLAGS = $(suite_common_ldflags)
tests_test_fixed_address_LDADD = $(suite_common_libs)
endif
# Named objects and leak-proof publishing (issue 20): the directory's calls,
# a model, concurrent processes; every step of each call killed and repaired.
if HAVE_CHECK
NAMES_SUITES = tests/test-names tests/test-publish
check_PROGRAMS += $(NAMES_SUITES)
TESTS += $(NAMES_SUITES)
VALGRIND_SUITES += tests/test-names tests/test-publish
tests_test_names_SOURCES = tests/test-names.c $(suite_common_src)
tests_test_names_CFLAGS = $(suite_common_cflags)
tests_test_names_LDFLAGS = $(suite_common_ldflags)
tests_test_names_LDADD = $(suite_common_libs)
tests_test_publish_SOURCES = tests/test-publish.c $(suite_common_src)
tests_test_publish_CFLAGS = $(suite_common_cflags)
tests_test_publish_LDFLAGS = $(suite_common_ldflags)
tests_test_publish_LDADD = $(suite_common_libs)
check-valgrind-suites: $(NAMES_SUITES)
endif
# Crash torture of names and slots (zero orphans after every repair).
check_PROGRAMS += tests/torture-names
TESTS += tests/torture-names
tests_torture_names_SOURCES = tests/torture-names.c
tests_torture_names_LDADD = lib/libshmheap.la
# Cached heaps (SHMHEAP_CACHED): the table, refused frees, recovery at each
# step of a cache operation, killed processes, threads sharing a cache.
if HAVE_CHECK
SUITES += tests/test-cache
VALGRIND_SUITES += tests/test-cache
tests_test_cache_SOURCES = tests/test-cache.c $(suite_common_src)
tests_test_cache_CFLAGS = $(suite_common_cflags) -I$(top_srcdir)/lib
tests_test_cache_LDFLAGS = $(suite_common_ldflags)
tests_test_cache_LDADD = $(suite_common_libs)
endif
# Cached heaps: a slot is swept only when its owner has ended (a leader that
# called pthread_exit, hidepid=2, another pid namespace, forked children).
if HAVE_CHECK
SUITES += tests/test-liveness
tests_test_liveness_SOURCES = tests/test-liveness.c $(backing_suite_src)
tests_test_liveness_CFLAGS = $(suite_common_cflags) -I$(top_srcdir)/lib
tests_test_liveness_LDFLAGS = $(suite_common_ldflags)
tests_test_liveness_LDADD = $(suite_common_libs)
endif

# Every allocation call on every kind of heap, two processes at once.
if HAVE_CHECK
SUITES += tests/test-mixed
VALGRIND_SUITES += tests/test-mixed
tests_test_mixed_SOURCES = tests/test-mixed.c $(suite_common_src)
tests_test_mixed_CFLAGS = $(suite_common_cflags)
tests_test_mixed_LDFLAGS = $(suite_common_ldflags)
tests_test_mixed_LDADD = $(suite_common_libs)
endif

# Queues of handles (issue 30): the calls and their errors on every kind of
# heap; a model of 1,000,000 random operations (SHMHEAP_TEST_MODEL_OPS);
# producers and consumers in 2x2 and 8x8 processes; kills at every step of
# push_from and pop_into, and random SIGKILLs (SHMHEAP_TEST_QUEUE_KILLS).
if HAVE_CHECK
queue_suite_src = tests/queue-testutil.c tests/queue-testutil.h $(backing_suite_src)
QUEUE_SUITES = tests/test-queue
SUITES += $(QUEUE_SUITES)
VALGRIND_SUITES += $(QUEUE_SUITES)
tests_test_queue_SOURCES = tests/test-queue.c $(queue_suite_src)
tests_test_queue_CFLAGS = $(suite_common_cflags)
tests_test_queue_LDFLAGS = $(suite_common_ldflags)
tests_test_queue_LDADD = $(suite_common_libs)
endif
if HAVE_CHECK
QUEUE_SUITES += tests/test-queue-model
SUITES += tests/test-queue-model
VALGRIND_SUITES += tests/test-queue-model
tests_test_queue_model_SOURCES = tests/test-queue-model.c $(queue_suite_src)
tests_test_queue_model_CFLAGS = $(suite_common_cflags)
tests_test_queue_model_LDFLAGS = $(suite_common_ldflags)
tests_test_queue_model_LDADD = $(suite_common_libs)
endif
if HAVE_CHECK
QUEUE_SUITES += tests/test-queue-procs
SUITES += tests/test-queue-procs
tests_test_queue_procs_SOURCES = tests/test-queue-procs.c $(queue_suite_src)
tests_test_queue_procs_CFLAGS = $(suite_common_cflags)
tests_test_queue_procs_LDFLAGS = $(suite_common_ldflags)
tests_test_queue_procs_LDADD = $(suite_common_libs)
endif
