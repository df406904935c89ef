/*
 * Payment card numbers: the runs of digits and separators a pattern hit
 * points at, split into digit groups; the card layouts found in them, the
 * Luhn check digit and issuer ranges. Pure functions; dlp.c hands them the
 * bytes before a hit and decides what a candidate needs to count.
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
	/* how many leading digits lo/hi cover */
	unsigned	 width;
	unsigned	 lengths;
} dlp_card_ranges[] = {
	{ "visa",	4, 4, 1, 1u << 13 | 1u << 16 | 1u << 19 },
	{ "mastercard",	51, 55, 2, 1u << 16 },
	{ "mastercard",	2221, 2720, 4, 1u << 16 },
	{ "amex",	34, 34, 2, 1u << 15 },
	{ "amex",	37, 37, 2, 1u << 15 },
	{ "discover",	6011, 6011, 4, 0xfu << 16 },
	{ "discover",	644, 649, 3, 0xfu << 16 },
	{ "discover",	65, 65, 2, 0xfu << 16 },
	{ "diners",	300, 305, 3, 1u << 14 | 1u << 16 },
	{ "diners",	36, 36, 2, 1u << 14 | 1u << 16 },
	{ "diners",	38, 39, 2, 1u << 14 | 1u << 16 },
	{ "jcb",	3528, 3589, 4, 0xfu << 16 },
	{ "unionpay",	62, 62, 2, 0xfu << 16 },
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
	return n > 0 && sum % 10 == 0;
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
			return dlp_card_ranges[i].name;
	}
	return NULL;
}

static bool
dlp_isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * One character of a run at p (n bytes left): a digit (*digit set,
 * full-width digits U+FF10..FF19 too), a separator (*sep set: space, tab,
 * '.', '/', '-', their full-width forms, and no-break, figure, thin and
 * ideographic spaces as 'n'), or neither. Returns its length in bytes, 0
 * for neither.
 */
static size_t
dlp_run_char(const unsigned char *p, size_t n, char *digit, char *sep)
{
	*digit = *sep = 0;
	if (p[0] >= '0' && p[0] <= '9') {
		*digit = (char)p[0];
		return 1;
	}
	if (p[0] == ' ' || p[0] == '\t' || p[0] == '.' || p[0] == '/' ||
	    p[0] == '-') {
		*sep = (char)p[0];
		return 1;
	}
	if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0) {
		*sep = 'n';
		return 2;
	}
	if (n < 3)
		return 0;
	if (p[0] == 0xef && p[1] == 0xbc) {
		if (p[2] >= 0x90 && p[2] <= 0x99) {
			*digit = (char)('0' + p[2] - 0x90);
			return 3;
		}
		if (p[2] >= 0x8d && p[2] <= 0x8f) {
			*sep = "-./"[p[2] - 0x8d];
			return 3;
		}
		return 0;
	}
	if ((p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x87 || p[2] == 0x89 ||
	    p[2] == 0xaf)) || (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)) {
		*sep = 'n';
		return 3;
	}
	return 0;
}

/*
 * Split the last run of digits and separators in w (n bytes) into groups
 * of digits. Up to three separators may stand between two groups; more,
 * or any other character, end a run. cut says that w starts inside the
 * body, so a run touching w's start may have begun before it: its first
 * group is dropped and nothing is known of what stood left of it. after
 * is the byte after w (-1: the end of the body).
 */
void
dlp_run_split(const unsigned char *w, size_t n, bool cut, int after,
    struct dlp_run *r)
{
	struct dlp_group	*g = NULL;
	size_t			 i = 0, k, nseps = 0;
	char			 digit, sep, kind = 0;
	int			 before = -1, next = after;
	bool			 in_run = false, from_start = cut, full = false;

