/*
 * DLP through the engine API: every case is scanned whole and cut into
 * chunks of many sizes, so matches straddling chunk boundaries are tested.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlp.h"
#include "engine.h"
#include "engine_test.h"
#include "unit_test.h"

static struct engine_set	*set;
static char			 top[] = "/tmp/test_dlp.XXXXXX";
static char			 dictdir[128];

static void
write_dict(const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dictdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Once, in the parent, so a failed test leaves nothing behind. */
static void
setup_top(void)
{
	if (mkdtemp(top) == NULL)
		abort();
}

static void
teardown_top(void)
{
	char	cmd[400];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", top);
}

static void
setup(void)
{
	struct engine_config	 cfg;
	char			*cause = NULL;

	snprintf(dictdir, sizeof dictdir, "%s/d.XXXXXX", top);
	ck_assert_ptr_nonnull(mkdtemp(dictdir));
	write_dict("codenames.dict", "severity 3\nthreshold 2\n"
	    "keyword project bluebird\nkeyword-cs NIGHTJAR\n");
	write_dict("secrets.dict", "# cloud keys\nseverity 4\n"
	    "regex AKIA[0-9A-Z]{16}\nkeyword begin rsa private key\n");
	write_dict("notes.txt", "keyword ignored, not a .dict file\n");
	engine_config_defaults(&cfg);
	cfg.clamav = false;
	cfg.dictionary_dir = dictdir;
	set = engine_set_load(&cfg, &cause);
	ck_assert_msg(set != NULL, "load: %s", cause);
}

static void
teardown(void)
{
	char	path[256];

	engine_set_free(set);
	set = NULL;
	snprintf(path, sizeof path, "%s/codenames.dict", dictdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/secrets.dict", dictdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/notes.txt", dictdir);
	unlink(path);
	rmdir(dictdir);
}

static struct engine_result
scan_with(const struct engine_profile *p, const char *text, size_t step)
{
	return (engine_test_scan(set, p, ENGINE_UPLOAD, text, strlen(text),
	    step));
}

/* "type:count,type:count" of the findings, in order. */
static void
summary(const struct engine_result *r, char *out, size_t len)
{
	size_t	i, o = 0;

	out[0] = '\0';
	for (i = 0; i < r->nfindings && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s:%u",
		    i ? "," : "", r->findings[i].type, r->findings[i].count);
}

