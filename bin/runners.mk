# The lab runners: shmheap-ex0 .. shmheap-ex3 (exercise 4 is shmheap-ex3 --grow).
# The input parser is a library of its own so that a fuzz target can link it.
noinst_LTLIBRARIES += bin/libcmdparse.la
bin_libcmdparse_la_SOURCES = bin/cmdparse.c bin/cmdparse.h

# Workers, the process pool and the command loop shared by ex2 and ex3.
noinst_LTLIBRARIES += bin/librunner.la
bin_librunner_la_SOURCES = \
	bin/cleanup.c \
	bin/cleanup.h \
	bin/pool.c \
	bin/pool.h \
	bin/runner.c \
	bin/runner.h \
	bin/worker.c \
	bin/worker.h
# The runners' heap on any backing (--heap NAME).
bin_librunner_la_SOURCES += bin/runheap.c bin/runheap.h
bin_librunner_la_LIBADD = bin/libcmdparse.la bin/libtool-util.la lib/libshmheap.la

bin_PROGRAMS += bin/shmheap-ex0 bin/shmheap-ex1 bin/shmheap-ex2 bin/shmheap-ex3

bin_shmheap_ex0_SOURCES = bin/ex0.c
bin_shmheap_ex0_LDADD = bin/librunner.la

bin_shmheap_ex1_SOURCES = bin/ex1.c
bin_shmheap_ex1_LDADD = bin/librunner.la

bin_shmheap_ex2_SOURCES = bin/ex2.c
bin_shmheap_ex2_LDADD = bin/librunner.la

bin_shmheap_ex3_SOURCES = bin/ex3.c
bin_shmheap_ex3_LDADD = bin/librunner.la

dist_man_MANS += \
	man/shmheap-ex0.1 \
	man/shmheap-ex1.1 \
	man/shmheap-ex2.1 \
	man/shmheap-ex3.1
