/* Unit tests for the multipart/form-data parser (multipart.c). */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "svc_test.h"

struct rec {
	char	 log[8192];
	unsigned begins, ends;
	size_t	 bytes;
};

static int
rbegin(void *arg, const struct mp_part *p)
{
	struct rec *r = arg;
	size_t l = strlen(r->log);

	r->begins++;
	if (l < sizeof r->log - 600)
		snprintf(r->log + l, sizeof r->log - l, "[%s|%s|%s]", p->name,
		    p->filename, p->content_type);
	return 0;
}

static int
rdata(void *arg, const void *buf, size_t len)
{
	struct rec *r = arg;
	size_t l = strlen(r->log);

	r->bytes += len;
	if (l + len < sizeof r->log - 1) {
		memcpy(r->log + l, buf, len);
		r->log[l + len] = '\0';
	}
	return 0;
}

static int
rend(void *arg)
{
	struct rec *r = arg;
	size_t l = strlen(r->log);

	r->ends++;
	if (l + 1 < sizeof r->log)
		strcat(r->log, "$");
	return 0;
}

static const struct mp_callbacks cbs = { rbegin, rdata, rend };

static enum mp_status
parse(const char *boundary, const char *body, size_t len, size_t step, struct rec *r,
    const struct svc_limits *lim)
{
	struct multipart *m = multipart_new(boundary, lim, &cbs, r);
	enum mp_status st = MP_OK;
	size_t off, n;

	ck_assert_ptr_nonnull(m);
	memset(r, 0, sizeof *r);
	for (off = 0; off < len && st == MP_OK; off += n) {
		n = len - off < step ? len - off : step;
		st = multipart_feed(m, body + off, n);
	}
	if (st == MP_OK)
		st = multipart_finish(m);
	multipart_free(m);
	return st;
}

static const char form[] =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"comment\"\r\n"
    "\r\n"
    "hello\r\n--not the boundary\r\n"
    "--XyZ  \r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "card 4111111111111111\r\n"
    "--XyZ--\r\n"
    "epilogue --XyZ\r\n";

START_TEST(two_parts_any_chunking)
{
	static const size_t steps[] = { 1, 2, 5, 13, 4096 };
	struct svc_limits lim;
	struct rec r;
	size_t i;

	test_limits(&lim);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		ck_assert_int_eq(parse("XyZ", form, sizeof form - 1, steps[i], &r, &lim), MP_OK);
		ck_assert_uint_eq(r.begins, 2);
		ck_assert_uint_eq(r.ends, 2);
		ck_assert_str_eq(r.log, "[comment||]hello\r\n--not the boundary$"
		    "[file|a \"b\".txt|text/plain]card 4111111111111111$");
	}
}
END_TEST

START_TEST(boundary_param)
{
	char b[80];

	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=abc", b, sizeof b), 0);
	ck_assert_str_eq(b, "abc");
	ck_assert_int_eq(multipart_boundary("Multipart/Form-Data;charset=x; BOUNDARY=\"a b;c\"",
	    b, sizeof b), 0);
	ck_assert_str_eq(b, "a b;c");
	ck_assert_int_eq(multipart_boundary("multipart/form-data", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=\"open", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("text/plain; boundary=x", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; xboundary=x", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary="
	    "01234567890123456789012345678901234567890123456789012345678901234567890123",
	    b, sizeof b), -1);
}
END_TEST

START_TEST(malformed)
{
	struct svc_limits lim;
	struct rec r;
	const char *b;
	char *big;
	size_t n;

	test_limits(&lim);
	/* No closing delimiter (truncated body): the part is still delivered. */
	b = "--B\r\n\r\nsecret data";
	ck_assert_int_eq(parse("B", b, strlen(b), 3, &r, &lim), MP_MALFORMED);
	ck_assert_uint_eq(r.ends, 1);
	ck_assert_ptr_nonnull(strstr(r.log, "secret data"));
	/* Junk after a delimiter. */
	b = "--Bjunk\r\n\r\nx\r\n--B--";
	ck_assert_int_eq(parse("B", b, strlen(b), 4096, &r, &lim), MP_MALFORMED);
	/* No boundary anywhere. */
	b = "just text";
	ck_assert_int_eq(parse("B", b, strlen(b), 4096, &r, &lim), MP_MALFORMED);
	/* Headers that never end. */
	n = 100000;
	big = malloc(n);
	memcpy(big, "--B\r\nX-Long: ", 13);
	memset(big + 13, 'a', n - 13);
	ck_assert_int_eq(parse("B", big, n, 4096, &r, &lim), MP_MALFORMED);
	ck_assert_uint_eq(r.begins, 0);
	free(big);
	ck_assert_ptr_null(multipart_new("", &lim, &cbs, &r));
}
END_TEST

START_TEST(many_tiny_parts)
{
	struct svc_limits lim;
	struct rec r;
	size_t n = 100000, i, len = 0;
	char *body = malloc(n * 40 + 16);
	time_t t0 = time(NULL);

	test_limits(&lim);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(body + len, "--b\r\n\r\n%zu\r\n", i % 10);
	len += (size_t)sprintf(body + len, "--b--\r\n");
	/* Default limit: explicit result, stopped early. */
	ck_assert_int_eq(parse("b", body, len, 4096, &r, &lim), MP_LIMIT);
	ck_assert_uint_eq(r.begins, lim.max_parts);
	/* Raised limit: all parts, in bounded time. */
	lim.max_parts = 200000;
	ck_assert_int_eq(parse("b", body, len, 4096, &r, &lim), MP_OK);
	ck_assert_uint_eq(r.begins, n);
	ck_assert_uint_eq(r.bytes, n);
	ck_assert_int_le(time(NULL) - t0, 30);
	free(body);
}
END_TEST

START_TEST(lf_only_and_no_headers)
{
	struct svc_limits lim;
	struct rec r;
	const char *b = "--q\n\r\nbody\r\n--q--";

	test_limits(&lim);
	ck_assert_int_eq(parse("q", b, strlen(b), 1, &r, &lim), MP_OK);
	ck_assert_str_eq(r.log, "[||]body$");
}
END_TEST

static Suite *
multipart_suite(void)
{
	Suite *s = suite_create("multipart");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, two_parts_any_chunking);
	tcase_add_test(tc, boundary_param);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, many_tiny_parts);
	tcase_add_test(tc, lf_only_and_no_headers);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(multipart_suite)
