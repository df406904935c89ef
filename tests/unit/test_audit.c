/* Unit tests for the audit line's direction (audit.c). */
#include "config.h"

#include <stdio.h>

#include "svc_test.h"

static char *
line(enum engine_direction dir, bool bodiless, const char *method)
{
	struct audit_record r;
	size_t len;
	char *s;

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
	char *s;

	ck_assert_str_eq(audit_direction(ENGINE_UPLOAD, false), "upload");
	ck_assert_str_eq(audit_direction(ENGINE_UPLOAD, true), "request");
	ck_assert_str_eq(audit_direction(ENGINE_DOWNLOAD, false), "download");
	ck_assert_str_eq(audit_direction(ENGINE_DOWNLOAD, true), "download");

	s = line(ENGINE_UPLOAD, true, "GET");
	ck_assert_ptr_nonnull(strstr(s, "\"method\":\"GET\",\"host\":\"x.test\","
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

static Suite *
audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, direction);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(audit_suite)
