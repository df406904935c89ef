/*
 * Unit tests of the validation (cv_verify.c) on chains made here with
 * OpenSSL: a root in the trust store, an intermediate and a leaf, with one
 * fault at a time (expired, not yet valid, another host, a 1024-bit RSA
 * key, a SHA-1 signature, an unknown root, a missing intermediate); and
 * the worker pool, which answers requests with channel IDs each on its
 * own; a missing intermediate fetched by AIA from a server on loopback,
 * and kept. Revocation is otherwise off: cases 110 and 111 have its
 * servers.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certverify.h"
#include "unit_test.h"

#define DAY	86400L

/* What every test starts from, made once by the fixture. */
static time_t		 now;
static EVP_PKEY		*root_key, *int_key, *leaf_key, *other_key;
static X509		*root, *inter, *other_root;
static X509_STORE	*store;

/* Add the extension nid=value to x, issued by issuer. */
static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*e;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A certificate for cn with key, valid from now + from to now + to
 * seconds, signed by issuer's ikey with md (issuer NULL: self-signed). A
 * CA when san is NULL, else a server leaf with those subjectAltNames.
 */
static X509 *
mkcert(const char *cn, const char *san, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey, long from, long to, const EVP_MD *md)
{
	static long	 serial = 1;
	X509		*x;
	X509_NAME	*name;

	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	ck_assert_ptr_nonnull(X509_time_adj_ex(X509_getm_notBefore(x), 0, from,
	    &now));
	ck_assert_ptr_nonnull(X509_time_adj_ex(X509_getm_notAfter(x), 0, to,
	    &now));
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name);
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	if (issuer == NULL) {
		issuer = x;
		ikey = key;
	}
	add_ext(x, x, NID_subject_key_identifier, "hash");
	if (issuer != x)
		add_ext(x, issuer, NID_authority_key_identifier, "keyid");
	if (san == NULL) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
		add_ext(x, issuer, NID_subject_alt_name, san);
	}
	ck_assert_int_gt(X509_sign(x, ikey, md), 0);
	return x;
}

