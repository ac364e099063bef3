# shellcheck shell=sh
# assert-lib.sh - the assertions the shell tests of ctl-lib.sh and
# shmseg-lib.sh share; sourced by those, not run.  A failed assertion is
# recorded and the test goes on; finish exits with the Automake status.
# run and expect_rc use $TMP, which the sourcing library makes.

FAILED=0
fail() {
	echo "FAIL: $*" >&2
	FAILED=1
}
pass() {
	echo "ok: $*"
}
# Ends the test with the Automake status: 0 passed, 1 failed.
finish() {
	exit "$FAILED"
}
# skip WHY: the whole test needs what this run lacks (root, a tool): says so on
# one line and exits 77, Automake's SKIP (1 if an assertion failed before).
skip() {
	echo "SKIP: $*"
	[ "$FAILED" -eq 0 ] || exit 1
	exit 77
}
# skip_part WHY: a part of the test cannot run here; the rest goes on.
skip_part() {
	echo "SKIP (in part): $*"
}

# run CMD...: runs CMD with stdout in $TMP/out, stderr in $TMP/err, status in $rc.
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	return 0
}

# expect_rc WANT WHAT: the last run's status.
expect_rc() {
	if [ "$rc" -eq "$1" ]; then
		pass "$2 (status $rc)"
	else
		fail "$2: status $rc, expected $1; stderr: $(cat "$TMP/err")"
	fi
}

# expect_eq GOT WANT WHAT
expect_eq() {
	if [ "$1" = "$2" ]; then
		pass "$3 = $2"
	else
		fail "$3: got '$1', expected '$2'"
	fi
}
