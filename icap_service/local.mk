# srv_sslinspect.so: the c-icap service module, its pure logic (libsvc),
# the sslinspect-policy CLI, unit tests, fuzzers and integration cases.

# Pure logic: no c-icap types; linked by the module, the CLI, tests, fuzzers.
noinst_LTLIBRARIES += icap_service/libsvc.la
icap_service_libsvc_la_SOURCES = icap_service/svc.h icap_service/svcconf.c \
	icap_service/hostlist.c icap_service/policy_int.h icap_service/policy_load.c \
	icap_service/policy.c icap_service/policy_opts.c icap_service/decode.c \
	icap_service/multipart.c icap_service/form.c icap_service/body.c \
	icap_service/httphdr.c \
	icap_service/blockpage.c icap_service/audit.c icap_service/auditsys.c \
	icap_service/crlserve.c \
	icap_service/verdict.h icap_service/verdict.c \
	icap_service/vcache_prefix.c icap_service/xact.h icap_service/xact.c \
	icap_service/svcstate.c
icap_service_libsvc_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines \
	-I$(top_srcdir)/categories \
	-DSVC_TEMPLATEDIR='"$(svctemplatedir)"' \
	-DSVC_AUDITLOG='"$(localstatedir)/log/sslinspect/audit.log"' \
	-DSVC_CATEGORYDB='"$(categorydb)"' \
	-DSVC_POLICYFILE='"$(sysconfdir)/sslinspect/policy.yaml"'
icap_service_libsvc_la_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(ZLIB_CFLAGS) \
	$(BROTLI_CFLAGS) $(ZSTD_CFLAGS) $(OPENSSL_CFLAGS)
icap_service_libsvc_la_LIBADD = icap_service/engines/libengines.la common/libcommon.la \
	categories/libcat.la \
	$(YAML_LIBS) $(ZLIB_LIBS) $(BROTLI_LIBS) $(ZSTD_LIBS) $(OPENSSL_LIBS)

cicapservice_LTLIBRARIES += icap_service/srv_sslinspect.la
icap_service_srv_sslinspect_la_SOURCES = icap_service/srv_sslinspect.c \
	icap_service/vcache.c
icap_service_srv_sslinspect_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines \
	-I$(top_srcdir)/categories
icap_service_srv_sslinspect_la_CFLAGS = $(AM_CFLAGS) $(CICAP_CFLAGS)
icap_service_srv_sslinspect_la_LDFLAGS = -module -avoid-version -shared \
	-no-undefined $(AM_LDFLAGS)
icap_service_srv_sslinspect_la_LIBADD = icap_service/libsvc.la $(CICAP_LIBS)

bin_PROGRAMS += icap_service/sslinspect-policy
icap_service_sslinspect_policy_SOURCES = icap_service/sslinspect_policy.c
icap_service_sslinspect_policy_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines \
	-I$(top_srcdir)/categories -DSVC_CATEGORYDB='"$(categorydb)"'
icap_service_sslinspect_policy_LDADD = icap_service/libsvc.la categories/libcat.la

# Block page templates in c-icap's template directory, as c-icap's own
# services keep theirs: TEMPLATEDIR/SERVICE/LANG/NAME.
svctemplatedir = $(datadir)/c_icap/templates/sslinspect
svctemplateendir = $(svctemplatedir)/en
dist_svctemplateen_DATA = icap_service/templates/en/BLOCKED
svctemplatededir = $(svctemplatedir)/de
dist_svctemplatede_DATA = icap_service/templates/de/BLOCKED
svctemplatefrdir = $(svctemplatedir)/fr
dist_svctemplatefr_DATA = icap_service/templates/fr/BLOCKED
cicapconfdir = $(sysconfdir)/c-icap
cicapconf_DATA = icap_service/sslinspect.conf
EXTRA_DIST += icap_service/sslinspect.conf.in
CLEANFILES += icap_service/sslinspect.conf
icap_service/sslinspect.conf: $(top_srcdir)/icap_service/sslinspect.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) icap_service && sed \
	    -e 's|%SVC_HOLD_LINE%|$(SVC_HOLD_LINE)|' \
	    -e 's|%SQUID_VERSION%|$(squid_version)|' < $< > $@.tmp && mv $@.tmp $@
