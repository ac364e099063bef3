#!/bin/sh
# shmheap-ctl over every name form: create, list, inspect, check and unlink of
# a file: heap and a sysv: heap (list shows the segment with its key, --json
# its backing), malformed names, and no segment left afterwards.
. "$(dirname "$0")/ctl-lib.sh"

KEY=$(printf '0x%08x' $(( 0x5c160000 + ($$ % 0x8000) * 4 )))
SYSV=sysv:$KEY
FILE=file:$TMP/heap
trap 'cleanup; ipcrm -M "$KEY" 2>/dev/null' EXIT

sysv_listed() { # the segment of $KEY is in /proc/sysvipc/shm
	awk -v k="$(( KEY ))" 'NR > 1 && $1 == k { f = 1 } END { exit !f }' /proc/sysvipc/shm
}
gone() { # NAME: the object is no longer there
	case $1 in
	sysv:*) ! sysv_listed ;;
	file:*) [ ! -e "${1#file:}" ] ;;
	esac
}
# Kills a holder and waits until its mappings are gone from /proc.
stop_holder() {
	kill "$1" 2>/dev/null
	i=0
	# /proc files have no size (test -s is always false): read the maps, which
	# are empty once the process is gone or a zombie.
	while grep -q . "/proc/$1/maps" 2>/dev/null && [ $i -lt 500 ]; do
		sleep 0.01
		i=$((i + 1))
	done
}

# Malformed names: a usage error naming the problem, for every command.
for cmd in inspect check unlink; do
	run "$CTL" $cmd file:
	expect_rc 2 "$cmd file:"
	expect_err_line "^shmheap-ctl: file:: file: needs a path$" "$cmd file:"
	run "$CTL" $cmd sysv:12ab
	expect_rc 2 "$cmd sysv:12ab"
	expect_err_line "sysv: needs a key" "$cmd sysv:12ab"
	run "$CTL" $cmd nosuch:x
	expect_rc 2 "$cmd nosuch:x"
	expect_err_line "unknown backing" "$cmd nosuch:x"
done
run "$CTL" create sysv:0 64K
expect_rc 2 "create sysv:0 (IPC_PRIVATE)"
run "$CTL" create "$SYSV" 64K --max-size 1M
expect_rc 2 "create of a sysv: heap with --max-size"
expect_err_line "never grows" "create of a sysv: heap with --max-size"

for name in "$FILE" "$SYSV"; do
	backing=${name%%:*}
	run "$CTL" create "$name" 64K --no-grow
	if [ "$rc" -ne 0 ] && grep -q "invalid" "$TMP/err"; then
		skip_part "$name: the library has no $backing backing"
		continue
	fi
	expect_rc 0 "create $name"

	run "$CTL" inspect "$name"
	expect_rc 0 "inspect $name"
	grep -q "^backing: " "$TMP/out" || fail "inspect $name: no backing line"
	run "$CTL" inspect --json "$name"
	expect_rc 0 "inspect --json $name"
	expect_eq "$(json backing)" "$backing" "inspect --json $name: backing"
	expect_eq "$(json objects)" 0 "inspect --json $name: objects"

	run "$CTL" check "$name"
	expect_rc 0 "check $name"
	run "$CTL" check --json "$name"
	expect_eq "$(json backing sound)" "$backing
true" "check --json $name: backing, sound"

	if [ "$backing" = sysv ] && command -v bash >/dev/null; then
		got=$(bash -c '
			_init_completion() { words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
				cur=${words[cword]}; prev=${words[cword-1]}; }
			compopt() { :; }
			. "$0"
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			_shmheap_ctl
			printf "%s\n" "${COMPREPLY[@]}"' "${srcdir:-.}/completion/shmheap-ctl" \
			shmheap-ctl inspect "$name")
		expect_eq "$got" "$name" "completion of $name"
	fi
	if [ "$backing" = sysv ]; then
		run "$CTL" list
		expect_rc 0 "list with $name"
		grep -q "^$name " "$TMP/out" || fail "list does not show $name: $(cat "$TMP/out")"
		run "$CTL" list --json
		expect_json "list --json with $name"
		expect_eq "$(json "heaps.name=$name.backing" "heaps.name=$name.status")" "sysv
ok" "list --json: $name"
		run "$CTL" list --json
		expect_eq "$(json "heaps.name=/nothing.backing")" "<none>" "list --json: no stray entry"
	fi

	start child hold "$name"
	run "$CTL" inspect --json "$name"
	expect_eq "$(json pids.0)" "$child" "inspect $name: the mapping process"
	run "$CTL" unlink "$name"
	expect_rc 1 "unlink of a mapped $name"
	grep -q "mapped by pid $child" "$TMP/err" ||
		fail "unlink $name names the mapping process: $(cat "$TMP/err")"
	gone "$name" && fail "unlink removed the mapped $name"
	stop_holder "$child"
	run "$CTL" unlink "$name"
	expect_rc 0 "unlink $name once unmapped"
	gone "$name" || fail "$name is still there after unlink"
	run "$CTL" inspect "$name"
	expect_rc 1 "inspect of the removed $name"
done

# Not a heap: a segment made by other means, holding other bytes (perl's
# shmwrite; a segment of zeros counts as a heap being made for 5 seconds).
# ipcmk draws the key at random; a key of the form of shmseg(3)'s numbered
# segments (0x4..., 0x5..., 0x6..., 0x7...) is listed as one of those, so such
# a segment is made again.
# The key of segment id ID as /proc lists it (a signed number), unsigned.
# Shell arithmetic does the conversion: awk would print a key above 2^31 as
# 2.8e+09, which is no number to the shell.
segment_key() {
	k=$(awk -v id="$1" 'NR > 1 && $2 == id { print $1 }' /proc/sysvipc/shm)
	[ -n "$k" ] && echo $(( k < 0 ? k + 4294967296 : k ))
}
sysv_random_segment() {
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		i=$(ipcmk -M 4096 -p 0600 2>/dev/null | awk '{print $NF}') || return 1
		[ -n "$i" ] || return 1
		k=$(segment_key "$i")
		if [ -n "$k" ] && [ $(( k & 0xc0000000 )) -ne $(( 0x40000000 )) ]; then
			echo "$i"
			return 0
		fi
		ipcrm -m "$i" 2>/dev/null
	done
	return 1
}
if command -v ipcmk >/dev/null && command -v perl >/dev/null &&
	id=$(sysv_random_segment); then
	perl -e 'shmwrite($ARGV[0], "not a heap " x 40, 0, 400) or exit 1' "$id" ||
		fail "perl shmwrite"
	key=$(segment_key "$id") && key=$(printf '0x%08x' "$key")
	if [ -n "$key" ] && [ "$key" != 0x00000000 ]; then
		run "$CTL" list
		grep -q "sysv:$key" "$TMP/out" && fail "list shows a segment that is no heap"
		run "$CTL" list --all --json
		expect_eq "$(json "heaps.name=sysv:$key.status")" not-heap "list --all: a segment that is no heap"
		run "$CTL" unlink "sysv:$key"
		expect_rc 1 "unlink of a segment that is no heap"
	else
		fail "segment $id: no key in /proc/sysvipc/shm"
	fi
	ipcrm -m "$id" 2>/dev/null
else
	skip_part "no ipcmk or perl, or no segment made: a segment that is no heap"
fi

sysv_listed && fail "segment $KEY left behind"
finish
