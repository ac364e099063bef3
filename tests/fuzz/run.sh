#!/bin/sh
# Builds the fuzz targets and runs each for a bounded time.
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [BUILD_DIR]
# Defaults: 60 s, ${TMPDIR:-/tmp}/shmheap-fuzz-$USER.  FUZZ_CC (default clang)
# must support -fsanitize=fuzzer (Debian: clang and libclang-rt-dev).  New
# corpus entries go to the build directory, not the repository; a finding
# (crash, sanitizer report, timeout, leak) fails the run and leaves its input
# there as crash-* / timeout-* / leak-*.
set -eu
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${2:-${TMPDIR:-/tmp}/shmheap-fuzz-$(id -u)}
mkdir -p "$out"
make -s -f "$here/Makefile" top_srcdir="$top" O="$out" FUZZ_CC="${FUZZ_CC:-clang}"

status=0
for target in heap cmdparse; do
	work="$out/corpus-$target"
	mkdir -p "$work"
	seeds="$here/corpus-$target"
	[ -d "$here/regressions/$target" ] && seeds="$seeds $here/regressions/$target"
	echo "== fuzz-$target for $seconds s"
	# -timeout: one input taking this long is a hang.  Findings are
	# written to $out (artifact_prefix); the log keeps the statistics.
	# shellcheck disable=SC2086
	if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "./fuzz-$target" \
		-max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$out/" \
		"$work" $seeds >"$out/fuzz-$target.log" 2>&1); then
		echo "fuzz-$target: FINDING (see $out/fuzz-$target.log)" >&2
		grep -A30 -m1 "ERROR\|oracle broken\|deadly signal" "$out/fuzz-$target.log" >&2 || true
		status=1
	fi
	grep "stat::number_of_executed_units\|stat::new_units_added" "$out/fuzz-$target.log" || true
done
# The heap target names its object after its pid; one left means it died.
for f in /dev/shm/shmheap-fuzz-*; do
	[ -e "$f" ] || continue
	pid=${f##*-}
	kill -0 "$pid" 2>/dev/null || rm -f "$f"
done
exit $status
