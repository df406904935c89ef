/*
 * Unit tests for the body pipeline (body.c): decoding, multipart and form
 * splitting, limits and the merge of engine results, on the real engines.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "svc_test.h"

static struct engine_set *set;
static struct svc_limits lim;

static void
setup(void)
{
	struct engine_config	 ec;
	char			*cause = NULL;

	engine_config_defaults(&ec);
	ec.clamav = false;
	set = engine_set_load(&ec, &cause);
	ck_assert_msg(set != NULL, "%s", cause ? cause : "");
	test_limits(&lim);
}

static void
teardown(void)
{
	engine_set_free(set);
}

static void
inspect(const char *ctype, const char *cenc, enum engine_direction dir,
    const void *buf, size_t len, size_t step, struct body_outcome *o)
{
	struct engine_profile	 prof;
	struct body_params	 bp;
	struct body		*b;
	size_t			 off, n;

	engine_profile_defaults(&prof, dir);
	memset(&bp, 0, sizeof bp);
	bp.engines = set;
	bp.profile = &prof;
	bp.direction = dir;
	bp.content_type = ctype;
	bp.content_encoding = cenc;
	bp.limits = &lim;
	ck_assert_ptr_nonnull(b = body_new(&bp));
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		body_feed(b, (const char *)buf + off, n);
	}
	body_end(b, o);
	body_free(b);
}

static unsigned char *
gzip(const void *in, size_t len, size_t *outlen)
{
	unsigned char	*out = malloc(len + 1024);
	z_stream	 z;

	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)len + 1024;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

static const char card_text[] =
    "Order notes.\nPlease charge card 4111 1111 1111 1111 and ship today.\n";

static bool
has_engine(const struct body_outcome *o, const char *engine)
{
	size_t	i;

	for (i = 0; i < o->nfindings; i++)
		if (o->findings[i].engine && strcmp(o->findings[i].engine,
		    engine) == 0)
			return true;
	return false;
}

START_TEST(clean_and_found)
{
	struct body_outcome	o;
	static const char	clean[] = "nothing to see here, just text\n";

	inspect("text/plain", NULL, ENGINE_UPLOAD, clean, sizeof clean - 1,
	    4096, &o);
	ck_assert_int_eq(o.verdict, BODY_CLEAN);
	ck_assert_uint_eq(o.raw_bytes, sizeof clean - 1);
	inspect("text/plain", NULL, ENGINE_UPLOAD, card_text,
	    sizeof card_text - 1, 3, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
	ck_assert(has_engine(&o, "dlp"));
	ck_assert_ptr_null(strstr(o.findings[0].sample, "4111 1111 1111 1111"));
}
END_TEST

START_TEST(gzip_multipart)
{
	struct body_outcome	 o;
	char			 body[1024];
	unsigned char		*gz;
	size_t			 glen;
	int			 n;

	n = snprintf(body, sizeof body,
	    "--zz\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\n\r\nhello\r\n--zz\r\nContent-Disposition: "
	    "form-data; "
	    "name=\"f\"; filename=\"o.txt\"\r\nContent-Type: "
	    "text/plain\r\n\r\n%s\r\n"
	    "--zz--\r\n", card_text);
	gz = gzip(body, (size_t)n, &glen);
	inspect("multipart/form-data; boundary=zz", "gzip", ENGINE_UPLOAD, gz,
	    glen, 100, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
	ck_assert_uint_eq(o.parts, 2);
	/*
	 * Each part raw and as text, the body whole, its headers, its fields.
	 */
	ck_assert_uint_eq(o.scans, 7);
	/* The card is listed once, however many views saw it. */
	ck_assert_uint_eq(o.nfindings, 1);
	ck_assert_uint_eq(o.decoded_bytes, (size_t)n);
	free(gz);
}
END_TEST

