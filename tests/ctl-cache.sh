#!/bin/sh
# shmheap-ctl on cached heaps (SHMHEAP_CACHED): create --cached, inspect's
# cache figures (plain and JSON), check; a default heap shows no cache.
. "$(dirname "$0")/ctl-lib.sh"

run "$CTL" create "$P-c" 4M --cached
expect_rc 0 "create --cached"
run "$CTL" inspect --json "$P-c"
expect_rc 0 "inspect a cached heap"
expect_json "inspect --json of a cached heap"
expect_eq "$(json objects cache.slots cache.cached_bytes cache.processes.# | tr '\n' ' ')" \
	"0 16 0 0 " "a fresh cached heap: no objects, 16 slots, nothing cached"
table=$(json cache.table_bytes)
[ "$table" -gt 0 ] && pass "cache table size shown" || fail "cache table size: $table"
run "$CTL" inspect "$P-c"
expect_rc 0 "inspect (plain)"
grep -q "^cached: *0 bytes in 0 blocks (part of free), table $table bytes, 0 of 16 slots taken$" \
	"$TMP/out" && pass "plain cache line" || fail "plain cache line: $(cat "$TMP/out")"
run "$CTL" check "$P-c"
expect_rc 0 "a cached heap is sound"

run "$CTL" create "$P-d" 64K
run "$CTL" inspect --json "$P-d"
expect_eq "$(json cache)" "null" "a default heap has no cache"
run "$CTL" inspect "$P-d"
grep -q "^cached:" "$TMP/out" && fail "a default heap shows a cache line" || pass "no cache line"
finish
