/*
 * dlp_widening: what each widening of the DLP number shapes costs on text
 * nobody here wrote. For every directory given (default: the benign
 * corpus, the licences and the documentation Debian ships; *.gz read
 * gunzipped), it finds the runs of digits and separators the DLP pattern
 * finds, and counts the valid card numbers in them (Luhn, issuer range,
 * layout) by shape: how many there are (what counting the shape alone
 * would flag) and how many have a card context word within 100 bytes
 * (what the engine counts for a shape that needs context). Likewise the
 * IBANs in small letters or with dashes, and the SSN keys of JSON.
 *
 *	dlp_widening [DIR...]
 *
 * The engine's own verdict on the same files is test_corpus's benign
 * test; this tool says why it is clean, shape by shape.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dlp.h"

#define FILE_MAX	(64 * 1024 * 1024)
#define NEAR		100

enum shape {
	S_PRINTED,	/* 4-4-4-4 with one space or dash: counts alone */
	S_EXPIRY,	/* followed by an expiry date: counts alone */
	S_SOLID,	/* 13-16 digits in one block */
	S_SOLID_LONG,	/* 17-19 digits in one block */
	S_DOTS, S_SLASHES, S_TABS, S_NBSP, S_DOUBLE, S_MIXED, S_GLUED,
	S_FULLWIDTH,
	S_N
};
static const char *const shape_names[] = {
	"printed (space/dash groups)", "followed by expiry", "solid 13-16",
	"solid 17-19", "dots", "slashes", "tabs", "no-break spaces",
	"double separators", "mixed separators", "glued to letters",
	"full-width digits",
};
static unsigned long	found[S_N], with_context[S_N];
static unsigned long	iban_old, iban_lower, iban_dash, ssn_keyed;
static unsigned long	files, bytes;

static const char *const context[] = {
	"card", "visa", "amex", "american express", "discover", "diners",
	"jcb", "unionpay", "maestro", "cvv", "cvc", "expir", "exp ", "exp:",
	"exp/", "exp=", "exp_", "exp-", "exp.", "valid thru", "ccn", "cc#",
	"cc #", "ccno", "cc no", "cc_no", "cc-no", "ccnum", "cc num", "cc_num",
	"cc-num", "payment", "\"pan\"", "'pan'", "pan=", "pan:", "karte",
	"carte", "tarjeta",
};

static int
run_byte(unsigned char c)
{
	return ((c >= '0' && c <= '9') || c == ' ' || c == '\t' || c == '.' ||
	    c == '/' || c == '-' || c == 0x80 || c == 0x87 || c == 0x89 ||
	    (c >= 0x8d && c <= 0x99) || c == 0xa0 || c == 0xaf || c == 0xbc ||
	    c == 0xc2 || c == 0xe2 || c == 0xe3 || c == 0xef);
}

static int
near_context(const char *p, size_t len, size_t from, size_t to)
{
	size_t	a = from > NEAR ? from - NEAR : 0, b = to + NEAR, i, k, n;

	if (b > len)
		b = len;
	for (i = a; i < b; i++) {
		for (k = 0; k < sizeof context / sizeof context[0]; k++) {
			n = strlen(context[k]);
			if (i + n <= b && strncasecmp(p + i, context[k],
			    n) == 0)
				return 1;
		}
	}
	return 0;
}

static enum shape
classify(const struct dlp_run *r, const struct dlp_card *c, bool full)
{
	size_t	k;
	char	sep = 0;
	bool	mixed = false, dbl = false;

	if (c->strong)
		return c->last + 1 < r->ngroups ? S_EXPIRY : S_PRINTED;
	if (full)
		return S_FULLWIDTH;
	if (r->glued_before || r->glued_after)
		return S_GLUED;
	if (c->first == c->last)
		return c->ndigits > 16 ? S_SOLID_LONG : S_SOLID;
	for (k = c->first + 1; k <= c->last; k++) {
		if (r->groups[k].seplen > 1)
			dbl = true;
		if (r->groups[k].sep == 'm' || (sep != 0 &&
		    r->groups[k].sep != sep))
			mixed = true;
		sep = r->groups[k].sep;
	}
	if (mixed)
		return S_MIXED;
	if (dbl)
		return S_DOUBLE;
	switch (sep) {
	case '.':
		return S_DOTS;
	case '/':
		return S_SLASHES;
	case '\t':
		return S_TABS;
	case 'n':
		return S_NBSP;
	default:
		return S_MIXED;
	}
}

