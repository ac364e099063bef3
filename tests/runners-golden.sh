#!/bin/sh
# The runners on the lab specification's samples (see tests/data/README).
. "${srcdir:-.}/tests/runners-lib.sh"

# Exercise 2 is deterministic: the output must match exactly.
run "$data/ex2_sample1.in" "$tmp/ex2.out" "$tmp/ex2.err" $bin/shmheap-ex2
[ "$status" -eq 0 ] || die "shmheap-ex2 exited $status: $(cat "$tmp/ex2.err")"
diff -u "$data/ex2_sample1.out" "$tmp/ex2.out" || die "ex2 sample output differs"
[ ! -s "$tmp/ex2.err" ] || die "ex2 wrote to stderr"
check_no_leftovers "$pid" ex2

# shift N FILE: FILE with every offset N smaller.
shift_offsets() {
	awk -v n="$1" '{ for (i = 2; i <= NF; i++)
			if ($(i-1) == "offset" || $(i-1) == "offset:") {
				colon = sub(/:$/, "", $i); $i = ($i - n) (colon ? ":" : "")
			}
		print }' "$2"
}

# The specification's ex2 sample puts its first object at 16, ours is at
# FIRST_OBJECT: its output is ours with every offset shifted by the difference,
# and nothing else different (n counts size_t values in both).
shift=$((FIRST_OBJECT - 16))
shift_offsets $shift "$tmp/ex2.out" |
	diff -u "$data/ex2_sample1.spec.out" - || die "ex2 spec output is not ours shifted by $shift"
# Its ex3 sample (first object at 56) is the recorded run, shifted likewise.
shift=$((FIRST_OBJECT - 56))
shift_offsets $shift "$data/ex3_sample1.out" |
	diff -u "$data/ex3_sample1.spec.out" - || die "ex3 spec output is not ours shifted by $shift"

# Exercise 1: one line per reader, each with a distinct child pid.
run /dev/null "$tmp/ex1.out" "$tmp/ex1.err" $bin/shmheap-ex1 10
[ "$status" -eq 0 ] || die "shmheap-ex1 exited $status: $(cat "$tmp/ex1.err")"
sed -E 's/pid = [0-9]+/pid = N/' "$data/ex1_sample.out" >"$tmp/ex1.want"
sed -E 's/pid = [0-9]+/pid = N/' "$tmp/ex1.out" | diff -u "$tmp/ex1.want" - ||
	die "ex1 output differs"
[ "$(sed -E 's/.*pid = ([0-9]+).*/\1/' "$tmp/ex1.out" | sort -u | grep -vx "$pid" | wc -l)" -eq 10 ] ||
	die "ex1 readers are not 10 distinct processes"
check_no_leftovers "$pid" ex1

# Exercise 3: any correct run passes the checker.
if [ -x ./tests/ex3-check ]; then
	for i in 1 2 3; do
		run "$data/ex3_sample1.in" "$tmp/ex3.out" "$tmp/ex3.err" $bin/shmheap-ex3
		[ "$status" -eq 0 ] || die "shmheap-ex3 exited $status: $(cat "$tmp/ex3.err")"
		./tests/ex3-check "$data/ex3_sample1.in" "$tmp/ex3.out" || die "ex3 run $i rejected"
		check_no_leftovers "$pid" ex3
	done
	./tests/ex3-check "$data/ex3_sample1.in" "$data/ex3_sample1.out" ||
		die "the sample output of ex3 is rejected"
fi
exit 0