svcexampledir = $(docdir)/examples
dist_svcexample_DATA = icap_service/policy.example.yaml

dist_man_MANS += doc/srv_sslinspect.5 doc/sslinspect-policy.1

# Unit tests (Check): pure functions only.
SVC_UNIT_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines
SVC_UNIT_LIBS = icap_service/libsvc.la $(UNIT_LIBS) $(ZLIB_LIBS) $(BROTLI_LIBS) \
	$(ZSTD_LIBS) -lbrotlienc
SVC_UNIT_TESTS = tests/unit/test_svcconf tests/unit/test_policy \
	tests/unit/test_decode tests/unit/test_multipart tests/unit/test_form \
	tests/unit/test_body tests/unit/test_blockpage tests/unit/test_crlserve \
	tests/unit/test_audit tests/unit/test_verdict tests/unit/test_httphdr \
	tests/unit/test_vcache tests/unit/test_xact
check_PROGRAMS += $(SVC_UNIT_TESTS)
TESTS += $(SVC_UNIT_TESTS)
tests_unit_test_svcconf_SOURCES = tests/unit/test_svcconf.c
tests_unit_test_svcconf_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_svcconf_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(SVC_UNIT_CFLAGS) $(MAN_CFLAGS)
MAN_TESTS += tests/unit/test_policy
tests_unit_test_policy_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_decode_SOURCES = tests/unit/test_decode.c
tests_unit_test_decode_CFLAGS = $(SVC_UNIT_CFLAGS) $(ZLIB_CFLAGS) $(ZSTD_CFLAGS)
tests_unit_test_decode_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_multipart_SOURCES = tests/unit/test_multipart.c
tests_unit_test_multipart_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_multipart_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_form_SOURCES = tests/unit/test_form.c
tests_unit_test_form_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_form_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_body_SOURCES = tests/unit/test_body.c
tests_unit_test_body_CFLAGS = $(SVC_UNIT_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_body_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_blockpage_SOURCES = tests/unit/test_blockpage.c
tests_unit_test_blockpage_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_blockpage_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_crlserve_SOURCES = tests/unit/test_crlserve.c
tests_unit_test_crlserve_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_crlserve_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_audit_SOURCES = tests/unit/test_audit.c
tests_unit_test_audit_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_audit_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_verdict_SOURCES = tests/unit/test_verdict.c
tests_unit_test_verdict_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_verdict_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_vcache_SOURCES = tests/unit/test_vcache.c
tests_unit_test_vcache_CFLAGS = $(SVC_UNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_vcache_LDADD = $(SVC_UNIT_LIBS) $(OPENSSL_LIBS)
tests_unit_test_xact_SOURCES = tests/unit/test_xact.c
tests_unit_test_xact_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_xact_LDADD = $(SVC_UNIT_LIBS)
tests_unit_test_httphdr_SOURCES = tests/unit/test_httphdr.c
tests_unit_test_httphdr_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_unit_test_httphdr_LDADD = $(SVC_UNIT_LIBS)

# Parser benchmark (not a test): built by make check, run by hand or by
# tests/bench/parsers.sh.
check_PROGRAMS += tests/bench/parsers_bench
tests_bench_parsers_bench_SOURCES = tests/bench/parsers_bench.c
tests_bench_parsers_bench_CFLAGS = $(SVC_UNIT_CFLAGS)
tests_bench_parsers_bench_LDADD = $(SVC_UNIT_LIBS)
EXTRA_DIST += tests/bench/parsers.sh tests/bench/downloads.sh

# libFuzzer targets: ./configure --enable-fuzzers CC=clang. The code under
# test is compiled into each target so that it is instrumented.
if FUZZERS
SVC_FUZZERS = tests/fuzz/fuzz_decode tests/fuzz/fuzz_multipart \
	tests/fuzz/fuzz_policy tests/fuzz/fuzz_httphdr
noinst_PROGRAMS += $(SVC_FUZZERS)
SVC_FUZZ_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) -I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines \
	-DSVC_TEMPLATEDIR='"/nonexistent"' -DSVC_AUDITLOG='"off"'
tests_fuzz_fuzz_decode_SOURCES = tests/fuzz/fuzz_decode.c icap_service/decode.c
tests_fuzz_fuzz_decode_CFLAGS = $(SVC_FUZZ_CFLAGS) $(ZLIB_CFLAGS) \
	$(BROTLI_CFLAGS) $(ZSTD_CFLAGS)
tests_fuzz_fuzz_decode_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_decode_LDADD = $(ZLIB_LIBS) $(BROTLI_LIBS) $(ZSTD_LIBS)
tests_fuzz_fuzz_multipart_SOURCES = tests/fuzz/fuzz_multipart.c \
	icap_service/multipart.c icap_service/form.c icap_service/httphdr.c
tests_fuzz_fuzz_multipart_CFLAGS = $(SVC_FUZZ_CFLAGS)
tests_fuzz_fuzz_multipart_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_httphdr_SOURCES = tests/fuzz/fuzz_httphdr.c icap_service/httphdr.c
tests_fuzz_fuzz_httphdr_CFLAGS = $(SVC_FUZZ_CFLAGS)
tests_fuzz_fuzz_httphdr_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_policy_SOURCES = tests/fuzz/fuzz_policy.c icap_service/policy.c \
	icap_service/policy_load.c \
	icap_service/hostlist.c icap_service/svcconf.c
tests_fuzz_fuzz_policy_CFLAGS = $(SVC_FUZZ_CFLAGS) $(YAML_CFLAGS)
tests_fuzz_fuzz_policy_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_policy_LDADD = icap_service/engines/libengines.la common/libcommon.la \
	$(YAML_LIBS)
endif

# Integration cases (real Squid + c-icap + TLS origin), 300-399.
SVC_CASES = \
	tests/integration/cases/300-module-loads.sh \
	tests/integration/cases/305-policy-cli.sh \
	tests/integration/cases/310-block-download.sh \
	tests/integration/cases/312-incident-in-access-log.sh \
	tests/integration/cases/313-audit-syslog.sh \
	tests/integration/cases/314-audit-skipped.sh \
	tests/integration/cases/320-block-upload.sh \
	tests/integration/cases/330-clean-identical.sh \
	tests/integration/cases/331-icap-preview-answers.sh \
	tests/integration/cases/332-preview-60k.sh \
	tests/integration/cases/340-crl-serve.sh \
	tests/integration/cases/350-policy-reload.sh \
	tests/integration/cases/360-hostile-bodies.sh \
	tests/integration/cases/370-fail-closed.sh \
	tests/integration/cases/371-fail-open.sh \
	tests/integration/cases/380-squid-auth-users.sh \
	tests/integration/cases/381-nested-multipart.sh \
	tests/integration/cases/382-decrypted-not-cached.sh \
	tests/integration/cases/383-icap-max-connections.sh \
	tests/integration/cases/384-upload-waits-for-icap.sh \
	tests/integration/cases/385-icap-service-set-failover.sh \
	tests/integration/cases/386-two-nodes.sh \
	tests/integration/cases/389-released-backlog.sh \
	tests/integration/cases/390-downloads-any-size.sh \
	tests/integration/cases/391-downloads-handwritten-conf.sh \
	tests/integration/cases/392-downloads-slow.sh \
	tests/integration/cases/393-multipart-differentials.sh \
	tests/integration/cases/394-ranges.sh \
	tests/integration/cases/395-content-encoding.sh \
	tests/integration/cases/396-hiding-places.sh \
	tests/integration/cases/400-corpus-handwritten-conf.sh \
	tests/integration/cases/401-pinned-closed-during-reqmod.sh \
	tests/integration/cases/402-upload-sent-ahead.sh \
	tests/integration/cases/403-tmpdir-full.sh
if INTEGRATION
TESTS += $(SVC_CASES)
endif
EXTRA_DIST += $(SVC_CASES) tests/bench/bench-svc.sh tests/unit/svc_test.h \
	tests/integration/svc-origin.sh tests/integration/dl-lib.sh \
	tests/integration/pyorigin.py tests/integration/corpus-lib.sh \
	tests/integration/trickle-origin.py
