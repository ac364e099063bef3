#!/bin/sh
# The installed library carries no test hook (lib/testhooks.h): neither the
# environment variables the hooks read nor their code.  The library built for
# the tests, which has them, shows that the search would find them.
# Run by make check from the build directory.
set -eu
lib=lib/.libs/libshmheap.so
testlib=lib/.libs/libshmheap-test.so
command -v nm >/dev/null || { echo "nm not found"; exit 77; }
command -v strings >/dev/null || { echo "strings not found"; exit 77; }
[ -f "$lib" ] || { echo "$lib not built (static-only build?)"; exit 77; }

# What a hook leaves in a binary: its variable's name, its function.
hooks() {
	strings -a "$1" | grep -i -e SHMHEAP_TEST -e KILL_AT || true
	nm -a "$1" 2>/dev/null | grep -i -e testhook -e kill_point || true
}

found=$(hooks "$lib")
if [ -n "$found" ]; then
	printf '%s has test hooks:\n%s\n' "$lib" "$found"
	exit 1
fi
if [ -f "$testlib" ] && [ -z "$(hooks "$testlib")" ]; then
	echo "$testlib shows no hook either: the search finds nothing"
	exit 1
fi
echo "no test hook in $lib"
