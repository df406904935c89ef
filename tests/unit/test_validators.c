/* Unit tests for the DLP validators and the dictionary parser (pure code). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"
#include "engine_test.h"
#include "filetype.h"
#include "unit_test.h"

/* 1: a valid card that counts alone, 2: valid but needs context, 0: not. */
static int
card(const char *run)
{
	char	digits[DLP_CARD_DIGITS_MAX + 1];
	size_t	n;
	bool	strong;

	if (!dlp_card_valid(run, strlen(run), digits, &n, &strong))
		return 0;
	return strong ? 1 : 2;
}

/* The cards of a run, as "digits/strength ..." (s strong, w weak). */
static void
cards_in(const char *run, char *out, size_t len)
{
	struct dlp_run	r;
	struct dlp_card	c[16];
	size_t		n, i, o = 0;

	dlp_run_split((const unsigned char *)run, strlen(run), false, -1, &r);
	n = dlp_card_find(&r, c, 16);
	out[0] = '\0';
	for (i = 0; i < n && o < len; i++) {
		if (c[i].valid)
			o += (size_t)snprintf(out + o, len - o, "%s%s/%c",
			    o ? " " : "", c[i].digits, c[i].strong ? 's' : 'w');
	}
}

static size_t
iban(const char *s)
{
	char	out[DLP_IBAN_MAX + 1];

	return dlp_iban_take(s, strlen(s), out);
}

static bool
ssn(const char *s)
{
	char	digits[10];

	return (dlp_ssn_parse(s, strlen(s), digits) == 0 &&
	    dlp_ssn_valid(digits));
}

START_TEST(luhn)
{
	ck_assert(dlp_card_luhn("4111111111111111", 16));
	ck_assert(!dlp_card_luhn("4111111111111112", 16));
	ck_assert(dlp_card_luhn("79927398713", 11));
	ck_assert(!dlp_card_luhn("", 0));
}
END_TEST

START_TEST(cards_valid)
{
	/* Printed layouts (one space or dash throughout) count alone. */
	static const char *const strong[] = {
		"4111 1111 1111 1111", "4111-1111-1111-1111",
		"5500 0000 0000 0004", "3782 822463 10005",
		"6200 0000 0000 0000 018", "6011 0000 0000 0000 001",
		/* a no-break space prints as a space */
		"4111\xc2\xa0" "1111\xc2\xa0" "1111\xc2\xa0" "1111",
		/* any layout followed by an expiry date and a code */
		"4111111111111111 12/29 123", "4111.1111.1111.1111 01/2030",
		"4111 1111 1111 1111 12/29",
	};
	/* Valid numbers that need a context word or other cards. */
	static const char *const weak[] = {
		"4111111111111111", "2223000048400011", "378282246310005",
		"6011111111111117", "3530111333300000", "30569309025904",
		"4222222222222", "4111.1111.1111.1111", "4111/1111/1111/1111",
		"4111\t1111\t1111\t1111",
		"4111  1111  1111  1111", "4111 1111-1111.1111",
		"4111 - 1111 - 1111 - 1111",
		"\xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
		    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
		    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
		    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91",
		"4000000000000000006",		/* 19-digit Visa */
	};
	size_t	i;

	for (i = 0; i < sizeof strong / sizeof strong[0]; i++)
		ck_assert_msg(card(strong[i]) == 1, "%s: %d", strong[i],
		    card(strong[i]));
	for (i = 0; i < sizeof weak / sizeof weak[0]; i++)
		ck_assert_msg(card(weak[i]) == 2, "%s: %d", weak[i],
		    card(weak[i]));
}
END_TEST

START_TEST(cards_invalid)
{
	static const char *const bad[] = {
		"4111111111111112",		/* Luhn */
		"1234567812345670",		/* Luhn ok, no issuer */
		"0000000000000000",		/* repeated digit */
		"411 11111 1111 1111",		/* odd grouping */
		"41111111111111111111",		/* 20 digits */
		"411111111111",			/* 12 digits */
		"3782822463100050",		/* amex is 15 long */
		"7111111111111114",		/* no issuer starts with 7 */
		"3843061514398340071",		/* 19 digits, no issuer at 19 */
		"4111    1111 1111 1111",	/* four spaces end a run */
	};
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(card(bad[i]) == 0, "%s", bad[i]);
}
END_TEST

