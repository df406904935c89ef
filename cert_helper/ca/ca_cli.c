/*
 * sslinspect-ca's command line as tables: the commands, and every option
 * with the commands that take it. main() builds getopt's table and the
 * usage from them, and the unit test checks that sslinspect-ca(8) lists
 * exactly these (its generated parts).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>

#include "ca.h"

const struct ca_cli_cmd ca_cli_cmds[] = {
	{ "demo-init", CA_CMD_DEMO, 1, "throwaway DEMO root and intermediate" },
	{ "csr", CA_CMD_CSR, 1, "intermediate key and CSR for the org root" },
	{ "install", CA_CMD_INSTALL, 0, "install the signed intermediate" },
	{ "import", CA_CMD_IMPORT, 1, "adopt an existing intermediate" },
	{ "rotate", CA_CMD_ROTATE, 0, "new issuing CA and Squid bundle" },
	{ "revoke", CA_CMD_REVOKE, 0,
	  "revoke leaves, an issuing CA or a node's issuing CAs" },
	{ "crl", CA_CMD_CRL, 0, "write the CRLs" },
	{ "status", CA_CMD_STATUS, 0,
	  "issuing CAs, counts, CRL due date; exit status for monitoring" },
	{ NULL, 0, 0, NULL }
};

const struct ca_cli_opt ca_cli_opts[] = {
	{ "org", CA_OPT_ORG, CA_CMD_DEMO, "NAME", "demo organization" },
	{ "key-type", CA_OPT_KEYTYPE, CA_CMD_DEMO | CA_CMD_CSR | CA_CMD_ROTATE,
	  "TYPE", "key algorithm (see KEY TYPES; default ec-p256)" },
	{ "crl-url", CA_OPT_CRLURL, CA_CMD_SETUP, "URL",
	  "CRL URL template, {ca} = issuer key id "
	  "(saved; certgen reads it too)" },
	{ "squid-user", CA_OPT_USER, CA_CMD_SETUP, "USER",
	  "owner of squid-bundle.pem (saved)" },
	{ "exclude-list", CA_OPT_EXCLUDE, CA_CMD_SETUP, "FILE",
	  "do-not-inspect list that issuing CAs exclude by nameConstraints, "
	  "none for no constraints (saved)" },
	{ "force", CA_OPT_FORCE, CA_CMD_DEMO, NULL,
	  "replace an existing intermediate" },
	{ "subject", CA_OPT_SUBJECT, CA_CMD_CSR, "DN",
	  "intermediate subject, /O=Org/CN=Name" },
	{ "cert", CA_OPT_CERT, CA_CMD_INSTALL | CA_CMD_IMPORT, "FILE",
	  "intermediate certificate" },
	{ "key", CA_OPT_KEY, CA_CMD_IMPORT, "FILE", "intermediate key" },
	{ "chain", CA_OPT_CHAIN, CA_CMD_INSTALL | CA_CMD_IMPORT, "FILE",
	  "certificates up to and including the org root" },
	{ "validity", CA_OPT_VALIDITY, CA_CMD_SETUP | CA_CMD_ROTATE, "DAYS",
	  "issuing CA validity (saved by setup commands; default 7)" },
	{ "node", CA_OPT_NODE, CA_CMD_ROTATE | CA_CMD_REVOKE, "NAME",
	  "rotate: the issuing CA of this proxy node, into nodes/NAME/; "
	  "revoke: every issuing CA of this node" },
	{ "reload", CA_OPT_RELOAD, CA_CMD_ROTATE, "CMD",
	  "command run after the bundle changed, with SSLINSPECT_BUNDLE "
	  "(and SSLINSPECT_NODE, SSLINSPECT_NODE_DIR) in its environment" },
	{ "serial", CA_OPT_SERIAL, CA_CMD_REVOKE, "HEX",
	  "revoke the leaf with this serial" },
	{ "host", CA_OPT_HOST, CA_CMD_REVOKE, "NAME",
	  "revoke every leaf minted for this host" },
	{ "issuing-ca", CA_OPT_ISSUING, CA_CMD_REVOKE, "KEYID",
	  "revoke an issuing CA" },
	{ "reason", CA_OPT_REASON, CA_CMD_REVOKE, "REASON",
	  "keyCompromise, cACompromise, affiliationChanged, superseded, "
	  "cessationOfOperation, privilegeWithdrawn" },
	{ "issued", CA_OPT_ISSUED, CA_CMD_REVOKE | CA_CMD_STATUS, "FILE",
	  "certgen's issued-certificate record" },
	{ "out", CA_OPT_OUT, CA_CMD_CRL, "DIR",
	  "write CRLs here instead of DIR/crl" },
	{ "next-update", CA_OPT_NEXT, CA_CMD_SETUP | CA_CMD_CRL, "DAYS",
	  "days from thisUpdate to nextUpdate "
	  "(saved by setup commands; default 7)" },
	{ "crl-idp", CA_OPT_IDP, CA_CMD_SETUP | CA_CMD_CRL, "0|1",
	  "issuingDistributionPoint in CRLs (saved by setup commands)" },
	{ "warn", CA_OPT_WARN, CA_CMD_STATUS, "HOURS",
	  "warn when the current issuing CA has less left (default: half its "
	  "validity)" },
	{ "critical", CA_OPT_CRITICAL, CA_CMD_STATUS, "HOURS",
	  "critical when it has less left (default 24)" },
	{ NULL, 0, 0, NULL, NULL }
};

/* Print the usage: the global options, then each command with its options. */
void
ca_cli_usage(FILE *f, const char *dflt_dir)
{
	const struct ca_cli_cmd	*c;
	const struct ca_cli_opt	*o;
	char			 left[64];

	fprintf(f, "usage: sslinspect-ca [-d DIR] COMMAND [options]\n"
	    "       sslinspect-ca --help | --version\n"
	    "  -d DIR  CA directory (default %s)\n\n", dflt_dir);
	for (c = ca_cli_cmds; c->name != NULL; c++) {
		fprintf(f, "%s: %s\n", c->name, c->help);
		for (o = ca_cli_opts; o->name != NULL; o++) {
			if (!(o->cmds & c->bit))
				continue;
			snprintf(left, sizeof left, "--%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
			fprintf(f, "    %-24s %s\n", left, o->help);
		}
	}
	fprintf(f, "\nkey types: %s\n"
	    "Exit status: 0 done (status: all well), 1 error, 2 usage, "
	    "3 status warning, 4 status critical.\nSee sslinspect-ca(8).\n",
	    ca_keys_type_list());
}
