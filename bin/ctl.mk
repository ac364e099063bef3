# shmheap-ctl: the administration tool (list, inspect, check, unlink, create).
bin_PROGRAMS += bin/shmheap-ctl
bin_shmheap_ctl_SOURCES = \
	bin/ctl.c \
	bin/ctl.h \
	bin/ctl-common.c \
	bin/ctl-list.c \
	bin/ctl-inspect.c \
	bin/ctl-check.c \
	bin/ctl-unlink.c \
	bin/ctl-create.c \
	bin/ctl-maps.c \
	bin/ctl-maps.h \
	bin/ctl-out.c \
	bin/ctl-out.h
bin_shmheap_ctl_CFLAGS = $(AM_CFLAGS) $(SMARTCOLS_CFLAGS)
bin_shmheap_ctl_LDADD = bin/libtool-util.la lib/libshmheap.la $(SMARTCOLS_LIBS)
dist_man_MANS += man/shmheap-ctl.1

# shmheap-ctl segments: the numbered segments of shmseg.h.
bin_shmheap_ctl_SOURCES += bin/ctl-segments.c

# Every backing: per-backing stat, mapping processes and removal.
bin_shmheap_ctl_SOURCES += bin/ctl-backing.c bin/ctl-backing.h
# shmheap-ctl inspect: the names of a heap's directory (issue 20).
bin_shmheap_ctl_SOURCES += bin/ctl-names.c bin/ctl-names.h
# shmheap-ctl inspect: the queues of a heap's directory (issue 30).
bin_shmheap_ctl_SOURCES += bin/ctl-queues.c bin/ctl-queues.h
# list's and segments' tables, printed by libsmartcols (issue 28).
bin_shmheap_ctl_SOURCES += bin/ctl-table.c bin/ctl-table.h
# shmheap-ctl map: the heap as a picture, in text or SVG (issue 28).
bin_shmheap_ctl_SOURCES += bin/ctl-map.c bin/ctl-map.h bin/ctl-map-svg.c
