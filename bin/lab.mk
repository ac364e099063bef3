# The memory-management lab's private allocators: runners of its scenarios on
# the lab's own interfaces (include/lab/alloc.h, include/lab/ealloc.h, whose
# functions are in lab/libshmheap-lab.a).
bin_PROGRAMS += bin/shmheap-lab-alloc bin/shmheap-lab-ealloc
bin_shmheap_lab_alloc_SOURCES = bin/lab-alloc.c
bin_shmheap_lab_alloc_LDADD = bin/libtool-util.la lab/libshmheap-lab.a lib/libshmheap.la
bin_shmheap_lab_ealloc_SOURCES = bin/lab-ealloc.c
bin_shmheap_lab_ealloc_LDADD = bin/libtool-util.la lab/libshmheap-lab.a lib/libshmheap.la
dist_man_MANS += man/shmheap-lab-alloc.1 man/shmheap-lab-ealloc.1
