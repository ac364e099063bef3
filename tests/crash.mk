# Crash torture test (see tests/torture.c): workers SIGKILLed at random moments.
# `make check` runs 200 kills; `make torture-long` runs 10,000.
check_PROGRAMS += tests/torture
TESTS += tests/torture
tests_torture_SOURCES = \
	tests/torture.c \
	tests/torture-audit.c \
	tests/torture-audit.h \
	tests/torture-shared.h \
	tests/torture-worker.c
tests_torture_LDADD = lib/libshmheap.la

TORTURE_LONG_KILLS = 10000

.PHONY: torture-long
torture-long: tests/torture$(EXEEXT)
	$(AM_V_at)TORTURE_KILLS=$(TORTURE_LONG_KILLS) ./tests/torture$(EXEEXT)

# The same torture over a file heap (TORTURE_HEAP=file:PATH); `make
# torture-file` runs it alone, with TORTURE_KILLS kills if given.
TESTS += tests/torture-file.sh
EXTRA_DIST += tests/torture-file.sh
.PHONY: torture-file
torture-file: tests/torture$(EXEEXT)
	$(AM_V_at)$(SHELL) $(srcdir)/tests/torture-file.sh
# The same torture on cached heaps (SHMHEAP_CACHED), 200 kills in `make check`;
# `make torture-long` runs 10,000 on both kinds.
TESTS += tests/torture-cached.sh
EXTRA_DIST += tests/torture-cached.sh
torture-long: torture-long-cached
.PHONY: torture-long-cached
torture-long-cached: tests/torture$(EXEEXT)
	$(AM_V_at)TORTURE_CACHED=1 TORTURE_KILLS=$(TORTURE_LONG_KILLS) ./tests/torture$(EXEEXT)
