#!/bin/sh
# shmheap-ex0 in a directory where someone planted links under every name it
# could predict (shmheap-ex0.PID for the next pids): the file they point to is
# left unchanged, and ex0 leaves nothing behind in the directory.
. "${srcdir:-.}/tests/runners-lib.sh"

dir=$tmp/shared-tmp
mkdir "$dir" || die "mkdir"
head -c 4096 /dev/urandom >"$tmp/victim" || die "victim"
chmod 600 "$tmp/victim"
cp "$tmp/victim" "$tmp/victim.orig"
start=$$
i=0
while [ $i -lt 400 ]; do
	ln -s "$tmp/victim" "$dir/shmheap-ex0.$((start + i))"
	i=$((i + 1))
done
ls "$dir" >"$tmp/before"

for run in 1 2 3 4 5; do
	TMPDIR=$dir run /dev/null "$tmp/out" "$tmp/err" $bin/shmheap-ex0 4096
	[ "$status" -eq 0 ] || die "run $run: exit $status: $(cat "$tmp/err")"
	diff -u "$data/ex0_sample.out" "$tmp/out" || die "run $run: output differs"
	cmp -s "$tmp/victim" "$tmp/victim.orig" || die "run $run (pid $pid): the planted link's target was written"
	ls "$dir" | diff -u "$tmp/before" - || die "run $run: left something in TMPDIR"
done
exit 0
