/*
 * Unit tests for the minted-certificate profile (cert_helper/certgen/forge.c)
 * through certgen_answer, and for the caches behind it (lcache.c,
 * dbcache.c): every row of the allowlist, the validity clamp, signSelf,
 * RSA leaves, the clock the caller gives, the shared cache across
 * instances, names that normalize alike, and cache files damaged before
 * open and under running helpers.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certgen.h"
#include "certgen_pki.h"
#include "issued.h"
#include "unit_test.h"

static EVP_PKEY	*ca_key;
static X509	*ca;
static char	*ca_pem, *ca_key_pem, tmpdir[64];
static time_t	 now;		/* the clock the helpers are given */

static void
setup_pki(void)
{
	struct pki_spec	cas = { "Test Issuing CA", NULL, 60, 1, NULL };

	ca_key = pki_key("EC");
	ca = pki_cert(&cas, ca_key, NULL, NULL);
	ca_pem = pki_pem_cert(ca);
	ca_key_pem = pki_pem_key(ca_key);
	strcpy(tmpdir, "/tmp/test_forge.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	now = time(NULL);
}

static void
teardown_pki(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

/* A helper with a profile: optional cache dir, CRL and AIA URLs. */
static struct certgen *
helper(struct opts *o, const char *dir, const char *keytype)
{
	struct certgen	*cg;
	char		*cause = NULL;

	ck_assert_int_eq(opts_defaults(o, &cause), 0);
	ck_assert_int_eq(opts_set(o, "cache-dir", dir ? dir : "none",
	    &cause), 0);
	ck_assert_int_eq(opts_set(o, "crl-url", "http://crl.test/{ca}.crl",
	    &cause), 0);
	ck_assert_int_eq(opts_set(o, "aia-url", "http://aia.test/{ca}.der",
	    &cause), 0);
	if (keytype != NULL)
		ck_assert_int_eq(opts_set(o, "key-type", keytype, &cause), 0);
	cg = certgen_new(o, now, &cause);
	ck_assert_ptr_nonnull(cg);
	return cg;
}

/* Mint through cg for params and mimic PEM; returns the leaf, key in *k. */
static X509 *
mint(struct certgen *cg, const char *params, const char *mimic,
    EVP_PKEY **k, char **raw)
{
	struct proto_req	 req;
	char			*b, *cause = NULL;
	unsigned char		*data;
	size_t			 len;
	BIO			*bio;
	X509			*x;

	b = pki_body(params, ca_pem, ca_key_pem, mimic);
	ck_assert_int_eq(proto_parse(b, strlen(b), &req, &cause), 0);
	if (certgen_answer(cg, &req, now, &data, &len, &cause) == -1)
		ck_abort_msg("answer: %s", cause);
	bio = BIO_new_mem_buf(data, (int)len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(x);
	*k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(*k);
	BIO_free(bio);
	/* The reply's certificate PEM is what OpenSSL's PEM writer makes. */
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_X509(bio, x), 1);
	{
		char	*pem;
		long	 n = BIO_get_mem_data(bio, &pem);

		ck_assert_uint_ge(len, (size_t)n);
		ck_assert_int_eq(memcmp(data, pem, (size_t)n), 0);
	}
	BIO_free(bio);
	if (raw != NULL)
		*raw = strndup((char *)data, len);
	free(data);
	free(b);
	return x;
}

static char *
origin(const char *cn, const char *sans, long days, int isca,
    const char *extra)
{
	struct pki_spec	 s = { cn, sans, days, isca, extra };
	EVP_PKEY	*k = pki_key("EC");
	X509		*x = pki_cert(&s, k, NULL, NULL);
	char		*pem = pki_pem_cert(x);

	X509_free(x);
	EVP_PKEY_free(k);
	return pem;
}

/* The SAN as text "DNS:a,IP:1.2.3.4,". */
static void
san_text(X509 *x, char *buf, size_t size)
{
	GENERAL_NAMES	*g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
			    NULL);
	int		 i;
	char		 ip[64];

	buf[0] = '\0';
	for (i = 0; g != NULL && i < sk_GENERAL_NAME_num(g); i++) {
		GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);

		if (n->type == GEN_DNS)
			snprintf(buf + strlen(buf), size - strlen(buf),
			    "DNS:%s,", n->d.dNSName->data);
		else if (n->type == GEN_IPADD) {
			BIO *b = BIO_new(BIO_s_mem());
			int l;

			GENERAL_NAME_print(b, n);
			l = BIO_read(b, ip, sizeof ip - 1);
			ip[l > 0 ? l : 0] = '\0';
			BIO_free(b);
			snprintf(buf + strlen(buf), size - strlen(buf), "%s,",
			    ip);
		}
	}
	GENERAL_NAMES_free(g);
}