static const struct {
	const char	*text;
	const char	*want;
} cases[] = {
	/* cards */
	{ "name=Jo&card=4111111111111111&exp=12%2F29", "credit_card:1" },
	{ "{\"pan\": \"5500-0000-0000-0004\", \"cvv\": \"123\"}",
	  "credit_card:1" },
	{ "Amex 3782 822463 10005 and Visa 4012888888881881.",
	    "credit_card:2" },
	{ "--b\r\nContent-Disposition: form-data; name=\"card\"\r\n\r\n"
	    "6011 1111 1111 1117\r\n--b--\r\n", "credit_card:1" },
	/* printed as cards are, but nothing else says card: a reference */
	{ "--b\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n"
	    "6011 1111 1111 1117\r\n--b--\r\n", "" },
	{ "card 4111111111111111", "credit_card:1" },
	/* context after the number, within reach */
	{ "4111111111111111 is the visa", "credit_card:1" },
	/* a lone solid number without context: an order id as often */
	{ "4111111111111111", "" },
	{ "{\"order_id\": \"4111111111111111\"}", "" },
	/* several cards, no context: a list of cards */
	{ "4111111111111111\n5500000000000004\n6011111111111117\n",
	    "credit_card:3" },
	/* the same card twice is one card */
	{ "card 4111111111111111, again card 4111 1111 1111 1111",
	    "credit_card:1" },
	/* number shapes (issue 12) */
	{ "card: 4111.1111.1111.1111", "credit_card:1" },
	{ "card: 4111/1111/1111/1111", "credit_card:1" },
	{ "card:\t4111\t1111\t1111\t1111", "credit_card:1" },
	{ "card 4111\xc2\xa0" "1111\xc2\xa0" "1111\xc2\xa0" "1111",
	    "credit_card:1" },
	{ "card 4111  1111  1111  1111", "credit_card:1" },
	{ "card 4111 1111-1111.1111", "credit_card:1" },
	{ "cardnumber4111111111111111exp", "credit_card:1" },
	{ "visa 4000000000000000006", "credit_card:1" },
	{ "card \xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
	    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
	    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
	    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91",
	    "credit_card:1" },
	{ "4111 1111 1111 1111 12/29 123", "credit_card:1" },
	{ "4111111111111111 12/2029 123", "credit_card:1" },
	/* card look-alikes */
	{ "order 4111111111111112 ref 1234567812345670", "" },
	{ "id 41111111111111110 (17 digits, Luhn fails)", "" },
	{ "serial 4111-1111-1111-1111-2222-3333", "" },
	{ "ts 1700000000000 and 16999999999999999999", "" },
	{ "call 555-123-4567 or +1 (555) 987-6543 on 2024-01-15", "" },
	{ "IP 10.4111.1111.1111 v4111111111111111x", "" },
	{ "00000000000000000000000000000000", "" },
	/* SSN */
	{ "Employee SSN: 536-22-1234", "us_ssn:1" },
	{ "social security number 536 22 1234 on file", "us_ssn:1" },
	{ "536-22-1234 is her SSN", "us_ssn:1" },
	{ "order 536-22-1234 shipped", "" },
	{ "SSN: 666-22-1234 or 900-12-3456 or 123-45-6789", "" },
	{ "SSN 1-536-22-1234", "" },
	{ "{\"ssn_number\": \"536-22-1234\"}", "us_ssn:1" },
	{ "{\"socialSecurityNumber\": \"536-22-1234\"}", "us_ssn:1" },
	{ "{\"customerSsn\":\"536221234\"}", "us_ssn:1" },
	{ "{\"ssn\": 536221234}", "us_ssn:1" },
	{ "{\"id\": 536221234}", "" },
	/* IBAN */
	{ "Pay to IBAN DE89 3704 0044 0532 0130 00 today", "iban:1" },
	{ "iban=GB82WEST12345698765432&x=1", "iban:1" },
	{ "FR14 2004 1010 0505 0001 3M02 606, NL91ABNA0417164300", "iban:2" },
	{ "IBAN DE89 3704 0044 0532 0130 01", "" },
	{ "iban de89 3704 0044 0532 0130 00", "iban:1" },
	{ "iban: DE89-3704-0044-0532-0130-00.", "iban:1" },
	{ "gb82west12345698765432", "iban:1" },
	{ "ISO8859 ABCD1234 EFGH5678 and DE12 nothing", "" },
	/* dictionaries */
	{ "about Project Bluebird and PROJECT BLUEBIRD again",
	    "dict:codenames:2" },
	{ "about Project Bluebird once", "" },
	{ "NIGHTJAR nightjar project bluebird", "dict:codenames:2" },
	{ "key AKIAABCDEFGHIJKLMNOP here", "dict:secrets:1" },
	{ "-----BEGIN RSA PRIVATE KEY-----", "dict:secrets:1" },
	/* together */
	{ "card 4111 1111 1111 1111 ssn 536-22-1234 "
	    "iban DE89370400440532013000",
	    "credit_card:1,us_ssn:1,iban:1" },
};

START_TEST(case_any_chunking)
{
	static const size_t	 steps[] = { 1, 2, 3, 5, 7, 11, 13, 64, 4096 };
	struct engine_profile	 p;
	struct engine_result	 r;
	char			 got[256];
	size_t			 i;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		r = scan_with(&p, cases[_i].text, steps[i]);
		summary(&r, got, sizeof got);
		ck_assert_msg(strcmp(got, cases[_i].want) == 0,
		    "case %d step %zu: want \"%s\" got \"%s\" in: %s", _i,
		    steps[i], cases[_i].want, got, cases[_i].text);
		ck_assert_int_eq(r.verdict, *cases[_i].want != '\0' ?
		    ENGINE_FOUND : ENGINE_CLEAN);
	}
}
END_TEST

