/*
 * sslinspect-certverify: the Squid sslcrtvalidator_program. Squid hands it
 * the origin's certificate chain after its own TLS handshake; the helper
 * validates the chain against a trust store, checks the host name, weak
 * keys and signatures, and revocation (CRL and OCSP over libcurl), and
 * answers with the errors the policy blocks.
 *
 * Internal interfaces, grouped by the file that implements them.
 */
#ifndef SSLINSPECT_CERTVERIFY_H
#define SSLINSPECT_CERTVERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/x509.h>

#include "attrib.h"
#include "cbuf.h"
#include "helper.h"
#include "log.h"

#define CV_BODY_MAX	(1024 * 1024)	/* largest request body */
#define CV_HOST_MAX	253
#define CV_CERTS_MAX	16		/* certificates of one request */
#define CV_ERRS_MAX	32		/* Squid's errors in one request */
#define CV_FINDINGS_MAX	32		/* errors one answer may carry */
#define CV_REASON_MAX	HELPER_REASON_MAX

/*
 * From common/: the log lines (log.h), the reply buffer (cbuf.h) and the
 * framing Squid uses with every helper (helper.h).
 */

/* cv_proto.c: the cert_validate wire format; pure, no I/O. */
struct cv_pem {
	const char	*pem;		/* "-----BEGIN ..." inside the body */
	size_t		 len;		/* through the END line */
};

struct cv_sqerr {
	char		 name[64];	/* error_name_N */
	int		 cert;		/* error_cert_N=cert_M: M, or -1 */
};

struct cv_req {
	char		 host[CV_HOST_MAX + 1];	/* empty when Squid sent none */
	char		 proto_version[32];
	char		 cipher[64];
	struct cv_pem	 certs[CV_CERTS_MAX];	/* indexed by cert_N */
	size_t		 ncerts;		/* highest N + 1 */
	struct cv_sqerr	 errs[CV_ERRS_MAX];	/* indexed by error_*_N */
	size_t		 nerrs;
};

/* One error of an answer. */
struct cv_finding {
	int		 cls;		/* enum cv_class */
	const char	*name;		/* an error name Squid knows */
	int		 cert;		/* index of the request's cert_N */
	int		 depth;
	char		 reason[CV_REASON_MAX];
};

enum helper_status cv_proto_frame(const char *, size_t, struct helper_frame *)
		    NONNULL(1, 3);
int		cv_proto_parse(const char *, size_t, struct cv_req *, char **)
		    NONNULL(1, 3);
int		cv_proto_reply(struct cbuf *, const struct helper_frame *,
		    const struct cv_finding *, size_t) NONNULL(1, 2);
int		cv_proto_reply_bh(struct cbuf *, const struct helper_frame *,
		    const char *) NONNULL(1, 2, 3);

/* cv_policy.c: error classes, what is done with each, per-host exceptions. */
enum cv_class {
	CV_EXPIRED = 0,
	CV_NOT_YET_VALID,
	CV_UNTRUSTED,
	CV_WRONG_HOST,
	CV_REVOKED,
	CV_WEAK,
	CV_REV_UNKNOWN,
	CV_REV_TIMEOUT,
	CV_INVALID,		/* any other broken chain: always blocked */
	CV_NCLASSES
};
enum cv_action {
	CV_BLOCK = 0,
	CV_ALLOW
};
struct cv_policy {
	enum cv_action	 action[CV_NCLASSES];
	char		**allow[CV_NCLASSES];	/* hosts let through */
	size_t		 nallow[CV_NCLASSES];
};
const char	*cv_policy_class_name(int);
int		 cv_policy_class_find(const char *);
void		 cv_policy_defaults(struct cv_policy *) NONNULL(1);
int		 cv_policy_set(struct cv_policy *, const char *, const char *,
		    char **) NONNULL(1, 2, 3);
int		 cv_policy_allow_host(struct cv_policy *, const char *,
		    const char *, char **) NONNULL(1, 2, 3);
int		 cv_policy_blocks(const struct cv_policy *, int, const char *)
		    NONNULL(1, 3);
void		 cv_policy_free(struct cv_policy *);
int		 cv_policy_host_matches(const char *, const char *)
		    NONNULL(1, 2);

