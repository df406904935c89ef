/*
 * sslinspect-ca: the organization's CA hierarchy for TLS inspection.
 *
 * org root (offline) -> org intermediate (key readable by root only) ->
 * short-lived issuing CA (rotated; its key goes to Squid in the bundle) ->
 * leaves minted by sslinspect-certgen.
 *
 * Layout of the CA directory (ca_store.c):
 *   ca.conf			settings (ca_conf.c)
 *   root.pem			the root clients trust
 *   chain.pem			certificates above the intermediate, root last
 *   intermediate.pem/.key	the org intermediate (key 0600 root)
 *   pending/intermediate.key/.csr	csr waiting for "install"
 *   issuing/<keyid>.pem/.key	every issuing CA minted by "rotate"
 *   current			key id of the issuing CA in the bundle
 *   squid-bundle.pem		issuing cert, its PKCS#8 key, intermediate,
 *				chain; 0600, owned by Squid's user
 *   revoked.tsv		revocations (ca_revoke.c)
 *   crlnumber			last CRL number used
 *   crl/<keyid>.crl/.pem	CRLs, named by the issuer's key id
 *   issuing/<keyid>.node	the proxy node an issuing CA is for (ca_node.c)
 *   nodes/<name>/		what that node gets: its bundle, current,
 *				ca.conf and revoked.tsv
 *
 * Internal interfaces, grouped by the file that implements them.
 */
#ifndef SSLINSPECT_CA_H
#define SSLINSPECT_CA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attrib.h"
#include "revoked.h"
#include "serial.h"

#define CA_KEYID_MAX	128	/* hex digits */
#define CA_SERIAL_MAX	SERIAL_HEX_MAX

/* ca_conf.c: settings, a table of (name, type, default, range, help). */
struct ca_conf {
	char	crl_url[512];		/* template, {ca} = issuer key id */
	int	issuing_days;		/* issuing CA validity */
	int	crl_days;		/* nextUpdate - thisUpdate */
	char	squid_user[64];		/* owner of the bundle */
	int	crl_idp;		/* write issuingDistributionPoint */
	char	exclude_list[512];	/* do-not-inspect list or "none" */
};

enum ca_conf_type {
	CA_CONF_STRING,
	CA_CONF_INT
};

struct ca_conf_opt {
	const char		*name;
	enum ca_conf_type	 type;
	const char		*dflt;
	long			 min;
	long			 max;
	const char		*help;
};

extern const struct ca_conf_opt	ca_conf_opts[];
extern const size_t		ca_conf_nopts;

void	ca_conf_defaults(struct ca_conf *) NONNULL(1);
int	ca_conf_set(struct ca_conf *, const char *, const char *, char **)
	    NONNULL(1, 2, 3);
int	ca_conf_parse(struct ca_conf *, const char *, size_t, char **)
	    NONNULL(1, 2);
char   *ca_conf_format(const struct ca_conf *) NONNULL(1);
char   *ca_conf_url(const char *, const char *) NONNULL(1, 2);

/* ca_store.c: the directory layout, atomic writes, locking. */
struct ca_store {
	char	*dir;
	int	 lockfd;
	struct ca_conf conf;
};

char   *ca_store_path(const struct ca_store *, const char *, ...)
	    PRINTF(2, 3) NONNULL(1);
int	ca_store_open(struct ca_store *, const char *, int, char **)
	    NONNULL(1, 2);
void	ca_store_close(struct ca_store *) NONNULL(1);
int	ca_store_save_conf(struct ca_store *, char **) NONNULL(1);
int	ca_store_write(const char *, const void *, size_t, mode_t, uid_t,
	    gid_t, char **) NONNULL(1, 2);
int	ca_store_read(const char *, char **, size_t *, char **)
	    NONNULL(1, 2, 3);
int	ca_store_exists(const char *) NONNULL(1);
int	ca_store_mkdir(const char *, mode_t, char **) NONNULL(1);
int	ca_store_user(const char *, uid_t *, gid_t *, char **) NONNULL(1, 2, 3);

/* ca_keys.c: key generation, key files and their permissions. */
EVP_PKEY *ca_keys_generate(const char *, char **) NONNULL(1);
const char *ca_keys_type_list(void);
EVP_PKEY *ca_keys_load(const char *, int, char **) NONNULL(1);
int	ca_keys_write(const char *, EVP_PKEY *, uid_t, gid_t, char **)
	    NONNULL(1, 2);
