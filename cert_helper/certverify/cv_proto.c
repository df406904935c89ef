/*
 * The Squid sslcrtvalidator_program wire format (Squid 5.7 to 7.x, read in
 * src/ssl/cert_validate_message.cc and src/ssl/helper.cc):
 *
 *   request: [<id> SP]cert_validate SP <len> SP <body> LF
 *   reply:   [<id> SP]OK SP 0 SP 0x01
 *            [<id> SP]ERR SP <len> SP <errors> 0x01
 *            [<id> SP]BH SP message="<text>" 0x01
 *
 * <len> counts the body only. The request body is "key=value" lines:
 * host=, proto_version=, cipher=, then cert_N=<PEM> for the chain (the one
 * OpenSSL built in Squid's handshake, else the one the origin sent; the
 * PEM runs over several lines), then error_name_N= and error_cert_N=cert_M
 * for each error Squid's own verification met. The reply's errors are
 * error_name_N=, error_reason_N= and error_cert_N=cert_M lines; Squid
 * refuses any key it does not know and any error name it does not know.
 * Every byte here is hostile: this file only parses, it does no I/O, and
 * it is the fuzz target.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "certverify.h"

#define PROTO_CODE		"cert_validate"
#define PROTO_CERT_BEGIN	"-----BEGIN CERTIFICATE-----"
#define PROTO_CERT_END		"-----END CERTIFICATE-----"

/*
 * Find the next complete cert_validate request in buf: helper_frame() with
 * this protocol's code and body limit. A refused request (HELPER_SKIP) is
 * answered BH.
 */
enum helper_status
cv_proto_frame(const char *buf, size_t len, struct helper_frame *fr)
{
	return helper_frame(buf, len, PROTO_CODE, CV_BODY_MAX, fr);
}

/* The index of "<prefix><digits>" (k, kl bytes), or -1. */
static long
cv_proto_index(const char *k, size_t kl, const char *prefix, long max)
{
	size_t	pl = strlen(prefix), i;
	long	v = 0;

	if (kl <= pl || kl > pl + 4 || memcmp(k, prefix, pl) != 0)
		return -1;
	for (i = pl; i < kl; i++) {
		if (!isdigit((unsigned char)k[i]))
			return -1;
		v = v * 10 + (k[i] - '0');
	}
	if (kl - pl > 1 && k[pl] == '0')
		return -1;		/* no leading zeros: "cert_01" */
	return v < max ? v : -1;
}

/* Copy a one-line value into dst (size bytes); -1 when it cannot be. */
static int
cv_proto_copy(char *dst, size_t size, const char *v, size_t vl, int strict)
{
	size_t	i;

	if (vl >= size)
		return -1;
	for (i = 0; i < vl; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			return -1;
		if (strict && !isalnum((unsigned char)v[i]) && v[i] != '_' &&
		    v[i] != '-' && v[i] != '.' && v[i] != ':' &&
		    v[i] != '[' && v[i] != ']')
			return -1;
	}
	memcpy(dst, v, vl);
	dst[vl] = '\0';
	return 0;
}

/* Find the literal lit in s (n bytes); offset or -1. */
static long
cv_proto_find(const char *s, size_t n, const char *lit)
{
	size_t	ll = strlen(lit), i;

	for (i = 0; i + ll <= n; i++) {
		if (s[i] == lit[0] && memcmp(s + i, lit, ll) == 0)
			return (long)i;
	}
	return -1;
}

/* One error-name line: error_name_N=NAME (names are [A-Z0-9_]). */
static int
cv_proto_errname(struct cv_req *req, long n, const char *v, size_t vl)
{
	size_t	i;

	for (i = 0; i < vl; i++) {
		if (!isupper((unsigned char)v[i]) &&
		    !isdigit((unsigned char)v[i]) && v[i] != '_')
			return -1;
	}
	if (vl == 0 || cv_proto_copy(req->errs[n].name,
	    sizeof req->errs[n].name, v, vl, 1) == -1)
		return -1;
	if ((size_t)n + 1 > req->nerrs)
		req->nerrs = (size_t)n + 1;
	return 0;
}

/*
 * Parse a request body into req (whose certificate spans point into b).
 * 0, or -1 with a cause.
 */
