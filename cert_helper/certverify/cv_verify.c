/*
 * The validation of one request: the chain Squid sent, verified by OpenSSL
 * against the configured trust store with every error collected (not just
 * the first), then the host name, weak keys and signatures, and revocation.
 * Each error becomes a finding: its class (policy.c) and the error name
 * Squid knows it by, with the certificate it concerns.
 */
#include "config.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cause.h"
#include "certverify.h"

/* Squid's own code for a host name mismatch (src/security/forward.h). */
#define VERIFY_SQUID_DOMAIN_MISMATCH	(-1000)
/* Missing issuers fetched by AIA for one chain, at most. */
#define VERIFY_AIA_MAX			2

/*
 * The errors Squid 5.7 to 7.x know by name (src/security/ErrorDetail.cc),
 * with the class each belongs to. A reply may name no other: Squid refuses
 * the whole reply for an unknown name.
 */
static const struct {
	int		 code;
	const char	*name;
	int		 cls;
} cv_verify_errors[] = {
	{ X509_V_ERR_CERT_HAS_EXPIRED, "X509_V_ERR_CERT_HAS_EXPIRED",
	  CV_EXPIRED },
	{ X509_V_ERR_CERT_NOT_YET_VALID, "X509_V_ERR_CERT_NOT_YET_VALID",
	  CV_NOT_YET_VALID },
	{ X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
	  "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT", CV_UNTRUSTED },
	{ X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
	  "X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN", CV_UNTRUSTED },
	{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
	  "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY", CV_UNTRUSTED },
	{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
	  "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT", CV_UNTRUSTED },
	{ X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
	  "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE", CV_UNTRUSTED },
	{ X509_V_ERR_CERT_UNTRUSTED, "X509_V_ERR_CERT_UNTRUSTED",
	  CV_UNTRUSTED },
	{ VERIFY_SQUID_DOMAIN_MISMATCH, "SQUID_X509_V_ERR_DOMAIN_MISMATCH",
	  CV_WRONG_HOST },
	{ X509_V_ERR_HOSTNAME_MISMATCH, "SQUID_X509_V_ERR_DOMAIN_MISMATCH",
	  CV_WRONG_HOST },
	{ X509_V_ERR_IP_ADDRESS_MISMATCH, "SQUID_X509_V_ERR_DOMAIN_MISMATCH",
	  CV_WRONG_HOST },
	{ X509_V_ERR_CERT_REVOKED, "X509_V_ERR_CERT_REVOKED", CV_REVOKED },
	{ X509_V_ERR_EE_KEY_TOO_SMALL, "X509_V_ERR_EE_KEY_TOO_SMALL", CV_WEAK },
	{ X509_V_ERR_CA_KEY_TOO_SMALL, "X509_V_ERR_CA_KEY_TOO_SMALL", CV_WEAK },
	{ X509_V_ERR_CA_MD_TOO_WEAK, "X509_V_ERR_CA_MD_TOO_WEAK", CV_WEAK },
	{ X509_V_ERR_UNABLE_TO_GET_CRL, "X509_V_ERR_UNABLE_TO_GET_CRL",
	  CV_REV_UNKNOWN },
	{ X509_V_ERR_CERT_SIGNATURE_FAILURE,
	  "X509_V_ERR_CERT_SIGNATURE_FAILURE", CV_INVALID },
	{ X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY,
	  "X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", CV_INVALID },
	{ X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
	  "X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE", CV_INVALID },
	{ X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD,
	  "X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD", CV_INVALID },
	{ X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD,
	  "X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD", CV_INVALID },
	{ X509_V_ERR_CERT_CHAIN_TOO_LONG, "X509_V_ERR_CERT_CHAIN_TOO_LONG",
	  CV_INVALID },
	{ X509_V_ERR_INVALID_CA, "X509_V_ERR_INVALID_CA", CV_INVALID },
	{ X509_V_ERR_PATH_LENGTH_EXCEEDED, "X509_V_ERR_PATH_LENGTH_EXCEEDED",
	  CV_INVALID },
	{ X509_V_ERR_INVALID_PURPOSE, "X509_V_ERR_INVALID_PURPOSE",
	  CV_INVALID },
	{ X509_V_ERR_CERT_REJECTED, "X509_V_ERR_CERT_REJECTED", CV_INVALID },
	{ X509_V_ERR_KEYUSAGE_NO_CERTSIGN, "X509_V_ERR_KEYUSAGE_NO_CERTSIGN",
	  CV_INVALID },
	{ X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION,
	  "X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION", CV_INVALID },
	{ X509_V_ERR_INVALID_NON_CA, "X509_V_ERR_INVALID_NON_CA", CV_INVALID },
	{ X509_V_ERR_INVALID_EXTENSION, "X509_V_ERR_INVALID_EXTENSION",
	  CV_INVALID },
	{ X509_V_ERR_PERMITTED_VIOLATION, "X509_V_ERR_PERMITTED_VIOLATION",
	  CV_INVALID },
	{ X509_V_ERR_EXCLUDED_VIOLATION, "X509_V_ERR_EXCLUDED_VIOLATION",
	  CV_INVALID },
	{ X509_V_ERR_PATH_LOOP, "X509_V_ERR_PATH_LOOP", CV_INVALID },
};

