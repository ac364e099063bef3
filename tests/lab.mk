# Tests of the lab interfaces (include/lab/alloc.h, ealloc.h), the pkg-config
# module shmheap-lab and the tools shmheap-lab-alloc, shmheap-lab-ealloc.
TESTS += tests/lab-pkgconfig.sh tests/lab-tools.sh tests/lab-valgrind.sh
EXTRA_DIST += \
	tests/lab-pkgconfig.sh \
	tests/lab-tools.sh \
	tests/lab-valgrind.sh \
	tests/lab-programs.sh \
	tests/lab/decl_alloc.c \
	tests/lab/decl_ealloc.c \
	tests/lab/split-alloc/main.c \
	tests/lab/split-alloc/util.c \
	tests/lab/split-ealloc/main.c \
	tests/lab/split-ealloc/util.c \
	tests/lab/test_alloc_mine.c \
	tests/lab/test_ealloc_mine.c
# lab-pkgconfig.sh builds with the uninstalled .pc and the built libraries
# (and runs lab-programs.sh, which the autopkgtest runs on the installed ones).
tests/lab-pkgconfig.log: lib/libshmheap.la lab/libshmheap-lab.a lib/shmheap-lab-uninstalled.pc
tests/lab-tools.log: bin/shmheap-lab-alloc$(EXEEXT) bin/shmheap-lab-ealloc$(EXEEXT)

check_PROGRAMS += tests/lab-cycles
tests_lab_cycles_SOURCES = tests/lab-cycles.c tests/lab-cycles.h tests/lab-cycles-alloc.c \
	tests/lab-cycles-ealloc.c
tests_lab_cycles_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/include/lab
# Linked -no-install, as every program of tests/ (tests/local.mk): a real
# binary, so that valgrind runs the program itself.
tests_lab_cycles_LDADD = lab/libshmheap-lab.a lib/libshmheap.la
