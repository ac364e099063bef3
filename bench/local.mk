# Benchmarks: libshmheap against Boost.Interprocess, APR rmm and glibc malloc.
# Not built by `make` or `make check`: `make bench` builds and runs them and
# keeps the output in bench/results/ of the build tree (see bench/RESULTS.md).
# BENCH_QUICK=1 makes a short smoke run; BENCH_ARGS passes options to shmbench.
EXTRA_PROGRAMS = bench/shmbench bench/lockprobe
CLEANFILES += bench/shmbench$(EXEEXT) bench/lockprobe$(EXEEXT)

bench_shmbench_SOURCES = \
	bench/bench.h \
	bench/driver.c \
	bench/ops.c \
	bench/report.c \
	bench/report.h \
	bench/shm.c \
	bench/timing.c \
	bench/workloads.c \
	bench/alloc_glibc.c \
	bench/alloc_shmheap.c \
	bench/alloc_pages.c
# Tail latency (p50/p99/p99.9 per pair with 2 processes): shmbench -w tail.
bench_shmbench_SOURCES += bench/tail.c
# The forked workers of W3 and the tail probe: ready, start, exit status.
bench_shmbench_SOURCES += bench/spawn.c
bench_shmbench_CPPFLAGS = $(AM_CPPFLAGS)
# libshmheap over its other backings (-a shmheap-file,shmheap-anon).
bench_shmbench_SOURCES += bench/alloc_backings.c
bench_shmbench_CFLAGS = $(AM_CFLAGS) -O2
bench_shmbench_CXXFLAGS = -O2 -Wall -Wextra
bench_shmbench_LDADD = lib/libshmheap.la
# -no-install: a real executable that finds the library of this build tree,
# not an installed one, also when run directly under perf or valgrind.
bench_shmbench_LDFLAGS = $(AM_LDFLAGS) -no-install

# Light contention: how long calls wait when they only now and then find the
# lock taken (see bench/RESULTS.md); `make bench/lockprobe` builds it.
bench_lockprobe_SOURCES = bench/lockprobe.c bench/timing.c bench/bench.h
bench_lockprobe_CPPFLAGS = $(AM_CPPFLAGS)
bench_lockprobe_CFLAGS = $(AM_CFLAGS) -O2
bench_lockprobe_LDADD = lib/libshmheap.la
bench_lockprobe_LDFLAGS = $(AM_LDFLAGS) -no-install

# Growth of a large heap: what a 4 KiB growth of a 2 GiB heap costs;
# `make bench/growprobe` builds it.
EXTRA_PROGRAMS += bench/growprobe
CLEANFILES += bench/growprobe$(EXEEXT)
bench_growprobe_SOURCES = bench/growprobe.c bench/timing.c bench/bench.h
bench_growprobe_CPPFLAGS = $(AM_CPPFLAGS)
bench_growprobe_CFLAGS = $(AM_CFLAGS) -O2
bench_growprobe_LDADD = lib/libshmheap.la
bench_growprobe_LDFLAGS = $(AM_LDFLAGS) -no-install

# Connect time from 1 MiB to 2 GiB heaps (issue 33; bench/RESULTS.md);
# W1's loop alone, for counting instructions and misses per pair under
# valgrind (bench/RESULTS.md, 0.6.0); `make bench/w1probe` builds it.
EXTRA_PROGRAMS += bench/w1probe
CLEANFILES += bench/w1probe$(EXEEXT)
bench_w1probe_SOURCES = bench/w1probe.c bench/ops.c bench/timing.c bench/bench.h
bench_w1probe_CPPFLAGS = $(AM_CPPFLAGS)
bench_w1probe_CFLAGS = $(AM_CFLAGS) -O2
bench_w1probe_LDADD = lib/libshmheap.la
bench_w1probe_LDFLAGS = $(AM_LDFLAGS) -no-install

# `make bench/connectbench` builds it.
EXTRA_PROGRAMS += bench/connectbench
CLEANFILES += bench/connectbench$(EXEEXT)
bench_connectbench_SOURCES = bench/connectbench.c bench/timing.c bench/bench.h
bench_connectbench_CPPFLAGS = $(AM_CPPFLAGS)
bench_connectbench_CFLAGS = $(AM_CFLAGS) -O2
bench_connectbench_LDADD = lib/libshmheap.la
bench_connectbench_LDFLAGS = $(AM_LDFLAGS) -no-install

if HAVE_BOOST
bench_shmbench_SOURCES += bench/alloc_boost.cc
bench_shmbench_CPPFLAGS += -DBENCH_HAVE_BOOST
endif
if HAVE_APR
bench_shmbench_SOURCES += bench/alloc_apr.c
bench_shmbench_CPPFLAGS += -DBENCH_HAVE_APR $(APR_CFLAGS)
bench_shmbench_LDADD += $(APR_LIBS)
endif

EXTRA_DIST += bench/RESULTS.md bench/results

BENCH_RESULTS_DIR = bench/results
.PHONY: bench
bench: bench/shmbench$(EXEEXT)
	@mkdir -p $(BENCH_RESULTS_DIR)
	@out=$(BENCH_RESULTS_DIR)/shmbench-$$(date +%Y%m%d-%H%M%S)$$(test "$(BENCH_QUICK)" = 1 && echo -quick).txt; \
	echo "shmbench: writing $$out"; \
	{ BENCH_QUICK=$(BENCH_QUICK) ./bench/shmbench$(EXEEXT) $(BENCH_ARGS) 2>&1; \
	  echo $$? >$$out.rc; } | tee $$out; \
	rc=$$(cat $$out.rc); rm -f $$out.rc; test "$$rc" = 0

# shmheap-pingpong's round trip next to a pipe ping-pong (see bench/RESULTS.md);
# `make bench/pingpong-rtt` builds it.
EXTRA_PROGRAMS += bench/pingpong-rtt
CLEANFILES += bench/pingpong-rtt$(EXEEXT)
bench_pingpong_rtt_SOURCES = bench/pingpong-rtt.c bench/timing.c bench/bench.h
bench_pingpong_rtt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bin
bench_pingpong_rtt_CFLAGS = $(AM_CFLAGS) -O2
bench_pingpong_rtt_LDADD = bin/libdemo.la bin/libtool-util.la lib/libshmheap.la
bench_pingpong_rtt_LDFLAGS = $(AM_LDFLAGS) -no-install

# Queues of handles next to a pipe and Boost.Interprocess's message_queue:
# throughput 1 -> 1 and 2 x 2, and the wake-up of a blocked consumer (issue
# 30; bench/RESULTS.md); `make bench/queuebench` builds it.
EXTRA_PROGRAMS += bench/queuebench
CLEANFILES += bench/queuebench$(EXEEXT)
bench_queuebench_SOURCES = bench/queuebench.c bench/queuebench.h bench/timing.c \
	bench/shm.c bench/bench.h bench/queue_refs.c bench/queue_refs.h
bench_queuebench_CPPFLAGS = $(AM_CPPFLAGS)
bench_queuebench_CFLAGS = $(AM_CFLAGS) -O2
bench_queuebench_CXXFLAGS = -O2 -Wall -Wextra
bench_queuebench_LDADD = lib/libshmheap.la
bench_queuebench_LDFLAGS = $(AM_LDFLAGS) -no-install
if HAVE_BOOST
bench_queuebench_SOURCES += bench/queue_boost.cc
bench_queuebench_CPPFLAGS += -DBENCH_HAVE_BOOST
bench_queuebench_LDADD += -lrt
endif
