#!/bin/sh
# 1,000 init_alloc/cleanup cycles of each lab interface leave nothing mapped
# (lab-cycles checks the VSZ) and, under valgrind, leak nothing and make no
# invalid access.  Run from the top build directory.
set -u
prog=./tests/lab-cycles
[ -x "$prog" ] || { echo "FAIL: $prog not built" >&2; exit 1; }
"$prog" 1000 || { echo "FAIL: lab-cycles" >&2; exit 1; }
if grep -q -e libasan -e libubsan lib/.libs/libshmheap.so 2>/dev/null; then
	echo "SKIP: a sanitizer build (valgrind cannot run it; the cycles ran without it)" >&2
	exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "SKIP: valgrind not installed (the cycles ran without it)" >&2
	exit 77
fi
valgrind -q --error-exitcode=3 --leak-check=full --show-leak-kinds=all \
	--errors-for-leak-kinds=all "$prog" --no-vsz 1000 ||
	{ echo "FAIL: lab-cycles under valgrind" >&2; exit 1; }
echo "lab-cycles: clean under valgrind"