static void
cards(const char *p, size_t len)
{
	struct dlp_run	r;
	struct dlp_card	c[16];
	size_t		i = 0, s, e, n, k;
	bool		full;

	while (i < len) {
		if (!(p[i] >= '0' && p[i] <= '9') &&
		    (unsigned char)p[i] != 0xef) {
			i++;
			continue;
		}
		for (e = i; e < len && run_byte((unsigned char)p[e]); e++)
			;
		if (e - i < 11) {
			i = e + 1;
			continue;
		}
		s = i > 0 ? i - 1 : 0;
		if (e - s > 256)
			s = e - 256;
		dlp_run_split((const unsigned char *)p + s, e - s, s > 0 &&
		    run_byte((unsigned char)p[s - 1]), e < len ?
		    (unsigned char)p[e] : -1, &r);
		full = memmem(p + i, e - i, "\xef\xbc", 2) != NULL;
		n = dlp_card_find(&r, c, 16);
		for (k = 0; k < n; k++) {
			enum shape	sh;

			if (!c[k].valid)
				continue;
			sh = classify(&r, &c[k], full);
			found[sh]++;
			if (near_context(p, len, s + r.groups[c[k].first].off,
			    s + r.groups[c[k].last].end))
				with_context[sh]++;
		}
		i = e + 1;
	}
}

static bool
alnum(int c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'));
}

static void
ibans(const char *p, size_t len)
{
	char	iban[DLP_IBAN_MAX + 1];
	size_t	i, n, k;
	bool	lower, dash;

	for (i = 0; i + 8 < len; i++) {
		if ((i > 0 && alnum((unsigned char)p[i - 1])) ||
		    !((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') ||
		    !((p[i + 1] | 0x20) >= 'a' && (p[i + 1] | 0x20) <= 'z') ||
		    !(p[i + 2] >= '0' && p[i + 2] <= '9'))
			continue;
		if ((n = dlp_iban_take(p + i, len - i < 50 ? len - i : 50,
		    iban)) == 0)
			continue;
		lower = dash = false;
		for (k = 0; k < n; k++) {
			lower = lower || (p[i + k] >= 'a' && p[i + k] <= 'z');
			dash = dash || p[i + k] == '-';
		}
		if (lower)
			iban_lower++;
		else if (dash)
			iban_dash++;
		else
			iban_old++;
		i += n;
	}
}

/* SSN-shaped numbers right after the JSON keys the widening added. */
static void
ssns(const char *p, size_t len)
{
	static const char *const keys[] = { "ssn_", "ssnnumber",
	    "socialsecurity", "customerssn" };
	size_t	i, k, j, d;

	for (i = 0; i < len; i++) {
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			if (strncasecmp(p + i, keys[k], strlen(keys[k])) != 0)
				continue;
			for (j = i; j < len && j < i + 40 && !(p[j] >= '0' &&
			    p[j] <= '9'); j++)
				;
			for (d = 0; j + d < len && ((p[j + d] >= '0' &&
			    p[j + d] <= '9') || p[j + d] == '-'); d++)
				;
			if (d == 9 || d == 11)
				ssn_keyed++;
		}
	}
}

static void
one(const char *path)
{
	gzFile	 f;
	char	*buf;
	int	 n;

	if ((f = gzopen(path, "rb")) == NULL)
		return;
	buf = malloc(FILE_MAX);
	n = gzread(f, buf, FILE_MAX);
	gzclose(f);
	if (n > 0 && n < FILE_MAX) {
		files++;
		bytes += (unsigned long)n;
		cards(buf, (size_t)n);
		ibans(buf, (size_t)n);
		ssns(buf, (size_t)n);
	}
	free(buf);
}

static void
tree(const char *dir, unsigned depth)
{
	struct dirent	**names;
	char		  path[4096];
	struct stat	  st;
	int		  n, i;

	if (depth > 6 || (n = scandir(dir, &names, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir,
			    names[i]->d_name);
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
				tree(path, depth + 1);
			else if (S_ISREG(st.st_mode))
				one(path);
		}
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	static const char *const dflt[] = { "../tests/corpus/benign",
	    "/usr/share/common-licenses", "/usr/share/doc", NULL };
	size_t	i;
	int	k;

	if (argc > 1)
		for (k = 1; k < argc; k++)
			tree(argv[k], 0);
	else
		for (i = 0; dflt[i] != NULL; i++)
			tree(dflt[i], 0);
	printf("%lu files, %lu bytes (gunzipped)\n", files, bytes);
	printf("%-30s %10s %14s\n", "valid card numbers shaped", "found",
	    "with context");
	for (i = 0; i < S_N; i++)
		printf("%-30s %10lu %14lu\n", shape_names[i], found[i],
		    with_context[i]);
	printf("IBANs: capitals %lu, small letters %lu, dashes %lu\n",
	    iban_old, iban_lower, iban_dash);
	printf("SSN-shaped numbers under the new JSON keys: %lu\n", ssn_keyed);
	return 0;
}