/* The allowlist rows every leaf must satisfy. */
static void
check_profile(X509 *x, EVP_PKEY *k, int rsa)
{
	BASIC_CONSTRAINTS	*bc;
	ASN1_BIT_STRING		*ku;
	EXTENDED_KEY_USAGE	*eku;
	AUTHORITY_KEYID		*akid;
	const ASN1_OCTET_STRING	*caski = X509_get0_subject_key_id(ca);
	int			 crit;
	BIGNUM			*bn;

	ck_assert_int_eq(X509_get_version(x), X509_VERSION_3);
	ck_assert_int_eq(X509_verify(x, ca_key), 1);
	ck_assert_int_eq(X509_check_private_key(x, k), 1);
	ck_assert_int_ne(EVP_PKEY_eq(k, ca_key), 1);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	ck_assert(bc != NULL && !bc->ca && crit == 1);
	BASIC_CONSTRAINTS_free(bc);
	ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	ck_assert(ku != NULL && crit == 1);
	ck_assert_int_eq(ASN1_BIT_STRING_get_bit(ku, 0), 1);
	ck_assert_int_eq(ASN1_BIT_STRING_get_bit(ku, 2), rsa);
	ck_assert_int_eq(ASN1_BIT_STRING_get_bit(ku, 5), 0);
	ASN1_BIT_STRING_free(ku);
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	ck_assert(eku != NULL && sk_ASN1_OBJECT_num(eku) == 1);
	ck_assert_int_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)),
	    NID_server_auth);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(x));
	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	ck_assert(akid != NULL && ASN1_OCTET_STRING_cmp(akid->keyid,
	    caski) == 0);
	AUTHORITY_KEYID_free(akid);
	ck_assert(pki_has_ext(x, NID_crl_distribution_points));
	ck_assert(pki_has_ext(x, NID_info_access));
	ck_assert(!pki_has_ext(x, NID_certificate_policies));
	ck_assert(!pki_has_ext(x, NID_tlsfeature));
	ck_assert(!pki_has_ext(x, NID_ct_precert_scts));
	ck_assert(!pki_has_ext(x, NID_name_constraints));
	ck_assert_int_eq(X509_get_ext_count(x), 8);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	ck_assert(!BN_is_negative(bn) && BN_num_bits(bn) >= 64);
	BN_free(bn);
	ck_assert_int_eq(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
}

/* Days between the leaf's notBefore and notAfter. */
static double
lifetime_days(X509 *x)
{
	return (double)(forge_time(X509_get0_notAfter(x)) -
	    forge_time(X509_get0_notBefore(x))) / 86400.0;
}

START_TEST(profile_san_rich_origin)
{
	struct opts	 o;
	struct certgen	*cg = helper(&o, NULL, NULL);
	EVP_PKEY	*k;
	char		*m, sans[4096], crl[256];
	X509		*x;
	CRL_DIST_POINTS	*dps;
	GENERAL_NAME	*g;

	m = origin("www.origin.test", "DNS:www.origin.test,DNS:API.origin.test,"
	    "DNS:*.cdn.origin.test,IP:192.0.2.1,IP:2001:db8::1,"
	    "email:a@origin.test,URI:http://x.test/,DNS:bad name.test",
	    90, 0, "certificatePolicies=2.23.140.1.2.1|"
	    "tlsfeature=status_request|"
	    "crlDistributionPoints=URI:http://origin.test/crl|"
	    "authorityInfoAccess=OCSP;URI:http://ocsp.origin.test");
	x = mint(cg, "host=www.origin.test\nSign=signTrusted\n"
	    "SignHash=SHA256\n", m, &k, NULL);
	check_profile(x, k, 0);
	san_text(x, sans, sizeof sans);
	ck_assert_str_eq(sans, "DNS:www.origin.test,DNS:api.origin.test,"
	    "DNS:*.cdn.origin.test,IP Address:192.0.2.1,"
	    "IP Address:2001:DB8:0:0:0:0:0:1,");
	ck_assert_int_eq(X509_check_host(x, "www.origin.test", 0, 0, NULL), 1);
	dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	g = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->
	    distpoint->name.fullname, 0);
	snprintf(crl, sizeof crl, "%s", g->d.uniformResourceIdentifier->data);
	CRL_DIST_POINTS_free(dps);
	ck_assert(strncmp(crl, "http://crl.test/", 16) == 0);
	ck_assert_uint_eq(strlen(crl), 16 + 40 + 4);	/* SHA-1 key id */
	ck_assert(lifetime_days(x) <= 30.05);
	X509_free(x);
	EVP_PKEY_free(k);
	free(m);
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

