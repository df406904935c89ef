# Detection engines: libengines.la (DLP, malware, file type, archives,
# text extraction), a PIC convenience library linked into
# srv_sslinspect.la. It uses cause_set from common/libcommon.la, which the
# final link provides. poppler's API is C++: its one wrapper file is a
# library of its own, so that everything linking the engines stays a C
# link (with libstdc++ named).
noinst_LTLIBRARIES += icap_service/engines/libtextpdf.la
icap_service_engines_libtextpdf_la_SOURCES = icap_service/engines/text_pdf.cc
icap_service_engines_libtextpdf_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/icap_service/engines $(POPPLER_CFLAGS)
icap_service_engines_libtextpdf_la_CXXFLAGS = $(SAN_CFLAGS) -Wall -Wextra
icap_service_engines_libtextpdf_la_LIBADD = $(POPPLER_LIBS) -lstdc++

noinst_LTLIBRARIES += icap_service/engines/libengines.la
ENGINE_C_SOURCES = \
	icap_service/engines/engine.h icap_service/engines/engine_int.h \
	icap_service/engines/engine.c icap_service/engines/engine_result.c \
	icap_service/engines/engine_spool.c \
	icap_service/engines/dlp.h icap_service/engines/dlp.c icap_service/engines/dlp_card.c \
	icap_service/engines/dlp_ssn.c icap_service/engines/dlp_iban.c icap_service/engines/dlp_dict.c \
	icap_service/engines/malware.h icap_service/engines/malware.c \
	icap_service/engines/malware_hash.c icap_service/engines/malware_clam.c \
	icap_service/engines/filetype.h icap_service/engines/filetype.c \
	icap_service/engines/archive.c \
	icap_service/engines/embed.h icap_service/engines/embed.c \
	icap_service/engines/mime.h icap_service/engines/mime.c \
	icap_service/engines/text.h icap_service/engines/text_xml.c \
	icap_service/engines/text_utf16.c
icap_service_engines_libengines_la_SOURCES = $(ENGINE_C_SOURCES)
icap_service_engines_libengines_la_CPPFLAGS = $(AM_CPPFLAGS) $(HS_CFLAGS) \
	$(CLAMAV_CFLAGS) $(ARCHIVE_CFLAGS) $(MAGIC_CFLAGS) $(OPENSSL_CFLAGS) \
	$(XML_CFLAGS)
icap_service_engines_libengines_la_LIBADD = icap_service/engines/libtextpdf.la \
	$(HS_LIBS) $(CLAMAV_LIBS) $(ARCHIVE_LIBS) $(MAGIC_LIBS) $(OPENSSL_LIBS) \
	$(XML_LIBS) -lstdc++ -lpthread

