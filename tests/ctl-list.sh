#!/bin/sh
# shmheap-ctl list: heaps recognised by their header, figures, mapping pids,
# hostile names, and heaps whose lock is busy or whose lock owner died (a
# status and a note, nothing on standard error); columns that need no lock
# take none.
. "$(dirname "$0")/ctl-lib.sh"

make_heap "$P-a" && "$MAKER" fill "$P-a" || exit 99
make_heap "$P-held"
start child hold "$P-held"
printf 'not a heap' >"/dev/shm/${P#/}-other"
make_heap "$P-q\"uo\\te"
make_heap "$P-$(printf '\377')bin"
make_heap "$P-dead" --mode 0640
dead=$("$MAKER" dead "$P-dead") || exit 99
make_heap "$P-bad" && "$MAKER" corrupt-size "$P-bad" || exit 99
make_heap "$P-locked"
start locker lock "$P-locked"

# Plain: aligned columns, one line per heap, the non-heap left out.
run "$CTL" list --bytes --timeout 50
expect_rc 0 "list"
head -n 1 "$TMP/out" | grep -q '^NAME  *STATUS  *SIZE  *MAX  *USED  *FREE  *LARGEST  *OBJECTS  *FREEBLKS  *PIDS  *OWNER  *MODE$' ||
	fail "list header: $(head -n 1 "$TMP/out")"
row=$(awk -v n="$P-a" '$1 == n' "$TMP/out")
expect_eq "$(echo "$row" | awk '{print $2, $3, $8, $9, $10, $12}')" "ok 65536 16 4 - 0600" "list row of the filled heap"
expect_eq "$(awk -v n="$P-held" '$1 == n {print $10}' "$TMP/out")" "$child" "list PIDS of a heap a child maps"
expect_eq "$(awk -v n="$P-other" '$1 == n' "$TMP/out")" "" "list skips a non-heap"
expect_eq "$(awk -v n="$P-bad" '$1 == n {print $2, $3}' "$TMP/out")" "bad-header -" "list shows a heap whose header is damaged"
expect_eq "$(cat "$TMP/err")" "" "list says nothing on standard error"
expect_eq "$(awk -v n="$P-\\\\xffbin" '$1 == n {print $2}' "$TMP/out")" "ok" "plain output escapes a non-ASCII byte"
# Right-aligned columns end where their heading ends.
end=$(head -n 1 "$TMP/out" | awk '{print index($0, "OBJECTS") + 6}')
bad=$(awk -v e="$end" 'NR > 1 && substr($0, e, 2) !~ /^[0-9-] $/' "$TMP/out")
expect_eq "$bad" "" "OBJECTS column aligned"
expect_eq "$(awk -v n="$P-locked" '$1 == n {print $2}' "$TMP/out")" "read-unlocked" "list: a busy lock"

# JSON: the same figures, parsed.
run "$CTL" list --json --timeout 50
expect_rc 0 "list --json"
expect_json "list --json"
expect_eq "$(json "heaps.name=$P-a.status" "heaps.name=$P-a.objects" "heaps.name=$P-a.freeblks" \
	"heaps.name=$P-a.size" "heaps.name=$P-a.mode" "heaps.name=$P-a.lock" "heaps.name=$P-a.backing" \
	"heaps.name=$P-a.growable" | tr '\n' ' ')" \
	"ok 16 4 65536 0600 free posix true " "list --json figures of the filled heap"
# No process: [] (or [null], as libsmartcols before 2.39 writes it).
expect_eq "$(json "heaps.name=$P-a.pids.0" | sed 's/^null$/<none>/')" "<none>" "list --json: no pids"
expect_eq "$(json "heaps.name=$P-held.pids.0" "heaps.name=$P-held.pids.#" | tr '\n' ' ')" "$child 1 " "list --json pids"
expect_eq "$(json "heaps.name=$P-other.name")" "<none>" "list --json skips a non-heap"
expect_eq "$(json "heaps.name=$P-bad.status" "heaps.name=$P-bad.note" "heaps.name=$P-bad.size" | tr '\n' ' ')" \
	"bad-header corrupted heap header null " "list --json shows a heap whose header is damaged"
