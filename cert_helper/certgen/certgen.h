/*
 * sslinspect-certgen: the Squid sslcrtd_program that mints leaf
 * certificates from the signing CA Squid sends, with a fresh leaf key, an
 * allowlist profile (CRL distribution point, AIA, clamped validity) and a
 * cache shared by every helper process.
 *
 * Internal interfaces, grouped by the file that implements them.
 */
#ifndef SSLINSPECT_CERTGEN_H
#define SSLINSPECT_CERTGEN_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attrib.h"
#include "cbuf.h"
#include "dbcache.h"
#include "helper.h"
#include "log.h"

#define CERTGEN_BODY_MAX	(1024 * 1024)	/* largest request body */
#define CERTGEN_HOST_MAX	253
/* The lines around the certificate of a reply, as PEM_write writes them. */
#define CERTGEN_PEM_BEGIN	"-----BEGIN CERTIFICATE-----\n"
#define CERTGEN_PEM_END		"-----END CERTIFICATE-----\n"

/* hostname.c: what counts as a host name or IP literal. */
enum hostname_kind {
	HOSTNAME_BAD = 0,
	HOSTNAME_DNS,
	HOSTNAME_IPV4,
	HOSTNAME_IPV6
};
enum hostname_kind hostname_check(const char *, size_t, int) NONNULL(1);
int		hostname_normalize(const char *, size_t, char *, size_t,
		    enum hostname_kind *) NONNULL(1, 3, 5);

/* proto.c: the sslcrtd wire format; pure, no I/O. */
enum proto_sign {
	PROTO_SIGN_TRUSTED = 0,
	PROTO_SIGN_UNTRUSTED,
	PROTO_SIGN_SELF
};

struct proto_req {
	char		 host[CERTGEN_HOST_MAX + 1];	/* as sent */
	int		 set_cn;
	int		 valid_after;	/* setValidAfter=on */
	int		 valid_before;	/* setValidBefore=on */
	enum proto_sign	 sign;
	char		 sign_hash[32];	/* empty when not sent */
	const char	*ca_cert;	/* PEM blocks, inside the body */
	size_t		 ca_cert_len;
	const char	*ca_key;
	size_t		 ca_key_len;
	const char	*mimic;		/* NULL when absent */
	size_t		 mimic_len;
};

enum helper_status proto_frame(const char *, size_t, struct helper_frame *)
		    NONNULL(1, 3);
int		proto_parse(const char *, size_t, struct proto_req *, char **)
		    NONNULL(1, 3);
size_t		proto_reply_head(char *, size_t, const struct helper_frame *,
		    int, size_t) NONNULL(1, 3);
const char	*proto_sign_name(enum proto_sign);

/* sigcache.c: signing CAs, parsed once per distinct PEM. */
struct signer {
	X509		*cert;
	EVP_PKEY	*key;
	unsigned char	 fp[32];	/* SHA-256 of the certificate DER */
	unsigned char	 keyid[EVP_MAX_MD_SIZE];
	size_t		 keyid_len;
	char		 keyid_hex[2 * EVP_MAX_MD_SIZE + 1];
	time_t		 not_before;
	time_t		 not_after;
};
struct sigcache;
struct sigcache	*sigcache_new(size_t);
void		 sigcache_free(struct sigcache *);
const struct signer *sigcache_get(struct sigcache *, const char *, size_t,
		    const char *, size_t, char **) NONNULL(1, 2, 4);
int		 sigcache_load(struct signer *, const char *, size_t,
		    const char *, size_t, char **) NONNULL(1, 2, 4);
void		 sigcache_clear(struct signer *);

/* mimic.c: what is read from the origin certificate. */
struct mimic {
	time_t		 not_after;
	GENERAL_NAMES	*sans;		/* NULL when it has none */
};
int		 mimic_parse(const char *, size_t, struct mimic *)
		    NONNULL(1, 3);

/* forge.c: the minted-certificate profile (an allowlist). */
#define FORGE_SAN_MAX		100
#define FORGE_URL_MAX		8
struct forge_profile {
	const char	*crl_urls[FORGE_URL_MAX];
	size_t		 ncrl;
	const char	*aia_urls[FORGE_URL_MAX];
	size_t		 naia;
	int		 max_days;
};
struct forge_req {
	const char	*host;		/* normalized, validated */
	enum hostname_kind kind;
	enum proto_sign	 sign;
	int		 valid_after;
	int		 valid_before;
	int		 mimic_sans;	/* take SANs from the mimic cert */
	const EVP_MD	*md;		/* NULL for EdDSA signers */
	const struct mimic *mimic;	/* may be NULL */
	EVP_PKEY	*leaf_key;
	X509_PUBKEY	*leaf_pub;	/* may be NULL: encoded here */
	time_t		 now;
};
const EVP_MD	*forge_sha256(void);
int		 forge_md(EVP_PKEY *, const char *, const EVP_MD **, char **)
		    NONNULL(1, 2, 3);
X509		*forge_leaf(const struct forge_profile *, const struct signer *,
		    const struct forge_req *, char **) NONNULL(1, 2, 3);
