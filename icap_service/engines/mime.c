/*
 * A streaming MIME reader for mail messages; see mime.h.
 *
 * It is lenient the way mail clients are: header names in any case,
 * folded header lines, boundary parameters quoted or not, base64 with
 * line breaks, stray characters and padding in the middle (skipped), a
 * missing closing boundary (the part ends with the message). Lines longer
 * than MIME_LINE are passed on in pieces: a boundary line is never that
 * long. What it does not follow (deeper nesting than MIME_DEPTH_MAX, a
 * header block over MIME_HEADERS) is reported by mime_truncated, and the
 * part's bytes still reach the sink undecoded.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cause.h"
#include "mime.h"

#define MIME_LINE	1024
#define MIME_HEADERS	16384
#define MIME_BOUNDARY	72	/* RFC 2046: at most 70 characters */

enum mime_state {
	MIME_TOP_HEADERS,	/* the message's own header */
	MIME_SKIP,		/* preamble, epilogue: up to a boundary */
	MIME_PART_HEADERS,
	MIME_PART_BODY
};

enum mime_cte {
	MIME_PLAIN = 0,
	MIME_BASE64,
	MIME_QP
};

struct mime {
	struct mime_sink	 sink;
	enum mime_state		 state;
	char			 bound[MIME_DEPTH_MAX][MIME_BOUNDARY + 1];
	size_t			 nbound;
	char			 line[MIME_LINE];
	size_t			 nline;
	/* line is the rest of a long one */
	bool			 line_cont;
	char			 hdr[MIME_HEADERS];
	size_t			 nhdr;
	bool			 in_part;
	enum mime_cte		 cte;
	unsigned		 b64;		/* bits collected */
	unsigned		 nb64;		/* how many sextets */
	unsigned		 parts;
	bool			 truncated;
	bool			 failed;
};

static int
mime_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static int
mime_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
mime_emit(struct mime *m, const void *p, size_t n, char **cause)
{
	if (n == 0 || !m->in_part)
		return 0;
	return m->sink.data(m->sink.arg, p, n, cause);
}

/* base64: four sextets make three bytes; '=' ends a group early. */
static int
mime_base64(struct mime *m, const char *p, size_t n, char **cause)
{
	unsigned char	out[MIME_LINE];
	size_t		i, o = 0;
	int		v;

	for (i = 0; i < n; i++) {
		if (p[i] == '=') {
			if (m->nb64 == 2)
				out[o++] = (unsigned char)(m->b64 >> 4);
			else if (m->nb64 == 3) {
				out[o++] = (unsigned char)(m->b64 >> 10);
				out[o++] = (unsigned char)(m->b64 >> 2);
			}
			m->b64 = m->nb64 = 0;
			continue;
		}
		if ((v = mime_b64_value((unsigned char)p[i])) < 0)
			continue;
		m->b64 = m->b64 << 6 | (unsigned)v;
		if (++m->nb64 == 4) {
			out[o++] = (unsigned char)(m->b64 >> 16);
			out[o++] = (unsigned char)(m->b64 >> 8);
			out[o++] = (unsigned char)m->b64;
			m->b64 = m->nb64 = 0;
		}
		if (o + 3 > sizeof out) {
			if (mime_emit(m, out, o, cause) != 0)
				return -1;
			o = 0;
		}
	}
	return mime_emit(m, out, o, cause);
}

/* quoted-printable: "=XX" is a byte, "=" at the end of a line joins lines. */
static int
mime_qp(struct mime *m, const char *p, size_t n, bool eol, char **cause)
{
	unsigned char	out[MIME_LINE + 2];
	size_t		i, o = 0, end = n;
	bool		soft = false;
	int		h, l;

	while (end > 0 && (p[end - 1] == '\r' || p[end - 1] == '\n'))
		end--;
	if (eol && end > 0 && p[end - 1] == '=') {
		soft = true;
		end--;
	}
	for (i = 0; i < end; i++) {
		if (p[i] == '=' && i + 2 < end &&
		    (h = mime_hex((unsigned char)p[i + 1])) >= 0 &&
		    (l = mime_hex((unsigned char)p[i + 2])) >= 0) {
			out[o++] = (unsigned char)(h << 4 | l);
			i += 2;
			continue;
		}
		out[o++] = (unsigned char)p[i];
	}
	if (!soft)
		for (i = end; i < n; i++)
			out[o++] = (unsigned char)p[i];
	return mime_emit(m, out, o, cause);
}

