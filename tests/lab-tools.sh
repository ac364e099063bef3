#!/bin/sh
# shmheap-lab-alloc and shmheap-lab-ealloc run their scenarios and pass; for
# part B every VSZ verdict is "as expected".  A stray argument is one line on
# standard error and exit status 2.  Run from the top build directory.
set -u
if [ -x ./bin/.libs/shmheap-lab-alloc ]; then
	bin=./bin/.libs
	LD_LIBRARY_PATH=$PWD/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
else
	bin=./bin
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmheap-labtools.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' INT TERM
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

"$bin/shmheap-lab-alloc" > "$tmp/a.out" 2>&1 || { cat "$tmp/a.out"; fail "shmheap-lab-alloc"; }
cat "$tmp/a.out"
grep -q '^passed: 15 steps, 0 failed$' "$tmp/a.out" || fail "shmheap-lab-alloc summary"
[ "$(grep -c ' ok$' "$tmp/a.out")" = 15 ] || fail "shmheap-lab-alloc: not every step ok"

"$bin/shmheap-lab-ealloc" > "$tmp/b.out" 2>&1 || { cat "$tmp/b.out"; fail "shmheap-lab-ealloc"; }
cat "$tmp/b.out"
grep -q '^passed: .* 0 failed$' "$tmp/b.out" || fail "shmheap-lab-ealloc summary"
grep -q 'UNEXPECTED' "$tmp/b.out" && fail "shmheap-lab-ealloc: an unexpected VSZ"
[ "$(grep -c '1 page mapped, as expected$' "$tmp/b.out")" = 4 ] ||
	fail "shmheap-lab-ealloc: not exactly 4 steps mapped a page"
[ "$(grep -c 'no page mapped, as expected$' "$tmp/b.out")" = 8 ] ||
	fail "shmheap-lab-ealloc: not exactly 8 steps mapped nothing"

for t in shmheap-lab-alloc shmheap-lab-ealloc; do
	"$bin/$t" --bogus > "$tmp/out" 2> "$tmp/err"
	status=$?
	[ $status = 2 ] || fail "$t --bogus: exit $status, expected 2"
	[ "$(wc -l < "$tmp/err")" = 1 ] || fail "$t --bogus: not one line on stderr"
	grep -q -- '--bogus' "$tmp/err" || fail "$t --bogus: the message does not name it"
done
echo "lab tools: ok"
