/*
 * sslinspect-ca: command line. Commands and their options are the tables
 * of ca_cli.c, so usage and the man page walk the same list.
 */
#include "config.h"

#include <errno.h>
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

#define NOPTS	64

struct ca_main_args {
	const char	*org, *key_type, *subject, *cert, *key, *chain;
	const char	*reload, *out;
	int		 force;
	struct ca_rotate_opts	rot;
	struct ca_revoke_opts	rev;
	struct ca_status_opts	stat;
};

/* The usage on stdout (asked for: exit 0) or stderr (exit 2). */
static void __attribute__((noreturn))
ca_main_usage(int status)
{
	ca_cli_usage(status == 0 ? stdout : stderr, CA_DEFAULT_DIR);
	exit(status);
}

/* A number of hours for status; -1 with a cause when it is not one. */
static int
ca_main_hours(const char *v, long *out, char **cause)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 0 || n > 24 * 3650) {
		cause_set(cause, "bad number of hours \"%s\"", v);
		return -1;
	}
	*out = n;
	return 0;
}

/* Apply one option to args (and settings to conf); -1 with a cause. */
static int
ca_main_opt(int c, const char *v, struct ca_main_args *a, struct ca_conf *conf,
    char **cause)
{
	switch (c) {
	case CA_OPT_ORG: a->org = v; break;
	case CA_OPT_KEYTYPE: a->key_type = a->rot.key_type = v; break;
	case CA_OPT_CRLURL: return ca_conf_set(conf, "crl-url", v, cause);
	case CA_OPT_USER: return ca_conf_set(conf, "squid-user", v, cause);
	case CA_OPT_EXCLUDE: return ca_conf_set(conf, "exclude-list", v, cause);
	case CA_OPT_FORCE: a->force = 1; break;
	case CA_OPT_SUBJECT: a->subject = v; break;
	case CA_OPT_CERT: a->cert = v; break;
	case CA_OPT_KEY: a->key = v; break;
	case CA_OPT_CHAIN: a->chain = v; break;
	case CA_OPT_RELOAD: a->rot.reload = v; break;
	case CA_OPT_SERIAL: a->rev.serial = v; break;
	case CA_OPT_HOST: a->rev.host = v; break;
	case CA_OPT_ISSUING: a->rev.issuing_ca = v; break;
	case CA_OPT_NODE: a->rot.node = a->rev.node = v; break;
	case CA_OPT_ISSUED: a->rev.issued = a->stat.issued = v; break;
	case CA_OPT_OUT: a->out = v; break;
	case CA_OPT_NEXT: return ca_conf_set(conf, "crl-days", v, cause);
	case CA_OPT_IDP: return ca_conf_set(conf, "crl-idp", v, cause);
	case CA_OPT_WARN: return ca_main_hours(v, &a->stat.warn_hours, cause);
	case CA_OPT_CRITICAL:
		return ca_main_hours(v, &a->stat.critical_hours, cause);
	case CA_OPT_VALIDITY:
		if (ca_conf_set(conf, "issuing-days", v, cause) == -1)
			return -1;
		a->rot.days = conf->issuing_days;
		break;
	case CA_OPT_REASON:
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

	if (bit == CA_CMD_CSR && a->subject == NULL)
		cause_set(cause, "csr needs --subject");
	else if ((bit == CA_CMD_INSTALL || bit == CA_CMD_IMPORT) &&
	    (a->cert == NULL || a->chain == NULL))
		cause_set(cause, "%s needs --cert and --chain",
		    bit == CA_CMD_INSTALL ? "install" : "import");
	else if (bit == CA_CMD_IMPORT && a->key == NULL)
		cause_set(cause, "import needs --key");
	else if (bit == CA_CMD_REVOKE) {
		n = (a->rev.serial != NULL) + (a->rev.host != NULL) +
		    (a->rev.issuing_ca != NULL) + (a->rev.node != NULL);
		if (n != 1)
			cause_set(cause,
			    "revoke needs exactly one of --serial, "
			    "--host, --issuing-ca, --node");
		else
			return 0;
	} else
		return 0;
	return -1;
}

static int	ca_main_cmd(struct ca_store *, int, struct ca_main_args *,
		    char **);

/*
 * Run the command; settings are saved only when a setup command worked,
 * and a setup command checks the exclude-list it would save first, so a
 * bad list is refused now rather than at the next rotation.
 */
static int
ca_main_run(struct ca_store *st, int bit, struct ca_main_args *a,
    char **cause)
{
	struct ca_nc	nc = { NULL, 0 };
	int		rv;

	if ((bit & CA_CMD_SETUP) &&
	    strcmp(st->conf.exclude_list, "none") != 0) {
		if (ca_nc_load(&nc, st->conf.exclude_list, cause) == -1)
			return -1;
		ca_nc_free(&nc);
	}
	rv = ca_main_cmd(st, bit, a, cause);
	if (rv == 0 && (bit & CA_CMD_SETUP))
		rv = ca_store_save_conf(st, cause);
	return rv;
}

static int
ca_main_cmd(struct ca_store *st, int bit, struct ca_main_args *a,
    char **cause)
{
	int	rv;

	switch (bit) {
	case CA_CMD_DEMO:
		rv = ca_issue_demo_init(st, a->org, a->key_type, a->force,
		    cause);
		if (rv == 0)
			printf("DEMO CA created in %s: root %s/root.pem\n",
			    st->dir, st->dir);
		return rv;
	case CA_CMD_CSR:
		return ca_issue_csr(st, a->subject, a->key_type, cause);
	case CA_CMD_INSTALL:
		return ca_issue_install(st, a->cert, a->chain, cause);
	case CA_CMD_IMPORT:
		return ca_issue_import(st, a->cert, a->key, a->chain, cause);
	case CA_CMD_ROTATE:
		return ca_issue_rotate(st, &a->rot, cause);
	case CA_CMD_REVOKE:
		return ca_revoke(st, &a->rev, cause);
	case CA_CMD_CRL:
		return ca_crl_write_all(st, a->out, 0, cause);
	default:
		return ca_status(st, &a->stat, cause);
	}
}

/* Any --help or --version wins, wherever it is; a command's --help too. */
static void
ca_main_global(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "help") == 0)
			ca_main_usage(0);
		if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			printf("sslinspect-ca %s\n", PACKAGE_VERSION);
			exit(0);
		}
	}
}

