#!/bin/sh
# The crash torture test (tests/torture.c) on cached heaps (SHMHEAP_CACHED):
# 100 kills (TORTURE_CACHED_KILLS), run from the build tree like the other
# shell tests.
TORTURE_CACHED=1
export TORTURE_CACHED
exec "${TORTURE:-tests/torture}" "${TORTURE_CACHED_KILLS:-100}"
