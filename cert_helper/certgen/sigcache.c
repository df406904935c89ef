/*
 * The signing CAs Squid sends. Squid repeats the same CA certificate and
 * key PEM in every request, so each distinct pair is parsed and checked
 * once and then found by a digest of its bytes; the key stays in memory
 * only as an EVP_PKEY, never as text.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cause.h"
#include "certgen.h"

struct sigcache_ent {
	unsigned char	digest[32];	/* SHA-256 of cert PEM, 0, key PEM */
	struct signer	ca;
	int		used;
};

struct sigcache {
	struct sigcache_ent	*ents;
	size_t			 n;
	unsigned long		 tick;
	unsigned long		*last;	/* per entry: tick of last use */
};

/* A PEM passphrase callback that refuses: never prompt on a terminal. */
static int
sigcache_nopass(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Lowercase hex of n bytes into dst (2n+1 bytes). */
static void
sigcache_hex(const unsigned char *p, size_t n, char *dst)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		dst[2 * i] = digits[p[i] >> 4];
		dst[2 * i + 1] = digits[p[i] & 0xf];
	}
	dst[2 * n] = '\0';
}

/*
 * The CA's key identifier: its subjectKeyIdentifier, or (a CA without one,
 * such as Squid's "Not trusted by" CA) the SHA-1 of its public key bits,
 * RFC 5280 method 1.
 */
static int
sigcache_keyid(struct signer *ca)
{
	const ASN1_OCTET_STRING	*ski;
	const unsigned char	*pk;
	int			 pklen;
	unsigned int		 mdlen;
	X509_PUBKEY		*xpk;

	ski = X509_get0_subject_key_id(ca->cert);
	if (ski != NULL && ski->length > 0 && ski->length <= EVP_MAX_MD_SIZE) {
		memcpy(ca->keyid, ski->data, (size_t)ski->length);
		ca->keyid_len = (size_t)ski->length;
	} else {
		xpk = X509_get_X509_PUBKEY(ca->cert);
		if (!X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, xpk) ||
		    !EVP_Digest(pk, (size_t)pklen, ca->keyid, &mdlen,
		    EVP_sha1(), NULL))
			return -1;
		ca->keyid_len = mdlen;
	}
	sigcache_hex(ca->keyid, ca->keyid_len, ca->keyid_hex);
	return 0;
}

/* Free what a signer holds and zero it. */
void
sigcache_clear(struct signer *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	OPENSSL_cleanse(ca, sizeof *ca);
}

/*
 * Parse and check a CA certificate and its private key: both must parse,
 * the key must be the certificate's, and the certificate must be in its
 * validity period's bounds (dates readable). Returns 0, or -1 with a cause.
 */
int
sigcache_load(struct signer *ca, const char *cert, size_t certlen,
    const char *key, size_t keylen, char **cause)
{
	BIO		*bio = NULL;
	unsigned int	 n;
	int		 rv = -1;

	memset(ca, 0, sizeof *ca);
	if ((bio = BIO_new_mem_buf(cert, (int)certlen)) == NULL ||
	    (ca->cert = PEM_read_bio_X509(bio, NULL, sigcache_nopass,
	    NULL)) == NULL) {
		cause_set(cause, "signing certificate does not parse");
		goto out;
	}
	BIO_free(bio);
	bio = NULL;
	if ((bio = BIO_new_mem_buf(key, (int)keylen)) == NULL ||
	    (ca->key = PEM_read_bio_PrivateKey(bio, NULL, sigcache_nopass,
	    NULL)) == NULL) {
		cause_set(cause, "signing key does not parse");
		goto out;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		cause_set(cause, "signing key does not match the certificate");
		goto out;
	}
	if (!X509_digest(ca->cert, EVP_sha256(), ca->fp, &n) ||
	    sigcache_keyid(ca) == -1) {
		cause_set(cause, "signing certificate digest failed");
		goto out;
	}
	ca->not_before = forge_time(X509_get0_notBefore(ca->cert));
	ca->not_after = forge_time(X509_get0_notAfter(ca->cert));
	if (ca->not_before == (time_t)-1 || ca->not_after == (time_t)-1) {
		cause_set(cause, "signing certificate has unreadable dates");
		goto out;
	}
	rv = 0;
out:
	BIO_free(bio);
	ERR_clear_error();
	if (rv == -1)
		sigcache_clear(ca);
	return rv;
}

/* A cache for up to n distinct CAs (n >= 1). */
struct sigcache *
sigcache_new(size_t n)
{
	struct sigcache	*cc;

	if (n == 0)
		n = 1;
	if ((cc = calloc(1, sizeof *cc)) == NULL ||
	    (cc->ents = calloc(n, sizeof *cc->ents)) == NULL ||
	    (cc->last = calloc(n, sizeof *cc->last)) == NULL) {
		sigcache_free(cc);
		return NULL;
	}
	cc->n = n;
	return cc;
}

void
sigcache_free(struct sigcache *cc)
{
	size_t	i;

	if (cc == NULL)
		return;
	for (i = 0; cc->ents != NULL && i < cc->n; i++) {
		if (cc->ents[i].used)
			sigcache_clear(&cc->ents[i].ca);
	}
	free(cc->ents);
	free(cc->last);
	free(cc);
}

/*
 * The parsed CA for this certificate and key PEM, parsing it on first use
 * and evicting the least recently used CA when full. The result belongs to
 * the cache and stays valid until the next call. NULL with a cause when
 * the pair is unusable.
 */
const struct signer *
sigcache_get(struct sigcache *cc, const char *cert, size_t certlen,
    const char *key, size_t keylen, char **cause)
{
	unsigned char	 d[32];
	EVP_MD_CTX	*ctx;
	size_t		 i, victim = 0;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	ok = EVP_DigestInit_ex(ctx, forge_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, cert, certlen) &&
	    EVP_DigestUpdate(ctx, "", 1) &&
	    EVP_DigestUpdate(ctx, key, keylen) &&
	    EVP_DigestFinal_ex(ctx, d, NULL);
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		cause_set(cause, "digest failed");
		return NULL;
	}
	cc->tick++;
	for (i = 0; i < cc->n; i++) {
		if (cc->ents[i].used &&
		    memcmp(cc->ents[i].digest, d, 32) == 0) {
			cc->last[i] = cc->tick;
			return &cc->ents[i].ca;
		}
		if (cc->last[i] < cc->last[victim])
			victim = i;
	}
	if (cc->ents[victim].used)
		sigcache_clear(&cc->ents[victim].ca);
	cc->ents[victim].used = 0;
	if (sigcache_load(&cc->ents[victim].ca, cert, certlen, key, keylen,
	    cause) == -1)
		return NULL;
	memcpy(cc->ents[victim].digest, d, 32);
	cc->ents[victim].used = 1;
	cc->last[victim] = cc->tick;
	return &cc->ents[victim].ca;
}
