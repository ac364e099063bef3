# Shell helpers for the tests over every backing (/name, file:, sysv:, anon:);
# sourced after runners-lib.sh or ctl-lib.sh, which set $tmp.

# A System V key of this test's own: pid-based, never 0 (IPC_PRIVATE).
backing_key() { # [n]: the n-th key of this test (default 0)
	printf '0x%08x' $(( 0x5b160000 + ($$ % 0x8000) * 16 + ${1:-0} ))
}

# True if a System V segment of key $1 (0x-hex) exists.  The kernel writes
# /proc/sysvipc/shm a page at a time, and a read can miss an entry while
# other segments come and go (other tests run beside this one): a segment is
# taken for absent only when three reads agree.
sysv_exists() {
	want=$(( $1 ))
	# The key column of /proc/sysvipc/shm is signed decimal.
	[ "$want" -ge 2147483648 ] && want=$(( want - 4294967296 ))
	for _ in 1 2 3; do
		awk -v k="$want" 'NR > 1 && $1 == k { found = 1 } END { exit !found }' \
			/proc/sysvipc/shm 2>/dev/null && return 0
	done
	return 1
}

# Removes a segment of key $1 that a failed test left (the test fails anyway).
sysv_remove() {
	ipcrm -M "$1" 2>/dev/null || true
}

# The names of the four backings for a test: sets $posix_name, $file_name,
# $sysv_name (of key $(backing_key $1)).
backing_names() {
	posix_name=/shmheap-backings.$$.${1:-0}
	file_name=file:$tmp/heap.${1:-0}
	sysv_name=sysv:$(backing_key "${1:-0}")
}

# Fails ($2: what ran) if the heap named $1 still exists in any form.
check_gone() {
	case $1 in
	/*) [ ! -e "/dev/shm$1" ] || { rm -f "/dev/shm$1"; die "$2: $1 left in /dev/shm"; } ;;
	file:*) [ ! -e "${1#file:}" ] || { rm -f "${1#file:}"; die "$2: file ${1#file:} left behind"; } ;;
	sysv:*) ! sysv_exists "${1#sysv:}" || { sysv_remove "${1#sysv:}"; die "$2: segment $1 left behind"; } ;;
	esac
}

# True if this build's library has the backing of name $1 ("anon:" too): a
# library without it refuses the name with EINVAL (ENOTSUP for anon:), which
# the runner reports.  Used to say SKIP rather than fail for such a build.
backing_supported() {
	$bin/shmheap-ex1 --heap "$1" 1 >/dev/null 2>"$tmp/probe.err" && return 0
	! grep -q -e 'Invalid argument' -e 'not supported' "$tmp/probe.err"
}
