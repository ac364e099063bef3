#!/bin/sh
# shmheap-ctl map (issue 28 item 10): the strip of cells and its legend,
# colours only on a terminal (none with NO_COLOR), buckets for blocks smaller
# than a cell; the SVG parses as XML, has one shape per block with its
# offset, size and state, renders to PNG, and stays small for a heap of
# 1,000,000 blocks (the time that takes is reported, not asserted); the lock
# is taken like inspect takes it.
. "$(dirname "$0")/ctl-lib.sh"
MAPMAKER=${MAPMAKER:-tests/ctl-mapmaker}

"$CTL" create "$P-ff" 8K --no-grow || exit 99
"$MAPMAKER" firstfit "$P-ff" || exit 99

# The strip: --width cells, one glyph per state, then the scale and legend.
run "$CTL" map --width 64 "$P-ff"
expect_rc 0 "map"
expect_eq "$(sed -n 1p "$TMP/out" | sed 's/, [0-9T:-]*Z$//')" "$P-ff: 8K heap (8192 bytes), 27 blocks" \
	"map: the first line"
strip=$(sed -n 2p "$TMP/out")
expect_eq "${#strip}" 64 "map --width 64: 64 cells"
case $strip in
H*) pass "the strip starts with the header's cell" ;;
*) fail "the strip: $strip" ;;
esac
expect_eq "$(echo "$strip" | tr -d 'H#.0-9' | wc -c)" 1 "the strip's glyphs: $strip"
case $strip in
*"##"*[1-9]*"......") pass "objects, buckets, then the free end of the heap" ;;
*) fail "the strip: $strip" ;;
esac
grep -q '^  # used  *3432 bytes in 20 objects$' "$TMP/out" || fail "legend: used: $(cat "$TMP/out")"
grep -q '^  \. free  *4688 bytes in 7 blocks$' "$TMP/out" || fail "legend: free"
grep -q '^  H header  *72 bytes$' "$TMP/out" || fail "legend: header"
grep -q '^  0-9 buckets' "$TMP/out" || fail "legend: buckets"
grep -q 'largest free block 3952 bytes' "$TMP/out" || fail "legend: largest free block"
grep -q 'fragmentation 0.15 (1 - largest free / all free)' "$TMP/out" || fail "legend: fragmentation"
expect_eq "$(grep -c "$(printf '\033')" "$TMP/out")" 0 "no colours when not on a terminal"
run "$CTL" map --width 64 --color=always "$P-ff"
expect_eq "$(sed -n 2p "$TMP/out" | grep -c "$(printf '\033')\[31m")" 1 "--color=always: colours"
# On a terminal: colours, unless NO_COLOR is set.
if script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "$CTL map --width 64 $P-ff" /dev/null >"$TMP/tty" 2>&1 </dev/null
	grep -q "$(printf '\033')\[31m#" "$TMP/tty" || fail "colours on a terminal: $(head -3 "$TMP/tty")"
	NO_COLOR=1 script -qec "$CTL map --width 64 $P-ff" /dev/null >"$TMP/tty" 2>&1 </dev/null
	expect_eq "$(grep -c "$(printf '\033')\[3" "$TMP/tty")" 0 "NO_COLOR on a terminal: no colours"
else
	echo "script(1) cannot make a terminal: colours on a terminal not tested"
fi

# The SVG: XML, one path per block, each with its offset, size and state.
run "$CTL" map --svg "$TMP/ff.svg" "$P-ff"
expect_rc 0 "map --svg"
if command -v xmllint >/dev/null; then
	xmllint --noout "$TMP/ff.svg" && pass "the SVG parses as XML" || fail "the SVG is not XML"
else
	echo "no xmllint: the SVG's XML not checked"
fi
run "$CTL" inspect --blocks --json "$P-ff"
nblocks=$(json blocks.#)
expect_eq "$(grep -cE '<path class="(used|free|cached|library)"' "$TMP/ff.svg")" "$nblocks" \
	"one shape per block"
expect_eq "$(grep -c '<path class="b[0-9]"' "$TMP/ff.svg")" 0 "no bucket in a small heap"
expect_eq "$(grep -o '<title>offset [0-9]*: [0-9]* bytes, [a-z]*</title>' "$TMP/ff.svg" |
	sed 's/<title>offset \([0-9]*\): \([0-9]*\) bytes, \([a-z]*\)<.*/\1 \2 \3/' | tr '\n' ' ')" \
	"$(i=0; while [ $i -lt "$nblocks" ]; do
		json "blocks.$i.offset" "blocks.$i.size" "blocks.$i.state" | tr '\n' ' '
		i=$((i + 1))
	done)" "each block's title: its offset, size and state, as inspect --blocks says"
grep -q "<text[^>]*>$P-ff</text>" "$TMP/ff.svg" || fail "the SVG names the heap"
grep -q '8K heap (8192 bytes), 27 blocks, read 20[0-9-]*T[0-9:]*Z' "$TMP/ff.svg" || fail "the SVG: size and time"
grep -q '>used: 3432 bytes in 20 objects<' "$TMP/ff.svg" || fail "the SVG's legend"
if command -v rsvg-convert >/dev/null; then
	rsvg-convert "$TMP/ff.svg" -o "$TMP/ff.png" && [ "$(head -c 4 "$TMP/ff.png" | tail -c 3)" = PNG ] &&
		pass "rsvg-convert renders the SVG to PNG" || fail "rsvg-convert cannot render the SVG"
else
	echo "no rsvg-convert: the SVG not rendered"
fi
run "$CTL" map --svg - "$P-ff"
expect_eq "$(head -c 5 "$TMP/out")" "<?xml" "--svg -: the SVG on standard output, alone"

# Every state: a cached heap's table and a name (the library's own), blocks
# in a process's cache.
"$CTL" create "$P-states" 64K --cached || exit 99
child=$("$MAPMAKER" states "$P-states") && [ -n "$child" ] || exit 99
CHILDREN="$CHILDREN $child"
i=0
until [ "$("$CTL" inspect --json "$P-states" | "$JSON" cache.cached_blocks)" -ge 4 ] 2>/dev/null ||
	[ $i -ge 500 ]; do
	sleep 0.01
	i=$((i + 1))
done
run "$CTL" map --svg "$TMP/states.svg" --width 80 "$P-states"
expect_rc 0 "map of a cached heap"
expect_eq "$(grep -c '<path class="cached"' "$TMP/states.svg") $(grep -c '<path class="library"' "$TMP/states.svg")" \
	"4 4" "the SVG: 4 cached blocks, 4 of the library's own (table, record, names table, entry)"
grep -q '^  c cached  *224 bytes in 4 blocks, in process caches$' "$TMP/out" || fail "legend: cached: $(cat "$TMP/out")"
grep -q "^  L library's own .* in 4 blocks" "$TMP/out" || fail "legend: the library's own"
case $(sed -n 2p "$TMP/out") in
LLLL*) pass "the cache table fills the first cells" ;;
*) fail "the cache table: $(sed -n 2p "$TMP/out")" ;;
esac

