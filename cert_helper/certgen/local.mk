# sslinspect-certgen: Squid sslcrtd_program (see issue "cert_helper: sslinspect-certgen").
# Everything but main() is in a convenience library that the program, the
# unit tests, the fuzzer and the benchmark link.
noinst_LTLIBRARIES += cert_helper/certgen/libcertgen.la
cert_helper_certgen_libcertgen_la_SOURCES = cert_helper/certgen/certgen.h \
	cert_helper/certgen/certgen.c cert_helper/certgen/forge.c \
	cert_helper/certgen/revcheck.c \
	cert_helper/certgen/hostname.c cert_helper/certgen/keypool.c cert_helper/certgen/lcache.c \
	cert_helper/certgen/mimic.c cert_helper/certgen/opts.c cert_helper/certgen/proto.c \
	cert_helper/certgen/sigcache.c
cert_helper_certgen_libcertgen_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCERTGEN_CACHEDIR='"$(localstatedir)/lib/sslinspect/certgen"' \
	-DCERTGEN_REVOKED='"$(localstatedir)/lib/sslinspect/ca/revoked.tsv"' \
	-DCERTGEN_CADIR='"$(localstatedir)/lib/sslinspect/ca"'
cert_helper_certgen_libcertgen_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) \
	$(LMDB_CFLAGS) -pthread
cert_helper_certgen_libcertgen_la_LIBADD = common/libdbcache.la \
	common/libcommon.la $(OPENSSL_LIBS) $(LMDB_LIBS) -lpthread

pkglibexec_PROGRAMS += cert_helper/sslinspect-certgen
cert_helper_sslinspect_certgen_SOURCES = cert_helper/certgen/main.c
cert_helper_sslinspect_certgen_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
cert_helper_sslinspect_certgen_LDADD = cert_helper/certgen/libcertgen.la

certgenconfdir = $(sysconfdir)/sslinspect
dist_certgenconf_DATA = cert_helper/certgen/certgen.conf
dist_man_MANS += doc/sslinspect-certgen.8

# Unit tests (Check), each linked with the convenience library.
CERTGEN_UNIT_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS) $(LMDB_CFLAGS) \
	-I$(top_srcdir)/cert_helper/certgen
CERTGEN_UNIT_LIBS = cert_helper/certgen/libcertgen.la $(UNIT_LIBS) $(OPENSSL_LIBS) \
	$(LMDB_LIBS)
CERTGEN_UNIT_TESTS = tests/unit/test_proto tests/unit/test_forge \
	tests/unit/test_opts tests/unit/test_revcheck
check_PROGRAMS += $(CERTGEN_UNIT_TESTS)
TESTS += $(CERTGEN_UNIT_TESTS)
tests_unit_test_proto_SOURCES = tests/unit/test_proto.c \
	tests/unit/certgen_pki.c tests/unit/certgen_pki.h
tests_unit_test_proto_CFLAGS = $(CERTGEN_UNIT_CFLAGS)
tests_unit_test_proto_LDADD = $(CERTGEN_UNIT_LIBS)
tests_unit_test_forge_SOURCES = tests/unit/test_forge.c \
	tests/unit/certgen_pki.c tests/unit/certgen_pki.h
tests_unit_test_forge_CFLAGS = $(CERTGEN_UNIT_CFLAGS)
tests_unit_test_forge_LDADD = $(CERTGEN_UNIT_LIBS)

tests_unit_test_revcheck_SOURCES = tests/unit/test_revcheck.c \
	tests/unit/certgen_pki.c tests/unit/certgen_pki.h
tests_unit_test_revcheck_CFLAGS = $(CERTGEN_UNIT_CFLAGS)
tests_unit_test_revcheck_LDADD = $(CERTGEN_UNIT_LIBS)
tests_unit_test_opts_SOURCES = tests/unit/test_opts.c
tests_unit_test_opts_CFLAGS = $(CERTGEN_UNIT_CFLAGS) $(MAN_CFLAGS)
MAN_TESTS += tests/unit/test_opts
tests_unit_test_opts_LDADD = $(CERTGEN_UNIT_LIBS)

# Integration cases (real Squid, real verifiers, a real browser).
CERTGEN_CASES = \
	tests/integration/cases/100-certgen-profile.sh \
	tests/integration/cases/101-certgen-squid-cache.sh \
	tests/integration/cases/102-certgen-chromium.sh \
	tests/integration/cases/103-certgen-ca-dir.sh \
	tests/integration/cases/104-certgen-cache-damage.sh
if INTEGRATION
TESTS += $(CERTGEN_CASES)
endif
EXTRA_DIST += $(CERTGEN_CASES)

# Benchmark driver (tests/bench/certgen.sh runs it against Squid's helper).
check_PROGRAMS += tests/bench/certgen_bench
tests_bench_certgen_bench_SOURCES = tests/bench/certgen_bench.c \
	tests/unit/certgen_pki.c tests/unit/certgen_pki.h
tests_bench_certgen_bench_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) \
	-I$(top_srcdir)/tests/unit
tests_bench_certgen_bench_LDADD = $(OPENSSL_LIBS)
EXTRA_DIST += tests/bench/certgen.sh tests/bench/certgen-connect.sh

# libFuzzer target for the protocol parser: ./configure --enable-fuzzers
# CC=clang. The parsing code is compiled into the target so that it is
# instrumented; tests/fuzz/corpus/proto holds a captured-shape request.
if FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_proto
tests_fuzz_fuzz_proto_SOURCES = tests/fuzz/fuzz_proto.c cert_helper/certgen/proto.c \
	cert_helper/certgen/hostname.c cert_helper/certgen/mimic.c cert_helper/certgen/forge.c \
	cert_helper/certgen/revcheck.c common/helper.c
tests_fuzz_fuzz_proto_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(OPENSSL_CFLAGS) \
	-I$(top_srcdir)/cert_helper/certgen
tests_fuzz_fuzz_proto_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_proto_LDADD = common/libcommon.la $(OPENSSL_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz_proto.c tests/fuzz/corpus/proto/squid-request
