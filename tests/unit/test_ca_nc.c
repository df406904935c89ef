/*
 * Unit tests for sslinspect-ca's name constraints (ca_nc.c): the
 * do-not-inspect list parsed into names, bad entries refused with the
 * file, the line and why, the cap, and the extension it gives.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ca.h"
#include "unit_test.h"

/* Parse text; the names joined by spaces, or "ERR: cause". */
static char *
nc_run(const char *text)
{
	struct ca_nc	 nc = { NULL, 0 };
	char		*cause = NULL, *out = NULL;
	size_t		 len = 0, i;
	FILE		*f;

	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	if (ca_nc_parse(&nc, "list.txt", text, strlen(text), &cause) == -1) {
		ck_assert_ptr_nonnull(cause);
		fprintf(f, "ERR: %s", cause);
		free(cause);
	} else {
		ck_assert_ptr_null(cause);
		for (i = 0; i < nc.n; i++)
			fprintf(f, "%s%s", i > 0 ? " " : "", nc.names[i]);
	}
	ca_nc_free(&nc);
	ck_assert_int_eq(fclose(f), 0);
	return out;
}

static const struct {
	const char	*text;
	const char	*want;
} nc_rows[] = {
	{ "", "" },
	{ "# only a comment\n\n   \n", "" },
	/* The shipped list's form: comments, dotted and bare entries. */
	{ "# banks\n.bank.example\npay.example.test\n",
	  "bank.example pay.example.test" },
	/* Both forms are written bare (see ca_nc.c), duplicates once. */
	{ ".example.com\nexample.com\n.EXAMPLE.com\n", "example.com" },
	{ "  Mixed.Case.Test  # trailing comment\r\n", "mixed.case.test" },
	{ "\tindented.test\t\nno-newline.test",
	  "indented.test no-newline.test" },
	{ "xn--bcher-kva.example\n_srv.example\n", "xn--bcher-kva.example "
	  "_srv.example" },
	{ "a.test\n*.wild.test\n", "ERR: list.txt, line 2: \"*.wild.test\": "
	  "wildcard: list the domain with a leading dot instead "
	  "(.example.com)" },
	{ "192.0.2.1\n", "ERR: list.txt, line 1: \"192.0.2.1\": IP address: "
	  "only DNS names can be excluded" },
	{ "# v6\n2001:db8::1\n", "ERR: list.txt, line 2: \"2001:db8::1\": IP "
	  "address or network: only DNS names can be excluded" },
	{ "b\xc3\xbc" "cher.example\n", "ERR: list.txt, line 1: \"b\xc3\xbc"
	  "cher.example\": non-ASCII name: list an IDN in its A-label (xn--) "
	  "form" },
	{ ".\n", "ERR: list.txt, line 1: \".\": empty name (a dot alone would "
	  "exclude every name)" },
	{ "a..b.test\n", "ERR: list.txt, line 1: \"a..b.test\": empty label "
	  "(two dots, or a trailing dot)" },
	{ "a.test.\n", "ERR: list.txt, line 1: \"a.test.\": empty label (two "
	  "dots, or a trailing dot)" },
	{ "a.test b.test\n", "ERR: list.txt, line 1: more than one name on the "
	  "line" },
	{ "a!b.test\n", "ERR: list.txt, line 1: \"a!b.test\": character not "
	  "allowed in a DNS name (letters, digits, - and _)" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".test\n", "ERR: list.txt, line 1: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": label longer than 63 "
	  "characters" },
};

START_TEST(parse_rows)
{
	char	*got;

	got = nc_run(nc_rows[_i].text);
	ck_assert_str_eq(got, nc_rows[_i].want);
	free(got);
}
END_TEST

/* A name of 254 characters is refused, 253 taken. */
START_TEST(name_length)
{
	char	 text[300], *got;
	size_t	 i;

	for (i = 0; i < 253; i++)
		text[i] = (i % 50 == 49) ? '.' : 'a';
	text[253] = '\0';
	got = nc_run(text);
	ck_assert_str_eq(got, text);
	free(got);
	text[253] = 'a';
	text[254] = '\0';
	got = nc_run(text);
	ck_assert_ptr_nonnull(strstr(got, "name longer than 253 characters"));
	free(got);
}
END_TEST

