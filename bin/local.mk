# Tools: helpers shared by every tool.  Each tool's rules are in its own .mk.
#
# The tools see only the public headers (include/): every target below sets
# BIN_CPPFLAGS instead of AM_CPPFLAGS, which also has lib/, so a tool that
# reached for a private header would not build.
BIN_CPPFLAGS = -I$(top_srcdir)/include -include $(top_builddir)/config.h

noinst_LTLIBRARIES += bin/libtool-util.la
bin_libtool_util_la_SOURCES = bin/tool.c bin/tool.h
bin_libtool_util_la_CPPFLAGS = $(BIN_CPPFLAGS)
