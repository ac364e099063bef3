#!/bin/sh
# Throughput of shmheap-ex2 on a large random input (not part of make check):
#   srcdir=SRC sh SRC/tests/runners-bench.sh [COMMANDS [PROCESSES]]
# run from the top build directory after "make check" has built runners-gen.
# Prints commands per second and checks the output against the first-fit model.
. "${srcdir:-.}/tests/runners-lib.sh"

n=${1:-1000000} p=${2:-64}
./tests/runners-gen -s 42 -n "$n" -p "$p" -S 16777216 -b 4096 -z 512 \
	-e "$tmp/want" >"$tmp/in" || die "runners-gen failed"
start=$(date +%s.%N)
run "$tmp/in" "$tmp/out" "$tmp/err" $bin/shmheap-ex2
end=$(date +%s.%N)
[ "$status" -eq 0 ] || die "exit $status: $(cat "$tmp/err")"
cmp "$tmp/want" "$tmp/out" || die "output differs from the first-fit model"
check_no_leftovers "$pid" bench
awk -v n="$n" -v p="$p" -v s="$start" -v e="$end" -v lines="$(wc -l <"$tmp/out")" 'BEGIN {
	printf "%d commands, %d processes: %.2f s, %.0f commands/s (%d output lines, matches the model)\n",
		n, p, e - s, n / (e - s), lines }'
