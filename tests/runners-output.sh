#!/bin/sh
# The runners and their output: --help and --version; a write error (a full
# disk) fails the run with "write error"; a reader that goes away (| head)
# ends the run quietly, by SIGPIPE, with nothing left behind; ex3 runs a line
# of many commands for one process without deadlocking on full pipes.
. "${srcdir:-.}/tests/runners-lib.sh"

for tool in shmheap-ex0 shmheap-ex1 shmheap-ex2 shmheap-ex3; do
	$bin/$tool --help >"$tmp/out" 2>"$tmp/err" || die "$tool --help: exit $?"
	grep -q "^Usage: $tool" "$tmp/out" || die "$tool --help: no usage line"
	[ ! -s "$tmp/err" ] || die "$tool --help wrote to stderr"
	$bin/$tool --version >"$tmp/out" 2>"$tmp/err" || die "$tool --version: exit $?"
	grep -Eq "^$tool \(libshmheap\) [0-9]" "$tmp/out" || die "$tool --version: $(cat "$tmp/out")"
done

# A full disk: every runner reports it and fails.
if [ -w /dev/full ]; then
	for cmd in "shmheap-ex0 4096" "shmheap-ex1 3" "shmheap-ex2" "shmheap-ex3"; do
		in=/dev/null
		case $cmd in
		shmheap-ex2) in=$data/ex2_sample1.in ;;
		shmheap-ex3) in=$data/ex3_sample1.in ;;
		esac
		TMPDIR=$tmp run "$in" /dev/full "$tmp/err" $bin/$cmd
		[ "$status" -eq 1 ] || die "$cmd >/dev/full: exit $status, want 1"
		grep -q "write error" "$tmp/err" || die "$cmd >/dev/full: no 'write error': $(cat "$tmp/err")"
		check_no_leftovers "$pid" "$cmd >/dev/full"
		$bin/$cmd --help >/dev/full 2>/dev/null && die "$cmd --help >/dev/full exits 0"
	done
fi

# A reader that goes away: the run ends by SIGPIPE, quietly, and cleans up.
./tests/runners-gen -3 -s 9 -n 3000 -p 8 -k 8 -b 64 -z 64 -S 1048576 >"$tmp/big.in" ||
	die "runners-gen failed"
for tool in shmheap-ex2 shmheap-ex3; do
	in=$tmp/big.in
	[ $tool = shmheap-ex2 ] && { ./tests/runners-gen -s 9 -n 20000 -p 8 -S 1048576 \
		-b 64 -z 64 >"$tmp/big2.in" || die "runners-gen failed"; in=$tmp/big2.in; }
	{
		$bin/$tool <"$in" 2>"$tmp/err" &
		echo $! >"$tmp/pid"
		wait $!
		echo $? >"$tmp/status"
	} | head -n 1 >"$tmp/head"
	pid=$(cat "$tmp/pid") status=$(cat "$tmp/status")
	[ "$status" -eq 141 ] || die "$tool | head -1: exit $status, want 141 (SIGPIPE)"
	[ ! -s "$tmp/err" ] || die "$tool | head -1 complained: $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/head")" -eq 1 ] || die "$tool | head -1: no line"
	check_no_leftovers "$pid" "$tool | head -1"
done
# The sample of the issue: exit 0 (all written in time) or 141, never a complaint.
{ $bin/shmheap-ex3 <"$data/ex3_sample1.in" 2>"$tmp/err"; echo $? >"$tmp/status"; } |
	head -n 1 >/dev/null
case $(cat "$tmp/status") in 0|141) ;; *) die "ex3 sample | head -1: exit $(cat "$tmp/status")" ;; esac
[ ! -s "$tmp/err" ] || die "ex3 sample | head -1 complained: $(cat "$tmp/err")"

# One line of 4096 commands for one process: far more requests and replies
# than a pipe holds.  A dispatcher that blocks on a full pipe while the worker
# blocks on a full reply pipe never ends (timeout only guards the hang).
{
	echo "1 1048576 4096"
	echo "0 0"
	i=0 line=""
	while [ $i -lt 4096 ]; do
		line="$line${line:+ | }3 0 $i 8"
		i=$((i + 1))
	done
	echo "$line"
	echo "1 0"
} >"$tmp/wide.in"
timeout 300 $bin/shmheap-ex3 <"$tmp/wide.in" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || die "ex3, 4096 commands for one process: exit $status: $(cat "$tmp/err")"
[ "$(grep -c '^#0: Allocated at offset' "$tmp/out")" -eq 4096 ] ||
	die "ex3, 4096 commands for one process: not 4096 allocations"
[ "$(wc -l <"$tmp/out")" -eq 4098 ] || die "ex3, 4096 commands: $(wc -l <"$tmp/out") lines"
exit 0
