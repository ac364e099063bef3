# Tests of the lab runners (bin/runners.mk); shell scripts run from the top
# build directory and share tests/runners-lib.sh.
TESTS += tests/runners-golden.sh tests/runners-ex0.sh
EXTRA_DIST += \
	tests/runners-lib.sh \
	tests/runners-golden.sh \
	tests/runners-ex0.sh \
	tests/data/README \
	tests/data/ex0_sample.out \
	tests/data/ex1_sample.out \
	tests/data/ex2_sample1.in \
	tests/data/ex2_sample1.out \
	tests/data/ex2_sample1.spec.out \
	tests/data/ex3_sample1.in \
	tests/data/ex3_sample1.out \
	tests/data/ex3_sample1.spec.out
