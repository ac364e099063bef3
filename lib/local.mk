# libshmheap.  Libtool version (current:revision:age), updated before a release:
#  - code changed, interface not: revision++
#  - interfaces added: current++, revision=0, age++
#  - interfaces removed or changed: current++, revision=0, age=0
# The SONAME is libshmheap.so.(current - age).
LIBSHMHEAP_CURRENT = 3
LIBSHMHEAP_REVISION = 0
LIBSHMHEAP_AGE = 3

lib_LTLIBRARIES += lib/libshmheap.la
pkginclude_HEADERS = include/shmheap.h include/mmf.h
lib_libshmheap_la_SOURCES = \
	lib/api.c \
	lib/backing.h \
	lib/backing_posix.c \
	lib/blocks.c \
	lib/debug.c \
	lib/freeindex.c \
	lib/freeindex.h \
	lib/grow.c \
	lib/heap.c \
	lib/heap.h \
	lib/heapread.c \
	lib/heapread.h \
	lib/info.c \
	lib/inspect.c \
	lib/layout.h \
	lib/lock.c \
	lib/mmf.c \
	lib/repair.c
# cached heaps (SHMHEAP_CACHED): per-process caches of free blocks, and how
# a cache's owner is known to have ended
lib_libshmheap_la_SOURCES += \
	lib/cache.c \
	lib/cache.h \
	lib/liveness.c \
	lib/liveness.h
# mapping in one file, the export macros in their own header
lib_libshmheap_la_SOURCES += \
	lib/export.h \
	lib/mapping.c \
	lib/mapping.h
lib_libshmheap_la_LDFLAGS = $(AM_LDFLAGS) \
	-version-info $(LIBSHMHEAP_CURRENT):$(LIBSHMHEAP_REVISION):$(LIBSHMHEAP_AGE) \
	-Wl,--version-script=$(top_srcdir)/lib/libshmheap.sym
EXTRA_lib_libshmheap_la_DEPENDENCIES = lib/libshmheap.sym
EXTRA_DIST += lib/libshmheap.sym lib/shmheap.pc.in

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = lib/shmheap.pc
DISTCLEANFILES += lib/shmheap.pc

# make check: the library exports exactly what the version script lists.
TESTS += lib/check-exports.sh
EXTRA_DIST += lib/check-exports.sh

# Private allocators: shmheap_pages (bookkeeping out of band) and shmheap_elastic
# (pages mapped on demand), and the memory-management lab's alloc.h and ealloc.h
# over them, found through pkg-config shmheap-lab.
pkginclude_HEADERS += include/shmheap_pages.h
shmheaplabdir = $(pkgincludedir)/lab
shmheaplab_HEADERS = include/lab/alloc.h include/lab/ealloc.h
lib_libshmheap_la_SOURCES += \
	lib/elastic.c \
	lib/livetable.c \
	lib/livetable.h \
	lib/pages.c \
	lib/rangetree.c \
	lib/rangetree.h

# Named objects and leak-proof publishing (issue 20): the extension record
# and its intent log, the names directory, alloc_into/free_from.
lib_libshmheap_la_SOURCES += \
	lib/ext.c \
	lib/ext.h \
	lib/names-check.c \
	lib/names.c \
	lib/publish.c
pkgconfig_DATA += lib/shmheap-lab.pc
DISTCLEANFILES += lib/shmheap-lab.pc lib/shmheap-lab-uninstalled.pc
EXTRA_DIST += lib/shmheap-lab.pc.in lib/shmheap-lab-uninstalled.pc.in

# Numbered shared segments (shmseg.h).
pkginclude_HEADERS += include/shmseg.h
lib_libshmheap_la_SOURCES += \
	lib/shmseg.c \
	lib/shmseg-internal.h \
	lib/shmseg-maps.c \
	lib/shmseg-ns.c

# Backings chosen by name (file:, sysv:) and anonymous heaps (issue 16).
lib_libshmheap_la_SOURCES += \
	lib/backing_file.c \
	lib/backing_memfd.c \
	lib/backing_sysv.c \
	lib/backing_writers.c \
	lib/heapfd.c \
	lib/heapname.c \
	lib/heapname.h
# A file heap's path, resolved once without following links (issue 25 item 2):
# common/filepath.c, which the tools share.
lib_libshmheap_la_LIBADD = common/libcommon.la
# Allocation calls beyond alloc and free: realloc, calloc, aligned, usable size.
lib_libshmheap_la_SOURCES += \
	lib/aligned.c \
	lib/allocx.h \
	lib/realloc.c
# Queues of handles (issue 30): a layer over the names directory and the
# intent log; its repair and its readers (check, walk) in files of their own.
lib_libshmheap_la_SOURCES += \
	lib/queue-inspect.c \
	lib/queue-repair.c \
	lib/queue.c \
	lib/queue.h

# The library built for the tests: the same sources with the test hooks
# compiled in (-DSHMHEAP_TEST_HOOKS; lib/testhooks.h), which in the library
# above are nothing at all.  A shared library with the same exports that is
# never installed; built by make check, linked only by the suites that use a
# hook (tests/local.mk).  lib/check-test-hooks.sh checks that libshmheap.so
# carries none.
lib_libshmheap_la_SOURCES += lib/testhooks.h
check_LTLIBRARIES += lib/libshmheap-test.la
lib_libshmheap_test_la_SOURCES = $(lib_libshmheap_la_SOURCES)
lib_libshmheap_test_la_CPPFLAGS = $(AM_CPPFLAGS) -DSHMHEAP_TEST_HOOKS
lib_libshmheap_test_la_LDFLAGS = $(lib_libshmheap_la_LDFLAGS) -rpath /nowhere
lib_libshmheap_test_la_LIBADD = $(lib_libshmheap_la_LIBADD)
EXTRA_lib_libshmheap_test_la_DEPENDENCIES = lib/libshmheap.sym
TESTS += lib/check-test-hooks.sh
EXTRA_DIST += lib/check-test-hooks.sh
