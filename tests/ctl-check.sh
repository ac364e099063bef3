#!/bin/sh
# shmheap-ctl check: sound and damaged heaps, a busy lock and a dead lock
# owner (checked without the lock, saying so), and never a write.
. "$(dirname "$0")/ctl-lib.sh"

# The heap as check leaves it must equal the heap before, except the lock
# word that taking the lock necessarily writes (the mutex is the header's
# first 40 bytes).
same_heap() {
	cmp -s -i 40 "$TMP/before" "/dev/shm/${1#/}" && pass "$2: heap unchanged" || fail "$2: check changed the heap"
}
snapshot() {
	cp "/dev/shm/${1#/}" "$TMP/before"
}

make_heap "$P-a" && "$MAKER" fill "$P-a" || exit 99
snapshot "$P-a"
run "$CTL" check "$P-a"
expect_rc 0 "check of a sound heap"
expect_eq "$(cat "$TMP/out")" "$P-a: sound" "check output"
same_heap "$P-a" "check of a sound heap"
run "$CTL" check --json "$P-a"
expect_json "check --json"
expect_eq "$(json name sound read_under_lock note problems.# | tr '\n' ' ')" "$P-a true true null 0 " "check --json"

# A live block's tag damaged.
"$MAKER" corrupt-tag "$P-a" || exit 99
snapshot "$P-a"
run "$CTL" check "$P-a"
expect_rc 1 "check of a damaged tag"
grep -q "^$P-a: offset $FIRST_BLOCK: live block's tag is wrong$" "$TMP/out" || fail "check names the tag problem: $(cat "$TMP/out")"
expect_eq "$(tail -n 1 "$TMP/out")" "$P-a: 1 problem" "check counts the problems"
same_heap "$P-a" "check of a damaged tag"
run "$CTL" check --json "$P-a"
expect_rc 1 "check --json of a damaged tag"
expect_json "check --json of a damaged tag"
expect_eq "$(json sound problems.# problems.0.offset problems.0.problem | tr '\n' ' ')" \
	"false 1 $FIRST_BLOCK live block's tag is wrong " "check --json problems"

# Blocks that do not tile the heap.
make_heap "$P-chain" && "$MAKER" fill "$P-chain" && "$MAKER" corrupt-chain "$P-chain" || exit 99
snapshot "$P-chain"
run "$CTL" check "$P-chain"
expect_rc 1 "check of a broken chain"
grep -q "^$P-chain: offset $FIRST_BLOCK: .*tile" "$TMP/out" || fail "check names the chain problem: $(cat "$TMP/out")"
same_heap "$P-chain" "check of a broken chain"

# Damaged headers: refused in one line, status 1.
make_heap "$P-magic" && "$MAKER" corrupt-magic "$P-magic" || exit 99
run "$CTL" check "$P-magic"
expect_rc 3 "check of a heap with a bad magic number (no heap to check)"
expect_err_line "^shmheap-ctl: $P-magic: not a shmheap (no heap header, or truncated)$" "check of a bad magic number"
make_heap "$P-size" && "$MAKER" corrupt-size "$P-size" || exit 99
run "$CTL" check "$P-size"
expect_rc 1 "check of a header claiming more pages than there are"
expect_err_line "^shmheap-ctl: $P-size: corrupted heap header$" "check of an oversized header"

# A lock a live process holds: checked without it, with a note.
make_heap "$P-locked" && "$MAKER" fill "$P-locked" || exit 99
start locker lock "$P-locked"
snapshot "$P-locked"
run "$CTL" check --timeout 100 "$P-locked"
expect_rc 0 "check of a sound heap whose lock is busy"
expect_err_line "^shmheap-ctl: $P-locked: lock held by pid $locker, not taken within 100 ms; checked without the lock, so the result may be torn$" \
	"check says it could not take the lock"
expect_eq "$(cat "$TMP/out")" "$P-locked: sound" "check output without the lock"
same_heap "$P-locked" "check without the lock"
run "$CTL" check --json --timeout 100 "$P-locked"
expect_json "check --json without the lock"
expect_eq "$(json sound read_under_lock | tr '\n' ' ')" "true false " "check --json without the lock"
case $(json note) in
"lock held by pid $locker"*) pass "check --json note" ;;
*) fail "check --json note: $(json note)" ;;
esac

# A lock owner that died: not repaired (that is a write), checked without it.
make_heap "$P-dead" && "$MAKER" fill "$P-dead" || exit 99
dead=$("$MAKER" dead "$P-dead") || exit 99
snapshot "$P-dead"
run "$CTL" check "$P-dead"
expect_rc 0 "check of a heap whose lock owner died"
expect_err_line "^shmheap-ctl: $P-dead: lock owner pid $dead died.*checked without the lock, so the result may be torn$" \
	"check says the lock owner died"
cmp -s "$TMP/before" "/dev/shm/${P#/}-dead" && pass "check left the dead owner's heap byte for byte" ||
	fail "check changed the dead owner's heap (lock word included)"
run "$CTL" inspect --json "$P-dead"
expect_eq "$(json lock.state)" "owner-dead" "check did not repair the heap"

# A heap marked damaged by a call that met damage: list, inspect and check
# say so; nothing connects to it any more.
make_heap "$P-marked" || exit 99
"$MAKER" mark-damaged "$P-marked"
case $? in
0)
	run "$CTL" list --json
	expect_eq "$(json "heaps.name=$P-marked.status")" "damaged" "list of a marked heap"
	run "$CTL" inspect --json "$P-marked"
	expect_rc 1 "inspect of a marked heap (its damaged block breaks the chain)"
	expect_eq "$(json damaged)" "true" "inspect --json of a marked heap"
	run "$CTL" inspect "$P-marked"
	grep -q '^damaged: ' "$TMP/out" || fail "inspect damaged line: $(cat "$TMP/out")"
	run "$CTL" check "$P-marked"
	expect_rc 1 "check of a marked heap"
	grep -q "heap marked damaged" "$TMP/out" || fail "check names the mark: $(cat "$TMP/out")"
	run "$CTL" inspect --json "$P-a"
	expect_eq "$(json damaged)" "false" "inspect --json of a sound heap"
	;;
77) skip_part "a debug build's calls abort on damage: no heap gets marked" ;;
*) fail "mark-damaged: the heap was not marked" ;;
esac

# Usage.
run "$CTL" check
expect_rc 2 "check without a name"
expect_err_line "check: missing heap name" "check without a name"
run "$CTL" check "$P-a" "$P-chain"
expect_rc 2 "check of two heaps"
run "$CTL" check --timeout 0 "$P-a"
expect_rc 2 "check --timeout 0"
expect_err_line "timeout wants milliseconds" "check --timeout 0"
run "$CTL" check --timeout "$P-a"
expect_rc 2 "check --timeout without a number"
finish
