/*
 * The Squid sslcrtd_program wire format (Squid 5.x and 6.x):
 *
 *   request: [<id> SP]new_certificate SP <len> SP <body> LF
 *   reply:   [<id> SP]OK SP <len> SP <cert PEM><key PEM> 0x01
 *            [<id> SP]ERR SP <len> SP <reason> 0x01
 *
 * <len> counts the body only. The body is "key=value" lines, then the
 * signing certificate and its private key in PEM, then optionally one space
 * and the origin certificate to mimic. Every byte here is hostile: this file
 * only parses, it does no I/O, and it is the fuzz target.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cause.h"
#include "certgen.h"

#define PROTO_CODE		"new_certificate"
#define PROTO_PARAMS_MAX	32
#define PROTO_PEM_BEGIN		"-----BEGIN "
#define PROTO_PEM_DASHES	"-----"
#define PROTO_PEM_LABEL_MAX	60

/* A literal and its length, for the tables below. */
#define PROTO_NAME(lit)		lit, HELPER_LEN(lit)

/*
 * Find the next complete new_certificate request in buf: helper_frame() with
 * this protocol's code and body limit.
 */
enum helper_status
proto_frame(const char *buf, size_t len, struct helper_frame *fr)
{
	return helper_frame(buf, len, PROTO_CODE, CERTGEN_BODY_MAX, fr);
}

/* Does the span contain a control byte (or a non-ASCII byte)? */
static int
proto_has_ctl(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 1;
	}
	return 0;
}

/* The host Squid connects to; the first parameter of every request. */
static int
proto_set_host(struct proto_req *req, const char *v, size_t vl, char **cause)
{
	if (vl == 0 || vl > CERTGEN_HOST_MAX) {
		cause_set(cause, "host length %zu out of range", vl);
		return -1;
	}
	memcpy(req->host, v, vl);
	req->host[vl] = '\0';
	return 0;
}

/* Squid sends setCommonName=host; any other name is refused. */
static int
proto_set_cn(struct proto_req *req, const char *v, size_t vl, char **cause)
{
	if (vl != strlen(req->host) || memcmp(v, req->host, vl) != 0) {
		cause_set(cause, "setCommonName differs from host");
		return -1;
	}
	req->set_cn = 1;
	return 0;
}

/* Is a flag's value "on" (any case)? */
static int
proto_on(const char *v, size_t vl)
{
	return vl == HELPER_LEN("on") && strncasecmp(v, "on", vl) == 0;
}

static int
proto_set_valid_after(struct proto_req *req, const char *v, size_t vl,
    char **cause)
{
	(void)cause;
	req->valid_after = proto_on(v, vl);
	return 0;
}

static int
proto_set_valid_before(struct proto_req *req, const char *v, size_t vl,
    char **cause)
{
	(void)cause;
	req->valid_before = proto_on(v, vl);
	return 0;
}

/* The Sign= values, in both directions. */
static const struct proto_sign_name {
	const char	*name;
	size_t		 len;
	enum proto_sign	 sign;
} proto_signs[] = {
	{ PROTO_NAME("signTrusted"), PROTO_SIGN_TRUSTED },
	{ PROTO_NAME("signUntrusted"), PROTO_SIGN_UNTRUSTED },
	{ PROTO_NAME("signSelf"), PROTO_SIGN_SELF },
};

static int
proto_set_sign(struct proto_req *req, const char *v, size_t vl, char **cause)
{
	size_t	i;

	for (i = 0; i < sizeof proto_signs / sizeof proto_signs[0]; i++) {
		if (vl == proto_signs[i].len &&
		    memcmp(v, proto_signs[i].name, vl) == 0) {
			req->sign = proto_signs[i].sign;
			return 0;
		}
	}
	cause_set(cause, "unknown Sign value");
	return -1;
}

static int
proto_set_sign_hash(struct proto_req *req, const char *v, size_t vl,
    char **cause)
{
	if (vl == 0 || vl >= sizeof req->sign_hash) {
		cause_set(cause, "bad SignHash value");
		return -1;
	}
	memcpy(req->sign_hash, v, vl);
	req->sign_hash[vl] = '\0';
	return 0;
}

/*
 * The parameters this helper reads; any other key is ignored, as Squid's
 * own helper does. Lengths come from the compiler, never from a count.
 */
