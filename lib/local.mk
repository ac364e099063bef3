# libshmheap.  Libtool version (current:revision:age), updated before a release:
#  - code changed, interface not: revision++
#  - interfaces added: current++, revision=0, age++
#  - interfaces removed or changed: current++, revision=0, age=0
# The SONAME is libshmheap.so.(current - age).
LIBSHMHEAP_CURRENT = 2
LIBSHMHEAP_REVISION = 1
LIBSHMHEAP_AGE = 2

lib_LTLIBRARIES += lib/libshmheap.la
pkginclude_HEADERS = include/shmheap.h include/mmf.h
lib_libshmheap_la_SOURCES = \
	lib/align.h \
	lib/alloc.c \
	lib/handle.c \
	lib/backing.h \
	lib/backing_posix.c \
	lib/blocks.c \
	lib/blocks.h \
	lib/connection.h \
	lib/debug.c \
	lib/freeindex.c \
	lib/freeindex.h \
	lib/grow.c \
	lib/heap.c \
	lib/heap.h \
	lib/info.c \
	lib/inspect.c \
	lib/inspect.h \
	lib/layer.h \
	lib/layers.c \
	lib/layers.h \
	lib/layout.h \
	lib/lock.c \
	lib/lock.h \
	lib/mmf.c \
	lib/repair.c \
	lib/repair.h
# cached heaps (SHMHEAP_CACHED): per-process caches of free blocks, and how
# a cache's owner is known to have ended
lib_libshmheap_la_SOURCES += \
	lib/cache.c \
	lib/cache.h \
	lib/cache-check.c \
	lib/cache-repair.c \
	lib/cache-stats.c \
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

# make check: the library exports exactly what the version script lists, and
# the heap core uses none of its optional layers (lib/README).
TESTS += lib/check-exports.sh lib/check-layers.sh
EXTRA_DIST += lib/check-exports.sh lib/check-layers.sh

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
	lib/ext-repair.c \
	lib/names-check.c \
	lib/names.c \
	lib/names.h \
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
	lib/underlying.c \
	lib/heapname.c \
	lib/heapname.h
# A file heap's path, resolved once without following links (issue 25 item 2).
lib_libshmheap_la_SOURCES += lib/filepath.c lib/filepath.h
# Allocation calls beyond alloc and free: realloc, calloc, aligned, usable size.
lib_libshmheap_la_SOURCES += \
	lib/aligned.c \
	lib/realloc.c
