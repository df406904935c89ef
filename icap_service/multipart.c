/*
 * multipart/form-data (RFC 7578) and other multipart bodies, streaming:
 * each part's headers are parsed (name, filename, Content-Type,
 * Content-Transfer-Encoding) and its content is handed to the callbacks as
 * it arrives, so every field and file is inspected on its own.
 *
 * The parser is written to see at least what any server sees, and to
 * stop where servers disagree:
 *
 * - A part labelled base64 or quoted-printable is handed over twice: as
 *   decoded content (mail-like servers decode it) and, through the raw
 *   callback, as sent (most servers ignore the label and store the
 *   bytes as they are).
 * - A part that is itself multipart (RFC 2388 file sets, mail-like
 *   uploads) is parsed by a child parser, up to max_nesting levels, and
 *   its content also goes to the raw callback whole, as a server that
 *   does not parse the nesting stores it. The parts limit counts the
 *   parts of all levels together.
 * - Bytes before the first delimiter and after the last (preamble,
 *   epilogue) are handed over as a part of their own ("loose"), at every
 *   level: PHP, for one, goes on parsing parts after the closing
 *   delimiter, and an application that does not parse the nesting sees
 *   them in the field's value.
 * - Every part's header block goes to the head callback (file names,
 *   unfolded lines, RFC 2047 words decoded), for the DLP engine.
 * - Framing that servers read differently is MP_AMBIGUOUS: a delimiter
 *   after a bare LF in a body framed with CRLF (PHP splits there, Go and
 *   busboy do not), a delimiter line ending in a bare LF there, a part
 *   whose content starts with the delimiter itself (Go ends the part
 *   there, PHP does not), two different Content-Transfer-Encoding or
 *   Content-Type headers in one part, base64 with characters outside its
 *   alphabet (Node reads '-' and '_' as the URL-safe alphabet, Python
 *   skips them).
 *
 * A body whose first delimiter line ends with a bare LF is framed with LF
 * throughout, as Go and PHP accept it. Header lines end with LF or CRLF;
 * the block ends at the first empty line.
 *
 * Memory is one buffer of max_header + boundary bytes per open level;
 * nothing else grows with the body.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc.h"

#define MP_MAXBOUNDARY	70	/* RFC 2046 */

enum mp_state { S_PREAMBLE, S_AFTER, S_HEADERS, S_BODY, S_END };
enum mp_framing { F_UNKNOWN, F_CRLF, F_LF };

struct multipart {
	enum mp_state	 state;
	enum mp_framing	 framing;
	char		 dash[MP_MAXBOUNDARY + 4];	/* "\n--" boundary */
	size_t		 dlen;
	unsigned char	*buf;
	size_t		 used, cap;
	const struct svc_limits *limits;
	const struct mp_callbacks *cb;
	void		*arg;
	unsigned	 parts;
	unsigned	*nparts;	/* the top level's count */
	unsigned	 depth;		/* 0 at the top level */
	int		 started;	/* a delimiter was seen */
	int		 body_start;	/* no content of the open part yet */
	enum mp_status	 status;
	char		 why[128];	/* why status is not MP_OK */

	struct mp_part	 part;		/* the container, for names */
	void		*handle;	/* the open part's, or NULL */
	struct multipart *child;	/* the open part is multipart */
	void		*loose;		/* the open preamble/epilogue part */

	int		 cte;
	uint32_t	 b64bits;	/* base64: pending sextets */
	unsigned	 b64n;
	char		 qp[3];		/* quoted-printable: pending "=X" */
	unsigned	 qpn;
};