char   *ca_keys_pem(EVP_PKEY *, size_t *) NONNULL(1, 2);
void	ca_keys_free_pem(char *, size_t);

/* ca_x509.c: certificate helpers shared by the commands. */
X509	*ca_x509_load(const char *, char **) NONNULL(1);
STACK_OF(X509) *ca_x509_load_all(const char *, char **) NONNULL(1);
int	ca_x509_write(const char *, X509 *, char **) NONNULL(1, 2);
char   *ca_x509_pem(X509 *, size_t *) NONNULL(1, 2);
int	ca_x509_keyid(X509 *, char *, size_t) NONNULL(1, 2);
int	ca_x509_serial(X509 *, char *, size_t) NONNULL(1, 2);
time_t	ca_x509_not_after(X509 *) NONNULL(1);
int	ca_x509_parse_dn(const char *, X509_NAME **, char **) NONNULL(1, 2);
int	ca_x509_check_ca(X509 *, int, char **) NONNULL(1);
int	ca_x509_verify(X509 *, STACK_OF(X509) *, time_t, STACK_OF(X509) **,
	    char **) NONNULL(1, 2);
void	ca_x509_fmt_time(time_t, char *, size_t) NONNULL(2);

/*
 * ca_nc.c: the do-not-inspect list as excluded DNS subtrees of a critical
 * nameConstraints in each issuing CA.
 *
 * At most CA_NC_MAX names: each costs its length plus about 6 bytes of
 * DER in the issuing CA, which Squid sends in every bumped handshake, and
 * each is compared with every name of every leaf (OpenSSL refuses a chain
 * beyond 2^20 such comparisons). 256 names of the longest kind (253
 * characters) make 66 KB, still within OpenSSL's default 100 KiB limit
 * on a peer's certificate chain; typical names make 5 to 10 KB.
 */
#define CA_NC_MAX	256

struct ca_nc {
	char	**names;		/* lowercase, no leading dot */
	size_t	  n;
};

int	ca_nc_parse(struct ca_nc *, const char *, const char *, size_t,
	    char **) NONNULL(1, 2, 3);
int	ca_nc_load(struct ca_nc *, const char *, char **) NONNULL(1, 2);
int	ca_nc_add(X509 *, const struct ca_nc *, char **) NONNULL(1, 2);
void	ca_nc_free(struct ca_nc *) NONNULL(1);

/* ca_node.c: one issuing CA per named proxy node (nodes/<name>/). */
#define CA_NODE_MAX	32

int	ca_node_name_ok(const char *, char **) NONNULL(1);
int	ca_node_of(const struct ca_store *, const char *, char *, size_t)
	    NONNULL(1, 2, 3);
int	ca_node_mark(const struct ca_store *, const char *, const char *,
	    char **) NONNULL(1, 2, 3);
int	ca_node_current(const struct ca_store *, const char *, char *,
	    size_t) NONNULL(1, 3);
int	ca_node_is_current(const struct ca_store *, const char *)
	    NONNULL(1, 2);
char   *ca_node_dir(const struct ca_store *, const char *, char **)
	    NONNULL(1, 2);
int	ca_node_publish(const struct ca_store *, const char *, char **)
	    NONNULL(1, 2);
int	ca_node_foreach(const struct ca_store *,
	    int (*)(const struct ca_store *, const char *, void *, char **),
	    void *, char **) NONNULL(1, 2);
int	ca_node_publish_all(const struct ca_store *, char **) NONNULL(1);

/* ca_issue.c: demo-init, csr, install, import, rotate. */
struct ca_rotate_opts {
	int		 days;		/* 0: the configured default */
	const char	*reload;	/* shell command or NULL */
	const char	*key_type;
	const char	*node;		/* NULL: the directory's own bundle */
};

int	ca_issue_demo_init(struct ca_store *, const char *, const char *,
	    int, char **) NONNULL(1, 3);
int	ca_issue_csr(struct ca_store *, const char *, const char *, char **)
	    NONNULL(1, 2, 3);
int	ca_issue_install(struct ca_store *, const char *, const char *,
	    char **) NONNULL(1, 2, 3);
