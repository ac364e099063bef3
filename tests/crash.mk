# Crash torture test (see tests/torture.c).
# (filled in by its owner)