	r->ndigits = r->ngroups = 0;
	r->cut = r->glued_before = r->glued_after = false;
	while (i < n) {
		k = dlp_run_char(w + i, n - i, &digit, &sep);
		if (k == 0 || (digit == 0 && !in_run)) {
			if (in_run)
				next = nseps == 0 ? w[i] : ' ';
			before = k == 0 ? w[i] : ' ';
			from_start = from_start && k != 0;
			in_run = false;
			i += k == 0 ? 1 : k;
			continue;
		}
		if (digit == 0) {
			g = NULL;
			kind = nseps == 0 ? sep : (sep == kind ? kind : 'm');
			if (++nseps > 3) {
				next = ' ';
				in_run = false;
				before = ' ';
				from_start = false;
			}
			i += k;
			continue;
		}
		if (!in_run) {
			in_run = true;
			r->ngroups = r->ndigits = 0;
			r->cut = from_start;
			r->glued_before = before >= 0 && dlp_isalpha(before);
			next = after;
			nseps = 0;
			g = NULL;
		}
		if (g == NULL) {
			if (r->ngroups == DLP_RUN_GROUPS) {
				full = true;	/* cut short: not alone */
				break;
			}
			g = &r->groups[r->ngroups++];
			g->ndigits = 0;
			g->dstart = (unsigned short)r->ndigits;
			g->off = (unsigned short)i;
			g->sep = nseps == 0 ? 0 : kind;
			g->seplen = (unsigned char)nseps;
			nseps = 0;
		}
		if (r->ndigits < sizeof r->digits) {
			r->digits[r->ndigits++] = digit;
			g->ndigits++;
		}
		i += k;
		/* The common case: more ASCII digits. */
		while (i < n && w[i] >= '0' && w[i] <= '9' &&
		    r->ndigits < sizeof r->digits) {
			r->digits[r->ndigits++] = (char)w[i++];
			g->ndigits++;
		}
		g->end = (unsigned short)i;
	}
	if (in_run)
		next = nseps > 0 ? ' ' : after;
	r->glued_after = full || (next >= 0 && dlp_isalpha(next));
	if (r->cut && r->ngroups > 0) {
		memmove(r->groups, r->groups + 1,
		    (r->ngroups - 1) * sizeof r->groups[0]);
		r->ngroups--;
		r->glued_before = false;
	}
}

static unsigned
dlp_group_value(const struct dlp_run *r, size_t g)
{
	unsigned	v = 0;
	size_t		k;

	for (k = 0; k < r->groups[g].ndigits; k++)
		v = v * 10 + (unsigned)(r->digits[r->groups[g].dstart + k] -
		    '0');
	return v;
}

/*
 * Do groups from..end-1 of r read as an expiry date, optionally followed
 * by a card verification code: MM/YY or MM/YYYY ('/', '-' or '.'), then
 * 3 or 4 digits? Nothing may follow.
 */
static bool
dlp_card_expiry(const struct dlp_run *r, size_t from)
{
	const struct dlp_group	*g = r->groups;
	unsigned		 mm;

	if (from + 2 > r->ngroups || g[from].ndigits != 2 ||
	    (g[from + 1].ndigits != 2 && g[from + 1].ndigits != 4) ||
	    g[from + 1].seplen != 1 || (g[from + 1].sep != '/' &&
	    g[from + 1].sep != '-' && g[from + 1].sep != '.'))
		return false;
	mm = dlp_group_value(r, from);
	if (mm < 1 || mm > 12)
		return false;
	if (from + 2 == r->ngroups)
		return true;
	return (from + 3 == r->ngroups && (g[from + 2].ndigits == 3 ||
	    g[from + 2].ndigits == 4));
}

static bool
dlp_card_layout_ok(const struct dlp_run *r, size_t i, size_t j)
{
	size_t	l, k;

	for (l = 0; l < sizeof dlp_card_layouts / sizeof dlp_card_layouts[0];
	    l++) {
		for (k = 0; i + k <= j && dlp_card_layouts[l][k] != 0; k++) {
			if (dlp_card_layouts[l][k] != r->groups[i + k].ndigits)
				break;
		}
		if (i + k == j + 1 && dlp_card_layouts[l][k] == 0)
			return true;
	}
	return false;
}

/* Do two group separators look alike (same characters, same count)? */
static bool
dlp_sep_same(const struct dlp_group *a, const struct dlp_group *b)
{
	return a->sep == b->sep && a->seplen == b->seplen;
}

/*
 * Does group next continue the card's edge group edge, as in a longer
 * serial (4111-1111-1111-1111-2222): joined the way the card's groups are
 * joined, and of the edge group's size?
 */
static bool
dlp_run_continues(const struct dlp_run *r, size_t edge, size_t next)
{
	const struct dlp_group	*g = r->groups;
	const struct dlp_group	*join = &g[next > edge ? next : edge];
	const struct dlp_group	*inner = &g[next > edge ? edge : edge + 1];

	return (dlp_sep_same(join, inner) &&
	    g[next].ndigits == g[edge].ndigits);
}

/* Layout, not one repeated digit, Luhn and an issuer range. */
static bool
dlp_card_checks(const char *digits, size_t n)
{
	size_t	i;

	for (i = 1; i < n && digits[i] == digits[0]; i++)
		;
	return (i < n && dlp_card_luhn(digits, n) &&
	    dlp_card_issuer(digits, n) != NULL);
}