static void
setup(void)
{
	now = time(NULL);
	ck_assert_ptr_nonnull(root_key = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(int_key = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(leaf_key = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(other_key = EVP_EC_gen("P-256"));
	root = mkcert("Test Root", NULL, root_key, NULL, NULL, -DAY,
	    3650 * DAY, EVP_sha256());
	inter = mkcert("Test Intermediate", NULL, int_key, root, root_key,
	    -DAY, 365 * DAY, EVP_sha256());
	other_root = mkcert("Test Root", NULL, other_key, NULL, NULL, -DAY,
	    3650 * DAY, EVP_sha256());
	ck_assert_ptr_nonnull(store = X509_STORE_new());
	ck_assert_int_eq(X509_STORE_add_cert(store, root), 1);
}

static void
teardown(void)
{
	X509_STORE_free(store);
	X509_free(root);
	X509_free(inter);
	X509_free(other_root);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(int_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(other_key);
}

/*
 * Judge the chain (n certificates, leaf first, freed here) for host as
 * Squid would send it, with verifier v; the findings go to f, their
 * number is returned.
 */
static size_t
judge_by(const struct cv_verifier *v, X509 **chain, size_t n,
    const char *host, struct cv_finding *f)
{
	struct cv_req		 req;
	BIO			*bio[CV_CERTS_MAX];
	char			*cause = NULL, *p;
	size_t			 i, nf = 0;
	long			 len;

	memset(&req, 0, sizeof req);
	snprintf(req.host, sizeof req.host, "%s", host);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(bio[i] = BIO_new(BIO_s_mem()));
		ck_assert_int_eq(PEM_write_bio_X509(bio[i], chain[i]), 1);
		len = BIO_get_mem_data(bio[i], &p);
		req.certs[i].pem = p;
		req.certs[i].len = (size_t)len;
	}
	req.ncerts = n;
	ck_assert_msg(cv_verify(v, &req, now, f, CV_FINDINGS_MAX, &nf,
	    &cause) == 0, "cv_verify: %s", cause != NULL ? cause : "?");
	for (i = 0; i < n; i++) {
		BIO_free(bio[i]);
		X509_free(chain[i]);
	}
	return nf;
}

/* judge_by() without revocation checks. */
static size_t
judge(X509 **chain, size_t n, const char *host, struct cv_finding *f)
{
	struct cv_verifier	 v = { store, 2048, 256, NULL };

	return judge_by(&v, chain, n, host, f);
}

/* The finding named name, on the request's certificate cert, or NULL. */
static const struct cv_finding *
finding(const struct cv_finding *f, size_t nf, const char *name, int cert)
{
	size_t	i;

	for (i = 0; i < nf; i++) {
		if (strcmp(f[i].name, name) == 0 && f[i].cert == cert)
			return &f[i];
	}
	return NULL;
}

/* A leaf for a.test under the intermediate, from now + from to now + to. */
static X509 *
leaf(const char *san, EVP_PKEY *key, long from, long to, const EVP_MD *md)
{
	return mkcert("a.test", san, key, inter, int_key, from, to, md);
}

/* Judge leaf (freed here), sent with the intermediate, for host. */
static size_t
judge_leaf(X509 *x, const char *host, struct cv_finding *f)
{
	X509	*c[2];

	c[0] = x;
	c[1] = X509_dup(inter);
	return judge(c, 2, host, f);
}

/* A leaf valid from yesterday for 30 days, signed with SHA-256. */
#define GOOD_LEAF(san)	leaf((san), leaf_key, -DAY, 30 * DAY, EVP_sha256())

START_TEST(test_good_chain)
{
	struct cv_finding	 f[CV_FINDINGS_MAX];
	const char		*ips = "IP:192.0.2.7,IP:2001:db8::7";

	ck_assert_uint_eq(judge_leaf(GOOD_LEAF("DNS:a.test"), "a.test", f), 0);
	/* No host from Squid: no host check either. */
	ck_assert_uint_eq(judge_leaf(GOOD_LEAF("DNS:a.test"), "", f), 0);
	/* An IP literal, bracketed IPv6 too. */
	ck_assert_uint_eq(judge_leaf(GOOD_LEAF(ips), "192.0.2.7", f), 0);
	ck_assert_uint_eq(judge_leaf(GOOD_LEAF(ips), "[2001:db8::7]", f), 0);
}
END_TEST

START_TEST(test_expired)
{
	struct cv_finding	 f[CV_FINDINGS_MAX];
	const struct cv_finding	*e;
	size_t			 nf;

	nf = judge_leaf(leaf("DNS:a.test", leaf_key, -30 * DAY, -DAY,
	    EVP_sha256()), "a.test", f);
	ck_assert_ptr_nonnull(e = finding(f, nf, "X509_V_ERR_CERT_HAS_EXPIRED",
	    0));
	ck_assert_int_eq(e->cls, CV_EXPIRED);
	ck_assert_int_eq(e->depth, 0);
	ck_assert_uint_eq(nf, 1);
}
END_TEST

START_TEST(test_not_yet_valid)
{
	struct cv_finding	 f[CV_FINDINGS_MAX];
	const struct cv_finding	*e;
	size_t			 nf;

	nf = judge_leaf(leaf("DNS:a.test", leaf_key, DAY, 30 * DAY,
	    EVP_sha256()), "a.test", f);
	ck_assert_ptr_nonnull(e = finding(f, nf,
	    "X509_V_ERR_CERT_NOT_YET_VALID", 0));
	ck_assert_int_eq(e->cls, CV_NOT_YET_VALID);
	ck_assert_uint_eq(nf, 1);
}
END_TEST

START_TEST(test_wrong_host)
{
	struct cv_finding	 f[CV_FINDINGS_MAX];
	const struct cv_finding	*e;
	const char		*sans = "DNS:a.test,DNS:*.b.test";
	size_t			 nf;

	nf = judge_leaf(GOOD_LEAF(sans), "c.test", f);
	ck_assert_ptr_nonnull(e = finding(f, nf,
	    "SQUID_X509_V_ERR_DOMAIN_MISMATCH", 0));
	ck_assert_int_eq(e->cls, CV_WRONG_HOST);
	ck_assert_uint_eq(nf, 1);
	/* The wildcard covers one label, not two. */
	ck_assert_uint_eq(judge_leaf(GOOD_LEAF(sans), "x.b.test", f), 0);
	nf = judge_leaf(GOOD_LEAF(sans), "y.x.b.test", f);
	ck_assert_ptr_nonnull(finding(f, nf,
	    "SQUID_X509_V_ERR_DOMAIN_MISMATCH", 0));
}
END_TEST

START_TEST(test_weak_key)
{
	struct cv_finding	 f[CV_FINDINGS_MAX];
	const struct cv_finding	*e;
	EVP_PKEY		*k;
	size_t			 nf;

	ck_assert_ptr_nonnull(k = EVP_RSA_gen(1024));
	nf = judge_leaf(leaf("DNS:a.test", k, -DAY, 30 * DAY, EVP_sha256()),
	    "a.test", f);
	ck_assert_ptr_nonnull(e = finding(f, nf,
	    "X509_V_ERR_EE_KEY_TOO_SMALL", 0));
	ck_assert_int_eq(e->cls, CV_WEAK);
	ck_assert_uint_eq(nf, 1);
	EVP_PKEY_free(k);
	/* 2048 bits pass. */
	ck_assert_ptr_nonnull(k = EVP_RSA_gen(2048));
	ck_assert_uint_eq(judge_leaf(leaf("DNS:a.test", k, -DAY, 30 * DAY,
	    EVP_sha256()), "a.test", f), 0);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_sha1)
{
	struct cv_finding	 f[CV_FINDINGS_MAX];
	const struct cv_finding	*e;
	X509			*c[2];
	size_t			 nf;

	nf = judge_leaf(leaf("DNS:a.test", leaf_key, -DAY, 30 * DAY,
	    EVP_sha1()), "a.test", f);
	ck_assert_ptr_nonnull(e = finding(f, nf, "X509_V_ERR_CA_MD_TOO_WEAK",
	    0));
	ck_assert_int_eq(e->cls, CV_WEAK);
	ck_assert_uint_eq(nf, 1);
	/* An intermediate signed with SHA-1: found on cert_1. */
	c[0] = GOOD_LEAF("DNS:a.test");
	c[1] = mkcert("Test Intermediate", NULL, int_key, root, root_key,
	    -DAY, 365 * DAY, EVP_sha1());
	nf = judge(c, 2, "a.test", f);
	ck_assert_ptr_nonnull(e = finding(f, nf, "X509_V_ERR_CA_MD_TOO_WEAK",
	    1));
	ck_assert_int_eq(e->depth, 1);
}
END_TEST

START_TEST(test_untrusted)
{
	struct cv_finding	 f[CV_FINDINGS_MAX];
	size_t			 nf, i;
	X509			*c[3];
	EVP_PKEY		*k;

	/* Self-signed. */
	ck_assert_ptr_nonnull(k = EVP_EC_gen("P-256"));
	c[0] = mkcert("a.test", "DNS:a.test", k, NULL, NULL, -DAY, 30 * DAY,
	    EVP_sha256());
	nf = judge(c, 1, "a.test", f);
	ck_assert_ptr_nonnull(finding(f, nf,
	    "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT", 0));
	EVP_PKEY_free(k);
	/* Under a root of the same name that the store does not hold. */
	c[1] = mkcert("Test Intermediate", NULL, int_key, other_root,
	    other_key, -DAY, 365 * DAY, EVP_sha256());
	c[0] = mkcert("a.test", "DNS:a.test", leaf_key, c[1], int_key, -DAY,
	    30 * DAY, EVP_sha256());
	c[2] = X509_dup(other_root);
	nf = judge(c, 3, "a.test", f);
	ck_assert_uint_gt(nf, 0);
	for (i = 0; i < nf; i++)
		ck_assert_int_eq(f[i].cls, CV_UNTRUSTED);
	/* The intermediate left out: no revoker, so nothing fetches it. */
	c[0] = GOOD_LEAF("DNS:a.test");
	nf = judge(c, 1, "a.test", f);
	ck_assert_ptr_nonnull(finding(f, nf,
	    "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY", 0));
	ck_assert_int_eq(f[0].cls, CV_UNTRUSTED);
}
END_TEST

START_TEST(test_several_faults)
{
	struct cv_finding	 f[CV_FINDINGS_MAX];
	EVP_PKEY		*k;
	size_t			 nf;

	/* Expired, for another host, 1024 bits and SHA-1: all four. */
	ck_assert_ptr_nonnull(k = EVP_RSA_gen(1024));
	nf = judge_leaf(leaf("DNS:a.test", k, -30 * DAY, -DAY, EVP_sha1()),
	    "b.test", f);
	ck_assert_ptr_nonnull(finding(f, nf, "X509_V_ERR_CERT_HAS_EXPIRED",
	    0));
	ck_assert_ptr_nonnull(finding(f, nf,
	    "SQUID_X509_V_ERR_DOMAIN_MISMATCH", 0));
	ck_assert_ptr_nonnull(finding(f, nf, "X509_V_ERR_EE_KEY_TOO_SMALL",
	    0));
	ck_assert_ptr_nonnull(finding(f, nf, "X509_V_ERR_CA_MD_TOO_WEAK", 0));
	ck_assert_uint_eq(nf, 4);
	EVP_PKEY_free(k);
}
END_TEST

/* Append Squid's request "[ID ]cert_validate LEN BODY\n" for leaf x. */
static void
request(struct cbuf *b, const char *id, X509 *x, const char *host)
{
	BIO	*bio;
	char	*pem, body[8192];
	long	 len;
	int	 n;

	ck_assert_ptr_nonnull(bio = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_X509(bio, x), 1);
	ck_assert_int_eq(PEM_write_bio_X509(bio, inter), 1);
	len = BIO_get_mem_data(bio, &pem);
	/* cert_0 is the leaf, cert_1 the intermediate: split at END. */
	n = snprintf(body, sizeof body, "host=%s\ncert_0=%.*s", host,
	    (int)len, pem);
	ck_assert_int_lt(n, (int)sizeof body);
	{
		char	*second = strstr(body, "-----END CERTIFICATE-----\n");

		ck_assert_ptr_nonnull(second);
		second += strlen("-----END CERTIFICATE-----\n");
		memmove(second + strlen("cert_1="), second, strlen(second) + 1);
		memcpy(second, "cert_1=", strlen("cert_1="));
	}
	ck_assert_int_eq(cbuf_printf(b, "%s%scert_validate %zu %s\n",
	    id != NULL ? id : "", id != NULL ? " " : "", strlen(body), body),
	    0);
	BIO_free(bio);
	X509_free(x);
}

/*
 * With a pool, requests that carry a channel ID are answered by the
 * workers on the helper's output, each whole and with its own ID; one
 * without an ID is answered in turn into the caller's buffer.
 */
START_TEST(test_pool)
{
	struct cv_ctx	 c;
	struct cbuf	 in = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	char		 got[8192], *cause = NULL;
	size_t		 have = 0;
	ssize_t		 r;
	int		 fds[2];

	memset(&c, 0, sizeof c);
	c.v.store = store;
	c.v.min_rsa_bits = 2048;
	c.v.min_ec_bits = 256;
	cv_policy_defaults(&c.pol);
	ck_assert_int_eq(pipe(fds), 0);
	c.pool = cv_pool_new(&c, 4, fds[1], &cause);
	ck_assert_msg(c.pool != NULL, "cv_pool_new: %s", cause);
	request(&in, "7", GOOD_LEAF("DNS:a.test"), "a.test");
	request(&in, "8", leaf("DNS:a.test", leaf_key, -30 * DAY, -DAY,
	    EVP_sha256()), "a.test");
	request(&in, "9", GOOD_LEAF("DNS:a.test"), "b.test");
	request(&in, NULL, GOOD_LEAF("DNS:a.test"), "a.test");
	ck_assert_uint_eq(cv_handle(&c, in.data, in.len, now, &out), in.len);
	/* A cbuf holds bytes, not a string: compare its length first. */
	ck_assert_uint_eq(out.len, strlen("OK 0 \001"));
	ck_assert_mem_eq(out.data, "OK 0 \001", out.len);
	cv_pool_free(c.pool);		/* waits for the workers */
	close(fds[1]);
	while ((r = read(fds[0], got + have, sizeof got - 1 - have)) > 0)
		have += (size_t)r;
	got[have] = '\0';
	close(fds[0]);
	ck_assert_msg(strstr(got, "7 OK 0 \001") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "8 ERR ") != NULL &&
	    strstr(got, "X509_V_ERR_CERT_HAS_EXPIRED") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "9 ERR ") != NULL &&
	    strstr(got, "SQUID_X509_V_ERR_DOMAIN_MISMATCH") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "OK 0 \001OK") == NULL, "%s", got);
	cv_policy_free(&c.pol);
	cbuf_free(&in);
	cbuf_free(&out);
}
END_TEST

