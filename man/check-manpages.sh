#!/bin/sh
# SPDX-License-Identifier: MIT
# check-manpages.sh - every manual page is well-formed, every exported symbol
# has one, and every example program compiles and runs.
#
# Run by the wrapper that man/local.mk generates, which sets srcdir, builddir
# (the top directories), MANDOC (empty if configure found none), CC, CFLAGS,
# LDFLAGS and LIBTOOL.  Exits 0 when all is well, 1 otherwise, 77 when
# nothing could be checked.
set -u

fail=0
checked=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-manpages.XXXXXX") || exit 99
shm_prefix="example-t$$-"
# The examples of shmseg(3) use numbered segments: in a namespace of their own.
SHMHEAP_SEGMENTS="example-t$$"
export SHMHEAP_SEGMENTS
cleanup()
{
	rm -f /dev/shm/"$shm_prefix"*
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

problem()
{
	echo "FAIL: $*" >&2
	fail=1
}

# Every page: the source tree's, and any generated in the build tree.
pages=$(ls "$srcdir"/man/*.[137] 2>/dev/null)
if [ "$builddir" != "$srcdir" ]; then
	pages="$pages $(ls "$builddir"/man/*.[137] 2>/dev/null)"
fi
if [ -z "$(echo $pages)" ]; then
	echo "SKIP: no manual pages found" >&2
	exit 77
fi

# Lay the pages out as they are installed (man1/, man3/, man7/), so that
# ".so man3/x.3" resolves as it does for man(1).
for p in $pages; do
	name=${p##*/}
	mkdir -p "$tmp/man/man${name##*.}"
	ln -sf "$p" "$tmp/man/man${name##*.}/$name"
done
cd "$tmp/man" || exit 99
installed=$(ls man*/*)

is_stub()
{
	[ "$(wc -l < "$1")" -eq 1 ] && grep -q '^\.so ' "$1"
}

# A stub's target exists and lists the stub's name in its NAME section.
for p in $installed; do
	is_stub "$p" || continue
	name=${p##*/}
	name=${name%.*}
	target=$(sed 's/^\.so  *//' "$p")
	if [ ! -f "$target" ]; then
		problem "$p: .so target $target does not exist"
	elif ! sed -n '/^\.Sh NAME/,/^\.Sh [^N]/p' "$target" | grep -Eq "^\.Nm $name( ,)?\$"; then
		problem "$p: $target does not list $name in its NAME section"
	fi
done
checked=$((checked + 1))
echo "checked: every .so stub names a page that lists it"

# mandoc: clean at warning level.  ".so is fragile" is mandoc's opinion of
# stubs as such: the project ships close families as .so stubs (Debian's
# dh_installman turns them into symlinks), and the target is linted anyway.
if [ -n "${MANDOC:-}" ]; then
	for p in $installed; do
		out=$("$MANDOC" -Tlint -Wwarning "$p" 2>&1 | grep -v 'WARNING: \.so is fragile')
		if [ -n "$out" ]; then
			problem "mandoc -Tlint -Wwarning $p:"
			echo "$out" >&2
		fi
	done
	checked=$((checked + 1))
	echo "checked: mandoc -Tlint -Wwarning on every page"
else
	echo "SKIP: mandoc lint (configure found no mandoc)" >&2
fi

# lexgrog (man-db): every page yields a whatis entry naming its file.
if command -v lexgrog > /dev/null 2>&1; then
	for p in $installed; do
		name=${p##*/}
		name=${name%.*}
		out=$(lexgrog "$p" 2>&1)
		if [ $? -ne 0 ]; then
			problem "lexgrog $p: $out"
		elif ! echo "$out" | grep -q "\"$name - "; then
			problem "lexgrog $p gives no whatis entry for $name: $out"
		fi
	done
	checked=$((checked + 1))
	echo "checked: lexgrog on every page"
else
	echo "SKIP: lexgrog (man-db is not installed)" >&2
fi

# groff (what man-db renders with): no page is titled "BSD ... Manual", which
# groff 1.22 does unless a page empties doc-volume-operating-system before .Dt
# (see the top of any page).
if command -v nroff > /dev/null 2>&1; then
	for p in $installed; do
		is_stub "$p" && continue
		title=$(nroff -mandoc "$p" 2>/dev/null | sed -n '/[^[:space:]]/{p;q;}')
		case $title in
		*BSD*) problem "$p renders with the title: $title" ;;
		esac
	done
	checked=$((checked + 1))
	echo "checked: no page renders as a BSD manual"
else
	echo "SKIP: page titles (nroff is not installed)" >&2
fi

# Every exported symbol, and every function the public headers declare, has
# a section-3 page.
symbols=$(sed -n '/global:/,/local:/s/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' \
	"$srcdir/lib/libshmheap.sym")
declared=$(cat "$srcdir"/include/*.h | tr '\n' ' ' |
	grep -Eo '[A-Za-z_][A-Za-z0-9_]* *\(' | tr -d ' (' | grep -E '^(shmheap|mmf|shmseg)_' | sort -u)
if [ -z "$symbols" ]; then
	problem "no symbols found in $srcdir/lib/libshmheap.sym"
fi
for sym in $(printf '%s\n' $symbols $declared | sort -u); do
	[ -f "man3/$sym.3" ] || problem "$sym has no manual page (man/$sym.3)"
done
checked=$((checked + 1))
echo "checked: every exported and declared function has a page"

# Every C example in sections 3 and 7 compiles warning-free against the build
# tree (shmheap-lab(3)'s with the lab's headers and archive too), runs
# successfully and leaves nothing in /dev/shm.  Shared memory names
# get this run's prefix, so concurrent runs do not collide.
if [ -n "${CC:-}" ] && [ -n "${LIBTOOL:-}" ]; then
	mkdir "$tmp/ex"
	timeout=
	command -v timeout > /dev/null 2>&1 && timeout="timeout 60"
	for p in $installed; do
		case $p in man3/* | man7/*) ;; *) continue ;; esac
		is_stub "$p" && continue
		name=${p##*/}
		src="$tmp/ex/${name%.*}.c"
		awk -f "$srcdir/man/extract-example.awk" "$p" |
			sed "s|\"/example-|\"/$shm_prefix|g" > "$src"
		grep -q 'main(' "$src" || continue
		if ! (cd "$tmp/ex" && $LIBTOOL --quiet --mode=link --tag=CC $CC $CFLAGS ${LDFLAGS:-} \
			-Werror -D_GNU_SOURCE -I"$srcdir/include" -I"$srcdir/include/lab" \
			-o "${name%.*}" "$src" "$builddir/lab/libshmheap-lab.a" \
			"$builddir/lib/libshmheap.la") >&2; then
			problem "$p: the example does not compile"
			continue
		fi
		ok=1
		if ! (cd "$tmp/ex" && $timeout "./${name%.*}") > "$tmp/ex/out" 2>&1; then
			problem "$p: the example failed:"
			cat "$tmp/ex/out" >&2
			ok=0
		fi
		if ls /dev/shm/"$shm_prefix"* > /dev/null 2>&1; then
			[ $ok = 0 ] || problem "$p: the example left shared memory behind"
			rm -f /dev/shm/"$shm_prefix"*
			ok=0
		fi
		[ $ok = 0 ] || echo "checked: the example of $p"
	done
	checked=$((checked + 1))
fi

[ "$checked" -gt 0 ] || exit 77
exit $fail
