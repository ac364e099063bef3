# shellcheck shell=sh
# shmseg-lib.sh - what the segment tests (demos, shmheap-ctl segments) share;
# sourced, not run.
#
# Every run has its own namespace, SHMHEAP_SEGMENTS=shmseg-test-<pid>; the
# EXIT trap kills the children the test started and removes what is left of
# the namespace's segments, whether the test passes or fails.

set -u
CTL=${CTL:-tests/shmheap-ctl}
JSON=${JSON:-tests/ctl-json}
SHMCNT=${SHMCNT:-bin/shmheap-shm-cnt}
PINGPONG=${PINGPONG:-bin/shmheap-pingpong}
SHMHEAP_SEGMENTS=shmseg-test-$$
export SHMHEAP_SEGMENTS
TMP=$(mktemp -d "${TMPDIR:-/tmp}/shmseg-test.XXXXXX") || exit 99
CHILDREN=

# exited PID SECONDS: until PID has exited, at most SECONDS; then it is
# killed, and the call fails.
exited() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 100)) ]; do
		sleep 0.01
		i=$((i + 1))
	done
	kill -0 "$1" 2>/dev/null || return 0
	kill -9 "$1"
	return 1
}

# The System V identifiers of the namespace's segments, one per line.
segment_ids() {
	"$CTL" segments --json | "$JSON" segments.# >/dev/null 2>&1 || return 0
	n=$("$CTL" segments --json | "$JSON" segments.#)
	i=0
	while [ "$i" -lt "$n" ]; do
		"$CTL" segments --json | "$JSON" "segments.$i.sysv_id"
		i=$((i + 1))
	done
}

# lock_key KEY: the key of the lock of the namespace that holds segment key
# KEY (the key of id 0, in the semaphore key space; see shmseg(3)).
lock_key() {
	printf '0x%08x' $(($1 & ~1023))
}

# The keys of the namespace's segments, one per line.
segment_keys() {
	n=$("$CTL" segments --json 2>/dev/null | "$JSON" segments.# 2>/dev/null) || return 0
	i=0
	while [ "$i" -lt "$n" ]; do
		"$CTL" segments --json | "$JSON" "segments.$i.sysv_key"
		i=$((i + 1))
	done
}

cleanup() {
	for pid in $CHILDREN; do kill -9 "$pid" 2>/dev/null; done
	for k in ${KEYS:-} ${SEEN_KEYS:-} $(segment_keys); do
		ipcrm -S "$(lock_key "$k")" 2>/dev/null
	done
	for id in $(segment_ids); do ipcrm -m "$id" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

. "$(dirname "$0")/assert-lib.sh"

# segment_count: how many segments the namespace holds.
segment_count() {
	"$CTL" segments --json | "$JSON" segments.#
}

# nothing_left WHAT [PID]: no segment in the namespace, no System V segment
# with one of the keys in KEYS in ipcs -m nor the namespace's lock in ipcs -s,
# and no pingpong object of PID in /dev/shm.
nothing_left() {
	expect_eq "$(segment_count)" 0 "$1: segments left in the namespace"
	if [ -n "${KEYS:-}" ]; then
		for k in $KEYS; do
			ipcs -m | grep -qi "^$k " && fail "$1: ipcs -m still lists key $k"
			ipcs -s | grep -qi "^$(lock_key "$k") " &&
				fail "$1: ipcs -s still lists the lock $(lock_key "$k")"
		done
	fi
	if [ -n "${2:-}" ] && ls /dev/shm/shmheap-pingpong-"$2" >/dev/null 2>&1; then
		fail "$1: /dev/shm/shmheap-pingpong-$2 left behind"
	fi
	return 0
}
