/*
 * The minted-certificate profile. It is an allowlist: the leaf gets only
 * what is built here (subject CN, SAN, basicConstraints, keyUsage,
 * extendedKeyUsage, SKI, AKI, CRL distribution points, AIA caIssuers), and
 * nothing is copied from the origin certificate except validated DNS/IP
 * names and its notAfter as an upper bound. Every extension is built as an
 * ASN.1 structure, never from a config string, so no byte of a host name
 * can turn into syntax.
 */
#include "config.h"

#include <pthread.h>

#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "cause.h"
#include "certgen.h"
#include "serial.h"

#define FORGE_SKEW		3600	/* notBefore this far back */
#define FORGE_CN_MAX		64	/* ub-common-name */
#define FORGE_URL_LEN		1024

/* Seconds since the epoch for an ASN1_TIME, or -1. */
time_t
forge_time(const ASN1_TIME *t)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	if (!ASN1_TIME_to_tm(t, &tm))
		return (time_t)-1;
	return timegm(&tm);
}

/* Strength in bits of the digests a certificate may be signed with. */
static int
forge_md_strength(int nid)
{
	switch (nid) {
	case NID_sha256:
	case NID_sha3_256:
		return 256;
	case NID_sha384:
	case NID_sha3_384:
		return 384;
	case NID_sha512:
	case NID_sha3_512:
		return 512;
	default:
		return 0;
	}
}

/*
 * The digests a certificate may be signed with, fetched once: a built-in
 * EVP_sha256() makes every signature fetch its implementation again (a
 * provider lookup under a lock, a few percent of a mint). Kept for the
 * life of the process.
 */
static const int	 forge_md_nids[] = {
	NID_sha256, NID_sha384, NID_sha512,
	NID_sha3_256, NID_sha3_384, NID_sha3_512
};
static EVP_MD		*forge_md_fetched[sizeof forge_md_nids /
			    sizeof forge_md_nids[0]];
static pthread_once_t	 forge_md_once = PTHREAD_ONCE_INIT;

static void
forge_md_fetch(void)
{
	size_t	i;

	for (i = 0; i < sizeof forge_md_nids / sizeof forge_md_nids[0]; i++)
		forge_md_fetched[i] = EVP_MD_fetch(NULL,
		    OBJ_nid2sn(forge_md_nids[i]), NULL);
	ERR_clear_error();
}

/* The fetched digest for md, or md itself when there is none. */
static const EVP_MD *
forge_md_cached(const EVP_MD *md)
{
	size_t	i;

	pthread_once(&forge_md_once, forge_md_fetch);
	for (i = 0; i < sizeof forge_md_nids / sizeof forge_md_nids[0]; i++) {
		if (forge_md_nids[i] == EVP_MD_get_type(md) &&
		    forge_md_fetched[i] != NULL)
			return forge_md_fetched[i];
	}
	return md;
}

/* SHA-256, fetched once, for every digest the helper takes per request. */
const EVP_MD *
forge_sha256(void)
{
	return forge_md_cached(EVP_sha256());
}

/*
 * Choose the signature digest for signer from Squid's SignHash (may be
 * empty): never weaker than SHA-256 (a weaker request is raised to
 * SHA-256) and at least as strong as the signer's curve. *md is NULL for
 * EdDSA signers, which take no digest. Returns 0, or -1 with a cause for an
 * unknown or unsupported name.
 */
int
forge_md(EVP_PKEY *signer, const char *name, const EVP_MD **md, char **cause)
{
	int	bits, want = 256;

	*md = NULL;
	if (EVP_PKEY_is_a(signer, "ED25519") || EVP_PKEY_is_a(signer, "ED448"))
		return 0;
	*md = name[0] == '\0' ? EVP_sha256() : EVP_get_digestbyname(name);
	if (*md == NULL) {
		cause_set(cause, "unknown SignHash %s", name);
		return -1;
	}
	if (EVP_MD_get_size(*md) < 32)
		*md = EVP_sha256();
	if (forge_md_strength(EVP_MD_get_type(*md)) == 0) {
		cause_set(cause, "unsupported SignHash %s", name);
		*md = NULL;
		return -1;
	}
	bits = EVP_PKEY_is_a(signer, "EC") ? EVP_PKEY_get_bits(signer) : 0;
	if (bits > 384)
		want = 512;
	else if (bits > 256)
		want = 384;
	if (forge_md_strength(EVP_MD_get_type(*md)) < want)
		*md = want == 512 ? EVP_sha512() : EVP_sha384();
	*md = forge_md_cached(*md);
	return 0;
}

