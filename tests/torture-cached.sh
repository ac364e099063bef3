#!/bin/sh
# The crash torture test (tests/torture.c) on cached heaps (SHMHEAP_CACHED):
# 200 kills (TORTURE_CACHED_KILLS: every kind of round), run from the build tree like the other
# shell tests.
TORTURE_CACHED=1
export TORTURE_CACHED
exec "${TORTURE:-tests/torture}" "${TORTURE_CACHED_KILLS:-200}"