/*
 * A signing CA with excluded subtrees (sslinspect-ca --exclude-list): the
 * mimicked names it may not vouch for are left out, so the leaf verifies
 * for its host under the CA; the others stay.
 */
START_TEST(profile_name_constraints_drop_excluded)
{
	struct pki_spec	 s = { "NC Issuing CA", NULL, 60, 1,
			    "nameConstraints=critical,excluded;DNS:bank.test,"
			    "excluded;IP:198.51.100.0/255.255.255.0" };
	struct opts	 o;
	struct certgen	*cg = helper(&o, NULL, NULL);
	EVP_PKEY	*k, *nk = pki_key("EC");
	X509		*x, *nca = pki_cert(&s, nk, NULL, NULL);
	X509_STORE	*st = X509_STORE_new();
	X509_STORE_CTX	*vc = X509_STORE_CTX_new();
	char		*m, sans[4096];
	char		*save_pem = ca_pem, *save_key = ca_key_pem;

	ca_pem = pki_pem_cert(nca);
	ca_key_pem = pki_pem_key(nk);
	m = origin("shop.test", "DNS:shop.test,DNS:bank.test,DNS:WWW.Bank.test,"
	    "DNS:mybank.test,DNS:cdn.test,IP:198.51.100.7,IP:192.0.2.7",
	    90, 0, NULL);
	x = mint(cg, "host=shop.test\nSign=signTrusted\nSignHash=SHA256\n",
	    m, &k, NULL);
	san_text(x, sans, sizeof sans);
	ck_assert_str_eq(sans, "DNS:shop.test,DNS:mybank.test,DNS:cdn.test,"
	    "IP Address:192.0.2.7,");
	/* The leaf verifies under the constrained CA for its host. */
	ck_assert_int_eq(X509_STORE_add_cert(st, nca), 1);
	ck_assert_int_eq(X509_STORE_CTX_init(vc, st, x, NULL), 1);
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(vc),
	    "shop.test", 0);
	X509_STORE_CTX_set_time(vc, 0, now + 60);
	ck_assert_msg(X509_verify_cert(vc) == 1, "verify: %s",
	    X509_verify_cert_error_string(X509_STORE_CTX_get_error(vc)));
	X509_STORE_CTX_free(vc);
	X509_STORE_free(st);
	X509_free(x);
	EVP_PKEY_free(k);
	free(m);
	free(ca_pem);
	free(ca_key_pem);
	ca_pem = save_pem;
	ca_key_pem = save_key;
	X509_free(nca);
	EVP_PKEY_free(nk);
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

