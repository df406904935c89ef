/*
 * multipart/form-data (RFC 7578), streaming: each part's headers are
 * parsed (name, filename, Content-Type) and its content is handed to the
 * callbacks as it arrives, so every field and file is inspected on its own.
 * Memory is one buffer of max_header + boundary bytes; nothing else grows
 * with the body. Bytes before the first boundary and after the last are
 * ignored, as receivers ignore them.
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
	int		 inpart;
	int		 skipped;	/* preamble bytes were dropped */
	enum mp_status	 status;
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
	return m;
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

static void
parse_headers(const char *h, size_t len, struct mp_part *part)
{
	const char *line = h, *eol, *v;
	size_t ll;

	memset(part, 0, sizeof *part);
	while (line < h + len) {
		eol = memchr(line, '\n', h + len - line);
		ll = (eol ? eol : h + len) - line;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
			v = line + 20;
			header_param(v, ll - 20, "name", part->name, sizeof part->name);
			header_param(v, ll - 20, "filename", part->filename,
			    sizeof part->filename);
		} else if (ll > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
			v = line + 13;
			while (v < line + ll && (*v == ' ' || *v == '\t'))
				v++;
			if ((size_t)(line + ll - v) < sizeof part->content_type)
				memcpy(part->content_type, v, line + ll - v);
		}
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

static enum mp_status
step_preamble(struct multipart *m, int *more)
{
	long at;

	/* The first delimiter may start the body without the leading CRLF. */
	if (!m->skipped && m->used >= m->dlen - 2 &&
	    memcmp(m->buf, m->delim + 2, m->dlen - 2) == 0)
		at = -2;
	else
		at = find(m, m->delim, m->dlen, 0);
	if (at == -1) {
		if (m->used > m->dlen) {
			consume(m, m->used - m->dlen);
			m->skipped = 1;
		}
		*more = 1;
		return MP_OK;
	}
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
		m->used = 0;
		return MP_OK;
	}
	while (i < m->used && (m->buf[i] == ' ' || m->buf[i] == '\t'))
		i++;
	if (i + 1 >= m->used) {
		if (i > 256)
			return MP_MALFORMED;
		*more = 1;
		return MP_OK;
	}
	if (m->buf[i] == '\r' && m->buf[i + 1] == '\n')
		i += 2;
	else if (m->buf[i] == '\n')
		i += 1;
	else
		return MP_MALFORMED;
	consume(m, i);
	if (++m->parts > m->limits->max_parts)
		return MP_LIMIT;
	m->state = S_HEADERS;
	return MP_OK;
}

static enum mp_status
step_headers(struct multipart *m, int *more)
{
	struct mp_part part;
	long at;
	size_t skip = 4;

	if (m->used >= 2 && m->buf[0] == '\r' && m->buf[1] == '\n') {
		at = 0;		/* no headers at all */
		skip = 2;
	} else if ((at = find(m, "\r\n\r\n", 4, 0)) < 0) {
		if (m->used > m->limits->max_header)
			return MP_MALFORMED;
		*more = 1;
		return MP_OK;
	}
	if ((size_t)at > m->limits->max_header)
		return MP_MALFORMED;
	parse_headers((const char *)m->buf, (size_t)at, &part);
	consume(m, (size_t)at + skip);
	if (m->cb->begin(m->arg, &part) != 0)
		return MP_CALLBACK;
	m->inpart = 1;
	m->state = S_BODY;
	return MP_OK;
}

static enum mp_status
step_body(struct multipart *m, int *more)
{
	long at;
	size_t n;

	if ((at = find(m, m->delim, m->dlen, 0)) < 0) {
		/* Everything but a possible delimiter prefix at the end is content. */
		n = m->used > m->dlen ? m->used - m->dlen : 0;
		if (n > 0 && m->cb->data(m->arg, m->buf, n) != 0)
			return MP_CALLBACK;
		consume(m, n);
		*more = 1;
		return MP_OK;
	}
	if (at > 0 && m->cb->data(m->arg, m->buf, (size_t)at) != 0)
		return MP_CALLBACK;
	m->inpart = 0;
	if (m->cb->end(m->arg) != 0)
		return MP_CALLBACK;
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
		if (m->used > 0 && m->cb->data(m->arg, m->buf, m->used) != 0)
			return m->status = MP_CALLBACK;
		m->used = 0;
		m->inpart = 0;
		if (m->cb->end(m->arg) != 0)
			return m->status = MP_CALLBACK;
	}
	if (m->state != S_END)
		m->status = MP_MALFORMED;
	return m->status;
}

unsigned
multipart_parts(const struct multipart *m)
{
	return m->parts;
}

void
multipart_free(struct multipart *m)
{
	if (m == NULL)
		return;
	free(m->buf);
	free(m);
}
