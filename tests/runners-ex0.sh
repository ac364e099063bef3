#!/bin/sh
# shmheap-ex0: two children map one new file at the same time, again and again
# (the concurrent create/open is what the exercise is about).
. "${srcdir:-.}/tests/runners-lib.sh"

for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	run /dev/null "$tmp/ex0.out" "$tmp/ex0.err" $bin/shmheap-ex0 4096
	[ "$status" -eq 0 ] || die "run $i: shmheap-ex0 exited $status: $(cat "$tmp/ex0.err")"
	diff -u "$data/ex0_sample.out" "$tmp/ex0.out" || die "run $i: ex0 output differs"
	[ ! -e "${TMPDIR:-/tmp}/shmheap-ex0.$pid" ] || die "run $i: ex0 left its file"
done
run /dev/null "$tmp/ex0.out" "$tmp/ex0.err" $bin/shmheap-ex0 1M
[ "$status" -eq 0 ] || die "1 MiB: shmheap-ex0 exited $status: $(cat "$tmp/ex0.err")"
diff -u "$data/ex0_sample.out" "$tmp/ex0.out" || die "1 MiB: ex0 output differs"
exit 0