START_TEST(urlencoded_and_json)
{
	struct body_outcome	o;
	static const char	form[] =
	    "note=x&card=4111%201111%201111%201111";
	static const char	json[] =
	    "{\"card\":\"\\u0034111 1111 1111 1111\"}";

	inspect("application/x-www-form-urlencoded", NULL, ENGINE_UPLOAD, form,
	    sizeof form - 1, 5, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
	inspect("application/json; charset=utf-8", NULL, ENGINE_UPLOAD, json,
	    sizeof json - 1, 5, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
}
END_TEST

START_TEST(uninspectable)
{
	struct body_outcome	 o;
	static const char	 junk[] = "this is not gzip at all";
	unsigned char		*zeros, *gz, *bomb;
	size_t			 glen;
	char			*parts;
	size_t			 i, len = 0;

	inspect("text/plain", "gzip", ENGINE_DOWNLOAD, junk, sizeof junk - 1,
	    4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "corrupt"));
	inspect("text/plain", "compress", ENGINE_DOWNLOAD, junk,
	    sizeof junk - 1, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "unsupported"));
	inspect("multipart/form-data", NULL, ENGINE_UPLOAD, junk,
	    sizeof junk - 1, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "boundary"));

	/* 256 MiB of zeros, as 256 gzip members of 1 MiB. */
	zeros = calloc(1, 1 << 20);
	gz = gzip(zeros, 1 << 20, &glen);
	bomb = malloc(glen * 256);
	for (i = 0; i < 256; i++)
		memcpy(bomb + i * glen, gz, glen);
	inspect("application/octet-stream", "gzip", ENGINE_DOWNLOAD, bomb,
	    glen * 256,
	    4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "bomb"));
	ck_assert_uint_eq(o.raw_bytes, glen * 256);
	free(bomb);
	free(gz);
	free(zeros);

	parts = malloc(2000 * 16);
	for (i = 0; i < 2000; i++)
		len += (size_t)sprintf(parts + len, "--b\r\n\r\nx\r\n");
	inspect("multipart/form-data; boundary=b", NULL, ENGINE_UPLOAD, parts,
	    len, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "too many"));
	free(parts);
}
END_TEST

/*
 * MaxScanTime is checked every TIME_CHECK_BYTES (256 KiB) scanned over all
 * views, not at every piece: with no time at all allowed, a body of 32 KiB
 * is never clocked and passes, one of 2 MiB fails at its first check, fed
 * in pieces of any size.
 */
START_TEST(scan_time_checked_in_stretches)
{
	struct body_outcome	 o;
	unsigned char		*buf = malloc(2 << 20);
	unsigned		 saved = lim.max_seconds;
	size_t			 i;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < (size_t)(2 << 20); i++)
		buf[i] = (unsigned char)"plain text, nothing here. "[i % 26];
	lim.max_seconds = 0;
	inspect("text/plain", NULL, ENGINE_UPLOAD, buf, 32 << 10, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_CLEAN);
	inspect("text/plain", NULL, ENGINE_UPLOAD, buf, 2 << 20, 100, &o);
	ck_assert_int_eq(o.verdict, BODY_ERROR);
	ck_assert_ptr_nonnull(strstr(o.reason, "time limit reached"));
	inspect("application/x-www-form-urlencoded", NULL, ENGINE_UPLOAD,
	    buf, 2 << 20, 65536, &o);
	ck_assert_int_eq(o.verdict, BODY_ERROR);
	ck_assert_ptr_nonnull(strstr(o.reason, "time limit reached"));
	lim.max_seconds = saved;
	inspect("text/plain", NULL, ENGINE_UPLOAD, buf, 2 << 20, 100, &o);
	ck_assert_int_eq(o.verdict, BODY_CLEAN);
	free(buf);
}
END_TEST

