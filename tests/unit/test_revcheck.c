/*
 * Unit tests for cert_helper/certgen/revcheck.c: the serial read from the head
 * of a PEM certificate matches OpenSSL's for every serial shape, hostile input
 * gives -1, the revoked set follows its file (once a second, keeping the
 * last good set over a damaged file), and a helper with --revoked mints a
 * new leaf instead of serving a revoked one from its cache.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "certgen.h"
#include "certgen_pki.h"
#include "revoked.h"
#include "unit_test.h"

static EVP_PKEY	*ca_key;
static X509	*ca;
static char	 tmpdir[] = "/tmp/test_revcheck.XXXXXX";

static void
setup(void)
{
	struct pki_spec	cas = { "Revcheck CA", NULL, 30, 1, NULL };

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ca_key = pki_key("EC");
	ca = pki_cert(&cas, ca_key, NULL, NULL);
}

/*
 * The serial of x in lowercase hex without leading zeros, as OpenSSL reads it.
 */
static void
openssl_serial_hex(X509 *x, char *dst, size_t size)
{
	BIGNUM	*bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char	*hex = BN_bn2hex(bn), *p;

	for (p = hex; *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	p = hex;
	while (p[0] == '0' && p[1] != '\0')
		p++;
	snprintf(dst, size, "%s", p);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* A leaf with the given serial bytes (and version), re-signed. */
static char *
leaf_pem(const unsigned char *serial, int len, long version)
{
	struct pki_spec	 ls = { "leaf.test", "DNS:leaf.test", 10, 0, NULL };
	EVP_PKEY	*k = pki_key("EC");
	X509		*x = pki_cert(&ls, k, ca, ca_key);
	BIGNUM		*bn = BN_bin2bn(serial, len, NULL);
	char		*pem;

	ck_assert_ptr_nonnull(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	ck_assert_int_eq(X509_set_version(x, version), 1);
	ck_assert_int_gt(X509_sign(x, ca_key, EVP_sha256()), 0);
	pem = pki_pem_cert(x);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(k);
	return pem;
}

START_TEST(pem_serial_shapes)
{
	unsigned char	 s[20];
	char		 got[80], want[80], *pem;
	X509		*x;
	BIO		*bio;
	int		 lens[] = { 1, 8, 16, 20 }, i, v;

	for (v = 0; v <= 2; v += 2) {
		for (i = 0; i < 4; i++) {
			memset(s, 0, sizeof s);
			RAND_bytes(s, lens[i]);
			/* 20: a leading 00 in DER */
			s[0] |= i == 3 ? 0x80 : 0x01;
			pem = leaf_pem(s, lens[i], v);
			bio = BIO_new_mem_buf(pem, -1);
			x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
			ck_assert_ptr_nonnull(x);
			openssl_serial_hex(x, want, sizeof want);
			ck_assert_int_eq(revcheck_pem_serial((
			    unsigned char *)pem,
			    strlen(pem), got, sizeof got), 0);
			ck_assert_str_eq(got, want);
			/* One byte short (no room for the NUL), then exact. */
			ck_assert_int_eq(revcheck_pem_serial((
			    unsigned char *)pem,
			    strlen(pem), got, strlen(want)), -1);
			ck_assert_int_eq(revcheck_pem_serial((
			    unsigned char *)pem,
			    strlen(pem), got, strlen(want) + 1), 0);
			X509_free(x);
			BIO_free(bio);
			free(pem);
		}
	}
}
END_TEST

START_TEST(pem_serial_hostile)
{
	unsigned char	 s[16] = { 0x42 }, buf[256];
	char		 got[80], *pem = leaf_pem(s, sizeof s, 2);
	const char	*bad[] = {
		"",
		"-----BEGIN CERTIFICATE-----\n",
		"-----BEGIN PRIVATE "
		    "KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"-----BEGIN "
		    "CERTIFICATE-----\n!!!!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"-----BEGIN "
		    "CERTIFICATE-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"-----BEGIN "
		    "CERTIFICATE-----\nMIP/////MIP/////oP8CAQICEH//////////////"
		    "////"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		NULL
	};
	size_t		 i, n;
	int		 j;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_int_eq(revcheck_pem_serial((const unsigned char *)
		    bad[i], strlen(bad[i]), got, sizeof got), -1);
	/* Every single-byte change of the head ends in an answer. */
	n = strlen(pem) < sizeof buf ? strlen(pem) : sizeof buf;
	for (i = 28; i < 28 + 64; i++) {
		for (j = 0; j < 256; j += 7) {
			memcpy(buf, pem, n);
			buf[i] = (unsigned char)j;
			(void)revcheck_pem_serial(buf, n, got, sizeof got);
		}
	}
	free(pem);
}
END_TEST

/* Write records "keyid serial" (one per pair) to path, replacing it. */
static void
write_revoked(const char *path, const char **pairs, const char *extra)
{
	struct revoked_rec	 r;
	char			 line[512];
	FILE			*f = fopen(path, "w");
	int			 n;

	ck_assert_ptr_nonnull(f);
	for (; pairs != NULL && pairs[0] != NULL; pairs += 2) {
		memset(&r, 0, sizeof r);
		r.revoked = 1700000000;
		r.not_after = 1800000000;
		r.reason = -1;
		snprintf(r.issuer_keyid, sizeof r.issuer_keyid, "%s", pairs[0]);
		snprintf(r.serial, sizeof r.serial, "%s", pairs[1]);
		snprintf(r.label, sizeof r.label, "a.test");
		n = revoked_format(&r, line, sizeof line);
		ck_assert_int_gt(n, 0);
		fwrite(line, 1, (size_t)n, f);
	}
	if (extra != NULL)
		fputs(extra, f);
	fclose(f);
}

START_TEST(set_follows_file)
{
	const char	*two[] = { "aa11", "00c0ffee", "bb22", "1234", NULL },
			*three[] = { "aa11", "00c0ffee", "bb22", "1234",
			    "aa11", "77", NULL };
	char		 path[256], *cause = NULL;
	struct revcheck	*rc;
	time_t		 t = 1000;

	snprintf(path, sizeof path, "%s/revoked.tsv", tmpdir);
	unlink(path);
	rc = revcheck_new(path, t, &cause);
	ck_assert_ptr_nonnull(rc);
	ck_assert_uint_eq(revcheck_count(rc), 0);
	ck_assert_int_eq(revcheck_listed(rc, "aa11", "c0ffee"), 0);

	write_revoked(path, two, NULL);
	revcheck_refresh(rc, t);		/* the same second: not read */
	ck_assert_uint_eq(revcheck_count(rc), 0);
	revcheck_refresh(rc, ++t);
	ck_assert_uint_eq(revcheck_count(rc), 2);
	ck_assert_int_eq(revcheck_listed(rc, "aa11", "c0ffee"), 1);
	ck_assert_int_eq(revcheck_listed(rc, "aa11", "00c0ffee"), 1);
	ck_assert_int_eq(revcheck_listed(rc, "bb22", "c0ffee"), 0);
	ck_assert_int_eq(revcheck_listed(rc, "bb22", "1234"), 1);
	ck_assert_int_eq(revcheck_listed(rc, "bb22", "12345"), 0);

	write_revoked(path, three, NULL);
	revcheck_refresh(rc, ++t);
	ck_assert_uint_eq(revcheck_count(rc), 3);
	ck_assert_int_eq(revcheck_listed(rc, "aa11", "77"), 1);

	/* A damaged file keeps the last good set. */
	write_revoked(path, two, "v1\tnot a record\n");
	revcheck_refresh(rc, ++t);
	ck_assert_uint_eq(revcheck_count(rc), 3);
	ck_assert_int_eq(revcheck_listed(rc, "aa11", "77"), 1);

	/* Repaired: read again. */
	write_revoked(path, two, NULL);
	revcheck_refresh(rc, ++t);
	ck_assert_uint_eq(revcheck_count(rc), 2);
	ck_assert_int_eq(revcheck_listed(rc, "aa11", "77"), 0);

	unlink(path);
	revcheck_refresh(rc, ++t);
	ck_assert_uint_eq(revcheck_count(rc), 0);
	revcheck_free(rc);
}
END_TEST

/* The certificate of a reply ("OK <len> <cert PEM><key PEM>\1"). */
static X509 *
reply_cert(const char *out, size_t len)
{
	const char	*p = memmem(out, len, "-----BEGIN CERTIFICATE", 22);
	BIO		*bio;
	X509		*x;

	ck_assert_msg(p != NULL, "no certificate in %.80s", out);
	bio = BIO_new_mem_buf(p, (int)(len - (size_t)(p - out)));
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* One request through the helper at time now; the served certificate. */
static X509 *
ask(struct certgen *cg, const char *req, time_t now)
{
	struct cbuf	 out = { NULL, 0, 0 };
	X509		*x;

	ck_assert_uint_eq(certgen_handle(cg, req, strlen(req), now, &out),
	    strlen(req));
	x = reply_cert(out.data, out.len);
	cbuf_free(&out);
	return x;
}

START_TEST(helper_reminted_when_revoked)
{
	struct opts		 o;
	struct certgen		*cg;
	char			 path[256], kid[128], ser[80], *cause = NULL;
	char			*ca_pem = pki_pem_cert(ca),
	    *key_pem = pki_pem_key(ca_key);
	char			*body = pki_body("host=www.origin.test\n",
	    ca_pem,
				    key_pem, NULL), *req = pki_request("",
				    body);
	const ASN1_OCTET_STRING	*aki;
	const char		*pair[3] = { kid, ser, NULL };
	X509			*x1, *x2, *x3, *x4;
	time_t			 now = time(NULL);
	int			 i;

	snprintf(path, sizeof path, "%s/revoked-helper.tsv", tmpdir);
	unlink(path);
	ck_assert_int_eq(opts_defaults(&o, &cause), 0);
	ck_assert_int_eq(opts_set(&o, "cache-dir", "none", &cause), 0);
	ck_assert_int_eq(opts_set(&o, "revoked", path, &cause), 0);
	cg = certgen_new(&o, now, &cause);
	ck_assert_msg(cg != NULL, "%s", cause);

	x1 = ask(cg, req, now);
	x2 = ask(cg, req, now);
	ck_assert_int_eq(X509_cmp(x1, x2), 0);		/* a cache hit */
	aki = X509_get0_authority_key_id(x1);
	ck_assert_ptr_nonnull(aki);
	for (i = 0; i < aki->length; i++)
		snprintf(kid + i * 2, 3, "%02x", aki->data[i]);
	openssl_serial_hex(x1, ser, sizeof ser);
	write_revoked(path, pair, NULL);
	now++;					/* read at most once a second */

	x3 = ask(cg, req, now);
	ck_assert_int_ne(X509_cmp(x1, x3), 0);
	ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(x1),
	    X509_get0_serialNumber(x3)), 0);
	ck_assert_uint_eq(certgen_stats(cg)->revoked, 1);
	x4 = ask(cg, req, now);
	/* the new one is cached */
	ck_assert_int_eq(X509_cmp(x3, x4), 0);
	ck_assert_uint_eq(certgen_stats(cg)->revoked, 1);

	X509_free(x1);
	X509_free(x2);
	X509_free(x3);
	X509_free(x4);
	certgen_free(cg);
	opts_free(&o);
	free(req);
	free(body);
	free(ca_pem);
	free(key_pem);
	unlink(path);
}
END_TEST

static Suite *
revcheck_suite(void)
{
	Suite	*s = suite_create("revcheck");
	TCase	*tc = tcase_create("revcheck");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, pem_serial_shapes);
	tcase_add_test(tc, pem_serial_hostile);
	tcase_add_test(tc, set_follows_file);
	tcase_add_test(tc, helper_reminted_when_revoked);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int	rv = unit_test_run(revcheck_suite(), UNIT_TEST_NOFORK);

	rmdir(tmpdir);
	return rv;
}