/* ---- Content-Type parameters ------------------------------------------ */

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* RFC 9110 tchar. */
static int
is_tchar(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * The boundary as PHP finds it (main/rfc1867.c): the first "boundary"
 * in the value (case-sensitive, else in any case), whatever it is part
 * of, then up to its '=', then a quoted string up to the next quote or
 * anything up to ',' or ';'. 0, or -1 when PHP finds none.
 */
static int
php_boundary(const char *ct, const char **v, size_t *vlen)
{
	const char	*p, *e;

	if ((p = strstr(ct, "boundary")) == NULL &&
	    (p = strcasestr(ct, "boundary")) == NULL)
		return -1;
	if ((p = strchr(p, '=')) == NULL)
		return -1;
	p++;
	if (*p == '"') {
		if ((e = strchr(++p, '"')) == NULL)
			return -1;
	} else if ((e = strpbrk(p, ",;")) == NULL)
		e = p + strlen(p);
	*v = p;
	*vlen = (size_t)(e - p);
	return 0;
}

/*
 * Copy the boundary parameter of a multipart Content-Type into out.
 * Returns 0; -1 when there is none or it is invalid (empty, too long,
 * a quoted string not closed); -2 when servers would read it differently:
 * two boundary parameters with different values (Java's and Python's
 * parsers take the last, Go refuses the header), a boundary PHP finds
 * elsewhere (it looks for the word "boundary", not for the parameter, so
 * "x=\"boundary=B\"; boundary=A" is B to PHP), a quoted boundary with
 * a backslash (PHP stops at the first quote), blanks or ',' around an
 * unquoted one (PHP reads up to ';' or ',', others up to a blank), or
 * one that ends in a blank (RFC 2046 forbids it, PHP keeps it).
 */
int
multipart_boundary(const char *ct, char *out, size_t outlen)
{
	const char	*p, *name, *v, *pv;
	char		 val[MP_MAXBOUNDARY + 2];
	size_t		 nlen, vlen, pvlen;
	int		 found = 0, quoted;

	if (ct == NULL || strncasecmp(skip_ows(ct), "multipart/", 10) != 0)
		return -1;
	p = strchr(ct, ';');
	while (p != NULL && *p == ';') {
		p = skip_ows(p + 1);
		name = p;
		while (is_tchar((unsigned char)*p))
			p++;
		nlen = (size_t)(p - name);
		p = skip_ows(p);
		if (*p != '=') {
			/*
			 * A parameter without a value: junk; skip to the next.
			 */
			p = strchr(p, ';');
			continue;
		}
		p = skip_ows(p + 1);
		quoted = *p == '"';
		if (quoted) {
			for (v = ++p; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && nlen == 8 &&
				    strncasecmp(name, "boundary", 8) == 0)
					return -2;
				if (*p == '\\' && p[1] != '\0')
					p++;
			}
			if (*p != '"')
				return -1;
			vlen = (size_t)(p - v);
			p++;
		} else {
			for (v = p; is_tchar((unsigned char)*p); p++)
				;
			vlen = (size_t)(p - v);
		}
		p = skip_ows(p);
		if (nlen == 8 && strncasecmp(name, "boundary", 8) == 0) {
			if (*p != '\0' && *p != ';')
				return -2;
			if (vlen == 0 || vlen > MP_MAXBOUNDARY ||
			    vlen >= outlen)
				return -1;
			if (found && (strlen(val) != vlen || memcmp(val, v,
			    vlen) != 0))
				return -2;
			memcpy(val, v, vlen);
			val[vlen] = '\0';
			found = 1;
		} else if (*p != '\0' && *p != ';')
			p = strchr(p, ';');
	}
	if (!found)
		return -1;
	if (php_boundary(ct, &pv, &pvlen) != 0 || pvlen != strlen(val) ||
	    memcmp(pv, val, pvlen) != 0)
		return -2;
	if (val[strlen(val) - 1] == ' ')
		return -2;
	memcpy(out, val, strlen(val) + 1);
	return 0;
}

/*
 * A parser for a body with this boundary; NULL if the boundary is empty,
 * too long or memory is short. The caller frees it with multipart_free.
 */
struct multipart *
multipart_new(const char *boundary, const struct svc_limits *lim,
    const struct mp_callbacks *cb, void *arg)
{
	struct multipart	*m;
	size_t			 blen = strlen(boundary);

	if (blen == 0 || blen > MP_MAXBOUNDARY)
		return NULL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->dlen = (size_t)snprintf(m->dash, sizeof m->dash, "\n--%s", boundary);
	m->cap = lim->max_header + m->dlen + 4096;
	if ((m->buf = malloc(m->cap)) == NULL) {
		free(m);
		return NULL;
	}
	m->limits = lim;
	m->cb = cb;
	m->arg = arg;
	m->nparts = &m->parts;
	return m;
}

/* Record why parsing stopped; returns st so callers can return it. */
static enum mp_status
fail(struct multipart *m, enum mp_status st, const char *why)
{
	if (m->why[0] == '\0')
		snprintf(m->why, sizeof m->why, "%s", why);
	return st;
}

