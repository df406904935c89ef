/*
 * Unit tests for certificate serials (common/serial.c): the one spelling
 * as a table, checked against OpenSSL's own reading for every length and
 * leading-byte shape, the normalization of what people type, and new
 * serials. issued.tsv and revoked.tsv are matched on this string.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "serial.h"
#include "unit_test.h"

static const struct {
	const char	*bytes;		/* as in DER, with leading zeros */
	size_t		 len;
	const char	*hex;
} hex_cases[] = {
	{ "",				0, "0" },
	{ "\x00",			1, "0" },
	{ "\x00\x00",			2, "0" },
	{ "\x01",			1, "1" },
	{ "\x0f",			1, "f" },
	{ "\x10",			1, "10" },
	{ "\x00\x80",			2, "80" },
	{ "\x00\x0a\xbc",		3, "abc" },
	{ "\x7f\xff\x00",		3, "7fff00" },
	{ "\x01\x00\x00\x00",		4, "1000000" },
	{ "\x5f\x3a\x9c\x0e\x11\xd2\xb7\xa4", 8, "5f3a9c0e11d2b7a4" },
};

START_TEST(hex_table)
{
	char	buf[SERIAL_HEX_MAX + 1];

	ck_assert_int_eq(serial_hex((const unsigned char *)hex_cases[_i].bytes,
	    hex_cases[_i].len, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, hex_cases[_i].hex);
	/* exactly enough room, and one byte less */
	ck_assert_int_eq(serial_hex((const unsigned char *)hex_cases[_i].bytes,
	    hex_cases[_i].len, buf, strlen(hex_cases[_i].hex) + 1), 0);
	ck_assert_int_eq(serial_hex((const unsigned char *)hex_cases[_i].bytes,
	    hex_cases[_i].len, buf, strlen(hex_cases[_i].hex)), -1);
}
END_TEST

/* What OpenSSL makes of the bytes, brought to lowercase without zeros. */
static void
openssl_hex(const unsigned char *b, size_t len, char *out, size_t size)
{
	BIGNUM	*bn = BN_bin2bn(b, (int)len, NULL);
	char	*h = BN_bn2hex(bn), *p = h;
	size_t	 o = 0;

	while (p[0] == '0' && p[1] != '\0')
		p++;
	for (; *p != '\0' && o + 1 < size; p++)
		out[o++] = (char)tolower((unsigned char)*p);
	out[o] = '\0';
	OPENSSL_free(h);
	BN_free(bn);
}

/* Every length up to RFC 5280's 20 bytes (and past), every leading nibble. */
START_TEST(hex_matches_openssl)
{
	unsigned char	b[32];
	char		got[SERIAL_HEX_MAX + 1], want[SERIAL_HEX_MAX + 1];
	size_t		len, lead;
	int		round;

	for (len = 1; len <= sizeof b; len++) {
		for (lead = 0; lead < 3; lead++) {
			for (round = 0; round < 16; round++) {
				ck_assert_int_eq(RAND_bytes(b, (int)len), 1);
				memset(b, 0, lead < len ? lead : len);
				if (lead < len)
					b[lead] = (unsigned char)(round * 0x11);
				ck_assert_int_eq(serial_hex(b, len, got,
				    sizeof got), 0);
				openssl_hex(b, len, want, sizeof want);
				ck_assert_str_eq(got, want);
			}
		}
	}
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;		/* NULL: refused */
} norm_cases[] = {
	{ "abcd",		"abcd" },
	{ "ABCD",		"abcd" },
	{ "0x00AB:cd",		"abcd" },
	{ "0X0ab",		"ab" },
	{ "00:0a:bc",		"abc" },
	{ "000",		"0" },
	{ "0",			"0" },
	{ "0x0",		"0" },
	{ "5f3a9c0e11d2b7a4",	"5f3a9c0e11d2b7a4" },
	{ "",			NULL },
	{ "0x",			NULL },
	{ ":",			NULL },
	{ "12g",		NULL },
	{ "-1",			NULL },
	{ " 1",			NULL },
	{ "1 ",			NULL },
};

START_TEST(norm_table)
{
	char	buf[SERIAL_HEX_MAX + 1];
	int	rv = serial_norm(norm_cases[_i].in, buf, sizeof buf);

	if (norm_cases[_i].out == NULL) {
		ck_assert_msg(rv == -1, "\"%s\" taken", norm_cases[_i].in);
		return;
	}
	ck_assert_msg(rv == 0, "\"%s\" refused", norm_cases[_i].in);
	ck_assert_str_eq(buf, norm_cases[_i].out);
}
END_TEST

/* serial_norm of serial_hex is the same string: one spelling. */
START_TEST(norm_of_hex_is_hex)
{
	unsigned char	b[20];
	char		hex[SERIAL_HEX_MAX + 1], norm[SERIAL_HEX_MAX + 1];
	int		i;

	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(RAND_bytes(b, sizeof b), 1);
		b[0] &= (unsigned char)(0xff >> (i % 9));
		ck_assert_int_eq(serial_hex(b, sizeof b, hex, sizeof hex), 0);
		ck_assert_int_eq(serial_norm(hex, norm, sizeof norm), 0);
		ck_assert_str_eq(hex, norm);
	}
	ck_assert_int_eq(serial_norm("abcdef", hex, 4), -1);
	ck_assert_int_eq(serial_norm("abc", hex, 4), 0);
}
END_TEST

START_TEST(new_serials)
{
	unsigned char	a[SERIAL_BYTES], b[SERIAL_BYTES];
	char		hex[SERIAL_HEX_MAX + 1];
	int		i;

	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(serial_new(a, sizeof a), 0);
		/* positive, and never a leading zero digit */
		ck_assert_uint_ge(a[0], 0x40);
		ck_assert_uint_le(a[0], 0x7f);
		ck_assert_int_eq(serial_hex(a, sizeof a, hex, sizeof hex), 0);
		ck_assert_uint_eq(strlen(hex), 2 * SERIAL_BYTES);
	}
	ck_assert_int_eq(serial_new(b, sizeof b), 0);
	ck_assert_int_ne(memcmp(a, b, sizeof a), 0);
	ck_assert_int_eq(serial_new(a, 0), -1);
}
END_TEST

static Suite *
serial_suite(void)
{
	Suite	*s = suite_create("serial");
	TCase	*tc = tcase_create("serial");

	tcase_add_loop_test(tc, hex_table, 0,
	    (int)(sizeof hex_cases / sizeof hex_cases[0]));
	tcase_add_test(tc, hex_matches_openssl);
	tcase_add_loop_test(tc, norm_table, 0,
	    (int)(sizeof norm_cases / sizeof norm_cases[0]));
	tcase_add_test(tc, norm_of_hex_is_hex);
	tcase_add_test(tc, new_serials);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(serial_suite)
