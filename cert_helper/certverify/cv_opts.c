/*
 * Options: one table drives the command line, the -c file, --help and the
 * man page check. A file line is "name value"; '#' starts a comment. The
 * error classes are options of their own ("expired block"), and
 * "allow-host CLASS HOST..." lets hosts through a class that blocks.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cause.h"
#include "certverify.h"
#include "conffile.h"

const struct cv_opt cv_opts_table[] = {
	{ "config", 'c', CV_OPT_STRING, NULL, 0, 0, "FILE",
	  "read options from FILE (command line only)" },
	{ "ca-file", 'f', CV_OPT_STRING, "/etc/ssl/certs/ca-certificates.crt",
	  0, 0, "FILE", "trusted roots (PEM); \"none\": no file" },
	{ "ca-dir", 'D', CV_OPT_STRING, NULL, 0, 0, "DIR",
	  "trusted roots, hashed directory (c_rehash); unset: none" },
	{ "expired", 0, CV_OPT_ACTION, "block", 0, 0, "ACTION",
	  "certificate past its notAfter: block or allow" },
	{ "not-yet-valid", 0, CV_OPT_ACTION, "block", 0, 0, "ACTION",
	  "certificate before its notBefore: block or allow" },
	{ "untrusted", 0, CV_OPT_ACTION, "block", 0, 0, "ACTION",
	  "self-signed, unknown root or missing issuer: block or allow" },
	{ "wrong-host", 0, CV_OPT_ACTION, "block", 0, 0, "ACTION",
	  "certificate does not name the host: block or allow" },
	{ "revoked", 0, CV_OPT_ACTION, "block", 0, 0, "ACTION",
	  "revoked by CRL or OCSP: block or allow" },
	{ "weak", 0, CV_OPT_ACTION, "block", 0, 0, "ACTION",
	  "short key or MD5/SHA-1 signature: block or allow" },
	{ "revocation-unknown", 0, CV_OPT_ACTION, "allow", 0, 0, "ACTION",
	  "no CRL or OCSP answer could be had: block or allow" },
	{ "revocation-timeout", 0, CV_OPT_ACTION, "allow", 0, 0, "ACTION",
	  "the CRL or OCSP server did not answer in time: block or allow" },
	{ "allow-host", 'a', CV_OPT_HOSTS, NULL, 0, 0, "CLASS=HOST",
	  "allow HOST (or .DOMAIN) in CLASS although it blocks (repeatable)" },
	{ "min-rsa-bits", 'r', CV_OPT_NUMBER, "2048", 512, 16384, "BITS",
	  "smallest RSA or DSA key that is not weak" },
	{ "min-ec-bits", 'e', CV_OPT_NUMBER, "256", 160, 1024, "BITS",
	  "smallest EC key that is not weak" },
	{ "revocation", 'R', CV_OPT_ACTION, "on", 0, 0, "on|off",
	  "check CRLs and OCSP (over HTTP)" },
	{ "timeout", 't', CV_OPT_NUMBER, "5", 1, 60, "SECONDS",
	  "longest wait for one CRL or OCSP answer" },
	{ "cache-time", 'T', CV_OPT_NUMBER, "3600", 0, 86400, "SECONDS",
	  "longest time a CRL, OCSP answer or AIA issuer is reused" },
	{ "cache-size", 'S', CV_OPT_NUMBER, "256", 1, 100000, "N",
	  "CRLs, OCSP answers and AIA issuers kept in each process" },
	{ "workers", 'w', CV_OPT_NUMBER, "32", 1, 256, "N",
	  "requests validated at once (with Squid's concurrency=)" },
	{ "debug", 'd', CV_OPT_FLAG, NULL, 0, 0, NULL,
	  "log every request to stderr (cache.log)" },
	{ "help", 'h', CV_OPT_FLAG, NULL, 0, 0, NULL,
	  "show this help and exit (command line only)" },
	{ "version", 'V', CV_OPT_FLAG, NULL, 0, 0, NULL,
	  "show the version and exit (command line only)" },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL }
};

static const struct cv_opt *
cv_opts_find(const char *name)
{
	const struct cv_opt	*e;

	for (e = cv_opts_table; e->name != NULL; e++) {
		if (strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

static int
cv_opts_path(char **dst, const char *value, char **cause)
{
	char	*s = NULL;

	if (strcmp(value, "none") != 0 && (s = strdup(value)) == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* "CLASS=HOST", "CLASS HOST HOST...": each host allowed in CLASS. */
