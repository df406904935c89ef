/*
 * Revocation: OCSP (the certificate's AIA OCSP URL) and CRLs (its CRL
 * distribution points), fetched over HTTP with libcurl, each with a time
 * limit, and kept in a small per-process cache: a CRL by its URL and an
 * OCSP answer by the certificate's id, until the answer's nextUpdate or
 * cache-time, whichever comes first. A failed fetch is remembered for a
 * short while, and a server that did not answer (timeout, refused) is
 * remembered by its address, so that a dead server costs one timeout for
 * every certificate that names it, not one per connection or per
 * certificate. OCSP is asked first; a CRL only when OCSP gives no answer.
 *
 * Worker threads share the cache (cv_pool.c): it is locked only around a
 * lookup or an insert, never across a fetch, so one slow server holds up
 * only the requests that wait on it.
 *
 * Squid does not pass a stapled OCSP response to the validator (the
 * request holds host, protocol, cipher, chain and errors only), so the
 * stapled answer cannot be used here.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certverify.h"

#define REV_BODY_MAX	(16 * 1024 * 1024)	/* largest CRL fetched */
#define REV_FAIL_TTL	30		/* seconds a failure is kept */
#define REV_URLS_MAX	4		/* of each kind per certificate */

struct cv_revoke_entry {
	char		*key;
	time_t		 expires;
	int		 failed;	/* 0, or CV_RS_UNKNOWN/TIMEOUT */
	X509_CRL	*crl;		/* a CRL entry */
	X509		*issuer;	/* an issuer fetched by AIA */
	int		 status;	/* an OCSP entry: V_OCSP_CERTSTATUS_* */
	int		 is_ocsp;
};

struct cv_revoker {
	long		 timeout;
	long		 cache_time;
	size_t		 max;
	pthread_mutex_t	 lock;		/* e and n */
	struct cv_revoke_entry *e;
	size_t		 n;
};

struct cv_revoker *
cv_revoke_new(long timeout, long cache_time, size_t max)
{
	struct cv_revoker	*r;

	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (r->e = calloc(max, sizeof *r->e)) == NULL) {
		free(r);
		return NULL;
	}
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r->e);
		free(r);
		return NULL;
	}
	r->timeout = timeout;
	r->cache_time = cache_time;
	r->max = max;
	return r;
}

static void
cv_revoke_entry_clear(struct cv_revoke_entry *e)
{
	free(e->key);
	X509_CRL_free(e->crl);
	X509_free(e->issuer);
	memset(e, 0, sizeof *e);
}

void
cv_revoke_free(struct cv_revoker *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		cv_revoke_entry_clear(&r->e[i]);
	pthread_mutex_destroy(&r->lock);
	free(r->e);
	free(r);
}

/*
 * The live entry for key, or NULL (expired ones are dropped). The caller
 * holds r->lock, and copies what it needs before letting go of it.
 */
static struct cv_revoke_entry *
cv_revoke_get(struct cv_revoker *r, const char *key, time_t now)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->e[i].key, key) != 0)
			continue;
		if (r->e[i].expires > now)
			return &r->e[i];
		cv_revoke_entry_clear(&r->e[i]);
		r->e[i] = r->e[--r->n];
		memset(&r->e[r->n], 0, sizeof r->e[r->n]);
		return NULL;
	}
	return NULL;
}

/*
 * A new entry for key (the one that expires first makes room), or the
 * old one for key emptied, when another worker put it meanwhile. The
 * caller holds r->lock.
 */
static struct cv_revoke_entry *
cv_revoke_put(struct cv_revoker *r, const char *key, time_t expires)
{
	struct cv_revoke_entry	*e;
	size_t			 i, old = 0;
	char			*k;

	if ((k = strdup(key)) == NULL)
		return NULL;
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->e[i].key, key) == 0)
			break;
	}
	if (i < r->n)
		old = i;
	else if (r->n < r->max)
		old = r->n++;
	else {
		for (i = 1; i < r->n; i++) {
			if (r->e[i].expires < r->e[old].expires)
				old = i;
		}
	}
	e = &r->e[old];
	cv_revoke_entry_clear(e);
	e->key = k;
	e->expires = expires;
	return e;
}

struct cv_revoke_body {
	unsigned char	*p;
	size_t		 len;
};

