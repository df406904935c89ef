/*
 * Payment card numbers: layout, Luhn check digit and issuer ranges. Pure
 * functions; dlp.c hands them the maximal run of digits and separators
 * around a pattern hit.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dlp.h"

/* Issuer identification ranges on the leading digits, with the lengths each
 * network issues (bit n set = n digits). */
static const struct {
	const char	*name;
	unsigned	 lo, hi;	/* inclusive range of the prefix */
	unsigned	 width;		/* how many leading digits lo/hi cover */
	unsigned	 lengths;
} dlp_card_ranges[] = {
	{ "visa",	4, 4, 1,		1u << 13 | 1u << 16 | 1u << 19 },
	{ "mastercard",	51, 55, 2,		1u << 16 },
	{ "mastercard",	2221, 2720, 4,		1u << 16 },
	{ "amex",	34, 34, 2,		1u << 15 },
	{ "amex",	37, 37, 2,		1u << 15 },
	{ "discover",	6011, 6011, 4,		0xfu << 16 },
	{ "discover",	644, 649, 3,		0xfu << 16 },
	{ "discover",	65, 65, 2,		0xfu << 16 },
	{ "diners",	300, 305, 3,		1u << 14 | 1u << 16 },
	{ "diners",	36, 36, 2,		1u << 14 | 1u << 16 },
	{ "diners",	38, 39, 2,		1u << 14 | 1u << 16 },
	{ "jcb",	3528, 3589, 4,		0xfu << 16 },
	{ "unionpay",	62, 62, 2,		0xfu << 16 },
};

/* Group layouts printed on cards and forms when separators are used. */
static const unsigned char dlp_card_layouts[][6] = {
	{ 4, 4, 4, 4, 0 },
	{ 4, 4, 4, 4, 3, 0 },
	{ 4, 6, 5, 0 },
	{ 4, 6, 4, 0 },
};

/* True when the n digits carry a valid Luhn check digit. */
bool
dlp_card_luhn(const char *digits, size_t n)
{
	unsigned	sum = 0, d;
	size_t		i;
	bool		dbl = false;

	for (i = n; i > 0; i--) {
		d = (unsigned)(digits[i - 1] - '0');
		if (dbl) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		dbl = !dbl;
	}
	return (n > 0 && sum % 10 == 0);
}

/* The network name for a card number, or NULL when no issuer range fits. */
const char *
dlp_card_issuer(const char *digits, size_t n)
{
	unsigned	prefix;
	size_t		i, k;

	for (i = 0; i < sizeof dlp_card_ranges / sizeof dlp_card_ranges[0];
	    i++) {
		if (n > 31 || (dlp_card_ranges[i].lengths & (1u << n)) == 0)
			continue;
		prefix = 0;
		for (k = 0; k < dlp_card_ranges[i].width; k++)
			prefix = prefix * 10 + (unsigned)(digits[k] - '0');
		if (prefix >= dlp_card_ranges[i].lo &&
		    prefix <= dlp_card_ranges[i].hi)
			return (dlp_card_ranges[i].name);
	}
	return (NULL);
}

static bool
dlp_card_layout_ok(const unsigned *groups, size_t ngroups)
{
	size_t	i, k;

	for (i = 0; i < sizeof dlp_card_layouts / sizeof dlp_card_layouts[0];
	    i++) {
		for (k = 0; k < ngroups && dlp_card_layouts[i][k] != 0; k++) {
			if (dlp_card_layouts[i][k] != groups[k])
				break;
		}
		if (k == ngroups && dlp_card_layouts[i][k] == 0)
			return (true);
	}
	return (false);
}

/*
 * Parse a run of digits with optional single separators (space or dash,
 * the same one throughout) into digits[] (at least DLP_CARD_DIGITS_MAX + 1
 * bytes). Returns 0 when the run is laid out as a card number is written:
 * 13 to 16 digits in one block, or one of the usual groupings.
 */
int
dlp_card_parse(const char *run, size_t len, char *digits, size_t *ndigits)
{
	unsigned	groups[8];
	size_t		i, n = 0, ngroups = 0;
	char		sep = 0;

	memset(groups, 0, sizeof groups);
	for (i = 0; i < len; i++) {
		if (run[i] >= '0' && run[i] <= '9') {
			if (n == DLP_CARD_DIGITS_MAX)
				return (-1);
			digits[n++] = run[i];
			groups[ngroups]++;
			continue;
		}
		if ((run[i] != ' ' && run[i] != '-') ||
		    (sep != 0 && run[i] != sep) || groups[ngroups] == 0 ||
		    ngroups == 7)
			return (-1);
		sep = run[i];
		ngroups++;
	}
	if (len == 0 || groups[ngroups] == 0)
		return (-1);
	ngroups++;
	digits[n] = '\0';
	*ndigits = n;
	if (n < 13)
		return (-1);
	/* 17-19 solid digits are far more often 64-bit ids and nonces. */
	if (ngroups == 1 && n <= 16)
		return (0);
	if (dlp_card_layout_ok(groups, ngroups))
		return (0);
	return (-1);
}

/* Layout, not one repeated digit, Luhn and an issuer range: a card. */
bool
dlp_card_valid(const char *run, size_t len, char *digits, size_t *ndigits)
{
	size_t	i;

	if (dlp_card_parse(run, len, digits, ndigits) != 0)
		return (false);
	for (i = 1; i < *ndigits && digits[i] == digits[0]; i++)
		;
	if (i == *ndigits)
		return (false);
	return (dlp_card_luhn(digits, *ndigits) &&
	    dlp_card_issuer(digits, *ndigits) != NULL);
}

/*
 * The logged form of a matched number: every character but the first head
 * and the last tail ones becomes '*' (a card keeps its last four digits).
 */
void
dlp_mask(const char *src, size_t n, size_t head, size_t tail, char *out,
    size_t outlen)
{
	size_t	i;

	if (outlen == 0)
		return;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = (i < head || i + tail >= n) ? src[i] : '*';
	out[i] = '\0';
}