START_TEST(masked_samples)
{
	struct engine_profile	 p;
	struct engine_result	 r;
	size_t			 i;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	r = scan_with(&p, cases[sizeof cases / sizeof cases[0] - 1].text, 5);
	ck_assert_uint_eq(r.nfindings, 3);
	ck_assert_str_eq(r.findings[0].sample, "************1111");
	ck_assert_str_eq(r.findings[1].sample, "***-**-1234");
	ck_assert_str_eq(r.findings[2].sample, "DE****************3000");
	for (i = 0; i < r.nfindings; i++)
		ck_assert_str_eq(r.findings[i].engine, "dlp");
	ck_assert_ptr_null(strstr(r.reason, "4111 1111"));
	ck_assert_ptr_nonnull(strstr(r.reason, "1111"));
}
END_TEST

START_TEST(thresholds_and_selection)
{
	static const char *const only_secrets[] = { "secrets", NULL };
	struct engine_profile	 p;
	struct engine_result	 r;
	const char		*two = "4111111111111111 and 5500000000000004 "
	    "project bluebird project bluebird";

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	p.card_threshold = 3;
	r = scan_with(&p, two, 4);
	ck_assert_uint_eq(r.nfindings, 1);
	ck_assert_str_eq(r.findings[0].type, "dict:codenames");
	p.card_threshold = 2;
	p.dictionaries = only_secrets;
	r = scan_with(&p, two, 4);
	ck_assert_uint_eq(r.nfindings, 1);
	ck_assert_str_eq(r.findings[0].type, "credit_card");
	ck_assert_uint_eq(r.findings[0].count, 2);
	ck_assert_int_eq(r.findings[0].severity, 4);
	p.dlp = false;
	r = scan_with(&p, two, 4);
	ck_assert_int_eq(r.verdict, ENGINE_CLEAN);
}
END_TEST

START_TEST(download_default_no_dlp)
{
	struct engine_profile	p;

	engine_profile_defaults(&p, ENGINE_DOWNLOAD);
	ck_assert(!p.dlp);
	ck_assert(p.malware && p.filetype && p.archives);
	engine_profile_defaults(&p, ENGINE_UPLOAD);
	ck_assert(p.dlp);
}
END_TEST

START_TEST(bad_dictionary_fails_load)
{
	struct engine_config	 cfg;
	struct engine_set	*bad;
	char			*cause = NULL;

	write_dict("broken.dict", "regex (unclosed\n");
	engine_config_defaults(&cfg);
	cfg.clamav = false;
	cfg.dictionary_dir = dictdir;
	bad = engine_set_load(&cfg, &cause);
	ck_assert_ptr_null(bad);
	ck_assert_ptr_nonnull(strstr(cause, "broken"));
	free(cause);
	write_dict("broken.dict", "keyword fine\n");
	cause = NULL;
	bad = engine_set_load(&cfg, &cause);
	ck_assert_ptr_nonnull(bad);
	engine_set_free(bad);
	{
		char path[256];

		snprintf(path, sizeof path, "%s/broken.dict", dictdir);
		unlink(path);
	}
}
END_TEST

/* A valid IBAN for Germany from 18 digits of bank code and account. */
static void
de_iban(unsigned n, char *out)
{
	char		 bban[19], num[32];
	unsigned	 rem = 0, check;
	size_t		 i;

	snprintf(bban, sizeof bban, "37040044%010u", n);
	snprintf(num, sizeof num, "%s131400", bban);	/* D=13 E=14 00 */
	for (i = 0; num[i] != '\0'; i++)
		rem = (rem * 10 + (unsigned)(num[i] - '0')) % 97;
	check = 98 - rem;
	snprintf(out, 23, "DE%02u%s", check, bban);
}