#define VERIFY_NERRORS	(sizeof cv_verify_errors / sizeof cv_verify_errors[0])

/* Squid's own errors that the helper cannot find again: passed on. */
static const char *const cv_verify_squid_only[] = {
	"SQUID_X509_V_ERR_CERT_CHANGE",
	"SQUID_X509_V_ERR_INFINITE_VALIDATION",
};

/* The class of an OpenSSL (or Squid) error code. */
int
cv_verify_error_class(int code)
{
	size_t	i;

	for (i = 0; i < VERIFY_NERRORS; i++) {
		if (cv_verify_errors[i].code == code)
			return cv_verify_errors[i].cls;
	}
	return CV_INVALID;
}

/* The name Squid knows an error code by (a generic one when it has none). */
const char *
cv_verify_error_name(int code)
{
	size_t	i;

	for (i = 0; i < VERIFY_NERRORS; i++) {
		if (cv_verify_errors[i].code == code)
			return cv_verify_errors[i].name;
	}
	return "X509_V_ERR_CERT_REJECTED";
}

struct cv_verify_state {
	X509		**certs;	/* the request's, parsed */
	size_t		  ncerts;
	struct cv_finding *f;
	size_t		  max;
	size_t		  n;
};

/* The request's index of x (0, the leaf, when it is not among them). */
static int
cv_verify_index(const struct cv_verify_state *st, X509 *x)
{
	size_t	i;

	for (i = 0; x != NULL && i < st->ncerts; i++) {
		if (st->certs[i] != NULL && X509_cmp(st->certs[i], x) == 0)
			return (int)i;
	}
	return 0;
}

/* Record one error unless it is already there; its index, or -1. */
static int
cv_verify_add(struct cv_verify_state *st, int code, const char *name, int cert,
    int depth, const char *reason)
{
	size_t	i;

	if (name == NULL)
		name = cv_verify_error_name(code);
	for (i = 0; i < st->n; i++) {
		if (strcmp(st->f[i].name, name) == 0 && st->f[i].cert == cert)
			return -1;
	}
	if (st->n == st->max)
		return -1;
	st->f[st->n].cls = cv_verify_error_class(code);
	st->f[st->n].name = name;
	st->f[st->n].cert = cert;
	st->f[st->n].depth = depth;
	snprintf(st->f[st->n].reason, sizeof st->f[st->n].reason, "%s", reason);
	return (int)st->n++;
}

/* Is there a finding of error code? */
static int
cv_verify_found(const struct cv_verify_state *st, int code)
{
	size_t	i;

	for (i = 0; i < st->n; i++) {
		if (strcmp(st->f[i].name, cv_verify_error_name(code)) == 0)
			return 1;
	}
	return 0;
}

static int		cv_verify_ex_index = -1;
static pthread_once_t	cv_verify_once = PTHREAD_ONCE_INIT;

/* Worker threads validate at once: the index is made once, by the first. */
static void
cv_verify_init(void)
{
	cv_verify_ex_index = X509_STORE_CTX_get_ex_new_index(0, NULL, NULL,
	    NULL, NULL);
}

/* OpenSSL's verify callback: note the error, carry on to find the rest. */
static int
cv_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct cv_verify_state	*st;
	int			 err, depth;
	char			 reason[CV_REASON_MAX], subj[120] = "";
	X509			*x;

	if (ok)
		return 1;
	st = X509_STORE_CTX_get_ex_data(ctx, cv_verify_ex_index);
	err = X509_STORE_CTX_get_error(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	x = X509_STORE_CTX_get_current_cert(ctx);
	if (x != NULL)
		X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof subj);
	snprintf(reason, sizeof reason, "%s (depth %d, %s)",
	    X509_verify_cert_error_string(err), depth, subj);
	if (st != NULL)
		(void)cv_verify_add(st, err, NULL, cv_verify_index(st, x),
		    depth, reason);
	return 1;
}

