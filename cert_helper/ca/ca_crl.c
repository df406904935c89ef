/*
 * CRLs (RFC 5280 section 5): one signed by the intermediate listing revoked
 * issuing CAs, one per unexpired issuing CA listing revoked leaves. Each
 * is v2 with thisUpdate, nextUpdate, an AKI equal to the issuer's SKI and
 * a CRL number taken from one counter that only grows, published as
 * <issuer key id>.crl (DER) and .pem, the names certgen's {ca} yields.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cause.h"

/* One revoked entry: serial, date and (when given) its reasonCode. */
static int
ca_crl_entry(X509_CRL *crl, const struct revoked_rec *r)
{
	X509_REVOKED	*rev = NULL;
	ASN1_INTEGER	*serial = NULL;
	ASN1_TIME	*when = NULL;
	ASN1_ENUMERATED	*reason = NULL;
	BIGNUM		*bn = NULL;
	int		 ok = 0;

	if (BN_hex2bn(&bn, r->serial) == 0 ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (when = ASN1_TIME_set(NULL, (time_t)r->revoked)) == NULL ||
	    (rev = X509_REVOKED_new()) == NULL ||
	    !X509_REVOKED_set_serialNumber(rev, serial) ||
	    !X509_REVOKED_set_revocationDate(rev, when))
		goto out;
	if (r->reason > 0) {
		if ((reason = ASN1_ENUMERATED_new()) == NULL ||
		    !ASN1_ENUMERATED_set(reason, r->reason) ||
		    !X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0,
		    0))
			goto out;
	}
	if (!X509_CRL_add0_revoked(crl, rev))
		goto out;
	rev = NULL;
	ok = 1;
out:
	X509_REVOKED_free(rev);
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(when);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return ok ? 0 : -1;
}

/* The CRL-wide extensions: AKI (the issuer's SKI as is) and cRLNumber. */
static int
ca_crl_exts(X509_CRL *crl, X509 *issuer, uint64_t number)
{
	AUTHORITY_KEYID		*akid = NULL;
	ASN1_INTEGER		*num = NULL;
	const ASN1_OCTET_STRING	*ski;
	int			 ok = 0;

	if ((ski = X509_get0_subject_key_id(issuer)) == NULL ||
	    (akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    !X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0,
	    0))
		goto out;
	if ((num = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_uint64(num, number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0))
		goto out;
	ok = 1;
out:
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	return ok ? 0 : -1;
}

/*
 * The critical issuingDistributionPoint: the URL this CRL is published at
 * and whether it covers only CA or only end-entity certificates.
 */
static int
ca_crl_idp(X509_CRL *crl, const char *url, int only_ca)
{
	X509_EXTENSION	*ext;
	char		*value = NULL;
	int		 ok = 0;

	if (strpbrk(url, ",\n") != NULL || asprintf(&value,
	    "critical,fullname:URI:%s,%s:TRUE", url, only_ca ? "onlyCA" :
	    "onlyuser") == -1)
		return -1;
	if ((ext = X509V3_EXT_nconf_nid(NULL, NULL,
	    NID_issuing_distribution_point, value)) != NULL)
		ok = X509_CRL_add_ext(crl, ext, -1);
	X509_EXTENSION_free(ext);
	free(value);
	return ok ? 0 : -1;
}

/*
 * Build and sign a CRL for issuer listing the n records of revs (the
 * caller picks those of this issuer); with idp_url, an
 * issuingDistributionPoint for that URL covering CA certificates only
 * (only_ca) or end-entity ones only. Pure: no I/O. Returns the CRL the
 * caller frees, or NULL with a cause.
 */
X509_CRL *
ca_crl_build(X509 *issuer, EVP_PKEY *key, const struct revoked_rec *revs,
    size_t n, uint64_t number, time_t this_update, time_t next_update,
    const char *idp_url, int only_ca, char **cause)
{
	X509_CRL	*crl;
	ASN1_TIME	*t1 = NULL, *t2 = NULL;
	size_t		 i;
	int		 ok = 0;

	if ((crl = X509_CRL_new()) == NULL)
		goto out;
	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) ||
	    (t1 = ASN1_TIME_set(NULL, this_update)) == NULL ||
	    (t2 = ASN1_TIME_set(NULL, next_update)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t1) ||
	    !X509_CRL_set1_nextUpdate(crl, t2))
		goto out;
	for (i = 0; i < n; i++) {
		if (ca_crl_entry(crl, &revs[i]) == -1)
			goto out;
	}
	if (ca_crl_exts(crl, issuer, number) == -1 ||
	    (idp_url != NULL && ca_crl_idp(crl, idp_url, only_ca) == -1))
		goto out;
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, key, EVP_sha256()) == 0)
		goto out;
	ok = 1;
