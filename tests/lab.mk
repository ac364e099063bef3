# Tests of the lab interfaces (include/lab/alloc.h, ealloc.h), the pkg-config
# module shmheap-lab and the tools shmheap-lab-alloc, shmheap-lab-ealloc.
TESTS += tests/lab-pkgconfig.sh tests/lab-tools.sh tests/lab-valgrind.sh
EXTRA_DIST += \
	tests/lab-pkgconfig.sh \
	tests/lab-tools.sh \
	tests/lab-valgrind.sh \
	tests/lab/test_alloc_mine.c \
	tests/lab/test_ealloc_mine.c
# lab-pkgconfig.sh builds with the uninstalled .pc and the built library.
tests/lab-pkgconfig.log: lib/libshmheap.la lib/shmheap-lab-uninstalled.pc
tests/lab-tools.log: bin/shmheap-lab-alloc$(EXEEXT) bin/shmheap-lab-ealloc$(EXEEXT)

check_PROGRAMS += tests/lab-cycles
tests_lab_cycles_SOURCES = tests/lab-cycles.c tests/lab-cycles.h tests/lab-cycles-alloc.c \
	tests/lab-cycles-ealloc.c
tests_lab_cycles_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/include/lab
# -no-install: a real binary, so that valgrind runs the program itself.
tests_lab_cycles_LDFLAGS = $(AM_LDFLAGS) -no-install
tests_lab_cycles_LDADD = lib/libshmheap.la
