/*
 * HTTP header lines as clients and servers read them, not as c-icap's
 * lookups return them: ci_http_response_get_header() and friends give the
 * first line of a name only, while a browser joins every "Content-Encoding"
 * line of a response into one list (RFC 9110 5.3), so "identity" then
 * "br" on two lines is brotli to the browser. Pure functions over the
 * header lines of one message (without its request or status line); the
 * c-icap glue hands them over.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc.h"

/* The value of line when its name is name (any case), else NULL. */
static const char *
httphdr_value(const char *line, const char *name)
{
	size_t	n = strlen(name);

	if (line == NULL || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/*
 * The value of the first line named name (any case), as proxies and
 * servers take a single-valued header: NULL when there is none.
 */
const char *
httphdr_get(const char *const *lines, size_t n, const char *name)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < n; i++)
		if ((v = httphdr_value(lines[i], name)) != NULL)
			return v;
	return NULL;
}

/* Length of v without trailing blanks. */
static size_t
trimmed(const char *v)
{
	size_t	n = strlen(v);

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
	    v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	return n;
}

/*
 * Every value of the header name, joined with ", " into out (empty values
 * skipped). Returns how many lines carry the name, or -1 when the values
 * do not fit in len bytes (out then holds what fitted).
 */
int
httphdr_join(const char *const *lines, size_t n, const char *name, char *out,
    size_t len)
{
	const char	*v;
	size_t		 i, used = 0, vl;
	int		 count = 0, fits = 1;

	if (len > 0)
		out[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((v = httphdr_value(lines[i], name)) == NULL)
			continue;
		count++;
		if ((vl = trimmed(v)) == 0)
			continue;
		if (used + (used > 0 ? 2 : 0) + vl + 1 > len) {
			fits = 0;
			continue;
		}
		if (used > 0) {
			memcpy(out + used, ", ", 2);
			used += 2;
		}
		memcpy(out + used, v, vl);
		used += vl;
		out[used] = '\0';
	}
	return fits ? count : -1;
}

/*
 * Do the lines named name disagree? True when two of them carry values
 * that differ (case and trailing blanks aside): a single-valued header
 * such as Content-Type given twice is read by one server from the first
 * line and by another from the last.
 */
bool
httphdr_conflict(const char *const *lines, size_t n, const char *name)
{
	const char	*v, *first = NULL;
	size_t		 i, fl = 0, vl;

	for (i = 0; i < n; i++) {
		if ((v = httphdr_value(lines[i], name)) == NULL)
			continue;
		vl = trimmed(v);
		if (first == NULL) {
			first = v;
			fl = vl;
		} else if (vl != fl || strncasecmp(first, v, vl) != 0)
			return true;
	}
	return false;
}

/* Is a line named name there? */
bool
httphdr_has(const char *const *lines, size_t n, const char *name)
{
	return httphdr_get(lines, n, name) != NULL;
}

/* The status code of a status line ("HTTP/1.1 206 Partial Content"), or -1. */
int
httphdr_status(const char *line)
{
	const char	*p;
	int		 code = 0, i;

	if (line == NULL || strncasecmp(line, "HTTP/", 5) != 0 ||
	    (p = strchr(line, ' ')) == NULL)
		return -1;
	while (*p == ' ')
		p++;
	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		code = code * 10 + (p[i] - '0');
	}
	return p[3] == '\0' || p[3] == ' ' ? code : -1;
}

/*
 * Is this response a part of a representation, which no engine can judge
 * whole: a 206, or anything with a Content-Range or of type
 * multipart/byteranges (a server that sends ranges with a 200 is no
 * better)?
 */
bool
httphdr_partial(const char *const *lines, size_t n, int status)
{
	char	ct[256];

	if (status == 206 || httphdr_has(lines, n, "Content-Range"))
		return true;
	if (httphdr_join(lines, n, "Content-Type", ct, sizeof ct) != 0 &&
	    strncasecmp(ct, "multipart/byteranges", 20) == 0)
		return true;
	return false;
}

struct buf {
	char	*p;
	size_t	 len, cap;
};

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	char	*np;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((np = realloc(b->p, b->cap)) == NULL)
			return -1;
		b->p = np;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/*
 * What a request says besides its body, as text for the DLP engine, in
 * the shape of a form so that the form normaliser decodes it and its
 * values view joins the fields: the path, the query's fields, each
 * header as name=value and each cookie as a field of its own, '&'
 * between them. A card number in a query, a cookie or a custom header is
 * then seen as it is in a form. url is the request line's target; lines
 * are the header lines. Returns a malloc'd string (*len bytes), or NULL
 * when out of memory.
 */
