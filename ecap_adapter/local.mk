# sslinspect_ecap.so: the eCAP front end, loaded into Squid
# (loadable_modules): the same inspection as srv_sslinspect, in Squid's
# process, with its own worker threads.
ecapmoduledir = $(libdir)/sslinspect
ecapmodule_LTLIBRARIES = ecap_adapter/sslinspect_ecap.la
ecap_adapter_sslinspect_ecap_la_SOURCES = ecap_adapter/sslinspect_ecap.cc \
	ecap_adapter/ecapsvc.h ecap_adapter/ecapsvc.c ecap_adapter/ecapcache.c \
	ecap_adapter/ecapstats.h ecap_adapter/ecapstats.c
ecap_adapter_sslinspect_ecap_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines
ecap_adapter_sslinspect_ecap_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -pthread
ecap_adapter_sslinspect_ecap_la_CXXFLAGS = $(SAN_CFLAGS) $(ECAP_CFLAGS) \
	-Wall -Wextra -Wno-unused-parameter
# Nothing is exported: Squid finds the adapter through the static
# registration, and the inspection core it carries must not meet another
# module's copy in Squid's symbol table.
ecap_adapter_sslinspect_ecap_la_LDFLAGS = -module -avoid-version -shared \
	-Wl,--version-script=$(top_srcdir)/ecap_adapter/sslinspect_ecap.map \
	-no-undefined $(AM_LDFLAGS)
EXTRA_DIST += ecap_adapter/sslinspect_ecap.map
ecap_adapter_sslinspect_ecap_la_LIBADD = icap_service/libsvc.la \
	common/libdbcache.la $(ECAP_LIBS) $(LMDB_LIBS) $(OPENSSL_LIBS) -lpthread

dist_man_MANS += doc/sslinspect-ecap.8

# Unit tests (Check).
check_PROGRAMS += tests/unit/test_ecapcache
TESTS += tests/unit/test_ecapcache
tests_unit_test_ecapcache_SOURCES = tests/unit/test_ecapcache.c \
	ecap_adapter/ecapcache.c
tests_unit_test_ecapcache_CFLAGS = $(SVC_UNIT_CFLAGS) $(OPENSSL_CFLAGS) \
	-I$(top_srcdir)/ecap_adapter
tests_unit_test_ecapcache_LDADD = common/libdbcache.la $(SVC_UNIT_LIBS) \
	$(LMDB_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_ecapstats
TESTS += tests/unit/test_ecapstats
tests_unit_test_ecapstats_SOURCES = tests/unit/test_ecapstats.c \
	ecap_adapter/ecapstats.c
tests_unit_test_ecapstats_CFLAGS = $(SVC_UNIT_CFLAGS) \
	-I$(top_srcdir)/ecap_adapter -pthread
tests_unit_test_ecapstats_LDADD = $(SVC_UNIT_LIBS) -lpthread

# Integration cases (real Squid with the adapter, TLS origins), 410-419.
ECAP_CASES = tests/integration/cases/410-ecap-front-end.sh \
	tests/integration/cases/411-ecap-multipart.sh \
	tests/integration/cases/412-ecap-ranges.sh \
	tests/integration/cases/413-ecap-content-encoding.sh \
	tests/integration/cases/414-ecap-hiding-places.sh \
	tests/integration/cases/415-ecap-handwritten-conf.sh \
	tests/integration/cases/416-ecap-tmpdir-full.sh \
	tests/integration/cases/417-ecap-slow-engines.sh
if INTEGRATION
TESTS += $(ECAP_CASES)
endif
EXTRA_DIST += $(ECAP_CASES)
