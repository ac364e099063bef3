#!/bin/sh
# The library exports exactly the functions its version script lists.
# Run by make check from the build directory; srcdir is set by the harness.
set -eu
lib=lib/.libs/libshmheap.so
sym="${srcdir:-.}/lib/libshmheap.sym"
command -v nm >/dev/null || { echo "nm not found"; exit 77; }
[ -f "$lib" ] || { echo "$lib not built (static-only build?)"; exit 77; }

# Each symbol with the version node that lists it: name@NODE.  A symbol
# listed in two nodes has two versions (the older one kept for old programs).
expected=$(awk '/^SHMHEAP_[0-9.]+ *\{/ { node = $1 }
	/^[[:space:]]*[a-z_][a-z0-9_]*;$/ { sub(/^[[:space:]]*/, ""); sub(/;$/, ""); print $0 "@" node }' "$sym" |
	sort)
actual=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { sub(/@+/, "@", $3); print $3 }' |
	grep -v '^SHMHEAP_' | sort)
if [ "$expected" != "$actual" ]; then
	echo "exported symbols differ from $sym:"
	printf 'expected:\n%s\nactual:\n%s\n' "$expected" "$actual"
	exit 1
fi
actual=$(echo "$actual" | sed 's/@.*//' | sort -u)
for s in $actual; do
	case $s in
	shmheap_* | mmf_* | shmseg_*) ;;
	*) echo "unprefixed export: $s"; exit 1 ;;
	esac
done
echo "exports match: $(echo "$actual" | wc -l) symbols"