/* The digest of x's signature, or NID_undef. */
static int
cv_verify_sig_digest(const X509 *x)
{
	int	md = NID_undef, pk = NID_undef;

	if (OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk) != 1)
		return NID_undef;
	return md;
}

/* Weak keys and signatures along the chain. */
static void
cv_verify_weak(const struct cv_verifier *v, struct cv_verify_state *st,
    STACK_OF(X509) *chain)
{
	char		 reason[CV_REASON_MAX];
	EVP_PKEY	*k;
	X509		*x;
	int		 i, n = sk_X509_num(chain), bits, id, md, self;

	for (i = 0; i < n; i++) {
		x = sk_X509_value(chain, i);
		if ((k = X509_get0_pubkey(x)) != NULL) {
			bits = EVP_PKEY_get_bits(k);
			id = EVP_PKEY_get_base_id(k);
			if (((id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS ||
			    id == EVP_PKEY_DSA || id == EVP_PKEY_DH) &&
			    bits < v->min_rsa_bits) ||
			    (id == EVP_PKEY_EC && bits < v->min_ec_bits)) {
				snprintf(reason, sizeof reason,
				    "%d-bit %s key at depth %d", bits,
				    id == EVP_PKEY_EC ? "EC" : "RSA/DSA", i);
				cv_verify_add(st, i == 0 ?
				    X509_V_ERR_EE_KEY_TOO_SMALL :
				    X509_V_ERR_CA_KEY_TOO_SMALL, NULL,
				    cv_verify_index(st, x), i, reason);
			}
		}
		/* A trust anchor's own signature counts for nothing. */
		self = (X509_get_extension_flags(x) & EXFLAG_SS) != 0 &&
		    i == n - 1;
		md = cv_verify_sig_digest(x);
		if (!self && (md == NID_sha1 || md == NID_md5 ||
		    md == NID_md5_sha1 || md == NID_md4 || md == NID_md2)) {
			snprintf(reason, sizeof reason,
			    "certificate at depth %d signed with %s", i,
			    OBJ_nid2sn(md));
			cv_verify_add(st, X509_V_ERR_CA_MD_TOO_WEAK, NULL,
			    cv_verify_index(st, x), i, reason);
		}
	}
}

/* Does the leaf name host (a DNS name or an IP literal)? */
static int
cv_verify_host(X509 *leaf, const char *host)
{
	char		ip[CV_HOST_MAX + 1];
	unsigned char	addr[16];
	size_t		n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memcpy(ip, host + 1, n - 2);
		ip[n - 2] = '\0';
	} else
		snprintf(ip, sizeof ip, "%s", host);
	if (inet_pton(AF_INET, ip, addr) == 1 ||
	    inet_pton(AF_INET6, ip, addr) == 1)
		return X509_check_ip_asc(leaf, ip, 0) == 1;
	return X509_check_host(leaf, host, 0, 0, NULL) == 1;
}

/* Revocation of each certificate below the trust anchor. */
static void
cv_verify_revocation(const struct cv_verifier *v, struct cv_verify_state *st,
    X509_STORE_CTX *ctx, STACK_OF(X509) *chain, time_t now)
{
	char		 reason[CV_REASON_MAX];
	X509		*x;
	enum cv_rev	 r;
	int		 i, k, n = sk_X509_num(chain);

	for (i = 0; i + 1 < n; i++) {
		x = sk_X509_value(chain, i);
		reason[0] = '\0';
		r = cv_revoke_check(v->rev, ctx, x, sk_X509_value(chain, i + 1),
		    now, reason, sizeof reason);
		if (r == CV_RS_REVOKED)
			cv_verify_add(st, X509_V_ERR_CERT_REVOKED, NULL,
			    cv_verify_index(st, x), i, reason);
		else if (r == CV_RS_UNKNOWN || r == CV_RS_TIMEOUT) {
			k = cv_verify_add(st, X509_V_ERR_UNABLE_TO_GET_CRL,
			    NULL, cv_verify_index(st, x), i, reason);
			if (k >= 0 && r == CV_RS_TIMEOUT)
				st->f[k].cls = CV_REV_TIMEOUT;
		}
	}
}

/*
 * Validate req's chain at time now. The findings (at most max) go to f
 * and their number to *nf. 0, or -1 with a cause when the request cannot
 * be judged (a certificate that does not parse).
 */
