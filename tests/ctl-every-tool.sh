#!/bin/sh
# What all nine tools share (issue 28 items 6 and 7): -h, --help, -V and
# --version; a full usage that starts "Usage: TOOL", on standard output,
# nothing on standard error; and quiet on a closed pipe, also with SIGPIPE
# ignored (a reader that goes is no write error, as with util-linux).
. "$(dirname "$0")/ctl-lib.sh"

# The programs themselves, not libtool's wrapper scripts.
if [ -x ./bin/.libs/shmheap-ex2 ]; then
	bin=./bin/.libs
	LD_LIBRARY_PATH=$PWD/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
else
	bin=./bin
fi
TOOLS="shmheap-ctl shmheap-ex0 shmheap-ex1 shmheap-ex2 shmheap-ex3 shmheap-lab-alloc
shmheap-lab-ealloc shmheap-shm-cnt shmheap-pingpong"

for tool in $TOOLS; do
	for opt in -h --help; do
		run "$bin/$tool" $opt
		expect_rc 0 "$tool $opt"
		head -n 1 "$TMP/out" | grep -q "^Usage: $tool" || fail "$tool $opt: $(head -n 1 "$TMP/out")"
		expect_eq "$(cat "$TMP/err")" "" "$tool $opt: standard error"
		# A full usage: the options, each with what it does.
		grep -q -- '-h, --help' "$TMP/out" || fail "$tool $opt does not list -h, --help"
		grep -q -- '-V, --version' "$TMP/out" || fail "$tool $opt does not list -V, --version"
		[ "$(wc -l <"$TMP/out")" -ge 5 ] || fail "$tool $opt: a one-line usage"
	done
	for opt in -V --version; do
		run "$bin/$tool" $opt
		expect_rc 0 "$tool $opt"
		grep -Eq "^$tool \(libshmheap\) [0-9]" "$TMP/out" || fail "$tool $opt: $(cat "$TMP/out")"
	done
	# "usage:" in lower case nowhere, neither in the help nor in an error.
	"$bin/$tool" --bogus-option >"$TMP/out" 2>"$TMP/err" </dev/null
	grep -q 'usage:' "$TMP/out" "$TMP/err" && fail "$tool: 'usage:' in lower case: $(cat "$TMP/err")"
done

# closed_pipe TOOL ARGS...: runs the tool with SIGPIPE ignored, writing into a
# pipe whose reader has already exited; its status goes to $rc, stderr to
# $TMP/err.
closed_pipe() {
	rm -f "$TMP/reader"
	(
		trap '' PIPE
		# Wait until the reader has exited (its descriptors are gone).
		i=0
		while { [ ! -s "$TMP/reader" ] || [ -e "/proc/$(cat "$TMP/reader")/fd/0" ]; } &&
			[ $i -lt 1000 ]; do
			sleep 0.01
			i=$((i + 1))
		done
		"$@" 2>"$TMP/err"
		echo $? >"$TMP/rc"
	) | sh -c 'echo $$ >"$1"' sh "$TMP/reader"
	rc=$(cat "$TMP/rc")
}
for tool in $TOOLS; do
	closed_pipe "$bin/$tool" --help
	expect_rc 0 "(trap '' PIPE; $tool --help | true)"
	expect_eq "$(cat "$TMP/err")" "" "$tool --help into a closed pipe: standard error"
done
closed_pipe "$bin/shmheap-lab-alloc"
expect_rc 0 "shmheap-lab-alloc into a closed pipe"
expect_eq "$(cat "$TMP/err")" "" "shmheap-lab-alloc into a closed pipe: standard error"
make_heap "$P-pipe"
closed_pipe "$CTL" list --timeout 50
expect_rc 0 "shmheap-ctl list into a closed pipe"
expect_eq "$(cat "$TMP/err")" "" "shmheap-ctl list into a closed pipe: standard error"
# Other write errors are still errors.
if [ -w /dev/full ]; then
	"$bin/shmheap-ctl" --help >/dev/full 2>"$TMP/err"
	rc=$?
	expect_rc 1 "shmheap-ctl --help >/dev/full"
	grep -q 'write error' "$TMP/err" || fail "--help >/dev/full: $(cat "$TMP/err")"
fi
finish
