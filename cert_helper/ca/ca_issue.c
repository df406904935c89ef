/*
 * Getting an intermediate (demo-init, csr + install, import) and minting
 * short-lived issuing CAs under it (rotate), with the Squid bundle.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cause.h"
#include "serial.h"

#define CA_ISSUE_BACKDATE	3600	/* notBefore margin for client clocks */

/* Add one extension in openssl.cnf syntax; 0 or -1. */
static int
ca_issue_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION	*ext;
	int		 ok;

	if ((ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* A new serial (serial.h: the one way serials are made). 0 or -1. */
static int
ca_issue_serial(X509 *x)
{
	unsigned char	b[SERIAL_BYTES];

	if (serial_new(b, sizeof b) == -1)
		return -1;
	return ASN1_STRING_set(X509_get_serialNumber(x), b, sizeof b) ? 0 : -1;
}

/*
 * Mint a CA certificate for key and subject: self-signed when issuer is
 * NULL, else signed by issuer/issuer_key with an AKI equal to the issuer's
 * SKI. Valid from now - 1 h for days, never past the issuer's notAfter;
 * pathlen -1 means none; crl_url (may be NULL) becomes the CRL
 * distribution point; the names of nc (may be NULL) become excluded
 * subtrees of a critical nameConstraints. Returns the certificate the
 * caller frees, or NULL.
 */
X509 *
ca_issue_mint_ca(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key,
    X509_NAME *subject, int days, time_t now, int pathlen,
    const char *crl_url, const struct ca_nc *nc, char **cause)
{
	X509		*x;
	X509V3_CTX	 ctx;
	char		 bc[64], *dp = NULL;
	time_t		 end = now + (time_t)days * 86400;
	int		 ok = 0;

	if (issuer != NULL && end > ca_x509_not_after(issuer))
		end = ca_x509_not_after(issuer);
	if ((x = X509_new()) == NULL)
		goto out;
	if (!X509_set_version(x, X509_VERSION_3) || ca_issue_serial(x) == -1 ||
	    !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : subject) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0,
	    -CA_ISSUE_BACKDATE, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &end) == NULL ||
	    !X509_set_pubkey(x, key))
		goto out;
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if (pathlen >= 0)
		snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", pathlen);
	else
		snprintf(bc, sizeof bc, "critical,CA:TRUE");
	if (ca_issue_ext(x, &ctx, NID_basic_constraints, bc) == -1 ||
	    ca_issue_ext(x, &ctx, NID_key_usage,
	    "critical,keyCertSign,cRLSign") == -1 ||
	    ca_issue_ext(x, &ctx, NID_subject_key_identifier, "hash") == -1)
		goto out;
	if (issuer != NULL && ca_issue_ext(x, &ctx,
	    NID_authority_key_identifier, "keyid:always") == -1)
		goto out;
	if (crl_url != NULL) {
		if (asprintf(&dp, "URI:%s", crl_url) == -1) {
			dp = NULL;
			goto out;
		}
		if (ca_issue_ext(x, &ctx, NID_crl_distribution_points,
		    dp) == -1)
			goto out;
	}
	if (nc != NULL && ca_nc_add(x, nc, cause) == -1) {
		X509_free(x);
		free(dp);
		return NULL;
	}
	if (X509_sign(x, issuer_key != NULL ? issuer_key : key,
	    EVP_sha256()) == 0)
		goto out;
	ok = 1;
out:
	free(dp);
	if (!ok) {
		cause_set(cause, "cannot mint CA certificate: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
		    ERR_reason_error_string(ERR_peek_last_error()) : "error");
		ERR_clear_error();
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * Load DIR/intermediate.pem and (when key is not NULL) its key, refusing a
 * key that group or others can read.
 */
int
ca_issue_load_intermediate(struct ca_store *st, X509 **cert, EVP_PKEY **key,
    char **cause)
{
	char	*cpath, *kpath;
	int	 rv = -1;

	*cert = NULL;
	cpath = ca_store_path(st, "intermediate.pem");
	kpath = ca_store_path(st, "intermediate.key");
	if (cpath == NULL || kpath == NULL)
		goto out;
	if (!ca_store_exists(cpath)) {
		cause_set(cause, "%s: no intermediate yet (run demo-init, "
		    "csr and install, or import)", cpath);
		goto out;
	}
	if ((*cert = ca_x509_load(cpath, cause)) == NULL)
		goto out;
	if (key != NULL && (*key = ca_keys_load(kpath, 1, cause)) == NULL)
		goto out;
	rv = 0;
out:
	if (rv == -1) {
		X509_free(*cert);
		*cert = NULL;
	}
	free(kpath);
	free(cpath);
	return rv;
}

/* The PEM of chain[from..] concatenated; the caller frees. */
static char *
ca_issue_pems(STACK_OF(X509) *chain, int from, int to, size_t *len)
{
	char	*all = NULL, *pem;
	size_t	 n;
	FILE	*f;
	int	 i;

	if ((f = open_memstream(&all, len)) == NULL)
		return NULL;
	for (i = from; i < to; i++) {
		if ((pem = ca_x509_pem(sk_X509_value(chain, i), &n)) != NULL)
			fwrite(pem, 1, n, f);
		free(pem);
	}
	if (fclose(f) != 0) {
		free(all);
		return NULL;
	}
	return all;
}

/*
 * Write chain (intermediate first, root last) and its key as
 * intermediate.key, chain.pem, root.pem and intermediate.pem: every file is
 * first written in full as NAME.new, and only when all are there are they
 * renamed into place, so a failure leaves the old hierarchy whole.
 */
static int
ca_issue_write_hierarchy(struct ca_store *st, STACK_OF(X509) *chain,
    EVP_PKEY *key, char **cause)
{
	static const char *names[] = { "intermediate.key", "chain.pem",
			    "root.pem", "intermediate.pem" };
	char		*data[4] = { NULL }, *tmp[4] = { NULL },
	    *dst[4] = { NULL };
	size_t		 len[4] = { 0 };
	int		 i, n = sk_X509_num(chain), done = 0, rv = -1;

	data[0] = ca_keys_pem(key, &len[0]);
	data[1] = ca_issue_pems(chain, 1, n, &len[1]);
	data[2] = ca_issue_pems(chain, n - 1, n, &len[2]);
	data[3] = ca_issue_pems(chain, 0, 1, &len[3]);
	for (i = 0; i < 4; i++) {
		tmp[i] = ca_store_path(st, "%s.new", names[i]);
		dst[i] = ca_store_path(st, "%s", names[i]);
		if (data[i] == NULL || tmp[i] == NULL || dst[i] == NULL) {
			cause_set(cause, "%s: out of memory", names[i]);
			goto out;
		}
	}
	for (done = 0; done < 4; done++) {
		if (ca_store_write(tmp[done], data[done], len[done],
		    done == 0 ? 0600 : 0644, (uid_t)-1, (gid_t)-1, cause) == -1)
			goto out;
	}
	for (i = 0; i < 4; i++) {
		if (rename(tmp[i], dst[i]) == -1) {
			cause_set(cause, "%s: %s", dst[i], strerror(errno));
			goto out;
		}
	}
	rv = 0;
out:
	for (i = 0; i < done && rv == -1; i++)
		unlink(tmp[i]);
	ca_keys_free_pem(data[0], len[0]);
	for (i = 0; i < 4; i++) {
		if (i > 0)
			free(data[i]);
		free(tmp[i]);
		free(dst[i]);
	}
	return rv;
}

/*
 * Check an intermediate before adopting it: its key matches, it is a CA
 * with keyCertSign and cRLSign and room for an issuing CA below, it is
 * within its validity, and it chains to a root in chainfile. Then write it.
 * Every error names the file at fault; nothing is written before all pass.
 */
static int
ca_issue_adopt(struct ca_store *st, const char *certfile, EVP_PKEY *key,
    const char *keyfile, const char *chainfile, char **cause)
{
	X509		*cert = NULL;
	STACK_OF(X509)	*chain = NULL, *built = NULL;
	char		*why = NULL, t[32];
	time_t		 now = time(NULL);
	int		 rv = -1;

	if ((cert = ca_x509_load(certfile, cause)) == NULL ||
	    (chain = ca_x509_load_all(chainfile, cause)) == NULL)
		goto out;
	if (!X509_check_private_key(cert, key)) {
		cause_set(cause, "%s: certificate does not match the key %s",
		    certfile, keyfile);
		goto out;
	}
	if (ca_x509_check_ca(cert, 1, &why) == -1) {
		cause_set(cause, "%s: %s", certfile, why);
		goto out;
	}
	if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) {
		cause_set(cause, "%s: not valid yet", certfile);
		goto out;
	}
	if (ca_x509_not_after(cert) <= now) {
		ca_x509_fmt_time(ca_x509_not_after(cert), t, sizeof t);
		cause_set(cause, "%s: expired on %s", certfile, t);
		goto out;
	}
	if (ca_x509_verify(cert, chain, now, &built, &why) == -1) {
		cause_set(cause, "%s: does not verify against the chain in "
		    "%s: %s", certfile, chainfile, why);
		goto out;
	}
	rv = ca_issue_write_hierarchy(st, built, key, cause);
out:
	ERR_clear_error();
	free(why);
	sk_X509_pop_free(built, X509_free);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	return rv;
}

/* A name with the given O and CN and a "DEMO" organizational unit. */
static X509_NAME *
ca_issue_demo_name(const char *org, const char *cn)
{
	X509_NAME	*n;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)org, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
	    (const unsigned char *)"DEMO ONLY - not for production", -1, -1,
	    0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/*
 * demo-init: a throwaway root (its key is wiped at once, so nothing more
 * can ever be signed by it) and an intermediate under it.
 */
int
ca_issue_demo_init(struct ca_store *st, const char *org, const char *key_type,
    int force, char **cause)
{
	EVP_PKEY	*rkey = NULL, *ikey = NULL;
	X509		*root = NULL, *inter = NULL;
	X509_NAME	*rname = NULL, *iname = NULL;
	STACK_OF(X509)	*chain = NULL;
	char		*p;
	time_t		 now = time(NULL);
	int		 rv = -1;

	if ((p = ca_store_path(st, "intermediate.pem")) != NULL &&
	    ca_store_exists(p) && !force) {
		cause_set(cause, "%s: exists; demo-init --force replaces it",
		    p);
		free(p);
		return -1;
	}
	free(p);
	if (org == NULL)
		org = "sslinspect demo";
	if ((rkey = ca_keys_generate(key_type, cause)) == NULL ||
	    (ikey = ca_keys_generate(key_type, cause)) == NULL)
		goto out;
	rname = ca_issue_demo_name(org, "sslinspect DEMO root CA");
	iname = ca_issue_demo_name(org, "sslinspect DEMO intermediate CA");
	if (rname == NULL || iname == NULL) {
		cause_set(cause, "organization name \"%s\" is not usable", org);
		goto out;
	}
	if ((root = ca_issue_mint_ca(NULL, NULL, rkey, rname, 365, now, -1,
	    NULL, NULL, cause)) == NULL || (inter = ca_issue_mint_ca(root,
	    rkey, ikey, iname, 180, now, 1, NULL, NULL, cause)) == NULL)
		goto out;
	if ((chain = sk_X509_new_null()) == NULL)
		goto out;
	sk_X509_push(chain, inter);
	sk_X509_push(chain, root);
	rv = ca_issue_write_hierarchy(st, chain, ikey, cause);
out:
	sk_X509_free(chain);
	X509_NAME_free(rname);
	X509_NAME_free(iname);
	X509_free(root);
	X509_free(inter);
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(ikey);
	return rv;
}

/* csr: a new intermediate key in pending/ and a CSR for the org root. */
int
ca_issue_csr(struct ca_store *st, const char *subject, const char *key_type,
    char **cause)
{
	EVP_PKEY		*key = NULL;
	X509_REQ		*req = NULL;
	X509_NAME		*name = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION		*e;
	BIO			*bio = NULL;
	char			*dir = NULL, *kp = NULL, *cp = NULL, *pem;
	long			 len;
	int			 rv = -1;

	if (ca_x509_parse_dn(subject, &name, cause) == -1)
		return -1;
	dir = ca_store_path(st, "pending");
	kp = ca_store_path(st, "pending/intermediate.key");
	cp = ca_store_path(st, "pending/intermediate.csr");
	if (dir == NULL || kp == NULL || cp == NULL ||
	    ca_store_mkdir(dir, 0700, cause) == -1)
		goto out;
	if ((key = ca_keys_generate(key_type, cause)) == NULL)
		goto out;
	if ((req = X509_REQ_new()) == NULL || (exts =
	    sk_X509_EXTENSION_new_null()) == NULL)
		goto out;
	X509_REQ_set_version(req, 0);
	if (!X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key))
		goto out;
	if ((e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
	    "critical,CA:TRUE,pathlen:1")) != NULL)
		sk_X509_EXTENSION_push(exts, e);
	if ((e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage,
	    "critical,keyCertSign,cRLSign")) != NULL)
		sk_X509_EXTENSION_push(exts, e);
	if (!X509_REQ_add_extensions(req, exts) ||
	    !X509_REQ_sign(req, key, EVP_sha256()))
		goto out;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_REQ(bio, req))
		goto out;
	len = BIO_get_mem_data(bio, &pem);
	if (ca_keys_write(kp, key, (uid_t)-1, (gid_t)-1, cause) == -1 ||
	    ca_store_write(cp, pem, (size_t)len, 0644, (uid_t)-1, (gid_t)-1,
	    cause) == -1)
		goto out;
	printf("%s\n", cp);
	rv = 0;
