# tests/: unit tests (Check) and integration cases on real Squid + c-icap.
# Component fragments add their own unit tests and cases to TESTS.

UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_LIBS = common/libcommon.la $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_issued
tests_unit_test_issued_SOURCES = tests/unit/test_issued.c
tests_unit_test_issued_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_issued_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test_issued
check_PROGRAMS += tests/unit/test_size tests/unit/test_serial
tests_unit_test_size_SOURCES = tests/unit/test_size.c tests/unit/unit_test.h
tests_unit_test_size_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_size_LDADD = $(UNIT_LIBS)
tests_unit_test_serial_SOURCES = tests/unit/test_serial.c tests/unit/unit_test.h
tests_unit_test_serial_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_serial_LDADD = $(UNIT_LIBS) $(OPENSSL_LIBS)
TESTS += tests/unit/test_size tests/unit/test_serial
check_PROGRAMS += tests/unit/test_slurp
tests_unit_test_slurp_SOURCES = tests/unit/test_slurp.c tests/unit/unit_test.h
tests_unit_test_slurp_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slurp_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test_slurp
check_PROGRAMS += tests/unit/test_conffile
tests_unit_test_conffile_SOURCES = tests/unit/test_conffile.c tests/unit/unit_test.h
tests_unit_test_conffile_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conffile_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test_conffile

# Integration cases: one declarative file each, run by tests/integration/run-case.
INTEGRATION_CASES = \
	tests/integration/cases/001-bump-basic.sh \
	tests/integration/cases/002-splice-do-not-inspect.sh \
	tests/integration/cases/003-icap-wired.sh \
	tests/integration/cases/004-shipped-snippets-parse.sh \
	tests/integration/cases/005-install-deps-first-run.sh \
	tests/integration/cases/006-squid-version-behaviour.sh \
	tests/integration/cases/007-bump-port-tls.sh \
	tests/integration/cases/008-splice-spoof-proof.sh \
	tests/integration/cases/009-quic-kept-out.sh \
	tests/integration/cases/010-state-dirs.sh \
	tests/integration/cases/011-enable-disable.sh \
	tests/integration/cases/012-unusual-traffic.sh \
	tests/integration/cases/013-intercept-splice.sh \
	tests/integration/cases/014-uninspectable-choices.sh \
	tests/integration/cases/015-mtls-origin.sh \
	tests/integration/cases/016-cli-help-fatal.sh
if INTEGRATION
TESTS += $(INTEGRATION_CASES)
endif
TEST_EXTENSIONS = .sh .test
# The harness and the cases it sources are bash (arrays, printf -v, $'...'):
# they run under bash by name, whichever shell configure settled on.
SH_LOG_COMPILER = bash $(top_srcdir)/tests/integration/run-case
# The style checks are POSIX sh.
TEST_LOG_COMPILER = $(SHELL)

# Style: the C sources in the house style (scripts/checksrc, but for the
# files scripts/checksrc.skip still lists) and shellcheck on every shell
# script, cases included. "make check-style" runs just these two.
STYLE_TESTS = tests/style/checksrc.test tests/style/shellcheck.test
TESTS += $(STYLE_TESTS)
EXTRA_DIST += $(STYLE_TESTS) scripts/checksrc scripts/checksrc.skip \
	tests/integration/.shellcheckrc tests/integration/cases/.shellcheckrc
check-style:
	@for t in $(STYLE_TESTS); do \
	    top_srcdir='$(abs_top_srcdir)' $(SHELL) $(top_srcdir)/$$t || exit 1; \
	done
.PHONY: check-style
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	SQUID='$(SQUID)'; export SQUID; \
	CICAP='$(CICAP)'; export CICAP; \
	SQUID_LIBEXECDIR='$(squid_libexecdir)'; export SQUID_LIBEXECDIR; \
	CK_VERBOSITY=normal; export CK_VERBOSITY; \
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-30}; export CK_DEFAULT_TIMEOUT;
# (A test case without its own timeout gets 30 s instead of Check's 4: CI
# and package builds share a loaded machine, and a timeout there is noise.)
EXTRA_DIST += $(INTEGRATION_CASES) tests/integration/run-case \
	tests/integration/lib.sh tests/integration/orgca.sh \
	tests/integration/relay.py

# Fuzzing: scripts/fuzz builds the libFuzzer targets (tests/fuzz/) out of
# tree and runs them on their seed corpora. The corpora ship as whole
# directories so that the inputs a nightly "scripts/fuzz --merge" adds
# ship too without being listed here.
EXTRA_DIST += scripts/fuzz tests/fuzz/corpus

# Load client (not a test): built by make check, driven by tests/load/run.sh
# (load and its baselines) and tests/load/faults.sh (faults under load).
check_PROGRAMS += tests/load/loadclient
tests_load_loadclient_SOURCES = tests/load/loadclient.c
tests_load_loadclient_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS)
tests_load_loadclient_LDADD = $(CURL_LIBS) $(OPENSSL_LIBS)
EXTRA_DIST += tests/load/run.sh tests/load/faults.sh tests/load/cicap-queue-race.sh \
	tests/load/ecap_hold.cc tests/load/ecap_scan.c