static size_t
cv_revoke_write(char *p, size_t size, size_t n, void *arg)
{
	struct cv_revoke_body	*b = arg;
	unsigned char	*np;

	if (n != 0 && size > REV_BODY_MAX / n)
		return 0;
	n *= size;
	if (b->len + n > REV_BODY_MAX ||
	    (np = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	memcpy(np + b->len, p, n);
	b->p = np;
	b->len += n;
	return n;
}

/*
 * GET url (or POST post, of type ctype) into b, which the caller has
 * zeroed: CV_RS_GOOD with the body, or
 * CV_RS_TIMEOUT / CV_RS_UNKNOWN with a reason; *down is set when it is the
 * server that failed (no answer, refused, no address), not the URL.
 */
static enum cv_rev
cv_revoke_get_url(const struct cv_revoker *r, const char *url,
    const void *post, size_t postlen, const char *ctype,
    struct cv_revoke_body *b, char *why, size_t whylen, int *down)
{
	struct curl_slist	*h = NULL;
	CURL			*c;
	CURLcode		 rc;
	long			 code = 0;
	char			 hdr[128];

	if ((c = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return CV_RS_UNKNOWN;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, r->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r->timeout);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cv_revoke_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sslinspect-certverify");
	/* Never through a proxy: this is the proxy. */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (post != NULL) {
		snprintf(hdr, sizeof hdr, "Content-Type: %s", ctype);
		h = curl_slist_append(NULL, hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)postlen);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (rc == CURLE_OK && code == 200 && b->len > 0)
		return CV_RS_GOOD;
	free(b->p);
	b->p = NULL;
	*down = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT ||
	    rc == CURLE_COULDNT_RESOLVE_HOST;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, whylen, "%s did not answer within %ld s", url,
		    r->timeout);
		return CV_RS_TIMEOUT;
	}
	if (rc != CURLE_OK)
		snprintf(why, whylen, "%s: %s", url, curl_easy_strerror(rc));
	else
		snprintf(why, whylen, "%s: HTTP status %ld", url, code);
	return CV_RS_UNKNOWN;
}

/* The key a server that failed is kept by: "down HOST:PORT" of url. */
static int
cv_revoke_server_key(const char *url, char *key, size_t size)
{
	CURLU	*u;
	char	*host = NULL, *port = NULL;
	int	 rv = -1;

	if ((u = curl_url()) != NULL &&
	    curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK && (size_t)snprintf(key, size, "down %s:%s", host,
	    port) < size)
		rv = 0;
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rv;
}

/*
 * cv_revoke_get_url(), unless url's server failed a moment ago: then its
 * failure again, at once.
 */
static enum cv_rev
cv_revoke_fetch(struct cv_revoker *r, const char *url, const void *post,
    size_t postlen, const char *ctype, time_t now, struct cv_revoke_body *b,
    char *why, size_t whylen)
{
	struct cv_revoke_entry	*e;
	char			 key[300];
	enum cv_rev		 st = CV_RS_GOOD;
	int			 known, down = 0;

	memset(b, 0, sizeof *b);
	known = cv_revoke_server_key(url, key, sizeof key) == 0;
	if (known) {
		pthread_mutex_lock(&r->lock);
		if ((e = cv_revoke_get(r, key, now)) != NULL)
			st = (enum cv_rev)e->failed;
		pthread_mutex_unlock(&r->lock);
	}
	if (st == CV_RS_TIMEOUT) {
		snprintf(why, whylen, "%s did not answer within %ld s (its "
		    "server, a moment ago; asked again after %d s)", url,
		    r->timeout, REV_FAIL_TTL);
		return st;
	}
	if (st != CV_RS_GOOD) {
		snprintf(why, whylen, "%s: its server could not be reached a "
		    "moment ago (asked again after %d s)", url, REV_FAIL_TTL);
		return st;
	}
	st = cv_revoke_get_url(r, url, post, postlen, ctype, b, why, whylen,
	    &down);
	if (known && down) {
		pthread_mutex_lock(&r->lock);
		if ((e = cv_revoke_put(r, key, now + REV_FAIL_TTL)) != NULL)
			e->failed = (int)st;
		pthread_mutex_unlock(&r->lock);
	}
	return st;
}

static time_t
cv_revoke_time(const ASN1_TIME *t)
{
	struct tm	tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* How long an answer valid until next (0: unknown) is kept. */
static time_t
cv_revoke_expiry(const struct cv_revoker *r, time_t now, time_t next)
{
	time_t	e = now + r->cache_time;

	return next != 0 && next < e ? next : e;
}

/* The URIs of x's CRL distribution points. */
static size_t
cv_revoke_crl_urls(X509 *x, char **urls, size_t max)
{
	STACK_OF(DIST_POINT)	*dps;
	DIST_POINT		*dp;
	GENERAL_NAMES		*names;
	GENERAL_NAME		*gn;
	ASN1_IA5STRING		*uri;
	size_t			 n = 0;
	int			 i, j;

	dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	for (i = 0; dps != NULL && i < sk_DIST_POINT_num(dps); i++) {
		dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (j = 0; j < sk_GENERAL_NAME_num(names); j++) {
			gn = sk_GENERAL_NAME_value(names, j);
			if (gn->type != GEN_URI || n == max)
				continue;
			uri = gn->d.uniformResourceIdentifier;
			if ((urls[n] = strndup((const char *)
			    ASN1_STRING_get0_data(uri),
			    (size_t)ASN1_STRING_length(uri))) != NULL)
				n++;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return n;
}

/*
 * The CRL at url, signed by issuer and current; from the cache if kept.
 * *out is the caller's reference, to free.
 */
static enum cv_rev
cv_revoke_crl(struct cv_revoker *r, const char *url, X509 *issuer, time_t now,
    X509_CRL **out, char *why, size_t whylen)
{
	struct cv_revoke_entry	*e;
	struct cv_revoke_body	 b;
	const unsigned char	*p;
	X509_CRL		*crl = NULL;
	enum cv_rev		 st = CV_RS_GOOD;
	time_t			 next;
	BIO			*bio;
	int			 found = 0;

	pthread_mutex_lock(&r->lock);
	if ((e = cv_revoke_get(r, url, now)) != NULL) {
		found = 1;
		st = (enum cv_rev)e->failed;
		if (e->crl != NULL && X509_CRL_up_ref(e->crl) == 1)
			*out = e->crl;
	}
	pthread_mutex_unlock(&r->lock);
	if (found) {
		if (st != CV_RS_GOOD)
			snprintf(why, whylen, "%s failed a moment ago", url);
		return st;
	}
	if ((st = cv_revoke_fetch(r, url, NULL, 0, NULL, now, &b, why,
	    whylen)) == CV_RS_GOOD) {
		p = b.p;
		if ((crl = d2i_X509_CRL(NULL, &p, (long)b.len)) == NULL &&
		    (bio = BIO_new_mem_buf(b.p, (int)b.len)) != NULL) {
			crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
			BIO_free(bio);
		}
		free(b.p);
		ERR_clear_error();
		next = crl != NULL ?
		    cv_revoke_time(X509_CRL_get0_nextUpdate(crl)) : 0;
		if (crl == NULL ||
		    X509_NAME_cmp(X509_CRL_get_issuer(crl),
		    X509_get_subject_name(issuer)) != 0 ||
		    X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1 ||
		    (next != 0 && next <= now)) {
			snprintf(why, whylen, "%s: %s", url, crl == NULL ?
			    "not a CRL" : next != 0 && next <= now ?
			    "CRL past its nextUpdate" :
			    "CRL not signed by the issuer");
			X509_CRL_free(crl);
			ERR_clear_error();
			crl = NULL;
			st = CV_RS_UNKNOWN;
		}
	}
	pthread_mutex_lock(&r->lock);
	if (crl == NULL) {
		if ((e = cv_revoke_put(r, url, now + REV_FAIL_TTL)) != NULL)
			e->failed = (int)st;
	} else if ((e = cv_revoke_put(r, url, cv_revoke_expiry(r, now,
	    next))) != NULL && X509_CRL_up_ref(crl) == 1)
		e->crl = crl;		/* the cache's reference */
	pthread_mutex_unlock(&r->lock);
	*out = crl;
	return crl != NULL ? CV_RS_GOOD : st;
}

/* OCSP for x from url; GOOD, REVOKED, UNKNOWN or TIMEOUT. */
static enum cv_rev
cv_revoke_ocsp(struct cv_revoker *r, X509_STORE_CTX *ctx, const char *url,
    X509 *x, X509 *issuer, time_t now, char *why, size_t whylen)
{
	struct cv_revoke_entry	*e;
	struct cv_revoke_body	 b;
	OCSP_REQUEST		*req = NULL;
	OCSP_RESPONSE		*resp = NULL;
	OCSP_BASICRESP		*bs = NULL;
	OCSP_CERTID		*id, *id2;
	ASN1_GENERALIZEDTIME	*thisupd = NULL, *nextupd = NULL;
	STACK_OF(X509)		*others = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	char			 key[600], serial[80] = "";
	ASN1_INTEGER		*sn;
	BIGNUM			*bn;
	char			*hex;
	enum cv_rev		 st = CV_RS_UNKNOWN;
	int			 len, status = -1, reason = -1, failed = 0;
	int			 found = 0;

	if ((id = OCSP_cert_to_id(NULL, x, issuer)) == NULL)
		return CV_RS_UNKNOWN;
	sn = X509_get_serialNumber(x);
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL &&
	    (hex = BN_bn2hex(bn)) != NULL) {
		snprintf(serial, sizeof serial, "%s", hex);
		OPENSSL_free(hex);
	}
	BN_free(bn);
	{
		char	iname[256];

		X509_NAME_oneline(X509_get_subject_name(issuer), iname,
		    sizeof iname);
		snprintf(key, sizeof key, "ocsp %s %s %s", url, iname, serial);
	}
	pthread_mutex_lock(&r->lock);
	if ((e = cv_revoke_get(r, key, now)) != NULL) {
		found = 1;
		failed = e->failed;
		status = e->status;
	}
	pthread_mutex_unlock(&r->lock);
	if (found) {
		OCSP_CERTID_free(id);
		if (failed) {
			snprintf(why, whylen, "%s failed a moment ago", url);
			return (enum cv_rev)failed;
		}
		if (status == V_OCSP_CERTSTATUS_REVOKED) {
			snprintf(why, whylen, "revoked (OCSP %s, cached)", url);
			return CV_RS_REVOKED;
		}
		if (status == V_OCSP_CERTSTATUS_GOOD)
			return CV_RS_GOOD;
		snprintf(why, whylen, "OCSP %s: status unknown", url);
		return CV_RS_UNKNOWN;
	}
	if ((req = OCSP_REQUEST_new()) == NULL ||
	    (id2 = OCSP_CERTID_dup(id)) == NULL ||
	    OCSP_request_add0_id(req, id2) == NULL ||
	    (len = i2d_OCSP_REQUEST(req, &der)) <= 0)
		goto out;
	st = cv_revoke_fetch(r, url, der, (size_t)len,
	    "application/ocsp-request", now, &b, why, whylen);
	if (st != CV_RS_GOOD)
		goto fail;
	p = b.p;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)b.len);
	free(b.p);
	st = CV_RS_UNKNOWN;
	if (resp == NULL || OCSP_response_status(resp) !=
	    OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL) {
		snprintf(why, whylen, "OCSP %s: no usable response", url);
		goto fail;
	}
	if ((others = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(others, issuer) ||
	    OCSP_basic_verify(bs, others, X509_STORE_CTX_get0_store(ctx),
	    0) != 1) {
		snprintf(why, whylen, "OCSP %s: response not signed by the "
		    "issuer or its responder", url);
		goto fail;
	}
	if (OCSP_resp_find_status(bs, id, &status, &reason, NULL, &thisupd,
	    &nextupd) != 1 || OCSP_check_validity(thisupd, nextupd, 300,
	    -1) != 1) {
		snprintf(why, whylen, "OCSP %s: no current status for the "
		    "certificate", url);
		goto fail;
	}
	pthread_mutex_lock(&r->lock);
	if ((e = cv_revoke_put(r, key, cv_revoke_expiry(r, now,
	    cv_revoke_time(nextupd)))) != NULL) {
		e->is_ocsp = 1;
		e->status = status;
	}
	pthread_mutex_unlock(&r->lock);
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		snprintf(why, whylen, "revoked (OCSP %s%s%s)", url,
		    reason >= 0 ? ", " : "", reason >= 0 ?
		    OCSP_crl_reason_str(reason) : "");
		st = CV_RS_REVOKED;
	} else if (status == V_OCSP_CERTSTATUS_GOOD)
		st = CV_RS_GOOD;
	else
		snprintf(why, whylen, "OCSP %s: status unknown", url);
	goto out;
fail:
	pthread_mutex_lock(&r->lock);
	if ((e = cv_revoke_put(r, key, now + REV_FAIL_TTL)) != NULL)
		e->failed = (int)st;
	pthread_mutex_unlock(&r->lock);
out:
	ERR_clear_error();
	sk_X509_free(others);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	OPENSSL_free(der);
	return st;
}

/*
 * Is x (issued by issuer) revoked? GOOD also when x names neither an OCSP
 * responder nor a CRL: there is nothing to ask. why gets the reason for
 * anything but GOOD.
 */
enum cv_rev
cv_revoke_check(struct cv_revoker *r, X509_STORE_CTX *ctx, X509 *x,
    X509 *issuer, time_t now, char *why, size_t whylen)
{
	STACK_OF(OPENSSL_STRING)	*ocsp;
	X509_REVOKED			*rv;
	X509_CRL			*crl;
	char				*urls[REV_URLS_MAX];
	enum cv_rev			 st, worst = CV_RS_GOOD;
	size_t				 i, n;
	int				 asked = 0;

	ocsp = X509_get1_ocsp(x);
	for (i = 0; ocsp != NULL && i < (size_t)sk_OPENSSL_STRING_num(ocsp) &&
	    i < REV_URLS_MAX; i++) {
		asked = 1;
		st = cv_revoke_ocsp(r, ctx, sk_OPENSSL_STRING_value(ocsp,
		    (int)i), x, issuer, now, why, whylen);
		if (st == CV_RS_GOOD || st == CV_RS_REVOKED) {
			X509_email_free(ocsp);
			return st;
		}
		if (worst == CV_RS_GOOD || st == CV_RS_UNKNOWN)
			worst = st;
	}
	X509_email_free(ocsp);
	n = cv_revoke_crl_urls(x, urls, REV_URLS_MAX);
	for (i = 0; i < n; i++) {
		asked = 1;
		crl = NULL;
		st = cv_revoke_crl(r, urls[i], issuer, now, &crl, why, whylen);
		if (st == CV_RS_GOOD && crl != NULL) {
			if (X509_CRL_get0_by_cert(crl, &rv, x) == 1) {
				snprintf(why, whylen, "revoked (CRL %s)",
				    urls[i]);
				st = CV_RS_REVOKED;
			}
			X509_CRL_free(crl);
			worst = st;
			break;
		}
		if (worst == CV_RS_GOOD || st == CV_RS_UNKNOWN)
			worst = st;
	}
	for (i = 0; i < n; i++)
		free(urls[i]);
	return asked ? worst : CV_RS_GOOD;
}

/* The issuer in body b (DER, or PEM) if it issued x, or NULL. */
static X509 *
cv_revoke_parse_issuer(const struct cv_revoke_body *b, X509 *x)
{
	const unsigned char	*p = b->p;
	X509			*issuer;
	BIO			*bio;

	if ((issuer = d2i_X509(NULL, &p, (long)b->len)) == NULL &&
	    (bio = BIO_new_mem_buf(b->p, (int)b->len)) != NULL) {
		issuer = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	ERR_clear_error();
	if (issuer != NULL && X509_check_issued(issuer, x) != X509_V_OK) {
		X509_free(issuer);
		issuer = NULL;
	}
	return issuer;
}

/*
 * The issuer of x from its AIA caIssuers URL (DER, or PEM), for an origin
 * that does not send its intermediate. Squid fetches it too, but passes
 * the helper the chain as it was before the fetch. NULL when there is
 * none; failures are remembered like those of CRLs. An issuer fetched is
 * kept the cache time (--cache-time) under its URL: Squid keeps a verdict
 * per chain and host for a minute only, and every site under that
 * intermediate needs it, so without the cache each validation of such a
 * site waits on the fetch again.
 */
X509 *
cv_revoke_issuer(struct cv_revoker *r, X509 *x, time_t now)
{
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ad;
	struct cv_revoke_entry	*e;
	struct cv_revoke_body	 b;
	X509			*issuer = NULL;
	char			 key[600], why[CV_REASON_MAX], *url;
	int			 i, known;

	aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	for (i = 0; aia != NULL && issuer == NULL &&
	    i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		if (OBJ_obj2nid(ad->method) != NID_ad_ca_issuers ||
		    ad->location->type != GEN_URI)
			continue;
		url = (char *)ASN1_STRING_get0_data(
		    ad->location->d.uniformResourceIdentifier);
		snprintf(key, sizeof key, "issuer %s", url);
		pthread_mutex_lock(&r->lock);
		if ((known = (e = cv_revoke_get(r, key, now)) != NULL) &&
		    e->issuer != NULL && X509_check_issued(e->issuer, x) ==
		    X509_V_OK && X509_up_ref(e->issuer) == 1)
			issuer = e->issuer;
		pthread_mutex_unlock(&r->lock);
		if (known)
			continue;
		if (cv_revoke_fetch(r, url, NULL, 0, NULL, now, &b, why,
		    sizeof why) != CV_RS_GOOD)
			issuer = NULL;
		else if ((issuer = cv_revoke_parse_issuer(&b, x)) == NULL)
			snprintf(why, sizeof why, "%s: not its issuer", url);
		free(b.p);
		if (issuer == NULL)
			log_debug("issuer of a certificate: %s", why);
		pthread_mutex_lock(&r->lock);
		if ((e = cv_revoke_put(r, key, now + (issuer != NULL ?
		    r->cache_time : REV_FAIL_TTL))) != NULL) {
			if (issuer == NULL)
				e->failed = CV_RS_UNKNOWN;
			else if (X509_up_ref(issuer) == 1)
				e->issuer = issuer;
		}
		pthread_mutex_unlock(&r->lock);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	return issuer;
}
