/*
 * Options: one table (name, type, default, range, help) drives the command
 * line, the -c configuration file, --help, the man page check and the unit
 * test. A configuration file line is "name value", '#' starts a comment.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "certgen.h"
#include "conffile.h"
#include "size.h"

#ifndef CERTGEN_CACHEDIR
#define CERTGEN_CACHEDIR "/var/lib/sslinspect/certgen"
#endif
#ifndef CERTGEN_REVOKED
#define CERTGEN_REVOKED "/var/lib/sslinspect/ca/revoked.tsv"
#endif
#ifndef CERTGEN_CADIR
#define CERTGEN_CADIR "/var/lib/sslinspect/ca"
#endif

#define OPTS_LINE_MAX	4096

const struct opts_entry opts_table[] = {
	{ "config", 'c', OPTS_STRING, NULL, 0, 0, NULL, "FILE",
	  "read options from FILE (command line only)" },
	{ "cache-dir", 's', OPTS_STRING, CERTGEN_CACHEDIR, 0, 0, NULL, "DIR",
	  "shared certificate cache and issued record; \"none\": memory only" },
	{ "cache-size", 'M', OPTS_SIZE, "64M", 1LL << 20, 1LL << 36, NULL,
	  "SIZE", "upper bound of the shared cache file (K, M, G suffixes)" },
	{ "memory-cache", 'm', OPTS_NUMBER, "4096", 0, 1000000, NULL, "N",
	  "certificates kept in each process's memory" },
	{ "crl-url", 'u', OPTS_LIST, NULL, 0, FORGE_URL_MAX, NULL, "URL",
	  "CRL distribution point, {ca} = issuing CA key id (repeatable); "
	  "unset: ca-dir's crl-url" },
	{ "aia-url", 'a', OPTS_LIST, NULL, 0, FORGE_URL_MAX, NULL, "URL",
	  "AIA caIssuers URL, {ca} = issuing CA key id (repeatable)" },
	{ "max-validity-days", 'v', OPTS_NUMBER, "30", 1, 397, NULL, "DAYS",
	  "longest leaf lifetime" },
	{ "key-type", 'k', OPTS_CHOICE, "ec-p256", 0, 0,
	  "ec-p256 rsa-2048 rsa-3072", "TYPE", "leaf key algorithm" },
	{ "key-pool", 'p', OPTS_NUMBER, "16", 1, 1024, NULL, "N",
	  "leaf keys generated ahead of time" },
	{ "revoked", 'r', OPTS_STRING, CERTGEN_REVOKED, 0, 0, NULL, "FILE",
	  "sslinspect-ca's revoked.tsv: never serve a listed leaf; "
	  "\"none\": off" },
	{ "ca-dir", 'C', OPTS_STRING, CERTGEN_CADIR, 0, 0, NULL, "DIR",
	  "sslinspect-ca's directory: its crl-url, and the issuing CA whose "
	  "expiry is watched; \"none\": off" },
	{ "debug", 'd', OPTS_FLAG, NULL, 0, 0, NULL, NULL,
	  "log every request to stderr (cache.log)" },
	{ "help", 'h', OPTS_FLAG, NULL, 0, 0, NULL, NULL,
	  "show this help and exit (command line only)" },
	{ "version", 'V', OPTS_FLAG, NULL, 0, 0, NULL, NULL,
	  "show the version and exit (command line only)" },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL }
};

/* The table entry for a long name, or NULL. */
const struct opts_entry *
opts_find(const char *name)
{
	const struct opts_entry	*e;

	for (e = opts_table; e->name != NULL; e++) {
		if (strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

/* Parse a number or size within the entry's range. 0 or -1 + cause. */
static int
opts_number(const struct opts_entry *e, const char *value, long long *out,
    char **cause)
{
	uint64_t	 v;
	char		*end;

	if (e->type == OPTS_SIZE) {
		if (size_parse(value, &v) == -1 || v > LLONG_MAX)
			goto bad;
		*out = (long long)v;
	} else {
		errno = 0;
		*out = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0')
			goto bad;
	}
	if (*out < e->min || *out > e->max) {
		cause_set(cause, "%s: %s out of range %lld..%lld", e->name,
		    value, e->min, e->max);
		return -1;
	}
	return 0;
bad:
	cause_set(cause, "%s: bad value \"%s\"", e->name, value);
	return -1;
}

/* Index of value in the entry's space-separated choices, or -1. */
static int
opts_choice(const struct opts_entry *e, const char *value)
{
	const char	*p = e->choices, *q;
	size_t		 n = strlen(value);
	int		 i = 0;

	while (*p != '\0') {
		q = strchr(p, ' ');
		if (q == NULL)
			q = p + strlen(p);
		if ((size_t)(q - p) == n && strncmp(p, value, n) == 0)
			return i;
		p = *q == ' ' ? q + 1 : q;
		i++;
	}
	return -1;
}

/* Append a copy of value to a list of at most FORGE_URL_MAX. */
static int
opts_append(const struct opts_entry *e, char **list, size_t *n,
    const char *value, char **cause)
{
	if (*n == FORGE_URL_MAX) {
		cause_set(cause, "%s: more than %d given", e->name,
		    FORGE_URL_MAX);
		return -1;
	}
	if (value[0] == '\0' || strpbrk(value, " \t\r\n") != NULL) {
		cause_set(cause, "%s: bad URL", e->name);
		return -1;
	}
	if ((list[*n] = strdup(value)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* A path option: "none" or empty unsets it. 0 or -1. */
static int
opts_path(char **dst, const char *value)
{
	free(*dst);
	*dst = NULL;
	if (strcmp(value, "none") != 0 && value[0] != '\0' &&
	    (*dst = strdup(value)) == NULL)
		return -1;
	return 0;
}

/*
 * Set option name (long form) to value (NULL for a flag). Returns 0, or -1
 * with a cause. config, help and version are handled by main.
 */
int
opts_set(struct opts *o, const char *name, const char *value, char **cause)
{
	const struct opts_entry	*e;
	long long		 n = 0;
	int			 c;

	if ((e = opts_find(name)) == NULL) {
		cause_set(cause, "unknown option %s", name);
		return -1;
	}
	if (e->type != OPTS_FLAG && value == NULL) {
		cause_set(cause, "%s needs a value", name);
		return -1;
	}
	if ((e->type == OPTS_NUMBER || e->type == OPTS_SIZE) &&
	    opts_number(e, value, &n, cause) == -1)
		return -1;
	if (strcmp(name, "cache-dir") == 0)
		return opts_path(&o->cache_dir, value);
	else if (strcmp(name, "cache-size") == 0)
		o->cache_size = n;
	else if (strcmp(name, "memory-cache") == 0)
		o->mem_entries = n;
	else if (strcmp(name, "max-validity-days") == 0)
		o->max_days = n;
	else if (strcmp(name, "key-pool") == 0)
		o->pool_size = n;
	else if (strcmp(name, "revoked") == 0)
		return opts_path(&o->revoked, value);
	else if (strcmp(name, "ca-dir") == 0)
		return opts_path(&o->ca_dir, value);
	else if (strcmp(name, "crl-url") == 0)
		return opts_append(e, o->crl_urls, &o->ncrl, value, cause);
	else if (strcmp(name, "aia-url") == 0)
		return opts_append(e, o->aia_urls, &o->naia, value, cause);
	else if (strcmp(name, "key-type") == 0) {
		if ((c = opts_choice(e, value)) == -1) {
			cause_set(cause, "%s: expected one of %s", name,
			    e->choices);
			return -1;
		}
		o->key_type = (enum keypool_type)c;
	} else if (strcmp(name, "debug") == 0)
		o->debug = value == NULL || strcmp(value, "no") != 0;
	else {
		cause_set(cause, "%s is a command line option", name);
		return -1;
	}
	return 0;
}

/* Every option at its table default. 0 or -1 with a cause. */
int
opts_defaults(struct opts *o, char **cause)
{
	const struct opts_entry	*e;

	memset(o, 0, sizeof *o);
	for (e = opts_table; e->name != NULL; e++) {
		if (e->def != NULL && opts_set(o, e->name, e->def, cause) == -1)
			return -1;
	}
	return 0;
}

/* One line of a configuration file: a flag has no value. */
static int
opts_file_line(void *arg, const char *name, const char *value, char **cause)
{
	return opts_set(arg, name, *value == '\0' ? NULL : value, cause);
}

/* Apply a configuration file. 0, or -1 with a cause naming the line. */
int
opts_file(struct opts *o, const char *path, char **cause)
{
	return conffile_read(path, 0, opts_file_line, o, cause);
}

void
opts_free(struct opts *o)
{
	size_t	i;

	if (o == NULL)
		return;
	free(o->cache_dir);
	free(o->revoked);
	free(o->ca_dir);
	for (i = 0; i < o->ncrl; i++)
		free(o->crl_urls[i]);
	for (i = 0; i < o->naia; i++)
		free(o->aia_urls[i]);
	memset(o, 0, sizeof *o);
}

/*
 * The crl-url of ca_dir's ca.conf, the template sslinspect-ca puts into
 * issuing CAs: NULL when there is none. The caller frees it.
 */
static char *
opts_ca_crl_url(const char *dir, char **cause)
{
	char	 path[4096], line[OPTS_LINE_MAX], *name, *value, *url = NULL;
	FILE	*f;

	snprintf(path, sizeof path, "%s/ca.conf", dir);
	if ((f = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while (url == NULL && fgets(line, sizeof line, f) != NULL) {
		name = conffile_trim(line);
		if (*name == '#' || strncmp(name, "crl-url", 7) != 0 ||
		    (name[7] != ' ' && name[7] != '\t'))
			continue;
		value = conffile_trim(name + 7);
		if (*value != '\0')
			url = strdup(value);
	}
	fclose(f);
	return url;
}

/*
 * One source of truth for CRL URLs: without crl-url of its own, the
 * helper takes the CA directory's (the one "sslinspect-ca csr|import
 * --crl-url" saved), so leaves name their issuing CA's CRL the way the
 * issuing CAs name theirs. Returns 0, or -1 with a cause; *note is a line
 * worth logging (no URL anywhere, or two that differ), or NULL.
 */
int
opts_ca_dir(struct opts *o, char **note, char **cause)
{
	char	*url;
	size_t	 i;

	if (note != NULL)
		*note = NULL;
	if (o->ca_dir == NULL)
		return 0;
	url = opts_ca_crl_url(o->ca_dir, cause);
	if (url == NULL) {
		if (cause != NULL && *cause != NULL)
			return -1;
		if (o->ncrl == 0 && note != NULL)
			cause_set(note,
			    "no crl-url here nor in %s/ca.conf: leaves "
			    "carry no CRL distribution point", o->ca_dir);
		return 0;
	}
	if (o->ncrl > 0) {
		for (i = 0; i < o->ncrl; i++)
			if (strcmp(o->crl_urls[i], url) == 0)
				break;
		if (i == o->ncrl && note != NULL)
			cause_set(note,
			    "crl-url %s is not %s/ca.conf's %s: leaves "
			    "and issuing CAs name their CRLs differently",
			    o->crl_urls[0], o->ca_dir, url);
		free(url);
		return 0;
	}
	o->crl_urls[o->ncrl++] = url;
	o->crl_from_ca = 1;
	return 0;
}

/* The --help text, walked from the table. */
void
opts_usage(FILE *fp, const char *prog)
{
	const struct opts_entry	*e;
	char			 left[64];

	fprintf(fp, "usage: %s [options]\n"
	    "Squid sslcrtd_program: mints leaf certificates from the signing CA"
	    " Squid sends.\n\n", prog);
	for (e = opts_table; e->name != NULL; e++) {
		snprintf(left, sizeof left, "-%c, --%s%s%s", e->shortopt,
		    e->name, e->arg != NULL ? " " : "",
		    e->arg != NULL ? e->arg : "");
		fprintf(fp, "  %-32s %s", left, e->help);
		if (e->def != NULL)
			fprintf(fp, " [%s]", e->def);
		if (e->choices != NULL)
			fprintf(fp, " (%s)", e->choices);
		else if (e->type == OPTS_NUMBER)
			fprintf(fp, " (%lld..%lld)", e->min, e->max);
		fputc('\n', fp);
	}
}
