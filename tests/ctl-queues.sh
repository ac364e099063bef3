#!/bin/sh
# shmheap-ctl inspect: the queues of a heap's directory with their capacity,
# length and sleeping producers and consumers, plain and --json.
. "$(dirname "$0")/ctl-lib.sh"
QMAKER=${QMAKER:-tests/ctl-queuemaker}

make_heap "$P-q" || exit 99
sleepers=$("$QMAKER" queues "$P-q") && [ -n "$sleepers" ] || exit 99
CHILDREN="$CHILDREN $sleepers"

run "$CTL" inspect "$P-q"
expect_rc 0 "inspect with queues"
grep -q '^queues:$' "$TMP/out" || fail "inspect queues heading: $(cat "$TMP/out")"
grep -q '^  empty  *[0-9][0-9]*  *2  *0  *0  *1$' "$TMP/out" || fail "inspect empty line: $(cat "$TMP/out")"
grep -q '^  full  *[0-9][0-9]*  *1  *1  *1  *0$' "$TMP/out" || fail "inspect full line"
grep -q '^  jobs  *[0-9][0-9]*  *8  *3  *0  *0$' "$TMP/out" || fail "inspect jobs line"
pass "inspect shows the queues"
# The queues' names are names of the directory too (a queue of 8 is 192
# bytes of words and 8 slots).
grep -q '^  jobs  *[0-9][0-9]*  *256$' "$TMP/out" || fail "inspect lists the queue's name: $(cat "$TMP/out")"

run "$CTL" inspect --json "$P-q"
expect_rc 0 "inspect --json with queues"
expect_json "inspect --json with queues"
expect_eq "$(json queues.# queues.0.name queues.0.capacity queues.0.length \
	queues.0.waiting_producers queues.0.waiting_consumers queues.1.name \
	queues.1.waiting_producers queues.2.name queues.2.length | tr '\n' ' ')" \
	"3 empty 2 0 0 1 full 1 jobs 3 " "inspect --json queues"

run "$CTL" check "$P-q"
expect_rc 0 "check with queues"

# map draws the queues as the library's own blocks: the directory's record
# and table, three name entries and three queues; the 4 objects queued and
# the one the sleeping producer would push are objects.
run "$CTL" map --width 40 "$P-q"
expect_rc 0 "map with queues"
grep -q '^  L library.s own  *[0-9][0-9]* bytes in 8 blocks (cache table, names, queues)$' "$TMP/out" ||
	fail "map counts the queues as the library's: $(cat "$TMP/out")"
grep -q '^  # used  *[0-9][0-9]* bytes in 5 objects$' "$TMP/out" ||
	fail "map counts the handles queued as objects: $(cat "$TMP/out")"

# Destroyed, the queues go, and their sleepers with them (EIDRM: status 0).
"$QMAKER" destroy "$P-q" || fail "destroy the queues"
for pid in $sleepers; do
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 1000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	kill -0 "$pid" 2>/dev/null && fail "sleeper $pid still sleeps after the destroy"
done
run "$CTL" inspect "$P-q"
expect_rc 0 "inspect after the destroy"
grep -q '^  no queues$' "$TMP/out" || fail "inspect no queues line: $(cat "$TMP/out")"
run "$CTL" inspect --json "$P-q"
expect_eq "$(json queues.#)" "0" "inspect --json without queues"
run "$CTL" check "$P-q"
expect_rc 0 "check after the destroy"

finish
