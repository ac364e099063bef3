#!/bin/sh
# shmheap-ctl create with sizes that are not page multiples: rounded up, and
# said so; sizes no heap can have are refused with the real reason.
. "$(dirname "$0")/ctl-lib.sh"

page=$(getconf PAGESIZE)
[ "$page" -ge 4096 ] || page=4096
up() { echo $(( ($1 + page - 1) / page * page )); }

# The lab's grader asks for (32 + 16) * N * 2 + 80 + 1024 bytes: 1296 for N = 2.
for size in 1K 1296 88 $((page + 1)); do
	case $size in 1K) bytes=1024 ;; *) bytes=$size ;; esac
	run "$CTL" create "$P-r" "$size"
	expect_rc 0 "create $size"
	expect_err_line "^shmheap-ctl: $P-r: size $bytes rounded up to $(up "$bytes") bytes (a whole number of pages)$" \
		"create $size says it rounded"
	run "$CTL" inspect --json "$P-r"
	expect_eq "$(json size | tr '\n' ' ')" "$(up "$bytes") " "create $size: size"
	run "$CTL" unlink "$P-r"
done

# A page multiple is taken as it is, silently.
run "$CTL" create "$P-p" "$page"
expect_rc 0 "create $page"
expect_eq "$(cat "$TMP/err")" "" "create $page prints nothing"

# --max-size is rounded up the same way, and said so.
run "$CTL" create --max-size 100000 "$P-m" 5000
expect_rc 0 "create 5000 --max-size 100000"
[ "$(wc -l <"$TMP/err")" -eq 2 ] || fail "two rounding notes expected: $(cat "$TMP/err")"
grep -q "^shmheap-ctl: $P-m: --max-size 100000 rounded up to $(up 100000) bytes" "$TMP/err" ||
	fail "no note on --max-size: $(cat "$TMP/err")"
run "$CTL" inspect --json "$P-m"
expect_eq "$(json size max_size | tr '\n' ' ')" "$(up 5000) $(up 100000) " "create 5000 --max-size 100000"

# Sizes that really fail, each with its reason; nothing is created.
run "$CTL" create "$P-b" 87
expect_rc 2 "create 87"
expect_err_line "^shmheap-ctl: $P-b: size 87 is too small: a heap needs at least 88 bytes$" "create 87"
run "$CTL" create "$P-b" 33G
expect_rc 2 "create 33G"
expect_err_line "^shmheap-ctl: $P-b: size 35433480192 is larger than the largest heap, 34359738368 bytes (32 GiB)$" \
	"create 33G"
run "$CTL" create --max-size 40G "$P-b" 64K
expect_rc 2 "create --max-size 40G"
expect_err_line "^shmheap-ctl: $P-b: --max-size 42949672960 is larger than the largest heap" "create --max-size 40G"
run "$CTL" create --max-size 8K "$P-b" 64K
expect_rc 2 "create --max-size below the size"
expect_err_line "^shmheap-ctl: $P-b: --max-size 8192 is smaller than the size 65536$" \
	"create --max-size below the size"
[ -e "/dev/shm/${P#/}-b" ] && fail "a refused create made the heap"
finish
