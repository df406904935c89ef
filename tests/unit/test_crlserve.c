/* Unit tests for CRL serving (crlserve.c). */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "svc_test.h"

START_TEST(hosts)
{
	ck_assert(crlserve_is_host("crl.example.test", "crl.example.test"));
	ck_assert(crlserve_is_host("a.test, CRL.example.test b.test",
	    "crl.example.TEST"));
	ck_assert(!crlserve_is_host("crl.example.test", "crl.example"));
	ck_assert(!crlserve_is_host("crl.example.test", "xcrl.example.test"));
	ck_assert(!crlserve_is_host("", "a"));
	ck_assert(!crlserve_is_host(NULL, "a"));
}
END_TEST

START_TEST(lookup)
{
	char			 dir[] = "/tmp/svc-crl.XXXXXX", path[256];
	struct crl_reply	 r;
	FILE			*f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/a1b2.crl", dir);
	f = fopen(path, "w");
	fwrite("\x30\x82\x00\x01", 1, 4, f);
	fclose(f);
	ck_assert_int_eq(crlserve_lookup(dir, "/a1b2.crl?x=1", &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "application/pkix-crl");
	ck_assert_uint_eq(r.len, 4);
	ck_assert(memcmp(r.body, "\x30\x82\x00\x01", 4) == 0);
	crlserve_reply_free(&r);
	ck_assert_int_eq(crlserve_lookup(dir, "/../etc/passwd.crl", &r), 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(crlserve_lookup(dir, "/a1b2.txt", &r), 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(crlserve_lookup(dir, "/missing.crl", &r), 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(crlserve_lookup(dir, "/.hidden.crl", &r), 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(crlserve_lookup("", "/a1b2.crl", &r), -1);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
crlserve_suite(void)
{
	Suite	*s = suite_create("crlserve");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, hosts);
	tcase_add_test(tc, lookup);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(crlserve_suite)