char *
httphdr_request_text(const char *url, const char *const *lines, size_t n,
    size_t *len)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*p, *v;
	size_t		 i, k;
	int		 rc = 0;

	/* The target without its scheme and host: those are the policy's. */
	p = url != NULL ? url : "";
	if ((v = strstr(p, "://")) != NULL && (v = strchr(v + 3, '/')) != NULL)
		p = v;
	for (; *p != '\0' && rc == 0; p++)
		rc = buf_add(&b, *p == '?' || *p == ';' ? "&" : p, 1);
	for (i = 0; i < n && rc == 0; i++) {
		/*
		 * Every header, those the proxy adds too: a client may send
		 * Via or X-Forwarded-For itself, and the proxy passes them on.
		 */
		if (lines[i] == NULL)
			continue;
		if ((v = httphdr_value(lines[i], "Cookie")) != NULL) {
			/* "a=1; b=2": one field each. */
			for (; *v != '\0' && rc == 0; v += k) {
				k = strcspn(v, ";");
				rc = buf_add(&b, "&", 1);
				if (rc == 0)
					rc = buf_add(&b, v, k);
				if (v[k] == ';')
					k++;
				while (v[k] == ' ')
					k++;
			}
			continue;
		}
		if ((v = strchr(lines[i], ':')) == NULL)
			continue;
		rc = buf_add(&b, "&", 1);
		if (rc == 0)
			rc = buf_add(&b, lines[i], (size_t)(v - lines[i]));
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		if (rc == 0)
			rc = buf_add(&b, "=", 1);
		if (rc == 0)
			rc = buf_add(&b, v, trimmed(v));
	}
	if (rc != 0 || b.p == NULL) {
		if (rc == 0 && (b.p = strdup("")) != NULL) {
			*len = 0;
			return b.p;
		}
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/*
 * Mask, in place, every digit of s but the last four, "%3N" escapes of
 * digits included: for the URL of a request whose line or headers the
 * DLP engine found data in, which the audit log must not keep however it
 * was spread ("c1=4111&c2=1111&...", "/4111/1111/...").
 */
void
httphdr_mask_digits(char *s)
{
	size_t	digits = 0, keep, i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '%' && s[i + 1] == '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '9') {
			digits++;
			i += 2;
		}
	}
	keep = digits > 4 ? digits - 4 : 0;
	for (i = 0; s[i] != '\0' && keep > 0; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			s[i] = '*';
			keep--;
		} else if (s[i] == '%' && s[i + 1] == '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '9') {
			s[i] = s[i + 1] = s[i + 2] = '*';
			keep--;
			i += 2;
		}
	}
}

/* A parameter of a header value (name="x" or name=x) into out, or "". */
void
httphdr_param(const char *h, size_t hl, const char *param, char *out,
    size_t outlen)
{
	size_t		 pl = strlen(param), i, n = 0;
	const char	*p;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; i + pl + 1 < hl; i++) {
		if ((i == 0 || h[i - 1] == ';' || h[i - 1] == ' ' ||
		    h[i - 1] == '\t') && strncasecmp(h + i, param, pl) == 0 &&
		    h[i + pl] == '=')
			break;
	}
	if (i + pl + 1 >= hl)
		return;
	p = h + i + pl + 1;
	if (*p == '"') {
		for (p++; p < h + hl && *p != '"' && n + 1 < outlen; p++) {
			if (*p == '\\' && p + 1 < h + hl)
				p++;
			out[n++] = *p;
		}
	} else {
		for (; p < h + hl && *p != ';' && *p != ' ' && n + 1 < outlen;
		    p++)
			out[n++] = *p;
	}
	out[n] = '\0';
}

/*
 * Whether a file name is a script host's program: Windows Script Host
 * (js, jse, vbs, vbe, wsf, wsh), cmd (bat, cmd), PowerShell (ps1, psm1),
 * mshta (hta), scriptlets (sct). Such a file runs by its name whatever its
 * first bytes, so the engines cannot go by its content type alone. Windows
 * drops trailing dots and blanks from a name; an RFC 8187 filename*
 * value ("UTF-8''a.js") ends as its name does.
 */
bool
httphdr_script_name(const char *name)
{
	static const char *const ext[] = { "bat", "cmd", "hta", "js", "jse",
	    "ps1", "psm1", "sct", "vbe", "vbs", "wsf", "wsh" };
	size_t	n = strlen(name), el, i;

	while (n > 0 && (name[n - 1] == '.' || name[n - 1] == ' '))
		n--;
	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		el = strlen(ext[i]);
		if (n > el && name[n - el - 1] == '.' &&
		    strncasecmp(name + n - el, ext[i], el) == 0)
			return true;
	}
	return false;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Whether the body is named as a script host's program by the names a
 * browser saves it under: Content-Disposition's filename or filename*
 * (disposition, or NULL), and the last segment of the URL's path (percent
 * escapes undone, as browsers do for the name).
 */
bool
httphdr_script_named(const char *path, const char *disposition)
{
	char		 name[256];
	const char	*e, *p;
	size_t		 n = 0;
	int		 hi, lo;

	if (disposition != NULL) {
		httphdr_param(disposition, strlen(disposition), "filename",
		    name, sizeof name);
		if (httphdr_script_name(name))
			return true;
		httphdr_param(disposition, strlen(disposition), "filename*",
		    name, sizeof name);
		if (httphdr_script_name(name))
			return true;
	}
	if (path == NULL)
		return false;
	e = path + strcspn(path, "?#");
	for (p = e; p > path && p[-1] != '/'; p--)
		;
	for (; p < e && n + 1 < sizeof name; p++) {
		if (*p == '%' && e - p >= 3 && (hi = hexval(p[1])) >= 0 &&
		    (lo = hexval(p[2])) >= 0) {
			name[n++] = (char)(hi << 4 | lo);
			p += 2;
		} else
			name[n++] = *p;
	}
	name[n] = '\0';
	return httphdr_script_name(name);
}
