#!/bin/sh
# The segment demos when things go wrong: two processes failing at once write
# whole lines, a closed output ends the demo with an error (not SIGPIPE), two
# runs of shmheap-shm-cnt in one namespace both end, a page left by a killed
# run or holding garbage never makes a later run hang, and a stopped process
# makes the other give up after a bounded wait.
. "$(dirname "$0")/shmseg-lib.sh"
PLANT=${PLANT:-tests/shmseg-plant}

LONGNAME=$(printf '%0300d' 0) # longer than a namespace name may be
# Every run is bounded: timeout's status 124 means the demo hung.
BOUND=${BOUND:-timeout 30}

# attached N: until segment 1 of the namespace has N attachments (at most 10 s).
attached() {
	i=0
	while [ $i -lt 1000 ]; do
		[ "$("$CTL" segments --json | "$JSON" segments.0.attached 2>/dev/null)" = "$1" ] &&
			return 0
		sleep 0.01
		i=$((i + 1))
	done
	return 1
}
# child_of PID: the child process of PID.
child_of() {
	cat "/proc/$1/task/$1/children" 2>/dev/null | tr -d ' '
}
# remember: adds the key of segment 1 to KEYS, which nothing_left checks in
# ipcs (the segment and the namespace's lock) and the clean-up removes.
KEYS=
remember() {
	k=$("$CTL" segments --json | "$JSON" segments.0.sysv_key 2>/dev/null) &&
		KEYS="$KEYS $(printf '0x%08x' "$k")"
}

# Both processes fail at once (the namespace name is refused): each message
# is one whole line on standard error, written with one write(2).
for n in 1 2 3 4 5; do
	run env SHMHEAP_SEGMENTS="$LONGNAME" "$SHMCNT"
	expect_rc 1 "shm-cnt in an invalid namespace, run $n"
	bad=$(grep -cv '^shmheap-shm-cnt: \(parent\|child\): shmseg_open(1): Invalid argument$' "$TMP/err")
	expect_eq "$(grep -c . "$TMP/err") $bad" "2 0" "shm-cnt in an invalid namespace, run $n: whole lines"
done
if strace -f -qq -o /dev/null true 2>/dev/null; then
	mkdir "$TMP/trace"
	# (ASAN_OPTIONS: LeakSanitizer cannot run under ptrace, and says so.)
	strace -f -ff -qq -s 512 -e trace=write -o "$TMP/trace/w" \
		env SHMHEAP_SEGMENTS="$LONGNAME" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$SHMCNT" 2>"$TMP/err"
	# One write to fd 2 per process that failed, each the whole line.
	cat "$TMP/trace"/w.* | grep 'write(2,' >"$TMP/writes"
	expect_eq "$(grep -c . "$TMP/writes")" 2 "shm-cnt failing twice: writes to standard error"
	whole=$(grep -c 'write(2, "shmheap-shm-cnt: \(parent\|child\): .*\\n", [0-9]*) = [0-9]*$' "$TMP/writes")
	expect_eq "$whole" 2 "shm-cnt failing twice: writes that are whole messages"
	[ "$whole" = 2 ] || cat "$TMP/writes" >&2
else
	skip_part "strace cannot trace here: the one-write check"
fi

# A closed output: the demo ends (status 1, having said so, or 0 if its lines
# were written before the reader left), not killed by SIGPIPE, and removes the
# page; the next run in the namespace is a normal one.
for demo in "$SHMCNT --loops 100" "$PINGPONG --api shmseg --rounds 100000" \
	"$PINGPONG --api posix --rounds 100000"; do
	# (sleep: the reader, true, has gone when the demo writes.)
	# shellcheck disable=SC2086
	{
		sleep 1
		$BOUND $demo 2>"$TMP/err"
		echo $? >"$TMP/rc"
	} | true
	rc=$(cat "$TMP/rc")
	case $rc in
	0 | 1) pass "$demo | true: status $rc" ;;
	*) fail "$demo | true: status $rc (124: it hung; 141: SIGPIPE killed it)" ;;
	esac
	bad=$(grep -cv ': writing standard output: Broken pipe$' "$TMP/err")
	expect_eq "$bad" 0 "$demo | true: other messages than the closed output"
	nothing_left "$demo | true"