/* Where in a run of digit groups a card is, and is not, read. */
START_TEST(cards_in_runs)
{
	static const struct {
		const char	*run;
		const char	*want;
	} t[] = {
		/* a longer run of the same groups is a serial, not a card */
		{ "4111-1111-1111-1111-2222-3333", "" },
		{ "10.4111.1111.1111.1111", "4111111111111111/w" },
		/* solid numbers side by side are each read */
		{ "4111111111111111 5500000000000004",
		    "4111111111111111/w 5500000000000004/w" },
		/* a different separator sets a card apart */
		{ "2024-01-15 4111 1111 1111 1111",
		    "4111111111111111/w" },
		{ "4111 1111 1111 1111 12/29 123", "4111111111111111/s" },
		{ "4111 1111 1111 1111 13/29 123", "4111111111111111/w" },
		{ "4111 1111 1111 1111 - 5500 0000 0000 0004",
		    "4111111111111111/w 5500000000000004/w" },
	};
	char	got[256];
	size_t	i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		cards_in(t[i].run, got, sizeof got);
		ck_assert_msg(strcmp(got, t[i].want) == 0,
		    "%s: want \"%s\" got \"%s\"", t[i].run, t[i].want, got);
	}
}
END_TEST

/* Letters glued to a run, and a run cut at the window's start. */
START_TEST(run_edges)
{
	struct dlp_run	r;

	dlp_run_split((const unsigned char *)"v4111111111111111", 17, false,
	    'x', &r);
	ck_assert(r.glued_before && r.glued_after);
	ck_assert_uint_eq(r.ngroups, 1);
	dlp_run_split((const unsigned char *)"x 4111 1111", 11, false, ' ',
	    &r);
	ck_assert(!r.glued_before && !r.glued_after);
	ck_assert_uint_eq(r.ngroups, 2);
	dlp_run_split((const unsigned char *)"1111 1111 1111", 14, true, -1,
	    &r);
	ck_assert(r.cut);
	ck_assert_uint_eq(r.ngroups, 2);
	/* Junk bytes after the digits: the run before them is kept. */
	dlp_run_split((const unsigned char *)"4111111111111111\x80", 17, false,
	    -1, &r);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.groups[0].ndigits, 16);
}
END_TEST

START_TEST(card_issuer_and_mask)
{
	char	out[32];

	ck_assert_str_eq(dlp_card_issuer("378282246310005", 15), "amex");
	ck_assert_str_eq(dlp_card_issuer("5500000000000004", 16), "mastercard");
	ck_assert_ptr_null(dlp_card_issuer("9111111111111111", 16));
	dlp_mask("4111111111111111", 16, 0, 4, out, sizeof out);
	ck_assert_str_eq(out, "************1111");
}
END_TEST

START_TEST(ssn_rules)
{
	char	out[32], digits[10];

	ck_assert(ssn("536-22-1234"));
	ck_assert(ssn("536 22 1234"));
	ck_assert(!ssn("536-22 1234"));
	ck_assert(!ssn("000-12-3456"));
	ck_assert(!ssn("666-12-3456"));
	ck_assert(!ssn("900-12-3456"));
	ck_assert(!ssn("536-00-1234"));
	ck_assert(!ssn("536-22-0000"));
	ck_assert(!ssn("078-05-1120"));
	ck_assert(!ssn("123-45-6789"));
	ck_assert(!ssn("53622-1234"));
	ck_assert_int_eq(dlp_ssn_parse("536-22-1234", 11, digits), 0);
	dlp_ssn_mask(digits, out, sizeof out);
	ck_assert_str_eq(out, "***-**-1234");
}
END_TEST

START_TEST(iban_valid)
{
	static const char *const ok[] = {
		"DE89 3704 0044 0532 0130 00", "DE89370400440532013000",
		"GB82 WEST 1234 5698 7654 32",
		    "FR14 2004 1010 0505 0001 3M02 606",
		"NL91ABNA0417164300", "CH93 0076 2011 6238 5295 7",
		"BE68 5390 0754 7034", "NO93 8601 1117 947",
		"IT60 X054 2811 1010 0000 0123 456",
		"de89 3704 0044 0532 0130 00", "gb82west12345698765432",
		"DE89-3704-0044-0532-0130-00",
		    "fr14-2004-1010-0505-0001-3m02-606",
	};
	size_t	i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		ck_assert_msg(iban(ok[i]) == strlen(ok[i]), "%s", ok[i]);
}
END_TEST