int	ca_issue_import(struct ca_store *, const char *, const char *,
	    const char *, char **) NONNULL(1, 2, 3, 4);
int	ca_issue_rotate(struct ca_store *, const struct ca_rotate_opts *,
	    char **) NONNULL(1, 2);
X509	*ca_issue_mint_ca(X509 *, EVP_PKEY *, EVP_PKEY *, X509_NAME *, int,
	    time_t, int, const char *, const struct ca_nc *, char **)
	    NONNULL(3, 4);
int	ca_issue_load_intermediate(struct ca_store *, X509 **, EVP_PKEY **,
	    char **) NONNULL(1, 2);

/* ca_revoke.c: the revoke command (the record itself: common/revoked.h). */
struct ca_revoke_opts {
	const char	*serial;
	const char	*host;
	const char	*issuing_ca;
	const char	*node;		/* every issuing CA of this node */
	const char	*issued;	/* issued.tsv path */
	int		 reason;
};

int	ca_revoke_reason(const char *) NONNULL(1);
const char *ca_revoke_reason_name(int);
int	ca_revoke(struct ca_store *, const struct ca_revoke_opts *, char **)
	    NONNULL(1, 2);

/* ca_crl.c: CRL building (pure, in memory) and the crl command. */
X509_CRL *ca_crl_build(X509 *, EVP_PKEY *, const struct revoked_rec *,
	    size_t, uint64_t, time_t, time_t, const char *, int, char **)
	    NONNULL(1, 2);
int	ca_crl_write_all(struct ca_store *, const char *, int, char **)
	    NONNULL(1);

/* ca_status.c: the report, and how healthy the directory is. */
enum ca_health {
	CA_HEALTH_OK = 0,
	CA_HEALTH_WARNING = 3,		/* the exit status of status */
	CA_HEALTH_CRITICAL = 4
};

struct ca_status_opts {
	const char	*issued;	/* issued.tsv path */
	long		 warn_hours;	/* -1: half the issuing CA's validity */
	long		 critical_hours;
};

int	ca_status(struct ca_store *, const struct ca_status_opts *, char **)
	    NONNULL(1, 2);
enum ca_health ca_status_issuing(time_t, time_t, time_t, long, long);

/* ca_cli.c: the command line as tables (usage and the man page walk them). */
enum {
	CA_CMD_DEMO = 1 << 0, CA_CMD_CSR = 1 << 1, CA_CMD_INSTALL = 1 << 2,
	CA_CMD_IMPORT = 1 << 3, CA_CMD_ROTATE = 1 << 4, CA_CMD_REVOKE = 1 << 5,
	CA_CMD_CRL = 1 << 6, CA_CMD_STATUS = 1 << 7
};
#define CA_CMD_SETUP	(CA_CMD_DEMO | CA_CMD_CSR | CA_CMD_INSTALL | \
    CA_CMD_IMPORT)

enum {
	CA_OPT_ORG = 256, CA_OPT_KEYTYPE, CA_OPT_CRLURL, CA_OPT_USER,
	CA_OPT_FORCE, CA_OPT_SUBJECT, CA_OPT_CERT, CA_OPT_KEY, CA_OPT_CHAIN,
	CA_OPT_VALIDITY, CA_OPT_RELOAD, CA_OPT_SERIAL, CA_OPT_HOST,
	CA_OPT_ISSUING, CA_OPT_REASON, CA_OPT_ISSUED, CA_OPT_OUT, CA_OPT_NEXT,
	CA_OPT_IDP, CA_OPT_WARN, CA_OPT_CRITICAL, CA_OPT_EXCLUDE, CA_OPT_NODE
};

struct ca_cli_cmd {
	const char	*name;
	int		 bit;		/* CA_CMD_* */
	int		 create;	/* may make DIR */
	const char	*help;
};

struct ca_cli_opt {
	const char	*name;		/* long option */
	int		 val;		/* CA_OPT_* */
	int		 cmds;		/* CA_CMD_* that take it */
	const char	*arg;		/* NULL: a flag */
	const char	*help;
};

extern const struct ca_cli_cmd	ca_cli_cmds[];
extern const struct ca_cli_opt	ca_cli_opts[];
void	ca_cli_usage(FILE *, const char *) NONNULL(1, 2);

#endif