static int
cv_opts_hosts(struct cv_opts *o, const char *value, char **cause)
{
	char	*s, *cls, *h, *save = NULL;
	int	 rv = 0, n = 0;

	if ((s = strdup(value)) == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	cls = strtok_r(s, "= \t", &save);
	while (cls != NULL && rv == 0 &&
	    (h = strtok_r(NULL, ", \t", &save)) != NULL) {
		rv = cv_policy_allow_host(&o->pol, cls, h, cause);
		n++;
	}
	if (rv == 0 && n == 0) {
		cause_set(cause, "allow-host needs a class and a host");
		rv = -1;
	}
	free(s);
	return rv;
}

/* Set option name to value; 0 or -1 with a cause. */
int
cv_opts_set(struct cv_opts *o, const char *name, const char *value,
    char **cause)
{
	const struct cv_opt	*e = cv_opts_find(name);
	char			*end;
	long			 n;

	if (e == NULL) {
		cause_set(cause, "unknown option \"%s\"", name);
		return -1;
	}
	switch (e->type) {
	case CV_OPT_NUMBER:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' ||
		    n < e->min || n > e->max) {
			cause_set(cause, "%s: \"%s\" is not a number from %ld "
			    "to %ld", name, value, e->min, e->max);
			return -1;
		}
		if (strcmp(name, "min-rsa-bits") == 0)
			o->min_rsa_bits = n;
		else if (strcmp(name, "min-ec-bits") == 0)
			o->min_ec_bits = n;
		else if (strcmp(name, "timeout") == 0)
			o->timeout = n;
		else if (strcmp(name, "cache-time") == 0)
			o->cache_time = n;
		else if (strcmp(name, "workers") == 0)
			o->workers = n;
		else
			o->cache_size = n;
		return 0;
	case CV_OPT_ACTION:
		if (strcmp(name, "revocation") == 0) {
			if (strcmp(value, "on") != 0 &&
			    strcmp(value, "off") != 0) {
				cause_set(cause, "revocation: \"%s\" is not on "
				    "or off", value);
				return -1;
			}
			o->revocation = strcmp(value, "on") == 0;
			return 0;
		}
		return cv_policy_set(&o->pol, name, value, cause);
	case CV_OPT_HOSTS:
		return cv_opts_hosts(o, value, cause);
	case CV_OPT_STRING:
		if (strcmp(name, "ca-file") == 0)
			return cv_opts_path(&o->ca_file, value, cause);
		if (strcmp(name, "ca-dir") == 0)
			return cv_opts_path(&o->ca_dir, value, cause);
		break;
	case CV_OPT_FLAG:
		if (strcmp(name, "debug") == 0) {
			o->debug = strcmp(value, "no") != 0 &&
			    strcmp(value, "off") != 0;
			return 0;
		}
		break;
	}
	cause_set(cause, "option \"%s\" cannot be set here", name);
	return -1;
}

/* The table's defaults. */
int
cv_opts_defaults(struct cv_opts *o, char **cause)
{
	const struct cv_opt	*e;

	memset(o, 0, sizeof *o);
	cv_policy_defaults(&o->pol);
	for (e = cv_opts_table; e->name != NULL; e++) {
		if (e->def != NULL && cv_opts_set(o, e->name, e->def,
		    cause) == -1)
			return -1;
	}
	return 0;
}

/*
 * One line of a configuration file. Options for the command line only, and
 * a missing value where one is needed, are refused.
 */
static int
cv_opts_file_line(void *arg, const char *name, const char *value,
    char **cause)
{
	if (strcmp(name, "config") == 0 || strcmp(name, "help") == 0 ||
	    strcmp(name, "version") == 0 || (*value == '\0' &&
	    strcmp(name, "debug") != 0)) {
		cause_set(cause, "\"%s\" %s", name, *value == '\0' ?
		    "needs a value" : "is for the command line");
		return -1;
	}
	return cv_opts_set(arg, name, *value != '\0' ? value : "yes", cause);
}

/* Read a configuration file; 0 or -1 with a cause naming file and line. */
int
cv_opts_file(struct cv_opts *o, const char *path, char **cause)
{
	return conffile_read(path, 0, cv_opts_file_line, o, cause);
}

void
cv_opts_free(struct cv_opts *o)
{
	free(o->ca_file);
	free(o->ca_dir);
	o->ca_file = o->ca_dir = NULL;
	cv_policy_free(&o->pol);
}

void
cv_opts_usage(FILE *fp)
{
	const struct cv_opt	*e;
	char			 lhs[64];

	fprintf(fp, "usage: sslinspect-certverify [options]\n"
	    "Squid sslcrtvalidator_program: validates origin certificates.\n");
	for (e = cv_opts_table; e->name != NULL; e++) {
		if (e->shortopt != 0)
			snprintf(lhs, sizeof lhs, "-%c, --%s%s%s",
			    e->shortopt, e->name, e->arg ? " " : "",
			    e->arg ? e->arg : "");
		else
			snprintf(lhs, sizeof lhs, "    --%s%s%s", e->name,
			    e->arg ? " " : "", e->arg ? e->arg : "");
		fprintf(fp, "  %-32s %s", lhs, e->help);
		if (e->def != NULL)
			fprintf(fp, " [%s]", e->def);
		fputc('\n', fp);
	}
}

/* The trust store the options name; NULL with a cause. */
X509_STORE *
cv_opts_store(const struct cv_opts *o, char **cause)
{
	X509_STORE	*st;

	if (o->ca_file == NULL && o->ca_dir == NULL) {
		cause_set(cause, "neither ca-file nor ca-dir is set");
		return NULL;
	}
	if ((st = X509_STORE_new()) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	if (X509_STORE_load_locations(st, o->ca_file, o->ca_dir) != 1) {
		cause_set(cause, "cannot load trusted roots from %s%s%s",
		    o->ca_file != NULL ? o->ca_file : "",
		    o->ca_file != NULL && o->ca_dir != NULL ? " and " : "",
		    o->ca_dir != NULL ? o->ca_dir : "");
		X509_STORE_free(st);
		ERR_clear_error();
		return NULL;
	}
	return st;
}
