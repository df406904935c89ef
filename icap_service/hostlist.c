/*
 * Host and domain lists in Squid's dstdomain syntax, so the policy's
 * categories can share files with squid-conf's do-not-inspect list:
 * "example.com" matches that host only, ".example.com" the domain and every
 * name below it; '#' starts a comment. Lookups are a binary search per
 * label of the host name.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "svc.h"

#define HOSTLIST_MAXNAME	253

struct hostlist {
	char	**exact;	/* sorted after the first lookup */
	size_t	  nexact, cexact;
	char	**domain;	/* ".example.com" stored as "example.com" */
	size_t	  ndomain, cdomain;
	int	  sorted;
};

struct hostlist *
hostlist_new(void)
{
	return calloc(1, sizeof(struct hostlist));
}

static int
hostlist_push(char ***v, size_t *n, size_t *cap, char *s)
{
	char	**nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((nv = reallocarray(*v, *cap, sizeof *nv)) == NULL)
			return -1;
		*v = nv;
	}
	(*v)[(*n)++] = s;
	return 0;
}

/* Normalise one entry (lower case, no trailing dot) and add it; 0 or -1. */
int
hostlist_add(struct hostlist *hl, const char *name)
{
	char	buf[HOSTLIST_MAXNAME + 2], *s;
	size_t	len, i;
	int	dom = 0;

	if (*name == '.') {
		dom = 1;
		name++;
	}
	len = strlen(name);
	while (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > HOSTLIST_MAXNAME)
		return -1;
	for (i = 0; i < len; i++)
		buf[i] = tolower((unsigned char)name[i]);
	buf[len] = '\0';
	if ((s = strdup(buf)) == NULL)
		return -1;
	hl->sorted = 0;
	if (dom ? hostlist_push(&hl->domain, &hl->ndomain, &hl->cdomain, s) :
	    hostlist_push(&hl->exact, &hl->nexact, &hl->cexact, s)) {
		free(s);
		return -1;
	}
	return 0;
}

/* Load a list file; 0, or -1 with *cause naming file and line. */
int
hostlist_load(struct hostlist *hl, const char *path, char **cause)
{
	FILE		*f;
	char		 line[1024], *p, *e;
	unsigned	 lineno = 0;
	int		 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = line + strspn(line, " \t\r\n");
		e = p + strcspn(p, " \t\r\n");
		*e = '\0';
		if (*p == '\0')
			continue;
		if (hostlist_add(hl, p) != 0) {
			cause_set(cause, "%s:%u: bad host name '%s'", path,
			    lineno, p);
			goto out;
		}
	}
	if (ferror(f)) {
		cause_set(cause, "%s: read error", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static int
hostlist_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
hostlist_has(char **v, size_t n, const char *key)
{
	return n > 0 && bsearch(&key, v, n, sizeof *v, hostlist_cmp) != NULL;
}

/* Sort the list for lookups; call once after the last add, before sharing. */
void
hostlist_seal(struct hostlist *hl)
{
	if (hl->nexact > 0)
		qsort(hl->exact, hl->nexact, sizeof *hl->exact, hostlist_cmp);
	if (hl->ndomain > 0)
		qsort(hl->domain, hl->ndomain, sizeof *hl->domain,
		    hostlist_cmp);
	hl->sorted = 1;
}

/* Does host (any case, may end in a dot) match? The list must be sealed. */
bool
hostlist_match(const struct hostlist *hl, const char *host)
{
	char		 buf[HOSTLIST_MAXNAME + 2];
	const char	*p;
	size_t		 len, i;

	if (host == NULL || !hl->sorted)
		return false;
	len = strlen(host);
	while (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len > HOSTLIST_MAXNAME)
		return false;
	for (i = 0; i < len; i++)
		buf[i] = tolower((unsigned char)host[i]);
	buf[len] = '\0';
	if (hostlist_has(hl->exact, hl->nexact, buf))
		return true;
	for (p = buf; p != NULL; p = strchr(p, '.')) {
		if (*p == '.')
			p++;
		if (hostlist_has(hl->domain, hl->ndomain, p))
			return true;
	}
	return false;
}

void
hostlist_free(struct hostlist *hl)
{
	size_t	i;

	if (hl == NULL)
		return;
	for (i = 0; i < hl->nexact; i++)
		free(hl->exact[i]);
	for (i = 0; i < hl->ndomain; i++)
		free(hl->domain[i]);
	free(hl->exact);
	free(hl->domain);
	free(hl);
}
