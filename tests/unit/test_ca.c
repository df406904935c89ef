/* Unit tests for sslinspect-ca's pure parts: settings, names, records, CRLs. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "ca.h"
#include "manpage.h"
#include "unit_test.h"

#define PARSE_ARGS(lit)	lit, strlen(lit)

START_TEST(conf_defaults_follow_the_table)
{
	struct ca_conf	c;
	size_t		i;

	ca_conf_defaults(&c);
	ck_assert_int_eq(c.issuing_days, 7);
	ck_assert_int_eq(c.crl_days, 7);
	ck_assert_str_eq(c.squid_user, "proxy");
	for (i = 0; i < ca_conf_nopts; i++) {
		ck_assert_ptr_nonnull(ca_conf_opts[i].help);
		ck_assert_int_eq(ca_conf_set(&c, ca_conf_opts[i].name,
		    ca_conf_opts[i].dflt, NULL), 0);
	}
}
END_TEST

START_TEST(conf_parse_and_ranges)
{
	struct ca_conf	 c;
	char		*cause = NULL, *text;
	const char	*good = "# x\n\ncrl-url http://crl.test/{ca}.crl\n"
			    "issuing-days 3\n  crl-days\t2  \nsquid-user "
			    "squid\n";

	ca_conf_defaults(&c);
	ck_assert_int_eq(ca_conf_parse(&c, good, strlen(good), &cause), 0);
	ck_assert_str_eq(c.crl_url, "http://crl.test/{ca}.crl");
	ck_assert_int_eq(c.issuing_days, 3);
	ck_assert_int_eq(c.crl_days, 2);
	ck_assert_str_eq(c.squid_user, "squid");
	text = ca_conf_format(&c);
	ca_conf_defaults(&c);
	ck_assert_int_eq(ca_conf_parse(&c, text, strlen(text), NULL), 0);
	ck_assert_int_eq(c.issuing_days, 3);
	free(text);

	ck_assert_int_eq(ca_conf_parse(&c, PARSE_ARGS("issuing-days 398\n"),
	    &cause),
	    -1);
	ck_assert_str_eq(cause, "line 1: issuing-days: must be a number from "
	    "1 to 397");
	ck_assert_int_eq(ca_conf_set(&c, "crl-days", "0", NULL), -1);
	ck_assert_int_eq(ca_conf_set(&c, "crl-days", "7x", NULL), -1);
	ck_assert_int_eq(ca_conf_set(&c, "crl-url", "https://x/{ca}", NULL),
	    -1);
	ck_assert_int_eq(ca_conf_set(&c, "crl-url", "http://a b", NULL), -1);
	ck_assert_int_eq(ca_conf_set(&c, "nosuch", "1", &cause), -1);
	ck_assert_str_eq(cause, "unknown setting \"nosuch\"");
	free(cause);
}
END_TEST

START_TEST(conf_url_template)
{
	char	*u;

	u = ca_conf_url("http://c/{ca}.crl?x={ca}", "ab01");
	ck_assert_str_eq(u, "http://c/ab01.crl?x=ab01");
	free(u);
	u = ca_conf_url("http://c/fixed.crl", "ab01");
	ck_assert_str_eq(u, "http://c/fixed.crl");
	free(u);
}
END_TEST

START_TEST(dn_parse)
{
	X509_NAME	*n = NULL;
	char		 buf[256], *cause = NULL;

	ck_assert_int_eq(ca_x509_parse_dn("/O=Ex\\/ample/OU=IT/CN=Proxy CA",
	    &n, NULL), 0);
	X509_NAME_oneline(n, buf, sizeof buf);
	ck_assert_str_eq(buf, "/O=Ex\\/ample/OU=IT/CN=Proxy CA");
	X509_NAME_free(n);
	ck_assert_int_eq(ca_x509_parse_dn("CN=x", &n, &cause), -1);
	ck_assert_int_eq(ca_x509_parse_dn("/CN", &n, NULL), -1);
	ck_assert_int_eq(ca_x509_parse_dn("/XX=1", &n, NULL), -1);
	ck_assert_int_eq(ca_x509_parse_dn("/", &n, NULL), -1);
	free(cause);
}
END_TEST

START_TEST(revoked_round_trip)
{
	struct revoked_rec	r, back;
	char			buf[1024], *cause = NULL;
	int			n;

	memset(&r, 0, sizeof r);
	r.revoked = 1800000000;
	r.not_after = 1800600000;
	r.reason = ca_revoke_reason("KeyCompromise");
	strcpy(r.issuer_keyid, "a1b2c3");
	strcpy(r.serial, "5f3a");
	strcpy(r.label, "www.example.test");
	ck_assert_int_eq(r.reason, 1);
	n = revoked_format(&r, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(revoked_parse(buf, (size_t)n, &back, &cause), 0);
	ck_assert_int_eq(back.revoked, r.revoked);
	ck_assert_int_eq(back.reason, 1);
	ck_assert_str_eq(back.serial, "5f3a");
	ck_assert_str_eq(back.label, "www.example.test");

	ck_assert_int_eq(revoked_parse(PARSE_ARGS("v1\t1\tAB\t1\t-1\t2\th"),
	    &back,
	    &cause), -1);
	ck_assert_int_eq(revoked_parse(PARSE_ARGS("v1\t1\tab\t1\t11\t2\th"),
	    &back,
	    NULL), -1);
	ck_assert_int_eq(revoked_parse(PARSE_ARGS("v1\t1\tab\t1\t-1\t2"), &back,
	    NULL), -1);
	ck_assert_int_eq(revoked_parse(PARSE_ARGS("v1\t1\tab\t1\t-1\t2\th\tx"),
	    &back, NULL), -1);
	strcpy(r.label, "a\tb");
	ck_assert_int_eq(revoked_format(&r, buf, sizeof buf), -1);
	ck_assert_int_eq(ca_revoke_reason("unspecified"), -1);
	ck_assert_int_eq(ca_revoke_reason("certificateHold"), -1);
	ck_assert_str_eq(ca_revoke_reason_name(9), "privilegeWithdrawn");
	free(cause);
}
END_TEST

/* A root and an issuing CA in memory, and a CRL from the issuing CA. */
START_TEST(crl_build_verifies)
{
	EVP_PKEY		*rk, *ik;
	X509			*root, *iss;
	X509_NAME		*n = NULL;
	X509_CRL		*crl;
	X509_REVOKED		*rev;
	struct revoked_rec	 r[2];
	ASN1_INTEGER		*num;
	AUTHORITY_KEYID		*akid;
	ISSUING_DIST_POINT	*idp;
	time_t			 now = time(NULL);
	int			 crit = -1;

	rk = ca_keys_generate("ec-p256", NULL);
	ik = ca_keys_generate("ec-p256", NULL);
	ck_assert_ptr_nonnull(rk);
	ck_assert_int_eq(ca_x509_parse_dn("/O=T/CN=Root", &n, NULL), 0);
	root = ca_issue_mint_ca(NULL, NULL, rk, n, 30, now, -1, NULL, NULL,
	    NULL);
	X509_NAME_free(n);
	ck_assert_int_eq(ca_x509_parse_dn("/O=T/CN=Issuing", &n, NULL), 0);
	iss = ca_issue_mint_ca(root, rk, ik, n, 400, now, 0, "http://c/x.crl",
	    NULL, NULL);
	X509_NAME_free(n);
	ck_assert_ptr_nonnull(iss);
	ck_assert_int_eq(ca_x509_check_ca(iss, 0, NULL), 0);
	ck_assert_int_eq(ca_x509_check_ca(iss, 1, NULL), -1);
	/* Clamped to the issuer's notAfter. */
	ck_assert_int_eq(ca_x509_not_after(iss), ca_x509_not_after(root));

	memset(r, 0, sizeof r);
	r[0].revoked = now - 10;
	r[0].reason = 1;
	strcpy(r[0].serial, "0abc");
	r[1].revoked = now - 5;
	r[1].reason = -1;
	strcpy(r[1].serial, "ff00112233445566778899");
	crl = ca_crl_build(iss, ik, r, 2, 42, now, now + 3600, NULL, 0, NULL);
	ck_assert_ptr_nonnull(crl);
	ck_assert_int_eq(X509_CRL_verify(crl, ik), 1);
	ck_assert_int_eq(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	ck_assert_int_eq(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(iss)), 0);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	ck_assert_int_eq(ASN1_INTEGER_get(num), 42);
	ck_assert_int_eq(crit, 0);
	ASN1_INTEGER_free(num);
	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL,
	    NULL);
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(akid->keyid,
	    X509_get0_subject_key_id(iss)), 0);
	AUTHORITY_KEYID_free(akid);
	rev = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0);
	ck_assert_int_ge(X509_REVOKED_get_ext_by_NID(rev, NID_crl_reason, -1),
	    0);
	rev = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 1);
	ck_assert_int_eq(X509_REVOKED_get_ext_by_NID(rev, NID_crl_reason, -1),
	    -1);
	X509_CRL_free(crl);

	strcpy(r[0].serial, "zz");
	ck_assert_ptr_null(ca_crl_build(iss, ik, r, 1, 1, now, now + 1, NULL,
	    0, NULL));
	strcpy(r[0].serial, "01");
	crl = ca_crl_build(iss, ik, r, 1, 2, now, now + 1, "http://c/x.crl", 0,
	    NULL);
	ck_assert_ptr_nonnull(crl);
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit,
	    NULL);
	ck_assert_ptr_nonnull(idp);
	ck_assert_int_eq(crit, 1);
	ck_assert_int_ne(idp->onlyuser, 0);
	ck_assert_int_eq(idp->onlyCA, 0);
	ISSUING_DIST_POINT_free(idp);
	X509_CRL_free(crl);
	ck_assert_ptr_null(ca_crl_build(iss, ik, r, 1, 2, now, now + 1,
	    "http://c/a,b.crl", 0, NULL));
	X509_free(iss);
	X509_free(root);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(rk);
}
END_TEST

