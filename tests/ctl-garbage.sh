#!/bin/sh
# shmheap-ctl against heap images that are garbage behind a plausible header:
# every command must end with a status (never a signal), print valid JSON
# when it succeeds, and leave the object as it was.
. "$(dirname "$0")/ctl-lib.sh"

seeds=${CTL_GARBAGE_SEEDS:-50}
seed=1
while [ "$seed" -le "$seeds" ]; do
	"$MAKER" garbage "$P-g$seed" "$seed" || exit 99
	seed=$((seed + 1))
done

# list reads them all at once.
for args in "list --timeout 20" "list --all --json --timeout 20"; do
	# shellcheck disable=SC2086
	run "$CTL" $args
	[ "$rc" -eq 0 ] || fail "'$args' among garbage heaps: status $rc: $(head -c 300 "$TMP/err")"
done
expect_json "list --all --json among garbage heaps"

seed=1
deep=0
while [ "$seed" -le "$seeds" ]; do
	name="$P-g$seed"
	cp "/dev/shm/${name#/}" "$TMP/before"
	for args in "inspect --timeout 20 $name" "inspect --blocks --json --timeout 20 $name" \
		"check --timeout 20 $name" "check --json --timeout 20 $name" "unlink $name"; do
		# shellcheck disable=SC2086
		run "$CTL" $args
		if [ "$rc" -gt 1 ]; then
			fail "seed $seed: '$args' ended with status $rc: $(head -c 300 "$TMP/err")"
		fi
		case $args in
		*--json*)
			if [ -s "$TMP/out" ] && ! "$JSON" <"$TMP/out" >/dev/null; then
				fail "seed $seed: '$args' printed invalid JSON"
			fi
			;;
		esac
		case $args in
		check*--json*) [ -s "$TMP/out" ] && deep=$((deep + 1)) ;;
		esac
		if [ -e "/dev/shm/${name#/}" ] && ! cmp -s "$TMP/before" "/dev/shm/${name#/}"; then
			fail "seed $seed: '$args' changed the object"
		fi
	done
	rm -f "/dev/shm/${name#/}"
	seed=$((seed + 1))
done
# The garbage must get past the header checks often enough to test the rest.
[ "$deep" -ge $((seeds / 4)) ] || fail "only $deep of $seeds garbage heaps got past the header"
[ "$FAILED" -eq 0 ] && pass "$seeds garbage heaps, $deep of them checked block by block"
finish
