/*
 * The framing Squid uses with its helpers; see helper.h. Every byte here
 * is hostile: this file only parses, it does no I/O, and the helpers'
 * fuzz targets compile it in.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "helper.h"

#define HELPER_HEAD_MAX		64	/* id, code and length together */
#define HELPER_LEN_DIGITS	9

/* Set a frame's reason text (a constant, so it never needs freeing). */
static void
helper_why(struct helper_frame *fr, const char *why)
{
	snprintf(fr->reason, sizeof fr->reason, "%s", why);
}

/* Parse a run of decimal digits at buf[*pos]; 1 done, 0 need more, -1 bad. */
static int
helper_number(const char *buf, size_t len, size_t *pos, size_t maxdigits,
    uint64_t *out)
{
	size_t		start = *pos;
	uint64_t	v = 0, d;

	while (*pos < len && isdigit((unsigned char)buf[*pos])) {
		d = (uint64_t)(buf[*pos] - '0');
		if (*pos - start >= maxdigits || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		(*pos)++;
	}
	if (*pos == len)
		return 0;
	if (*pos == start)
		return -1;
	*out = v;
	return 1;
}

/* Does the span s (n bytes) start with the NUL-terminated prefix? */
int
helper_starts(const char *s, size_t n, const char *prefix)
{
	size_t	plen = strlen(prefix);

	return n >= plen && memcmp(s, prefix, plen) == 0;
}

/* The offset just past the newline at or after pos, or len. */
size_t
helper_eol(const char *buf, size_t len, size_t pos)
{
	const char	*nl;

	nl = memchr(buf + pos, '\n', len - pos);
	return nl == NULL ? len : (size_t)(nl - buf) + 1;
}

/*
 * Parse "[<id> ]<code> " at buf[*pos]. Returns 1 with the code's span in
 * code and codelen, 0 when more input is needed, -1 when this is no header.
 */
static int
helper_head(const char *buf, size_t len, size_t *pos, struct helper_frame *fr,
    const char **code, size_t *codelen)
{
	uint64_t	id;
	size_t		start;
	int		r;

	if (*pos < len && isdigit((unsigned char)buf[*pos])) {
		if ((r = helper_number(buf, len, pos, 20, &id)) != 1)
			return r;
		if (buf[*pos] != ' ')
			return -1;
		fr->has_id = 1;
		fr->id = id;
		(*pos)++;
	}
	start = *pos;
	while (*pos < len && (islower((unsigned char)buf[*pos]) ||
	    buf[*pos] == '_'))
		(*pos)++;
	if (*pos == len)
		return 0;
	if (*pos == start || buf[*pos] != ' ')
		return -1;
	*code = buf + start;
	*codelen = *pos - start;
	(*pos)++;
	return 1;
}

/*
 * Find the next complete request in buf, one whose code is want and whose
 * body is at most body_max bytes. Fills fr and returns HELPER_OK;
 * HELPER_NEED when more bytes are needed (fr->consumed bytes of leading
 * white space may still be dropped); HELPER_BAD when the bytes are no
 * request (drop fr->consumed bytes, up to the next newline); HELPER_SKIP for
 * a framed request that is refused (fr->consumed may exceed len: the caller
 * drops that many bytes as they arrive).
 */
enum helper_status
helper_frame(const char *buf, size_t len, const char *want, size_t body_max,
    struct helper_frame *fr)
{
	const char	*code = NULL;
	size_t		 pos = 0, codelen = 0, head;
	uint64_t	 blen = 0;
	int		 r;

	memset(fr, 0, sizeof *fr);
	while (pos < len && isspace((unsigned char)buf[pos]))
		pos++;
	fr->consumed = pos;
	if (pos == len)
		return HELPER_NEED;
	r = helper_head(buf, len, &pos, fr, &code, &codelen);
	if (r == 1)
		r = helper_number(buf, len, &pos, HELPER_LEN_DIGITS, &blen);
	if (r == 1 && buf[pos] != ' ')
		r = -1;
	if (r == 0 && len - fr->consumed < HELPER_HEAD_MAX)
		return HELPER_NEED;
	if (r != 1) {
		helper_why(fr, "malformed request header");
		fr->consumed = helper_eol(buf, len, fr->consumed);
		return HELPER_BAD;
	}
	head = pos + 1;
	if (codelen != strlen(want) || memcmp(code, want, codelen) != 0) {
		helper_why(fr, "unknown request code");
		fr->consumed = head + blen + 1;
		return HELPER_SKIP;
	}
	if (blen == 0 || blen > body_max) {
		if (blen == 0)
			helper_why(fr, "empty request body");
		else
			snprintf(fr->reason, sizeof fr->reason,
			    "request body over %zu %s", body_max >= 1048576 ?
			    body_max >> 20 : body_max >> 10,
			    body_max >= 1048576 ? "MiB" : "KiB");
		fr->consumed = head + blen + 1;
		return HELPER_SKIP;
	}
	if (len - head <= blen)
		return HELPER_NEED;	/* wait for the body and its newline */
	fr->body = buf + head;
	fr->body_len = blen;
	fr->consumed = head + blen;
	if (buf[fr->consumed] == '\n')
		fr->consumed++;
	return HELPER_OK;
}

/*
 * Copy text into dst as one printable ASCII line without quotes or
 * backslashes (other bytes become '?'), truncated to fit: a reason that can
 * stand in any reply, quoted (BH message="...") or not. Returns the length
 * written.
 */
size_t
helper_reason(char *dst, size_t size, const char *text)
{
	size_t	i;

	if (size == 0)
		return 0;
	for (i = 0; text[i] != '\0' && i + 1 < size; i++) {
		if ((unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] >= 0x7f || text[i] == '"' ||
		    text[i] == '\\')
			dst[i] = '?';
		else
			dst[i] = text[i];
	}
	dst[i] = '\0';
	return i;
}
