# The memory-management lab's alloc.c and ealloc.c: the four functions of
# include/lab/alloc.h (part A) and include/lab/ealloc.h (part B), each part
# with its one manager, in a static archive that pkg-config shmheap-lab links
# into lab programs ahead of libshmheap.  A static archive because the
# managers are the program's state, as the lab's own alloc.c is (libshmheap
# keeps no global state), and because it needs no SONAME and no package of its
# own.  Position-independent, so that it links into PIE programs (Debian's
# default) and into shared objects.
lib_LIBRARIES = lab/libshmheap-lab.a
lab_libshmheap_lab_a_SOURCES = lab/alloc.c lab/ealloc.c
lab_libshmheap_lab_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/include/lab
lab_libshmheap_lab_a_CFLAGS = $(AM_CFLAGS) -fPIC
