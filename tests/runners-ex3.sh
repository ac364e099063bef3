#!/bin/sh
# shmheap-ex3 on random traces, each run validated by tests/ex3-check.
. "${srcdir:-.}/tests/runners-lib.sh"

# seed procs per-line objects maxcount lines (maxcount: size_t values)
while read -r seed p k b z n; do
	./tests/runners-gen -3 -s "$seed" -n "$n" -p "$p" -k "$k" -b "$b" -z "$z" \
		-S "$(safe_heap_size "$b" "$z")" >"$tmp/in" || die "runners-gen failed"
	check_run "seed $seed" --no-fail
done <<'TRACES'
11 4 2 32 32 500
12 6 6 64 128 500
13 16 16 256 64 400
14 16 16 1024 8 400
15 16 16 64 1024 300
16 32 8 128 32 400
TRACES

# A fixed heap too small for the trace: failures are reported, the run goes on.
printf '4 4096 8\n0 0 | 0 1 | 0 2 | 0 3\n3 0 0 250 | 3 1 1 250 | 3 2 2 250 | 3 3 3 250\n' >"$tmp/in"
check_run "fixed heap" ""
grep -q "Allocation of 2000 bytes failed: Cannot allocate memory" "$tmp/out" ||
	die "fixed heap: no allocation failed"

exit 0
