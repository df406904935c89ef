/*
 * Unit tests for sslinspect-certverify: the cert_validate wire format
 * (hostile framing and fields), the reply Squid parses, the policy and its
 * host patterns, and the error names and classes. The validation of
 * chains is in test_cv_verify.c.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certverify.h"
#include "unit_test.h"

#define PEM "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"

static char *
frame(const char *body)
{
	static char	buf[4096];

	snprintf(buf, sizeof buf, "cert_validate %zu %s\n", strlen(body), body);
	return buf;
}

START_TEST(test_frame_ok_and_partial)
{
	struct helper_frame	 fr;
	char			*b = frame("host=a.test\ncert_0=" PEM);
	size_t			 n = strlen(b), i;

	ck_assert_int_eq(cv_proto_frame(b, n, &fr), HELPER_OK);
	ck_assert_uint_eq(fr.consumed, n);
	for (i = 0; i < n - 1; i++)
		ck_assert_int_eq(cv_proto_frame(b, i, &fr), HELPER_NEED);
	ck_assert_int_eq(cv_proto_frame("12 cert_validate 3 abc\n", 23, &fr),
	    HELPER_OK);
	ck_assert(fr.has_id && fr.id == 12);
	ck_assert_int_eq(cv_proto_frame("x!y\n", 4, &fr), HELPER_BAD);
	ck_assert_int_eq(cv_proto_frame("other 3 abc\n", 12, &fr),
	    HELPER_SKIP);
	ck_assert_int_eq(cv_proto_frame("cert_validate 0 \n", 17, &fr),
	    HELPER_SKIP);
	ck_assert_int_eq(cv_proto_frame("cert_validate 99999999 x", 24, &fr),
	    HELPER_SKIP);
	ck_assert_int_eq(cv_proto_frame("cert_validate 9999999999 x", 26, &fr),
	    HELPER_BAD);
}
END_TEST

START_TEST(test_parse_fields)
{
	struct cv_req	 r;
	char		*cause = NULL;
	const char	*b = "host=www.a.test\nproto_version=TLSv1.3\n"
	    "cipher=TLS_AES_128_GCM_SHA256\ncert_0=" PEM "\ncert_1=" PEM
	    "\nerror_name_0=X509_V_ERR_CERT_HAS_EXPIRED\nerror_cert_0=cert_1"
	    "\nnew_key=ignored";

	ck_assert_int_eq(cv_proto_parse(b, strlen(b), &r, &cause), 0);
	ck_assert_str_eq(r.host, "www.a.test");
	ck_assert_uint_eq(r.ncerts, 2);
	ck_assert_uint_eq(r.nerrs, 1);
	ck_assert_int_eq(r.errs[0].cert, 1);
	ck_assert_str_eq(r.errs[0].name, "X509_V_ERR_CERT_HAS_EXPIRED");
}
END_TEST

START_TEST(test_parse_hostile)
{
	static const char *const bad[] = {
		"host=a.test",				/* no certificate */
		"host=a.test\ncert_1=" PEM,		/* cert_0 missing */
		"cert_0=" PEM "\ncert_0=" PEM,		/* twice */
		"cert_0=-----BEGIN CERTIFICATE-----\nMIIB",	/* no END */
		"cert_0=garbage",
		"cert_99=" PEM,				/* too many */
		"cert_01=" PEM,
		"host=a\x01.test\ncert_0=" PEM,
		"host=a.test\nhost=b.test\ncert_0=" PEM,
		"cert_0=" PEM "\nerror_name_0=lower",
		"cert_0=" PEM "\nno equals sign",
	};
	struct cv_req	 r;
	char		*cause = NULL;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(cv_proto_parse(bad[i], strlen(bad[i]), &r,
		    &cause) == -1, "accepted: %s", bad[i]);
		ck_assert_ptr_nonnull(cause);
		free(cause);
		cause = NULL;
	}
}
END_TEST

START_TEST(test_reply)
{
	struct cbuf		 out = { NULL, 0, 0 };
	struct helper_frame	 fr;
	struct cv_finding	 f = { CV_EXPIRED,
				    "X509_V_ERR_CERT_HAS_EXPIRED", 0, 0,
				    "has\nnewline \"q\"" };
	const char		*want;

	memset(&fr, 0, sizeof fr);
	ck_assert_int_eq(cv_proto_reply(&out, &fr, NULL, 0), 0);
	ck_assert_uint_eq(out.len, 6);
	ck_assert(memcmp(out.data, "OK 0 \001", 6) == 0);
	out.len = 0;
	fr.has_id = 1;
	fr.id = 3;
	ck_assert_int_eq(cv_proto_reply(&out, &fr, &f, 1), 0);
	want = "3 ERR 92 error_name_0=X509_V_ERR_CERT_HAS_EXPIRED\n"
	    "error_reason_0=has?newline ?q?\nerror_cert_0=cert_0\n\001";
	ck_assert_uint_eq(out.len, strlen(want));
	ck_assert(memcmp(out.data, want, out.len) == 0);
	cbuf_free(&out);
}
END_TEST

START_TEST(test_policy)
{
	struct cv_policy	 p;
	char			*cause = NULL;

	cv_policy_defaults(&p);
	ck_assert(cv_policy_blocks(&p, CV_EXPIRED, "a.test"));
	ck_assert(!cv_policy_blocks(&p, CV_REV_UNKNOWN, "a.test"));
	ck_assert(!cv_policy_blocks(&p, CV_REV_TIMEOUT, "a.test"));
	ck_assert_int_eq(cv_policy_allow_host(&p, "expired", ".lab.test",
	    &cause), 0);
	ck_assert(!cv_policy_blocks(&p, CV_EXPIRED, "x.lab.test"));
	ck_assert(!cv_policy_blocks(&p, CV_EXPIRED, "LAB.test."));
	ck_assert(cv_policy_blocks(&p, CV_EXPIRED, "xlab.test"));
	ck_assert(cv_policy_blocks(&p, CV_WRONG_HOST, "x.lab.test"));
	ck_assert(cv_policy_blocks(&p, CV_INVALID, "x.lab.test"));
	ck_assert_int_eq(cv_policy_set(&p, "invalid", "allow", &cause), -1);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(cv_policy_set(&p, "nosuch", "allow", &cause), -1);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(cv_policy_allow_host(&p, "expired", "a..b", &cause),
	    -1);
	free(cause);
	ck_assert_int_eq(cv_policy_set(&p, "weak", "allow", &cause), 0);
	ck_assert(!cv_policy_blocks(&p, CV_WEAK, "a.test"));
	cv_policy_free(&p);
}
END_TEST

START_TEST(test_error_names)
{
	ck_assert_int_eq(cv_verify_error_class(X509_V_ERR_CERT_HAS_EXPIRED),
	    CV_EXPIRED);
	ck_assert_int_eq(cv_verify_error_class(
	    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT), CV_UNTRUSTED);
	ck_assert_str_eq(cv_verify_error_name(X509_V_ERR_HOSTNAME_MISMATCH),
	    "SQUID_X509_V_ERR_DOMAIN_MISMATCH");
	/* An error Squid has no name for gets one it has. */
	ck_assert_str_eq(cv_verify_error_name(12345),
	    "X509_V_ERR_CERT_REJECTED");
}
END_TEST

static Suite *
certverify_suite(void)
{
	Suite	*s = suite_create("certverify");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_frame_ok_and_partial);
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_parse_hostile);
	tcase_add_test(tc, test_reply);
	tcase_add_test(tc, test_policy);
	tcase_add_test(tc, test_error_names);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(certverify_suite)