static const struct proto_key {
	const char	*name;
	size_t		 len;
	int		(*set)(struct proto_req *, const char *, size_t,
			    char **);
} proto_keys[] = {
	{ PROTO_NAME("host"), proto_set_host },
	{ PROTO_NAME("setCommonName"), proto_set_cn },
	{ PROTO_NAME("setValidAfter"), proto_set_valid_after },
	{ PROTO_NAME("setValidBefore"), proto_set_valid_before },
	{ PROTO_NAME("Sign"), proto_set_sign },
	{ PROTO_NAME("SignHash"), proto_set_sign_hash },
};

/* Store one "key=value" through its handler; 0 or -1 with a cause. */
static int
proto_param(struct proto_req *req, const char *k, size_t kl, const char *v,
    size_t vl, char **cause)
{
	size_t	i;

	for (i = 0; i < sizeof proto_keys / sizeof proto_keys[0]; i++) {
		if (kl == proto_keys[i].len &&
		    memcmp(k, proto_keys[i].name, kl) == 0)
			return proto_keys[i].set(req, v, vl, cause);
	}
	return 0;	/* unknown keys are ignored */
}

/* Is the key a token of letters, digits, '-' and '_'? */
static int
proto_key_ok(const char *k, size_t kl)
{
	size_t	i;

	if (kl == 0 || kl > 64)
		return 0;
	for (i = 0; i < kl; i++) {
		if (!isalnum((unsigned char)k[i]) && k[i] != '-' && k[i] != '_')
			return 0;
	}
	return 1;
}

/*
 * Parse the key=value lines at the start of the body. Returns the offset of
 * the first PEM line, or -1 with a cause. The host must come first: Squid
 * always writes it there, and a setCommonName check needs it.
 */
static long
proto_params(const char *b, size_t len, struct proto_req *req, char **cause)
{
	const char	*keys[PROTO_PARAMS_MAX], *line, *eq;
	size_t		 klens[PROTO_PARAMS_MAX], nkeys = 0, pos = 0;
	size_t		 eol, ll, i;

	while (pos < len && !helper_starts(b + pos, len - pos, "-----BEGIN")) {
		eol = helper_eol(b, len, pos);
		line = b + pos;
		ll = eol - pos;
		pos = eol;
		while (ll > 0 && (line[ll - 1] == '\n' || line[ll - 1] == '\r'))
			ll--;
		if (ll == 0)
			continue;
		if ((eq = memchr(line, '=', ll)) == NULL) {
			cause_set(cause, "parameter line without '='");
			return -1;
		}
		if (!proto_key_ok(line, (size_t)(eq - line))) {
			cause_set(cause, "malformed parameter name");
			return -1;
		}
		if (proto_has_ctl(eq + 1, ll - (size_t)(eq - line) - 1)) {
			cause_set(cause, "control byte in parameter value");
			return -1;
		}
		if (nkeys == PROTO_PARAMS_MAX) {
			cause_set(cause, "too many parameters");
			return -1;
		}
		klens[nkeys] = (size_t)(eq - line);
		keys[nkeys] = line;
		for (i = 0; i < nkeys; i++) {
			if (klens[i] == klens[nkeys] &&
			    memcmp(keys[i], line, klens[i]) == 0) {
				cause_set(cause, "duplicate parameter %.*s",
				    (int)klens[i], line);
				return -1;
			}
		}
		if (nkeys == 0 && !HELPER_IS(line, klens[0], "host")) {
			cause_set(cause, "first parameter is not host");
			return -1;
		}
		nkeys++;
		if (proto_param(req, line, (size_t)(eq - line), eq + 1,
		    ll - (size_t)(eq - line) - 1, cause) == -1)
			return -1;
	}
	if (req->host[0] == '\0') {
		cause_set(cause, "no host parameter");
		return -1;
	}
	return (long)pos;
}

/*
 * Find a PEM block whose BEGIN line is at b[pos] and whose label ends with
 * suffix. Returns the block's length through its END line, or 0.
 */