/*
 * An HTTP server on 127.0.0.1 in a child process that answers every
 * request with body (len bytes), each after writing a byte to its end of
 * a pipe; the port, the child in *pid, the pipe's read end in *count.
 */
static int
aia_server(const unsigned char *body, size_t len, pid_t *pid, int *count)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof sin;
	char			 buf[4096], head[128];
	int			 fd, c, p[2];
	ssize_t			 n;
	size_t			 have;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(*pid = fork(), 0);
	if (*pid > 0) {
		close(fd);
		close(p[1]);
		ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
		*count = p[0];
		return ntohs(sin.sin_port);
	}
	close(p[0]);
	snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/pkix-cert\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", len);
	while ((c = accept(fd, NULL, NULL)) >= 0) {
		have = 0;
		while (have < sizeof buf - 1 &&
		    (n = read(c, buf + have, sizeof buf - 1 - have)) > 0) {
			have += (size_t)n;
			buf[have] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		/* Counted first: the client may look once it has the body. */
		if (write(p[1], "x", 1) < 0 ||
		    write(c, head, strlen(head)) < 0 ||
		    write(c, body, len) < 0)
			_exit(1);
		close(c);
	}
	_exit(0);
}

/* The requests aia_server() has answered so far. */
static int
aia_requests(int count)
{
	char	buf[64];
	ssize_t	n;
	int	total = 0;

	while ((n = read(count, buf, sizeof buf)) > 0)
		total += (int)n;
	return total;
}

