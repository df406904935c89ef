/*
 * multipart/form-data (RFC 7578) and other multipart bodies, streaming:
 * each part's headers are parsed (name, filename, Content-Type,
 * Content-Transfer-Encoding) and its content is handed to the callbacks as
 * it arrives, so every field and file is inspected on its own.
 *
 * A part that is itself multipart (RFC 2388 file sets, mail-like
 * uploads) is parsed by a child parser, up to max_nesting levels;
 * the callbacks only ever see leaf parts. base64 and quoted-printable
 * parts are decoded before they reach the callbacks. The parts limit
 * counts the parts of all levels together.
 *
 * Memory is one buffer of max_header + boundary bytes per open level;
 * nothing else grows with the body. Bytes before the first boundary and
 * after the last are ignored at the top level, as receivers ignore them;
 * inside a nested part they are handed over as a part of their own,
 * because an application that does not parse the nesting sees them as
 * part of the field's value.
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
enum mp_cte { CTE_NONE, CTE_BASE64, CTE_QP };

struct multipart {
	enum mp_state	 state;
	char		 delim[MP_MAXBOUNDARY + 5];	/* "\r\n--" boundary */
	size_t		 dlen;
	unsigned char	*buf;
	size_t		 used, cap;
	const struct svc_limits *limits;
	const struct mp_callbacks *cb;
	void		*arg;
	unsigned	 parts;
	unsigned	*nparts;	/* the top level's count */
	unsigned	 depth;		/* 0 at the top level */
	int		 inpart;
	int		 skipped;	/* preamble bytes were dropped */
	enum mp_status	 status;
	char		 why[96];	/* why status is not MP_OK */

	struct mp_part	 part;		/* the open part */
	struct multipart *child;	/* the open part is multipart */
	int		 loose;		/* preamble/epilogue part is open */

	enum mp_cte	 cte;
	uint32_t	 b64bits;	/* base64: pending sextets */
	unsigned	 b64n;
	char		 qp[3];		/* quoted-printable: pending "=X" */
	unsigned	 qpn;
};