/* The index of command name in ca_cli_cmds, or -1. */
static int
ca_main_find(const char *name)
{
	int	i;

	for (i = 0; ca_cli_cmds[i].name != NULL; i++)
		if (strcmp(name, ca_cli_cmds[i].name) == 0)
			return i;
	return -1;
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
	int			 c, j, ci, bit, n;

	ca_main_global(argc, argv);
	while ((c = getopt(argc, argv, "+d:")) != -1) {
		if (c == 'd')
			dir = optarg;
		else
			ca_main_usage(2);
	}
	if (optind >= argc)
		ca_main_usage(2);
	if ((ci = ca_main_find(argv[optind])) < 0) {
		fprintf(stderr, "sslinspect-ca: unknown command \"%s\"\n",
		    argv[optind]);
		ca_main_usage(2);
	}
	bit = ca_cli_cmds[ci].bit;
	memset(&a, 0, sizeof a);
	a.key_type = a.rot.key_type = "ec-p256";
	a.rev.issued = a.stat.issued = CA_DEFAULT_ISSUED;
	a.rev.reason = -1;
	a.stat.warn_hours = a.stat.critical_hours = -1;
	for (n = 0; ca_cli_opts[n].name != NULL && n < NOPTS; n++) {
		longopts[n].name = ca_cli_opts[n].name;
		longopts[n].has_arg = ca_cli_opts[n].arg != NULL ?
		    required_argument : no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = ca_cli_opts[n].val;
	}
	memset(&longopts[n], 0, sizeof longopts[n]);

	argc -= optind;
	argv += optind;
	/* Usage errors first, before the directory is touched. */
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, &j)) != -1) {
		if (c == '?' || c == ':' || !(ca_cli_opts[j].cmds & bit)) {
			if (c != '?' && c != ':')
				fprintf(stderr,
				    "sslinspect-ca: %s does not take "
				    "--%s\n", argv[0], longopts[j].name);
			ca_main_usage(2);
		}
	}
	if (optind != argc)
		ca_main_usage(2);

	/* The directory's settings first, so options override them. */
	if (ca_store_open(&st, dir, ca_cli_cmds[ci].create, &cause) == -1)
		goto fail;
	conf = st.conf;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, &j)) != -1) {
		if (ca_main_opt(c, optarg, &a, &conf, &cause) == -1)
			goto fail;
	}
	st.conf = conf;
	if (ca_main_check(bit, &a, &cause) == -1 ||
	    (n = ca_main_run(&st, bit, &a, &cause)) == -1)
		goto fail;
	ca_store_close(&st);
	return n;
fail:
	fprintf(stderr, "sslinspect-ca: %s\n", cause != NULL ? cause :
	    "out of memory");
	free(cause);
	ca_store_close(&st);
	return 1;
}
