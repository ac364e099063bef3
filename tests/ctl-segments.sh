#!/bin/sh
# shmheap-ctl segments: id, size, attach count and the attached processes of
# the namespace's segments, plain and JSON.
. "$(dirname "$0")/shmseg-lib.sh"

run "$CTL" segments
expect_rc 0 "segments of an empty namespace"
expect_eq "$(cat "$TMP/out")" "namespace $SHMHEAP_SEGMENTS: 0 segments" "segments of an empty namespace"
run "$CTL" segments --json
expect_eq "$("$JSON" namespace segments.# <"$TMP/out" | tr '\n' ' ')" "$SHMHEAP_SEGMENTS 0 " \
	"segments --json of an empty namespace"

# A pingpong holds one 8 KiB segment, attached by the parent and the child.
: >"$TMP/bg"
"$PINGPONG" --api shmseg --rounds 1000000000 >"$TMP/bg" 2>&1 &
pid=$!
CHILDREN="$CHILDREN $pid"
i=0
while [ "$(wc -l <"$TMP/bg")" -lt 4 ] && [ $i -lt 1000 ]; do
	sleep 0.01
	i=$((i + 1))
done
child=$(cat "/proc/$pid/task/$pid/children" | tr -d ' ')
[ -n "$child" ] || { echo "no child of pingpong $pid" >&2; exit 99; }
pids=$(printf '%s\n%s\n' "$pid" "$child" | sort -n)

run "$CTL" segments --json
expect_rc 0 "segments --json"
"$JSON" <"$TMP/out" >/dev/null || fail "segments --json: invalid JSON: $(cat "$TMP/out")"
expect_eq "$("$JSON" segments.# segments.0.id segments.0.size segments.0.attached \
	segments.0.pids.# segments.0.creator <"$TMP/out" | tr '\n' ' ')" "1 0 8192 2 2 $pid " \
	"segments --json: count, id, size, attached, pids, creator"
expect_eq "$("$JSON" segments.0.pids.0 segments.0.pids.1 <"$TMP/out" | tr '\n' ' ')" \
	"$(echo $pids) " "segments --json: the pids"
key=$("$JSON" segments.0.sysv_key <"$TMP/out" | awk '{ printf "0x%08x", $1 }')
ipcs -m | grep -q "^$key " || fail "ipcs -m does not list key $key"

run "$CTL" segments
expect_rc 0 "segments"
expect_eq "$(sed -n 1p "$TMP/out")" "namespace $SHMHEAP_SEGMENTS: 1 segment" "segments: first line"
expect_eq "$(sed -n 3p "$TMP/out" | awk '{ print $1, $2, $3, $4, $5 }')" \
	"0 8192 2 $(echo $pids | tr ' ' ,) $key" "segments: the row"

kill "$pid"
wait "$pid"
run "$CTL" segments
expect_eq "$(cat "$TMP/out")" "namespace $SHMHEAP_SEGMENTS: 0 segments" "segments after the demo"

run "$CTL" segments extra
expect_rc 2 "segments with an argument"
run "$CTL" segments --bogus
expect_rc 2 "segments --bogus"
finish
