#!/bin/sh
# SPDX-License-Identifier: MIT
# consumers.sh - programs built as a user of the installed library builds
# them: the headers under <prefix>/include/shmheap and the flags from
# shmheap.pc, nothing else.  A staged install (the headers, shmheap.pc made
# from lib/shmheap.pc.in as make install makes it, and the built library)
# stands in for a real one; PKG_CONFIG_PATH points at it.
#
# Run by the wrapper tests/consumers.mk generates (tests/consumers-run), which sets srcdir,
# builddir, CC, CXX, PKG_CONFIG and VERSION.  Exits 0 when every consumer
# (and the README's example) builds warning-free and runs, 1 otherwise.
set -u

failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmheap-consumers.XXXXXX") || exit 99
heap=/shmheap-consumer-$$
trap 'rm -rf "$tmp"; rm -f "/dev/shm${heap}"-*' EXIT
trap 'exit 99' HUP INT TERM

fail() {
	echo "FAIL: $*" >&2
	failed=1
}

# The staged install.
stage=$tmp/stage
mkdir -p "$stage/include/shmheap" "$stage/lib/pkgconfig" || exit 99
cp "$srcdir/include/shmheap.h" "$srcdir/include/mmf.h" "$stage/include/shmheap/" || exit 99
for f in "$builddir"/lib/.libs/libshmheap.so*; do
	ln -s "$f" "$stage/lib/" || exit 99
done
sed -e "s|@prefix@|$stage|" -e 's|@exec_prefix@|${prefix}|' \
	-e 's|@libdir@|${exec_prefix}/lib|' -e 's|@includedir@|${prefix}/include|' \
	-e "s|@PACKAGE_VERSION@|$VERSION|" "$srcdir/lib/shmheap.pc.in" >"$stage/lib/pkgconfig/shmheap.pc"
PKG_CONFIG_PATH=$stage/lib/pkgconfig
PKG_CONFIG_LIBDIR=$stage/lib/pkgconfig
export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR
cflags=$($PKG_CONFIG --cflags shmheap) && libs=$($PKG_CONFIG --libs shmheap) || {
	echo "FAIL: pkg-config does not know the staged shmheap.pc" >&2
	exit 1
}
case " $cflags " in
*" -D"*) fail "shmheap.pc's Cflags define macros for every consumer: $cflags" ;;
esac
LD_LIBRARY_PATH=$stage/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
# A sanitizer build of the library needs its runtime first in each program
# (as tests/lab-pkgconfig.sh does).
lib=$builddir/lib/.libs/libshmheap.so
grep -q libasan "$lib" 2>/dev/null && libs="$libs -fsanitize=address"
grep -q libubsan "$lib" 2>/dev/null && libs="$libs -fsanitize=undefined"

# consumer NAME COMPILER FLAGS SOURCE: builds and runs one consumer.
n=0
consumer() {
	name=$1 compiler=$2 flags=$3 src=$srcdir/tests/consumers/$4
	n=$((n + 1))
	# shellcheck disable=SC2086  # flag lists are word lists on purpose
	if ! $compiler $flags $cflags -o "$tmp/$name" "$src" $libs >"$tmp/$name.log" 2>&1; then
		fail "$name does not build with: $compiler $flags $cflags ... $libs"
		cat "$tmp/$name.log" >&2
		return
	fi
	if "$tmp/$name" "$heap-$n"; then
		echo "ok: $name ($compiler $flags)"
	else
		fail "$name built but failed"
	fi
}

# The README's examples: the indented block under a heading, with the heap
# renamed (to $4, by default $heap-readme) so that parallel runs do not
# collide; each must print one line and leave nothing behind.
readme_example() { # heading heap-name expected-output [new-name]
	new=${4:-$heap-readme}
	awk -v heading="$1" '
		$0 == heading { found = 1; next }
		found && /^    / { started = 1; sub(/^    /, ""); print; next }
		found && started && /[^ ]/ { exit }
		found && started { print }
	' "$srcdir/README" | sed "s|\"$2\"|\"$new\"|g" >"$tmp/readme.c"
	grep -q 'main(' "$tmp/readme.c" || { fail "no program under the README's \"$1\""; return; }
	if ! $CC -Wall -Wextra -Werror $cflags -o "$tmp/readme" "$tmp/readme.c" $libs >"$tmp/readme.log" 2>&1; then
		fail "the README's \"$1\" does not build with: $CC -Wall -Wextra -Werror $cflags"
		cat "$tmp/readme.log" >&2
		return
	fi
	if out=$("$tmp/readme") && [ "$out" = "$3" ]; then
		echo "ok: the README's \"$1\""
	else
		fail "the README's \"$1\" failed (output: '$out')"
	fi
	case $new in
	file:*) [ ! -e "${new#file:}" ] ;;
	sysv:*) ! ipcs -m 2>/dev/null | grep -qi "^${new#sysv:} " ;;
	*) [ ! -e "/dev/shm$new" ] ;;
	esac || fail "the README's \"$1\" left its heap behind"
}
readme_example "Using the library" /demo "B reads 42"
readme_example "Finding objects by name" /names-demo "B finds 42"
readme_example "A heap in a file" file:/tmp/runs.heap "runs: 2" "file:$tmp/runs.heap"
readme_example "A heap in a System V segment" sysv:0x5eed0042 "the child made it 42" \
	"sysv:$(printf '0x5e%06x' $(($$ & 0xffffff)))"
readme_example "A cached heap" /cached-demo "4 workers done, 0 bytes left in caches"
readme_example "Handing objects over through a queue" /queue-demo "B took 3 orders, total 36"

warn="-Wall -Wextra -Werror"
consumer c89 "$CC" "-std=c89 -pedantic $warn" c89.c
consumer c99-posix "$CC" "-std=c99 -D_POSIX_C_SOURCE=200809L $warn" c89.c
consumer posix-strerror_r "$CC" "-std=c99 -D_POSIX_C_SOURCE=200809L $warn" posix.c
consumer gnu11-own-gnu-source "$CC" "-std=gnu11 $warn" gnu.c
if [ -n "${CXX:-}" ] && command -v "${CXX%% *}" >/dev/null 2>&1; then
	consumer cxx17 "$CXX" "-std=c++17 $warn" cxx17.cc
else
	fail "no C++ compiler (configure found '${CXX:-}'): the C++17 consumer was not built"
fi
exit $failed
