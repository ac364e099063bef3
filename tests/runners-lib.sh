# Shell helpers for the runner tests; sourced, not run.
# The harness runs tests from the top build directory with $srcdir set.
srcdir=${srcdir:-.}
data=$srcdir/tests/data
# Run the real programs rather than libtool's wrapper scripts, which cost half
# a second each; with the library path the wrapper would set.
if [ -x ./bin/.libs/shmheap-ex2 ]; then
	bin=./bin/.libs
	LD_LIBRARY_PATH=$PWD/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
else
	bin=./bin
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmheap-runners.XXXXXX") || exit 99
# Its real path: a file: heap's path may not pass through a symbolic link.
tmp=$(cd "$tmp" && pwd -P) || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' INT TERM
# Where the first object and block word are, and the bookkeeping between two
# objects, as the library shows them: FIRST_OBJECT, FIRST_BLOCK, BLOCK_SPACE.
layout=$(tests/layout-probe) || exit 99
eval "$layout"

# die MESSAGE: the test failed; stops it at once.  (ctl-lib.sh's fail, like
# .ci/debian-check's, records a failure and lets the test go on.)
die() {
	echo "FAIL: $*" >&2
	exit 1
}
# This helper was called fail before; a call still using that name is a hard
# error (99) rather than a command not found that the test would run past.
fail() {
	echo "ERROR: runners-lib.sh has no fail (to stop, die): fail $*" >&2
	exit 99
}

# Lists /dev/shm objects that a runner with process id $1 left behind.
leftovers() {
	ls /dev/shm 2>/dev/null | grep -E "^shmheap-ex[0-9]\.$1\$"
}

# Fails if the runner with process id $1 left anything in /dev/shm, or left
# the file of shmheap-ex0 behind.
check_no_leftovers() {
	if [ -n "$(leftovers "$1")" ]; then
		ls /dev/shm/shmheap-ex?."$1" | while read -r f; do rm -f "$f"; done
		die "$2: /dev/shm object left behind"
	fi
}

# Runs a tool in the background so that its pid is known:
# run IN OUT ERR TOOL ARGS...; sets $pid and $status.
run() {
	in=$1 out=$2 err=$3
	shift 3
	"$@" <"$in" >"$out" 2>"$err" &
	pid=$!
	wait "$pid"
	status=$?
}

# Fails if a process still has file $1 as its standard output: a runner's
# worker that outlived the runner (workers inherit the runner's stdout).
check_no_holders() {
	held=$(find /proc/[0-9]*/fd/1 -maxdepth 0 -lname "$1" 2>/dev/null | head -n 1)
	[ -z "$held" ] || die "$2: a process still holds $1 ($held)"
}

# The size for runners-gen -3 that no allocation can fail in: with B objects
# of at most Z size_t values (8Z bytes), first fit always finds a hole if
# S >= (2B+1)(8Z+8) + FIRST_BLOCK.
safe_heap_size() {
	echo $(( ((2 * $1 + 1) * (8 * $2 + BLOCK_SPACE) + FIRST_BLOCK + 4095) / 4096 * 4096 ))
}

# Runs shmheap-ex3 on $tmp/in and validates the run with tests/ex3-check.
check_run() { # name checker-options runner-options...
	name=$1 opts=$2
	shift 2
	run "$tmp/in" "$tmp/out" "$tmp/err" $bin/shmheap-ex3 "$@"
	[ "$status" -eq 0 ] || die "$name: exit $status: $(cat "$tmp/err")"
	./tests/ex3-check $opts "$tmp/in" "$tmp/out" || die "$name: run rejected"
	check_no_leftovers "$pid" "$name"
	check_no_holders "$tmp/out" "$name"
}
