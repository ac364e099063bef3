#!/bin/sh
# SIGTERM or SIGINT during a run: the runner reaps every worker, removes the
# heap and dies by the signal (status 128 + signal number).
. "${srcdir:-.}/tests/runners-lib.sh"

./tests/runners-gen -s 5 -n 200000 -p 16 -S 1048576 -b 256 -z 32 >"$tmp/ex2.in" ||
	die "runners-gen failed"
./tests/runners-gen -3 -s 6 -n 20000 -p 16 -k 16 -b 256 -z 32 \
	-S "$(safe_heap_size 256 32)" >"$tmp/ex3.in" || die "runners-gen failed"

# interrupt TOOL INPUT SIGNAL STATUS
interrupt() {
	tool=$1 input=$2 sig=$3 want=$4
	rm -f "$tmp/out"
	$bin/$tool <"$input" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	# Wait until the run is well under way (its handlers are set long before
	# it prints): it has printed 100 lines.
	while [ ! -e "$tmp/out" ] || [ "$(wc -l <"$tmp/out")" -lt 100 ]; do
		kill -0 "$pid" 2>/dev/null || die "$tool finished before the signal"
		sleep 0.05
	done
	kill -"$sig" "$pid"
	wait "$pid"
	status=$?
	[ "$status" -eq "$want" ] || die "$tool, SIG$sig: exit status $status, want $want"
	check_no_leftovers "$pid" "$tool, SIG$sig"
	check_no_holders "$tmp/out" "$tool, SIG$sig"
}

interrupt shmheap-ex2 "$tmp/ex2.in" TERM 143
interrupt shmheap-ex2 "$tmp/ex2.in" INT 130
interrupt shmheap-ex3 "$tmp/ex3.in" TERM 143
interrupt shmheap-ex3 "$tmp/ex3.in" INT 130
exit 0