/* A Luhn-valid Visa number from a serial. */
static void
visa(unsigned n, char *out)
{
	unsigned	sum = 0, d, i;

	snprintf(out, 17, "411111%09u0", n);
	for (i = 0; i < 15; i++) {
		d = (unsigned)(out[14 - i] - '0');
		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	out[15] = (char)('0' + (10 - sum % 10) % 10);
}

/* Many IBANs (and decoy heads) in one chunk: none is dropped. */
START_TEST(many_ibans_one_chunk)
{
	struct engine_profile	 p;
	struct engine_result	 r;
	char			 text[4000], iban[23];
	size_t			 o = 0;
	int			 i;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof text - o,
		    "AB12 CDEF decoy %d, ", i);
	for (i = 0; i < 30; i++) {
		de_iban((unsigned)i * 7919, iban);
		o += (size_t)snprintf(text + o, sizeof text - o, "%s; ", iban);
	}
	/* Repeats count once. */
	o += (size_t)snprintf(text + o, sizeof text - o, "%s; ", iban);
	r = scan_with(&p, text, sizeof text);
	ck_assert_uint_eq(r.nfindings, 1);
	ck_assert_str_eq(r.findings[0].type, "iban");
	ck_assert_uint_eq(r.findings[0].count, 30);
	r = scan_with(&p, text, 100);
	ck_assert_uint_eq(r.findings[0].count, 30);
}
END_TEST

/* A long body with cards straddling every 4064-byte c-icap piece edge. */
START_TEST(card_deep_in_large_body)
{
	struct engine_profile	 p;
	struct engine_result	 r;
	char			*big, num[17];
	size_t			 len = 3 * 1024 * 1024, at;
	unsigned		 n = 0;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	big = malloc(len + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', len);
	big[len] = '\0';
	for (at = 4064 - 14; at + 30 < len; at += 4064 * 97) {
		visa(n++, num);
		memcpy(big + at, " card ", 6);
		memcpy(big + at + 6, num, 16);
		big[at + 22] = ' ';
	}
	r = scan_with(&p, big, 4064);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_uint_eq(r.findings[0].count, n);
	free(big);
}
END_TEST

/*
 * The 16-digit identifiers of an order export: about one in ten passes
 * Luhn, some of those fall in an issuer range. Alone, in lists, in JSON:
 * none is a card without context.
 */
START_TEST(random_ids_are_not_cards)
{
	struct engine_profile	 p;
	struct engine_result	 r;
	char			 id[17], digits[20], body[128], *list;
	uint64_t		 x = 0x9e3779b97f4a7c15ULL;
	size_t			 o = 0, nd;
	unsigned		 i, k, luhn_issuer = 0;
	bool			 strong;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	list = malloc(200 * 64);
	ck_assert_ptr_nonnull(list);
	for (i = 0; i < 200; i++) {
		for (k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			id[k] = (char)('0' + x % 10);
		}
		id[16] = '\0';
		if (dlp_card_valid(id, 16, digits, &nd, &strong))
			luhn_issuer++;
		snprintf(body, sizeof body, "{\"order_id\":\"%s\",\"qty\":2}",
		    id);
		r = scan_with(&p, body, 4064);
		ck_assert_msg(r.nfindings == 0, "%s", body);
	}
	ck_assert_uint_ge(luhn_issuer, 3);
	x = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < 200; i++) {
		for (k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			id[k] = (char)('0' + x % 10);
		}
		id[16] = '\0';
		o += (size_t)sprintf(list + o, "order %u,%s,2024-01-%02u\n", i,
		    id, 1 + i % 28);
	}
	r = scan_with(&p, list, 4064);
	ck_assert_uint_eq(r.nfindings, 0);
	free(list);
}
END_TEST

/* The mod 97-10 remainder of s, letters worth 10 to 35 in either case. */
static unsigned
mod97_of(const char *s, unsigned rem)
{
	unsigned	v;

	for (; *s != '\0'; s++) {
		v = *s >= 'a' ? (unsigned)(*s - 'a' + 10) : *s >= 'A' ?
		    (unsigned)(*s - 'A' + 10) : (unsigned)(*s - '0');
		rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
	}
	return rem;
}

/*
 * Words of base64 shaped as IBANs of countries whose account part takes
 * letters, every one with a valid checksum: what a mail attachment or an
 * image in JSON holds now and then. Mixed case, none is an IBAN; the same
 * words in capitals all are, so the words themselves are not what fails.
 */
