#!/bin/sh
# ctl-unlocked-cost.sh - what reading a heap without its lock costs the tool
# (issue 31).  A heap whose mode lets other users write it is read without its
# lock, as another user's heap is: inspect and check of a 256 MiB heap full of
# blocks stay within 64 MiB of memory, and so does list run by another user
# (as root only: list reads every heap, and the caller's own are read under
# their locks, through the mapping).  list reads only the headers when the
# columns shown need nothing of the blocks.  No timing is asserted.
. "$(dirname "$0")/ctl-lib.sh"

PEAK=${PEAK:-tests/peak-rss}
BOUND_KIB=65536

# peak WHAT CMD...: runs CMD (status in $rc for expect_rc, output in $TMP/out
# and $TMP/err) and checks that its peak resident set stayed within the bound.
peak() {
	what=$1
	shift
	"$PEAK" "$TMP/rss" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	kib=$(cat "$TMP/rss" 2>/dev/null || echo unknown)
	case $kib in
	'' | *[!0-9]*) fail "$what: no peak memory figure ($kib)" ;;
	*)
		if [ "$kib" -le "$BOUND_KIB" ]; then
			pass "$what: peak $kib KiB"
		else
			fail "$what: peak $kib KiB, more than $BOUND_KIB KiB"
		fi
		;;
	esac
}

big=$P-big
"$CTL" create "$big" 256M --no-grow --mode 0622 >/dev/null || exit 99
"$MAKER" populate "$big" || exit 99

peak "inspect of a 256 MiB heap read without its lock" "$CTL" inspect "$big"
expect_rc 0 "inspect read it"
if grep -q "so its lock is not taken" "$TMP/err"; then
	pass "inspect did not lock it"
else
	fail "inspect locked it: $(cat "$TMP/err")"
fi
peak "check of a 256 MiB heap read without its lock" "$CTL" check "$big"
expect_rc 0 "check found it sound"
expect_eq "$(cat "$TMP/out")" "$big: sound" "check read it whole"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 0644 "/dev/shm$big"
	peak "another user's list (every heap read without its lock)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" list --json
	expect_rc 0 "nobody's list"
	expect_eq "$(json "heaps.name=$big.status")" "read-unlocked" "list read the big heap unlocked"
else
	echo "not root (or no setpriv): list as another user skipped"
fi

# ---- list reads the blocks only for the columns that need them
broken=$P-broken
make_heap "$broken"
"$MAKER" fill "$broken" || exit 99
"$MAKER" corrupt-chain "$broken" || exit 99
# NOTE is no figure of the chain: it says why a figure is missing, so it
# names the broken chain only when a column shown made list walk it.
run "$CTL" list -J -o NAME,SIZE,MAX,OWNER,MODE,NOTE
expect_rc 0 "list of header columns"
expect_eq "$(json "heaps.name=$broken.size" "heaps.name=$broken.note" | tr '\n' ' ')" \
	"65536 null " "list -o NAME,SIZE,MAX,OWNER,MODE,NOTE read only the header"
run "$CTL" list -J -o NAME,USED,NOTE
expect_rc 0 "list of a chain column"
expect_eq "$(json "heaps.name=$broken.note")" "block chain is broken (see check)" \
	"list -o NAME,USED,NOTE walked the blocks"
finish