START_TEST(profile_origin_shapes)
{
	struct opts	 o;
	struct certgen	*cg = helper(&o, NULL, NULL);
	EVP_PKEY	*k;
	char		*m, sans[1024];
	X509		*x;
	time_t		 na;

	/* CN only, 8 years, CA:TRUE: the leaf is CA:FALSE, 30 days. */
	m = origin("legacy.origin.test", NULL, 8 * 365, 1, NULL);
	x = mint(cg, "host=legacy.origin.test\n", m, &k, NULL);
	check_profile(x, k, 0);
	san_text(x, sans, sizeof sans);
	ck_assert_str_eq(sans, "DNS:legacy.origin.test,");
	na = forge_time(X509_get0_notAfter(x));
	ck_assert(na <= now + 30 * 86400 + 5);
	X509_free(x);
	EVP_PKEY_free(k);
	free(m);
	/* Origin expiring in 2 days: the leaf expires with it. */
	m = origin("soon.origin.test", "DNS:soon.origin.test", 2, 0, NULL);
	x = mint(cg, "host=soon.origin.test\n", m, &k, NULL);
	ck_assert(lifetime_days(x) < 3.1);
	X509_free(x);
	EVP_PKEY_free(k);
	/* setValidAfter: the origin's date is ignored, the cap is not. */
	x = mint(cg, "host=soon.origin.test\nsetValidAfter=on\n", m, &k, NULL);
	ck_assert(lifetime_days(x) > 29.9 && lifetime_days(x) < 30.1);
	X509_free(x);
	EVP_PKEY_free(k);
	free(m);
	/* No origin certificate; an IP literal; an IDN (A-label). */
	x = mint(cg, "host=NoCert.Origin.test.\n", NULL, &k, NULL);
	san_text(x, sans, sizeof sans);
	ck_assert_str_eq(sans, "DNS:nocert.origin.test,");
	X509_free(x);
	EVP_PKEY_free(k);
	x = mint(cg, "host=[2001:db8::7]\n", NULL, &k, NULL);
	check_profile(x, k, 0);
	ck_assert_int_eq(X509_check_ip_asc(x, "2001:db8::7", 0), 1);
	X509_free(x);
	EVP_PKEY_free(k);
	x = mint(cg, "host=xn--bcher-kva.example\n", NULL, &k, NULL);
	ck_assert_int_eq(X509_check_host(x, "xn--bcher-kva.example", 0, 0,
	    NULL), 1);
	X509_free(x);
	EVP_PKEY_free(k);
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

START_TEST(profile_set_common_name_and_hash)
{
	struct opts	 o;
	struct certgen	*cg = helper(&o, NULL, NULL);
	EVP_PKEY	*k;
	char		*m, sans[1024];
	X509		*x;

	m = origin("a.origin.test", "DNS:a.origin.test,DNS:b.origin.test", 60,
	    0, NULL);
	x = mint(cg, "host=forced.test\nsetCommonName=forced.test\n"
	    "SignHash=SHA1\n", m, &k, NULL);
	san_text(x, sans, sizeof sans);
	ck_assert_str_eq(sans, "DNS:forced.test,");
	ck_assert_int_eq(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	X509_free(x);
	EVP_PKEY_free(k);
	x = mint(cg, "host=a.origin.test\nSignHash=SHA512\n", m, &k, NULL);
	ck_assert_int_eq(X509_get_signature_nid(x), NID_ecdsa_with_SHA512);
	X509_free(x);
	EVP_PKEY_free(k);
	free(m);
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

START_TEST(profile_sign_self_and_rsa)
{
	struct opts	 o;
	struct certgen	*cg = helper(&o, NULL, "rsa-2048");
	EVP_PKEY	*k;
	X509		*x;

	x = mint(cg, "host=self.origin.test\nSign=signSelf\n", NULL, &k, NULL);
	ck_assert_int_eq(X509_verify(x, k), 1);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)), 0);
	ck_assert(!pki_has_ext(x, NID_crl_distribution_points));
	X509_free(x);
	EVP_PKEY_free(k);
	x = mint(cg, "host=rsa.origin.test\n", NULL, &k, NULL);
	check_profile(x, k, 1);
	ck_assert(EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) == 2048);
	X509_free(x);
	EVP_PKEY_free(k);
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

