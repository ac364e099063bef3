#!/bin/sh
# shmheap-ctl among heaps that come and go (issue 28 items 2 and 3): a list
# run while heaps are created and removed says nothing on standard error and
# shows no error rows (an entry that goes away is not listed), and a heap that
# another shmheap-ctl command is reading is removed by unlink, not refused as
# "mapped by" that reader.
. "$(dirname "$0")/ctl-lib.sh"

# A heap only a shmheap-ctl reader maps: the copy of a heap whose lock a child
# holds keeps the lock word (held by that live child), so a reader of the copy
# waits for the lock, mapping the copy, while no other process maps it.
make_heap "$P-held"
start locker lock "$P-held"

# wait_mapping PID NAME: until process PID maps /dev/shm/NAME (at most 10 s).
wait_mapping() {
	i=0
	until grep -q "/dev/shm/${2#/}\$" "/proc/$1/maps" 2>/dev/null || [ $i -ge 1000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	grep -q "/dev/shm/${2#/}\$" "/proc/$1/maps" 2>/dev/null
}

for reader in inspect check; do
	cp "/dev/shm/${P#/}-held" "/dev/shm/${P#/}-copy"
	"$CTL" $reader --timeout 60000 "$P-copy" >/dev/null 2>&1 &
	pid=$!
	CHILDREN="$CHILDREN $pid"
	wait_mapping "$pid" "$P-copy" || fail "$reader did not map the copy"
	# The reader is no user: not in PIDS either.
	run "$CTL" list -J -o name,pids
	expect_eq "$(json "heaps.name=$P-copy.pids.0" | sed 's/^null$/<none>/')" "<none>" \
		"list while $reader reads: PIDS"
	run "$CTL" unlink "$P-copy"
	expect_rc 0 "unlink of a heap that $reader is reading"
	expect_eq "$(cat "$TMP/err")" "" "unlink while $reader reads: standard error"
	[ -e "/dev/shm/${P#/}-copy" ] && fail "the heap $reader was reading is still there"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
# A process of another program that maps the heap still counts.
make_heap "$P-used"
start holder hold "$P-used"
run "$CTL" unlink "$P-used"
expect_rc 1 "unlink of a heap another program maps"
expect_err_line "mapped by pid $holder" "unlink of a heap another program maps"

# Heaps come and go while list runs: two loops create and remove heaps (with
# the tool, whose unlink must not refuse a heap a list is reading).
churn() {
	n=0
	while [ ! -e "$TMP/stop" ]; do
		"$CTL" create "$P-churn$1-$n" 64K 2>>"$TMP/churn-err"
		"$CTL" unlink "$P-churn$1-$n" 2>>"$TMP/churn-err"
		n=$((n + 1))
	done
}
: >"$TMP/churn-err"
churn a &
CHILDREN="$CHILDREN $!"
churn b &
CHILDREN="$CHILDREN $!"
bad=0
runs=0
while [ $runs -lt 60 ]; do
	"$CTL" list --timeout 50 >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$TMP/err" ] || awk '$2 == "error"' "$TMP/out" | grep -q .; then
		bad=$((bad + 1))
		echo "list run $runs: status $rc, stderr: $(cat "$TMP/err")"
		awk '$2 == "error"' "$TMP/out"
	fi
	runs=$((runs + 1))
done
touch "$TMP/stop"
wait
expect_eq "$bad" 0 "list runs among heaps that come and go with a warning or an error row"
expect_eq "$(cat "$TMP/churn-err")" "" "create and unlink beside the list runs"
finish
