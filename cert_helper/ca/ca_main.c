/*
 * sslinspect-ca: command line. Commands and their options are tables, so
 * usage and the man page walk the same list.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cause.h"

#ifndef CA_DEFAULT_DIR
#define CA_DEFAULT_DIR		"/var/lib/sslinspect/ca"
#endif
#ifndef CA_DEFAULT_ISSUED
#define CA_DEFAULT_ISSUED	"/var/lib/sslinspect/certgen/issued.tsv"
#endif

enum {
	C_DEMO = 1 << 0, C_CSR = 1 << 1, C_INSTALL = 1 << 2,
	C_IMPORT = 1 << 3, C_ROTATE = 1 << 4, C_REVOKE = 1 << 5,
	C_CRL = 1 << 6, C_STATUS = 1 << 7
};
#define C_SETUP	(C_DEMO | C_CSR | C_INSTALL | C_IMPORT)

static const struct {
	const char	*name;
	int		 bit;
	int		 create;	/* may make DIR */
	const char	*help;
} ca_main_cmds[] = {
	{ "demo-init", C_DEMO, 1, "throwaway DEMO root and intermediate" },
	{ "csr", C_CSR, 1, "intermediate key and CSR for the org root" },
	{ "install", C_INSTALL, 0, "install the signed intermediate" },
	{ "import", C_IMPORT, 1, "adopt an existing intermediate" },
	{ "rotate", C_ROTATE, 0, "new issuing CA and Squid bundle" },
	{ "revoke", C_REVOKE, 0, "revoke leaves or an issuing CA" },
	{ "crl", C_CRL, 0, "write the CRLs" },
	{ "status", C_STATUS, 0, "issuing CAs, counts, CRL due date" },
};

enum {
	O_ORG = 256, O_KEYTYPE, O_CRLURL, O_USER, O_FORCE, O_SUBJECT, O_CERT,
	O_KEY, O_CHAIN, O_VALIDITY, O_RELOAD, O_SERIAL, O_HOST, O_ISSUING,
	O_REASON, O_ISSUED, O_OUT, O_NEXT, O_IDP
};

static const struct {
	struct option	 opt;
	int		 cmds;
	const char	*arg;
	const char	*help;
} ca_main_opts[] = {
	{ { "org", 1, NULL, O_ORG }, C_DEMO, "NAME", "demo organization" },
	{ { "key-type", 1, NULL, O_KEYTYPE }, C_DEMO | C_CSR | C_ROTATE,
	  "TYPE", "ec-p256 (default), ec-p384, rsa-2048/3072/4096" },
	{ { "crl-url", 1, NULL, O_CRLURL }, C_SETUP, "URL",
	  "CRL URL template, {ca} = issuer key id (saved)" },
	{ { "squid-user", 1, NULL, O_USER }, C_SETUP, "USER",
	  "owner of squid-bundle.pem (saved)" },
	{ { "force", 0, NULL, O_FORCE }, C_DEMO, NULL,
	  "replace an existing intermediate" },
	{ { "subject", 1, NULL, O_SUBJECT }, C_CSR, "DN",
	  "intermediate subject, /O=Org/CN=Name" },
	{ { "cert", 1, NULL, O_CERT }, C_INSTALL | C_IMPORT, "FILE",
	  "intermediate certificate" },
	{ { "key", 1, NULL, O_KEY }, C_IMPORT, "FILE", "intermediate key" },
	{ { "chain", 1, NULL, O_CHAIN }, C_INSTALL | C_IMPORT, "FILE",
	  "certificates up to and including the org root" },
	{ { "validity", 1, NULL, O_VALIDITY }, C_SETUP | C_ROTATE, "DAYS",
	  "issuing CA validity (default 7)" },
	{ { "reload", 1, NULL, O_RELOAD }, C_ROTATE, "CMD",
	  "command run after the bundle changed" },
	{ { "serial", 1, NULL, O_SERIAL }, C_REVOKE, "HEX",
	  "revoke the leaf with this serial" },
	{ { "host", 1, NULL, O_HOST }, C_REVOKE, "NAME",
	  "revoke every leaf minted for this host" },
	{ { "issuing-ca", 1, NULL, O_ISSUING }, C_REVOKE, "KEYID",
	  "revoke an issuing CA" },
	{ { "reason", 1, NULL, O_REASON }, C_REVOKE, "REASON",
	  "keyCompromise, cACompromise, affiliationChanged, superseded, "
	  "cessationOfOperation, privilegeWithdrawn" },
	{ { "issued", 1, NULL, O_ISSUED }, C_REVOKE | C_STATUS, "FILE",
	  "certgen's issued-certificate record" },
	{ { "out", 1, NULL, O_OUT }, C_CRL, "DIR",
	  "write CRLs here instead of DIR/crl" },
	{ { "next-update", 1, NULL, O_NEXT }, C_SETUP | C_CRL, "DAYS",
	  "days from thisUpdate to nextUpdate (default 7)" },
	{ { "crl-idp", 1, NULL, O_IDP }, C_SETUP | C_CRL, "0|1",
	  "issuingDistributionPoint in CRLs (saved by setup commands)" },
};
#define NOPTS	(sizeof ca_main_opts / sizeof ca_main_opts[0])

