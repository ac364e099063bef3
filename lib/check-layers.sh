#!/bin/sh
# The heap core stays below its optional layers (lib/README): no core file
# includes a layer's header, even through another header, and no core object
# refers to a symbol that a layer's object defines; nor does one layer use
# another.
#
#   check-layers.sh            the check (make check); exit 1 on a violation
#   check-layers.sh --report   also the figures: each file's private headers,
#                              which file calls into which, the edges from the
#                              core up to a layer, the largest cycle of files,
#                              lines per file, and the files that shmheap_alloc
#                              and shmheap_free reach by direct calls (cflow)
#
# Run from the build directory (the objects are read from lib/.libs or lib/);
# srcdir (set by the harness) leads to the sources.
set -eu
src="${srcdir:-.}/lib"
report=false
[ "${1:-}" = --report ] && report=true

# The core, and the files of each optional layer, by unit (a .c and its .h).
CORE="align blocks connection cpu debug fitmap fitmap-check fitmap-simd freeindex grow heapread inspect layer layout lock locked mapping repair testhooks view"
layer_of() {
	case $1 in
	cache | cache-* | liveness) echo cache ;;
	ext | ext-* | names | names-* | publish | queue | queue-*) echo ext ;;
	*) echo - ;;
	esac
}

command -v nm >/dev/null || { echo "nm not found"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

unit() { f=${1##*/}; echo "${f%.[ch]}"; }

# The object compiled from a source of the library, whatever libtool named it.
object_of() {
	for o in "lib/.libs/$1.o" "lib/.libs/lib_libshmheap_la-$1.o" "lib/$1.o" \
		"lib/lib_libshmheap_la-$1.o"; do
		if [ -f "$o" ]; then echo "$o"; return; fi
	done
}

# Direct includes of private headers: "file header" lines.
for f in "$src"/*.c "$src"/*.h; do
	sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
		while read -r h; do
			if [ -f "$src/$h" ]; then echo "${f##*/} $h"; fi
		done
done >"$tmp/includes"

# Headers each file includes, directly or through other headers.
closure() {
	todo=$1 seen=
	while [ -n "$todo" ]; do
		set -- $todo
		todo=
		for f; do
			for h in $(awk -v f="$f" '$1 == f { print $2 }' "$tmp/includes"); do
				case " $seen " in *" $h "*) continue ;; esac
				seen="$seen $h"
				todo="$todo $h"
			done
		done
	done
	echo $seen
}

# Symbols: "sym unit" for each definition, "unit sym" for each use.
: >"$tmp/defs"
: >"$tmp/uses"
missing=0
for f in "$src"/*.c; do
	u=$(unit "$f")
	o=$(object_of "$u")
	[ -n "$o" ] || { missing=$((missing + 1)); continue; }
	nm -g --defined-only "$o" | awk -v u="$u" 'NF == 3 { print $3, u }' >>"$tmp/defs"
	nm -u "$o" | awk -v u="$u" '{ print u, $NF }' >>"$tmp/uses"
done
if [ "$missing" -gt 0 ] && [ ! -s "$tmp/defs" ]; then
	echo "objects of lib/ not built"
	exit 77
fi
# Calls between units: "from to symbol".
awk 'NR == FNR { def[$1] = $2; next } ($2 in def) && def[$2] != $1 { print $1, def[$2], $2 }' \
	"$tmp/defs" "$tmp/uses" | sort -u >"$tmp/calls"

# Edges that break the rule: from the core up to a layer, and from one layer
# to another.
: >"$tmp/up"
: >"$tmp/across"
for f in "$src"/*.c "$src"/*.h; do
	f=${f##*/}
	u=$(unit "$f")
	case " $CORE " in
	*" $u "*) mine=core out="$tmp/up" ;;
	*)
		mine=$(layer_of "$u")
		[ "$mine" != - ] || continue
		out="$tmp/across"
		;;
	esac
	for h in $(closure "$f"); do
		l=$(layer_of "$(unit "$h")")
		if [ "$l" != - ] && [ "$l" != "$mine" ]; then
			echo "$f includes $h ($l layer)" >>"$out"
		fi
	done
	case $f in *.h) continue ;; esac
	awk -v u="$u" '$1 == u { print $2, $3 }' "$tmp/calls" | while read -r to sym; do
		l=$(layer_of "$to")
		if [ "$l" != - ] && [ "$l" != "$mine" ]; then
			echo "$u.o refers to $sym of $to.c ($l layer)"
		fi
	done >>"$out"
done

if $report; then
	echo "== private headers each file includes (directly)"
	awk '{ inc[$1] = inc[$1] " " $2 } END { for (f in inc) print f ":" inc[f] }' \
		"$tmp/includes" | sort
	echo "== calls between files (from -> to: symbols)"
	awk '{ k = $1 ".c -> " $2 ".c"; s[k] = s[k] " " $3 } END { for (k in s) print k ":" s[k] }' \
		"$tmp/calls" | sort
	echo "== edges from the core up to a layer: $(wc -l <"$tmp/up")"
	cat "$tmp/up"
	echo "== edges from one layer to another: $(wc -l <"$tmp/across")"
	cat "$tmp/across"
	# Files as units (a .c with its .h); an edge is a call or an include.
	{
		awk '{ print $1, $2 }' "$tmp/calls"
		while read -r f h; do
			a=$(unit "$f") b=$(unit "$h")
			[ "$a" = "$b" ] || echo "$a $b"
		done <"$tmp/includes"
	} | sort -u >"$tmp/edges"
	echo "== strongly connected components of files (calls and includes), largest first"
	awk '
	function visit(v,    i, w) {
		index_of[v] = low[v] = ++counter
		stack[++sp] = v
		on[v] = 1
		for (i = 1; i <= n_out[v]; i++) {
			w = out[v, i]
			if (!(w in index_of)) {
				visit(w)
				if (low[w] < low[v]) low[v] = low[w]
			} else if (on[w] && index_of[w] < low[v]) {
				low[v] = index_of[w]
			}
		}
		if (low[v] == index_of[v]) {
			comp = ""
			size = 0
			do {
				w = stack[sp--]
				on[w] = 0
				comp = comp " " w
				size++
			} while (w != v)
			if (size > 1) print size ":" comp
		}
	}
	{ out[$1, ++n_out[$1]] = $2; node[$1]; node[$2] }
	END { for (v in node) if (!(v in index_of)) visit(v) }' "$tmp/edges" |
		sort -t: -k1,1nr
	echo "== lines per file"
	(cd "$src" && wc -l -- *.c *.h) | sort -n | awk '
		$2 != "total" { n++; sum += $1; if ($1 > max) { max = $1; big = $2 } print }
		END { printf "files %d, lines %d, mean %d, largest %s (%d)\n", n, sum, sum / n, big, max }'
	if command -v cflow >/dev/null; then
		echo "== files that shmheap_alloc and shmheap_free reach by direct calls (cflow)"
		for fn in shmheap_alloc shmheap_free; do
			printf '%s:' "$fn"
			(cd "$src/.." && cflow -T -m "$fn" lib/*.c lib/*.h 2>/dev/null) |
				sed -n 's/.* at \(lib\/[^:]*\):[0-9]*>$/\1/p' | sort -u | tr '\n' ' '
			echo
		done
	fi
fi

if [ -s "$tmp/up" ] || [ -s "$tmp/across" ]; then
	echo "the core reaches up into a layer, or a layer into another (see lib/README):"
	cat "$tmp/up" "$tmp/across"
	exit 1
fi
echo "layers: the core (${CORE}) uses no layer, and no layer another"
