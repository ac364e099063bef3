#!/bin/sh
# shmheap-ctl bad input: every error is one line on stderr, nothing on stdout,
# status 2 for usage errors and 1 for failed operations, and nothing changes.
. "$(dirname "$0")/ctl-lib.sh"

# expect_error STATUS PATTERN CMD...: the error, and an empty stdout.
expect_error() {
	want=$1 pattern=$2
	shift 2
	run "$CTL" "$@"
	expect_rc "$want" "$*"
	expect_err_line "$pattern" "$*"
	[ -s "$TMP/out" ] && fail "$*: printed on stdout: $(cat "$TMP/out")"
}

make_heap "$P-ok"
printf 'not a heap' >"/dev/shm/${P#/}-other"
: >"/dev/shm/${P#/}-empty"
# An empty object is a heap being created only for 5 s after its last change;
# this one is older, so it is another program's (see shmheap_info(3)).
touch -m -d '1 minute ago' "/dev/shm/${P#/}-empty"
make_heap "$P-trunc" && truncate -s 100 "/dev/shm/${P#/}-trunc" || exit 99
make_heap "$P-magic" && "$MAKER" corrupt-magic "$P-magic" || exit 99
make_heap "$P-size" && "$MAKER" corrupt-size "$P-size" || exit 99
cp "/dev/shm/${P#/}-magic" "$TMP/magic"

expect_error 2 "^shmheap-ctl: missing command (try 'shmheap-ctl --help')$"
expect_error 2 "^shmheap-ctl: unknown command 'frob'" frob
for cmd in inspect check; do
	# What cannot be read at all: inspect fails (1), check could not run (3).
	cannot=1
	[ "$cmd" = check ] && cannot=3
	expect_error 2 "^shmheap-ctl: $cmd: missing heap name" "$cmd"
	expect_error 2 "^shmheap-ctl: noslash: a heap name starts with '/'$" "$cmd" noslash
	expect_error 2 "^shmheap-ctl: /a/b: a heap name has no '/' after the first$" "$cmd" /a/b
	expect_error 2 "^shmheap-ctl: /: a heap name needs a character after '/'$" "$cmd" /
	expect_error 2 "^shmheap-ctl: empty heap name$" "$cmd" ""
	expect_error 2 "^shmheap-ctl: $cmd: unknown option '--frob'" "$cmd" --frob "$P-ok"
	expect_error "$cannot" "^shmheap-ctl: $P-missing: no such shared-memory object$" "$cmd" "$P-missing"
	expect_error "$cannot" "^shmheap-ctl: $P-other: not a shmheap (no heap header, or truncated)$" "$cmd" "$P-other"
	expect_error "$cannot" "^shmheap-ctl: $P-empty: not a shmheap (no heap header, or truncated)$" "$cmd" "$P-empty"
	expect_error "$cannot" "^shmheap-ctl: $P-trunc: not a shmheap (no heap header, or truncated)$" "$cmd" "$P-trunc"
	expect_error "$cannot" "^shmheap-ctl: $P-magic: not a shmheap (no heap header, or truncated)$" "$cmd" "$P-magic"
	expect_error "$cannot" "^shmheap-ctl: $P-magic: not a shmheap (no heap header, or truncated)$" "$cmd" --json "$P-magic"
	expect_error 1 "^shmheap-ctl: $P-size: corrupted heap header$" "$cmd" "$P-size"
done
# A missing object named in the backing's words (issue 28 item 5): a file's
# reason is the system's, a System V key's the segment it names.
nokey=$(printf '0x7e%06x' $(($$ & 0xffffff)))
for cmd in inspect check; do
	cannot=1
	[ "$cmd" = check ] && cannot=3
	expect_error "$cannot" "^shmheap-ctl: file:$TMP/none: No such file or directory$" \
		"$cmd" "file:$TMP/none"
	expect_error "$cannot" "^shmheap-ctl: sysv:$nokey: no System V segment with key $nokey$" \
		"$cmd" "sysv:$nokey"
done
expect_error 1 "^shmheap-ctl: file:$TMP/no-dir/h: No such file or directory$" \
	create "file:$TMP/no-dir/h" 1M
expect_error 1 "^shmheap-ctl: file:$TMP/none: No such file or directory$" unlink "file:$TMP/none"
expect_error 1 "^shmheap-ctl: sysv:$nokey: no System V segment with key $nokey$" unlink "sysv:$nokey"
# A newline in a name stays on one line.
expect_error 1 "^shmheap-ctl: $P-new\\\\x0aline: no such shared-memory object$" inspect "$P-new
line"
cmp -s "$TMP/magic" "/dev/shm/${P#/}-magic" || fail "reading a corrupted heap changed it"
expect_eq "$(stat -c %s "/dev/shm/${P#/}-trunc")" 100 "the truncated heap's size"
expect_eq "$(cat "/dev/shm/${P#/}-other")" "not a heap" "the non-heap's bytes"
finish