struct ca_main_args {
	const char	*org, *key_type, *subject, *cert, *key, *chain;
	const char	*reload, *out;
	int		 force;
	struct ca_rotate_opts	rot;
	struct ca_revoke_opts	rev;
};

static void __attribute__((noreturn))
ca_main_usage(int status)
{
	FILE	*f = status == 0 ? stdout : stderr;
	size_t	 i, j;

	fprintf(f, "usage: sslinspect-ca [-d DIR] command [options]\n"
	    "  -d DIR  CA directory (default %s)\n", CA_DEFAULT_DIR);
	for (i = 0; i < sizeof ca_main_cmds / sizeof ca_main_cmds[0]; i++) {
		fprintf(f, "%s: %s\n", ca_main_cmds[i].name,
		    ca_main_cmds[i].help);
		for (j = 0; j < NOPTS; j++) {
			if (!(ca_main_opts[j].cmds & ca_main_cmds[i].bit))
				continue;
			fprintf(f, "    --%s%s%s  %s\n",
			    ca_main_opts[j].opt.name, ca_main_opts[j].arg ?
			    " " : "", ca_main_opts[j].arg ?
			    ca_main_opts[j].arg : "", ca_main_opts[j].help);
		}
	}
	exit(status);
}

/* Apply one option to args (and settings to conf); -1 with a cause. */
static int
ca_main_opt(int c, const char *v, struct ca_main_args *a, struct ca_conf *conf,
    char **cause)
{
	switch (c) {
	case O_ORG: a->org = v; break;
	case O_KEYTYPE: a->key_type = a->rot.key_type = v; break;
	case O_CRLURL: return ca_conf_set(conf, "crl-url", v, cause);
	case O_USER: return ca_conf_set(conf, "squid-user", v, cause);
	case O_FORCE: a->force = 1; break;
	case O_SUBJECT: a->subject = v; break;
	case O_CERT: a->cert = v; break;
	case O_KEY: a->key = v; break;
	case O_CHAIN: a->chain = v; break;
	case O_RELOAD: a->rot.reload = v; break;
	case O_SERIAL: a->rev.serial = v; break;
	case O_HOST: a->rev.host = v; break;
	case O_ISSUING: a->rev.issuing_ca = v; break;
	case O_ISSUED: a->rev.issued = v; break;
	case O_OUT: a->out = v; break;
	case O_NEXT: return ca_conf_set(conf, "crl-days", v, cause);
	case O_IDP: return ca_conf_set(conf, "crl-idp", v, cause);
	case O_VALIDITY:
		if (ca_conf_set(conf, "issuing-days", v, cause) == -1)
			return -1;
		a->rot.days = conf->issuing_days;
		break;
	case O_REASON:
		if ((a->rev.reason = ca_revoke_reason(v)) == -1) {
			cause_set(cause, "unknown reason \"%s\"", v);
			return -1;
		}
		break;
	}
	return 0;
}

/* Check the required options of a command; -1 with a cause. */
static int
ca_main_check(int bit, const struct ca_main_args *a, char **cause)
{
	int	n;

	if (bit == C_CSR && a->subject == NULL)
		cause_set(cause, "csr needs --subject");
	else if ((bit == C_INSTALL || bit == C_IMPORT) &&
	    (a->cert == NULL || a->chain == NULL))
		cause_set(cause, "%s needs --cert and --chain",
		    bit == C_INSTALL ? "install" : "import");
	else if (bit == C_IMPORT && a->key == NULL)
		cause_set(cause, "import needs --key");
	else if (bit == C_REVOKE) {
		n = (a->rev.serial != NULL) + (a->rev.host != NULL) +
		    (a->rev.issuing_ca != NULL);
		if (n != 1)
			cause_set(cause, "revoke needs exactly one of --serial, "
			    "--host, --issuing-ca");
		else
			return 0;
	} else
		return 0;
	return -1;
}

