#!/bin/sh
# The tools, the lab's archive and common/ use the public headers and common/
# only, never the library's private headers (lib/*.h).  The build enforces
# most of it: their targets compile without lib/ on the include path, so an
# #include "heap.h" there does not build.  This catches the ways around it:
# a quoted include that leaves its directory ("../lib/heap.h") and a -I to
# lib/ in their rules.  Run by make check; srcdir is set by the harness.
set -eu
top=${srcdir:-.}
fail=0

# Each quoted include of $f must be found in one of the given directories
# (the file's own directory first, as the compiler looks), without "..".
check_includes() {
	f=$1
	shift
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		case /$h/ in
		*/../*)
			echo "$f: #include \"$h\" leaves its directory"
			fail=1
			continue
			;;
		esac
		found=
		for d in "$(dirname "$f")" "$@"; do
			[ -f "$d/$h" ] && found=1 && break
		done
		if [ -z "$found" ]; then
			echo "$f: #include \"$h\" is not a public header, common/'s or its own"
			fail=1
		fi
	done
}

for f in "$top"/bin/*.c "$top"/bin/*.h; do
	check_includes "$f" "$top/include" "$top/common"
done
for f in "$top"/lab/*.c; do
	check_includes "$f" "$top/include" "$top/include/lab" "$top/common"
done
for f in "$top"/common/*.c "$top"/common/*.h; do
	check_includes "$f"
done

# No rule of theirs puts lib/ on the include path.
for mk in "$top"/bin/*.mk "$top"/lab/local.mk "$top"/common/local.mk; do
	if grep -nE -- '-I[[:space:]]*([^[:space:]]*/)?lib([[:space:]/]|$)' "$mk"; then
		echo "$mk: a -I to lib/ (above)"
		fail=1
	fi
done

[ "$fail" = 0 ] || exit 1
echo "boundary kept: bin/, lab/ and common/ use only public and common/ headers"