# A heap of 1,000,000 blocks: buckets, and a small SVG.
# --enable-debug verifies the whole heap after every allocation: there the
# heap would take hours to make, and the other builds run this part.
if "$MAPMAKER" debug x; then
	skip_part "--enable-debug: the map of 1,000,000 blocks (each allocation verifies the heap)"
else
	"$CTL" create "$P-big" 20M --no-grow || exit 99
	"$MAPMAKER" blocks "$P-big" 1000000 || exit 99
	t0=$(date +%s.%N)
	run "$CTL" map --width 80 --svg "$TMP/big.svg" "$P-big"
	t1=$(date +%s.%N)
	expect_rc 0 "map of 1,000,000 blocks"
	echo "map of 1,000,000 blocks (text and SVG): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
	size=$(wc -c <"$TMP/big.svg")
	echo "its SVG: $size bytes"
	[ "$size" -lt 2000000 ] && pass "the SVG of 1,000,000 blocks is under 2 MB" || fail "the SVG is $size bytes"
	grep -q '1000000 blocks' "$TMP/out" || fail "map: 1000000 blocks: $(head -1 "$TMP/out")"
	grep -q 'buckets: blocks too small to show one by one (more blocks than the picture has room for)' \
		"$TMP/big.svg" || fail "the SVG's legend says it shows buckets"
	grep -q '^  0-9 buckets' "$TMP/out" || fail "the strip's legend says it shows buckets"
	expect_eq "$(sed -n 2p "$TMP/out" | cut -c 1-10)" "5555555555" "half-used cells: bucket 5"
	if command -v xmllint >/dev/null; then
		xmllint --noout "$TMP/big.svg" && pass "the big SVG parses as XML" || fail "the big SVG is not XML"
	fi
	"$CTL" unlink "$P-big"
fi

# The lock: held by another process, the heap is read without it (said on
# standard error), as inspect does.
make_heap "$P-locked"
start locker lock "$P-locked"
run "$CTL" map --timeout 50 --width 40 "$P-locked"
expect_rc 0 "map of a heap whose lock is held"
expect_err_line "lock held by pid $locker, not taken within 50 ms; read without the lock" \
	"map of a heap whose lock is held"
# Another user's heap is read without its lock, from a copy.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	make_heap "$P-theirs" --mode 0644
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" map --width 40 "$P-theirs"
	expect_rc 0 "map of another user's heap"
	grep -q "read without the lock" "$TMP/err" || fail "map of another user's heap: $(cat "$TMP/err")"
	grep -q '^  \. free ' "$TMP/out" || fail "map of another user's heap: $(cat "$TMP/out")"
fi

# A broken chain: the blocks before the break, status 1.
make_heap "$P-broken" && "$MAKER" corrupt-chain "$P-broken"
run "$CTL" map --width 40 "$P-broken"
expect_rc 1 "map of a heap whose chain is broken"
grep -q "block chain broken at offset" "$TMP/err" || fail "map of a broken heap: $(cat "$TMP/err")"

# Usage errors and a missing heap.
run "$CTL" map --width 3 "$P-ff"
expect_rc 2 "map --width 3"
run "$CTL" map --color=sometimes "$P-ff"
expect_rc 2 "map --color=sometimes"
run "$CTL" map
expect_rc 2 "map without a name"
run "$CTL" map "$P-none"
expect_rc 1 "map of a missing heap"
expect_err_line "^shmheap-ctl: $P-none: no such shared-memory object$" "map of a missing heap"
finish