START_TEST(no_engines_fail)
{
	struct engine_profile	 prof;
	struct body_params	 bp;
	struct body_outcome	 o;
	struct body		*b;

	engine_profile_defaults(&prof, ENGINE_UPLOAD);
	memset(&bp, 0, sizeof bp);
	bp.profile = &prof;
	bp.limits = &lim;
	b = body_new(&bp);
	body_feed(b, "abc", 3);
	ck_assert(body_settled(b));
	body_end(b, &o);
	body_free(b);
	ck_assert_int_eq(o.verdict, BODY_ERROR);
	ck_assert_ptr_nonnull(strstr(o.reason, "inspection failed"));
}
END_TEST

static const char eicar[] =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

static bool
has_type(const struct body_outcome *o, const char *t)
{
	unsigned	i;

	for (i = 0; i < o->ntypes; i++)
		if (strcmp(o->true_types[i], t) == 0)
			return true;
	return false;
}

/* A multipart body from printf-style parts, boundary "B". */
static char *
mp_body(size_t *len, const char *fmt, ...)
{
	va_list	 ap;
	char	*b = NULL;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&b, fmt, ap);
	va_end(ap);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return b;
}

/*
 * What a server may see and the parser must not miss: the raw bytes of a
 * part labelled base64, the preamble and epilogue, a boundary servers
 * read differently, a file name, digits spread over fields.
 */
