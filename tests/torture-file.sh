#!/bin/sh
# The crash torture test (tests/torture) over a file heap: workers SIGKILLed
# at random moments, the survivors repair, every object is audited; and the
# heap file is gone afterwards.  TORTURE_KILLS as for tests/torture (100 here).
dir=$(mktemp -d /tmp/shmheap-torture.XXXXXX) || exit 99
trap 'rm -rf "$dir"' EXIT
trap 'exit 99' INT TERM
heap=file:$dir/heap
out=$dir/out

# A library without file heaps refuses the name (EINVAL) at creation.
TORTURE_HEAP=$heap TORTURE_KILLS=${TORTURE_KILLS:-100} ./tests/torture >"$out" 2>&1
status=$?
if [ "$status" -ne 0 ] && grep -q "creating $heap: Invalid argument" "$out"; then
	echo "SKIP: the library has no file backing"
	exit 77
fi
cat "$out"
[ "$status" -eq 0 ] || { echo "FAIL: torture over $heap: status $status"; exit 1; }
grep -q "kills" "$out" || { echo "FAIL: no report"; exit 1; }
[ ! -e "$dir/heap" ] || { echo "FAIL: the heap file is left behind"; exit 1; }
exit 0