static void
consume(struct multipart *m, size_t n)
{
	memmove(m->buf, m->buf + n, m->used - n);
	m->used -= n;
}

/* ---- part headers ------------------------------------------------------ */

static int
parse_cte(const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 6 && strncasecmp(v, "base64", 6) == 0)
		return MP_CTE_BASE64;
	if (len == 16 && strncasecmp(v, "quoted-printable", 16) == 0)
		return MP_CTE_QP;
	return MP_CTE_NONE;	/* 7bit, 8bit, binary or unknown: as is */
}

/* What the headers of one part say. */
struct mp_head {
	struct mp_part	 part;
	int		 multi;		/* Content-Type multipart/... */
	int		 ambiguous;	/* two different CTE or Content-Type */
	int		 nctype;
	int		 ncte;
	char		 boundary[MP_MAXBOUNDARY + 1];	/* "" if none/invalid */
	int		 bstatus;	/* multipart_boundary's answer */
};

/*
 * The boundary of a multipart Content-Type header value. The value is
 * copied because multipart_boundary wants a string; one longer than any
 * sane header is cut, which at worst loses the boundary (then malformed).
 */
static void
head_content_type(const char *v, size_t len, struct mp_head *hd)
{
	char	ct[1024];

	if (hd->nctype++ > 0) {
		if (strlen(hd->part.content_type) != len ||
		    strncasecmp(hd->part.content_type, v, len) != 0)
			hd->ambiguous = 1;
		return;
	}
	if (len < sizeof hd->part.content_type) {
		memcpy(hd->part.content_type, v, len);
		hd->part.content_type[len] = '\0';
	}
	if (len < 10 || strncasecmp(v, "multipart/", 10) != 0)
		return;
	hd->multi = 1;
	if (len >= sizeof ct)
		len = sizeof ct - 1;
	memcpy(ct, v, len);
	ct[len] = '\0';
	hd->bstatus = multipart_boundary(ct, hd->boundary, sizeof hd->boundary);
	if (hd->bstatus != 0)
		hd->boundary[0] = '\0';
}