static int	ca_main_cmd(struct ca_store *, int, struct ca_main_args *,
		    char **);

/* Run the command; settings are saved only when a setup command worked. */
static int
ca_main_run(struct ca_store *st, int bit, struct ca_main_args *a,
    char **cause)
{
	int	rv;

	rv = ca_main_cmd(st, bit, a, cause);
	if (rv == 0 && (bit & C_SETUP))
		rv = ca_store_save_conf(st, cause);
	return rv;
}

static int
ca_main_cmd(struct ca_store *st, int bit, struct ca_main_args *a,
    char **cause)
{
	int	rv;

	switch (bit) {
	case C_DEMO:
		rv = ca_issue_demo_init(st, a->org, a->key_type, a->force,
		    cause);
		if (rv == 0)
			printf("DEMO CA created in %s: root %s/root.pem\n",
			    st->dir, st->dir);
		return rv;
	case C_CSR:
		return ca_issue_csr(st, a->subject, a->key_type, cause);
	case C_INSTALL:
		return ca_issue_install(st, a->cert, a->chain, cause);
	case C_IMPORT:
		return ca_issue_import(st, a->cert, a->key, a->chain, cause);
	case C_ROTATE:
		return ca_issue_rotate(st, &a->rot, cause);
	case C_REVOKE:
		return ca_revoke(st, &a->rev, cause);
	case C_CRL:
		return ca_crl_write_all(st, a->out, 0, cause);
	default:
		return ca_status(st, a->rev.issued, cause);
	}
}

int
main(int argc, char **argv)
{
	struct option		 longopts[NOPTS + 1];
	struct ca_main_args	 a;
	struct ca_store		 st;
	struct ca_conf		 conf;
	const char		*dir = CA_DEFAULT_DIR;
	char			*cause = NULL;
	size_t			 i, ci;
	int			 c, j, bit = 0;

	while ((c = getopt(argc, argv, "+d:h")) != -1) {
		if (c == 'd')
			dir = optarg;
		else
			ca_main_usage(c == 'h' ? 0 : 2);
	}
	if (optind >= argc)
		ca_main_usage(2);
	for (ci = 0; ci < sizeof ca_main_cmds / sizeof ca_main_cmds[0]; ci++) {
		if (strcmp(argv[optind], ca_main_cmds[ci].name) == 0)
			bit = ca_main_cmds[ci].bit;
		if (bit != 0)
			break;
	}
	if (bit == 0) {
		fprintf(stderr, "sslinspect-ca: unknown command \"%s\"\n",
		    argv[optind]);
		ca_main_usage(2);
	}
	memset(&a, 0, sizeof a);
	a.key_type = a.rot.key_type = "ec-p256";
	a.rev.issued = CA_DEFAULT_ISSUED;
	a.rev.reason = -1;
	for (i = 0; i < NOPTS; i++)
		longopts[i] = ca_main_opts[i].opt;
	memset(&longopts[NOPTS], 0, sizeof longopts[NOPTS]);

	/* The directory's settings first, so options override them. */
	if (ca_store_open(&st, dir, ca_main_cmds[ci].create, &cause) == -1)
		goto fail;
	conf = st.conf;
	argc -= optind;
	argv += optind;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, &j)) != -1) {
		if (c == '?' || c == ':' || !(ca_main_opts[j].cmds & bit)) {
			if (c != '?' && c != ':')
				fprintf(stderr, "sslinspect-ca: %s does not take "
				    "--%s\n", argv[0], longopts[j].name);
			ca_store_close(&st);
			ca_main_usage(2);
		}
		if (ca_main_opt(c, optarg, &a, &conf, &cause) == -1)
			goto fail;
	}
	if (optind != argc) {
		ca_store_close(&st);
		ca_main_usage(2);
	}
	st.conf = conf;
	if (ca_main_check(bit, &a, &cause) == -1 ||
	    ca_main_run(&st, bit, &a, &cause) == -1)
		goto fail;
	ca_store_close(&st);
	return 0;
fail:
	fprintf(stderr, "sslinspect-ca: %s\n", cause != NULL ? cause :
	    "out of memory");
	free(cause);
	ca_store_close(&st);
	return 1;
}