START_TEST(multipart_differentials)
{
	static const char *const ct = "multipart/form-data; boundary=B";
	static const size_t steps[] = { 1, 7, 4096 };
	struct body_outcome o;
	char *b;
	size_t len, k;

	for (k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		/*
		 * Labelled base64, sent raw: the server that ignores the label
		 * stores EICAR.
		 */
		b = mp_body(&len,
		    "--B\r\nContent-Disposition: form-data; name=f; "
		    "filename=e.com\r\nContent-Transfer-Encoding: "
		    "base64\r\n\r\n%s\r\n"
		    "--B--\r\n", eicar);
		inspect(ct, NULL, ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		ck_assert(has_engine(&o, "malware"));
		free(b);
		/*
		 * Labelled base64 and encoded: the decoding server sees the
		 * card.
		 */
		b = mp_body(&len,
		    "--B\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		    "Y2FyZCA0MTExIDExMTEgMTExMSAxMTExCg==\r\n--B--\r\n");
		inspect(ct, NULL, ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		free(b);
		/* Preamble and epilogue. */
		b = mp_body(&len, "%s\r\n--B\r\n\r\nx\r\n--B--\r\n", card_text);
		inspect(ct, NULL, ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		free(b);
		b = mp_body(&len,
		    "--B\r\n\r\nx\r\n--B--\r\n--B\r\n\r\n%s\r\n--B--\r\n",
		    eicar);
		inspect(ct, NULL, ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		free(b);
		/*
		 * Two boundaries: uninspectable, and what is in it still found.
		 */
		b = mp_body(&len, "--A\r\n\r\nx\r\n--A--\r\n");
		inspect("multipart/form-data; boundary=A; boundary=B", NULL,
		    ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
		ck_assert_ptr_nonnull(strstr(o.reason, "ambiguous"));
		free(b);
		b = mp_body(&len, "--A\r\n\r\nx\r\n--A\r\n\r\n%s\r\n--B--\r\n",
		    eicar);
		inspect("multipart/form-data; boundary=B; boundary=A", NULL,
		    ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		free(b);
		/*
		 * A script in a part header, stored whole by a server that
		 * parses nothing.
		 */
		b = mp_body(&len, "--B\r\nX-Note: %s\r\n\r\nx\r\n--B--\r\n",
		    eicar);
		inspect(ct, NULL, ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		free(b);
		/* A card in a file name, plain and RFC 2047-encoded. */
		b = mp_body(&len,
		    "--B\r\nContent-Disposition: form-data; name=f; "
		    "filename=\"card-4111 1111 1111 "
		    "1111.txt\"\r\n\r\nx\r\n--B--\r\n");
		inspect(ct, NULL, ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		free(b);
		b = mp_body(&len,
		    "--B\r\nContent-Disposition: form-data; name=f; "
		    "filename=\"=?utf-8?B?Y2FyZCA0MTExIDExMTEgMTExMSAxMTExLnR4d"
		    "A==?=\"\r\n\r\n"
		    "x\r\n--B--\r\n");
		inspect(ct, NULL, ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		free(b);
		/* Four fields of four digits; their names say what they are. */
		b = mp_body(&len,
		    "--B\r\nContent-Disposition: form-data; "
		    "name=card1\r\n\r\n4111"
		    "\r\n--B\r\nContent-Disposition: form-data; "
		    "name=card2\r\n\r\n1111"
		    "\r\n--B\r\nContent-Disposition: form-data; "
		    "name=card3\r\n\r\n1111"
		    "\r\n--B\r\nContent-Disposition: form-data; "
		    "name=card4\r\n\r\n1111"
		    "\r\n--B--\r\n");
		inspect(ct, NULL, ENGINE_UPLOAD, b, len, steps[k], &o);
		ck_assert_int_eq(o.verdict, BODY_FOUND);
		free(b);
	}
}
END_TEST

/* Every part's true type counts: a text field, then a PE file. */
START_TEST(every_true_type)
{
	unsigned char		 pe[512];
	struct body_outcome	 o;
	char			*b;
	size_t			 len, hl;

	memset(pe, 0, sizeof pe);
	memcpy(pe, "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", 14);
	b = mp_body(&len,
	    "--B\r\nContent-Disposition: form-data; name=t\r\n\r\n"
	    "just a comment\r\n--B\r\nContent-Disposition: form-data; name=f; "
	    "filename=a.bin\r\n\r\n");
	hl = len;
	b = realloc(b, len + sizeof pe + 16);
	memcpy(b + hl, pe, sizeof pe);
	len = hl + sizeof pe;
	memcpy(b + len, "\r\n--B--\r\n", 9);
	len += 9;
	inspect("multipart/form-data; boundary=B", NULL, ENGINE_UPLOAD, b, len,
	    100, &o);
	ck_assert_str_eq(o.true_type, "text");
	ck_assert(has_type(&o, "text"));
	ck_assert(has_type(&o, "pe"));
	free(b);
}
END_TEST

/* Where digits hide in text: escapes, arrays, fields. */
START_TEST(hiding_in_text)
{
	static const struct {
		const char *ct;
		const char *body;
	} t[] = {
		{ "text/plain",
		  "{\"card\":\"\\u0034\\u0031\\u0031\\u0031 1111 1111 "
		  "1111\"}" },
		{ NULL,
		  "{\"card\":\"\\u0034\\u0031\\u0031\\u0031 1111 1111 "
		  "1111\"}" },
		{ "application/json", "{\"card\":[4111,1111,1111,1111]}" },
		{ "text/plain",
		  "{\"card\":[\"4111\",\"1111\",\"1111\",\"1111\"]}" },
		{ "application/x-www-form-urlencoded",
		  "card1=4111&card2=1111&card3=1111&card4=1111" },
		{ "text/plain", "card1=4111&card2=1111&card3=1111&card4=1111" },
		{ "application/x-www-form-urlencoded",
		  "card=%u0034111%201111%201111%201111" },
		{ "application/octet-stream",
		  "card=4111%201111%201111%201111" },
	};
	struct body_outcome o;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		inspect(t[i].ct, NULL, ENGINE_UPLOAD, t[i].body,
		    strlen(t[i].body), 3, &o);
		ck_assert_msg(o.verdict == BODY_FOUND, "%zu: %s", i, t[i].body);
	}
	/* Clean text stays clean through every view. */
	inspect("text/plain", NULL, ENGINE_UPLOAD,
	    "{\"a\":[1,2,3],\"b\":\"x\"}", 21, 3, &o);
	ck_assert_int_eq(o.verdict, BODY_CLEAN);
}
END_TEST

/* Downloads: what the browser shows is scanned raw as well. */
START_TEST(downloads_raw_and_encodings)
{
	struct body_outcome	 o;
	unsigned char		*gz, *log;
	size_t			 glen, len = 10 << 20, i;
	static const char	 line[] =
	    "2026-12-04T10:00:00Z INFO worker: heartbeat ok\n";

	/*
	 * EICAR as a JSON "document": the JSON view alone breaks its backslash.
	 */
	inspect("application/json", NULL, ENGINE_DOWNLOAD, eicar,
	    sizeof eicar - 1, 5, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
	/* Names real servers send that encode nothing. */
	inspect("text/plain", "UTF-8", ENGINE_DOWNLOAD, "hello", 5, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_CLEAN);
	inspect("text/plain", "none", ENGINE_DOWNLOAD, eicar, sizeof eicar - 1,
	    4096, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
	/* A repetitive 10 MB log, gzipped: no bomb. */
	log = malloc(len);
	for (i = 0; i < len; i++)
		log[i] = (unsigned char)line[i % (sizeof line - 1)];
	gz = gzip(log, len, &glen);
	inspect("text/plain", "gzip", ENGINE_DOWNLOAD, gz, glen, 65536, &o);
	ck_assert_msg(o.verdict == BODY_CLEAN, "%s", o.reason);
	free(gz);
	free(log);
	/* Ambiguous lists: uninspectable, and a detection still one. */
	gz = gzip("hello", 5, &glen);
	inspect("text/plain", "gzip, identity", ENGINE_DOWNLOAD, gz, glen, 4096,
	    &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "ambiguous"));
	free(gz);
	gz = gzip(eicar, sizeof eicar - 1, &glen);
	inspect("text/plain", "identity, gzip", ENGINE_DOWNLOAD, gz, glen, 4096,
	    &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
	free(gz);
	inspect("text/plain", "gzip, identity", ENGINE_DOWNLOAD, eicar,
	    sizeof eicar - 1,
	    4096, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
}
END_TEST

/* What an engine did not look at reaches the outcome, once per reason. */
START_TEST(skips_carried)
{
	struct engine_config	 ec;
	struct engine_profile	 prof;
	struct body_params	 bp;
	struct body_outcome	 o;
	struct engine_set	*cset;
	struct body		*b;
	char			 dir[] = "/tmp/test_body.XXXXXX", *cause = NULL;
	unsigned char		 pe[512];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	engine_config_defaults(&ec);
	ec.clamav = true;
	ec.clamav_db_dir = dir;
	cset = engine_set_load(&ec, &cause);
	ck_assert_msg(cset != NULL, "%s", cause ? cause : "");
	memset(pe, 0, sizeof pe);
	memcpy(pe, "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", 14);
	engine_profile_defaults(&prof, ENGINE_UPLOAD);
	memset(&bp, 0, sizeof bp);
	bp.engines = cset;
	bp.profile = &prof;
	bp.direction = ENGINE_UPLOAD;
	bp.content_type = "application/octet-stream";
	bp.limits = &lim;
	b = body_new(&bp);
	body_feed(b, pe, sizeof pe);
	body_end(b, &o);
	body_free(b);
	ck_assert_uint_eq(o.nskips, 1);
	ck_assert_str_eq(o.skips[0].engine, "clamav");
	ck_assert_ptr_nonnull(strstr(o.skips[0].why, "no signatures"));
	engine_set_free(cset);
	rmdir(dir);
}
END_TEST

static Suite *
body_suite(void)
{
	Suite	*s = suite_create("body");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, clean_and_found);
	tcase_add_test(tc, gzip_multipart);
	tcase_add_test(tc, urlencoded_and_json);
	tcase_add_test(tc, uninspectable);
	tcase_add_test(tc, no_engines_fail);
	tcase_add_test(tc, scan_time_checked_in_stretches);
	tcase_add_test(tc, multipart_differentials);
	tcase_add_test(tc, every_true_type);
	tcase_add_test(tc, hiding_in_text);
	tcase_add_test(tc, downloads_raw_and_encodings);
	tcase_add_test(tc, skips_carried);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(body_suite)