/* CA_NC_MAX names pass, one more names the line and the limit. */
START_TEST(cap)
{
	char	*text = NULL, *got, want[128];
	size_t	 len = 0, i;
	FILE	*f;

	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < CA_NC_MAX; i++)
		fprintf(f, ".d%zu.test\n", i);
	fprintf(f, "d0.test\n");	/* a duplicate does not count */
	ck_assert_int_eq(fclose(f), 0);
	got = nc_run(text);
	ck_assert_ptr_null(strstr(got, "ERR"));
	free(got);
	text = realloc(text, len + 32);
	ck_assert_ptr_nonnull(text);
	strcat(text, "one-more.test\n");
	got = nc_run(text);
	snprintf(want, sizeof want, "ERR: list.txt, line %d: more than %d "
	    "names", CA_NC_MAX + 2, CA_NC_MAX);
	ck_assert_msg(strncmp(got, want, strlen(want)) == 0, "got %s", got);
	free(got);
	free(text);
}
END_TEST

/* The extension: critical, excluded DNS subtrees only, bare names. */
START_TEST(extension)
{
	struct ca_nc		 nc = { NULL, 0 };
	const char		*text = ".bank.example\npay.example.test\n";
	NAME_CONSTRAINTS	*got;
	GENERAL_SUBTREE		*st;
	X509			*x;
	int			 crit = 0, i;
	const char		*want[] = { "bank.example",
				    "pay.example.test" };

	x = X509_new();
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ca_nc_add(x, &nc, NULL), 0);
	ck_assert_int_eq(X509_get_ext_by_NID(x, NID_name_constraints, -1), -1);
	ck_assert_int_eq(ca_nc_parse(&nc, "l", text, strlen(text), NULL), 0);
	ck_assert_int_eq(ca_nc_add(x, &nc, NULL), 0);
	got = X509_get_ext_d2i(x, NID_name_constraints, &crit, NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(crit, 1);
	ck_assert_ptr_null(got->permittedSubtrees);
	ck_assert_int_eq(sk_GENERAL_SUBTREE_num(got->excludedSubtrees), 2);
	for (i = 0; i < 2; i++) {
		st = sk_GENERAL_SUBTREE_value(got->excludedSubtrees, i);
		ck_assert_int_eq(st->base->type, GEN_DNS);
		ck_assert_str_eq((const char *)ASN1_STRING_get0_data(
		    st->base->d.dNSName), want[i]);
	}
	NAME_CONSTRAINTS_free(got);
	ca_nc_free(&nc);
	X509_free(x);
}
END_TEST

/* The setting: none by default, absolute paths only. */
START_TEST(setting)
{
	struct ca_conf	 c;
	char		*cause = NULL;

	ca_conf_defaults(&c);
	ck_assert_str_eq(c.exclude_list, "none");
	ck_assert_int_eq(ca_conf_set(&c, "exclude-list",
	    "/etc/sslinspect/lists/no-inspect.txt", NULL), 0);
	ck_assert_int_eq(ca_conf_set(&c, "exclude-list", "lists/x.txt",
	    &cause), -1);
	ck_assert_str_eq(cause, "exclude-list: must be an absolute path or "
	    "none");
	free(cause);
	ck_assert_str_eq(c.exclude_list,
	    "/etc/sslinspect/lists/no-inspect.txt");
}
END_TEST

static Suite *
ca_nc_suite(void)
{
	Suite	*s = suite_create("ca_nc");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, parse_rows, 0,
	    sizeof nc_rows / sizeof nc_rows[0]);
	tcase_add_test(tc, name_length);
	tcase_add_test(tc, cap);
	tcase_add_test(tc, extension);
	tcase_add_test(tc, setting);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(ca_nc_suite)