out:
	if (rv == -1 && cause != NULL && *cause == NULL)
		cause_set(cause, "%s: cannot make the request", cp);
	ERR_clear_error();
	BIO_free(bio);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	free(cp);
	free(kp);
	free(dir);
	return rv;
}

/* install: the signed certificate for the pending key, with its chain. */
int
ca_issue_install(struct ca_store *st, const char *certfile,
    const char *chainfile, char **cause)
{
	EVP_PKEY	*key;
	char		*kp, *cp;
	int		 rv = -1;

	kp = ca_store_path(st, "pending/intermediate.key");
	cp = ca_store_path(st, "pending/intermediate.csr");
	if (kp == NULL || cp == NULL)
		goto out;
	if (!ca_store_exists(kp)) {
		cause_set(cause, "%s: no pending key (run csr first)", kp);
		goto out;
	}
	if ((key = ca_keys_load(kp, 1, cause)) == NULL)
		goto out;
	rv = ca_issue_adopt(st, certfile, key, kp, chainfile, cause);
	EVP_PKEY_free(key);
	if (rv == 0) {
		unlink(kp);
		unlink(cp);
	}
out:
	free(cp);
	free(kp);
	return rv;
}

/* import: an existing intermediate certificate, key and chain. */
int
ca_issue_import(struct ca_store *st, const char *certfile,
    const char *keyfile, const char *chainfile, char **cause)
{
	EVP_PKEY	*key;
	int		 rv;

	if ((key = ca_keys_load(keyfile, 0, cause)) == NULL)
		return -1;
	rv = ca_issue_adopt(st, certfile, key, keyfile, chainfile, cause);
	EVP_PKEY_free(key);
	return rv;
}