START_TEST(profile_san_cap)
{
	struct opts	 o;
	struct certgen	*cg = helper(&o, NULL, NULL);
	EVP_PKEY	*k;
	char		*sans = malloc(200 * 24), *m;
	X509		*x;
	GENERAL_NAMES	*g;
	int		 i;

	sans[0] = '\0';
	for (i = 0; i < 200; i++)
		sprintf(sans + strlen(sans), "%sDNS:n%d.origin.test",
		    i ? "," : "", i);
	m = origin("n0.origin.test", sans, 30, 0, NULL);
	x = mint(cg, "host=n0.origin.test\n", m, &k, NULL);
	g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	ck_assert_int_eq(sk_GENERAL_NAME_num(g), FORGE_SAN_MAX);
	GENERAL_NAMES_free(g);
	X509_free(x);
	EVP_PKEY_free(k);
	free(m);
	free(sans);
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

/* Count lines of the issued record that name host. */
static int
issued_count_cb(const struct issued_rec *r, void *arg)
{
	int	*n = arg;

	if (strcmp(r->host, "shared.origin.test") == 0)
		(*n)++;
	return 0;
}

START_TEST(cache_shared_and_recorded)
{
	struct opts	 o1, o2;
	struct certgen	*a, *b;
	EVP_PKEY	*k;
	X509		*x;
	char		 dir[128], path[160], *r1, *r2, *r3, *cause = NULL;
	struct stat	 sb;
	int		 n = 0;

	snprintf(dir, sizeof dir, "%s/shared", tmpdir);
	a = helper(&o1, dir, NULL);
	b = helper(&o2, dir, NULL);
	x = mint(a, "host=shared.origin.test\n", NULL, &k, &r1);
	X509_free(x);
	EVP_PKEY_free(k);
	x = mint(a, "host=shared.origin.test\n", NULL, &k, &r2);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_str_eq(r1, r2);
	ck_assert_uint_eq(certgen_stats(a)->mem_hits, 1);
	certgen_flush(a);	/* what the request loop does after replying */
	x = mint(b, "host=shared.origin.test\n", NULL, &k, &r3);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_str_eq(r1, r3);
	ck_assert_uint_eq(certgen_stats(b)->db_hits, 1);
	ck_assert_uint_eq(certgen_stats(b)->minted, 0);
	/* The cache holds no CA key, and is for the helper's user only. */
	snprintf(path, sizeof path, "%s/cache.mdb", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 077, 0);
	snprintf(path, sizeof path, "%s/issued.tsv", dir);
	ck_assert_int_eq(issued_foreach(path, issued_count_cb, &n, &cause), 0);
	ck_assert_int_eq(n, 1);
	free(r1);
	free(r2);
	free(r3);
	certgen_free(a);
	certgen_free(b);
	opts_free(&o1);
	opts_free(&o2);
}
END_TEST

START_TEST(cache_corrupt_rebuilt)
{
	struct opts	 o;
	struct certgen	*cg;
	EVP_PKEY	*k;
	X509		*x;
	char		 dir[128], path[160], junk[8192];
	int		 fd;

	snprintf(dir, sizeof dir, "%s/corrupt", tmpdir);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/cache.mdb", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	memset(junk, 0x5a, sizeof junk);
	ck_assert_int_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	cg = helper(&o, dir, NULL);
	x = mint(cg, "host=after.corrupt.test\n", NULL, &k, NULL);
	check_profile(x, k, 0);
	X509_free(x);
	EVP_PKEY_free(k);
	certgen_free(cg);
	opts_free(&o);
	/* A fresh instance finds the entry in the rebuilt file. */
	cg = helper(&o, dir, NULL);
	x = mint(cg, "host=after.corrupt.test\n", NULL, &k, NULL);
	ck_assert_uint_eq(certgen_stats(cg)->db_hits, 1);
	X509_free(x);
	EVP_PKEY_free(k);
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

/* Flip one byte in the data of every value of the cache in dir. */
static int
damage_values(const char *dir)
{
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	MDB_cursor	*cur;
	MDB_val		 k, v, nv;
	char		 path[160];
	unsigned char	*copy;
	int		 n = 0;

	snprintf(path, sizeof path, "%s/cache.mdb", dir);
	ck_assert_int_eq(mdb_env_create(&env), 0);
	mdb_env_set_mapsize(env, 128 << 20);
	ck_assert_int_eq(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, dbi, &cur), 0);
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		copy = malloc(v.mv_size);
		memcpy(copy, v.mv_data, v.mv_size);
		copy[v.mv_size - 40] ^= 0x20;	/* inside the PEM */
		nv.mv_size = v.mv_size;
		nv.mv_data = copy;
		ck_assert_int_eq(mdb_cursor_put(cur, &k, &nv, MDB_CURRENT), 0);
		free(copy);
		n++;
	}
	mdb_cursor_close(cur);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	return n;
}

