#!/bin/sh
# file: heaps and the directories of their paths (issue 25 item 2).  No
# symbolic link in a file: path is followed (ELOOP for one among the
# directories), and neither shmheap-ctl unlink nor shmheap_destroy removes a
# file that is no heap: not when it is named, and not while someone swaps a
# directory of the heap's path for a link to another directory.  As root the
# swapping is done by uid 65534 and the other directory is root's own.
. "$(dirname "$0")/ctl-lib.sh"

RACE=${RACE:-tests/path-race}
T="timeout 60"
ATTEMPTS=200

# ---- a link among the directories: nothing is created, read or removed there
mkdir "$TMP/real" && ln -s real "$TMP/link" || exit 99
make_heap "file:$TMP/real/h"
run $T "$CTL" create "file:$TMP/link/new" 64K
expect_rc 1 "create through a linked directory"
expect_err_line "symbolic link" "create through a linked directory"
[ ! -e "$TMP/real/new" ] || fail "create made a file through the link"
for cmd in inspect:1 check:3 unlink:1; do
	rc=${cmd#*:} cmd=${cmd%:*}
	run $T "$CTL" "$cmd" "file:$TMP/link/h"
	expect_rc "$rc" "$cmd through a linked directory"
	expect_err_line "symbolic link" "$cmd through a linked directory"
done
run $T "$CTL" unlink --force "file:$TMP/link/h"
expect_rc 1 "unlink --force through a linked directory"
[ -e "$TMP/real/h" ] || fail "the heap behind the linked directory was removed"
# A link further up counts too, and so does a relative path through one.
mkdir "$TMP/real/sub" && make_heap "file:$TMP/real/sub/h"
run $T "$CTL" unlink "file:$TMP/link/sub/h"
expect_rc 1 "unlink through a link two levels up"
[ -e "$TMP/real/sub/h" ] || fail "the heap two levels behind the link was removed"
ctl=$(pwd)/$CTL
(cd "$TMP" && $T "$ctl" unlink file:link/sub/h) 2>/dev/null &&
	fail "a relative path through a link was followed"
[ -e "$TMP/real/sub/h" ] || fail "a relative path through a link removed the heap"

# ---- relative paths without links work as before
(cd "$TMP/real" && $T "$ctl" create file:rel 64K && $T "$ctl" inspect file:rel >/dev/null &&
	$T "$ctl" unlink file:rel) || fail "create, inspect and unlink of a relative path"
[ ! -e "$TMP/real/rel" ] || fail "the relative heap is still there"
run $T "$CTL" unlink "file:$TMP/real/h" "file:$TMP/real/sub/h"
expect_rc 0 "unlink of heaps reached without links"

# ---- a file that is no heap is not removed without --force
printf 'precious\n' >"$TMP/real/text"
run $T "$CTL" unlink "file:$TMP/real/text"
expect_rc 1 "unlink of a text file"
expect_eq "$(cat "$TMP/real/text")" precious "the text file after unlink"

# ---- a file heap whose header is damaged is still a heap: removed
# (a file heap's first page, then a damaged POSIX heap's bytes)
make_heap "file:$TMP/real/good" && make_heap "$P-bad" && "$MAKER" corrupt-size "$P-bad" || exit 99
{ head -c 4096 "$TMP/real/good" && cat "/dev/shm/${P#/}-bad"; } >"$TMP/real/bad" || exit 99
run $T "$CTL" inspect "file:$TMP/real/bad"
expect_err_line "corrupted heap header" "inspect of the damaged file heap"
run $T "$CTL" unlink "file:$TMP/real/bad" "file:$TMP/real/good" "$P-bad"
expect_rc 0 "unlink of a damaged file heap"
[ ! -e "$TMP/real/bad" ] || fail "the damaged file heap is still there"

# ---- the race: a directory of the path swapped for a link, again and again
base=$TMP/race
mkdir "$base" "$base/d" "$base/d/s" "$base/r" && ln -s "$base/r" "$base/d/l" || exit 99
printf 'precious\n' >"$base/r/h" && chmod 0700 "$base/r" || exit 99
as_other=
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 0711 "$TMP" && chmod 0755 "$base" && chown -hR 65534:65534 "$base/d" || exit 99
	as_other="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	skip_part "not root: the swapping is done by this user, and the other directory is its own"
fi
$as_other "$RACE" swap "$base/d" s l 120 >"$TMP/ready" &
swapper=$!
CHILDREN="$CHILDREN $swapper"
i=0
while ! grep -q ready "$TMP/ready" && kill -0 "$swapper" 2>/dev/null && [ $i -lt 1000 ]; do
	sleep 0.01
	i=$((i + 1))
done
grep -q ready "$TMP/ready" || { echo "the swapper did not start" >&2; exit 99; }

removed=0 i=0
while [ $i -lt $ATTEMPTS ] && [ -f "$base/r/h" ]; do
	$T "$CTL" unlink "file:$base/d/s/h" >/dev/null 2>&1 && removed=$((removed + 1))
	i=$((i + 1))
done
echo "shmheap-ctl unlink removed the heap $removed times in $i attempts"
expect_eq "$(cat "$base/r/h" 2>/dev/null)" precious "the other directory's file after $i unlinks"

# The same through the library, with the file put back if it was lost above.
[ -f "$base/r/h" ] || printf 'precious\n' >"$base/r/h"
run $T "$RACE" destroy "file:$base/d/s/h" $ATTEMPTS
expect_rc 0 "shmheap_destroy in the race"
echo "shmheap_destroy removed the heap $(cat "$TMP/out") times in $ATTEMPTS attempts"
expect_eq "$(cat "$base/r/h" 2>/dev/null)" precious "the other directory's file after shmheap_destroy"

kill "$swapper" 2>/dev/null
wait "$swapper" 2>/dev/null
finish
