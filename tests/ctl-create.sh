#!/bin/sh
# shmheap-ctl create: sizes, growth, mode, and its errors.
. "$(dirname "$0")/ctl-lib.sh"

run "$CTL" create "$P-a" 64K
expect_rc 0 "create"
run "$CTL" inspect --json "$P-a"
expect_eq "$(json size max_size growable mode objects | tr '\n' ' ')" "65536 4294967296 true 0600 0 " "create defaults"
run "$CTL" check "$P-a"
expect_rc 0 "a created heap is sound"

run "$CTL" create "$P-fixed" 8192 --no-grow
expect_rc 0 "create --no-grow"
run "$CTL" inspect --json "$P-fixed"
expect_eq "$(json size max_size growable | tr '\n' ' ')" "8192 8192 false " "create --no-grow"

run "$CTL" create --max-size 1M --mode 0640 "$P-max" 16K
expect_rc 0 "create --max-size --mode"
run "$CTL" inspect --json "$P-max"
expect_eq "$(json size max_size growable mode | tr '\n' ' ')" "16384 1048576 true 0640 " "create --max-size --mode"
expect_eq "$(stat -c %a "/dev/shm/${P#/}-max")" 640 "the object's mode"

run "$CTL" create "$P-a" 64K
expect_rc 1 "create of an existing name"
expect_err_line "^shmheap-ctl: $P-a: already exists$" "create of an existing name"

for args in "$P-b" "$P-b 12Q" "$P-b 0" "$P-b 64K --mode 999" "$P-b 64K --mode rw" \
	"$P-b 64K --no-grow --max-size 1M" "$P-b 64K extra" "b 64K" "$P-b 64K --max-size"; do
	# shellcheck disable=SC2086
	run "$CTL" create $args
	expect_rc 2 "create $args"
	expect_err_line "^shmheap-ctl: " "create $args"
done
[ -e "/dev/shm/${P#/}-b" ] && fail "a refused create made the heap"
finish
