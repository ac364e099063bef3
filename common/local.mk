# Helpers that the library and the tools share: libc only, no state of the
# library.  A convenience library linked into libshmheap and into the tools'
# bin/libtool-util.la; its headers are on every target's path (AM_CPPFLAGS),
# being neither public nor private to lib/.
noinst_LTLIBRARIES += common/libcommon.la
# A file heap's path, resolved once without following links (issue 25 item 2).
common_libcommon_la_SOURCES = common/filepath.c common/filepath.h
