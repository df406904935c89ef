/*
 * Unit tests for the body pipeline (body.c): decoding, multipart and form
 * splitting, limits and the merge of engine results, on the real engines.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include <zlib.h>

#include "svc_test.h"

static struct engine_set *set;
static struct svc_limits lim;

static void
setup(void)
{
	struct engine_config ec;
	char *cause = NULL;

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
	struct engine_profile prof;
	struct body_params bp;
	struct body *b;
	size_t off, n;

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
	unsigned char *out = malloc(len + 1024);
	z_stream z;

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
    "Order notes.\nPlease charge 4111 1111 1111 1111 and ship today.\n";

static bool
has_engine(const struct body_outcome *o, const char *engine)
{
	size_t i;

	for (i = 0; i < o->nfindings; i++)
		if (o->findings[i].engine && strcmp(o->findings[i].engine, engine) == 0)
			return true;
	return false;
}

START_TEST(clean_and_found)
{
	struct body_outcome o;
	static const char clean[] = "nothing to see here, just text\n";

	inspect("text/plain", NULL, ENGINE_UPLOAD, clean, sizeof clean - 1, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_CLEAN);
	ck_assert_uint_eq(o.raw_bytes, sizeof clean - 1);
	inspect("text/plain", NULL, ENGINE_UPLOAD, card_text, sizeof card_text - 1, 3, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
	ck_assert(has_engine(&o, "dlp"));
	ck_assert_ptr_null(strstr(o.findings[0].sample, "4111 1111 1111 1111"));
}
END_TEST

START_TEST(gzip_multipart)
{
	struct body_outcome o;
	char body[1024];
	unsigned char *gz;
	size_t glen;
	int n;

	n = snprintf(body, sizeof body, "--zz\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\n\r\nhello\r\n--zz\r\nContent-Disposition: form-data; "
	    "name=\"f\"; filename=\"o.txt\"\r\nContent-Type: text/plain\r\n\r\n%s\r\n"
	    "--zz--\r\n", card_text);
	gz = gzip(body, (size_t)n, &glen);
	inspect("multipart/form-data; boundary=zz", "gzip", ENGINE_UPLOAD, gz, glen, 100, &o);
	ck_assert_int_eq(o.verdict, BODY_FOUND);
	ck_assert_uint_eq(o.parts, 2);
	ck_assert_uint_eq(o.scans, 2);
	ck_assert_uint_eq(o.decoded_bytes, (size_t)n);
	free(gz);
}
END_TEST

START_TEST(urlencoded_and_json)
{
	struct body_outcome o;
	static const char form[] = "note=x&card=4111%201111%201111%201111";
	static const char json[] = "{\"card\":\"\\u0034111 1111 1111 1111\"}";

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
	struct body_outcome o;
	static const char junk[] = "this is not gzip at all";
	unsigned char *zeros, *gz;
	size_t glen;
	char *parts;
	size_t i, len = 0;

	inspect("text/plain", "gzip", ENGINE_DOWNLOAD, junk, sizeof junk - 1, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "corrupt"));
	inspect("text/plain", "compress", ENGINE_DOWNLOAD, junk, sizeof junk - 1, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "unsupported"));
	inspect("multipart/form-data", NULL, ENGINE_UPLOAD, junk, sizeof junk - 1, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "boundary"));

	zeros = calloc(1, 64 << 20);
	gz = gzip(zeros, 64 << 20, &glen);
	inspect("application/octet-stream", "gzip", ENGINE_DOWNLOAD, gz, glen, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "bomb"));
	ck_assert_uint_eq(o.raw_bytes, glen);
	free(gz);
	free(zeros);

	parts = malloc(2000 * 16);
	for (i = 0; i < 2000; i++)
		len += (size_t)sprintf(parts + len, "--b\r\n\r\nx\r\n");
	inspect("multipart/form-data; boundary=b", NULL, ENGINE_UPLOAD, parts, len, 4096, &o);
	ck_assert_int_eq(o.verdict, BODY_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(o.reason, "too many"));
	free(parts);
}
END_TEST

START_TEST(no_engines_fail)
{
	struct engine_profile prof;
	struct body_params bp;
	struct body_outcome o;
	struct body *b;

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

static Suite *
body_suite(void)
{
	Suite *s = suite_create("body");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, clean_and_found);
	tcase_add_test(tc, gzip_multipart);
	tcase_add_test(tc, urlencoded_and_json);
	tcase_add_test(tc, uninspectable);
	tcase_add_test(tc, no_engines_fail);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(body_suite)
