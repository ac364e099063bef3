# libshmheap.  Libtool version (current:revision:age), updated before a release:
#  - code changed, interface not: revision++
#  - interfaces added: current++, revision=0, age++
#  - interfaces removed or changed: current++, revision=0, age=0
# The SONAME is libshmheap.so.(current - age).
LIBSHMHEAP_CURRENT = 5
LIBSHMHEAP_REVISION = 1
LIBSHMHEAP_AGE = 5

lib_LTLIBRARIES += lib/libshmheap.la
pkginclude_HEADERS = include/shmheap.h include/mmf.h

# The sources by concern, from the bottom up; lib/README says which may use
# which.  The heap core: the layout, blocks and their index, growth, the
# mapping, the lock, the repair and the check, and the hooks (layer.h)
# through which it lets a layer act.
lib_libshmheap_la_SOURCES = \
	lib/align.h \
	lib/blocks.c \
	lib/blocks.h \
	lib/connection.h \
	lib/cpu.h \
	lib/debug.c \
	lib/export.h \
	lib/fitmap-check.c \
	lib/fitmap-simd.h \
	lib/fitmap.c \
	lib/fitmap.h \
	lib/freeindex.c \
	lib/freeindex.h \
	lib/grow.c \
	lib/heapread.c \
	lib/heapread.h \
	lib/inspect.c \
	lib/inspect.h \
	lib/layer.h \
	lib/layout.h \
	lib/lock.c \
	lib/lock.h \
	lib/locked.c \
	lib/locked.h \
	lib/mapping.c \
	lib/mapping.h \
	lib/repair.c \
	lib/repair.h \
	lib/testhooks.h \
	lib/view.h
# The calls on the core: allocation and release, the calls beyond them
# (realloc, calloc, aligned, usable size), handles, and what lies under a heap.
lib_libshmheap_la_SOURCES += \
	lib/aligned.c \
	lib/alloc.c \
	lib/handle.c \
	lib/realloc.c \
	lib/underlying.c
# The layer of cached heaps (SHMHEAP_CACHED): per-process caches of free
# blocks, and how a cache's owner is known to have ended.
lib_libshmheap_la_SOURCES += \
	lib/cache.c \
	lib/cache.h \
	lib/cache-check.c \
	lib/cache-front.c \
	lib/cache-repair.c \
	lib/cache-stats.c \
	lib/liveness.c \
	lib/liveness.h
# The layer of the extension record and its intent log: named objects and
# leak-proof publishing (shmheap_alloc_into, shmheap_free_from).
lib_libshmheap_la_SOURCES += \
	lib/ext.c \
	lib/ext.h \
	lib/ext-layer.c \
	lib/ext-repair.c \
	lib/names-check.c \
	lib/names.c \
	lib/names.h \
	lib/publish.c
# Queues of handles (issue 30): part of the ext layer, over the names
# directory and the intent log; its repair (through the ext layer's) and its
# readers (check, walk) in files of their own.
lib_libshmheap_la_SOURCES += \
	lib/queue-inspect.c \
	lib/queue-ring.c \
	lib/queue-ring.h \
	lib/queue-repair.c \
	lib/queue.c \
	lib/queue.h
# Creating and connecting: the layers a heap uses, the name that chooses a
# backing, and the backings (POSIX shm, file:, sysv:, anonymous); a file
# heap's path is resolved once, without following links (common/filepath.c,
# which the tools share).
lib_libshmheap_la_SOURCES += \
	lib/backing.h \
	lib/backing_file.c \
	lib/backing_memfd.c \
	lib/backing_posix.c \
	lib/backing_sysv.c \
	lib/backing_writers.c \
	lib/heap.c \
	lib/heap.h \
	lib/heapname.c \
	lib/heapname.h \
	lib/info.c \
	lib/layers.c \
	lib/layers.h
lib_libshmheap_la_LIBADD = common/libcommon.la
# Beside the heaps: the private allocators shmheap_pages (bookkeeping out of
# band) and shmheap_elastic (pages mapped on demand), mmf (a regular file
# mapped into memory), and numbered shared segments (shmseg.h).
lib_libshmheap_la_SOURCES += \
	lib/elastic.c \
	lib/livetable.c \
	lib/livetable.h \
	lib/mmf.c \
	lib/pages.c \
	lib/rangetree.c \
	lib/rangetree.h \
	lib/shmseg.c \
	lib/shmseg-internal.h \
	lib/shmseg-maps.c \
	lib/shmseg-ns.c

lib_libshmheap_la_LDFLAGS = $(AM_LDFLAGS) \
	-version-info $(LIBSHMHEAP_CURRENT):$(LIBSHMHEAP_REVISION):$(LIBSHMHEAP_AGE) \
	-Wl,--version-script=$(top_srcdir)/lib/libshmheap.sym
EXTRA_lib_libshmheap_la_DEPENDENCIES = lib/libshmheap.sym
EXTRA_DIST += lib/libshmheap.sym lib/shmheap.pc.in lib/README

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = lib/shmheap.pc
DISTCLEANFILES += lib/shmheap.pc

# make check: the library exports exactly what the version script lists, and
# the heap core uses none of its optional layers (lib/README).
TESTS += lib/check-exports.sh lib/check-layers.sh
EXTRA_DIST += lib/check-exports.sh lib/check-layers.sh

# The memory-management lab's alloc.h and ealloc.h over the private
# allocators, found through pkg-config shmheap-lab.
pkginclude_HEADERS += include/shmheap_pages.h
shmheaplabdir = $(pkgincludedir)/lab
shmheaplab_HEADERS = include/lab/alloc.h include/lab/ealloc.h
pkgconfig_DATA += lib/shmheap-lab.pc
DISTCLEANFILES += lib/shmheap-lab.pc lib/shmheap-lab-uninstalled.pc
EXTRA_DIST += lib/shmheap-lab.pc.in lib/shmheap-lab-uninstalled.pc.in

# Numbered shared segments' public header.
pkginclude_HEADERS += include/shmseg.h

# The library built for the tests: the same sources with the test hooks
# compiled in (-DSHMHEAP_TEST_HOOKS; lib/testhooks.h), which in the library
# above are nothing at all.  A shared library with the same exports that is
# never installed; built by make check, linked only by the suites that use a
# hook (tests/local.mk).  lib/check-test-hooks.sh checks that libshmheap.so
# carries none.
check_LTLIBRARIES += lib/libshmheap-test.la
lib_libshmheap_test_la_SOURCES = $(lib_libshmheap_la_SOURCES)
lib_libshmheap_test_la_CPPFLAGS = $(AM_CPPFLAGS) -DSHMHEAP_TEST_HOOKS
lib_libshmheap_test_la_LDFLAGS = $(lib_libshmheap_la_LDFLAGS) -rpath /nowhere
lib_libshmheap_test_la_LIBADD = $(lib_libshmheap_la_LIBADD)
EXTRA_lib_libshmheap_test_la_DEPENDENCIES = lib/libshmheap.sym
TESTS += lib/check-test-hooks.sh
EXTRA_DIST += lib/check-test-hooks.sh