int
cv_verify(const struct cv_verifier *v, const struct cv_req *req, time_t now,
    struct cv_finding *f, size_t max, size_t *nf, char **cause)
{
	struct cv_verify_state	 st = { NULL, 0, f, max, 0 };
	STACK_OF(X509)		*untrusted = NULL, *chain;
	X509_STORE_CTX		*ctx = NULL;
	X509_VERIFY_PARAM	*param;
	BIO			*bio;
	STACK_OF(X509)		*held = NULL;
	X509			*fetched;
	size_t			 i, j;
	int			 rv = -1, trusted = 1, tries;

	*nf = 0;
	pthread_once(&cv_verify_once, cv_verify_init);
	if ((st.certs = calloc(req->ncerts, sizeof *st.certs)) == NULL ||
	    (untrusted = sk_X509_new_null()) == NULL) {
		cause_set(cause, "out of memory");
		goto out;
	}
	st.ncerts = req->ncerts;
	for (i = 0; i < req->ncerts; i++) {
		bio = BIO_new_mem_buf(req->certs[i].pem,
		    (int)req->certs[i].len);
		if (bio != NULL)
			st.certs[i] = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (st.certs[i] == NULL) {
			cause_set(cause, "cert_%zu does not parse", i);
			goto out;
		}
		if (i > 0 && !sk_X509_push(untrusted, st.certs[i])) {
			cause_set(cause, "out of memory");
			goto out;
		}
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, v->store, st.certs[0], untrusted)) {
		cause_set(cause, "cannot set up the verification");
		goto out;
	}
	for (tries = 0;; tries++) {
		X509_STORE_CTX_set_ex_data(ctx, cv_verify_ex_index, &st);
		X509_STORE_CTX_set_verify_cb(ctx, cv_verify_cb);
		param = X509_STORE_CTX_get0_param(ctx);
		X509_VERIFY_PARAM_set_time(param, now);
		X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
		/* Key sizes and digests are judged below, by these rules. */
		X509_VERIFY_PARAM_set_auth_level(param, 0);
		(void)X509_verify_cert(ctx);
		ERR_clear_error();
		/*
		 * A missing issuer: fetch it by AIA caIssuers and verify
		 * again (Squid fetched it too but sends the chain it had).
		 */
		if (tries == VERIFY_AIA_MAX || v->rev == NULL ||
		    !cv_verify_found(&st,
		    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) ||
		    (chain = X509_STORE_CTX_get0_chain(ctx)) == NULL ||
		    (fetched = cv_revoke_issuer(v->rev, sk_X509_value(chain,
		    sk_X509_num(chain) - 1), now)) == NULL)
			break;
		if (!sk_X509_push(untrusted, fetched)) {
			X509_free(fetched);
			break;
		}
		/* untrusted does not own it: held does. */
		if ((held == NULL && (held = sk_X509_new_null()) == NULL) ||
		    !sk_X509_push(held, fetched)) {
			(void)sk_X509_pop(untrusted);
			X509_free(fetched);
			break;
		}
		log_debug("%s: fetched a missing issuer by AIA",
		    req->host[0] ? req->host : "-");
		st.n = 0;
		X509_STORE_CTX_cleanup(ctx);
		if (!X509_STORE_CTX_init(ctx, v->store, st.certs[0],
		    untrusted)) {
			cause_set(cause, "cannot set up the verification");
			goto out;
		}
	}
	for (i = 0; i < st.n; i++) {
		if (f[i].cls == CV_UNTRUSTED || f[i].cls == CV_INVALID)
			trusted = 0;
	}
	if (req->host[0] != '\0' && !cv_verify_host(st.certs[0], req->host))
		cv_verify_add(&st, VERIFY_SQUID_DOMAIN_MISMATCH, NULL, 0, 0,
		    "the certificate does not name the host");
	if ((chain = X509_STORE_CTX_get0_chain(ctx)) != NULL) {
		cv_verify_weak(v, &st, chain);
		/* Revocation is asked of issuers that are trusted only. */
		if (v->rev != NULL && trusted)
			cv_verify_revocation(v, &st, ctx, chain, now);
	}
	/* Squid's own findings that only Squid can make. */
	for (i = 0; i < req->nerrs; i++) {
		for (j = 0; j < sizeof cv_verify_squid_only /
		    sizeof cv_verify_squid_only[0]; j++) {
			if (strcmp(req->errs[i].name,
			    cv_verify_squid_only[j]) == 0)
				cv_verify_add(&st, 0, cv_verify_squid_only[j],
				    req->errs[i].cert >= 0 ?
				    req->errs[i].cert : 0, 0, "found by Squid");
		}
	}
	*nf = st.n;
	rv = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	sk_X509_pop_free(held, X509_free);
	for (i = 0; st.certs != NULL && i < st.ncerts; i++)
		X509_free(st.certs[i]);
	free(st.certs);
	return rv;
}