out:
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	if (!ok) {
		cause_set(cause, "cannot build the CRL (issuer without "
		    "subjectKeyIdentifier or bad serial)");
		ERR_clear_error();
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

/* Everything one crl run needs. */
struct ca_crl_run {
	struct ca_store		*st;
	const char		*out;
	struct revoked_rec	*revs;
	size_t			 nrevs;
	uint64_t		 number;
	time_t			 now;
	int			 written;
};

static int
ca_crl_rev_cb(const struct revoked_rec *r, void *arg)
{
	struct ca_crl_run	*run = arg;
	struct revoked_rec	*grown;

	grown = reallocarray(run->revs, run->nrevs + 1, sizeof *run->revs);
	if (grown == NULL)
		return -1;
	run->revs = grown;
	run->revs[run->nrevs++] = *r;
	return 0;
}

/* Write one CRL as out/<keyid>.crl (DER) and .pem, atomically. */
static int
ca_crl_publish(struct ca_crl_run *run, X509 *issuer, EVP_PKEY *key,
    int only_ca, char **cause)
{
	struct revoked_rec	*mine = NULL;
	X509_CRL		*crl = NULL;
	BIO			*bio = NULL;
	unsigned char		*der = NULL;
	char			 kid[CA_KEYID_MAX + 1], path[4096], *pem;
	char			*url = NULL;
	size_t			 i, n = 0;
	long			 pemlen;
	int			 derlen, rv = -1;

	if (ca_x509_keyid(issuer, kid, sizeof kid) == -1) {
		cause_set(cause, "issuer without subjectKeyIdentifier");
		return -1;
	}
	if ((mine = calloc(run->nrevs + 1, sizeof *mine)) == NULL)
		return -1;
	for (i = 0; i < run->nrevs; i++) {
		if (strcmp(run->revs[i].issuer_keyid, kid) == 0)
			mine[n++] = run->revs[i];
	}
	if (run->st->conf.crl_idp &&
	    (url = ca_conf_url(run->st->conf.crl_url, kid)) == NULL)
		goto out;
	if ((crl = ca_crl_build(issuer, key, mine, n, ++run->number, run->now,
	    run->now + (time_t)run->st->conf.crl_days * 86400, url, only_ca,
	    cause)) == NULL)
		goto out;
	if ((derlen = i2d_X509_CRL(crl, &der)) <= 0 ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_CRL(bio, crl))
		goto out;
	pemlen = BIO_get_mem_data(bio, &pem);
	snprintf(path, sizeof path, "%s/%s.crl", run->out, kid);
	if (ca_store_write(path, der, (size_t)derlen, 0644, (uid_t)-1,
	    (gid_t)-1, cause) == -1)
		goto out;
	snprintf(path, sizeof path, "%s/%s.pem", run->out, kid);
	if (ca_store_write(path, pem, (size_t)pemlen, 0644, (uid_t)-1,
	    (gid_t)-1, cause) == -1)
		goto out;
	run->written++;
	rv = 0;
out:
	if (rv == -1 && cause != NULL && *cause == NULL)
		cause_set(cause, "%s: cannot encode the CRL", kid);
	OPENSSL_free(der);
	BIO_free(bio);
	X509_CRL_free(crl);
	free(url);
	free(mine);
	return rv;
}

/* The CRL of one issuing CA, if it has not expired. */
static int
ca_crl_issuing(struct ca_crl_run *run, const char *kid, char **cause)
{
	X509		*x = NULL;
	EVP_PKEY	*key = NULL;
	char		*cp, *kp;
	int		 rv = -1;

	cp = ca_store_path(run->st, "issuing/%s.pem", kid);
	kp = ca_store_path(run->st, "issuing/%s.key", kid);
	if (cp == NULL || kp == NULL || (x = ca_x509_load(cp, cause)) == NULL)
		goto out;
	if (ca_x509_not_after(x) <= run->now) {
		rv = 0;
		goto out;
	}
	if ((key = ca_keys_load(kp, 1, cause)) == NULL)
		goto out;
	rv = ca_crl_publish(run, x, key, 0, cause);
out:
	EVP_PKEY_free(key);
	X509_free(x);
	free(kp);
	free(cp);
	return rv;
}

/* Walk DIR/issuing/ for <keyid>.pem files. */
static int
ca_crl_walk(struct ca_crl_run *run, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir, kid[CA_KEYID_MAX + 1];
	size_t		 n;
	int		 rv = 0;

	if ((dir = ca_store_path(run->st, "issuing")) == NULL)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		rv = errno == ENOENT ? 0 : -1;
		if (rv == -1)
			cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return rv;
	}
	while (rv == 0 && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 5 || n - 4 > CA_KEYID_MAX ||
		    strcmp(de->d_name + n - 4, ".pem") != 0)
			continue;
		memcpy(kid, de->d_name, n - 4);
		kid[n - 4] = '\0';
		rv = ca_crl_issuing(run, kid, cause);
	}
	closedir(d);
	free(dir);
	return rv;
}

