/*
 * Category list files in the UT1 layout, read and normalised: pure
 * functions on buffers, no I/O, so that the unit tests and sslinspect-lists
 * agree on every line.
 *
 * A "domains" file holds one host name a line, which covers that name and
 * every name below it (squidGuard's reading); a "urls" file holds host/path
 * prefixes. Names are lower-cased and lose trailing dots and a leading one
 * (dstdomain's ".example.com"); IDNA is left as it is written (xn-- labels
 * or raw UTF-8 bytes alike), since the lists and the clients both carry
 * what DNS carries. Blank lines and lines starting with '#' are skipped.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "categories.h"

static int
catlist_hostchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_' || c >= 0x80;
}

/*
 * Normalise the host name in[0..len) into out: lower case, no leading or
 * trailing dot. Returns its length, or -1 with *why saying what is wrong.
 */
int
catlist_norm_host(const char *in, size_t len, char *out, size_t outlen,
    const char **why)
{
	size_t		i, o = 0, label = 0;
	unsigned char	c;

	if (len > 0 && in[0] == '.') {
		in++;
		len--;
	}
	while (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty host name";
		return -1;
	}
	if (len > CAT_MAXNAME || len >= outlen) {
		*why = "host name longer than 253 characters";
		return -1;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)tolower((unsigned char)in[i]);
		if (c == '.') {
			if (label == 0) {
				*why = "empty label (two dots in a row)";
				return -1;
			}
			label = 0;
		} else if (catlist_hostchar(c)) {
			if (++label > 63) {
				*why = "label longer than 63 characters";
				return -1;
			}
		} else {
			if (c == '/')
				*why = "a URL, not a host name (it has a '/')";
			else if (c == ':')
				*why = "a ':' in a host name (a port or IPv6 "
				    "address)";
			else if (c == '*')
				*why = "a wildcard: write the domain alone, "
				    "it covers every name below it";
			else
				*why = "a character not allowed in a host name";
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

/*
 * Normalise a urls entry or a request URL into "host/path" (or "host"):
 * scheme, port, query and fragment dropped, host as catlist_norm_host
 * without a leading "www.", all lower case, no trailing '/'. Returns the
 * length or -1 with *why.
 */
int
catlist_norm_url(const char *in, size_t len, char *out, size_t outlen,
    const char **why)
{
	const char	*h = in, *end = in + len, *hp, *p;
	size_t		 hl, pl, i;
	int		 n;

	if ((p = memchr(in, ':', len)) != NULL && end - p >= 3 &&
	    p[1] == '/' && p[2] == '/')
		h = p + 3;
	for (p = h; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	hp = p;
	if ((p = memchr(h, '@', hp - h)) != NULL)
		h = p + 1;
	for (p = h; p < hp && *p != ':'; p++)
		;
	hl = p - h;
	for (i = hl; h + i < hp; i++)
		if (i > hl && !isdigit((unsigned char)h[i])) {
			*why = "a bad port after the host name";
			return -1;
		}
	if (hl > 4 && strncasecmp(h, "www.", 4) == 0 &&
	    memchr(h + 4, '.', hl - 4) != NULL) {
		h += 4;
		hl -= 4;
	}
	if ((n = catlist_norm_host(h, hl, out, outlen, why)) < 0)
		return -1;
	for (p = hp; p < end && *p != '?' && *p != '#'; p++)
		;
	pl = p - hp;
	while (pl > 0 && hp[pl - 1] == '/')
		pl--;
	if ((size_t)n + pl >= outlen || (size_t)n + pl > CAT_MAXURL) {
		*why = "URL longer than 1024 characters";
		return -1;
	}
	for (i = 0; i < pl; i++) {
		if ((unsigned char)hp[i] <= ' ') {
			*why = "a control character or space in the URL";
			return -1;
		}
		out[n + i] = (char)tolower((unsigned char)hp[i]);
	}
	out[n + pl] = '\0';
	return n + (int)pl;
}

/* A category is a directory name: letters, digits, '_', '-' and '.'. */
bool
catlist_valid_category(const char *name)
{
	size_t	i, len = strlen(name);

	if (len == 0 || len > CAT_MAXCAT || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '-' && name[i] != '.')
			return false;
	return true;
}

/*
 * Parse one list file's contents. Every good line goes to entry_fn, every
 * bad one to error_fn with its line number. Returns the number of bad
 * lines, or -1 when entry_fn failed (out of memory).
 */
int
catlist_parse(const char *buf, size_t len, enum catlist_kind kind,
    const char *file, catlist_entry_fn entry_fn, catlist_error_fn error_fn,
    void *arg)
{
	char		 norm[CAT_MAXURL + 2];
	const char	*p = buf, *end = buf + len, *nl, *s, *e, *why;
	unsigned	 line = 0;
	int		 bad = 0, n;

	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		s = p;
		e = nl;
		p = nl + 1;
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;
		why = NULL;
		if (memchr(s, '\0', e - s) != NULL)
			why = "a NUL byte in the line";
		else if (memchr(s, ' ', e - s) != NULL ||
		    memchr(s, '\t', e - s) != NULL)
			why = "more than one word on the line";
		else if (kind == CATLIST_DOMAINS)
			n = catlist_norm_host(s, e - s, norm, sizeof norm,
			    &why);
		else
			n = catlist_norm_url(s, e - s, norm, sizeof norm, &why);
		if (why != NULL || n < 0) {
			bad++;
			if (error_fn != NULL)
				error_fn(arg, file, line, why);
			continue;
		}
		if (entry_fn(arg, norm) != 0)
			return -1;
	}
	return bad;
}

/* Is name one of the comma-separated csv's members? */
bool
catlist_csv_has(const char *csv, const char *name)
{
	size_t		 nl = strlen(name), l;
	const char	*p = csv;

	while (p != NULL && *p != '\0') {
		l = strcspn(p, ",");
		if (l == nl && strncmp(p, name, l) == 0)
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}
