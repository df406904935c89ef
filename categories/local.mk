# categories/: site categories from UT1-layout lists. libcat (list reading,
# the compiled LMDB database, the reader that follows a replaced file, the
# helper protocol, the two programs' option tables) is linked by
# sslinspect-lists, the external ACL helper, srv_sslinspect and the tests;
# the seed lists ship beside them.
CAT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/categories \
	-DCATDB_PATH='"$(categorydb)"'

noinst_LTLIBRARIES += categories/libcat.la
categories_libcat_la_SOURCES = categories/categories.h categories/catlist.c \
	categories/catdb.c categories/catwatch.c categories/catacl.c \
	categories/catopts.c
categories_libcat_la_CPPFLAGS = $(CAT_CPPFLAGS)
categories_libcat_la_CFLAGS = $(AM_CFLAGS) $(LMDB_CFLAGS)
# No libcommon inside: srv_sslinspect gets it through libsvc; the
# programs below link it themselves.
categories_libcat_la_LIBADD = $(LMDB_LIBS) -lpthread

sbin_PROGRAMS += categories/sslinspect-lists
categories_sslinspect_lists_SOURCES = categories/lists_main.c
categories_sslinspect_lists_CPPFLAGS = $(CAT_CPPFLAGS)
categories_sslinspect_lists_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(ARCHIVE_CFLAGS)
categories_sslinspect_lists_LDADD = categories/libcat.la common/libcommon.la \
	$(CURL_LIBS) $(ARCHIVE_LIBS)

pkglibexec_PROGRAMS += categories/sslinspect-category-acl
categories_sslinspect_category_acl_SOURCES = categories/acl_main.c
categories_sslinspect_category_acl_CPPFLAGS = $(CAT_CPPFLAGS)
categories_sslinspect_category_acl_LDADD = categories/libcat.la \
	common/libcommon.la

dist_man_MANS += doc/sslinspect-lists.8 doc/sslinspect-category-acl.8

# Seed lists, written by hand: a few well-known names per category, so a
# fresh install splices banks and health sites before any list is fetched.
catseeddir = $(pkgdatadir)/categories
catseedfinancedir = $(catseeddir)/finance
dist_catseedfinance_DATA = categories/seed/finance/domains
catseedhealthdir = $(catseeddir)/health
dist_catseedhealth_DATA = categories/seed/health/domains
catseedgovernmentdir = $(catseeddir)/government
dist_catseedgovernment_DATA = categories/seed/government/domains

check_PROGRAMS += tests/unit/test_categories
tests_unit_test_categories_SOURCES = tests/unit/test_categories.c
tests_unit_test_categories_CPPFLAGS = $(CAT_CPPFLAGS)
tests_unit_test_categories_CFLAGS = $(UNIT_CFLAGS) $(LMDB_CFLAGS) \
	$(MAN_CFLAGS)
tests_unit_test_categories_LDADD = categories/libcat.la $(UNIT_LIBS)
TESTS += tests/unit/test_categories
# Its OPTIONS parts of sslinspect-lists(8) and sslinspect-category-acl(8).
MAN_TESTS += tests/unit/test_categories

# Lookup benchmark (not a test): tests/bench/categories.sh runs it.
check_PROGRAMS += tests/bench/categories_bench
tests_bench_categories_bench_SOURCES = tests/bench/categories_bench.c
tests_bench_categories_bench_CPPFLAGS = $(CAT_CPPFLAGS)
tests_bench_categories_bench_LDADD = categories/libcat.la common/libcommon.la
EXTRA_DIST += tests/bench/categories.sh

CAT_CASES = tests/integration/cases/500-lists-update.sh \
	tests/integration/cases/501-splice-by-category.sh \
	tests/integration/cases/502-policy-category.sh
if INTEGRATION
TESTS += $(CAT_CASES)
endif
EXTRA_DIST += $(CAT_CASES)