expect_eq "$(json "heaps.name=$P-q\"uo\\te.status")" "ok" "list --json escapes quote and backslash"
expect_eq "$(json "heaps.name=$P-$(printf '\357\277\275')bin.status")" "ok" "list --json turns a byte that is not UTF-8 into U+FFFD"
expect_eq "$(json "heaps.name=$P-dead.lock" "heaps.name=$P-dead.status" "heaps.name=$P-dead.mode" | tr '\n' ' ')" \
	"owner-dead read-unlocked 0640 " "list --json: a heap whose lock owner died is read without the lock"
expect_eq "$(json "heaps.name=$P-locked.lock" "heaps.name=$P-locked.status" "heaps.name=$P-locked.objects" | tr '\n' ' ')" \
	"held read-unlocked 0 " "list --json: a heap whose lock is busy is read without it"
case $(json "heaps.name=$P-dead.note") in
"lock owner pid $dead died"*"torn") pass "list --json notes that the lock owner died" ;;
*) fail "list --json note for the dead owner: $(json "heaps.name=$P-dead.note")" ;;
esac
case $(json "heaps.name=$P-locked.note") in
"lock held by pid $locker, not taken within 50 ms"*"torn") pass "list --json notes the busy lock" ;;
*) fail "list --json note for the busy lock: $(json "heaps.name=$P-locked.note")" ;;
esac
expect_eq "$(cat "$TMP/err")" "" "list --json says nothing on standard error"

# -o with --json: only the columns chosen, in JSON.
run "$CTL" list -J -o name,SIZE --timeout 50
expect_json "list -J -o name,SIZE"
expect_eq "$(json "heaps.name=$P-a.#" "heaps.name=$P-a.size" | tr '\n' ' ')" "2 65536 " "list -J -o: two members"
run "$CTL" list --json --output-all --timeout 50
expect_eq "$(json "heaps.name=$P-a.#")" 18 "list --json --output-all: every column"
run "$CTL" list --output-all --timeout 50
head -n 1 "$TMP/out" | grep -q '^NAME  *BACKING  *STATUS  *NOTE .* GID  *MODE$' ||
	fail "list --output-all heading: $(head -n 1 "$TMP/out")"

# Columns that come from the header and the object need no lock: a heap whose
# lock is held for an hour is listed at once (timeout kills a list that waits).
run timeout 60 "$CTL" list --timeout 3600000 -o NAME,BACKING,SIZE,MAX,OWNER,MODE,PIDS,LOCK,GROWABLE
expect_rc 0 "list of header columns with a lock held"
expect_eq "$(awk -v n="$P-locked" '$1 == n {print $2, $3}' "$TMP/out")" "posix 64K" "list -o: the held heap's row"
expect_eq "$(cat "$TMP/err")" "" "list of header columns says nothing on standard error"
run timeout 60 "$CTL" list -J --timeout 3600000 -o NAME,NOTE,LOCK
expect_eq "$(json "heaps.name=$P-locked.lock" "heaps.name=$P-locked.note" | tr '\n' ' ')" "held null " \
	"list -J of header columns: the lock not tried"
# The figures of the chain are read as before, without the lock when it is busy.
run timeout 60 "$CTL" list -J --timeout 50 -o NAME,OBJECTS
expect_eq "$(json "heaps.name=$P-locked.objects")" "0" "list -o OBJECTS of the held heap"

# --all shows the non-heap, marked.
run "$CTL" list --all --json --timeout 50
expect_json "list --all --json"
expect_eq "$(json "heaps.name=$P-other.status" "heaps.name=$P-other.size" | tr '\n' ' ')" "not-heap null " "list --all marks a non-heap"
run "$CTL" list --all --timeout 50
expect_eq "$(awk -v n="$P-other" '$1 == n {print $2}' "$TMP/out")" "not-heap" "plain list --all marks a non-heap"

# Usage errors.
run "$CTL" list extra
expect_rc 2 "list with an argument"
expect_err_line "unexpected argument 'extra'" "list with an argument"
run "$CTL" list --bogus
expect_rc 2 "list --bogus"
expect_err_line "unknown option '--bogus'" "list --bogus"
finish
