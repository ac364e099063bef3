#!/bin/sh
# shmheap-ctl and a heap the user may not read: a clear one-line error, and
# list shows the entry as unreadable (a status, no warning) instead of stopping.
# As root, the reader is the user nobody (via setpriv); otherwise the heap is
# made mode 000 and the reader is its owner.
. "$(dirname "$0")/ctl-lib.sh"

make_heap "$P-private"
make_heap "$P-open" --mode 0644
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv not found (root needs it to read as another user)"
	"$CTL" --version >/dev/null || exit 99 # lets libtool set up its wrapper as root
	as_other() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	as_other "$CTL" --version >/dev/null 2>&1 || skip "the user nobody cannot run the tool from this build tree"
else
	chmod 000 "/dev/shm/${P#/}-private"
	as_other() { "$@"; }
fi

for cmd in inspect check; do
	run as_other "$CTL" "$cmd" "$P-private"
	cannot=1
	[ "$cmd" = check ] && cannot=3 # check could not run
	expect_rc "$cannot" "$cmd of an unreadable heap"
	expect_err_line "^shmheap-ctl: $P-private: permission denied$" "$cmd of an unreadable heap"
done
run as_other "$CTL" list --json
expect_rc 0 "list with an unreadable heap"
expect_json "list --json with an unreadable heap"
expect_eq "$(json "heaps.name=$P-private.status" "heaps.name=$P-private.note" | tr '\n' ' ')" \
	"unreadable permission denied " "list marks the unreadable heap"
run as_other "$CTL" list
expect_rc 0 "plain list with an unreadable heap"
expect_eq "$(awk -v n="$P-private" '$1 == n {print $2}' "$TMP/out")" "unreadable" "plain list marks it"
# A status, not a warning per heap.
expect_eq "$(cat "$TMP/err")" "" "list says nothing on standard error"

if [ "$(id -u)" -eq 0 ]; then
	# Readable by others: inspected and checked without write permission.
	run as_other "$CTL" inspect --json "$P-open"
	expect_rc 0 "inspect of a heap the user may only read"
	expect_eq "$(json mode)" "0644" "its mode"
	expect_err_line "$P-open: owned by uid 0, not by the caller, so its lock is not taken; read without the lock" \
		"inspect says it read without the lock"
	run as_other "$CTL" check "$P-open"
	expect_rc 0 "check of a heap the user may only read"
	expect_eq "$(cat "$TMP/out")" "$P-open: sound" "check of a heap the user may only read"
	run as_other "$CTL" unlink "$P-private"
	expect_rc 1 "unlink of another user's heap"
	expect_err_line "^shmheap-ctl: $P-private: permission denied" "unlink of another user's heap"
	[ -e "/dev/shm/${P#/}-private" ] || fail "another user removed the heap"
else
	skip_part "not root: another user's inspect and check of a heap of mode 0644, and its unlink of ours"
fi
finish