/* How many issuing CA certificates DIR/issuing holds. */
static uint64_t
ca_crl_count(struct ca_store *st)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir;
	size_t		 n;
	uint64_t	 count = 0;

	if ((dir = ca_store_path(st, "issuing")) == NULL)
		return 0;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			n = strlen(de->d_name);
			if (n > 4 && strcmp(de->d_name + n - 4, ".pem") == 0)
				count++;
		}
		closedir(d);
	}
	free(dir);
	return count;
}

/* Reserve the next CRL numbers by bumping DIR/crlnumber before signing. */
static int
ca_crl_number(struct ca_crl_run *run, char **cause)
{
	char		*path, *buf = NULL, *end, line[32];
	size_t		 len;
	int		 rv = -1;

	if ((path = ca_store_path(run->st, "crlnumber")) == NULL)
		return -1;
	if (ca_store_exists(path)) {
		if (ca_store_read(path, &buf, &len, cause) == -1)
			goto out;
		errno = 0;
		run->number = strtoull(buf, &end, 10);
		if (errno != 0 || end == buf ||
		    (*end != '\n' && *end != '\0')) {
			cause_set(cause, "%s: not a number", path);
			goto out;
		}
	}
	/* One per issuing CA plus the intermediate is an upper bound. */
	snprintf(line, sizeof line, "%" PRIu64 "\n", run->number + 1 +
	    ca_crl_count(run->st));
	rv = ca_store_write(path, line, strlen(line), 0644, (uid_t)-1,
	    (gid_t)-1, cause);
out:
	free(buf);
	free(path);
	return rv;
}

/*
 * crl: write every CRL into out (DIR/crl when NULL). Returns 0, or -1 with
 * a cause; files already replaced stay valid CRLs.
 */
int
ca_crl_write_all(struct ca_store *st, const char *out, int quiet,
    char **cause)
{
	struct ca_crl_run	 run;
	X509			*inter = NULL;
	EVP_PKEY		*ikey = NULL;
	char			*dflt = NULL, *rpath = NULL, t[32];
	int			 rv = -1;

	memset(&run, 0, sizeof run);
	run.st = st;
	run.now = time(NULL);
	if (out == NULL) {
		if ((dflt = ca_store_path(st, "crl")) == NULL ||
		    ca_store_mkdir(dflt, 0755, cause) == -1)
			goto out;
		out = dflt;
	}
	run.out = out;
	if ((rpath = ca_store_path(st, REVOKED_FILE)) == NULL ||
	    revoked_foreach(rpath, ca_crl_rev_cb, &run, cause) == -1 ||
	    ca_issue_load_intermediate(st, &inter, &ikey, cause) == -1 ||
	    ca_crl_number(&run, cause) == -1)
		goto out;
	if (ca_crl_publish(&run, inter, ikey, 1, cause) == -1 ||
	    ca_crl_walk(&run, cause) == -1)
		goto out;
	if (!quiet) {
		ca_x509_fmt_time(run.now + (time_t)st->conf.crl_days * 86400,
		    t, sizeof t);
		printf("wrote %d CRL(s) to %s, next update %s\n", run.written,
		    out, t);
	}
	rv = 0;
out:
	EVP_PKEY_free(ikey);
	X509_free(inter);
	free(run.revs);
	free(rpath);
	free(dflt);
	return rv;
}