int
cv_proto_parse(const char *b, size_t len, struct cv_req *req, char **cause)
{
	size_t		 pos = 0, kl, vl, i;
	const char	*k, *v, *eq, *nl;
	long		 n, end;
	int		 seen_host = 0;

	memset(req, 0, sizeof *req);
	for (i = 0; i < CV_ERRS_MAX; i++)
		req->errs[i].cert = -1;
	while (pos < len) {
		if (isspace((unsigned char)b[pos])) {
			pos++;
			continue;
		}
		k = b + pos;
		nl = memchr(k, '\n', len - pos);
		eq = memchr(k, '=', nl != NULL ? (size_t)(nl - k) :
		    len - pos);
		if (eq == NULL) {
			cause_set(cause, "a line without '='");
			return -1;
		}
		kl = (size_t)(eq - k);
		v = eq + 1;
		if ((n = cv_proto_index(k, kl, "cert_", CV_CERTS_MAX)) >= 0 ||
		    helper_starts(k, kl, "cert_")) {
			if (n < 0) {
				cause_set(cause,
				    "bad or too many certificates");
				return -1;
			}
			vl = len - (size_t)(v - b);
			if (!helper_starts(v, vl, PROTO_CERT_BEGIN) ||
			    (end = cv_proto_find(v, vl, PROTO_CERT_END)) < 0) {
				cause_set(cause, "cert_%ld is no PEM "
				    "certificate", n);
				return -1;
			}
			if (req->certs[n].pem != NULL) {
				cause_set(cause, "cert_%ld twice", n);
				return -1;
			}
			req->certs[n].pem = v;
			req->certs[n].len = (size_t)end +
			    HELPER_LEN(PROTO_CERT_END);
			if ((size_t)n + 1 > req->ncerts)
				req->ncerts = (size_t)n + 1;
			pos = (size_t)(v - b) + req->certs[n].len;
			continue;
		}
		vl = (nl != NULL ? (size_t)(nl - v) : len - (size_t)(v - b));
		if (vl > 0 && v[vl - 1] == '\r')
			vl--;
		pos = (size_t)(v - b) + vl;
		if (HELPER_IS(k, kl, "host")) {
			if (seen_host++ || cv_proto_copy(req->host,
			    sizeof req->host, v, vl, 1) == -1) {
				cause_set(cause, "bad host");
				return -1;
			}
		} else if (HELPER_IS(k, kl, "proto_version")) {
			if (cv_proto_copy(req->proto_version,
			    sizeof req->proto_version, v, vl, 0) == -1)
				req->proto_version[0] = '\0';
		} else if (HELPER_IS(k, kl, "cipher")) {
			if (cv_proto_copy(req->cipher, sizeof req->cipher,
			    v, vl, 0) == -1)
				req->cipher[0] = '\0';
		} else if ((n = cv_proto_index(k, kl, "error_name_",
		    CV_ERRS_MAX)) >= 0) {
			if (cv_proto_errname(req, n, v, vl) == -1) {
				cause_set(cause, "bad error_name_%ld", n);
				return -1;
			}
		} else if ((n = cv_proto_index(k, kl, "error_cert_",
		    CV_ERRS_MAX)) >= 0) {
			req->errs[n].cert = (int)cv_proto_index(v, vl, "cert_",
			    CV_CERTS_MAX);
			if ((size_t)n + 1 > req->nerrs)
				req->nerrs = (size_t)n + 1;
		}
		/* Anything else (a newer Squid's key) is ignored. */
	}
	if (req->ncerts == 0) {
		cause_set(cause, "no certificate");
		return -1;
	}
	for (i = 0; i < req->ncerts; i++) {
		if (req->certs[i].pem == NULL) {
			cause_set(cause, "cert_%zu missing", i);
			return -1;
		}
	}
	for (i = 0; i < req->nerrs; i++) {
		if (req->errs[i].cert >= (int)req->ncerts)
			req->errs[i].cert = -1;
	}
	return 0;
}

static int
cv_proto_id(struct cbuf *out, const struct helper_frame *fr)
{
	if (!fr->has_id)
		return 0;
	return cbuf_printf(out, "%" PRIu64 " ", fr->id);
}

/*
 * Append the answer to fr: "OK 0 " when nothing is reported, else ERR with
 * each finding (its name must be one Squid knows). 0 or -1 (memory).
 */
int
cv_proto_reply(struct cbuf *out, const struct helper_frame *fr,
    const struct cv_finding *f, size_t nf)
{
	struct cbuf	body = { NULL, 0, 0 };
	char		reason[CV_REASON_MAX];
	size_t		i;
	int		rv = -1;

	for (i = 0; i < nf; i++) {
		helper_reason(reason, sizeof reason, f[i].reason);
		if (cbuf_printf(&body, "error_name_%zu=%s\n"
		    "error_reason_%zu=%s\nerror_cert_%zu=cert_%d\n",
		    i, f[i].name, i, reason[0] != '\0' ? reason : f[i].name,
		    i, f[i].cert >= 0 ? f[i].cert : 0) == -1)
			goto out;
	}
	if (cv_proto_id(out, fr) == -1)
		goto out;
	if (nf == 0)
		rv = cbuf_add(out, "OK 0 \001", 6);
	else if (cbuf_printf(out, "ERR %zu ", body.len) == 0 &&
	    cbuf_add(out, body.data, body.len) == 0)
		rv = cbuf_add(out, "\001", 1);
out:
	cbuf_free(&body);
	return rv;
}

/* Append "BH message=..." for a request that cannot be judged. */
int
cv_proto_reply_bh(struct cbuf *out, const struct helper_frame *fr,
    const char *why)
{
	char	text[CV_REASON_MAX];

	helper_reason(text, sizeof text, why);
	if (cv_proto_id(out, fr) == -1)
		return -1;
	return cbuf_printf(out, "BH message=\"sslinspect-certverify: %s\"\001",
	    text);
}
