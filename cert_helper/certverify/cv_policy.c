/*
 * The policy: one action per error class (block or allow), and hosts that
 * are allowed in a class that blocks. A host pattern is a name
 * ("www.example.com") or, with a leading dot, a domain and every name
 * under it (".example.com"), as in Squid's dstdomain.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cause.h"
#include "certverify.h"

#define POLICY_HOSTS_MAX	4096	/* per class */

static const char *const cv_policy_names[CV_NCLASSES] = {
	"expired", "not-yet-valid", "untrusted", "wrong-host", "revoked",
	"weak", "revocation-unknown", "revocation-timeout", "invalid"
};

const char *
cv_policy_class_name(int c)
{
	return c >= 0 && c < CV_NCLASSES ? cv_policy_names[c] : "invalid";
}

/* The class named name, or -1. */
int
cv_policy_class_find(const char *name)
{
	int	c;

	for (c = 0; c < CV_NCLASSES; c++) {
		if (strcmp(cv_policy_names[c], name) == 0)
			return c;
	}
	return -1;
}

/* Block everything but an unknown or timed-out revocation check. */
void
cv_policy_defaults(struct cv_policy *p)
{
	memset(p, 0, sizeof *p);
	p->action[CV_REV_UNKNOWN] = CV_ALLOW;
	p->action[CV_REV_TIMEOUT] = CV_ALLOW;
}

/* Set a class's action ("block" or "allow"); 0 or -1 with a cause. */
int
cv_policy_set(struct cv_policy *p, const char *cls, const char *action,
    char **cause)
{
	int	c;

	if ((c = cv_policy_class_find(cls)) == -1) {
		cause_set(cause, "unknown error class \"%s\"", cls);
		return -1;
	}
	if (strcmp(action, "block") == 0)
		p->action[c] = CV_BLOCK;
	else if (strcmp(action, "allow") == 0 && c != CV_INVALID)
		p->action[c] = CV_ALLOW;
	else {
		cause_set(cause, "%s: \"%s\" is not %s", cls, action,
		    c == CV_INVALID ? "block" : "block or allow");
		return -1;
	}
	return 0;
}

/* Is pattern a host name or ".domain" (lowercase letters, digits, -, .)? */
static int
cv_policy_pattern_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > CV_HOST_MAX + 1 || strcmp(s, ".") == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != ':')
			return 0;
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
	}
	return s[n - 1] != '.';
}

/* Allow host pattern in class cls even when the class blocks. */
int
cv_policy_allow_host(struct cv_policy *p, const char *cls, const char *host,
    char **cause)
{
	char	**l, *h;
	size_t	  i;
	int	  c;

	if ((c = cv_policy_class_find(cls)) == -1 || c == CV_INVALID) {
		cause_set(cause, "unknown error class \"%s\"", cls);
		return -1;
	}
	if (!cv_policy_pattern_ok(host)) {
		cause_set(cause, "\"%s\" is no host name or .domain", host);
		return -1;
	}
	if (p->nallow[c] >= POLICY_HOSTS_MAX) {
		cause_set(cause, "more than %d hosts for %s", POLICY_HOSTS_MAX,
		    cls);
		return -1;
	}
	if ((h = strdup(host)) == NULL ||
	    (l = realloc(p->allow[c], (p->nallow[c] + 1) * sizeof *l)) ==
	    NULL) {
		free(h);
		cause_set(cause, "out of memory");
		return -1;
	}
	for (i = 0; h[i] != '\0'; i++)
		h[i] = (char)tolower((unsigned char)h[i]);
	l[p->nallow[c]++] = h;
	p->allow[c] = l;
	return 0;
}

/* Does host match pattern (case-insensitive; a trailing dot is ignored)? */
int
cv_policy_host_matches(const char *pattern, const char *host)
{
	size_t	pl = strlen(pattern), hl = strlen(host);

	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (pattern[0] != '.')
		return pl == hl && strncasecmp(pattern, host, hl) == 0;
	/* ".example.com" matches example.com and anything under it. */
	if (hl == pl - 1 && strncasecmp(pattern + 1, host, hl) == 0)
		return 1;
	return hl > pl && strncasecmp(pattern, host + hl - pl, pl) == 0;
}

/* Does the policy block an error of class c for host? */
int
cv_policy_blocks(const struct cv_policy *p, int c, const char *host)
{
	size_t	i;

	if (c < 0 || c >= CV_NCLASSES || c == CV_INVALID)
		return 1;
	if (p->action[c] == CV_ALLOW)
		return 0;
	for (i = 0; i < p->nallow[c]; i++) {
		if (host[0] != '\0' &&
		    cv_policy_host_matches(p->allow[c][i], host))
			return 0;
	}
	return 1;
}

void
cv_policy_free(struct cv_policy *p)
{
	size_t	i;
	int	c;

	for (c = 0; c < CV_NCLASSES; c++) {
		for (i = 0; i < p->nallow[c]; i++)
			free(p->allow[c][i]);
		free(p->allow[c]);
		p->allow[c] = NULL;
		p->nallow[c] = 0;
	}
}