# Unit tests of the engines.
ENGINE_TEST_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines
ENGINE_TEST_LIBS = icap_service/engines/libengines.la $(UNIT_LIBS)
check_PROGRAMS += tests/unit/test_engines
tests_unit_test_engines_SOURCES = tests/unit/test_engines.c tests/unit/engine_test.h
tests_unit_test_engines_CFLAGS = $(ENGINE_TEST_CFLAGS)
tests_unit_test_engines_LDADD = $(ENGINE_TEST_LIBS) $(ARCHIVE_LIBS) $(OPENSSL_LIBS) -lpthread
TESTS += tests/unit/test_engines
check_PROGRAMS += tests/unit/test_validators
tests_unit_test_validators_SOURCES = tests/unit/test_validators.c tests/unit/engine_test.h
tests_unit_test_validators_CFLAGS = $(ENGINE_TEST_CFLAGS)
tests_unit_test_validators_LDADD = $(ENGINE_TEST_LIBS)
TESTS += tests/unit/test_validators
check_PROGRAMS += tests/unit/test_dlp
tests_unit_test_dlp_SOURCES = tests/unit/test_dlp.c tests/unit/engine_test.h
tests_unit_test_dlp_CFLAGS = $(ENGINE_TEST_CFLAGS)
tests_unit_test_dlp_LDADD = $(ENGINE_TEST_LIBS)
TESTS += tests/unit/test_dlp
check_PROGRAMS += tests/unit/test_text
tests_unit_test_text_SOURCES = tests/unit/test_text.c tests/unit/unit_test.h
tests_unit_test_text_CFLAGS = $(ENGINE_TEST_CFLAGS)
tests_unit_test_text_LDADD = $(ENGINE_TEST_LIBS)
TESTS += tests/unit/test_text
check_PROGRAMS += tests/unit/test_corpus
tests_unit_test_corpus_SOURCES = tests/unit/test_corpus.c tests/unit/engine_test.h
tests_unit_test_corpus_CFLAGS = $(ENGINE_TEST_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_corpus_LDADD = $(ENGINE_TEST_LIBS) $(ZLIB_LIBS)
TESTS += tests/unit/test_corpus

# Integration cases of the engines (real Squid + c-icap + TLS origin):
# what issue 12 found the engines did not see. Numbers next to the
# service's own corpus cases (393-396), whose harness they share.
ENGINE_CASES = \
	tests/integration/cases/397-engine-containers.sh \
	tests/integration/cases/398-engine-documents.sh \
	tests/integration/cases/399-engine-number-shapes.sh
if INTEGRATION
TESTS += $(ENGINE_CASES)
endif
EXTRA_DIST += $(ENGINE_CASES)

# Accuracy corpora: detect/<types>--<what>.<ext> must yield exactly <types>;
# benign/ (and the docs Debian ships, read at test time) must yield nothing.
ENGINE_CORPUS = \
	tests/corpus/detect/credit_card+us_ssn+iban--loan-application.txt \
	tests/corpus/detect/credit_card--19-digits.json \
	tests/corpus/detect/credit_card--bzip2-after-nul-padding.bin \
	tests/corpus/detect/credit_card--deb-package.deb \
	tests/corpus/detect/credit_card--docx-split-runs.docx \
	tests/corpus/detect/credit_card--dotted.txt \
	tests/corpus/detect/credit_card--double-spaces.txt \
	tests/corpus/detect/credit_card--eml-base64-attachments.eml \
	tests/corpus/detect/credit_card--eml-nested-quoted-printable.eml \
	tests/corpus/detect/credit_card--expiry-and-cvv.txt \
	tests/corpus/detect/credit_card--export.csv \
	tests/corpus/detect/credit_card--form-urlencoded.txt \
	tests/corpus/detect/credit_card--fullwidth-digits.txt \
	tests/corpus/detect/credit_card--glued-to-letters.txt \
	tests/corpus/detect/credit_card--gzip-after-nul-padding.bin \
	tests/corpus/detect/credit_card--gzip-disk-image.img.gz \
	tests/corpus/detect/credit_card--gzip-long-comment.gz \
	tests/corpus/detect/credit_card--gzip-long-extra.gz \
	tests/corpus/detect/credit_card--html-table.html \
	tests/corpus/detect/credit_card--json.json \
	tests/corpus/detect/credit_card--mixed-separators.txt \
	tests/corpus/detect/credit_card--multipart.txt \
	tests/corpus/detect/credit_card--nbsp.html \
	tests/corpus/detect/credit_card--odt-spans.odt \
	tests/corpus/detect/credit_card--pdf-flate-tj-kerning.pdf \
	tests/corpus/detect/credit_card--slashes.txt \
	tests/corpus/detect/credit_card--tabs.tsv \
	tests/corpus/detect/credit_card--tar-lz4.tar.lz4 \
	tests/corpus/detect/credit_card--tar-lzma.tar.lzma \
	tests/corpus/detect/credit_card--tar-v7-no-magic.tar \
	tests/corpus/detect/credit_card--utf16-strings-in-binary.bin \
	tests/corpus/detect/credit_card--utf16le-bom.txt \
	tests/corpus/detect/credit_card--xlsx-rich-text-runs.xlsx \
	tests/corpus/detect/credit_card--xml.xml \
	tests/corpus/detect/credit_card--xz-after-nul-padding.bin \
	tests/corpus/detect/credit_card--zip-appended-to-png.png \
	tests/corpus/detect/credit_card--zip-in-tar.tar \
	tests/corpus/detect/credit_card--zip-self-extractor.exe \
	tests/corpus/detect/iban--dashes.txt \
	tests/corpus/detect/iban--invoice.txt \
	tests/corpus/detect/iban--json.json \
	tests/corpus/detect/iban--lowercase.txt \
	tests/corpus/detect/iban--several-countries.txt \
	tests/corpus/detect/us_ssn--context-after.txt \
	tests/corpus/detect/us_ssn--hr-record.txt \
	tests/corpus/detect/us_ssn--json-keys.json \
	tests/corpus/detect/us_ssn--json.json \
	tests/corpus/benign/api-orders.json \
	tests/corpus/benign/lookalikes.txt \
	tests/corpus/benign/number-shapes-lookalikes.txt \
	tests/corpus/benign/order-ids.txt
EXTRA_DIST += $(ENGINE_CORPUS) tests/corpus/fixtures.py

# Benchmarks (not tests): built by make check, run by hand or by
# tests/bench/engines.sh; see that script.
check_PROGRAMS += tests/bench/engines_bench
tests_bench_engines_bench_SOURCES = tests/bench/engines_bench.c
tests_bench_engines_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines
tests_bench_engines_bench_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_engines_bench_LDADD = icap_service/libsvc.la \
	$(ZLIB_LIBS) $(OPENSSL_LIBS)
EXTRA_DIST += tests/bench/engines.sh

# The false-positive cost of each DLP widening, shape by shape, on the
# benign corpora (run by hand: tests/bench/dlp_widening from build/).
check_PROGRAMS += tests/bench/dlp_widening
tests_bench_dlp_widening_SOURCES = tests/bench/dlp_widening.c
tests_bench_dlp_widening_CFLAGS = $(ENGINE_TEST_CFLAGS) $(ZLIB_CFLAGS)
tests_bench_dlp_widening_LDADD = $(ENGINE_TEST_LIBS) $(ZLIB_LIBS)

# ICAP throughput through c-icap: tests/bench/icap.sh drives icap_bench
# against srv_echo and srv_sslinspect in one c-icap.
check_PROGRAMS += tests/bench/icap_bench
tests_bench_icap_bench_SOURCES = tests/bench/icap_bench.c
tests_bench_icap_bench_CFLAGS = $(AM_CFLAGS) $(CICAP_CFLAGS)
tests_bench_icap_bench_LDADD = $(CICAP_LIBS) -lpthread
EXTRA_DIST += tests/bench/icap.sh

dist_man_MANS += doc/sslinspect-engines.7

# libFuzzer target for the engines (./configure --enable-fuzzers CC=clang);
# the engine sources are compiled into it so they are instrumented.
if FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_engines
tests_fuzz_fuzz_engines_SOURCES = tests/fuzz/fuzz_engines.c \
	$(ENGINE_C_SOURCES) common/cause.c
tests_fuzz_fuzz_engines_CPPFLAGS = $(icap_service_engines_libengines_la_CPPFLAGS) \
	-I$(top_srcdir)/icap_service -I$(top_srcdir)/icap_service/engines
tests_fuzz_fuzz_engines_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_engines_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_engines_LDADD = icap_service/engines/libtextpdf.la \
	$(HS_LIBS) $(CLAMAV_LIBS) $(ARCHIVE_LIBS) \
	$(MAGIC_LIBS) $(OPENSSL_LIBS) $(XML_LIBS) -lstdc++ -lpthread
# The parsers of issue 12: mail messages, extracted text, number runs.
noinst_PROGRAMS += tests/fuzz/fuzz_mime tests/fuzz/fuzz_text
tests_fuzz_fuzz_mime_SOURCES = tests/fuzz/fuzz_mime.c \
	icap_service/engines/mime.c common/cause.c
tests_fuzz_fuzz_mime_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/icap_service/engines
tests_fuzz_fuzz_mime_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_mime_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_text_SOURCES = tests/fuzz/fuzz_text.c \
	icap_service/engines/text_xml.c icap_service/engines/text_utf16.c \
	icap_service/engines/dlp_card.c
tests_fuzz_fuzz_text_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/icap_service/engines \
	$(XML_CFLAGS)
tests_fuzz_fuzz_text_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_text_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_text_LDADD = $(XML_LIBS) -lpthread
endif
