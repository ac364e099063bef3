# Shell helpers for the runner tests; sourced, not run.
# The harness runs tests from the top build directory with $srcdir set.
srcdir=${srcdir:-.}
data=$srcdir/tests/data
bin=./bin
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmheap-runners.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
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
		fail "$2: /dev/shm object left behind"
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
