# sslinspect-ca: the CA / CRL admin tool. The logic lives in a convenience
# library so the unit tests link the same code.
noinst_LTLIBRARIES += cert_helper/ca/libca.la
cert_helper_ca_libca_la_SOURCES = cert_helper/ca/ca.h cert_helper/ca/ca_cli.c cert_helper/ca/ca_conf.c \
	cert_helper/ca/ca_store.c cert_helper/ca/ca_keys.c cert_helper/ca/ca_x509.c \
	cert_helper/ca/ca_issue.c cert_helper/ca/ca_revoke.c cert_helper/ca/ca_crl.c \
	cert_helper/ca/ca_nc.c cert_helper/ca/ca_node.c \
	cert_helper/ca/ca_status.c
cert_helper_ca_libca_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
cert_helper_ca_libca_la_LIBADD = common/libcommon.la $(OPENSSL_LIBS)

sbin_PROGRAMS += cert_helper/sslinspect-ca
cert_helper_sslinspect_ca_SOURCES = cert_helper/ca/ca_main.c
cert_helper_sslinspect_ca_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCA_DEFAULT_DIR='"$(CA_DIR)"' \
	-DCA_DEFAULT_ISSUED='"$(localstatedir)/lib/sslinspect/certgen/issued.tsv"'
cert_helper_sslinspect_ca_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
cert_helper_sslinspect_ca_LDADD = cert_helper/ca/libca.la

CA_CASES = tests/integration/cases/200-ca-demo-rotate.sh \
	tests/integration/cases/210-ca-crl-lifecycle.sh \
	tests/integration/cases/220-ca-csr-install-errors.sh \
	tests/integration/cases/230-ca-rotate-under-squid.sh \
	tests/integration/cases/240-ca-crl-http.sh \
	tests/integration/cases/250-ca-certgen-revoke.sh \
	tests/integration/cases/255-ca-name-constraints.sh \
	tests/integration/cases/260-ca-systemd-units.sh \
	tests/integration/cases/261-ca-cron.sh \
	tests/integration/cases/270-ca-status-help.sh
if INTEGRATION
TESTS += $(CA_CASES)
endif
EXTRA_DIST += $(CA_CASES)

check_PROGRAMS += tests/unit/test_ca
tests_unit_test_ca_SOURCES = tests/unit/test_ca.c
tests_unit_test_ca_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cert_helper/ca
tests_unit_test_ca_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS) $(MAN_CFLAGS)
MAN_TESTS += tests/unit/test_ca
tests_unit_test_ca_LDADD = cert_helper/ca/libca.la $(UNIT_LIBS)
TESTS += tests/unit/test_ca

check_PROGRAMS += tests/unit/test_ca_nc
tests_unit_test_ca_nc_SOURCES = tests/unit/test_ca_nc.c
tests_unit_test_ca_nc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cert_helper/ca
tests_unit_test_ca_nc_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_ca_nc_LDADD = cert_helper/ca/libca.la $(UNIT_LIBS)
TESTS += tests/unit/test_ca_nc

# Installed data: systemd units for CRL refresh and rotation, also per
# proxy node (the template sslinspect-rotate@NODE; the services
# are rendered with the configured paths), the nginx CRL publication snippet
# (an example: copy it into /etc/nginx/conf.d/ and set server_name), the
# man page.
CA_DIR = $(localstatedir)/lib/sslinspect/ca
systemdsystemunit_DATA = dist/systemd/sslinspect-crl.service \
	dist/systemd/sslinspect-rotate.service \
	dist/systemd/sslinspect-rotate@.service
dist_systemdsystemunit_DATA = dist/systemd/sslinspect-crl.timer \
	dist/systemd/sslinspect-rotate.timer \
	dist/systemd/sslinspect-rotate@.timer
CLEANFILES += dist/systemd/sslinspect-crl.service \
	dist/systemd/sslinspect-rotate.service \
	dist/systemd/sslinspect-rotate@.service
EXTRA_DIST += dist/systemd/sslinspect-crl.service.in \
	dist/systemd/sslinspect-rotate.service.in \
	dist/systemd/sslinspect-rotate@.service.in
sslinspectnginxdir = $(pkgdatadir)/nginx
dist_sslinspectnginx_DATA = dist/nginx/sslinspect-crl.conf
dist_man_MANS += doc/sslinspect-ca.8

dist/systemd/%.service: $(top_srcdir)/dist/systemd/%.service.in
	$(AM_V_GEN)$(MKDIR_P) dist/systemd && sed -e 's|%SBINDIR%|$(sbindir)|g' \
	    -e 's|%CADIR%|$(CA_DIR)|g' -e 's|%SYSCONFDIR%|$(sysconfdir)|g' \
	    < $< > $@.tmp && mv $@.tmp $@

# libFuzzer target: ./configure --enable-fuzzers CC=clang. The code under
# test is compiled into it so that it is instrumented.
if FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_ca
tests_fuzz_fuzz_ca_SOURCES = tests/fuzz/fuzz_ca.c $(cert_helper_ca_libca_la_SOURCES)
tests_fuzz_fuzz_ca_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cert_helper/ca
tests_fuzz_fuzz_ca_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(OPENSSL_CFLAGS)
tests_fuzz_fuzz_ca_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_ca_LDADD = common/libcommon.la $(OPENSSL_LIBS)
endif