/* A good leaf whose AIA names uri as its issuer's place. */
static X509 *
aia_leaf(const char *uri)
{
	X509	*x = GOOD_LEAF("DNS:a.test");

	add_ext(x, inter, NID_info_access, uri);
	ck_assert_int_gt(X509_sign(x, int_key, EVP_sha256()), 0);
	return x;
}

/*
 * A leaf sent without its intermediate: the intermediate is fetched by
 * AIA and the chain verifies. Fetched once, it is kept the cache time:
 * two more validations ask the server nothing; with a cache time of 0
 * each one fetches it again.
 */
START_TEST(test_aia_issuer_cached)
{
	struct cv_verifier	 v = { store, 2048, 256, NULL };
	struct cv_finding	 f[CV_FINDINGS_MAX];
	unsigned char		*der = NULL;
	char			 uri[128];
	X509			*c[1];
	size_t			 nf;
	pid_t			 pid;
	int			 len, count, port, i, status;

	ck_assert_int_gt(len = i2d_X509(inter, &der), 0);
	port = aia_server(der, (size_t)len, &pid, &count);
	snprintf(uri, sizeof uri, "caIssuers;URI:http://127.0.0.1:%d/int.der",
	    port);
	ck_assert_ptr_nonnull(v.rev = cv_revoke_new(5, 3600, 64));
	for (i = 0; i < 3; i++) {
		c[0] = aia_leaf(uri);
		nf = judge_by(&v, c, 1, "a.test", f);
		ck_assert_msg(nf == 0, "validation %d: %zu findings, the "
		    "first %s", i, nf, nf > 0 ? f[0].name : "");
	}
	ck_assert_int_eq(aia_requests(count), 1);
	cv_revoke_free(v.rev);
	ck_assert_ptr_nonnull(v.rev = cv_revoke_new(5, 0, 64));
	for (i = 0; i < 2; i++) {
		c[0] = aia_leaf(uri);
		ck_assert_uint_eq(judge_by(&v, c, 1, "a.test", f), 0);
	}
	ck_assert_int_eq(aia_requests(count), 2);
	cv_revoke_free(v.rev);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(count);
	OPENSSL_free(der);
}
END_TEST

static Suite *
cv_verify_suite(void)
{
	Suite	*s = suite_create("cv_verify");
	TCase	*tc = tcase_create("chains");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_chain);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_not_yet_valid);
	tcase_add_test(tc, test_wrong_host);
	tcase_add_test(tc, test_weak_key);
	tcase_add_test(tc, test_sha1);
	tcase_add_test(tc, test_untrusted);
	tcase_add_test(tc, test_several_faults);
	tcase_add_test(tc, test_pool);
	tcase_add_test(tc, test_aia_issuer_cached);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(cv_verify_suite)
