#!/bin/sh
# The segment demos when things go wrong: two processes failing at once write
# whole lines, a closed output ends the demo with an error, two runs of
# shmheap-shm-cnt in one namespace both end, a page left by a killed run or
# holding garbage never makes a later run hang, and a stopped process makes
# the other give up after a bounded wait.
. "$(dirname "$0")/shmseg-lib.sh"

LONGNAME=$(printf '%0300d' 0) # longer than a namespace name may be

# Both processes fail at once (the namespace name is refused): each message
# is one whole line on standard error, written with one write(2).
for i in 1 2 3 4 5; do
	run env SHMHEAP_SEGMENTS="$LONGNAME" "$SHMCNT"
	expect_rc 1 "shm-cnt in an invalid namespace, run $i"
	bad=$(grep -cv '^shmheap-shm-cnt: \(parent\|child\): shmseg_open(1): Invalid argument$' "$TMP/err")
	expect_eq "$(grep -c . "$TMP/err") $bad" "2 0" "shm-cnt in an invalid namespace, run $i: whole lines"
done
if strace -f -qq -o /dev/null true 2>/dev/null; then
	mkdir "$TMP/trace"
	strace -f -ff -qq -s 512 -e trace=write -o "$TMP/trace/w" \
		env SHMHEAP_SEGMENTS="$LONGNAME" "$SHMCNT" 2>"$TMP/err"
	# One write to fd 2 per process that failed, each the whole line.
	cat "$TMP/trace"/w.* | grep 'write(2,' >"$TMP/writes"
	expect_eq "$(grep -c . "$TMP/writes")" 2 "shm-cnt failing twice: writes to standard error"
	whole=$(grep -c 'write(2, "shmheap-shm-cnt: \(parent\|child\): .*\\n", [0-9]*) = [0-9]*$' "$TMP/writes")
	expect_eq "$whole" 2 "shm-cnt failing twice: writes that are whole messages"
	[ "$whole" = 2 ] || cat "$TMP/writes" >&2
else
	echo "strace cannot trace here: the one-write check is skipped"
fi

finish