int		 forge_serial_hex(X509 *, char *, size_t) NONNULL(1, 2);
time_t		 forge_time(const ASN1_TIME *) NONNULL(1);
size_t		 forge_expand_url(const char *, const char *, char *, size_t)
		    NONNULL(1, 2, 3);

/* keypool.c: leaf keys generated ahead of time by a background thread. */
enum keypool_type {
	KEYPOOL_EC_P256 = 0,
	KEYPOOL_RSA_2048,
	KEYPOOL_RSA_3072
};
struct leafkey {
	EVP_PKEY	*key;
	X509_PUBKEY	*pub;		/* encoded SubjectPublicKeyInfo */
	char		*pem;		/* PEM of the private key */
	size_t		 pem_len;
};
struct keypool;
struct keypool	*keypool_new(enum keypool_type, size_t, char **);
struct leafkey	*keypool_take(struct keypool *, char **) NONNULL(1);
struct leafkey	*leafkey_new(enum keypool_type, EVP_PKEY_CTX *);
void		 leafkey_free(struct leafkey *);
void		 keypool_free(struct keypool *);

/* revcheck.c: the revoked leaves of sslinspect-ca's revoked.tsv. */
struct revcheck;
struct revcheck	*revcheck_new(const char *, time_t, char **) NONNULL(1);
void		 revcheck_refresh(struct revcheck *, time_t) NONNULL(1);
int		 revcheck_listed(const struct revcheck *, const char *,
		    const char *) NONNULL(1, 2, 3);
size_t		 revcheck_count(const struct revcheck *) NONNULL(1);
void		 revcheck_free(struct revcheck *);
int		 revcheck_pem_serial(const unsigned char *, size_t, char *,
		    size_t) NONNULL(1, 3);

/* lcache.c: bounded in-process LRU of replies, keyed by a 32-byte digest. */
struct lcache;
struct lcache	*lcache_new(size_t);
void		 lcache_free(struct lcache *);
const unsigned char *lcache_get(struct lcache *, const unsigned char *,
		    time_t, size_t *) NONNULL(1, 2, 4);
int		 lcache_put(struct lcache *, const unsigned char *,
		    const unsigned char *, size_t, time_t) NONNULL(1, 2, 3);
size_t		 lcache_count(struct lcache *) NONNULL(1);

/* opts.c: the option table shared by argv, -c FILE, --help and the docs. */
enum opts_type {
	OPTS_STRING,
	OPTS_NUMBER,
	OPTS_SIZE,
	OPTS_LIST,
	OPTS_CHOICE,
	OPTS_FLAG
};
struct opts_entry {
	const char	*name;
	int		 shortopt;
	enum opts_type	 type;
	const char	*def;		/* NULL: none */
	long long	 min;
	long long	 max;
	const char	*choices;	/* OPTS_CHOICE: space separated */
	const char	*arg;
	const char	*help;
};
extern const struct opts_entry opts_table[];
struct opts {
	char		*cache_dir;	/* NULL or "": memory only */
	long long	 cache_size;
	long long	 mem_entries;
	char		*crl_urls[FORGE_URL_MAX];
	size_t		 ncrl;
	char		*aia_urls[FORGE_URL_MAX];
	size_t		 naia;
	long long	 max_days;
	enum keypool_type key_type;
	long long	 pool_size;
	char		*revoked;	/* revoked.tsv to honour, or NULL */
	char		*ca_dir;	/* sslinspect-ca's directory, or NULL */
	/* crl_urls came from ca_dir's ca.conf */
	int		 crl_from_ca;
	int		 debug;
};
int		 opts_defaults(struct opts *, char **) NONNULL(1);
int		 opts_set(struct opts *, const char *, const char *, char **)
		    NONNULL(1, 2);
int		 opts_file(struct opts *, const char *, char **) NONNULL(1, 2);
void		 opts_free(struct opts *);
void		 opts_usage(FILE *, const char *) NONNULL(1, 2);
int		 opts_ca_dir(struct opts *, char **, char **) NONNULL(1);
const struct opts_entry *opts_find(const char *) NONNULL(1);

/*
 * certgen.c: one request in, one reply out. The caller owns stdin/stdout
 * and the clock: every entry point takes the time.
 */
struct certgen;
struct certgen_stats {
	unsigned long	 requests;
	unsigned long	 mem_hits;
	unsigned long	 db_hits;
	unsigned long	 minted;
	unsigned long	 revoked;	/* cached leaves found revoked */
	unsigned long	 errors;
};
struct certgen	*certgen_new(const struct opts *, time_t, char **) NONNULL(1);
void		 certgen_free(struct certgen *);
int		 certgen_answer(struct certgen *, const struct proto_req *,
		    time_t, unsigned char **, size_t *, char **)
		    NONNULL(1, 2, 4, 5);
void		 certgen_flush(struct certgen *) NONNULL(1);
size_t		 certgen_handle(struct certgen *, const char *, size_t,
		    time_t, struct cbuf *) NONNULL(1, 2, 5);
const struct certgen_stats *certgen_stats(struct certgen *) NONNULL(1);

#endif
