#!/bin/sh
# Exercise 4: shmheap-ex3 --grow on a heap that must grow far beyond its
# initial size; every run validated by tests/ex3-check.
. "${srcdir:-.}/tests/runners-lib.sh"

# Exercise 4: a growable heap, allocations far beyond the initial size.
./tests/runners-gen -3 -s 21 -n 400 -p 8 -k 8 -b 512 -z 1024 -S 4096 >"$tmp/in" ||
	die "runners-gen failed"
total=$(awk '{ n = split($0, c, "|"); for (i = 1; i <= n; i++) { split(c[i], f, " ");
	if (f[1] == 3) t += 8 * f[4] } } END { print t }' "$tmp/in")
[ "$total" -gt $((100 * 4096)) ] || die "grow trace allocates only $total bytes"
check_run "grow" --no-fail --grow
max=$(sed -n 's/.*Allocated at offset \([0-9]*\):.*/\1/p' "$tmp/out" | sort -n | tail -n 1)
[ "$max" -gt 4096 ] || die "grow: the heap never grew (highest offset $max)"
check_run "grow=16M" --no-fail --grow=16M
exit 0
