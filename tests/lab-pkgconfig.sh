#!/bin/sh
# Lab-style programs built exactly as a student builds them:
#   cc test_alloc_mine.c $(pkg-config --cflags --libs shmheap-lab)
# against this build tree (PKG_CONFIG_PATH names lib/, where the uninstalled
# shmheap-lab-uninstalled.pc is), then run; then lab-programs.sh (programs of
# two files, the lab's declarations, as C and C++).  Also: alloc.h and
# ealloc.h in two files of one program do not clash, and neither libshmheap
# nor libshmheap-lab.a exports the lab's short names.  Run from the top build
# directory with $srcdir set.
set -u
srcdir=${srcdir:-.}
CC=${CC:-cc}
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: no pkg-config" >&2; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmheap-lab.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' INT TERM
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

PKG_CONFIG_PATH=$PWD/lib
LD_LIBRARY_PATH=$PWD/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_PATH LD_LIBRARY_PATH
flags=$(pkg-config --cflags --libs shmheap-lab) || fail "pkg-config shmheap-lab"
echo "pkg-config --cflags --libs shmheap-lab: $flags"
# A sanitizer build of the library needs its runtime first in the program.
san=
grep -q libasan lib/.libs/libshmheap.so 2>/dev/null && san="$san -fsanitize=address"
grep -q libubsan lib/.libs/libshmheap.so 2>/dev/null && san="$san -fsanitize=undefined"
[ -z "$san" ] || echo "the library is built with sanitizers: adding$san to the cc command"
CC="$CC$san"
CXX="${CXX:-c++}$san"
export CC CXX

for t in test_alloc_mine test_ealloc_mine; do
	cp "$srcdir/tests/lab/$t.c" "$tmp/" || exit 99
	echo "\$ cc $t.c \$(pkg-config --cflags --libs shmheap-lab) -o $t"
	(cd "$tmp" && $CC -Wall -Wextra -Werror $t.c $(pkg-config --cflags --libs shmheap-lab) \
		-o $t) || fail "$t does not build"
	echo "\$ ./$t"
	(cd "$tmp" && ./$t) > "$tmp/$t.out" 2>&1
	status=$?
	cat "$tmp/$t.out"
	[ $status = 0 ] || fail "$t exited with $status"
	grep -q '^ALL PASSED: 0 failure(s)$' "$tmp/$t.out" || fail "$t did not pass"
done

# Both headers in one program, one per file: no clash at compile or link time.
cat > "$tmp/part_a.c" <<'C'
#include "alloc.h"
int part_a(void)
{
	if (init_alloc())
		return 1;
	char *p = alloc(4096);
	int r = p == NULL;
	dealloc(p);
	return r | cleanup();
}
C
cat > "$tmp/part_b.c" <<'C'
#include <stdio.h>
#include "ealloc.h"
int part_a(void);
int main(void)
{
	init_alloc();
	char *p = alloc(4096);
	int r = p == NULL;
	dealloc(p);
	cleanup();
	r |= part_a();
	puts(r ? "both parts: FAILED" : "both parts: ok");
	return r;
}
C
(cd "$tmp" && $CC -Wall -Wextra -Werror part_a.c part_b.c $(pkg-config --cflags --libs shmheap-lab) \
	-o both && ./both) || fail "alloc.h and ealloc.h in one program"

lib=lib/.libs/libshmheap.so
if [ -f "$lib" ] && command -v nm >/dev/null 2>&1; then
	if nm -D --defined-only "$lib" | grep -Ew '(init_alloc|cleanup|alloc|dealloc)$'; then
		fail "the library exports a lab name"
	fi
	echo "libshmheap exports none of init_alloc, cleanup, alloc, dealloc"
	# The archive defines each part's functions under prefixed names only.
	defined=$(nm --defined-only -g lab/libshmheap-lab.a | awk 'NF == 3 { print $3 }' | sort)
	expected=$(for p in a b; do
		for f in init_alloc cleanup alloc dealloc; do echo "shmheap_lab_${p}_$f"; done
	done | sort)
	# shellcheck disable=SC2086  # one name a word on purpose
	defined_list=$(printf '%s ' $defined)
	[ "$defined" = "$expected" ] || fail "libshmheap-lab.a defines: $defined_list"
	echo "libshmheap-lab.a defines only: $defined_list"
fi

sh "$srcdir/tests/lab-programs.sh" "$srcdir" || fail "lab-programs.sh"
