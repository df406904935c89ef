/*
 * International Bank Account Numbers (ISO 13616): the length each country
 * registered and the mod-97 check. Pure functions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"

/* The IBAN registry's lengths, sorted by country code for bsearch. */
static const struct dlp_iban_country {
	char		cc[3];
	unsigned char	len;
} dlp_iban_countries[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 },
	{ "BA", 20 }, { "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BI", 27 },
	{ "BR", 29 }, { "BY", 28 }, { "CH", 21 }, { "CR", 22 }, { "CY", 28 },
	{ "CZ", 24 }, { "DE", 22 }, { "DJ", 27 }, { "DK", 18 }, { "DO", 28 },
	{ "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 }, { "FK", 18 },
	{ "FO", 18 }, { "FR", 27 }, { "GB", 22 }, { "GE", 22 }, { "GI", 23 },
	{ "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HR", 21 }, { "HU", 28 },
	{ "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 },
	{ "JO", 30 }, { "KW", 30 }, { "KZ", 20 }, { "LB", 28 }, { "LC", 32 },
	{ "LI", 21 }, { "LT", 20 }, { "LU", 20 }, { "LV", 21 }, { "LY", 25 },
	{ "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 }, { "MN", 20 },
	{ "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NI", 28 }, { "NL", 18 },
	{ "NO", 15 }, { "OM", 23 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 },
	{ "PT", 25 }, { "QA", 29 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 },
	{ "SA", 24 }, { "SC", 31 }, { "SD", 18 }, { "SE", 24 }, { "SI", 19 },
	{ "SK", 24 }, { "SM", 27 }, { "SO", 23 }, { "ST", 25 }, { "SV", 28 },
	{ "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 }, { "VA", 22 },
	{ "VG", 24 }, { "XK", 20 }, { "YE", 30 },
};

static int
dlp_iban_cmp(const void *key, const void *elem)
{
	return strncmp(key, elem, 2);
}

/* The registered IBAN length for a two-letter country, or 0. */
int
dlp_iban_length(const char *country)
{
	const struct dlp_iban_country	*hit;

	hit = bsearch(country, dlp_iban_countries,
	    sizeof dlp_iban_countries / sizeof dlp_iban_countries[0],
	    sizeof dlp_iban_countries[0], dlp_iban_cmp);
	return hit == NULL ? 0 : hit->len;
}

static int
dlp_iban_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return -1;
}

static char
dlp_iban_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

/* True when the n characters (no spaces) pass the ISO 7064 mod 97-10 check. */
bool
dlp_iban_mod97(const char *iban, size_t n)
{
	unsigned	rem = 0;
	size_t		i;
	int		v;

	if (n < 5)
		return false;
	for (i = 0; i < n; i++) {
		v = dlp_iban_value(iban[(i + 4) % n]);
		if (v < 0)
			return false;
		rem = v >= 10 ? (rem * 100 + (unsigned)v) % 97 :
		    (rem * 10 + (unsigned)v) % 97;
	}
	return rem == 1;
}

/*
 * Read an IBAN starting at p (at most len bytes): country letters, check
 * digits, then as many characters as the country registered, in capitals
 * or small letters, written solid or in groups of four separated by one
 * space or one dash (the same throughout). Copies the characters, in
 * capitals, to iban (DLP_IBAN_MAX + 1 bytes) and returns how many bytes of
 * p it used, or 0 when p does not start an IBAN of the right length and
 * checksum.
 *
 * The letters after the check digits are all capitals or all small
 * letters: an IBAN is written in one case, while base64 (mail attachments,
 * images in JSON) mixes both, and its words of a country's length pass the
 * checksum one time in 97. Of those, one in ten thousand or fewer is in one
 * case (two of 18 random letters and digits: (36/62)^18).
 */
size_t
dlp_iban_take(const char *p, size_t len, char *iban)
{
	size_t	i = 0, n = 0, want;
	char	sep = 0, cc[2];
	int	cases = 0;

	if (len < 4 || dlp_iban_value(p[0]) < 10 || dlp_iban_value(p[1]) < 10 ||
	    dlp_iban_value(p[2]) < 0 || dlp_iban_value(p[2]) > 9 ||
	    dlp_iban_value(p[3]) < 0 || dlp_iban_value(p[3]) > 9)
		return 0;
	cc[0] = dlp_iban_upper(p[0]);
	cc[1] = dlp_iban_upper(p[1]);
	want = (size_t)dlp_iban_length(cc);
	if (want == 0)
		return 0;
	while (n < want && i < len) {
		if ((p[i] == ' ' || p[i] == '-') && n % 4 == 0 && n > 0 &&
		    (sep == p[i] || (sep == 0 && n == 4))) {
			sep = p[i++];
			continue;
		}
		if (dlp_iban_value(p[i]) < 0 || (sep != 0 && n % 4 == 0 &&
		    p[i - 1] != sep))
			return 0;
		if (n >= 4 && dlp_iban_value(p[i]) >= 10)
			cases |= p[i] >= 'a' ? 1 : 2;
		iban[n++] = dlp_iban_upper(p[i++]);
	}
	iban[n] = '\0';
	if (n != want || cases == 3 || (i < len && dlp_iban_value(p[i]) >= 0))
		return 0;
	return dlp_iban_mod97(iban, n) ? i : 0;
}