static size_t
proto_pem(const char *b, size_t len, size_t pos, const char *suffix,
    const char **label, size_t *labellen)
{
	const char	*p = b + pos, *eol, *end;
	size_t		 n = len - pos, ll, sl = strlen(suffix);
	char		 marker[96];

	if (!helper_starts(p, n, PROTO_PEM_BEGIN) ||
	    (eol = memchr(p, '\n', n)) == NULL)
		return 0;
	ll = (size_t)(eol - p);
	if (ll > 0 && p[ll - 1] == '\r')
		ll--;
	if (ll < HELPER_LEN(PROTO_PEM_BEGIN) + sl ||
	    ll > HELPER_LEN(PROTO_PEM_BEGIN) + PROTO_PEM_LABEL_MAX ||
	    memcmp(p + ll - sl, suffix, sl) != 0)
		return 0;
	*label = p + HELPER_LEN(PROTO_PEM_BEGIN);
	*labellen = ll - HELPER_LEN(PROTO_PEM_BEGIN) -
	    HELPER_LEN(PROTO_PEM_DASHES);
	snprintf(marker, sizeof marker, "-----END %.*s-----", (int)*labellen,
	    *label);
	if ((end = memmem(eol, n - (size_t)(eol - p), marker,
	    strlen(marker))) == NULL)
		return 0;
	return (size_t)(end - p) + strlen(marker);
}

/* Skip spaces and line ends; returns the new position. */
static size_t
proto_skip_ws(const char *b, size_t len, size_t pos)
{
	while (pos < len && (b[pos] == ' ' || b[pos] == '\n' ||
	    b[pos] == '\r' || b[pos] == '\t'))
		pos++;
	return pos;
}

/* Locate the CA certificate, its key and the optional mimic certificate. */
static int
proto_pems(const char *b, size_t len, size_t pos, struct proto_req *req,
    char **cause)
{
	const char	*label;
	size_t		 n, ll;

	n = proto_pem(b, len, pos, "CERTIFICATE" PROTO_PEM_DASHES, &label, &ll);
	if (n == 0 || !HELPER_IS(label, ll, "CERTIFICATE")) {
		cause_set(cause, "no signing certificate");
		return -1;
	}
	req->ca_cert = b + pos;
	req->ca_cert_len = n;
	pos = proto_skip_ws(b, len, pos + n);
	n = proto_pem(b, len, pos, "PRIVATE KEY" PROTO_PEM_DASHES, &label, &ll);
	if (n == 0 || memmem(label, ll, "ENCRYPTED",
	    HELPER_LEN("ENCRYPTED")) != NULL) {
		cause_set(cause, "no usable signing key");
		return -1;
	}
	req->ca_key = b + pos;
	req->ca_key_len = n;
	pos = proto_skip_ws(b, len, pos + n);
	n = proto_pem(b, len, pos, "CERTIFICATE" PROTO_PEM_DASHES, &label, &ll);
	if (n != 0 && HELPER_IS(label, ll, "CERTIFICATE")) {
		req->mimic = b + pos;
		req->mimic_len = n;
	}
	return 0;
}

/*
 * Parse a request body into req; pointers in req point into b. Returns 0,
 * or -1 with a cause safe to log and to send back (no key bytes in it).
 */
int
proto_parse(const char *b, size_t len, struct proto_req *req, char **cause)
{
	long	pos;

	memset(req, 0, sizeof *req);
	if (memchr(b, '\0', len) != NULL) {
		cause_set(cause, "NUL byte in request");
		return -1;
	}
	if ((pos = proto_params(b, len, req, cause)) == -1)
		return -1;
	if (hostname_check(req->host, strlen(req->host), 1) == HOSTNAME_BAD) {
		cause_set(cause, "host is not a valid DNS name or IP literal");
		return -1;
	}
	return proto_pems(b, len, (size_t)pos, req, cause);
}

/*
 * Write "[<id> ]OK <len> " (ok) or "[<id> ]ERR <len> " into buf. Returns
 * its length (0 if buf is too small).
 */
size_t
proto_reply_head(char *buf, size_t size, const struct helper_frame *fr, int ok,
    size_t body_len)
{
	char	id[24] = "";
	int	n;

	if (fr->has_id)
		snprintf(id, sizeof id, "%" PRIu64 " ", fr->id);
	n = snprintf(buf, size, "%s%s %zu ", id, ok ? "OK" : "ERR", body_len);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}


/* The wire name of a Sign= value. */
const char *
proto_sign_name(enum proto_sign s)
{
	size_t	i;

	for (i = 0; i < sizeof proto_signs / sizeof proto_signs[0]; i++) {
		if (proto_signs[i].sign == s)
			return proto_signs[i].name;
	}
	return "signTrusted";
}