done
run $BOUND "$SHMCNT" --loops 100
expect_rc 0 "shm-cnt after a closed output"
expect_eq "$(sed 's/.* = //' "$TMP/out" | sort -n | tail -1)" 200 "shm-cnt after a closed output: the larger value"
nothing_left "shm-cnt after a closed output"

# Two runs at once in one namespace share the page; both end, and well.
$BOUND "$SHMCNT" --loops 100000 >"$TMP/out1" 2>"$TMP/err1" &
p1=$!
$BOUND "$SHMCNT" --loops 100000 >"$TMP/out2" 2>"$TMP/err2" &
p2=$!
CHILDREN="$CHILDREN $p1 $p2"
wait $p1
rc1=$?
wait $p2
rc2=$?
expect_eq "$rc1 $rc2" "0 0" "two shm-cnt at once: statuses (124: hung)"
expect_eq "$(sed 's/ = .*//' "$TMP/out1" "$TMP/out2" | sort | tr '\n' ' ')" \
	"child: counter child: counter parent: counter parent: counter " "two shm-cnt at once: the lines"
expect_eq "$(cat "$TMP/err1" "$TMP/err2")" "" "two shm-cnt at once: standard error"
nothing_left "two shm-cnt at once"

# A run killed with SIGKILL (the child first, so that it cannot close the
# page when its parent dies) leaves its page, perhaps with the lock held by a
# dead process; the next run ends at once, and well.
for n in 1 2 3; do
	"$SHMCNT" --loops 1000000000 >/dev/null 2>&1 &
	pid=$!
	CHILDREN="$CHILDREN $pid"
	attached 2 || fail "killed shm-cnt $n: did not start"
	sleep 0.1 # counting by now, past setting up the page
	remember
	child=$(child_of "$pid")
	kill -9 "$child" "$pid"
	wait "$pid" 2>/dev/null
	[ "$(segment_count)" = 1 ] || echo "killed shm-cnt $n: the page went with it"
	run $BOUND "$SHMCNT" --loops 1000
	expect_rc 0 "shm-cnt after a killed run $n (124: hung)"
	expect_eq "$(grep -c 'counter = ' "$TMP/out")" 2 "shm-cnt after a killed run $n: the lines"
	nothing_left "shm-cnt after a killed run $n"
done

# A page whose first word names a live process (the lock of an old run, its
# pid reused since) is not a counter page: refused at once, and removed.
sleep 1000 &
live=$!
CHILDREN="$CHILDREN $live"
"$PLANT" 1 0 "$live" || fail "could not plant segment 1"
remember
run $BOUND "$SHMCNT" --loops 100
expect_rc 1 "shm-cnt on a planted page (124: hung)"
bad=$(grep -cv '^shmheap-shm-cnt: \(parent\|child\): segment 1 is not a counter page (its first word is 0x[0-9a-f]*)$' "$TMP/err")
expect_eq "$(grep -c . "$TMP/err") $bad" "2 0" "shm-cnt on a planted page: the messages"
kill "$live"
nothing_left "shm-cnt on a planted page"

# A stopped child: the parent gives up after a bounded wait, says on what,
# ends the child and removes the segment.
"$PINGPONG" --api shmseg --rounds 1000000000 >/dev/null 2>"$TMP/err" &
pid=$!
CHILDREN="$CHILDREN $pid"
attached 2 || fail "pingpong: did not start"
remember
kill -STOP "$(child_of "$pid")"
exited "$pid" 30 || fail "pingpong with a stopped child: still running after 30 s"
wait "$pid"
rc=$?
expect_rc 1 "pingpong with a stopped child"
grep -q "^shmheap-pingpong: parent: waited [0-9]* s for the child's request [0-9]*$" "$TMP/err" ||
	fail "pingpong with a stopped child: stderr: $(cat "$TMP/err")"
nothing_left "pingpong with a stopped child"

finish
