# Check test suites of the library: one program per concern.
#   make check                        runs them (CK_FORK=yes, per-test timeouts)
#   make check-valgrind-suites        runs them under valgrind with CK_FORK=no
# SHMHEAP_TEST_MODEL_OPS, _THREAD_OPS and _PROCS_OPS shorten the random tests.
if HAVE_CHECK
suite_common_src = tests/testutil.c tests/testutil.h
suite_common_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
# -no-install: plain binaries with an rpath, so valgrind runs them directly.
suite_common_ldflags = $(AM_LDFLAGS) -no-install -pthread
suite_common_libs = lib/libshmheap.la $(CHECK_LIBS)

SUITES = tests/test-api tests/test-model tests/test-procs tests/test-threads \
	 tests/test-remap tests/test-grow tests/test-lock
check_PROGRAMS += $(SUITES)
TESTS += $(SUITES)

tests_test_api_SOURCES = tests/test-api.c $(suite_common_src)
tests_test_api_CFLAGS = $(suite_common_cflags)
tests_test_api_LDFLAGS = $(suite_common_ldflags)
tests_test_api_LDADD = $(suite_common_libs)

tests_test_model_SOURCES = tests/test-model.c $(suite_common_src)
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

VALGRIND_SUITES = tests/test-api tests/test-model tests/test-threads tests/test-remap \
		  tests/test-lock
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