/*
 * The card numbers of a run: groups i..j form a candidate when they hold
 * 13 to 19 digits as one solid group or in a card layout, the layout
 * stands apart from the groups around it (a different separator or group
 * size, or an expiry date after it), and its leading digits fall in an
 * issuer range at its length. Fills out (at most max) and returns how
 * many. A candidate is "valid" when it passes the Luhn check and is not
 * one digit repeated; "strong" when it is written as cards are printed
 * (groups with one space, dash or no-break space throughout, alone in its
 * run) or followed by an expiry date; "expiry" in the latter case, which
 * is evidence enough that it is a card.
 */
size_t
dlp_card_find(const struct dlp_run *r, struct dlp_card *out, size_t max)
{
	const struct dlp_group	*g = r->groups;
	struct dlp_card		*c;
	size_t			 i, j, k, n, found = 0;
	bool			 expiry, plain, solid;

	for (i = 0; i < r->ngroups && found < max; i++) {
		for (j = i, n = 0; j < r->ngroups; j++) {
			n += g[j].ndigits;
			if (n > DLP_CARD_DIGITS_MAX || (j > i &&
			    g[j].seplen > 3))
				break;
			if (n < 13)
				continue;
			solid = (i == j);
			if (!solid && !dlp_card_layout_ok(r, i, j))
				continue;
			expiry = dlp_card_expiry(r, j + 1);
			if (!solid && (i > 0 ? dlp_run_continues(r, i, i - 1) :
			    r->cut))
				continue;
			if (!solid && j + 1 < r->ngroups && !expiry &&
			    dlp_run_continues(r, j, j + 1))
				continue;
			if (dlp_card_issuer(r->digits + g[i].dstart, n) == NULL)
				continue;
			c = &out[found++];
			memcpy(c->digits, r->digits + g[i].dstart, n);
			c->digits[n] = '\0';
			c->ndigits = n;
			c->first = i;
			c->last = j;
			c->valid = dlp_card_checks(c->digits, n);
			plain = !solid;
			for (k = i + 1; k <= j; k++) {
				if (g[k].seplen != 1 || (g[k].sep != ' ' &&
				    g[k].sep != '-' && g[k].sep != 'n') ||
				    g[k].sep != g[i + 1].sep)
					plain = false;
			}
			c->expiry = expiry;
			c->strong = expiry || (plain && i == 0 && !r->cut &&
			    !r->glued_before && j + 1 == r->ngroups &&
			    !r->glued_after);
			if (found == max)
				break;
		}
	}
	return found;
}

/*
 * A whole run (len bytes) read as one card number: true when it is valid;
 * *strong says whether it counts without context. For tests and tools.
 */
bool
dlp_card_valid(const char *run, size_t len, char *digits, size_t *ndigits,
    bool *strong)
{
	struct dlp_run	r;
	struct dlp_card	c[8];
	size_t		n, i;

	dlp_run_split((const unsigned char *)run, len, false, -1, &r);
	n = dlp_card_find(&r, c, 8);
	for (i = 0; i < n; i++) {
		if (c[i].valid && c[i].first == 0 &&
		    (c[i].last + 1 == r.ngroups ||
		    dlp_card_expiry(&r, c[i].last + 1))) {
			memcpy(digits, c[i].digits, c[i].ndigits + 1);
			*ndigits = c[i].ndigits;
			if (strong != NULL)
				*strong = c[i].strong;
			return true;
		}
	}
	return false;
}

/*
 * US Social Security numbers in a run: groups of 3, 2 and 4 digits with
 * one space or one dash between them (the same), not continued by more
 * groups joined the same way. Fills out with the 9 digits and the index
 * of the last group of each; returns how many (at most max).
 */
size_t
dlp_run_ssns(const struct dlp_run *r, struct dlp_ssn_hit *out, size_t max)
{
	const struct dlp_group	*g = r->groups;
	size_t			 k, found = 0;

	for (k = 0; k + 2 < r->ngroups && found < max; k++) {
		if (g[k].ndigits != 3 || g[k + 1].ndigits != 2 ||
		    g[k + 2].ndigits != 4 || g[k + 1].seplen != 1 ||
		    (g[k + 1].sep != '-' && g[k + 1].sep != ' ') ||
		    !dlp_sep_same(&g[k + 1], &g[k + 2]))
			continue;
		if (k == 0 ? (r->glued_before || r->cut) : (g[k].seplen == 1 &&
		    (g[k].sep == '-' || g[k].sep == ' ' || g[k].sep == '.')))
			continue;
		if (k + 3 < r->ngroups && dlp_sep_same(&g[k + 3], &g[k + 1]))
			continue;
		memcpy(out[found].digits, r->digits + g[k].dstart, 9);
		out[found].digits[9] = '\0';
		out[found].last = k + 2;
		found++;
	}
	return found;
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
