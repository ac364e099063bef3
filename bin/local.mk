# Tools: helpers shared by every tool.  Each tool's rules are in its own .mk.
noinst_LTLIBRARIES += bin/libtool-util.la
bin_libtool_util_la_SOURCES = bin/tool.c bin/tool.h