START_TEST(iban_invalid)
{
	static const char *const bad[] = {
		"DE89 3704 0044 0532 0130 01",	/* checksum */
		"DE89 3704 0044 0532 0130",	/* too short for DE */
		"DE89370400440532013000X",	/* runs on */
		"XX89 3704 0044 0532 0130 00",	/* no such country */
		"DE89 37040044 0532 0130 00",	/* broken grouping */
		"DE89-3704 0044-0532-0130-00",	/* mixed separators */
	};
	size_t	i;
	char	out[40];

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(iban(bad[i]) == 0, "%s", bad[i]);
	ck_assert_int_eq(dlp_iban_length("DE"), 22);
	ck_assert_int_eq(dlp_iban_length("NO"), 15);
	ck_assert_int_eq(dlp_iban_length("US"), 0);
	dlp_mask("DE89370400440532013000", 22, 2, 4, out, sizeof out);
	ck_assert_str_eq(out, "DE****************3000");
}
END_TEST

START_TEST(dict_parse)
{
	const char	 text[] = "# codenames\nseverity 3\nthreshold 2\n"
	    "keyword  internal use only  \r\nkeyword-cs ACME-X\n\n"
	    "regex PRJ-[0-9]{4}\n";
	struct dlp_dict	 d;
	char		*cause = NULL, *re;

	ck_assert_int_eq(dlp_dict_parse("codenames", text, sizeof text - 1, &d,
	    &cause), 0);
	ck_assert_int_eq(d.severity, 3);
	ck_assert_uint_eq(d.threshold, 2);
	ck_assert_uint_eq(d.nterms, 3);
	ck_assert_str_eq(d.terms[0].text, "internal use only");
	ck_assert_int_eq(d.terms[1].kind, DLP_TERM_KEYWORD_CS);
	ck_assert_int_eq(d.terms[2].kind, DLP_TERM_REGEX);
	re = dlp_dict_regex(&d.terms[1]);
	ck_assert_str_eq(re, "ACME\\x2dX");
	free(re);
	dlp_dict_clear(&d);
}
END_TEST

START_TEST(dict_errors)
{
	static const char *const bad[] = {
		"severity 5\nkeyword x\n", "threshold 0\nkeyword x\n",
		"keyword\n", "colour blue\nkeyword x\n", "# nothing\n",
		"severity 2x\nkeyword x\n",
	};
	struct dlp_dict	 d;
	char		*cause = NULL;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(dlp_dict_parse("d", bad[i], strlen(bad[i]), &d,
		    &cause), -1);
		ck_assert_ptr_nonnull(cause);
		free(cause);
		cause = NULL;
	}
	ck_assert_int_eq(dlp_dict_parse("bad/name", "keyword x", 9, &d,
	    &cause), -1);
	free(cause);
}
END_TEST

/* The man page's type table names every type, in its group's row. */
START_TEST(doc_lists_every_type)
{
	const struct filetype	*t;
	const char		*top = getenv("top_srcdir");
	char			 path[512], line[512], row[600], word[64];
	FILE			*f;
	size_t			 i, k;
	bool			 found;

	snprintf(path, sizeof path, "%s/doc/sslinspect-engines.7",
	    top != NULL ? top : "..");
	for (i = 0; (t = filetype_at(i)) != NULL; i++) {
		ck_assert_ptr_nonnull(f = fopen(path, "r"));
		found = false;
		while (fgets(line, sizeof line, f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(row, sizeof row, " %s ", line);
			for (k = 0; row[k] != '\0'; k++)
				row[k] = row[k] == '\t' ? ' ' : row[k];
			snprintf(word, sizeof word, " %s ", t->name);
			if (strncmp(line, t->group, strlen(t->group)) == 0 &&
			    line[strlen(t->group)] == '\t')
				found = found || strstr(row, word) != NULL;
		}
		fclose(f);
		ck_assert_msg(found, "%s (%s) missing from %s", t->name,
		    t->group, path);
	}
	ck_assert_uint_ge(i, 40);
}
END_TEST

static Suite *
validators_suite(void)
{
	Suite	*s = suite_create("validators");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, luhn);
	tcase_add_test(tc, cards_valid);
	tcase_add_test(tc, cards_invalid);
	tcase_add_test(tc, cards_in_runs);
	tcase_add_test(tc, run_edges);
	tcase_add_test(tc, card_issuer_and_mask);
	tcase_add_test(tc, ssn_rules);
	tcase_add_test(tc, iban_valid);
	tcase_add_test(tc, iban_invalid);
	tcase_add_test(tc, dict_parse);
	tcase_add_test(tc, dict_errors);
	tcase_add_test(tc, doc_lists_every_type);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(validators_suite)