START_TEST(base64_words_are_not_ibans)
{
	static const char *const cc[] = { "GB", "FR", "LC", "MT", "NL", "QA" };
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct engine_profile	 p;
	struct engine_result	 r;
	char			 w[DLP_IBAN_MAX + 1], uw[DLP_IBAN_MAX + 1];
	char			 got[DLP_IBAN_MAX + 1], tail[8], *body, *ubody;
	uint64_t		 x = 0x2545f4914f6cdd1dULL;
	size_t			 o = 0, uo = 0, k, want, i, n = 600, mixed = 0;
	unsigned		 check, mix;
	char			 c4;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	body = malloc(n * 40);
	ubody = malloc(n * 40);
	ck_assert(body != NULL && ubody != NULL);
	for (i = 0; i < n; i++) {
		want = (size_t)dlp_iban_length(cc[i % 6]);
		mix = 0;
		for (k = 4; k < want; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w[k] = b64[x % 62];
			mix |= w[k] >= 'a' ? 1 : w[k] >= 'A' ? 2 : 0;
			uw[k] = w[k] >= 'a' ? (char)(w[k] - 32) : w[k];
		}
		w[want] = uw[want] = '\0';
		snprintf(tail, sizeof tail, "%s00", cc[i % 6]);
		check = 98 - mod97_of(tail, mod97_of(w + 4, 0));
		c4 = uw[4];
		snprintf(uw, 5, "%s%02u", cc[i % 6], check);
		uw[4] = c4;
		memcpy(w, uw, 4);
		ck_assert_msg(dlp_iban_take(uw, want, got) == want, "%s", uw);
		if (mix != 3)
			continue;
		ck_assert_msg(dlp_iban_take(w, want, got) == 0, "%s", w);
		mixed++;
		o += (size_t)sprintf(body + o, "+%s/", w);
		uo += (size_t)sprintf(ubody + uo, "+%s/", uw);
	}
	ck_assert_uint_ge(mixed, n * 9 / 10);
	r = scan_with(&p, body, 4064);
	ck_assert_uint_eq(r.nfindings, 0);
	r = scan_with(&p, ubody, 4064);
	ck_assert_uint_eq(r.nfindings, 1);
	ck_assert_str_eq(r.findings[0].type, "iban");
	ck_assert_uint_eq(r.findings[0].count, mixed);
	free(body);
	free(ubody);
}
END_TEST

/* Early certainty: the service cuts a streamed body off on it. */
START_TEST(certain_early)
{
	struct engine_profile	 p;
	struct engine_scan	*s;
	struct engine_result	 r;
	char			*cause = NULL;
	const char		*a = "name=Jo&card=4111 1111 1111 1111&", *b =
	    "note=weak 5500000000000004 here";

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	s = engine_scan_begin(set, &p, ENGINE_UPLOAD, "t", &cause);
	ck_assert_ptr_nonnull(s);
	ck_assert(!engine_scan_detected(s));
	ck_assert_int_eq(engine_scan_feed(s, b, strlen(b), &cause), 0);
	ck_assert(!engine_scan_detected(s));	/* needs context: not yet */
	ck_assert_int_eq(engine_scan_feed(s, a, strlen(a), &cause), 0);
	ck_assert(engine_scan_detected(s));
	ck_assert_int_eq(engine_scan_end(s, &r, &cause), 0);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	engine_scan_free(s);

	p.card_threshold = 2;
	s = engine_scan_begin(set, &p, ENGINE_UPLOAD, "t", &cause);
	ck_assert_int_eq(engine_scan_feed(s, a, strlen(a), &cause), 0);
	ck_assert(!engine_scan_detected(s));
	engine_scan_free(s);
}
END_TEST

static Suite *
dlp_suite(void)
{
	Suite	*s = suite_create("dlp");
	TCase	*tc = tcase_create("dlp");

	/* Whole-body scans take more than Check's 4 s on a loaded machine. */
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup_top, teardown_top);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, case_any_chunking, 0,
	    (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, masked_samples);
	tcase_add_test(tc, thresholds_and_selection);
	tcase_add_test(tc, download_default_no_dlp);
	tcase_add_test(tc, bad_dictionary_fails_load);
	tcase_add_test(tc, card_deep_in_large_body);
	tcase_add_test(tc, many_ibans_one_chunk);
	tcase_add_test(tc, base64_words_are_not_ibans);
	tcase_add_test(tc, random_ids_are_not_cards);
	tcase_add_test(tc, certain_early);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(dlp_suite)
