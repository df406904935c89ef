/* Settings of a CA directory (DIR/ca.conf): a table, a parser, a printer. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cause.h"

const struct ca_conf_opt ca_conf_opts[] = {
	{ "crl-url", CA_CONF_STRING, "http://crl.sslinspect.invalid/{ca}.crl",
	  0, 511, "CRL URL put in issuing CA certificates and, by "
	  "sslinspect-certgen, in leaves; {ca} is replaced by the issuer's key "
	  "id in lowercase hex" },
	{ "issuing-days", CA_CONF_INT, "7", 1, 397,
	  "validity of an issuing CA minted by rotate, in days" },
	{ "crl-days", CA_CONF_INT, "7", 1, 365,
	  "days between a CRL's thisUpdate and nextUpdate" },
	{ "squid-user", CA_CONF_STRING, "proxy", 1, 63,
	  "user that owns squid-bundle.pem (Squid's cache_effective_user)" },
	{ "crl-idp", CA_CONF_INT, "0", 0, 1,
	  "1: CRLs carry a critical issuingDistributionPoint naming their "
	  "crl-url (Windows likes it; every CRLDP must then use that URL)" },
	{ "exclude-list", CA_CONF_STRING, "none", 1, 511,
	  "do-not-inspect list (absolute path) whose domains each issuing CA "
	  "excludes in a critical nameConstraints, read at every rotate; none: "
	  "no constraints" },
};
const size_t ca_conf_nopts = sizeof ca_conf_opts / sizeof ca_conf_opts[0];

/* Fill conf with the table's defaults. */
void
ca_conf_defaults(struct ca_conf *conf)
{
	size_t	i;

	memset(conf, 0, sizeof *conf);
	for (i = 0; i < ca_conf_nopts; i++)
		(void)ca_conf_set(conf, ca_conf_opts[i].name,
		    ca_conf_opts[i].dflt, NULL);
}

/* Check a string value; URLs and user names never hold blanks. */
static int
ca_conf_string(const struct ca_conf_opt *o, const char *value, char *dst,
    size_t len, char **cause)
{
	size_t	n = strlen(value), i;

	if (n < (size_t)o->min || n > (size_t)o->max || n >= len) {
		cause_set(cause, "%s: length must be %ld to %ld", o->name,
		    o->min, o->max);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!isgraph((unsigned char)value[i])) {
			cause_set(cause, "%s: blank or control character",
			    o->name);
			return -1;
		}
	}
	if (strcmp(o->name, "crl-url") == 0 &&
	    strncmp(value, "http://", 7) != 0) {
		cause_set(cause, "%s: must be an http:// URL", o->name);
		return -1;
	}
	if (strcmp(o->name, "exclude-list") == 0 && *value != '/' &&
	    strcmp(value, "none") != 0) {
		cause_set(cause, "%s: must be an absolute path or none",
		    o->name);
		return -1;
	}
	memcpy(dst, value, n + 1);
	return 0;
}

static int
ca_conf_int(const struct ca_conf_opt *o, const char *value, int *dst,
    char **cause)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < o->min ||
	    v > o->max) {
		cause_set(cause, "%s: must be a number from %ld to %ld",
		    o->name, o->min, o->max);
		return -1;
	}
	*dst = (int)v;
	return 0;
}

/* Set one setting by name; 0, or -1 with a cause naming it. */
int
ca_conf_set(struct ca_conf *conf, const char *name, const char *value,
    char **cause)
{
	const struct ca_conf_opt	*o = NULL;
	size_t				 i;

	for (i = 0; i < ca_conf_nopts; i++) {
		if (strcmp(ca_conf_opts[i].name, name) == 0)
			o = &ca_conf_opts[i];
	}
	if (o == NULL) {
		cause_set(cause, "unknown setting \"%s\"", name);
		return -1;
	}
	if (strcmp(name, "crl-url") == 0)
		return ca_conf_string(o, value, conf->crl_url,
		    sizeof conf->crl_url, cause);
	if (strcmp(name, "squid-user") == 0)
		return ca_conf_string(o, value, conf->squid_user,
		    sizeof conf->squid_user, cause);
	if (strcmp(name, "issuing-days") == 0)
		return ca_conf_int(o, value, &conf->issuing_days, cause);
	if (strcmp(name, "crl-idp") == 0)
		return ca_conf_int(o, value, &conf->crl_idp, cause);
	if (strcmp(name, "exclude-list") == 0)
		return ca_conf_string(o, value, conf->exclude_list,
		    sizeof conf->exclude_list, cause);
	return ca_conf_int(o, value, &conf->crl_days, cause);
}

/*
 * Parse "name value" lines (# comments, blank lines) on top of what conf
 * holds. Returns 0, or -1 with a cause naming the line.
 */
int
ca_conf_parse(struct ca_conf *conf, const char *buf, size_t len,
    char **cause)
{
	char		 line[640], *name, *value, *why = NULL;
	size_t		 start = 0, i, n;
	unsigned	 lineno = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n')
			continue;
		lineno++;
		n = i - start;
		if (n >= sizeof line) {
			cause_set(cause, "line %u: too long", lineno);
			return -1;
		}
		memcpy(line, buf + start, n);
		line[n] = '\0';
		start = i + 1;
		name = line + strspn(line, " \t");
		if (*name == '#' || *name == '\0')
			continue;
		value = name + strcspn(name, " \t");
		if (*value != '\0')
			*value++ = '\0';
		value += strspn(value, " \t");
		n = strlen(value);
		while (n > 0 && isspace((unsigned char)value[n - 1]))
			value[--n] = '\0';
		if (ca_conf_set(conf, name, value, &why) == -1) {
			cause_set(cause, "line %u: %s", lineno, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

/* The settings as a ca.conf file, with each setting's help; caller frees. */
char *
ca_conf_format(const struct ca_conf *conf)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*f;

	if ((f = open_memstream(&out, &len)) == NULL)
		return NULL;
	fprintf(f, "# sslinspect-ca settings; see sslinspect-ca(8).\n");
	fprintf(f, "# %s\ncrl-url %s\n", ca_conf_opts[0].help, conf->crl_url);
	fprintf(f, "# %s\nissuing-days %d\n", ca_conf_opts[1].help,
	    conf->issuing_days);
	fprintf(f, "# %s\ncrl-days %d\n", ca_conf_opts[2].help, conf->crl_days);
	fprintf(f, "# %s\nsquid-user %s\n", ca_conf_opts[3].help,
	    conf->squid_user);
	fprintf(f, "# %s\ncrl-idp %d\n", ca_conf_opts[4].help, conf->crl_idp);
	fprintf(f, "# %s\nexclude-list %s\n", ca_conf_opts[5].help,
	    conf->exclude_list);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * The CRL URL for one issuer: template with every "{ca}" replaced by the
 * key id. Returns a string the caller frees, or NULL.
 */
char *
ca_conf_url(const char *tmpl, const char *keyid)
{
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*f;
	const char	*p;

	if ((f = open_memstream(&out, &len)) == NULL)
		return NULL;
	for (p = tmpl; *p != '\0'; p++) {
		if (strncmp(p, "{ca}", 4) == 0) {
			fputs(keyid, f);
			p += 3;
		} else
			fputc(*p, f);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