/*
 * Replace every "{ca}" in url with keyid into dst. Returns the length, or 0
 * when it does not fit.
 */
size_t
forge_expand_url(const char *url, const char *keyid, char *dst, size_t size)
{
	size_t	n = 0, kl = strlen(keyid);

	while (*url != '\0') {
		if (strncmp(url, "{ca}", 4) == 0) {
			if (n + kl >= size)
				return 0;
			memcpy(dst + n, keyid, kl);
			n += kl;
			url += 4;
			continue;
		}
		if (n + 1 >= size)
			return 0;
		dst[n++] = *url++;
	}
	dst[n] = '\0';
	return n;
}

/* A GENERAL_NAME of type (GEN_DNS or GEN_URI) holding an IA5String. */
static GENERAL_NAME *
forge_gen_ia5(int type, const char *s, size_t n)
{
	GENERAL_NAME	*g;
	ASN1_IA5STRING	*v;

	if ((v = ASN1_IA5STRING_new()) == NULL)
		return NULL;
	if (!ASN1_STRING_set(v, s, (int)n) ||
	    (g = GENERAL_NAME_new()) == NULL) {
		ASN1_IA5STRING_free(v);
		return NULL;
	}
	GENERAL_NAME_set0_value(g, type, v);
	return g;
}

/* A GENERAL_NAME for a normalized host: iPAddress or dNSName. */
static GENERAL_NAME *
forge_gen_host(const char *host, enum hostname_kind kind)
{
	GENERAL_NAME		*g;
	ASN1_OCTET_STRING	*ip;

	if (kind == HOSTNAME_DNS)
		return forge_gen_ia5(GEN_DNS, host, strlen(host));
	if ((ip = a2i_IPADDRESS(host)) == NULL)
		return NULL;
	if ((g = GENERAL_NAME_new()) == NULL) {
		ASN1_OCTET_STRING_free(ip);
		return NULL;
	}
	GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
	return g;
}

/* Append g to names unless an equal name is there; takes g. 0 or -1. */
static int
forge_add_name(GENERAL_NAMES *names, GENERAL_NAME *g)
{
	int	i;

	if (g == NULL)
		return -1;
	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(names, i), g) == 0) {
			GENERAL_NAME_free(g);
			return 0;
		}
	}
	if (sk_GENERAL_NAME_push(names, g) <= 0) {
		GENERAL_NAME_free(g);
		return -1;
	}
	return 0;
}

/*
 * Whether the signing CA's name constraints allow name g. A verifier
 * rejects a leaf if any one of its names breaks them, so a mimicked name
 * the CA may not vouch for (an origin certificate that also names a
 * do-not-inspect domain, see sslinspect-ca's exclude-list) would make the
 * leaf fail for the host it was minted for. OpenSSL's own matcher decides,
 * on a scratch certificate holding only g. 1 allowed, 0 not, -1 error.
 */
