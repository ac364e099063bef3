#!/bin/sh
# SPDX-License-Identifier: MIT
# lab-programs.sh - the lab-style programs of tests/lab/ built as students
# build them, with the flags of `pkg-config --cflags --libs shmheap-lab` and
# nothing else, as C (gnu99, implicit declarations are errors) and as C++,
# then run:
#   split-alloc/, split-ealloc/  a program of two files per part: one file
#                                initialises, the other allocates, each frees
#                                what the other allocated
#   decl_alloc.c, decl_ealloc.c  the lab's declarations and macros, and
#                                function pointers of the lab's types
# Whatever shmheap-lab pkg-config finds is tested: make check points it at
# the build tree (tests/lab-pkgconfig.sh), the autopkgtest at the installed
# package (debian/tests/build-lab).
#
#   lab-programs.sh SRCDIR    (the source tree: SRCDIR/tests/lab/ is read)
# Environment: CC (cc), CXX (c++; without one the C++ builds are skipped),
# PKG_CONFIG (pkg-config).  Exits 0 when every program builds and passes.
set -u
top=${1:?usage: lab-programs.sh SRCDIR}
src=$top/tests/lab
CC=${CC:-cc}
CXX=${CXX:-c++}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmheap-labprog.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' HUP INT TERM

flags=$($PKG_CONFIG --cflags --libs shmheap-lab) || {
	echo "FAIL: $PKG_CONFIG does not know shmheap-lab" >&2
	exit 1
}
cflags="-std=gnu99 -Wall -Wextra -Werror -Werror=implicit-function-declaration"
cxxflags="-Wall -Wextra -Werror"
langs=c
if command -v "${CXX%% *}" >/dev/null 2>&1; then
	langs="c c++"
else
	echo "note: no C++ compiler ($CXX): the C++ builds are skipped"
fi
failed=0

# build NAME LANG FILE...: compiles FILE... (copied from tests/lab/, renamed
# .cpp for C++) into NAME, echoing the command as a student would type it.
build() {
	name=$1 lang=$2
	shift 2
	dir=$tmp/$name
	mkdir -p "$dir" || exit 99
	files=
	for f in "$@"; do
		base=${f##*/}
		[ "$lang" = c ] || base=${base%.c}.cpp
		cp "$src/$f" "$dir/$base" || exit 99
		files="$files $base"
	done
	if [ "$lang" = c ]; then
		compiler="$CC $cflags"
	else
		compiler="$CXX $cxxflags"
	fi
	echo "\$ $compiler$files \$($PKG_CONFIG --cflags --libs shmheap-lab) -o $name"
	# shellcheck disable=SC2086  # flag and file lists are word lists on purpose
	(cd "$dir" && $compiler $files $flags -o "$name")
}

# run NAME LAST: runs the program, shows its output, expects exit 0 and LAST
# as its last line.
run() {
	echo "\$ ./$1"
	(cd "$tmp/$1" && "./$1") >"$tmp/$1.out" 2>&1
	status=$?
	cat "$tmp/$1.out"
	if [ $status -ne 0 ]; then
		echo "FAIL: $1 exited with $status" >&2
		failed=1
	elif [ "$(tail -n 1 "$tmp/$1.out")" != "$2" ]; then
		echo "FAIL: $1 did not end with: $2" >&2
		failed=1
	fi
}

for lang in $langs; do
	sfx=
	[ "$lang" = c ] || sfx=-cxx
	for part in alloc ealloc; do
		case $part in
		alloc) split_last="part A, two files: one manager" decl_last="part A" ;;
		*) split_last="part B, two files: one allocator" decl_last="part B" ;;
		esac
		if build "split-$part$sfx" "$lang" "split-$part/main.c" "split-$part/util.c"; then
			run "split-$part$sfx" "$split_last"
		else
			echo "FAIL: split-$part does not build as $lang" >&2
			failed=1
		fi
		if build "decl_$part$sfx" "$lang" "decl_$part.c"; then
			run "decl_$part$sfx" "$decl_last: the lab's declarations: ok"
		else
			echo "FAIL: decl_$part.c does not build as $lang" >&2
			failed=1
		fi
	done
done
exit $failed
