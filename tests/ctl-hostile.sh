#!/bin/sh
# shmheap-ctl against what another user, or an unlucky moment, puts in its
# way: a FIFO under a heap's name (it hung the tool), a heap truncated while
# the tool waited for its lock (SIGBUS), a heap whose group may write it, and,
# as root, a heap another user owns and keeps locked, and a System V heap its
# creator gave to root (root's tool locked them; it must not even try).
. "$(dirname "$0")/ctl-lib.sh"

# Each command runs under timeout(1): a hang fails the test instead of it.
T="timeout 60"
# A System V heap of this test's own key (the root part below).
KEY=$(printf '0x%08x' $((0x5c250000 + ($$ % 0x8000) * 4)))
trap 'cleanup; ipcrm -M "$KEY" 2>/dev/null' EXIT

# ---- the caller's own heap that its group may write (mode 0620)
make_heap "$P-groupw" --mode 0620
for cmd in check inspect; do
	run $T "$CTL" "$cmd" --timeout 3600000 "$P-groupw"
	expect_rc 0 "$cmd of a heap its group may write"
	expect_err_line "mode 0620 lets other users write it, so its lock is not taken" \
		"$cmd does not lock a heap its group may write"
done
run $T "$CTL" list --json
expect_eq "$(json "heaps.name=$P-groupw.status")" "read-unlocked" "list reads a group-writable heap unlocked"

# ---- a FIFO is no heap, and nothing waits for a writer to it
mkfifo "/dev/shm/${P#/}-fifo" || exit 99
# check exits 3 when it could not check at all (not a heap), inspect 1.
for cmd in inspect:1 check:3; do
	rc=${cmd#*:} cmd=${cmd%:*}
	run $T "$CTL" "$cmd" "$P-fifo"
	expect_rc "$rc" "$cmd of a FIFO"
	expect_err_line "^shmheap-ctl: $P-fifo: not a shmheap" "$cmd of a FIFO"
done
run $T "$CTL" unlink "$P-fifo"
expect_rc 1 "unlink of a FIFO without --force"
[ -p "/dev/shm/${P#/}-fifo" ] || fail "unlink removed the FIFO without --force"
run $T "$CTL" list --all --json
expect_rc 0 "list with a FIFO"
expect_eq "$(json "heaps.name=$P-fifo.status")" "not-heap" "list shows the FIFO as no heap"

# ---- a heap truncated while the tool waits for its lock
for cmd in check inspect list; do
	make_heap "$P-cut-$cmd"
	"$MAKER" fill "$P-cut-$cmd" || exit 99
	start holder shrink "$P-cut-$cmd"
	case $cmd in
	list) run timeout 120 "$CTL" list --json ;;
	*) run $T "$CTL" "$cmd" --timeout 5000 "$P-cut-$cmd" ;;
	esac
	# Had the tool come after the truncation, it finds the header claiming
	# more than the object holds: reported too, differently.
	case $cmd in
	check)
		expect_rc 1 "check of a heap truncated while it waited"
		grep -q "longer than its object (truncated)" "$TMP/out" ||
			grep -q "corrupted heap header" "$TMP/err" ||
			fail "check names the truncation: $(cat "$TMP/out" "$TMP/err")"
		;;
	inspect)
		expect_rc 1 "inspect of a heap truncated while it waited"
		grep -q "block chain broken\|corrupted heap header" "$TMP/err" ||
			fail "inspect says the figures stop: $(cat "$TMP/err")"
		;;
	list)
		expect_rc 0 "list with a heap truncated while it waited"
		expect_json "list --json with a truncated heap"
		case $(json "heaps.name=$P-cut-list.status") in
		corrupt | bad-header) pass "list reports the truncated entry" ;;
		*) fail "list reports the truncated entry: $(json "heaps.name=$P-cut-list.status")" ;;
		esac
		expect_eq "$(json "heaps.name=$P-cut-check.status")" "bad-header" \
			"list goes on to the other entries"
		;;
	esac
	stop "$holder"
