#!/bin/sh
# shmheap-ctl inspect: header, lock states, fragmentation, histogram, blocks,
# and a heap whose block chain is broken.
. "$(dirname "$0")/ctl-lib.sh"

make_heap "$P-a" && "$MAKER" fill "$P-a" || exit 99
start child hold "$P-a"

run "$CTL" inspect "$P-a"
expect_rc 0 "inspect"
grep -q "^objects: *16 " "$TMP/out" || fail "inspect objects line: $(cat "$TMP/out")"
grep -q "^lock: *free$" "$TMP/out" || fail "inspect lock line"
grep -q "^mapped by: *$child$" "$TMP/out" || fail "inspect mapped-by line"
grep -q "^max size: *4294967296 bytes, grows on demand$" "$TMP/out" || fail "inspect max size line"
grep -q "^  4096-8191  *1  *5000$" "$TMP/out" || fail "inspect histogram line"
expect_eq "$(grep -c '^  [0-9]*-[0-9]* ' "$TMP/out")" 10 "histogram buckets from 8 to 8191"

grep -q "^free: *[0-9]* bytes in 4 blocks$" "$TMP/out" || fail "inspect free line"
# One free block is "1 block".
make_heap "$P-one"
run "$CTL" inspect "$P-one"
grep -q "^free: *[0-9]* bytes in 1 block$" "$TMP/out" || fail "inspect: $(grep '^free:' "$TMP/out")"

run "$CTL" inspect --json "$P-a"
expect_rc 0 "inspect --json"
expect_json "inspect --json"
expect_eq "$(json name version size max_size growable lock.state lock.owner_pid read_under_lock note pids.0 | tr '\n' ' ')" \
	"$P-a 1 65536 4294967296 true free null true null $child " "inspect --json header"
expect_eq "$(json objects used_bytes fragmentation.free_blocks histogram.# | tr '\n' ' ')" \
	"16 6480 4 10 " "inspect --json objects and free blocks"
expect_eq "$(json histogram.0.min histogram.0.max histogram.0.objects histogram.1.objects \
	histogram.2.objects histogram.3.objects histogram.6.objects histogram.9.min histogram.9.objects | tr '\n' ' ')" \
	"8 15 6 5 0 3 1 4096 1 " "inspect --json histogram"
expect_eq "$(json blocks.#)" "<none>" "no blocks without --blocks"

run "$CTL" inspect "$P-a" --blocks --json
expect_json "inspect --blocks --json"
expect_eq "$(json blocks.# blocks.0.offset blocks.0.size blocks.0.state blocks.1.offset blocks.1.state blocks.19.state | tr '\n' ' ')" \
	"20 $FIRST_OBJECT 8 used $((FIRST_OBJECT + 8 + BLOCK_SPACE)) free free " "inspect --blocks --json"
run "$CTL" inspect "$P-a" --blocks
expect_eq "$(awk '/^blocks:/ {b = 1; next} b && $3 == "free"' "$TMP/out" | wc -l)" 4 "inspect --blocks lists the free blocks"

# The free-block index: a map after a new heap (the object less the heap, and
# about 2% of a heap that is not tiny); treaps in the free blocks of a heap of
# the layout of 0.5.0, which the library built for the tests makes.
# index_of NAME: sets size, object and index from --json, line from the text.
index_of() {
	run "$CTL" inspect --json "$1"
	size=$(json size) object=$(json object_size) index=$(json index_size)
	run "$CTL" inspect "$1"
	line=$(grep '^index: ' "$TMP/out")
}
index_of "$P-a"
expect_eq "$index" "$((object - size))" "inspect --json index_size: the object less the heap"
[ "$index" -gt 0 ] || fail "inspect --json index_size of a new heap: $index"
expect_eq "$line" "index:          a map after the heap, $index bytes ($(((index * 100 + size / 2) / size))% of the heap)" \
	"inspect index line of a new heap"
"$CTL" create "$P-big" 16M || exit 99
index_of "$P-big"
expect_eq "$size" 16777216 "the 16 MiB heap's size"
expect_eq "$line" "index:          a map after the heap, $index bytes (2% of the heap)" \
	"inspect index line of a 16 MiB heap"
tests/ctl-treapmaker "$P-treap" 65536 || exit 99
index_of "$P-treap"
expect_eq "$index $object" "0 $size" "inspect --json index_size of a heap with treaps"
expect_eq "$line" "index:          treaps in the free blocks (a heap made by 0.5.0 or earlier)" \
	"inspect index line of a heap with treaps"

# A heap whose lock owner died: shown with the dead pid, read without the lock,
# and left for its next user to repair.
make_heap "$P-dead"
dead=$("$MAKER" dead "$P-dead") || exit 99
run "$CTL" inspect "$P-dead" --json
expect_rc 0 "inspect of a heap whose lock owner died"
expect_json "inspect --json, dead owner"
expect_eq "$(json lock.state lock.owner_pid read_under_lock | tr '\n' ' ')" "owner-dead $dead false " "inspect --json dead owner"
expect_err_line "$P-dead: lock owner pid $dead died.*torn" "inspect warns about the dead owner"
run "$CTL" inspect "$P-dead"
grep -q "^lock: *owner pid $dead died holding it" "$TMP/out" || fail "inspect plain dead owner: $(cat "$TMP/out")"
run "$CTL" inspect "$P-dead" --json
expect_eq "$(json lock.state)" "owner-dead" "inspect did not repair the heap"

# A heap whose lock a live process holds.
make_heap "$P-locked"
start locker lock "$P-locked"
run "$CTL" inspect "$P-locked" --json --timeout 50
expect_rc 0 "inspect of a locked heap"
expect_eq "$(json lock.state lock.owner_pid read_under_lock objects | tr '\n' ' ')" "held $locker false 0 " "inspect --json held lock"
expect_err_line "lock held by pid $locker, not taken within 50 ms" "inspect warns about the busy lock"

# A broken block chain: what precedes the break, its offset, status 1.
make_heap "$P-broken" && "$MAKER" fill "$P-broken" && "$MAKER" corrupt-chain "$P-broken" || exit 99
run "$CTL" inspect "$P-broken" --json --blocks
expect_rc 1 "inspect of a broken chain"
expect_json "inspect --json of a broken chain"
expect_eq "$(json chain_broken_at blocks.# | tr '\n' ' ')" "$FIRST_BLOCK 0 " "inspect --json names the break"
expect_err_line "$P-broken: block chain broken at offset $FIRST_BLOCK" "inspect of a broken chain"
finish
