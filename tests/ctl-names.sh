#!/bin/sh
# shmheap-ctl inspect: the names of a heap's directory with their objects'
# offsets and sizes, plain and --json, and a damaged directory.
. "$(dirname "$0")/ctl-lib.sh"
NAMER=${NAMER:-tests/ctl-namemaker}

make_heap "$P-n" && "$NAMER" names "$P-n" || exit 99

run "$CTL" inspect "$P-n"
expect_rc 0 "inspect with names"
grep -q '^names:$' "$TMP/out" || fail "inspect names heading: $(cat "$TMP/out")"
# config is the first object (104 bytes), queue/one the next.
config=$FIRST_OBJECT queue=$((FIRST_OBJECT + 104 + BLOCK_SPACE))
grep -q "^  config  *$config  *104\$" "$TMP/out" || fail "inspect config line: $(cat "$TMP/out")"
grep -q "^  queue/one  *$queue  *24\$" "$TMP/out" || fail "inspect queue/one line"
grep -q "^  odd\\\\x09name  *$queue  *24\$" "$TMP/out" || fail "inspect odd name line"
grep -q '^  stale  *[0-9][0-9]*  *-$' "$TMP/out" || fail "inspect stale name line"
pass "inspect shows the names"
# Two objects; the directory's record, its table and four entries are the
# library's own blocks, not objects.
grep -q '^objects: *2 ' "$TMP/out" || fail "inspect objects line with names: $(cat "$TMP/out")"
grep -q '^library: *[0-9][0-9]* bytes in 6 blocks ' "$TMP/out" || fail "inspect library line: $(cat "$TMP/out")"

run "$CTL" inspect --json "$P-n"
expect_rc 0 "inspect --json with names"
expect_json "inspect --json with names"
expect_eq "$(json names.# names.0.name names.0.offset names.0.size names.1.name names.3.name \
	names.3.size names_damaged | tr '\n' ' ')" \
	"4 config $config 104 odd	name stale null false " "inspect --json names"
expect_eq "$(json objects used_bytes library_blocks | tr '\n' ' ')" "2 128 6 " \
	"inspect --json counts the library's blocks apart"
run "$CTL" list --json
expect_eq "$(json "heaps.name=$P-n.objects")" "2" "list counts objects only"

run "$CTL" check "$P-n"
expect_rc 0 "check with names"

# A heap without names shows none.
make_heap "$P-e" || exit 99
run "$CTL" inspect "$P-e"
expect_rc 0 "inspect without names"
grep -q '^  no names$' "$TMP/out" || fail "inspect no names line"
run "$CTL" inspect --json "$P-e"
expect_eq "$(json names.#)" "0" "inspect --json without names"

"$NAMER" damage "$P-n" || exit 99
run "$CTL" check "$P-n"
expect_rc 1 "check finds the damaged directory"
grep -q 'names table slot' "$TMP/out" "$TMP/err" || fail "check names the table: $(cat "$TMP/out" "$TMP/err")"
run "$CTL" inspect "$P-n"
expect_rc 1 "inspect of a damaged directory"

finish
