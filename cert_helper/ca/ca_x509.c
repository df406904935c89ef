/* Certificate helpers shared by the sslinspect-ca commands. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cause.h"

/* Every certificate of a PEM file, in file order; NULL with a cause. */
STACK_OF(X509) *
ca_x509_load_all(const char *path, char **cause)
{
	STACK_OF(X509)	*sk;
	X509		*x;
	BIO		*bio;
	char		*buf = NULL;
	size_t		 len;

	if (ca_store_read(path, &buf, &len, cause) == -1)
		return NULL;
	if ((sk = sk_X509_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		sk_X509_free(sk);
		free(buf);
		cause_set(cause, "%s: out of memory", path);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(sk, x);
	ERR_clear_error();
	BIO_free(bio);
	free(buf);
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		cause_set(cause, "%s: no PEM certificate in the file", path);
		return NULL;
	}
	return sk;
}

/* The first certificate of a PEM file. */
X509 *
ca_x509_load(const char *path, char **cause)
{
	STACK_OF(X509)	*sk;
	X509		*x;

	if ((sk = ca_x509_load_all(path, cause)) == NULL)
		return NULL;
	x = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

/* The certificate as PEM in a buffer the caller frees. */
char *
ca_x509_pem(X509 *x, size_t *len)
{
	BIO	*bio;
	BUF_MEM	*mem;
	char	*out = NULL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_X509(bio, x) == 1 &&
	    BIO_get_mem_ptr(bio, &mem) == 1 &&
	    (out = malloc(mem->length + 1)) != NULL) {
		memcpy(out, mem->data, mem->length);
		out[mem->length] = '\0';
		*len = mem->length;
	}
	BIO_free(bio);
	return out;
}

/* Write a certificate as PEM, atomically, mode 0644. */
int
ca_x509_write(const char *path, X509 *x, char **cause)
{
	char	*pem;
	size_t	 len = 0;
	int	 rv;

	if ((pem = ca_x509_pem(x, &len)) == NULL) {
		cause_set(cause, "%s: cannot encode the certificate", path);
		return -1;
	}
	rv = ca_store_write(path, pem, len, 0644, (uid_t)-1, (gid_t)-1, cause);
	free(pem);
	return rv;
}

/* Lowercase hex of a byte string into buf; -1 when it does not fit. */
static int
ca_x509_hex(const unsigned char *p, size_t n, char *buf, size_t len)
{
	size_t	i;

	if (n == 0 || n * 2 + 1 > len)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(buf + i * 2, 3, "%02x", p[i]);
	return 0;
}

/*
 * The certificate's subjectKeyIdentifier as lowercase hex (the name of its
 * CRL and the {ca} of the CRL URL); -1 when it has none.
 */
int
ca_x509_keyid(X509 *x, char *buf, size_t len)
{
	const ASN1_OCTET_STRING	*ski;

	if ((ski = X509_get0_subject_key_id(x)) == NULL)
		return -1;
	return ca_x509_hex(ASN1_STRING_get0_data(ski),
	    (size_t)ASN1_STRING_length(ski), buf, len);
}

/* The serial in the one spelling of serial.h. 0 or -1. */
int
ca_x509_serial(X509 *x, char *buf, size_t len)
{
	const ASN1_INTEGER	*s = X509_get0_serialNumber(x);

	if (ASN1_STRING_type(s) != V_ASN1_INTEGER)
		return -1;
	return serial_hex(ASN1_STRING_get0_data(s),
	    (size_t)ASN1_STRING_length(s), buf, len);
}

static time_t
ca_x509_time(const ASN1_TIME *t)
{
	struct tm	tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

time_t
ca_x509_not_after(X509 *x)
{
	return ca_x509_time(X509_get0_notAfter(x));
}

/* "2026-11-28 13:05 UTC" */
void
ca_x509_fmt_time(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

/*
 * Parse an OpenSSL-style DN "/O=Example/CN=Inspection CA" (a backslash
 * escapes the next character). Returns 0 with *out set, or -1.
 */
int
ca_x509_parse_dn(const char *dn, X509_NAME **out, char **cause)
{
	X509_NAME	*name;
	char		 field[512], *eq;
	size_t		 n;
	const char	*p = dn;

	if (*p != '/') {
		cause_set(cause, "subject \"%s\" must look like /O=Org/CN=Name",
		    dn);
		return -1;
	}
	if ((name = X509_NAME_new()) == NULL)
		return -1;
	while (*p == '/') {
		p++;
		for (n = 0; *p != '\0' && *p != '/'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 >= sizeof field)
				goto bad;
			field[n++] = *p;
		}
		field[n] = '\0';
		if ((eq = strchr(field, '=')) == NULL || eq == field ||
		    eq[1] == '\0')
			goto bad;
		*eq++ = '\0';
		if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
		    (unsigned char *)eq, -1, -1, 0))
			goto bad;
	}
	if (X509_NAME_entry_count(name) == 0)
		goto bad;
	*out = name;
	return 0;
bad:
	ERR_clear_error();
	X509_NAME_free(name);
	cause_set(cause, "subject \"%s\": bad or unknown attribute (use "
	    "/O=Org/OU=Unit/CN=Name)", dn);
	return -1;
}