static int
forge_nc_allows(NAME_CONSTRAINTS *nc, const GENERAL_NAME *g)
{
	X509		*t;
	GENERAL_NAMES	*one;
	int		 rv = -1;

	if ((t = X509_new()) == NULL)
		return -1;
	if ((one = GENERAL_NAMES_new()) == NULL ||
	    forge_add_name(one, GENERAL_NAME_dup(g)) == -1 ||
	    X509_add1_ext_i2d(t, NID_subject_alt_name, one, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	/* Fills the extension cache NAME_CONSTRAINTS_check reads. */
	(void)X509_get_extension_flags(t);
	rv = NAME_CONSTRAINTS_check(t, nc) == X509_V_OK;
out:
	GENERAL_NAMES_free(one);
	X509_free(t);
	ERR_clear_error();
	return rv;
}

/* Add g to names unless the CA's name constraints (nc, may be NULL) bar it. */
static int
forge_add_allowed(GENERAL_NAMES *names, NAME_CONSTRAINTS *nc,
    GENERAL_NAME *g)
{
	int	ok;

	if (g == NULL)
		return -1;
	if (nc != NULL && (ok = forge_nc_allows(nc, g)) != 1) {
		GENERAL_NAME_free(g);
		return ok == 0 ? 0 : -1;
	}
	return forge_add_name(names, g);
}

/*
 * Add the mimicked certificate's DNS and IP SANs that pass validation and
 * the signing CA's name constraints, lowercased, up to FORGE_SAN_MAX names
 * in all. Everything else in its SAN (email, URI, directory names, other
 * names) is dropped.
 */
static int
forge_mimic_sans(GENERAL_NAMES *names, const GENERAL_NAMES *src,
    NAME_CONSTRAINTS *nc)
{
	const GENERAL_NAME	*g;
	const ASN1_STRING	*s;
	char			 host[CERTGEN_HOST_MAX + 1];
	enum hostname_kind	 kind;
	int			 i, rv = 0;

	for (i = 0; i < sk_GENERAL_NAME_num(src); i++) {
		if (sk_GENERAL_NAME_num(names) >= FORGE_SAN_MAX)
			break;
		g = sk_GENERAL_NAME_value(src, i);
		if (g->type == GEN_DNS) {
			s = g->d.dNSName;
			if (hostname_normalize((const char *)s->data,
			    (size_t)s->length, host, sizeof host, &kind) ==
			    -1 ||
			    kind != HOSTNAME_DNS)
				continue;
			rv = forge_add_allowed(names, nc,
			    forge_gen_ia5(GEN_DNS, host, strlen(host)));
		} else if (g->type == GEN_IPADD &&
		    (g->d.iPAddress->length == 4 ||
		    g->d.iPAddress->length == 16))
			rv = forge_add_allowed(names, nc, GENERAL_NAME_dup(g));
		if (rv == -1)
			break;
	}
	return rv;
}

/*
 * subjectAltName: the host first, then the mimicked names. The host stays
 * even where the CA's name constraints exclude it: such a leaf is meant
 * to fail (the site should have been spliced).
 */
static int
forge_san(X509 *x, const struct signer *ca, const struct forge_req *req,
    int critical)
{
	GENERAL_NAMES		*names;
	NAME_CONSTRAINTS	*nc = NULL;
	int			 rv = -1;

	if ((names = GENERAL_NAMES_new()) == NULL)
		return -1;
	if (forge_add_name(names, forge_gen_host(req->host, req->kind)) == -1)
		goto out;
	if (ca != NULL && ca->cert != NULL)
		nc = X509_get_ext_d2i(ca->cert, NID_name_constraints, NULL,
		    NULL);
	if (req->mimic != NULL && req->mimic->sans != NULL && req->mimic_sans &&
	    forge_mimic_sans(names, req->mimic->sans, nc) == -1)
		goto out;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, names, critical,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	rv = 0;
out:
	NAME_CONSTRAINTS_free(nc);
	GENERAL_NAMES_free(names);
	return rv;
}

/* keyUsage (critical): digitalSignature, plus keyEncipherment for RSA. */
static int
forge_key_usage(X509 *x, EVP_PKEY *leaf)
{
	ASN1_BIT_STRING	*ku;
	int		 ok;

	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return -1;
	ok = ASN1_BIT_STRING_set_bit(ku, 0, 1) &&
	    (!EVP_PKEY_is_a(leaf, "RSA") ||
	    ASN1_BIT_STRING_set_bit(ku, 2, 1)) &&
	    X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1;
	ASN1_BIT_STRING_free(ku);
	return ok ? 0 : -1;
}

/* basicConstraints CA:FALSE (critical) and extendedKeyUsage serverAuth. */
static int
forge_constraints(X509 *x)
{
	BASIC_CONSTRAINTS	*bc;
	EXTENDED_KEY_USAGE	*eku;
	int			 ok;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		return -1;
	bc->ca = 0;
	ok = X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT) == 1;
	BASIC_CONSTRAINTS_free(bc);
	if (!ok || (eku = sk_ASN1_OBJECT_new_null()) == NULL)
		return -1;
	ok = sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) > 0 &&
	    X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0,
	    X509V3_ADD_DEFAULT) == 1;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return ok ? 0 : -1;
}