done

# ---- root and a heap another user owns and keeps locked
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	if as_nobody "$CTL" create "$P-theirs" 64K --mode 0644 2>/dev/null; then
		as_nobody "$MAKER" fill "$P-theirs" || exit 99
		locker=$(as_nobody "$MAKER" lock "$P-theirs") && [ -n "$locker" ] || exit 99
		CHILDREN="$CHILDREN $locker"
		# An hour's --timeout: a tool that tried the lock would hang here.
		run $T "$CTL" check --timeout 3600000 "$P-theirs"
		expect_rc 0 "root's check of a heap another user keeps locked"
		expect_eq "$(cat "$TMP/out")" "$P-theirs: sound" "it is read whole"
		expect_err_line "owned by uid 65534, not by the caller, so its lock is not taken" \
			"check says it did not lock"
		run $T "$CTL" inspect --json --timeout 3600000 "$P-theirs"
		expect_rc 0 "root's inspect of another user's locked heap"
		expect_eq "$(json read_under_lock objects)" "$(printf 'false\n16')" "inspect read it unlocked"
		# list waits for the locks of root's own heaps, which other tests
		# may hold: the default timeout, and the note says why it read
		# this one without the lock (not a timeout).
		run $T "$CTL" list --json
		expect_rc 0 "root's list with another user's locked heap"
		expect_eq "$(json "heaps.name=$P-theirs.status")" "read-unlocked" "list read it unlocked"
		case $(json "heaps.name=$P-theirs.note") in
		"owned by uid 65534, not by the caller"*) pass "list did not try its lock" ;;
		*) fail "list tried the lock: $(json "heaps.name=$P-theirs.note")" ;;
		esac
		stop "$locker"
	else
		skip_part "the user nobody cannot create heaps here: root and another user's locked heap"
	fi

	# ---- a System V heap its creator gave to root (issue 25): owned by
	# root, still written by its creator, who rewrites the lock's robust-list
	# links all the while.  A tool that took the lock would store through
	# them when it unlocked (SIGSEGV), or wait an hour for it.
	if as_nobody "$CTL" create "sysv:$KEY" 64K 2>/dev/null; then
		as_nobody "$MAKER" fill "sysv:$KEY" || exit 99
		as_nobody "$MAKER" giveaway "sysv:$KEY" || exit 99
		scribbler=$(as_nobody "$MAKER" scribble "sysv:$KEY") && [ -n "$scribbler" ] || exit 99
		CHILDREN="$CHILDREN $scribbler"
		for cmd in check inspect; do
			run $T "$CTL" "$cmd" --timeout 3600000 "sysv:$KEY"
			expect_rc 0 "root's $cmd of a segment given to root"
			expect_err_line "another user may write it (its creator), so its lock is not taken" \
				"$cmd does not lock a segment its creator gave away"
		done
		run $T "$CTL" inspect --json --timeout 3600000 "sysv:$KEY"
		expect_eq "$(json read_under_lock objects uid)" "$(printf 'false\n16\n0')" \
			"inspect read the given-away segment unlocked"
		run $T "$CTL" list --json --timeout 3600000
		expect_rc 0 "root's list with a segment given to root"
		expect_eq "$(json "heaps.name=sysv:$KEY.status")" "read-unlocked" \
			"list read the given-away segment unlocked"
		case $(json "heaps.name=sysv:$KEY.note") in
		"another user may write it (its creator)"*) pass "list did not try its lock" ;;
		*) fail "list tried the lock: $(json "heaps.name=sysv:$KEY.note")" ;;
		esac
		stop "$scribbler"
	else
		skip_part "the user nobody cannot create System V heaps here: a segment given to root"
	fi
else
	skip_part "not root (or no setpriv): root and a heap another user owns and keeps locked"
fi
finish
