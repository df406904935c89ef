/*
 * The origin certificate Squid asks us to mimic. Only two things are taken
 * from it: its notAfter (an upper bound) and its subjectAltName (names to
 * validate). Rather than a full d2i_X509, which in OpenSSL 3.0 also runs
 * the provider decoders on the public key and costs more than the whole
 * rest of a mint, the DER is walked with ASN1_get_object (bounds-checked)
 * down to those two fields, which OpenSSL then decodes.
 */
#include "config.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certgen.h"

/* DER of OID 2.5.29.17, subjectAltName. */
static const unsigned char mimic_san_oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x11 };

struct mimic_tlv {
	const unsigned char	*start;		/* the whole TLV */
	const unsigned char	*content;
	long			 len;		/* content length */
	long			 total;		/* header + content */
	int			 tag;
	int			 cls;
};

/*
 * Read the TLV at *p within *left bytes and step over it. Returns 0, or -1
 * for malformed or indefinite-length encodings.
 */
static int
mimic_next(const unsigned char **p, long *left, struct mimic_tlv *t)
{
	const unsigned char	*q = *p;
	int			 r;

	if (*left <= 0)
		return -1;
	t->start = q;
	r = ASN1_get_object(&q, &t->len, &t->tag, &t->cls, *left);
	if ((r & 0x80) || r == 0x21)
		return -1;
	t->content = q;
	t->total = (long)(q - *p) + t->len;
	if (t->total > *left)
		return -1;
	*p += t->total;
	*left -= t->total;
	return 0;
}

/* Find the SAN extension in the [3] extensions content. */
static GENERAL_NAMES *
mimic_san(const unsigned char *p, long left)
{
	struct mimic_tlv	 seq, ext, f;
	const unsigned char	*q, *v;
	long			 l;

	if (mimic_next(&p, &left, &seq) == -1 || seq.tag != V_ASN1_SEQUENCE)
		return NULL;
	p = seq.content;
	left = seq.len;
	while (left > 0) {
		if (mimic_next(&p, &left, &ext) == -1)
			return NULL;
		q = ext.content;
		l = ext.len;
		if (mimic_next(&q, &l, &f) == -1 ||
		    f.total != sizeof mimic_san_oid ||
		    memcmp(f.start, mimic_san_oid, sizeof mimic_san_oid) != 0)
			continue;
		if (mimic_next(&q, &l, &f) == -1)
			return NULL;
		if (f.tag == V_ASN1_BOOLEAN && mimic_next(&q, &l, &f) == -1)
			return NULL;
		if (f.tag != V_ASN1_OCTET_STRING)
			return NULL;
		v = f.content;
		return d2i_GENERAL_NAMES(NULL, &v, f.len);
	}
	return NULL;
}

/* Walk a certificate's DER; fills m. 0 or -1. */
static int
mimic_der(const unsigned char *der, long len, struct mimic *m)
{
	struct mimic_tlv	 t;
	const unsigned char	*p = der, *q;
	long			 left = len, l;
	ASN1_TIME		*na;
	int			 i;

	if (mimic_next(&p, &left, &t) == -1 || t.tag != V_ASN1_SEQUENCE)
		return -1;
	p = t.content;
	left = t.len;
	if (mimic_next(&p, &left, &t) == -1 || t.tag != V_ASN1_SEQUENCE)
		return -1;	/* TBSCertificate */
	p = t.content;
	left = t.len;
	if (mimic_next(&p, &left, &t) == -1)
		return -1;
	if (t.cls == V_ASN1_CONTEXT_SPECIFIC && t.tag == 0 &&
	    mimic_next(&p, &left, &t) == -1)
		return -1;	/* version, then serial */
	for (i = 0; i < 3; i++) {	/* signature, issuer, validity */
		if (mimic_next(&p, &left, &t) == -1)
			return -1;
	}
	q = t.content;
	l = t.len;
	if (mimic_next(&q, &l, &t) == -1 || mimic_next(&q, &l, &t) == -1)
		return -1;
	q = t.start;
	if ((na = d2i_ASN1_TIME(NULL, &q, t.total)) == NULL)
		return -1;
	m->not_after = forge_time(na);
	ASN1_TIME_free(na);
	if (m->not_after == (time_t)-1)
		return -1;
	while (left > 0) {	/* subject, key, unique ids, extensions */
		if (mimic_next(&p, &left, &t) == -1)
			return -1;
		if (t.cls == V_ASN1_CONTEXT_SPECIFIC && t.tag == 3) {
			m->sans = mimic_san(t.content, t.len);
			break;
		}
	}
	return 0;
}

/*
 * Read the notAfter and SAN of the PEM certificate at pem. Returns 0, or
 * -1 when it is not a certificate we can read (the caller then mints from
 * the host alone). m->sans, when set, is the caller's to free.
 */
int
mimic_parse(const char *pem, size_t len, struct mimic *m)
{
	BIO		*bio;
	char		*name = NULL, *header = NULL;
	unsigned char	*der = NULL;
	long		 derlen = 0;
	int		 rv = -1;

	memset(m, 0, sizeof *m);
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) == 1 &&
	    strcmp(name, PEM_STRING_X509) == 0 && header[0] == '\0')
		rv = mimic_der(der, derlen, m);
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	if (rv == -1) {
		GENERAL_NAMES_free(m->sans);
		m->sans = NULL;
	}
	return rv;
}
