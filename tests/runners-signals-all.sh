#!/bin/sh
# Every catchable terminating signal, not only SIGINT and SIGTERM, makes each
# runner kill and reap its children, remove what it made (the heap in
# /dev/shm; shmheap-ex0's file and private directory) and die by the signal.
#
# The runners are caught mid-run deterministically: their standard output is
# a FIFO whose buffer is already full, so the first child to print blocks
# with everything created, until the signal comes.
. "${srcdir:-.}/tests/runners-lib.sh"
ulimit -c 0 # SIGQUIT dumps core by default

mkfifo "$tmp/fifo" || die "mkfifo"
# A reader that never reads keeps the FIFO open; dd fills its buffer through
# a descriptor of its own (non-blocking, so it stops when the buffer is full).
exec 3<>"$tmp/fifo"
dd if=/dev/zero of="$tmp/fifo" bs=4096 count=1024 oflag=nonblock 2>/dev/null

./tests/runners-gen -s 5 -n 50 -p 4 -S 1048576 -b 16 -z 64 >"$tmp/ex2.in" ||
	die "runners-gen failed"
./tests/runners-gen -3 -s 6 -n 50 -p 4 -k 4 -b 16 -z 64 -S 1048576 >"$tmp/ex3.in" ||
	die "runners-gen failed"
mkdir "$tmp/t" || die "mkdir"

# Waits until path $2 exists (a glob) while the runner $1 runs.
await() {
	n=0
	while ! ls $2 >/dev/null 2>&1; do
		kill -0 "$1" 2>/dev/null || die "$tool finished before the signal"
		n=$((n + 1))
		[ $n -lt 1200 ] || die "$tool: $2 never appeared"
		sleep 0.05
	done
}

# catch TOOL ARG INPUT SIGNAL: runs TOOL, signals it once caught, checks.
catch() {
	tool=$1 arg=$2 input=$3 sig=$4
	TMPDIR=$tmp/t $bin/$tool $arg <"$input" >"$tmp/fifo" 2>"$tmp/err" &
	pid=$!
	case $tool in
	shmheap-ex0) await "$pid" "$tmp/t/shmheap-ex0.*/shared" ;;
	*) await "$pid" "/dev/shm/$tool.$pid" ;;
	esac
	kill -s "$sig" "$pid"
	wait "$pid"
	status=$?
	[ "$status" -gt 128 ] && [ "$(kill -l $((status - 128)))" = "$sig" ] ||
		die "$tool, SIG$sig: exit status $status, not death by SIG$sig"
	check_no_leftovers "$pid" "$tool, SIG$sig"
	[ -z "$(ls -A "$tmp/t")" ] || die "$tool, SIG$sig: left $(ls -A "$tmp/t") in TMPDIR"
	check_no_holders "$tmp/fifo" "$tool, SIG$sig"
}

for sig in HUP USR1 ALRM TERM; do
	catch shmheap-ex0 1M /dev/null "$sig"
done
for sig in HUP USR1 USR2 ALRM QUIT PROF; do
	catch shmheap-ex1 8 /dev/null "$sig"
	catch shmheap-ex2 "" "$tmp/ex2.in" "$sig"
	catch shmheap-ex3 "" "$tmp/ex3.in" "$sig"
done
exit 0
