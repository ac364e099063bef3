# Fuzz targets over heap images and the runners' input parser (tests/fuzz/).
#
# `make check` replays the stored corpora and regression inputs through both
# targets with the ordinary compiler (tests/fuzz/replay.c), so every finding
# that was fixed stays fixed.  Fuzzing itself needs clang with libFuzzer and
# is opt-in, outside configure:
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_CC=clang]   (or tests/fuzz/run.sh, .ci/fuzz)
FUZZ_CC = clang
FUZZ_SECONDS = 60

check_PROGRAMS += tests/fuzz/replay-heap tests/fuzz/replay-cmdparse
TESTS += tests/fuzz/replay-heap tests/fuzz/replay-cmdparse

tests_fuzz_replay_heap_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-heap.c
tests_fuzz_replay_heap_CPPFLAGS = $(AM_CPPFLAGS) \
	-DREPLAY_DIRS='"$(abs_top_srcdir)/tests/fuzz/corpus-heap $(abs_top_srcdir)/tests/fuzz/regressions/heap"'
tests_fuzz_replay_heap_LDADD = lib/libshmheap.la

tests_fuzz_replay_cmdparse_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-cmdparse.c
tests_fuzz_replay_cmdparse_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bin \
	-DREPLAY_DIRS='"$(abs_top_srcdir)/tests/fuzz/corpus-cmdparse $(abs_top_srcdir)/tests/fuzz/regressions/cmdparse"'
tests_fuzz_replay_cmdparse_LDADD = bin/libcmdparse.la

EXTRA_DIST += \
	tests/fuzz/Makefile \
	tests/fuzz/run.sh \
	tests/fuzz/mkcorpus.c \
	tests/fuzz/corpus-heap \
	tests/fuzz/corpus-cmdparse \
	tests/fuzz/regressions

.PHONY: fuzz
fuzz:
	FUZZ_CC='$(FUZZ_CC)' $(SHELL) $(top_srcdir)/tests/fuzz/run.sh $(FUZZ_SECONDS) \
		$(abs_top_builddir)/tests/fuzz/build
