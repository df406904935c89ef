/*
 * Unit tests for the audit line (audit.c): its direction, the masking of
 * digit runs in URLs, valid UTF-8, and where the lines go.
 */
#include "config.h"

#include <stdio.h>

#include "svc_test.h"

static char *
line(enum engine_direction dir, bool bodiless, const char *method)
{
	struct audit_record	 r;
	size_t			 len;
	char			*s;

	memset(&r, 0, sizeof r);
	r.when = 1700000000;
	r.method = method;
	r.host = "x.test";
	r.path = "/";
	r.direction = dir;
	r.bodiless = bodiless;
	r.verdict = "block";
	r.incident = "0123456789abcdef";
	s = audit_format(&r, &len);
	ck_assert_ptr_nonnull(s);
	return s;
}

/*
 * A request without a body (a GET blocked in REQMOD) is a "request", not
 * an "upload": rules with direction upload match only requests with a body.
 */
START_TEST(direction)
{
	char	*s;

	ck_assert_str_eq(audit_direction(ENGINE_UPLOAD, false), "upload");
	ck_assert_str_eq(audit_direction(ENGINE_UPLOAD, true), "request");
	ck_assert_str_eq(audit_direction(ENGINE_DOWNLOAD, false), "download");
	ck_assert_str_eq(audit_direction(ENGINE_DOWNLOAD, true), "download");

	s = line(ENGINE_UPLOAD, true, "GET");
	ck_assert_ptr_nonnull(strstr(s,
	    "\"method\":\"GET\",\"host\":\"x.test\","
	    "\"path\":\"/\",\"direction\":\"request\""));
	free(s);
	s = line(ENGINE_UPLOAD, false, "POST");
	ck_assert_ptr_nonnull(strstr(s, "\"direction\":\"upload\""));
	free(s);
	s = line(ENGINE_DOWNLOAD, false, "GET");
	ck_assert_ptr_nonnull(strstr(s, "\"direction\":\"download\""));
	free(s);
}
END_TEST

/* A URL's long digit runs keep their last four; short ones stay. */
static const struct {
	const char	*in, *out;
} masks[] = {
	{ "/pay?card=4111111111111111", "/pay?card=************1111" },
	{ "/s?q=4111+1111+1111+1111", "/s?q=****+****+****+1111" },
	{ "/s?q=4111%201111%201111%201111", "/s?q=****%20****%20****%201111" },
	{ "/s?q=4111-1111-1111-1111&x=1", "/s?q=****-****-****-1111&x=1" },
	{ "/s?ssn=078-05-1120", "/s?ssn=***-**-1120" },
	{ "/iban/DE89370400440532013000", "/iban/DE****************3000" },
	{ "/s?q=%34%31%31%31%31%31%31%31%31%31",
	  "/s?q=******************%31%31%31%31" },
	{ "/2024/01/15/report-12345678.pdf",
	  "/2024/01/15/report-12345678.pdf" },
	{ "/v1.2.3/a", "/v1.2.3/a" },
	{ "/order/123456789", "/order/*****6789" },
	{ "/a?t=1700000000.5", "/a?t=*******000.5" },
	{ "", "" },
	{ "12345678 123456789-", "******** *****6789-" },
};

START_TEST(mask)
{
	char	buf[256];

	snprintf(buf, sizeof buf, "%s", masks[_i].in);
	audit_mask_digits(buf);
	ck_assert_str_eq(buf, masks[_i].out);
}
END_TEST

/* The logged path is masked; the line itself is valid UTF-8. */
START_TEST(masked_line)
{
	struct audit_record	 r;
	size_t			 len;
	char			*s;

	memset(&r, 0, sizeof r);
	r.when = 1700000000;
	r.method = "GET";
	r.host = "x.test";
	r.path = "/search?q=card+4111+1111+1111+1111";
	r.user = "b\xe9\xff\xc3\xa9\xed\xa0\x80";
	r.verdict = "allow";
	r.incident = "0123456789abcdef";
	s = audit_format(&r, &len);
	ck_assert_ptr_nonnull(strstr(s,
	    "\"path\":\"/search?q=card+****+****+****+1111\""));
	ck_assert_ptr_null(strstr(s, "4111"));
	ck_assert_ptr_nonnull(strstr(s,
	    "\"user\":\"b\\ufffd\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\""));
	free(s);
}
END_TEST

/* off and "" log nothing; a file that cannot be opened falls back to syslog. */
START_TEST(destinations)
{
	char	*cause = NULL;

	ck_assert_int_eq(audit_open("off", &cause), 0);
	ck_assert_int_eq(audit_open("", &cause), 0);
	ck_assert_int_eq(audit_open("/nonexistent/dir/audit.log", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause,
	    "/nonexistent/dir/audit.log: No such file"));
	ck_assert_ptr_nonnull(strstr(cause, "syslog instead"));
	audit_close();
	free(cause);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite	*s = suite_create("audit");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, direction);
	tcase_add_loop_test(tc, mask, 0, sizeof masks / sizeof masks[0]);
	tcase_add_test(tc, masked_line);
	tcase_add_test(tc, destinations);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(audit_suite)