static int
mime_body(struct mime *m, const char *p, size_t n, bool eol, char **cause)
{
	switch (m->cte) {
	case MIME_BASE64:
		return mime_base64(m, p, n, cause);
	case MIME_QP:
		return mime_qp(m, p, n, eol, cause);
	default:
		return mime_emit(m, p, n, cause);
	}
}

/*
 * The value of parameter name (e.g. "boundary") in a header value, quoted
 * or not, into out. Returns 0, or -1 when absent.
 */
static int
mime_param(const char *v, const char *name, char *out, size_t outlen)
{
	size_t		 nl = strlen(name), o = 0;
	const char	*p = v;
	char		 q;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (strncasecmp(p, name, nl) != 0)
			continue;
		p += nl;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		q = *p == '"' ? *p++ : 0;
		while (*p != '\0' && o + 1 < outlen && (q != 0 ? *p != q :
		    (*p != ';' && *p != ' ' && *p != '\t' && *p != '\r' &&
		    *p != '\n')))
			out[o++] = *p++;
		out[o] = '\0';
		return o > 0 ? 0 : -1;
	}
	return -1;
}

/*
 * The value of header name in the header block hdr (NUL-ended, folded
 * lines joined), or NULL. Points into hdr, up to the end of that header.
 */
static const char *
mime_header(char *hdr, const char *name, char *out, size_t outlen)
{
	size_t	 nl = strlen(name), o = 0;
	char	*p = hdr;

	for (;;) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p != '\0' && o + 1 < outlen) {
				if (*p == '\n' && p[1] != ' ' && p[1] != '\t')
					break;
				out[o++] = *p == '\r' || *p == '\n' ? ' ' : *p;
				p++;
			}
			out[o] = '\0';
			return out;
		}
		if ((p = strchr(p, '\n')) == NULL)
			return NULL;
		p++;
	}
}

static void
mime_clean_name(const char *in, char *out, size_t outlen)
{
	size_t	i;

	for (i = 0; in[i] != '\0' && i + 1 < outlen; i++)
		out[i] = in[i] > 0x20 && in[i] < 0x7f ? in[i] : '_';
	out[i] = '\0';
}

static int
mime_part_end(struct mime *m, char **cause)
{
	if (!m->in_part)
		return 0;
	if (m->cte == MIME_BASE64 && m->nb64 > 1 &&
	    mime_base64(m, "=", 1, cause) != 0)
		return -1;
	m->in_part = false;
	return m->sink.end(m->sink.arg, cause);
}

/*
 * A header block is complete: a multipart pushes its boundary and skips
 * to it, anything else is a part that starts now.
 */
static int
mime_headers_done(struct mime *m, char **cause)
{
	char	 v[1024], b[MIME_BOUNDARY + 1], name[128], shown[64];
	bool	 multi = false;

	m->hdr[m->nhdr] = '\0';
	m->nhdr = 0;
	m->cte = MIME_PLAIN;
	name[0] = '\0';
	if (mime_header(m->hdr, "content-type", v, sizeof v) != NULL) {
		if (strncasecmp(v + strspn(v, " \t"), "multipart/", 10) == 0 &&
		    mime_param(v, "boundary", b, sizeof b) == 0)
			multi = true;
		mime_param(v, "name", name, sizeof name);
	}
	if (multi) {
		if (m->nbound == MIME_DEPTH_MAX) {
			m->truncated = true;
		} else {
			snprintf(m->bound[m->nbound++], sizeof m->bound[0],
			    "%s",
			    b);
			m->state = MIME_SKIP;
			return 0;
		}
	}
	if (mime_header(m->hdr, "content-transfer-encoding", v, sizeof v) !=
	    NULL) {
		if (strncasecmp(v + strspn(v, " \t"), "base64", 6) == 0)
			m->cte = MIME_BASE64;
		else if (strncasecmp(v + strspn(v, " \t"), "quoted-printable",
		    16) == 0)
			m->cte = MIME_QP;
	}
	if (mime_header(m->hdr, "content-disposition", v, sizeof v) != NULL)
		mime_param(v, "filename", name, sizeof name);
	m->parts++;
	if (name[0] != '\0')
		mime_clean_name(name, shown, sizeof shown);
	else
		snprintf(shown, sizeof shown, "part-%u", m->parts);
	m->b64 = m->nb64 = 0;
	m->state = MIME_PART_BODY;
	if (m->sink.begin(m->sink.arg, shown, cause) != 0)
		return -1;
	m->in_part = true;
	return 0;
}