START_TEST(cache_damaged_entry_never_served)
{
	struct opts	 o;
	struct certgen	*cg;
	EVP_PKEY	*k;
	X509		*x;
	char		 dir[128], *r1, *r2;

	snprintf(dir, sizeof dir, "%s/damaged", tmpdir);
	cg = helper(&o, dir, NULL);
	x = mint(cg, "host=damaged.origin.test\n", NULL, &k, &r1);
	X509_free(x);
	EVP_PKEY_free(k);
	certgen_free(cg);
	opts_free(&o);
	ck_assert_int_eq(damage_values(dir), 1);
	/* A new instance finds the damaged entry, drops it, mints anew. */
	cg = helper(&o, dir, NULL);
	x = mint(cg, "host=damaged.origin.test\n", NULL, &k, &r2);
	ck_assert_uint_eq(certgen_stats(cg)->db_hits, 0);
	ck_assert_uint_eq(certgen_stats(cg)->minted, 1);
	check_profile(x, k, 0);
	ck_assert_str_ne(r1, r2);
	X509_free(x);
	EVP_PKEY_free(k);
	free(r1);
	free(r2);
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

/* A's damaged page under running helpers: see damage_root_page. */
static long
lmdb_meta(const unsigned char *m, size_t off)
{
	uint64_t	v;

	memcpy(&v, m + off, sizeof v);
	return (long)v;
}

/*
 * Zero the root page of the main database of the LMDB file in dir, as a
 * crash without fsync can leave a page, through the file: helpers that
 * have it open see it at once, their map being shared. The newer of the
 * two meta pages names the root (LMDB's on-disk layout on 64-bit hosts:
 * page size at byte 40, root page at 128, transaction id at 144).
 */
static void
damage_root_page(const char *dir)
{
	unsigned char	 m[2][160], *zero;
	char		 path[160];
	uint32_t	 psize;
	long		 root;
	int		 fd;

	snprintf(path, sizeof path, "%s/cache.mdb", dir);
	ck_assert_int_ne(fd = open(path, O_RDWR), -1);
	ck_assert_int_eq(pread(fd, m[0], sizeof m[0], 0), (ssize_t)sizeof m[0]);
	memcpy(&psize, m[0] + 40, sizeof psize);
	ck_assert(psize >= 512 && psize <= 65536);
	ck_assert_int_eq(pread(fd, m[1], sizeof m[1], psize),
	    (ssize_t)sizeof m[1]);
	root = lmdb_meta(m[lmdb_meta(m[1], 144) > lmdb_meta(m[0], 144)], 128);
	ck_assert(root >= 2);
	zero = calloc(1, psize);
	ck_assert_int_eq(pwrite(fd, zero, psize, root * (off_t)psize),
	    (ssize_t)psize);
	free(zero);
	close(fd);
}

START_TEST(cache_damage_under_running_helpers)
{
	struct opts	 o1, o2, o3;
	struct certgen	*a, *b, *c;
	EVP_PKEY	*k;
	X509		*x;
	char		 dir[128], params[64], *r1, *r2, *r3;
	int		 i;

	snprintf(dir, sizeof dir, "%s/inside", tmpdir);
	a = helper(&o1, dir, NULL);
	b = helper(&o2, dir, NULL);
	for (i = 0; i < 40; i++) {
		snprintf(params, sizeof params, "host=h%d.damage.test\n", i);
		x = mint(a, params, NULL, &k, NULL);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	certgen_flush(a);
	damage_root_page(dir);
	/* a meets the damage: it replaces the file, mints and shares */
	x = mint(a, "host=after.damage.test\n", NULL, &k, &r1);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_uint_eq(certgen_stats(a)->minted, 41);
	certgen_flush(a);
	/* b meets it too, moves to a's new file and finds the leaf there */
	x = mint(b, "host=after.damage.test\n", NULL, &k, &r2);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_str_eq(r1, r2);
	ck_assert_uint_eq(certgen_stats(b)->db_hits, 1);
	ck_assert_uint_eq(certgen_stats(b)->minted, 0);
	/* what the old file held is gone: minted again, and shared again */
	x = mint(b, "host=h7.damage.test\n", NULL, &k, NULL);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_uint_eq(certgen_stats(b)->minted, 1);
	certgen_flush(b);
	c = helper(&o3, dir, NULL);
	x = mint(c, "host=after.damage.test\n", NULL, &k, &r3);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_str_eq(r1, r3);
	x = mint(c, "host=h7.damage.test\n", NULL, &k, NULL);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_uint_eq(certgen_stats(c)->db_hits, 2);
	free(r1);
	free(r2);
	free(r3);
	certgen_free(a);
	certgen_free(b);
	certgen_free(c);
	opts_free(&o1);
	opts_free(&o2);
	opts_free(&o3);
}
END_TEST

/*
 * "1.2.3.4." is a DNS name and "1.2.3.4" an IP address: both normalize to
 * the same text, and neither may be served the other's leaf from a cache.
 */
START_TEST(cache_ip_and_dotted_name_apart)
{
	struct opts	 o1, o2;
	struct certgen	*a, *b;
	EVP_PKEY	*k;
	X509		*x;
	char		 dir[128], san[256];

	snprintf(dir, sizeof dir, "%s/kind", tmpdir);
	a = helper(&o1, dir, NULL);
	x = mint(a, "host=1.2.3.4.\n", NULL, &k, NULL);
	san_text(x, san, sizeof san);
	ck_assert_str_eq(san, "DNS:1.2.3.4,");
	X509_free(x);
	EVP_PKEY_free(k);
	x = mint(a, "host=1.2.3.4\n", NULL, &k, NULL);
	san_text(x, san, sizeof san);
	ck_assert_str_eq(san, "IP Address:1.2.3.4,");
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_uint_eq(certgen_stats(a)->minted, 2);
	ck_assert_uint_eq(certgen_stats(a)->mem_hits, 0);
	certgen_flush(a);
	/* the shared cache keeps them apart as well */
	b = helper(&o2, dir, NULL);
	x = mint(b, "host=1.2.3.4\n", NULL, &k, NULL);
	san_text(x, san, sizeof san);
	ck_assert_str_eq(san, "IP Address:1.2.3.4,");
	X509_free(x);
	EVP_PKEY_free(k);
	x = mint(b, "host=1.2.3.4.\n", NULL, &k, NULL);
	san_text(x, san, sizeof san);
	ck_assert_str_eq(san, "DNS:1.2.3.4,");
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_uint_eq(certgen_stats(b)->db_hits, 2);
	ck_assert_uint_eq(certgen_stats(b)->minted, 0);
	certgen_free(a);
	certgen_free(b);
	opts_free(&o1);
	opts_free(&o2);
}
END_TEST

/*
 * The helper reads no clock of its own: validity and cache expiry follow
 * the time it is given.
 */
START_TEST(clock_given_by_caller)
{
	struct opts	 o;
	struct certgen	*cg;
	EVP_PKEY	*k;
	X509		*x;
	time_t		 real = now, na, margin, expires;

	cg = helper(&o, NULL, NULL);
	now = real + 10 * 86400;
	x = mint(cg, "host=clock.origin.test\n", NULL, &k, NULL);
	ck_assert_int_eq(forge_time(X509_get0_notBefore(x)), now - 3600);
	na = forge_time(X509_get0_notAfter(x));
	margin = (na - now) / 4 < 86400 ? (na - now) / 4 : 86400;
	expires = na - margin;
	X509_free(x);
	EVP_PKEY_free(k);
	now = expires - 1;
	x = mint(cg, "host=clock.origin.test\n", NULL, &k, NULL);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_uint_eq(certgen_stats(cg)->mem_hits, 1);
	now = expires;
	x = mint(cg, "host=clock.origin.test\n", NULL, &k, NULL);
	ck_assert_int_eq(forge_time(X509_get0_notBefore(x)), now - 3600);
	X509_free(x);
	EVP_PKEY_free(k);
	ck_assert_uint_eq(certgen_stats(cg)->minted, 2);
	now = real;
	certgen_free(cg);
	opts_free(&o);
}
END_TEST

START_TEST(dbcache_expiry_and_eviction)
{
	struct dbcache	*db;
	unsigned char	 key[32], *data = NULL, val[100];
	char		 dir[128], *cause = NULL;
	size_t		 len;
	time_t		 exp;

	snprintf(dir, sizeof dir, "%s/entry", tmpdir);
	db = dbcache_open(dir, 1 << 20, &cause);
	ck_assert_ptr_nonnull(db);
	/*
	 * Every page of both files is backed on the disk: none is left to
	 * a write through the map that a full disk turns into SIGBUS.
	 */
	for (int i = 0; i < 2; i++) {
		char		p[160];
		struct stat	sb;

		snprintf(p, sizeof p, "%s/cache.mdb%s", dir,
		    i ? "-lock" : "");
		ck_assert_int_eq(stat(p, &sb), 0);
		ck_assert_int_gt(sb.st_size, 0);
		ck_assert_msg((off_t)sb.st_blocks * 512 >= sb.st_size,
		    "%s: %lld of %lld bytes backed", p,
		    (long long)sb.st_blocks * 512, (long long)sb.st_size);
	}
	memset(key, 1, sizeof key);
	memset(val, 'v', sizeof val);
	ck_assert_int_eq(dbcache_put(db, key, val, sizeof val, now + 100, now,
	    &cause), 0);
	ck_assert_int_eq(dbcache_get(db, key, now, &data, &len, &exp, &cause),
	    1);
	ck_assert_uint_eq(len, sizeof val);
	free(data);
	/* Expired: a miss. */
	ck_assert_int_eq(dbcache_get(db, key, now + 100, &data, &len, &exp,
	    &cause), 0);
	/* Fill past the map size: eviction keeps it working. */
	for (int i = 0; i < 3000; i++) {
		unsigned char big[1000];

		memset(big, i, sizeof big);
		memcpy(key, &i, sizeof i);
		if (dbcache_put(db, key, big, sizeof big, now + 1000, now + i,
		    &cause) == -1)
			ck_abort_msg("put %d: %s", i, cause);
	}
	dbcache_close(db);
}
END_TEST

/*
 * The file truncated under a process that has it mapped: the next lookup
 * must neither die of SIGBUS (which fails the run) nor serve anything;
 * the cache then works again.
 */
START_TEST(dbcache_truncated_under_it)
{
	struct dbcache	*db;
	unsigned char	 key[32], *data = NULL, val[64];
	char		 dir[128], path[160], *cause = NULL;
	size_t		 len;
	time_t		 exp;

	snprintf(dir, sizeof dir, "%s/shrunk", tmpdir);
	snprintf(path, sizeof path, "%s/cache.mdb", dir);
	db = dbcache_open(dir, 1 << 20, &cause);
	ck_assert_ptr_nonnull(db);
	memset(key, 7, sizeof key);
	memset(val, 'v', sizeof val);
	ck_assert_int_eq(dbcache_put(db, key, val, sizeof val, now + 100, now,
	    &cause), 0);
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(dbcache_get(db, key, now, &data, &len, &exp, &cause),
	    0);
	ck_assert_int_eq(dbcache_put(db, key, val, sizeof val, now + 100, now,
	    &cause), 0);
	ck_assert_int_eq(dbcache_get(db, key, now, &data, &len, &exp, &cause),
	    1);
	free(data);
	/* And a write meeting it first. */
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(dbcache_put(db, key, val, sizeof val, now + 100, now,
	    &cause), 0);
	ck_assert_int_eq(dbcache_get(db, key, now, &data, &len, &exp, &cause),
	    1);
	free(data);
	dbcache_close(db);
}
END_TEST

START_TEST(lcache_bounded_lru)
{
	struct lcache	*lc = lcache_new(2);
	unsigned char	 k1[32] = { 1 }, k2[32] = { 2 }, k3[32] = { 3 };
	size_t		 len;

	lcache_put(lc, k1, (const unsigned char *)"one", 3, 100);
	lcache_put(lc, k2, (const unsigned char *)"two", 3, 100);
	ck_assert_ptr_nonnull(lcache_get(lc, k1, 50, &len));
	lcache_put(lc, k3, (const unsigned char *)"three", 5, 100);
	ck_assert_uint_eq(lcache_count(lc), 2);
	ck_assert_ptr_null(lcache_get(lc, k2, 50, &len));	/* evicted */
	ck_assert_ptr_nonnull(lcache_get(lc, k1, 50, &len));
	ck_assert_ptr_null(lcache_get(lc, k3, 100, &len));	/* expired */
	lcache_free(lc);
}
END_TEST

START_TEST(url_expansion)
{
	char	buf[64];

	ck_assert_uint_eq(forge_expand_url("http://x/{ca}/{ca}.crl", "ab",
	    buf, sizeof buf), 18);
	ck_assert_str_eq(buf, "http://x/ab/ab.crl");
	ck_assert_uint_eq(forge_expand_url("http://x/{ca}", "ab", buf, 8), 0);
}
END_TEST

static Suite *
forge_suite(void)
{
	Suite	*s = suite_create("forge");
	TCase	*tc = tcase_create("forge");

	tcase_add_unchecked_fixture(tc, setup_pki, teardown_pki);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, profile_san_rich_origin);
	tcase_add_test(tc, profile_origin_shapes);
	tcase_add_test(tc, profile_name_constraints_drop_excluded);
	tcase_add_test(tc, profile_set_common_name_and_hash);
	tcase_add_test(tc, profile_sign_self_and_rsa);
	tcase_add_test(tc, profile_san_cap);
	tcase_add_test(tc, cache_shared_and_recorded);
	tcase_add_test(tc, cache_corrupt_rebuilt);
	tcase_add_test(tc, cache_damaged_entry_never_served);
	tcase_add_test(tc, cache_damage_under_running_helpers);
	tcase_add_test(tc, cache_ip_and_dotted_name_apart);
	tcase_add_test(tc, clock_given_by_caller);
	tcase_add_test(tc, dbcache_expiry_and_eviction);
	tcase_add_test(tc, dbcache_truncated_under_it);
	tcase_add_test(tc, lcache_bounded_lru);
	tcase_add_test(tc, url_expansion);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_test_run(forge_suite(), UNIT_TEST_NOFORK);
}