/*
 * Check that x can be a CA above pathlen more CA levels: basicConstraints
 * cA, critical; keyUsage keyCertSign and cRLSign; a subjectKeyIdentifier
 * (our CRLs are named by it). Returns 0, or -1 with what is wrong.
 */
int
ca_x509_check_ca(X509 *x, int below, char **cause)
{
	uint32_t	 ku, flags;
	long		 pathlen;
	int		 crit = -1;
	BASIC_CONSTRAINTS *bc;

	flags = X509_get_extension_flags(x);
	if (!(flags & EXFLAG_CA) || !(flags & EXFLAG_BCONS)) {
		cause_set(cause, "not a CA certificate (basicConstraints cA "
		    "is not TRUE)");
		return -1;
	}
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	BASIC_CONSTRAINTS_free(bc);
	if (crit != 1) {
		cause_set(cause, "basicConstraints is not critical");
		return -1;
	}
	ku = X509_get_key_usage(x);
	if (!(flags & EXFLAG_KUSAGE) || !(ku & KU_KEY_CERT_SIGN) ||
	    !(ku & KU_CRL_SIGN)) {
		cause_set(cause, "keyUsage lacks keyCertSign or cRLSign");
		return -1;
	}
	if (X509_get0_subject_key_id(x) == NULL) {
		cause_set(cause, "no subjectKeyIdentifier");
		return -1;
	}
	pathlen = X509_get_pathlen(x);
	if (pathlen != -1 && pathlen < below) {
		cause_set(cause, "pathLenConstraint %ld leaves no room for "
		    "an issuing CA below it", pathlen);
		return -1;
	}
	return 0;
}

/*
 * Verify x against chain at time t: the self-signed certificates of chain
 * are the trust anchors, the others untrusted intermediates. Returns 0, or
 * -1 with OpenSSL's reason and the depth it failed at. With built, the
 * verified chain (x first, root last) is returned for the caller to free.
 */
int
ca_x509_verify(X509 *x, STACK_OF(X509) *chain, time_t t,
    STACK_OF(X509) **built, char **cause)
{
	X509_STORE	*store = NULL;
	X509_STORE_CTX	*ctx = NULL;
	STACK_OF(X509)	*untrusted = NULL;
	X509		*c;
	int		 i, anchors = 0, rv = -1;

	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    (untrusted = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(chain); i++) {
		c = sk_X509_value(chain, i);
		if (X509_get_extension_flags(c) & EXFLAG_SS) {
			X509_STORE_add_cert(store, c);
			anchors++;
		} else
			sk_X509_push(untrusted, c);
	}
	if (anchors == 0) {
		cause_set(cause, "the chain holds no self-signed root");
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, store, x, untrusted))
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, t);
	if (X509_verify_cert(ctx) == 1) {
		if (built != NULL)
			*built = X509_STORE_CTX_get1_chain(ctx);
		rv = 0;
	} else
		cause_set(cause, "%s (depth %d)", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)),
		    X509_STORE_CTX_get_error_depth(ctx));
out:
	if (rv == -1 && cause != NULL && *cause == NULL)
		cause_set(cause, "verification failed: out of memory");
	ERR_clear_error();
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rv;
}