/* cv_verify.c: the validation. */
struct cv_revoker;
struct cv_verifier {
	X509_STORE		*store;
	int			 min_rsa_bits;
	int			 min_ec_bits;
	struct cv_revoker	*rev;	/* NULL: no revocation checks */
};
int		 cv_verify_error_class(int);
const char	*cv_verify_error_name(int);
int		 cv_verify(const struct cv_verifier *, const struct cv_req *,
		    time_t, struct cv_finding *, size_t, size_t *, char **)
		    NONNULL(1, 2, 4, 6);

/* cv_revoke.c: CRL and OCSP over libcurl, cached. */
enum cv_rev {
	CV_RS_GOOD = 0,
	CV_RS_REVOKED,
	CV_RS_UNKNOWN,
	CV_RS_TIMEOUT
};
struct cv_revoker *cv_revoke_new(long, long, size_t);
void		 cv_revoke_free(struct cv_revoker *);
enum cv_rev	 cv_revoke_check(struct cv_revoker *, X509_STORE_CTX *,
		    X509 *, X509 *, time_t, char *, size_t) NONNULL(1, 2, 3, 4);
X509		*cv_revoke_issuer(struct cv_revoker *, X509 *, time_t)
		    NONNULL(1, 2);

/*
 * cv_handle.c: the request loop's work, without I/O. A request with a
 * channel ID goes to the pool when there is one; the others, and all of
 * them without a pool, are answered in order into the caller's buffer.
 */
struct cv_pool;
struct cv_ctx {
	struct cv_verifier	 v;
	struct cv_policy	 pol;
	size_t			 skip;	/* bytes of a refused request to drop */
	struct cv_pool		*pool;	/* NULL: answer each in turn */
};
int		 cv_handle_decide(const struct cv_policy *, const char *,
		    struct cv_finding *, size_t, size_t *) NONNULL(1, 2, 3, 5);
int		 cv_handle_request(const struct cv_ctx *,
		    const struct helper_frame *, time_t, struct cbuf *)
		    NONNULL(1, 2, 4);
size_t		 cv_handle(struct cv_ctx *, const char *, size_t, time_t,
		    struct cbuf *) NONNULL(1, 2, 5);

/*
 * cv_pool.c: worker threads that validate requests with channel IDs at
 * once and write each answer whole as it is ready. Every write to the
 * helper's output goes through cv_pool_write, so that answers never
 * interleave.
 */
struct cv_pool	*cv_pool_new(const struct cv_ctx *, size_t, int, char **)
		    NONNULL(1);
int		 cv_pool_submit(struct cv_pool *, const struct helper_frame *,
		    char **) NONNULL(1, 2);
int		 cv_pool_write(struct cv_pool *, struct cbuf *, int)
		    NONNULL(1, 2);
void		 cv_pool_free(struct cv_pool *);

/* cv_opts.c: the options, from the command line and the -c file. */
enum cv_opt_type {
	CV_OPT_FLAG = 0,
	CV_OPT_STRING,
	CV_OPT_NUMBER,
	CV_OPT_ACTION,		/* block or allow, for one error class */
	CV_OPT_HOSTS		/* "CLASS HOST..." (repeatable) */
};
struct cv_opt {
	const char	*name;
	int		 shortopt;	/* 0: long name only */
	enum cv_opt_type type;
	const char	*def;
	long		 min, max;
	const char	*arg;
	const char	*help;
};
extern const struct cv_opt cv_opts_table[];
struct cv_opts {
	char		*ca_file;
	char		*ca_dir;
	long		 min_rsa_bits;
	long		 min_ec_bits;
	int		 revocation;
	long		 timeout;
	long		 cache_time;
	long		 cache_size;
	long		 workers;
	int		 debug;
	struct cv_policy pol;
};
int		 cv_opts_defaults(struct cv_opts *, char **) NONNULL(1);
int		 cv_opts_set(struct cv_opts *, const char *, const char *,
		    char **) NONNULL(1, 2, 3);
int		 cv_opts_file(struct cv_opts *, const char *, char **)
		    NONNULL(1, 2);
void		 cv_opts_free(struct cv_opts *);
void		 cv_opts_usage(FILE *) NONNULL(1);
X509_STORE	*cv_opts_store(const struct cv_opts *, char **) NONNULL(1);

#endif