/* One unfolded header line: name, then value after the colon. */
static void
header_line(const char *line, size_t ll, struct mp_head *hd)
{
	const char	*colon = memchr(line, ':', ll), *v;
	size_t		 nl, vl;
	int		 cte;

	if (colon == NULL)
		return;
	nl = (size_t)(colon - line);
	/* "Name :" is read as "Name:", as lenient parsers do. */
	while (nl > 0 && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
		nl--;
	v = skip_ows(colon + 1);
	if (v > line + ll)
		v = line + ll;
	vl = (size_t)(line + ll - v);
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (nl == 19 && strncasecmp(line, "Content-Disposition", 19) == 0) {
		if (hd->part.name[0] == '\0')
			httphdr_param(v, vl, "name", hd->part.name,
			    sizeof hd->part.name);
		if (hd->part.filename[0] == '\0')
			httphdr_param(v, vl, "filename", hd->part.filename,
			    sizeof hd->part.filename);
		if (hd->part.filename[0] == '\0')
			httphdr_param(v, vl, "filename*", hd->part.filename,
			    sizeof hd->part.filename);
	} else if (nl == 12 && strncasecmp(line, "Content-Type", 12) == 0)
		head_content_type(v, vl, hd);
	else if (nl == 25 && strncasecmp(line, "Content-Transfer-Encoding",
	    25) == 0) {
		cte = parse_cte(v, vl);
		if (hd->ncte++ > 0 && cte != hd->part.cte)
			hd->ambiguous = 1;
		hd->part.cte = cte;
	}
}

/*
 * The header block: lines end with LF or CRLF, a line that starts with a
 * blank continues the one before (obs-fold, which PHP and mail parsers
 * honour), a line without a colon is ignored.
 */
static void
parse_headers(const char *h, size_t len, struct mp_head *hd)
{
	char		 line[2048];
	const char	*p = h, *eol, *end = h + len;
	size_t		 ll, n = 0;

	memset(hd, 0, sizeof *hd);
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		ll = (size_t)((eol ? eol : end) - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (n > 0 && (ll == 0 || (*p != ' ' && *p != '\t'))) {
			header_line(line, n, hd);
			n = 0;
		}
		if (ll > sizeof line - 1 - n)
			ll = sizeof line - 1 - n;
		memcpy(line + n, p, ll);
		n += ll;
		p = eol ? eol + 1 : end;
	}
	if (n > 0)
		header_line(line, n, hd);
}

/* ---- content transfer encodings ---------------------------------------- */

/* base64 alphabet values; '-' and '_' are the URL-safe alphabet's. */
static const signed char b64_values[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, 62, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * Bytes a base64 part may hold that decoders agree on: the standard
 * alphabet, '=' and line breaks. Anything else (the URL-safe '-' and '_',
 * which Node decodes and Python skips; other junk, which some decoders
 * skip and some stop at) decodes differently from server to server.
 */
static int
b64_plain(unsigned char c)
{
	return (b64_values[c] >= 0 && c != '-' && c != '_') || c == '=' ||
	    c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * base64 (RFC 2045 6.8): line breaks are ignored; '=' ends a group, and
 * decoding goes on after it so that concatenated encodings are all seen.
 */
static size_t
b64_step(struct multipart *m, unsigned char c, unsigned char *out)
{
	size_t	n = 0;
	int	v;

	if (c == '=') {
		if (m->b64n >= 2)
			out[n++] =
			    (unsigned char)(m->b64bits >> (m->b64n * 6 - 8));
		if (m->b64n == 3)
			out[n++] = (unsigned char)(m->b64bits >> 2);
		m->b64n = 0;
		m->b64bits = 0;
		return n;
	}
	if ((v = b64_values[c]) < 0)
		return 0;
	m->b64bits = (m->b64bits << 6) | (uint32_t)v;
	if (++m->b64n == 4) {
		out[n++] = (unsigned char)(m->b64bits >> 16);
		out[n++] = (unsigned char)(m->b64bits >> 8);
		out[n++] = (unsigned char)m->b64bits;
		m->b64n = 0;
		m->b64bits = 0;
	}
	return n;
}

/*
 * quoted-printable (RFC 2045 6.7): "=XY" is a byte, "=" before a line
 * break is a soft break; any other "=" sequence is kept as it is, as
 * lenient receivers do. At most 3 bytes out per byte in.
 */
static size_t
qp_step(struct multipart *m, unsigned char c, unsigned char *out)
{
	size_t	n = 0;
	int	hi, lo;

	if (m->qpn == 0) {
		if (c == '=')
			m->qp[m->qpn++] = '=';
		else
			out[n++] = c;
		return n;
	}
	if (m->qpn == 1) {
		if (c == '\n') {		/* "=\n" */
			m->qpn = 0;
			return 0;
		}
		m->qp[m->qpn++] = (char)c;
		return 0;
	}
	/* qpn == 2: "=" and one byte pending */
	m->qpn = 0;
	if (m->qp[1] == '\r' && c == '\n')
		return 0;			/* "=\r\n" */
	hi = hex_value((unsigned char)m->qp[1]);
	lo = hex_value(c);
	if (hi >= 0 && lo >= 0) {
		out[n++] = (unsigned char)(hi << 4 | lo);
		return n;
	}
	out[n++] = '=';
	out[n++] = (unsigned char)m->qp[1];
	if (c == '=')
		m->qp[m->qpn++] = '=';
	else
		out[n++] = c;
	return n;
}

/* ---- handing content over ---------------------------------------------- */

static enum mp_status
cb_data(struct multipart *m, const void *buf, size_t len)
{
	if (len > 0 && m->cb->data(m->arg, m->handle, buf, len) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	return MP_OK;
}

/* Decoded content of the open part: to the child parser or the callbacks. */
static enum mp_status
emit(struct multipart *m, const void *buf, size_t len)
{
	enum mp_status	st;

	if (len == 0)
		return MP_OK;
	if (m->child != NULL) {
		if ((st = multipart_feed(m->child, buf, len)) != MP_OK)
			return fail(m, st, m->child->why);
		return MP_OK;
	}
	return cb_data(m, buf, len);
}

/* Content of the open part, as sent: raw callback, then decoded. */
static enum mp_status
part_data(struct multipart *m, const unsigned char *buf, size_t len)
{
	unsigned char	out[4096];
	enum mp_status	st;
	size_t		i, n = 0;
	uint32_t	v;

	if (len == 0)
		return MP_OK;
	m->body_start = 0;
	if ((m->cte != MP_CTE_NONE || m->child != NULL) && m->cb->raw != NULL &&
	    m->cb->raw(m->arg, m->handle, buf, len) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	if (m->cte == MP_CTE_NONE)
		return emit(m, buf, len);
	for (i = 0; i < len; ) {
		if (n + 3 > sizeof out) {
			if ((st = emit(m, out, n)) != MP_OK)
				return st;
			n = 0;
		}
		/*
		 * A whole group of four alphabet characters, the common case.
		 */
		if (m->cte == MP_CTE_BASE64 && m->b64n == 0 && i + 4 <= len &&
		    (b64_values[buf[i]] | b64_values[buf[i + 1]] |
		    b64_values[buf[i + 2]] | b64_values[buf[i + 3]]) >= 0 &&
		    b64_plain(buf[i]) && b64_plain(buf[i + 1]) &&
		    b64_plain(buf[i + 2]) && b64_plain(buf[i + 3])) {
			v = (uint32_t)b64_values[buf[i]] << 18 |
			    (uint32_t)b64_values[buf[i + 1]] << 12 |
			    (uint32_t)b64_values[buf[i + 2]] << 6 |
			    (uint32_t)b64_values[buf[i + 3]];
			out[n++] = (unsigned char)(v >> 16);
			out[n++] = (unsigned char)(v >> 8);
			out[n++] = (unsigned char)v;
			i += 4;
		} else if (m->cte == MP_CTE_BASE64) {
			if (!b64_plain(buf[i]))
				return fail(m, MP_AMBIGUOUS,
				    "ambiguous multipart "
				    "framing: base64 part with characters "
				    "outside "
				    "its alphabet");
			n += b64_step(m, buf[i++], out + n);
		} else
			n += qp_step(m, buf[i++], out + n);
	}
	return emit(m, out, n);
}

/* Close the open part: flush the decoder, end the child and the callbacks. */
static enum mp_status
part_close(struct multipart *m)
{
	unsigned char	out[4];
	enum mp_status	st = MP_OK, cst;
	size_t		n = 0;

	/* An unfinished base64 group carries no whole byte worth keeping. */
	if (m->cte == MP_CTE_QP && m->qpn > 0) {
		memcpy(out, m->qp, m->qpn);
		n = m->qpn;
	}
	m->qpn = m->b64n = 0;
	m->b64bits = 0;
	m->cte = MP_CTE_NONE;
	if ((st = emit(m, out, n)) != MP_OK)
		return st;
	if (m->child != NULL) {
		st = multipart_finish(m->child);
		if (st != MP_OK)
			fail(m, st, m->child->why);
		multipart_free(m->child);
		m->child = NULL;
	}
	if (m->handle != NULL) {
		cst = m->cb->end(m->arg, m->handle) == 0 ? MP_OK : MP_CALLBACK;
		m->handle = NULL;
		if (cst != MP_OK && st == MP_OK)
			st = fail(m, cst, "multipart part rejected");
	}
	return st;
}

static int
blank(const unsigned char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	return n == 0;
}


/*
 * Bytes outside the parts (preamble, epilogue): a part of their own,
 * named like the enclosing part. Blanks before anything else are dropped
 * (the line break after a closing delimiter, the padding browsers add).
 */
static enum mp_status
loose_data(struct multipart *m, const unsigned char *buf, size_t len)
{
	struct mp_part	p;

	if (m->loose == NULL) {
		while (len > 0 && blank(buf, 1)) {
			buf++;
			len--;
		}
		if (len == 0)
			return MP_OK;
		p = m->part;
		p.content_type[0] = '\0';
		p.cte = MP_CTE_NONE;
		p.nested = false;
		p.loose = true;
		if ((m->loose = m->cb->begin(m->arg, &p)) == NULL)
			return fail(m, MP_CALLBACK, "multipart part rejected");
	}
	if (m->cb->data(m->arg, m->loose, buf, len) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	return MP_OK;
}

static enum mp_status
loose_end(struct multipart *m)
{
	void	*h = m->loose;

	if (h == NULL)
		return MP_OK;
	m->loose = NULL;
	if (m->cb->end(m->arg, h) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	return MP_OK;
}

/* ---- the state machine -------------------------------------------------- */

/* Find needle in the buffer from offset from; offset or -1. */
static long
find(const struct multipart *m, const void *needle, size_t nlen, size_t from)
{
	const unsigned char	*p;

	if (m->used < from + nlen)
		return -1;
	p = memmem(m->buf + from, m->used - from, needle, nlen);
	return p ? (long)(p - m->buf) : -1;
}

/* The delimiter "--boundary" without its line break. */
static int
at_dash(const struct multipart *m, size_t at)
{
	return m->used >= at + m->dlen - 1 &&
	    memcmp(m->buf + at, m->dash + 1, m->dlen - 1) == 0;
}

static enum mp_status
step_preamble(struct multipart *m, int *more)
{
	enum mp_status	st;
	long		at;
	size_t		end;

	/* The first delimiter may start the body without a line break. */
	if (!m->started && m->used < m->dlen - 1 &&
	    memcmp(m->buf, m->dash + 1, m->used) == 0) {
		*more = 1;
		return MP_OK;
	}
	if (!m->started && at_dash(m, 0)) {
		consume(m, m->dlen - 1);
		m->started = 1;
		m->state = S_AFTER;
		return MP_OK;
	}
	m->started = 1;
	if ((at = find(m, m->dash, m->dlen, 0)) == -1) {
		/* Keep what may be the start of a delimiter, with its CR. */
		if (m->used > m->dlen) {
			if ((st = loose_data(m, m->buf,
			    m->used - m->dlen)) != MP_OK)
				return st;
			consume(m, m->used - m->dlen);
		}
		*more = 1;
		return MP_OK;
	}
	end = (size_t)at;
	if (end > 0 && m->buf[end - 1] == '\r')
		end--;
	if ((st = loose_data(m, m->buf, end)) != MP_OK ||
	    (st = loose_end(m)) != MP_OK)
		return st;
	consume(m, (size_t)at + m->dlen);
	m->state = S_AFTER;
	return MP_OK;
}

static enum mp_status
step_after(struct multipart *m, int *more)
{
	size_t	i = 0;
	int	crlf;

	if (m->used < 2) {
		*more = 1;
		return MP_OK;
	}
	if (m->buf[0] == '-' && m->buf[1] == '-') {
		m->state = S_END;
		consume(m, 2);
		return MP_OK;
	}
	while (i < m->used && (m->buf[i] == ' ' || m->buf[i] == '\t'))
		i++;
	if (i + 1 >= m->used) {
		if (i > 256)
			return fail(m, MP_MALFORMED,
			    "malformed multipart body");
		*more = 1;
		return MP_OK;
	}
	if (m->buf[i] == '\r' && m->buf[i + 1] == '\n') {
		i += 2;
		crlf = 1;
	} else if (m->buf[i] == '\n') {
		i += 1;
		crlf = 0;
	} else
		return fail(m, MP_MALFORMED, "malformed multipart body");
	if (m->framing == F_UNKNOWN)
		m->framing = crlf ? F_CRLF : F_LF;
	else if (m->framing == F_CRLF && !crlf)
		return fail(m, MP_AMBIGUOUS, "ambiguous multipart framing: "
		    "a delimiter line ends in a bare LF");
	consume(m, i);
	if (++*m->nparts > m->limits->max_parts)
		return fail(m, MP_LIMIT, "too many multipart parts");
	m->state = S_HEADERS;
	return MP_OK;
}

/* The open part is multipart itself: a child parser one level down. */
static enum mp_status
open_child(struct multipart *m, const struct mp_head *hd)
{
	char		why[96];
	unsigned	max = m->limits->max_nesting ? m->limits->max_nesting :
	    MULTIPART_MAXDEPTH;

	if (hd->bstatus == -2)
		return fail(m, MP_AMBIGUOUS,
		    "ambiguous multipart framing: nested boundary");
	if (hd->boundary[0] == '\0')
		return fail(m, MP_MALFORMED,
		    "malformed multipart body: nested part without a boundary");
	if (m->depth + 1 >= max) {
		snprintf(why, sizeof why, "multipart nesting over %u", max);
		return fail(m, MP_LIMIT, why);
	}
	m->child = multipart_new(hd->boundary, m->limits, m->cb, m->arg);
	if (m->child == NULL)
		return fail(m, MP_CALLBACK, "out of memory");
	m->child->depth = m->depth + 1;
	m->child->nparts = m->nparts;
	m->child->part = hd->part;
	m->child->part.content_type[0] = '\0';
	return MP_OK;
}

/*
 * Where the header block ends: *hlen bytes of headers, then an empty line
 * of *skip bytes. 0 when found, -1 when more is needed.
 */
static int
header_end(const struct multipart *m, size_t *hlen, size_t *skip)
{
	const unsigned char	*nl;
	size_t			 i = 0;

	for (;;) {
		if (i + 1 <= m->used && m->buf[i] == '\n') {
			*hlen = i;
			*skip = 1;
			return 0;
		}
		if (i + 2 <= m->used && m->buf[i] == '\r' &&
		    m->buf[i + 1] == '\n') {
			*hlen = i;
			*skip = 2;
			return 0;
		}
		if (i + 2 > m->used)
			return -1;
		if ((nl = memchr(m->buf + i, '\n', m->used - i)) == NULL)
			return -1;
		i = (size_t)(nl - m->buf) + 1;
	}
}

/* RFC 2047 encoded words ("=?utf-8?B?...?=") decoded, for the head callback. */
static size_t
rfc2047(const unsigned char *in, size_t len, unsigned char *out, size_t cap)
{
	const unsigned char	*p = in, *end = in + len, *q, *t;
	struct multipart	 tmp;
	size_t			 n = 0, k;
	int			 enc;

	memset(&tmp, 0, sizeof tmp);
	while (p + 6 < end && (p = memmem(p, (size_t)(end - p), "=?",
	    2)) != NULL) {
		/* charset, then ?B? or ?Q?, then the text up to "?=" */
		if ((q = memchr(p + 2, '?', (size_t)(end - p - 2))) == NULL ||
		    q + 3 >= end || q[2] != '?')
			break;
		enc = toupper(q[1]);
		t = q + 3;
		if ((q = memmem(t, (size_t)(end - t), "?=", 2)) == NULL)
			break;
		if (enc == 'B' || enc == 'Q') {
			tmp.b64n = tmp.qpn = 0;
			for (k = 0; t + k < q && n + 4 < cap; k++) {
				if (enc == 'B')
					n += b64_step(&tmp, t[k], out + n);
				else if (t[k] == '_')
					out[n++] = ' ';
				else
					n += qp_step(&tmp, t[k], out + n);
			}
			if (n + 1 < cap)
				out[n++] = ' ';
		}
		p = q + 2;
	}
	return n;
}

/* The header block to the head callback, and what its encoded words say. */
static enum mp_status
head_out(struct multipart *m, const unsigned char *h, size_t len)
{
	unsigned char	words[1024];
	size_t		n;

	if (m->cb->head == NULL)
		return MP_OK;
	if (m->cb->head(m->arg, h, len) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	if (memmem(h, len, "=?", 2) != NULL &&
	    (n = rfc2047(h, len, words, sizeof words)) > 0 &&
	    m->cb->head(m->arg, words, n) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	return MP_OK;
}

static enum mp_status
step_headers(struct multipart *m, int *more)
{
	struct mp_head	hd;
	enum mp_status	st;
	size_t		hlen, skip;

	if (header_end(m, &hlen, &skip) != 0) {
		if (m->used > m->limits->max_header)
			return fail(m, MP_MALFORMED,
			    "malformed multipart body: part headers too long");
		*more = 1;
		return MP_OK;
	}
	if (hlen > m->limits->max_header)
		return fail(m, MP_MALFORMED,
		    "malformed multipart body: part headers too long");
	parse_headers((const char *)m->buf, hlen, &hd);
	if (hlen > 0 && (st = head_out(m, m->buf, hlen)) != MP_OK)
		return st;
	consume(m, hlen + skip);
	if (hd.ambiguous)
		return fail(m, MP_AMBIGUOUS, "ambiguous multipart framing: "
		    "a part with two different Content-Type or "
		    "Content-Transfer-Encoding headers");
	/* A nameless part inside a nested body is known by its container. */
	if (hd.part.name[0] == '\0' && m->depth > 0)
		memcpy(hd.part.name, m->part.name, sizeof hd.part.name);
	hd.part.nested = hd.multi;
	if (hd.multi && (st = open_child(m, &hd)) != MP_OK)
		return st;
	if ((m->handle = m->cb->begin(m->arg, &hd.part)) == NULL)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	m->cte = hd.part.cte;
	m->body_start = 1;
	m->state = S_BODY;
	return MP_OK;
}

static enum mp_status
step_body(struct multipart *m, int *more)
{
	enum mp_status	st;
	long		at;
	size_t		n, end;

	/*
	 * Content that starts with the delimiter itself: Go ends the part
	 * there (an empty part), PHP and busboy take it as content.
	 */
	if (m->body_start && m->used < m->dlen - 1 &&
	    memcmp(m->buf, m->dash + 1, m->used) == 0) {
		*more = 1;
		return MP_OK;
	}
	if (m->body_start && at_dash(m, 0))
		return fail(m, MP_AMBIGUOUS, "ambiguous multipart framing: "
		    "a part starts with its delimiter");
	if ((at = find(m, m->dash, m->dlen, 0)) < 0) {
		/*
		 * All but a possible delimiter (and the CR before it) is
		 * content.
		 */
		n = m->used > m->dlen ? m->used - m->dlen : 0;
		if ((st = part_data(m, m->buf, n)) != MP_OK)
			return st;
		consume(m, n);
		*more = 1;
		return MP_OK;
	}
	end = (size_t)at;
	if (end > 0 && m->buf[end - 1] == '\r')
		end--;
	else if (m->framing == F_CRLF)
		return fail(m, MP_AMBIGUOUS, "ambiguous multipart framing: "
		    "a delimiter after a bare LF");
	if ((st = part_data(m, m->buf, end)) != MP_OK ||
	    (st = part_close(m)) != MP_OK)
		return st;
	consume(m, (size_t)at + m->dlen);
	m->state = S_AFTER;
	return MP_OK;
}

static enum mp_status
multipart_run(struct multipart *m)
{
	enum mp_status	st = MP_OK;
	int		more = 0;

	while (st == MP_OK && !more) {
		switch (m->state) {
		case S_PREAMBLE:
			st = step_preamble(m, &more);
			break;
		case S_AFTER:
			st = step_after(m, &more);
			break;
		case S_HEADERS:
			st = step_headers(m, &more);
			break;
		case S_BODY:
			st = step_body(m, &more);
			break;
		case S_END:
			st = loose_data(m, m->buf, m->used);
			m->used = 0;
			more = 1;
			break;
		}
	}
	return st;
}

/* Feed body bytes; a status other than MP_OK sticks. */
enum mp_status
multipart_feed(struct multipart *m, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 n;

	while (m->status == MP_OK && len > 0) {
		n = m->cap - m->used < len ? m->cap - m->used : len;
		memcpy(m->buf + m->used, p, n);
		m->used += n;
		p += n;
		len -= n;
		m->status = multipart_run(m);
	}
	return m->status;
}

/*
 * End of body: flush the open part; a body without its closing delimiter
 * is malformed (its content has been handed over all the same).
 */
enum mp_status
multipart_finish(struct multipart *m)
{
	if (m->status != MP_OK)
		return m->status;
	if (m->state == S_BODY) {
		if ((m->status = part_data(m, m->buf, m->used)) != MP_OK)
			return m->status;
		m->used = 0;
		if ((m->status = part_close(m)) != MP_OK)
			return m->status;
	} else if ((m->state == S_PREAMBLE || m->state == S_END) &&
	    (m->status = loose_data(m, m->buf, m->used)) != MP_OK)
		return m->status;
	m->used = 0;
	if ((m->status = loose_end(m)) != MP_OK)
		return m->status;
	if (m->state != S_END)
		m->status = fail(m, MP_MALFORMED, "malformed multipart body");
	return m->status;
}

/* Parts seen so far, at every level. */
unsigned
multipart_parts(const struct multipart *m)
{
	return *m->nparts;
}

/* Why the status is not MP_OK, for the outcome's reason; "" while it is. */
const char *
multipart_error(const struct multipart *m)
{
	return m->why;
}

/*
 * Free the parser. Parts still open when the body stopped early are not
 * ended: their handles belong to the caller, who releases them.
 */
void
multipart_free(struct multipart *m)
{
	if (m == NULL)
		return;
	multipart_free(m->child);
	free(m->buf);
	free(m);
}