/*
 * The health of the current issuing CA: its life left against the thresholds.
 */
static const struct {
	long	valid_h, left_h, warn, critical;
	enum ca_health want;
} issuing_rows[] = {
	{ 168, 160, -1, -1, CA_HEALTH_OK },
	{ 168, 85, -1, -1, CA_HEALTH_OK },
	{ 168, 83, -1, -1, CA_HEALTH_WARNING },	/* rotation missed 3.5 days */
	{ 168, 25, -1, -1, CA_HEALTH_WARNING },
	{ 168, 23, -1, -1, CA_HEALTH_CRITICAL },
	{ 168, -1, -1, -1, CA_HEALTH_CRITICAL },	/* expired */
	{ 24, 20, -1, -1, CA_HEALTH_CRITICAL },	/* a 1-day CA is always close */
	{ 168, 100, 120, -1, CA_HEALTH_WARNING },
	{ 168, 100, 10, 2, CA_HEALTH_OK },
	{ 168, 1, 0, 0, CA_HEALTH_OK },
	{ 168, 100, -1, 101, CA_HEALTH_CRITICAL },
};

START_TEST(issuing_health)
{
	time_t	now = 1800000000, na = now + issuing_rows[_i].left_h * 3600;
	time_t	nb = na - issuing_rows[_i].valid_h * 3600;

	ck_assert_int_eq(ca_status_issuing(nb, na, now, issuing_rows[_i].warn,
	    issuing_rows[_i].critical), issuing_rows[_i].want);
}
END_TEST

