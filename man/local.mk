# Manual pages: hand-written mdoc(7).  Each family of functions has one page;
# the other names of the family are one-line .so stubs, so that `man 3 NAME`
# works for every exported function.
dist_man_MANS += \
	man/shmheap.7 \
	man/mmf_close.3 \
	man/mmf_create_or_open.3 \
	man/shmheap_alloc.3 \
	man/shmheap_check.3 \
	man/shmheap_connect.3 \
	man/shmheap_connect_ex.3 \
	man/shmheap_create.3 \
	man/shmheap_create_ex.3 \
	man/shmheap_destroy.3 \
	man/shmheap_disconnect.3 \
	man/shmheap_free.3 \
	man/shmheap_free_checked.3 \
	man/shmheap_grow.3 \
	man/shmheap_handle_to_ptr.3 \
	man/shmheap_info.3 \
	man/shmheap_ptr_to_handle.3 \
	man/shmheap_stats.3 \
	man/shmheap_underlying.3 \
	man/shmheap_walk.3
# Backings, anonymous heaps and descriptors (issue 16).
dist_man_MANS += \
	man/shmheap_connect_fd.3 \
	man/shmheap_create_anonymous.3 \
	man/shmheap_fd.3 \
	man/shmheap_sync.3

# The page check runs from a wrapper that hands it configure's findings.
TESTS += man/check-manpages
EXTRA_DIST += man/check-manpages.sh man/extract-example.awk
CLEANFILES += man/check-manpages

man/check-manpages: $(srcdir)/man/check-manpages.sh Makefile
	$(AM_V_GEN)$(MKDIR_P) man && { \
	  echo '#!/bin/sh'; \
	  echo 'srcdir="$(abs_top_srcdir)"; export srcdir'; \
	  echo 'builddir="$(abs_top_builddir)"; export builddir'; \
	  echo 'MANDOC="$(MANDOC)"; export MANDOC'; \
	  echo 'CC="$(CC)"; export CC'; \
	  echo 'CFLAGS="$(OUR_CFLAGS) $(CFLAGS)"; export CFLAGS'; \
	  echo 'LDFLAGS="$(LDFLAGS)"; export LDFLAGS'; \
	  echo 'LIBTOOL="$(SHELL) $(abs_top_builddir)/libtool"; export LIBTOOL'; \
	  echo 'exec $(SHELL) "$(abs_top_srcdir)/man/check-manpages.sh" "$$@"'; \
	} > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@

# The private allocators (shmheap_pages, shmheap_elastic): one page per family.
dist_man_MANS += \
	man/shmheap_pages_create.3 \
	man/shmheap_pages_create_over.3 \
	man/shmheap_pages_base.3 \
	man/shmheap_pages_alloc.3 \
	man/shmheap_pages_free.3 \
	man/shmheap_pages_free_checked.3 \
	man/shmheap_pages_stats.3 \
	man/shmheap_pages_walk.3 \
	man/shmheap_pages_check.3 \
	man/shmheap_pages_destroy.3 \
	man/shmheap_elastic_create.3 \
	man/shmheap_elastic_create_in.3 \
	man/shmheap_elastic_alloc.3 \
	man/shmheap_elastic_free.3 \
	man/shmheap_elastic_free_checked.3 \
	man/shmheap_elastic_stats.3 \
	man/shmheap_elastic_walk.3 \
	man/shmheap_elastic_check.3 \
	man/shmheap_elastic_destroy.3
# The lab's alloc.h and ealloc.h (libshmheap-lab.a, pkg-config shmheap-lab).
dist_man_MANS += man/shmheap-lab.3

# Numbered shared segments (shmseg.h).
dist_man_MANS += \
	man/shmseg.3 \
	man/shmseg_attach.3 \
	man/shmseg_close.3 \
	man/shmseg_create.3 \
	man/shmseg_destroy.3 \
	man/shmseg_detach.3 \
	man/shmseg_open.3 \
	man/shmseg_stat.3

# Allocation calls beyond alloc and free: one page, with stubs.
dist_man_MANS += \
	man/shmheap_realloc.3 \
	man/shmheap_calloc.3 \
	man/shmheap_alloc_aligned.3 \
	man/shmheap_usable_size.3
# Named objects and leak-proof publishing (issue 20).
dist_man_MANS += \
	man/shmheap_alloc_into.3 \
	man/shmheap_free_from.3 \
	man/shmheap_name_get.3 \
	man/shmheap_name_remove.3 \
	man/shmheap_name_set.3 \
	man/shmheap_name_walk.3
# Cached heaps (SHMHEAP_CACHED).
dist_man_MANS += man/shmheap_cache_stats.3
# Queues of handles (issue 30).
dist_man_MANS += \
	man/shmheap_queue_create.3 \
	man/shmheap_queue_open.3 \
	man/shmheap_queue_close.3 \
	man/shmheap_queue_destroy.3 \
	man/shmheap_queue_walk.3 \
	man/shmheap_queue_push.3 \
	man/shmheap_queue_pop.3 \
	man/shmheap_queue_push_from.3 \
	man/shmheap_queue_pop_into.3
