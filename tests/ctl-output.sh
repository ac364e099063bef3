#!/bin/sh
# shmheap-ctl's output conventions: human-readable sizes by default and
# --bytes; -o/--output, --noheadings, --raw; -V; COMMAND --help; check's exit
# status when it cannot run; write errors; names too long or not names; an
# object of zeros that is no heap.
. "$(dirname "$0")/ctl-lib.sh"

make_heap "$P-a" --max-size 1M
make_heap "$P-b"

# Sizes: human-readable in the table by default, exact with --bytes.
run "$CTL" list --timeout 50
expect_rc 0 "list"
expect_eq "$(awk -v n="$P-a" '$1 == n {print $3, $4}' "$TMP/out")" "64K 1M" "list sizes, human-readable"
run "$CTL" list --bytes --timeout 50
expect_rc 0 "list --bytes"
expect_eq "$(awk -v n="$P-a" '$1 == n {print $3, $4}' "$TMP/out")" "65536 1048576" "list --bytes"

# Columns, headings, raw.
run "$CTL" list -o name,size,mode --timeout 50
expect_rc 0 "list -o"
head -n 1 "$TMP/out" | grep -q '^NAME  *SIZE  *MODE$' || fail "list -o heading: $(head -n 1 "$TMP/out")"
expect_eq "$(awk -v n="$P-b" '$1 == n {print $2, $3, NF}' "$TMP/out")" "64K 0600 3" "list -o row"
run "$CTL" list --output=NAME,objects --noheadings --raw --bytes --timeout 50
expect_eq "$(grep -c '^NAME' "$TMP/out")" 0 "list --noheadings"
expect_eq "$(grep -x "$P-b 0" "$TMP/out")" "$P-b 0" "list --raw: one space between cells"
run "$CTL" list -o +pids -n --timeout 50
expect_eq "$(awk -v n="$P-b" '$1 == n {print NF}' "$TMP/out")" 13 "list -o +LIST adds a column"
run "$CTL" list -o name,bogus
expect_rc 2 "list -o with an unknown column"
expect_err_line "unknown column 'bogus'" "list -o with an unknown column"

# Version and per-command help.
run "$CTL" -V
expect_rc 0 "-V"
grep -Eq '^shmheap-ctl \(libshmheap\) [0-9]' "$TMP/out" || fail "-V: $(cat "$TMP/out")"
for cmd in list inspect check unlink create; do
	run "$CTL" "$cmd" --help
	expect_rc 0 "$cmd --help"
	grep -q "^Usage: shmheap-ctl $cmd" "$TMP/out" || fail "$cmd --help: $(head -n 1 "$TMP/out")"
done
run "$CTL" list --bytes -h
grep -q "^Usage: shmheap-ctl list" "$TMP/out" || fail "list -h after an option"

# check: 1 means problems found; when the heap cannot be checked at all, 3.
run "$CTL" check "$P-none"
expect_rc 3 "check of a name that does not exist"
printf 'not a heap, not at all, not a heap' >"/dev/shm/${P#/}-text"
run "$CTL" check "$P-text"
expect_rc 3 "check of an object that is no heap"
run "$CTL" check "$P-a"
expect_rc 0 "check of a sound heap"

# Write errors.
if [ -w /dev/full ]; then
	"$CTL" list --timeout 50 >/dev/full 2>"$TMP/err"
	rc=$?
	expect_rc 1 "list >/dev/full"
	grep -q '^shmheap-ctl: write error' "$TMP/err" || fail "list >/dev/full says: $(cat "$TMP/err")"
	for args in "--help" "-V" "inspect $P-a" "check $P-a" "list --json"; do
		# shellcheck disable=SC2086
		"$CTL" $args >/dev/full 2>"$TMP/err"
		rc=$?
		expect_rc 1 "$args >/dev/full"
	done
fi

# Names: too long, or not an object name, is a usage error that says so.
long=$(printf '%0255d' 0)
for cmd in create inspect check unlink; do
	if [ $cmd = create ]; then run "$CTL" create "/$long" 64K; else run "$CTL" $cmd "/$long"; fi
	expect_rc 2 "$cmd of a 255-byte name"
	expect_err_line "name too long" "$cmd of a 255-byte name"
done
run "$CTL" create "/.." 64K
expect_rc 2 "create /.."
expect_err_line "not a valid heap name" "create /.."

# Objects of zeros: a minute old, another program's object, not a heap
# being created; a fresh one may be a heap being created.
head -c 65536 /dev/zero >"/dev/shm/${P#/}-zeros"
touch -m -d '1 minute ago' "/dev/shm/${P#/}-zeros"
run "$CTL" list --all --timeout 50
expect_eq "$(awk -v n="$P-zeros" '$1 == n {print $2}' "$TMP/out")" "not-heap" "list: old object of zeros"
# A fresh one, read at once after it is written.
head -c 65536 /dev/zero >"/dev/shm/${P#/}-fresh"
run "$CTL" inspect "$P-fresh"
expect_err_line "not a complete shmheap" "inspect: fresh object of zeros"
run "$CTL" unlink "$P-zeros"
expect_rc 1 "unlink of an object of zeros"
expect_err_line "not a shmheap" "unlink of an object of zeros"
finish
