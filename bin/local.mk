# Tools: helpers shared by every tool.  Each tool's rules are in its own .mk.
#
# The tools see only the public headers (include/) and common/: AM_CPPFLAGS,
# which no rule here extends with lib/, so a tool that reached for one of the
# library's private headers would not build.  bin/check-boundary.sh, run by
# make check, fails on the ways around that (an include that leaves its
# directory, a -I to lib/ in these rules).
TESTS += bin/check-boundary.sh
EXTRA_DIST += bin/check-boundary.sh

noinst_LTLIBRARIES += bin/libtool-util.la
bin_libtool_util_la_SOURCES = bin/tool.c bin/tool.h

# Heap names over every backing (/name, file:, sysv:, anon:), for ctl and runners.
bin_libtool_util_la_SOURCES += bin/backingname.c bin/backingname.h
# A file: path resolved as the library resolves it, without following links:
# the library's own code (common/), so that the tools act on the very entry
# the library would.
bin_libtool_util_la_LIBADD = common/libcommon.la

# The segment demos: shmheap-shm-cnt and shmheap-pingpong (shmseg.h).
noinst_LTLIBRARIES += bin/libdemo.la
bin_libdemo_la_SOURCES = bin/demo.c bin/demo.h
bin_PROGRAMS += bin/shmheap-shm-cnt bin/shmheap-pingpong
bin_shmheap_shm_cnt_SOURCES = bin/shm-cnt.c
bin_shmheap_shm_cnt_LDADD = bin/libdemo.la bin/libtool-util.la lib/libshmheap.la
bin_shmheap_pingpong_SOURCES = bin/pingpong.c bin/pingpong-queue.c bin/pingpong-queue.h
bin_shmheap_pingpong_LDADD = bin/libdemo.la bin/libtool-util.la lib/libshmheap.la
dist_man_MANS += man/shmheap-shm-cnt.1 man/shmheap-pingpong.1
