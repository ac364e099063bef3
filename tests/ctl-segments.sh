#!/bin/sh
# shmheap-ctl segments: id, size, attach count and the attached processes of
# the namespace's segments, plain and JSON.
. "$(dirname "$0")/shmseg-lib.sh"

run "$CTL" segments
expect_rc 0 "segments of an empty namespace"
expect_eq "$(cat "$TMP/out")" "namespace $SHMHEAP_SEGMENTS: 0 segments" "segments of an empty namespace"
run "$CTL" segments --json
expect_eq "$("$JSON" segments.# <"$TMP/out")" "0" "segments --json of an empty namespace"

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
expect_eq "$(sed -n 2p "$TMP/out" | awk '{ print $1, $2, $3, $4, $5 }')" "ID SIZE ATTACHED PIDS KEY" \
	"segments: the heading"
expect_eq "$(sed -n 3p "$TMP/out" | awk '{ print $1, $2, $3, $4, $5 }')" \
	"0 8K 2 $(echo $pids | tr ' ' ,) $key" "segments: the row"

# The options of list: -o, --raw, --noheadings, --bytes, -J with -o, --output-all.
run "$CTL" segments -r -n -b -o id,size,key
expect_eq "$(cat "$TMP/out")" "0 8192 $key" "segments -r -n -b -o"
run "$CTL" segments -J -o ID,KEY
expect_eq "$("$JSON" segments.0.# segments.0.key <"$TMP/out" | tr '\n' ' ')" "2 $key " "segments -J -o"
run "$CTL" segments --output-all --noheadings
expect_eq "$(awk '{ print NF }' "$TMP/out")" 8 "segments --output-all: 8 columns"
run "$CTL" segments -o id,bogus
expect_rc 2 "segments -o with an unknown column"

# list leaves the segment, which is no heap, to segments: not shown, no warning;
# with --all it is marked as a segment.
run "$CTL" list --timeout 50 -o name
expect_eq "$(grep -c "sysv:$key" "$TMP/out")" 0 "list leaves the segment out"
expect_eq "$(cat "$TMP/err")" "" "list says nothing about the segment"
run "$CTL" list --all -J -o name,status,note --timeout 50
expect_eq "$("$JSON" "heaps.name=sysv:$key.status" <"$TMP/out")" "segment" "list --all marks the segment"

kill "$pid"
wait "$pid"
run "$CTL" segments
expect_eq "$(cat "$TMP/out")" "namespace $SHMHEAP_SEGMENTS: 0 segments" "segments after the demo"

run "$CTL" segments extra
expect_rc 2 "segments with an argument"
run "$CTL" segments --bogus
expect_rc 2 "segments --bogus"
finish