/* SKI from the leaf key (RFC 5280 method 1), AKI from the CA's key id. */
static int
forge_key_ids(X509 *x, const struct signer *ca, int self)
{
	ASN1_OCTET_STRING	*ski = NULL;
	AUTHORITY_KEYID		*akid = NULL;
	const unsigned char	*pk;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;
	int			 pklen, rv = -1;

	if (!X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL,
	    X509_get_X509_PUBKEY(x)) ||
	    !EVP_Digest(pk, (size_t)pklen, md, &mdlen, EVP_sha1(), NULL) ||
	    (ski = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(ski, md, (int)mdlen) ||
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	if (!self) {
		if ((akid = AUTHORITY_KEYID_new()) == NULL ||
		    (akid->keyid = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(akid->keyid, ca->keyid,
		    (int)ca->keyid_len) ||
		    X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0,
		    X509V3_ADD_DEFAULT) != 1)
			goto out;
	}
	rv = 0;
out:
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(akid);
	return rv;
}

/* A URI GENERAL_NAME for a configured URL with {ca} expanded. */
static GENERAL_NAME *
forge_gen_url(const char *url, const struct signer *ca)
{
	char	buf[FORGE_URL_LEN];
	size_t	n;

	if ((n = forge_expand_url(url, ca->keyid_hex, buf, sizeof buf)) == 0)
		return NULL;
	return forge_gen_ia5(GEN_URI, buf, n);
}

/* One CRL distribution point per configured URL. */
static int
forge_crldp(X509 *x, const struct forge_profile *prof, const struct signer *ca)
{
	CRL_DIST_POINTS	*dps;
	DIST_POINT	*dp;
	GENERAL_NAME	*g;
	size_t		 i;
	int		 rv = -1;

	if (prof->ncrl == 0)
		return 0;
	if ((dps = sk_DIST_POINT_new_null()) == NULL)
		return -1;
	for (i = 0; i < prof->ncrl; i++) {
		if ((dp = DIST_POINT_new()) == NULL)
			goto out;
		if (sk_DIST_POINT_push(dps, dp) <= 0) {
			DIST_POINT_free(dp);
			goto out;
		}
		if ((dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
		    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) ==
		    NULL)
			goto out;
		dp->distpoint->type = 0;
		if ((g = forge_gen_url(prof->crl_urls[i], ca)) == NULL ||
		    sk_GENERAL_NAME_push(dp->distpoint->name.fullname, g) <=
		    0) {
			GENERAL_NAME_free(g);
			goto out;
		}
	}
	if (X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0,
	    X509V3_ADD_DEFAULT) == 1)
		rv = 0;
out:
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return rv;
}

/* authorityInfoAccess with one caIssuers entry per configured URL. */
static int
forge_aia(X509 *x, const struct forge_profile *prof, const struct signer *ca)
{
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ad;
	size_t			 i;
	int			 rv = -1;

	if (prof->naia == 0)
		return 0;
	if ((aia = sk_ACCESS_DESCRIPTION_new_null()) == NULL)
		return -1;
	for (i = 0; i < prof->naia; i++) {
		if ((ad = ACCESS_DESCRIPTION_new()) == NULL)
			goto out;
		if (sk_ACCESS_DESCRIPTION_push(aia, ad) <= 0) {
			ACCESS_DESCRIPTION_free(ad);
			goto out;
		}
		ASN1_OBJECT_free(ad->method);
		ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
		GENERAL_NAME_free(ad->location);
		ad->location = forge_gen_url(prof->aia_urls[i], ca);
		if (ad->location == NULL)
			goto out;
	}
	if (X509_add1_ext_i2d(x, NID_info_access, aia, 0,
	    X509V3_ADD_DEFAULT) == 1)
		rv = 0;
out:
	sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
	return rv;
}

/* A new serial (serial.h: the one way serials are made). 0 or -1. */
static int
forge_serial(X509 *x)
{
	unsigned char	b[SERIAL_BYTES];

	if (serial_new(b, sizeof b) == -1)
		return -1;
	return ASN1_STRING_set(X509_get_serialNumber(x), b, sizeof b) ? 0 : -1;
}

/*
 * Validity: notBefore an hour back (not before the CA's; the CA's own
 * notBefore with setValidBefore); notAfter the earliest of the origin's
 * (ignored with setValidAfter), now + max days and the CA's. An origin that
 * has already expired gives a leaf that has too, as Squid intends.
 */
