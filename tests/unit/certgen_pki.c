/*
 * Test PKI for the sslinspect-certgen unit tests: keys, CA and origin
 * certificates made in memory with OpenSSL, and Squid-shaped requests.
 * Test-only: the extension strings here are fixed by the tests.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/buffer.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "certgen_pki.h"

EVP_PKEY *
pki_key(const char *type)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(type, "P-384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void
pki_ext(X509 *x, X509 *issuer, const char *name, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	CONF		*conf = NCONF_new(NULL);

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, conf);
	ext = X509V3_EXT_nconf(conf, &ctx, name, value);
	NCONF_free(conf);
	if (ext == NULL) {
		fprintf(stderr, "bad test extension %s=%s\n", name, value);
		ERR_print_errors_fp(stderr);
		abort();
	}
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
}

/* A certificate for key per spec, signed by issuer (NULL: self-signed). */
X509 *
pki_cert(const struct pki_spec *s, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	unsigned char	 serial[8];
	BIGNUM		*bn;
	char		*extra, *item, *save, *eq;

	X509_set_version(x, X509_VERSION_3);
	RAND_bytes(serial, sizeof serial);
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"certgen test", -1, -1, 0);
	if (s->cn != NULL)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		    (const unsigned char *)s->cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_time_adj_ex(X509_getm_notAfter(x), (int)s->days, 0, NULL);
	X509_set_pubkey(x, key);
	pki_ext(x, issuer, "basicConstraints", s->ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE");
	if (s->ca)
		pki_ext(x, issuer, "keyUsage", "critical,keyCertSign,cRLSign");
	pki_ext(x, issuer, "subjectKeyIdentifier", "hash");
	if (issuer != NULL)
		pki_ext(x, issuer, "authorityKeyIdentifier", "keyid");
	if (s->sans != NULL)
		pki_ext(x, issuer, "subjectAltName", s->sans);
	if (s->extra != NULL) {
		extra = strdup(s->extra);
		for (item = strtok_r(extra, "|", &save); item != NULL;
		    item = strtok_r(NULL, "|", &save)) {
			eq = strchr(item, '=');
			*eq = '\0';
			pki_ext(x, issuer, item, eq + 1);
		}
		free(extra);
	}
	X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256());
	return x;
}

static char *
pki_bio_string(BIO *bio)
{
	BUF_MEM	*m;
	char	*s;

	BIO_get_mem_ptr(bio, &m);
	s = malloc(m->length + 1);
	memcpy(s, m->data, m->length);
	s[m->length] = '\0';
	BIO_free(bio);
	return s;
}

char *
pki_pem_cert(X509 *x)
{
	BIO	*bio = BIO_new(BIO_s_mem());

	PEM_write_bio_X509(bio, x);
	return pki_bio_string(bio);
}

/* PKCS#8 PEM, as Squid sends the CA key. */
char *
pki_pem_key(EVP_PKEY *k)
{
	BIO	*bio = BIO_new(BIO_s_mem());

	PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	return pki_bio_string(bio);
}

/* A request body: params lines, CA cert, CA key, " " + mimic (if any). */
char *
pki_body(const char *params, const char *ca, const char *key,
    const char *mimic)
{
	char	*b;

	if (asprintf(&b, "%s%s%s%s%s", params, ca, key, mimic ? " " : "",
	    mimic ? mimic : "") == -1)
		abort();
	/* Squid's body ends at the last PEM line without a newline. */
	if (b[strlen(b) - 1] == '\n')
		b[strlen(b) - 1] = '\0';
	return b;
}

/* A framed request with its newline; prefix is "" or "<id> ". */
char *
pki_request(const char *prefix, const char *body)
{
	char	*r;

	if (asprintf(&r, "%snew_certificate %zu %s\n", prefix, strlen(body),
	    body) == -1)
		abort();
	return r;
}

int
pki_has_ext(X509 *x, int nid)
{
	return X509_get_ext_by_NID(x, nid, -1) >= 0;
}