/*
 * The issuing CA's subject: the intermediate's, with a dated CN that
 * names the node it is for, if any (at most 64 characters: the node name
 * is at most CA_NODE_MAX).
 */
static X509_NAME *
ca_issue_issuing_name(X509 *inter, time_t now, const char *node)
{
	X509_NAME	*n;
	struct tm	 tm;
	char		 cn[64 + 1], when[32];
	int		 i;

	if ((n = X509_NAME_dup(X509_get_subject_name(inter))) == NULL)
		return NULL;
	while ((i = X509_NAME_get_index_by_NID(n, NID_commonName, -1)) >= 0)
		X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
	if (node != NULL)
		snprintf(cn, sizeof cn, "%s issuing CA %s", node, when);
	else
		snprintf(cn, sizeof cn, "sslinspect issuing CA %s", when);
	if (!X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/*
 * The certificates of chain.pem a client may be sent: all but self-signed
 * ones. A client must already trust the root; sending it costs every
 * handshake its bytes and shows a client a root it should not take from
 * the wire. The caller frees the PEM.
 */
static char *
ca_issue_untrusted_chain(struct ca_store *st, size_t *len, char **cause)
{
	STACK_OF(X509)	*sk, *out;
	X509		*x;
	char		*cp, *pem = NULL;
	int		 i;

	if ((cp = ca_store_path(st, "chain.pem")) == NULL) {
		cause_set(cause, "chain.pem: out of memory");
		return NULL;
	}
	sk = ca_x509_load_all(cp, cause);
	free(cp);
	if (sk == NULL)
		return NULL;
	if ((out = sk_X509_new_null()) == NULL) {
		sk_X509_pop_free(sk, X509_free);
		cause_set(cause, "chain.pem: out of memory");
		return NULL;
	}
	for (i = 0; i < sk_X509_num(sk); i++) {
		x = sk_X509_value(sk, i);
		if (X509_check_issued(x, x) != X509_V_OK)
			sk_X509_push(out, x);
	}
	pem = ca_issue_pems(out, 0, sk_X509_num(out), len);
	if (pem == NULL)
		cause_set(cause, "chain.pem: out of memory");
	sk_X509_free(out);
	sk_X509_pop_free(sk, X509_free);
	return pem;
}

/*
 * The Squid bundle: issuing certificate, its PKCS#8 key, intermediate and
 * the certificates between it and the root (not the root: Squid sends the
 * file's certificates to every client), written atomically, mode 0600,
 * owned by the squid user.
 */
static int
ca_issue_bundle(struct ca_store *st, X509 *issuing, EVP_PKEY *key,
    X509 *inter, const char *path, char **cause)
{
	char	*cpem = NULL, *kpem = NULL, *ipem = NULL, *chain = NULL;
	char	*buf = NULL;
	size_t	 cl = 0, kl = 0, il = 0, chl = 0, n = 0;
	uid_t	 uid;
	gid_t	 gid;
	int	 rv = -1;

	if (ca_store_user(st->conf.squid_user, &uid, &gid, cause) == -1)
		return -1;
	if ((chain = ca_issue_untrusted_chain(st, &chl, cause)) == NULL)
		goto out;
	cpem = ca_x509_pem(issuing, &cl);
	kpem = ca_keys_pem(key, &kl);
	ipem = ca_x509_pem(inter, &il);
	if (cpem == NULL || kpem == NULL || ipem == NULL ||
	    (buf = malloc(cl + kl + il + chl + 1)) == NULL)
		goto out;
	memcpy(buf, cpem, cl);
	memcpy(buf + cl, kpem, kl);
	memcpy(buf + cl + kl, ipem, il);
	memcpy(buf + cl + kl + il, chain, chl);
	n = cl + kl + il + chl;
	rv = ca_store_write(path, buf, n, 0600, uid, gid, cause);
out:
	if (rv == -1 && cause != NULL && *cause == NULL)
		cause_set(cause, "%s: out of memory", path);
	if (buf != NULL)
		OPENSSL_cleanse(buf, n);
	free(buf);
	ca_keys_free_pem(kpem, kl);
	free(ipem);
	free(cpem);
	free(chain);
	return rv;
}

/*
 * Run the reload command through /bin/sh; 0, or -1 with its status. It
 * finds what changed in its environment: SSLINSPECT_BUNDLE, the bundle;
 * SSLINSPECT_NODE and SSLINSPECT_NODE_DIR, the node and its directory, for
 * a command that copies them to the node and reloads its Squid.
 */
static int
ca_issue_reload(const char *cmd, const char *bundle, const char *node,
    const char *nodedir, char **cause)
{
	int	status;

	if (setenv("SSLINSPECT_BUNDLE", bundle, 1) == -1 ||
	    (node != NULL && (setenv("SSLINSPECT_NODE", node, 1) == -1 ||
	    setenv("SSLINSPECT_NODE_DIR", nodedir, 1) == -1))) {
		cause_set(cause, "reload command: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	status = system(cmd);
	if (status == -1) {
		cause_set(cause, "reload command: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cause_set(cause, "reload command failed (status %d): %s",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1, cmd);
		return -1;
	}
	return 0;
}

/* Store the new issuing CA as issuing/<keyid>.pem/.key. */
static int
ca_issue_record(struct ca_store *st, X509 *x, EVP_PKEY *key,
    const char *keyid, char **cause)
{
	char	*dir, *kp, *cp;
	int	 rv = -1;

	dir = ca_store_path(st, "issuing");
	kp = ca_store_path(st, "issuing/%s.key", keyid);
	cp = ca_store_path(st, "issuing/%s.pem", keyid);
	if (dir != NULL && kp != NULL && cp != NULL &&
	    ca_store_mkdir(dir, 0700, cause) == 0 &&
	    ca_keys_write(kp, key, (uid_t)-1, (gid_t)-1, cause) == 0 &&
	    ca_x509_write(cp, x, cause) == 0)
		rv = 0;
	if (rv == -1 && kp != NULL && cp != NULL) {
		unlink(kp);
		unlink(cp);
	}
	free(cp);
	free(kp);
	free(dir);
	return rv;
}

/* Forget an issuing CA that never reached the bundle. */
static void
ca_issue_unrecord(struct ca_store *st, const char *keyid)
{
	const char	*ext[] = { "key", "pem", "node" };
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		if ((p = ca_store_path(st, "issuing/%s.%s", keyid,
		    ext[i])) != NULL)
			unlink(p);
		free(p);
	}
}

/*
 * Where a rotation's issuing CA goes: DIR/squid-bundle.pem and
 * DIR/current, or a node's nodes/<name>/ with the node recorded and its
 * directory brought up to date. Paths into *bundle and *nodedir (freed by
 * the caller). An issuing CA that never reached a bundle is forgotten.
 */
static int
ca_issue_deliver(struct ca_store *st, const struct ca_rotate_opts *o,
    X509 *x, EVP_PKEY *key, X509 *inter, const char *kid, char **bundle,
    char **nodedir, char **cause)
{
	char	*cur = NULL, line[CA_KEYID_MAX + 2];
	int	 rv = -1;

	if (o->node != NULL) {
		if ((*nodedir = ca_node_dir(st, o->node, cause)) == NULL ||
		    ca_node_mark(st, kid, o->node, cause) == -1) {
			ca_issue_unrecord(st, kid);
			return -1;
		}
		*bundle = ca_store_path(st, "nodes/%s/squid-bundle.pem",
		    o->node);
		cur = ca_store_path(st, "nodes/%s/current", o->node);
	} else {
		*bundle = ca_store_path(st, "squid-bundle.pem");
		cur = ca_store_path(st, "current");
	}
	if (*bundle == NULL || cur == NULL) {
		cause_set(cause, "rotate failed: out of memory");
		ca_issue_unrecord(st, kid);
		goto out;
	}
	if (ca_issue_bundle(st, x, key, inter, *bundle, cause) == -1) {
		ca_issue_unrecord(st, kid);
		goto out;
	}
	snprintf(line, sizeof line, "%s\n", kid);
	if (ca_store_write(cur, line, strlen(line), 0644, (uid_t)-1,
	    (gid_t)-1, cause) == -1)
		goto out;
	if (o->node != NULL && ca_node_publish(st, o->node, cause) == -1)
		goto out;
	rv = 0;
out:
	free(cur);
	return rv;
}

/*
 * rotate: a new issuing CA (pathlen 0, CRL distribution point of the
 * intermediate's CRL, the exclude-list's domains as excluded name
 * constraints; the list is read now, so a changed list applies from this
 * rotation on), recorded, put in the bundle (the directory's, or the
 * node's), its (empty) CRL published, and the reload command run.
 */
int
ca_issue_rotate(struct ca_store *st, const struct ca_rotate_opts *o,
    char **cause)
{
	X509		*inter = NULL, *x = NULL;
	EVP_PKEY	*ikey = NULL, *key = NULL;
	X509_NAME	*name = NULL;
	struct ca_nc	 nc = { NULL, 0 };
	char		 ikid[CA_KEYID_MAX + 1], kid[CA_KEYID_MAX + 1], t[32];
	char		*url = NULL, *bundle = NULL, *nodedir = NULL;
	time_t		 now = time(NULL);
	int		 rv = -1;

	if (o->node != NULL && ca_node_name_ok(o->node, cause) == -1)
		return -1;
	if (strcmp(st->conf.exclude_list, "none") != 0 &&
	    ca_nc_load(&nc, st->conf.exclude_list, cause) == -1)
		return -1;
	if (ca_issue_load_intermediate(st, &inter, &ikey, cause) == -1) {
		ca_nc_free(&nc);
		return -1;
	}
	if (ca_x509_not_after(inter) <= now ||
	    ca_x509_keyid(inter, ikid, sizeof ikid) == -1) {
		cause_set(cause, "%s/intermediate.pem: %s", st->dir,
		    ca_x509_not_after(inter) <= now ? "expired" :
		    "no subjectKeyIdentifier");
		goto out;
	}
	if ((url = ca_conf_url(st->conf.crl_url, ikid)) == NULL ||
	    (name = ca_issue_issuing_name(inter, now, o->node)) == NULL)
		goto out;
	if ((key = ca_keys_generate(o->key_type, cause)) == NULL ||
	    (x = ca_issue_mint_ca(inter, ikey, key, name, o->days > 0 ?
	    o->days : st->conf.issuing_days, now, 0, url, &nc, cause)) ==
	    NULL)
		goto out;
	if (ca_x509_keyid(x, kid, sizeof kid) == -1 ||
	    ca_issue_record(st, x, key, kid, cause) == -1)
		goto out;
	if (ca_issue_deliver(st, o, x, key, inter, kid, &bundle, &nodedir,
	    cause) == -1)
		goto out;
	ca_x509_fmt_time(ca_x509_not_after(x), t, sizeof t);
	if (o->node != NULL)
		printf("node %s: issuing CA %s valid until %s in %s\n", o->node,
		    kid, t, bundle);
	else
		printf("issuing CA %s valid until %s\n", kid, t);
	if (nc.n > 0)
		printf("issuing CA %s excludes %zu domains of %s\n", kid, nc.n,
		    st->conf.exclude_list);
	if (ca_crl_write_all(st, NULL, 1, cause) == -1)
		goto out;
	if (o->reload != NULL && ca_issue_reload(o->reload, bundle, o->node,
	    nodedir, cause) == -1)
		goto out;
	rv = 0;
out:
	if (rv == -1 && cause != NULL && *cause == NULL)
		cause_set(cause, "rotate failed: out of memory");
	free(nodedir);
	free(bundle);
	free(url);
	ca_nc_free(&nc);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ikey);
	X509_free(inter);
	return rv;
}
