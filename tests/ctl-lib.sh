# shellcheck shell=sh
# ctl-lib.sh - what the shmheap-ctl tests share; sourced, not run.
#
# Tests run from the top build directory.  Every object a test makes is named
# $P-something (P holds the test's pid), and the EXIT trap removes them all and
# kills the children the test started, whether the test passes or fails.

set -u
CTL=${CTL:-tests/shmheap-ctl} # bin/shmheap-ctl without libtool's wrapper
MAKER=${MAKER:-tests/ctl-heapmaker}
# Where the first object and block word are, and the bookkeeping between two
# objects, as the library shows them: FIRST_OBJECT, FIRST_BLOCK, BLOCK_SPACE.
layout=$(tests/layout-probe) || exit 99
eval "$layout"
JSON=${JSON:-tests/ctl-json}
P=/ctl-test-$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctl-test.XXXXXX") || exit 99
# Its real path: a file: heap's path may not pass through a symbolic link.
TMP=$(cd "$TMP" && pwd -P) || exit 99
CHILDREN=

cleanup() {
	for pid in $CHILDREN; do kill "$pid" 2>/dev/null; done
	rm -f /dev/shm/ctl-test-$$-*
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

. "$(dirname "$0")/assert-lib.sh"

# expect_err_line PATTERN WHAT: stderr is exactly one line, matching the grep pattern.
expect_err_line() {
	lines=$(wc -l <"$TMP/err")
	if [ "$lines" -eq 1 ] && grep -q -- "$1" "$TMP/err"; then
		pass "$2: $(cat "$TMP/err")"
	else
		fail "$2: stderr should be one line matching '$1', was: $(cat "$TMP/err")"
	fi
}

# json PATH...: the values at PATHs in the last run's stdout (see ctl-json.c).
json() {
	"$JSON" "$@" <"$TMP/out"
}

# expect_json WHAT: the last run's stdout is valid JSON.
expect_json() {
	if "$JSON" <"$TMP/out" >/dev/null; then
		pass "$1: valid JSON"
	else
		fail "$1: invalid JSON: $(head -c 2000 "$TMP/out")"
	fi
}

# make_heap NAME [create options]: a 64 KiB heap made by the tool itself.
make_heap() {
	name=$1
	shift
	"$CTL" create "$name" 64K "$@" || { echo "cannot create $name" >&2; exit 99; }
}

# start VAR CMD...: runs a heapmaker command that prints a child's pid, sets
# VAR to it, and remembers it for cleanup (so not in a subshell).
start() {
	var=$1
	shift
	started=$("$MAKER" "$@") && [ -n "$started" ] || { echo "heapmaker $* failed" >&2; exit 99; }
	CHILDREN="$CHILDREN $started"
	eval "$var=\$started"
}

# stop PID: kills and forgets nothing (cleanup kills again, harmlessly).
stop() {
	kill "$1" 2>/dev/null
	# Wait until its mappings are gone from /proc.
	i=0
	while [ -e "/proc/$1/maps" ] && grep -q /dev/shm "/proc/$1/maps" 2>/dev/null && [ $i -lt 500 ]; do
		sleep 0.01
		i=$((i + 1))
	done
}
