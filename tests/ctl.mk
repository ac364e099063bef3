# shmheap-ctl tests: shell scripts (sourcing ctl-lib.sh) drive the tool
# against heaps that ctl-heapmaker puts into given states; ctl-json checks
# and queries the JSON output, so the tests need no interpreter.
#
# tests/shmheap-ctl is the tool linked -no-install, as every program of tests/
# is (tests/local.mk): the same objects without libtool's wrapper script,
# which costs more than the tool itself on a busy machine and the tests run it
# hundreds of times.
check_PROGRAMS += tests/shmheap-ctl tests/ctl-heapmaker tests/ctl-json tests/layout-probe
tests_shmheap_ctl_SOURCES = $(bin_shmheap_ctl_SOURCES)
tests_shmheap_ctl_CFLAGS = $(bin_shmheap_ctl_CFLAGS)
tests_shmheap_ctl_LDADD = $(bin_shmheap_ctl_LDADD)
# Prints the first object's offset and the block word's size as the public API
# shows them, which ctl-lib.sh and runners-lib.sh evaluate.
tests_layout_probe_SOURCES = tests/layout-probe.c
tests_layout_probe_LDADD = lib/libshmheap.la
tests_ctl_heapmaker_SOURCES = tests/ctl-heapmaker.c
tests_ctl_heapmaker_LDADD = lib/libshmheap.la
tests_ctl_json_SOURCES = tests/ctl-json.c
tests_ctl_json_LDADD =
# A heap of the layout of 0.5.0 (treaps in its free blocks), which only the
# library built for the tests makes, for inspect's index line.
check_PROGRAMS += tests/ctl-treapmaker
tests_ctl_treapmaker_SOURCES = tests/ctl-treapmaker.c
tests_ctl_treapmaker_LDADD = lib/libshmheap-test.la

CTL_TESTS = \
	tests/ctl-list.sh \
	tests/ctl-inspect.sh \
	tests/ctl-check.sh \
	tests/ctl-unlink.sh \
	tests/ctl-create.sh \
	tests/ctl-errors.sh \
	tests/ctl-garbage.sh \
	tests/ctl-perm.sh \
	tests/ctl-man.sh
# What another user, or an unlucky moment, can do to the tool (issue 14).
CTL_TESTS += tests/ctl-hostile.sh
TESTS += $(CTL_TESTS)
EXTRA_DIST += $(CTL_TESTS) tests/ctl-lib.sh tests/assert-lib.sh

# Output conventions, exit statuses and names (issue 14 item 14, issue 15
# items 9 and 11).
TESTS += tests/ctl-output.sh tests/ctl-completion.sh
EXTRA_DIST += tests/ctl-output.sh tests/ctl-completion.sh
# Sizes that are not page multiples (issue 13, issue 15 item 10).
CTL_SIZE_TESTS = tests/ctl-create-sizes.sh
TESTS += $(CTL_SIZE_TESTS)
EXTRA_DIST += $(CTL_SIZE_TESTS)

# Every name form: file: and sysv: heaps, System V segments in list.
CTL_TESTS += tests/ctl-backings.sh
# inspect shows the names of a heap's directory (issue 20).
check_PROGRAMS += tests/ctl-namemaker
tests_ctl_namemaker_SOURCES = tests/ctl-namemaker.c
tests_ctl_namemaker_LDADD = lib/libshmheap.la
TESTS += tests/ctl-names.sh
EXTRA_DIST += tests/ctl-names.sh
# inspect shows the queues of a heap's directory (issue 30).
check_PROGRAMS += tests/ctl-queuemaker
tests_ctl_queuemaker_SOURCES = tests/ctl-queuemaker.c
tests_ctl_queuemaker_LDADD = lib/libshmheap.la
TESTS += tests/ctl-queues.sh
EXTRA_DIST += tests/ctl-queues.sh
# Cached heaps (SHMHEAP_CACHED): create --cached and inspect's cache figures.
CTL_TESTS += tests/ctl-cache.sh
# file: paths: no link among the directories is followed, and a file that is
# no heap is never removed, even while a directory is swapped (issue 25 item 2).
check_PROGRAMS += tests/path-race
tests_path_race_SOURCES = tests/path-race.c
tests_path_race_LDADD = lib/libshmheap.la
CTL_TESTS += tests/ctl-file-paths.sh
# What every tool shares: -h/-V, a full usage, quiet on a closed pipe (issue 28).
TESTS += tests/ctl-every-tool.sh
EXTRA_DIST += tests/ctl-every-tool.sh
# Heaps that come and go while list runs; unlink beside a reader (issue 28).
TESTS += tests/ctl-concurrent.sh
EXTRA_DIST += tests/ctl-concurrent.sh
# shmheap-ctl map: heaps to draw, the text and the SVG picture (issue 28).
check_PROGRAMS += tests/ctl-mapmaker
tests_ctl_mapmaker_SOURCES = tests/ctl-mapmaker.c
tests_ctl_mapmaker_LDADD = lib/libshmheap.la
TESTS += tests/ctl-map.sh
EXTRA_DIST += tests/ctl-map.sh
# What reading a heap without its lock costs: peak memory of list, inspect
# and check, and list reading only headers (issue 31).
check_PROGRAMS += tests/peak-rss
tests_peak_rss_LDADD =
CTL_TESTS += tests/ctl-unlocked-cost.sh
