# Consumers of the library built through shmheap.pc from a staged install,
# in C89, POSIX C99, GNU C and C++17 (tests/consumers.sh).  The wrapper hands
# the script configure's findings.
TESTS += tests/consumers-run
CLEANFILES += tests/consumers-run
EXTRA_DIST += \
	tests/consumers.sh \
	tests/consumers/c89.c \
	tests/consumers/posix.c \
	tests/consumers/gnu.c \
	tests/consumers/cxx17.cc

tests/consumers-run: $(srcdir)/tests/consumers.sh Makefile
	$(AM_V_GEN)$(MKDIR_P) tests && { \
	  echo '#!/bin/sh'; \
	  echo 'srcdir="$(abs_top_srcdir)"; export srcdir'; \
	  echo 'builddir="$(abs_top_builddir)"; export builddir'; \
	  echo 'CC="$(CC)"; export CC'; \
	  echo 'CXX="$(CXX)"; export CXX'; \
	  echo 'PKG_CONFIG="$(PKG_CONFIG)"; export PKG_CONFIG'; \
	  echo 'VERSION="$(VERSION)"; export VERSION'; \
	  echo 'exec $(SHELL) "$(abs_top_srcdir)/tests/consumers.sh" "$$@"'; \
	} > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
