# sslinspect-certverify: Squid sslcrtvalidator_program (issue 14, part 2).
# Everything but main() is in a convenience library that the program, the
# unit tests and the fuzzer link.
noinst_LTLIBRARIES += cert_helper/certverify/libcertverify.la
cert_helper_certverify_libcertverify_la_SOURCES = \
	cert_helper/certverify/certverify.h cert_helper/certverify/cv_handle.c \
	cert_helper/certverify/cv_opts.c cert_helper/certverify/cv_policy.c \
	cert_helper/certverify/cv_pool.c cert_helper/certverify/cv_proto.c \
	cert_helper/certverify/cv_revoke.c cert_helper/certverify/cv_verify.c
cert_helper_certverify_libcertverify_la_CFLAGS = $(AM_CFLAGS) \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS)
cert_helper_certverify_libcertverify_la_LIBADD = common/libcommon.la \
	$(OPENSSL_LIBS) $(CURL_LIBS) -lpthread

pkglibexec_PROGRAMS += cert_helper/sslinspect-certverify
cert_helper_sslinspect_certverify_SOURCES = cert_helper/certverify/cv_main.c
cert_helper_sslinspect_certverify_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) \
	$(CURL_CFLAGS)
cert_helper_sslinspect_certverify_LDADD = \
	cert_helper/certverify/libcertverify.la

certverifyconfdir = $(sysconfdir)/sslinspect
dist_certverifyconf_DATA = cert_helper/certverify/certverify.conf
dist_man_MANS += doc/sslinspect-certverify.8

# Unit tests (Check): the wire format, the policy, the error names; the
# validation on chains made in the test.
CERTVERIFY_UNIT_TESTS = tests/unit/test_certverify tests/unit/test_cv_verify \
	tests/unit/test_cv_opts
check_PROGRAMS += $(CERTVERIFY_UNIT_TESTS)
TESTS += $(CERTVERIFY_UNIT_TESTS)
tests_unit_test_certverify_SOURCES = tests/unit/test_certverify.c
tests_unit_test_certverify_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS) \
	-I$(top_srcdir)/cert_helper/certverify
tests_unit_test_certverify_LDADD = cert_helper/certverify/libcertverify.la \
	$(UNIT_LIBS) $(OPENSSL_LIBS)
tests_unit_test_cv_verify_SOURCES = tests/unit/test_cv_verify.c
tests_unit_test_cv_verify_CFLAGS = $(tests_unit_test_certverify_CFLAGS)
tests_unit_test_cv_verify_LDADD = $(tests_unit_test_certverify_LDADD)
tests_unit_test_cv_opts_SOURCES = tests/unit/test_cv_opts.c
tests_unit_test_cv_opts_CFLAGS = $(tests_unit_test_certverify_CFLAGS) \
	$(MAN_CFLAGS)
tests_unit_test_cv_opts_LDADD = $(tests_unit_test_certverify_LDADD)
MAN_TESTS += tests/unit/test_cv_opts

# Integration cases: real Squid, curl and Chromium against one origin per
# certificate fault.
CERTVERIFY_CASES = \
	tests/integration/cases/110-certverify-origins.sh \
	tests/integration/cases/111-certverify-dead-responder.sh \
	tests/integration/cases/112-certverify-in-order.sh
if INTEGRATION
TESTS += $(CERTVERIFY_CASES)
endif
EXTRA_DIST += $(CERTVERIFY_CASES) tests/integration/certverify-pki.py

# libFuzzer target for the request parser: ./configure --enable-fuzzers
# CC=clang.
if FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_certverify
tests_fuzz_fuzz_certverify_SOURCES = tests/fuzz/fuzz_certverify.c \
	cert_helper/certverify/cv_proto.c common/helper.c
tests_fuzz_fuzz_certverify_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) \
	$(OPENSSL_CFLAGS) -I$(top_srcdir)/cert_helper/certverify
tests_fuzz_fuzz_certverify_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_certverify_LDADD = common/libcommon.la $(OPENSSL_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz_certverify.c \
	tests/fuzz/corpus/certverify/squid-request \
	tests/fuzz/corpus/certverify/squid-request-errors