static int
forge_validity(X509 *x, const struct forge_profile *prof,
    const struct signer *ca, const struct forge_req *req)
{
	time_t	nb, na;

	nb = req->now - FORGE_SKEW;
	if (req->valid_before || nb < ca->not_before)
		nb = ca->not_before;
	na = req->now + (time_t)prof->max_days * 86400;
	if (req->mimic != NULL && !req->valid_after &&
	    req->mimic->not_after < na)
		na = req->mimic->not_after;
	if (ca->not_after < na)
		na = ca->not_after;
	if (na <= nb)
		nb = na - FORGE_SKEW;
	if (ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL)
		return -1;
	return 0;
}

/*
 * Subject CN=host (when it fits in a CN), written into the certificate's
 * own name (setting a name copies it through DER), and the issuer name.
 */
static int
forge_names(X509 *x, const struct signer *ca, const struct forge_req *req)
{
	X509_NAME	*subj = X509_get_subject_name(x);

	if (strlen(req->host) <= FORGE_CN_MAX &&
	    !X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_ASC,
	    (const unsigned char *)req->host, -1, -1, 0))
		return -1;
	return X509_set_issuer_name(x, req->sign == PROTO_SIGN_SELF ? subj :
	    X509_get_subject_name(ca->cert)) ? 0 : -1;
}

/*
 * The leaf's SubjectPublicKeyInfo. With a pre-encoded key (the key pool)
 * its parts are copied, which skips OpenSSL 3.0's slow key encoder.
 */
static int
forge_pubkey(X509 *x, const struct forge_req *req)
{
	ASN1_OBJECT		*alg, *ptype_obj = NULL;
	const unsigned char	*pk;
	unsigned char		*bits;
	X509_ALGOR		*pa;
	const void		*pval;
	int			 pklen, ptype;

	if (req->leaf_pub == NULL)
		return X509_set_pubkey(x, req->leaf_key) ? 0 : -1;
	if (!X509_PUBKEY_get0_param(&alg, &pk, &pklen, &pa, req->leaf_pub))
		return -1;
	X509_ALGOR_get0(NULL, &ptype, &pval, pa);
	if (ptype == V_ASN1_OBJECT) {
		if ((ptype_obj = OBJ_dup(pval)) == NULL)
			return -1;
	} else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
		return X509_set_pubkey(x, req->leaf_key) ? 0 : -1;
	if ((bits = OPENSSL_memdup(pk, (size_t)pklen)) == NULL ||
	    !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_dup(alg),
	    ptype, ptype_obj, bits, pklen)) {
		ASN1_OBJECT_free(ptype_obj);
		OPENSSL_free(bits);
		return -1;
	}
	return 0;
}

/*
 * Mint a leaf for req, signed by ca (or by the leaf key itself for
 * signSelf). The caller owns the result (X509_free). NULL with a cause.
 */
X509 *
forge_leaf(const struct forge_profile *prof, const struct signer *ca,
    const struct forge_req *req, char **cause)
{
	X509		*x;
	int		 self = req->sign == PROTO_SIGN_SELF;
	const EVP_MD	*md = req->md;

	if ((x = X509_new()) == NULL)
		goto fail;
	if (!X509_set_version(x, X509_VERSION_3) || forge_serial(x) == -1 ||
	    forge_names(x, ca, req) == -1 ||
	    forge_validity(x, prof, ca, req) == -1 ||
	    forge_pubkey(x, req) == -1 ||
	    forge_constraints(x) == -1 ||
	    forge_key_usage(x, req->leaf_key) == -1 ||
	    forge_key_ids(x, ca, self) == -1 ||
	    forge_san(x, self ? NULL : ca, req,
	    strlen(req->host) > FORGE_CN_MAX) == -1)
		goto fail;
	if (!self && (forge_crldp(x, prof, ca) == -1 ||
	    forge_aia(x, prof, ca) == -1))
		goto fail;
	if (self && md == NULL)
		md = forge_sha256();
	if (X509_sign(x, self ? req->leaf_key : ca->key, md) <= 0)
		goto fail;
	return x;
fail:
	cause_set(cause, "cannot build certificate for %s", req->host);
	X509_free(x);
	ERR_clear_error();
	return NULL;
}

/* The serial in the one spelling of serial.h. 0 or -1. */
int
forge_serial_hex(X509 *x, char *dst, size_t size)
{
	const ASN1_INTEGER	*s = X509_get0_serialNumber(x);

	if (ASN1_STRING_type(s) != V_ASN1_INTEGER)
		return -1;
	return serial_hex(ASN1_STRING_get0_data(s),
	    (size_t)ASN1_STRING_length(s), dst, size);
}
