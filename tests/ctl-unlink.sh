#!/bin/sh
# shmheap-ctl unlink: removes heaps; refuses a non-heap and a mapped heap
# unless --force; checks every name before removing anything.
. "$(dirname "$0")/ctl-lib.sh"

exists() { [ -e "/dev/shm/${1#/}" ]; }

make_heap "$P-a"
run "$CTL" unlink "$P-a"
expect_rc 0 "unlink of an unused heap"
exists "$P-a" && fail "the heap is still there"

printf 'not a heap' >"/dev/shm/${P#/}-other"
run "$CTL" unlink "$P-other"
expect_rc 1 "unlink of a non-heap"
expect_err_line "^shmheap-ctl: $P-other: not a shmheap (no heap header, or truncated); not removed (--force removes it anyway)$" "unlink of a non-heap"
exists "$P-other" || fail "the non-heap was removed"
run "$CTL" unlink --force "$P-other"
expect_rc 0 "unlink --force of a non-heap"
exists "$P-other" && fail "unlink --force left the non-heap"

make_heap "$P-held"
start child hold "$P-held"
run "$CTL" unlink "$P-held"
expect_rc 1 "unlink of a mapped heap"
grep -q "^shmheap-ctl: $P-held: mapped by pid $child; not removed (--force removes it anyway)$" "$TMP/err" ||
	fail "unlink names the mapping process: $(cat "$TMP/err")"
exists "$P-held" || fail "the mapped heap was removed"
stop "$child"
run "$CTL" unlink "$P-held"
expect_rc 0 "unlink once the process is gone"
exists "$P-held" && fail "the heap is still there"

make_heap "$P-held2"
start child hold "$P-held2"
run "$CTL" unlink -f "$P-held2"
expect_rc 0 "unlink --force of a mapped heap"
exists "$P-held2" && fail "unlink --force left the mapped heap"

# A heap whose header is damaged is still a heap: removed when unused.
make_heap "$P-bad" && "$MAKER" corrupt-size "$P-bad" || exit 99
run "$CTL" unlink "$P-bad"
expect_rc 0 "unlink of a heap with a damaged header"
exists "$P-bad" && fail "the damaged heap is still there"

# Several names: each is handled, the status says one failed.
make_heap "$P-b"
printf 'x' >"/dev/shm/${P#/}-other"
run "$CTL" unlink "$P-b" "$P-other" "$P-missing"
expect_rc 1 "unlink of a heap, a non-heap and a missing name"
exists "$P-b" && fail "the heap among bad names was not removed"
exists "$P-other" || fail "the non-heap among the names was removed"
grep -q "^shmheap-ctl: $P-missing: no such shared-memory object$" "$TMP/err" || fail "unlink of a missing name: $(cat "$TMP/err")"
expect_eq "$(wc -l <"$TMP/err")" 2 "one line per refused name"

# A malformed name among them: nothing is removed.
make_heap "$P-c"
run "$CTL" unlink "$P-c" "no-slash"
expect_rc 2 "unlink with a malformed name"
expect_err_line "^shmheap-ctl: no-slash: a heap name starts with '/'$" "unlink with a malformed name"
exists "$P-c" || fail "unlink removed a heap despite a malformed name"
run "$CTL" unlink
expect_rc 2 "unlink without a name"
expect_err_line "unlink: missing heap name" "unlink without a name"
finish