/* Copy the boundary parameter of a Content-Type; 0, or -1 if none/invalid. */
int
multipart_boundary(const char *ct, char *out, size_t outlen)
{
	const char *p;
	size_t len;

	if (ct == NULL || strncasecmp(ct, "multipart/", 10) != 0)
		return -1;
	for (p = ct; (p = strcasestr(p, "boundary=")) != NULL; p += 9) {
		if (p == ct || !(p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t'))
			continue;
		p += 9;
		if (*p == '"') {
			p++;
			len = strcspn(p, "\"");
			if (p[len] != '"')
				return -1;
		} else
			len = strcspn(p, "; \t");
		if (len == 0 || len > MP_MAXBOUNDARY || len >= outlen)
			return -1;
		memcpy(out, p, len);
		out[len] = '\0';
		return 0;
	}
	return -1;
}

/*
 * A parser for a body with this boundary; NULL if the boundary is empty,
 * too long or memory is short. The caller frees it with multipart_free.
 */
struct multipart *
multipart_new(const char *boundary, const struct svc_limits *lim,
    const struct mp_callbacks *cb, void *arg)
{
	struct multipart *m;
	size_t blen = strlen(boundary);

	if (blen == 0 || blen > MP_MAXBOUNDARY)
		return NULL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->dlen = (size_t)snprintf(m->delim, sizeof m->delim, "\r\n--%s", boundary);
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

/* A parameter of Content-Disposition (name="x" or name=x) into out. */
static void
header_param(const char *h, size_t hl, const char *param, char *out, size_t outlen)
{
	size_t pl = strlen(param), i, n = 0;
	const char *p;

	for (i = 0; i + pl + 1 < hl; i++) {
		if ((i == 0 || h[i - 1] == ';' || h[i - 1] == ' ') &&
		    strncasecmp(h + i, param, pl) == 0 && h[i + pl] == '=')
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
		for (; p < h + hl && *p != ';' && *p != ' ' && n + 1 < outlen; p++)
			out[n++] = *p;
	}
	out[n] = '\0';
}

static enum mp_cte
parse_cte(const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 6 && strncasecmp(v, "base64", 6) == 0)
		return CTE_BASE64;
	if (len == 16 && strncasecmp(v, "quoted-printable", 16) == 0)
		return CTE_QP;
	return CTE_NONE;	/* 7bit, 8bit, binary or unknown: as is */
}

/* What the headers of one part say. */
struct mp_head {
	struct mp_part	 part;
	enum mp_cte	 cte;
	int		 multi;		/* Content-Type multipart/... */
	char		 boundary[MP_MAXBOUNDARY + 1];	/* "" if none/invalid */
};

/*
 * The boundary of a multipart Content-Type header value. The value is
 * copied because multipart_boundary wants a string; one longer than any
 * sane header is cut, which at worst loses the boundary (then malformed).
 */
static void
head_content_type(const char *v, size_t len, struct mp_head *hd)
{
	char ct[1024];

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
	if (multipart_boundary(ct, hd->boundary, sizeof hd->boundary) != 0)
		hd->boundary[0] = '\0';
}

static void
parse_headers(const char *h, size_t len, struct mp_head *hd)
{
	const char *line = h, *eol, *v;
	size_t ll;

	memset(hd, 0, sizeof *hd);
	while (line < h + len) {
		eol = memchr(line, '\n', h + len - line);
		ll = (eol ? eol : h + len) - line;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
			v = line + 20;
			header_param(v, ll - 20, "name", hd->part.name,
			    sizeof hd->part.name);
			header_param(v, ll - 20, "filename", hd->part.filename,
			    sizeof hd->part.filename);
		} else if (ll > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
			v = line + 13;
			while (v < line + ll && (*v == ' ' || *v == '\t'))
				v++;
			head_content_type(v, line + ll - v, hd);
		} else if (ll > 26 && strncasecmp(line,
		    "Content-Transfer-Encoding:", 26) == 0)
			hd->cte = parse_cte(line + 26, ll - 26);
		line = eol ? eol + 1 : h + len;
	}
}

/* Find needle in the buffer; offset or -1. */
static long
find(const struct multipart *m, const void *needle, size_t nlen, size_t from)
{
	const unsigned char *p;

	if (m->used < from + nlen)
		return -1;
	p = memmem(m->buf + from, m->used - from, needle, nlen);
	return p ? (long)(p - m->buf) : -1;
}

/* Decoded content of the open part: to the child parser or the callbacks. */
static enum mp_status
emit(struct multipart *m, const void *buf, size_t len)
{
	enum mp_status st;

	if (len == 0)
		return MP_OK;
	if (m->child != NULL) {
		if ((st = multipart_feed(m->child, buf, len)) != MP_OK)
			return fail(m, st, m->child->why);
		return MP_OK;
	}
	if (m->cb->data(m->arg, buf, len) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	return MP_OK;
}

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
 * base64 (RFC 2045 6.8): characters outside the alphabet are ignored, as
 * the RFC tells receivers; '=' ends a group, and decoding goes on after it
 * so that concatenated encodings are all seen.
 */
static size_t
b64_step(struct multipart *m, unsigned char c, unsigned char *out)
{
	size_t n = 0;
	int v;

	if (c == '=') {
		if (m->b64n >= 2)
			out[n++] = (unsigned char)(m->b64bits >> (m->b64n * 6 - 8));
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
	size_t n = 0;
	int hi, lo;

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

/* Content of the open part, still transfer-encoded. */
static enum mp_status
part_data(struct multipart *m, const unsigned char *buf, size_t len)
{
	unsigned char out[4096];
	enum mp_status st;
	size_t i, n = 0;
	uint32_t v;

	if (m->cte == CTE_NONE)
		return emit(m, buf, len);
	for (i = 0; i < len; ) {
		if (n + 3 > sizeof out) {
			if ((st = emit(m, out, n)) != MP_OK)
				return st;
			n = 0;
		}
		/* A whole group of four alphabet characters, the common case. */
		if (m->cte == CTE_BASE64 && m->b64n == 0 && i + 4 <= len &&
		    (b64_values[buf[i]] | b64_values[buf[i + 1]] |
		    b64_values[buf[i + 2]] | b64_values[buf[i + 3]]) >= 0) {
			v = (uint32_t)b64_values[buf[i]] << 18 |
			    (uint32_t)b64_values[buf[i + 1]] << 12 |
			    (uint32_t)b64_values[buf[i + 2]] << 6 |
			    (uint32_t)b64_values[buf[i + 3]];
			out[n++] = (unsigned char)(v >> 16);
			out[n++] = (unsigned char)(v >> 8);
			out[n++] = (unsigned char)v;
			i += 4;
		} else if (m->cte == CTE_BASE64)
			n += b64_step(m, buf[i++], out + n);
		else
			n += qp_step(m, buf[i++], out + n);
	}
	return emit(m, out, n);
}

/* Close the open part: flush the decoder, end the child or the callbacks. */
static enum mp_status
part_close(struct multipart *m)
{
	unsigned char out[4];
	enum mp_status st;
	size_t n = 0;

	/* An unfinished base64 group carries no whole byte worth keeping. */
	if (m->cte == CTE_QP && m->qpn > 0) {
		memcpy(out, m->qp, m->qpn);
		n = m->qpn;
	}
	m->qpn = m->b64n = 0;
	m->b64bits = 0;
	m->cte = CTE_NONE;
	if ((st = emit(m, out, n)) != MP_OK)
		return st;
	m->inpart = 0;
	if (m->child != NULL) {
		st = multipart_finish(m->child);
		if (st != MP_OK)
			fail(m, st, m->child->why);
		multipart_free(m->child);
		m->child = NULL;
		return st;
	}
	if (m->cb->end(m->arg) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	return MP_OK;
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
 * Bytes outside the parts of a nested body (preamble, epilogue): dropped
 * at the top level, a part of their own (named like the enclosing part)
 * below it. Blank runs before anything else are dropped.
 */
static enum mp_status
loose_data(struct multipart *m, const unsigned char *buf, size_t len)
{
	if (m->depth == 0 || len == 0)
		return MP_OK;
	if (!m->loose) {
		if (blank(buf, len))
			return MP_OK;
		if (m->cb->begin(m->arg, &m->part) != 0)
			return fail(m, MP_CALLBACK, "multipart part rejected");
		m->loose = 1;
	}
	if (m->cb->data(m->arg, buf, len) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	return MP_OK;
}

static enum mp_status
loose_end(struct multipart *m)
{
	if (!m->loose)
		return MP_OK;
	m->loose = 0;
	if (m->cb->end(m->arg) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	return MP_OK;
}

static enum mp_status
step_preamble(struct multipart *m, int *more)
{
	enum mp_status st;
	long at;

	/* The first delimiter may start the body without the leading CRLF. */
	if (!m->skipped && m->used >= m->dlen - 2 &&
	    memcmp(m->buf, m->delim + 2, m->dlen - 2) == 0)
		at = -2;
	else
		at = find(m, m->delim, m->dlen, 0);
	if (at == -1) {
		if (m->used > m->dlen) {
			if ((st = loose_data(m, m->buf, m->used - m->dlen)) != MP_OK)
				return st;
			consume(m, m->used - m->dlen);
			m->skipped = 1;
		}
		*more = 1;
		return MP_OK;
	}
	if (at > 0 && (st = loose_data(m, m->buf, (size_t)at)) != MP_OK)
		return st;
	if ((st = loose_end(m)) != MP_OK)
		return st;
	consume(m, (size_t)(at + (long)m->dlen));
	m->state = S_AFTER;
	return MP_OK;
}

static enum mp_status
step_after(struct multipart *m, int *more)
{
	size_t i = 0;

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
			return fail(m, MP_MALFORMED, "malformed multipart body");
		*more = 1;
		return MP_OK;
	}
	if (m->buf[i] == '\r' && m->buf[i + 1] == '\n')
		i += 2;
	else if (m->buf[i] == '\n')
		i += 1;
	else
		return fail(m, MP_MALFORMED, "malformed multipart body");
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
	char why[96];
	unsigned max = m->limits->max_nesting ? m->limits->max_nesting :
	    MULTIPART_MAXDEPTH;

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

static enum mp_status
step_headers(struct multipart *m, int *more)
{
	struct mp_head hd;
	enum mp_status st;
	long at;
	size_t skip = 4;

	if (m->used >= 2 && m->buf[0] == '\r' && m->buf[1] == '\n') {
		at = 0;		/* no headers at all */
		skip = 2;
	} else if ((at = find(m, "\r\n\r\n", 4, 0)) < 0) {
		if (m->used > m->limits->max_header)
			return fail(m, MP_MALFORMED,
			    "malformed multipart body: part headers too long");
		*more = 1;
		return MP_OK;
	}
	if ((size_t)at > m->limits->max_header)
		return fail(m, MP_MALFORMED,
		    "malformed multipart body: part headers too long");
	parse_headers((const char *)m->buf, (size_t)at, &hd);
	consume(m, (size_t)at + skip);
	/* A nameless part inside a nested body is known by its container. */
	if (hd.part.name[0] == '\0' && m->depth > 0)
		memcpy(hd.part.name, m->part.name, sizeof hd.part.name);
	if (hd.multi) {
		if ((st = open_child(m, &hd)) != MP_OK)
			return st;
	} else if (m->cb->begin(m->arg, &hd.part) != 0)
		return fail(m, MP_CALLBACK, "multipart part rejected");
	m->cte = hd.cte;
	m->inpart = 1;
	m->state = S_BODY;
	return MP_OK;
}

static enum mp_status
step_body(struct multipart *m, int *more)
{
	enum mp_status st;
	long at;
	size_t n;

	if ((at = find(m, m->delim, m->dlen, 0)) < 0) {
		/* Everything but a possible delimiter prefix at the end is content. */
		n = m->used > m->dlen ? m->used - m->dlen : 0;
		if ((st = part_data(m, m->buf, n)) != MP_OK)
			return st;
		consume(m, n);
		*more = 1;
		return MP_OK;
	}
	if ((st = part_data(m, m->buf, (size_t)at)) != MP_OK ||
	    (st = part_close(m)) != MP_OK)
		return st;
	consume(m, (size_t)at + m->dlen);
	m->state = S_AFTER;
	return MP_OK;
}

static enum mp_status
multipart_run(struct multipart *m)
{
	enum mp_status st = MP_OK;
	int more = 0;

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
	const unsigned char *p = data;
	size_t n;

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

/* End of body: flush the open part; a body without its closing delimiter is malformed. */
enum mp_status
multipart_finish(struct multipart *m)
{
	if (m->status != MP_OK)
		return m->status;
	if (m->inpart) {
		if ((m->status = part_data(m, m->buf, m->used)) != MP_OK)
			return m->status;
		m->used = 0;
		if ((m->status = part_close(m)) != MP_OK)
			return m->status;
	} else if (m->state == S_PREAMBLE &&
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

void
multipart_free(struct multipart *m)
{
	if (m == NULL)
		return;
	multipart_free(m->child);
	free(m->buf);
	free(m);
}
