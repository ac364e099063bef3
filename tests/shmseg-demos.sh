#!/bin/sh
# The segment demos: shmheap-shm-cnt counts to exactly 2N with the lock,
# shmheap-pingpong prints the expected text with both APIs, a taken address
# is a clear error, and neither leaves anything behind, even when stopped by
# SIGINT or SIGTERM.
. "$(dirname "$0")/shmseg-lib.sh"

# shm-cnt: one line per process; the larger value is 2N.
for n in 1 10000 100000; do
	run "$SHMCNT" --loops "$n"
	expect_rc 0 "shm-cnt --loops $n"
	expect_eq "$(sed 's/ = .*//' "$TMP/out" | sort | tr '\n' ' ')" "child: counter parent: counter " \
		"shm-cnt --loops $n: the lines"
	expect_eq "$(sed 's/.* = //' "$TMP/out" | sort -n | tail -1)" $((2 * n)) \
		"shm-cnt --loops $n: the larger value"
	nothing_left "shm-cnt --loops $n"
done
run "$SHMCNT" --no-lock --loops 1000
expect_rc 0 "shm-cnt --no-lock"
expect_eq "$(wc -l <"$TMP/out")" 2 "shm-cnt --no-lock: lines"
run "$SHMCNT" --loops x
expect_rc 2 "shm-cnt --loops x"
expect_eq "$(cat "$TMP/err")" "shmheap-shm-cnt: --loops: 'x' is not a number from 0 to 1000000000" \
	"shm-cnt --loops x: the message"

# pingpong: the expected text, generated here.
expected() {
	awk -v n="$1" 'BEGIN {
		for (r = 1; r <= n; r++) {
			printf "child: request %d: square of %d\n", r, r
			printf "parent: request %d: %d * %d = %d\n", r, r, r, r * r
			printf "child: answer %d: %d\n", r, r * r
		}
		printf "parent: %d round trips done\n", n
	}'
}
for api in posix shmseg queue; do
	for n in 1 1000; do
		expected "$n" >"$TMP/want"
		run "$PINGPONG" --rounds "$n" --api "$api"
		expect_rc 0 "pingpong --rounds $n --api $api"
		if cmp -s "$TMP/out" "$TMP/want"; then
			pass "pingpong --rounds $n --api $api: the expected text"
		else
			fail "pingpong --rounds $n --api $api: $(diff "$TMP/want" "$TMP/out" | head -5)"
		fi
		nothing_left "pingpong --rounds $n --api $api"
	done
done
expected 3 >"$TMP/want"
run "$PINGPONG"
cmp -s "$TMP/out" "$TMP/want" || fail "pingpong: 3 rounds and the posix API by default"
run "$PINGPONG" --api sysv
expect_rc 2 "pingpong --api sysv"
expect_eq "$(cat "$TMP/err")" "shmheap-pingpong: --api: 'sysv' is not posix, shmseg or queue" \
	"pingpong --api sysv: the message"

# The queue API: the same text on every run (a second run of 1000 rounds).
expected 1000 >"$TMP/want"
run "$PINGPONG" --rounds 1000 --api queue
cmp -s "$TMP/out" "$TMP/want" || fail "pingpong --api queue: another run, another text"

# A taken address: one line naming it, status 1, nothing left.
PRELOAD=$(pwd)/tests/.libs/take-address.so
[ -f "$PRELOAD" ] || { echo "no $PRELOAD" >&2; exit 99; }
for api in posix shmseg; do
	for who in parent child; do
		case $who in parent) addr=0x10000000 ;; child) addr=0x20000000 ;; esac
		# (ASAN_OPTIONS: lets a sanitizer build run with the module preloaded.)
		run env LD_PRELOAD="$PRELOAD" TAKE_ADDRESS=$addr \
			ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			"$PINGPONG" --api $api
		expect_rc 1 "pingpong --api $api, $addr taken"
		if [ "$(grep -c . "$TMP/err")" -eq 1 ] &&
			grep -q "^shmheap-pingpong: $who: cannot .* at $addr: the address is taken\$" "$TMP/err"; then
			pass "pingpong --api $api, $addr taken: $(cat "$TMP/err")"
		else
			fail "pingpong --api $api, $addr taken: stderr: $(cat "$TMP/err")"
		fi
		nothing_left "pingpong --api $api, $addr taken"
	done
done

# Interrupted: the demo dies of the signal and leaves nothing behind.
# started DEMO: until the demo is under way (SIGINT is ignored in background
# jobs until the demo installs its handler).
started() {
	i=0
	while [ $i -lt 1000 ]; do
		case $1 in
		*shm-cnt*)
			[ "$("$CTL" segments --json | "$JSON" segments.0.attached)" = 2 ] && return 0 ;;
		*) [ "$(wc -l <"$TMP/bg")" -gt 3 ] && return 0 ;;
		esac
		sleep 0.01
		i=$((i + 1))
	done
	return 1
}
for sig in INT:2 TERM:15; do
	num=${sig#*:}
	sig=${sig%:*}
	for demo in "$SHMCNT --loops 1000000000" "$PINGPONG --api shmseg --rounds 1000000000" \
		"$PINGPONG --api posix --rounds 1000000000"; do
		# shellcheck disable=SC2086
		: >"$TMP/bg"
		$demo >"$TMP/bg" 2>"$TMP/err" &
		pid=$!
		CHILDREN="$CHILDREN $pid"
		started "$demo" || fail "$demo: did not start"
		KEYS=$("$CTL" segments --json | "$JSON" segments.0.sysv_key | grep -v none |
			awk '{ printf "0x%08x", $1 }')
		kill -"$sig" "$pid"
		exited "$pid" 10 || fail "$demo: still running 10 s after SIG$sig"
		wait "$pid"
		st=$?
		expect_eq "$st" $((128 + num)) "$demo, SIG$sig: status"
		nothing_left "$demo, SIG$sig" "$pid"
		KEYS=
	done
done
finish