/*
 * Node names become path components (nodes/<name>/), environment values
 * of the reload command and part of the issuing CA's CN.
 */
START_TEST(node_names)
{
	static const char *good[] = { "a", "proxy-a", "proxy-b.dc1", "p_2",
	    "0", "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *bad[] = { "", ".", "..", "-a", "_a", ".hidden",
	    "a/b", "../x", "A", "proxy a", "a;b", "a$b", "caf\xc3\xa9",
	    "abcdefghijklmnopqrstuvwxyz0123456" };
	char	*cause;
	size_t	 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		cause = NULL;
		ck_assert_msg(ca_node_name_ok(good[i], &cause) == 0,
		    "%s: %s", good[i], cause);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		ck_assert_msg(ca_node_name_ok(bad[i], &cause) == -1, "%s",
		    bad[i]);
		ck_assert_ptr_nonnull(cause);
		ck_assert_ptr_nonnull(strstr(cause, "node name"));
		free(cause);
	}
}
END_TEST

/* sslinspect-ca(8): options, settings and key types from their tables. */
START_TEST(manual)
{
	struct manbuf		 b = { NULL, 0 };
	const struct ca_cli_opt	*o;
	const struct ca_cli_cmd	*c;
	const char		*sep;
	size_t			 i;

	man_add(&b, ".Bl -tag -width Ds\n");
	for (o = ca_cli_opts; o->name != NULL; o++) {
		man_add(&b, ".It Fl -%s%s%s\n", o->name, o->arg ? " Ar " : "",
		    o->arg ? o->arg : "");
		man_text(&b, o->help);
		man_add(&b, ".\nCommands:");
		for (c = ca_cli_cmds, sep = " "; c->name != NULL; c++)
			if (o->cmds & c->bit) {
				man_add(&b, "%s%s", sep, c->name);
				sep = ", ";
			}
		man_add(&b, ".\n");
	}
	man_add(&b, ".El\n");
	man_check("doc/sslinspect-ca.8", "options", b.s);
	free(b.s);
	b.s = NULL;
	b.len = 0;
	man_add(&b, ".Bl -tag -width Ds\n");
	for (i = 0; i < ca_conf_nopts; i++) {
		if (ca_conf_opts[i].type == CA_CONF_INT)
			man_add(&b, ".It Cm %s Ar %ld..%ld\n",
			    ca_conf_opts[i].name,
			    ca_conf_opts[i].min, ca_conf_opts[i].max);
		else
			man_add(&b, ".It Cm %s Ar text\n",
			    ca_conf_opts[i].name);
		man_text(&b, ca_conf_opts[i].help);
		man_add(&b, ".\nDefault:\n.Ql %s .\n", ca_conf_opts[i].dflt);
	}
	man_add(&b, ".El\n");
	man_check("doc/sslinspect-ca.8", "settings", b.s);
	free(b.s);
	b.s = NULL;
	b.len = 0;
	man_add(&b, "The key types of\n.Fl -key-type\n(the default is\n"
	    ".Cm ec-p256 ) :\n.Cm %s .\n", ca_keys_type_list());
	man_check("doc/sslinspect-ca.8", "key-types", b.s);
	free(b.s);
}
END_TEST

static Suite *
ca_suite(void)
{
	Suite	*s = suite_create("ca");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, conf_defaults_follow_the_table);
	tcase_add_test(tc, conf_parse_and_ranges);
	tcase_add_test(tc, conf_url_template);
	tcase_add_test(tc, dn_parse);
	tcase_add_test(tc, revoked_round_trip);
	tcase_add_test(tc, crl_build_verifies);
	tcase_add_loop_test(tc, issuing_health, 0,
	    sizeof issuing_rows / sizeof issuing_rows[0]);
	tcase_add_test(tc, node_names);
	tcase_add_test(tc, manual);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(ca_suite)