/* Is the line a boundary of ours? Returns its level + 1, 0 if not. */
static size_t
mime_is_boundary(const struct mime *m, const char *p, size_t n, bool *close)
{
	size_t	i, bl;

	if (n < 3 || p[0] != '-' || p[1] != '-')
		return 0;
	for (i = m->nbound; i > 0; i--) {
		bl = strlen(m->bound[i - 1]);
		if (n < 2 + bl || memcmp(p + 2, m->bound[i - 1], bl) != 0)
			continue;
		*close = n >= 4 + bl && p[2 + bl] == '-' && p[3 + bl] == '-';
		return i;
	}
	return 0;
}

static void
mime_hdr_add(struct mime *m, const char *p, size_t n)
{
	if (m->nhdr + n >= sizeof m->hdr) {
		m->truncated = true;
		n = sizeof m->hdr - 1 - m->nhdr;
	}
	memcpy(m->hdr + m->nhdr, p, n);
	m->nhdr += n;
}

/* One line (or a piece of a long one: eol false). */
static int
mime_line(struct mime *m, const char *p, size_t n, bool eol, char **cause)
{
	size_t	level;
	bool	close = false, blank;

	if (!m->line_cont && m->state != MIME_TOP_HEADERS &&
	    (level = mime_is_boundary(m, p, n, &close)) > 0) {
		if (mime_part_end(m, cause) != 0)
			return -1;
		if (close) {
			m->nbound = level - 1;
			m->state = MIME_SKIP;
		} else {
			m->nbound = level;
			m->state = MIME_PART_HEADERS;
			m->nhdr = 0;
		}
		return 0;
	}
	switch (m->state) {
	case MIME_TOP_HEADERS:
	case MIME_PART_HEADERS:
		blank = !m->line_cont && (n == 0 || (n == 1 && p[0] == '\r') ||
		    (n == 2 && p[0] == '\r' && p[1] == '\n') ||
		    (n == 1 && p[0] == '\n'));
		if (blank)
			return mime_headers_done(m, cause);
		mime_hdr_add(m, p, n);
		return 0;
	case MIME_SKIP:
		return 0;
	case MIME_PART_BODY:
		return mime_body(m, p, n, eol, cause);
	}
	return 0;
}

/* Returns the parser, or NULL when out of memory. */
struct mime *
mime_new(const struct mime_sink *sink)
{
	struct mime	*m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->sink = *sink;
	m->state = MIME_TOP_HEADERS;
	return m;
}

/* Feed message bytes; 0, or -1 with *cause when the sink failed. */
int
mime_feed(struct mime *m, const void *buf, size_t len, char **cause)
{
	const char	*p = buf, *nl;
	size_t		 k;
	bool		 eol;

	if (m->failed) {
		cause_set(cause, "mime: earlier failure");
		return -1;
	}
	while (len > 0) {
		nl = memchr(p, '\n', len);
		k = nl != NULL ? (size_t)(nl - p) + 1 : len;
		if (m->nline + k > sizeof m->line)
			k = sizeof m->line - m->nline;
		memcpy(m->line + m->nline, p, k);
		m->nline += k;
		p += k;
		len -= k;
		if (m->line[m->nline - 1] == '\n' ||
		    m->nline == sizeof m->line) {
			eol = m->line[m->nline - 1] == '\n';
			if (mime_line(m, m->line, m->nline, eol, cause) != 0) {
				m->failed = true;
				return -1;
			}
			m->line_cont = !eol;
			m->nline = 0;
		}
	}
	return 0;
}

/* The end of the message: the last line and the open part end. */
int
mime_end(struct mime *m, char **cause)
{
	if (m->failed)
		return -1;
	if (m->nline > 0 &&
	    mime_line(m, m->line, m->nline, true, cause) != 0)
		return -1;
	m->nline = 0;
	if (m->state == MIME_TOP_HEADERS || m->state == MIME_PART_HEADERS) {
		/* Headers only, or cut short: nothing more to hand on. */
		return 0;
	}
	return mime_part_end(m, cause);
}

void
mime_free(struct mime *m)
{
	free(m);
}

unsigned
mime_parts(const struct mime *m)
{
	return m->parts;
}

bool
mime_truncated(const struct mime *m)
{
	return m->truncated;
}
