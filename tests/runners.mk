# Tests of the lab runners (bin/runners.mk); shell scripts run from the top
# build directory and share tests/runners-lib.sh.
TESTS += tests/runners-golden.sh tests/runners-ex0.sh tests/runners-model.sh \
	tests/runners-ex3.sh tests/runners-grow.sh tests/runners-badinput.sh tests/runners-signal.sh
# Signals, output and pipes of the runners (issue 14 item 13, issue 15 item 12).
TESTS += tests/runners-signals-all.sh tests/runners-output.sh tests/runners-ex0-planted.sh
EXTRA_DIST += tests/runners-signals-all.sh tests/runners-output.sh tests/runners-ex0-planted.sh

EXTRA_DIST += \
	tests/runners-lib.sh \
	tests/runners-golden.sh \
	tests/runners-ex0.sh \
	tests/runners-model.sh \
	tests/runners-ex3.sh \
	tests/runners-grow.sh \
	tests/runners-badinput.sh \
	tests/runners-signal.sh \
	tests/runners-bench.sh \
	tests/data/README \
	tests/data/ex0_sample.out \
	tests/data/ex1_sample.out \
	tests/data/ex2_sample1.in \
	tests/data/ex2_sample1.out \
	tests/data/ex2_sample1.spec.out \
	tests/data/ex3_sample1.in \
	tests/data/ex3_sample1.out \
	tests/data/ex3_sample1.spec.out

# The ex3 output checker and the random input generator with its first-fit
# model (also used by tests/runners-bench.sh, outside make check).
check_PROGRAMS += tests/ex3-check tests/runners-gen
tests_ex3_check_SOURCES = tests/ex3-check.c
tests_ex3_check_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bin
tests_ex3_check_LDADD = bin/libcmdparse.la
tests_runners_gen_SOURCES = tests/runners-gen.c
tests_runners_gen_LDADD =

# The runners over every backing (--heap): /name, file:, sysv:, anon:.
TESTS += tests/backings-runners.sh
EXTRA_DIST += tests/backings-runners.sh tests/backings-lib.sh
