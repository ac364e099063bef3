#!/bin/sh
# The runners over every backing (--heap): the ex2 sample's output is
# byte-identical to the POSIX run's, the ex3 sample's run is valid, ex1's
# readers all succeed, and nothing is left behind, on a signal either.
. "${srcdir:-.}/tests/runners-lib.sh"
. "${srcdir:-.}/tests/backings-lib.sh"
backing_names 0
trap 'rm -rf "$tmp"; sysv_remove "${sysv_name#sysv:}"' EXIT

# The POSIX default run is the reference.
run "$data/ex2_sample1.in" "$tmp/ex2.ref" "$tmp/err" $bin/shmheap-ex2
[ "$status" -eq 0 ] || die "ex2 default: exit $status: $(cat "$tmp/err")"
cmp -s "$tmp/ex2.ref" "$data/ex2_sample1.out" || die "ex2 default: not the sample output"

for heap in "$posix_name" "$file_name" "$sysv_name" anon:; do
	if ! backing_supported "$heap"; then
		echo "SKIP (in part): $heap: the library has no such backing" >&2
		continue
	fi
	run "$data/ex2_sample1.in" "$tmp/ex2.out" "$tmp/err" $bin/shmheap-ex2 --heap "$heap"
	[ "$status" -eq 0 ] || die "ex2 --heap $heap: exit $status: $(cat "$tmp/err")"
	cmp -s "$tmp/ex2.ref" "$tmp/ex2.out" ||
		die "ex2 --heap $heap: output differs from the POSIX run"
	check_gone "$heap" "ex2 --heap $heap"

	run "$data/ex3_sample1.in" "$tmp/ex3.out" "$tmp/err" $bin/shmheap-ex3 --heap "$heap"
	[ "$status" -eq 0 ] || die "ex3 --heap $heap: exit $status: $(cat "$tmp/err")"
	./tests/ex3-check "$data/ex3_sample1.in" "$tmp/ex3.out" ||
		die "ex3 --heap $heap: run rejected"
	check_gone "$heap" "ex3 --heap $heap"

	run /dev/null "$tmp/ex1.out" "$tmp/err" $bin/shmheap-ex1 --heap "$heap" 3
	[ "$status" -eq 0 ] || die "ex1 --heap $heap: exit $status: $(cat "$tmp/err")"
	[ "$(grep -c 'received data successfully' "$tmp/ex1.out")" -eq 3 ] ||
		die "ex1 --heap $heap: not every reader succeeded"
	check_gone "$heap" "ex1 --heap $heap"
done

# The heap exists: the run refuses to take it over, and leaves it alone.
if backing_supported "$file_name"; then
	: >"$tmp/heap.0"
	run "$data/ex2_sample1.in" "$tmp/out" "$tmp/err" $bin/shmheap-ex2 --heap "$file_name"
	[ "$status" -eq 1 ] || die "ex2 over an existing file: exit $status, not 1"
	grep -q "cannot create the heap: File exists" "$tmp/err" ||
		die "ex2 over an existing file: $(cat "$tmp/err")"
	[ -e "$tmp/heap.0" ] || die "ex2 over an existing file removed it"
	rm -f "$tmp/heap.0"
fi

# Malformed names: a usage error naming the problem, before anything runs.
for heap in file: sysv:nokey sysv:0 nosuch:x noslash; do
	run "$data/ex2_sample1.in" "$tmp/out" "$tmp/err" $bin/shmheap-ex2 --heap "$heap"
	[ "$status" -eq 2 ] || die "--heap $heap: exit $status, not 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^shmheap-ex2: --heap '$heap': " "$tmp/err" ||
		die "--heap $heap: $(cat "$tmp/err")"
done

# SIGTERM while the heap exists: the runner removes it and dies by the signal.
# Its input is a pipe kept open, so it waits for a command meanwhile.
start_ex3() { # heap: starts ex3 over it, sets $pid once the heap is in use
	mkfifo "$tmp/fifo"
	$bin/shmheap-ex3 --heap "$1" <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	exec 9>"$tmp/fifo"
	printf '2 65536 4\n0 0 | 0 1\n3 0 0 4\n' >&9
	tries=0
	until grep -q Allocated "$tmp/out"; do
		tries=$((tries + 1))
		[ "$tries" -lt 200 ] || die "signal over $1: the run never started"
		sleep 0.05
	done
}
term_ex3() { # heap: ends the run by SIGTERM
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	exec 9>&-
	rm -f "$tmp/fifo"
	[ "$status" -eq $((128 + 15)) ] || die "signal over $1: exit $status, not 143"
}
for heap in "$file_name" "$sysv_name"; do
	backing_supported "$heap" || continue
	start_ex3 "$heap"
	case $heap in
	file:*) [ -e "${heap#file:}" ] || die "signal over $heap: no file while running" ;;
	sysv:*) sysv_exists "${heap#sysv:}" || die "signal over $heap: no segment while running" ;;
	esac
	term_ex3 "$heap"
	check_gone "$heap" "SIGTERM over $heap"
done

# The heap's directory moved, and a link to another directory put in its
# place, before the signal (issue 25 item 2): the runner removes its own heap
# where it now is, and nothing behind the link.
if backing_supported "$file_name"; then
	mkdir "$tmp/d" "$tmp/other" && printf 'precious\n' >"$tmp/other/heap" ||
		die "cannot make the directories"
	start_ex3 "file:$tmp/d/heap"
	mv "$tmp/d" "$tmp/moved" && ln -s other "$tmp/d" || die "cannot swap the directory"
	term_ex3 "file:$tmp/d/heap"
	[ "$(cat "$tmp/other/heap" 2>/dev/null)" = precious ] ||
		die "SIGTERM removed the file behind the link"
	[ ! -e "$tmp/moved/heap" ] || die "SIGTERM left the heap in its moved directory"
fi
exit 0
