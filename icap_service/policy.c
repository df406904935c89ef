/*
 * Deciding: the pure function the service, the tests and sslinspect-policy
 * share. The first rule whose conditions all hold decides; loading the
 * rules from YAML is policy_load.c's.
 *
 * A policy is immutable once loaded and may be shared by threads.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "filetype.h"
#include "policy_int.h"

enum rmatch { R_NO, R_YES, R_UNKNOWN };

static int
cidr_match(const struct cidr *c, const char *ip)
{
	uint8_t		a[16];
	unsigned	full, rest;
	int		fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (fam != c->family || inet_pton(fam, ip, a) != 1)
		return 0;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(a, c->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ c->addr[full]) & (0xff << (8 - rest))) == 0;
}

unsigned
policy_nrules(const struct policy *p)
{
	return (unsigned)p->nrules;
}

static bool
strv_has(const struct strv *s, const char *v)
{
	size_t	i;

	for (i = 0; v != NULL && i < s->n; i++)
		if (strcasecmp(s->v[i], v) == 0)
			return true;
	return false;
}

/* Is a comma-separated list member equal to g? */
static bool
csv_has(const char *csv, const char *g)
{
	size_t		 gl = strlen(g), l;
	const char	*p = csv;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ,");
		l = strcspn(p, ",");
		while (l > 0 && p[l - 1] == ' ')
			l--;
		if (l == gl && strncasecmp(p, g, l) == 0)
			return true;
		p = strchr(p, ',');
	}
	return false;
}

/*
 * Is the transaction in group g? NULL if not, else where that came from
 * (the proxy's groups header or the policy's groups: mapping), for why.
 */
static const char *
in_group(const struct policy *p, const struct policy_facts *f, const char *g)
{
	size_t	i;

	if (f->groups != NULL && csv_has(f->groups, g))
		return "from the proxy";
	for (i = 0; f->user != NULL && i < p->ngroups; i++)
		if (strcmp(p->groups[i].name, g) == 0 &&
		    strv_has(&p->groups[i].users, f->user))
			return "from policy groups";
	return NULL;
}

/* Append "label value" to the explanation of a decision. */
static void
why_add(struct policy_decision *d, const char *label, const char *v)
{
	size_t	l = strlen(d->why);

	snprintf(d->why + l, sizeof d->why - l, "%s%s%s%s", l ? ", " : "",
	    label, v ? " " : "", v ? v : "");
}

static enum rmatch
match_where(const struct policy *p, const struct rule *r,
    const struct policy_facts *f, struct policy_decision *d)
{
	const char	*src;
	char		 g[160];
	size_t		 i;
	bool		 ok;

	if (r->hosts != NULL) {
		if (!hostlist_match(r->hosts, f->host))
			return R_NO;
		why_add(d, "host", f->host);
	}
	if (r->ncats > 0 || r->dbcats.n > 0) {
		/* The lists: first, then the category database's names. */
		d->category = NULL;
		for (i = 0; i < r->ncats && d->category == NULL; i++)
			if (hostlist_match(r->cats[i]->hl, f->host))
				d->category = r->cats[i]->name;
		for (i = 0; i < r->dbcats.n && d->category == NULL; i++)
			if (f->categories != NULL &&
			    csv_has(f->categories, r->dbcats.v[i]))
				d->category = r->dbcats.v[i];
		if (d->category == NULL)
			return R_NO;
		why_add(d, "category", d->category);
	}
	if (r->has_re) {
		if (f->url == NULL || regexec(&r->re, f->url, 0, NULL, 0) != 0)
			return R_NO;
		why_add(d, "url matches", "url_regex");
	}
	if (r->ncidrs > 0) {
		for (i = 0, ok = false; f->client_ip != NULL && i < r->ncidrs;
		    i++)
			ok = ok || cidr_match(&r->cidrs[i], f->client_ip);
		if (!ok)
			return R_NO;
		why_add(d, "client", f->client_ip);
	}
	if (r->users.n > 0) {
		if (!strv_has(&r->users, f->user))
			return R_NO;
		why_add(d, "user", f->user);
	}
	if (r->groups.n > 0) {
		for (i = 0, src = NULL; i < r->groups.n && src == NULL; i++)
			src = in_group(p, f, r->groups.v[i]);
		if (src == NULL)
			return R_NO;
		snprintf(g, sizeof g, "%s (%s)", r->groups.v[i - 1], src);
		why_add(d, "group", g);
	}
	return R_YES;
}

static bool
ctype_match(const struct strv *s, const char *ct)
{
	size_t	i, l;

	for (i = 0; ct != NULL && i < s->n; i++) {
		if ((l = strlen(s->v[i])) == 0)
			continue;
		if (strncasecmp(ct, s->v[i], l) == 0 &&
		    (s->v[i][l - 1] == '/' || ct[l] == '\0' || ct[l] == ';' ||
		    ct[l] == ' '))
			return true;
	}
	return false;
}

/*
 * A true type matches its own name and its group's (executable, archive
 * ...). Types libmagic named that are not in the engines' table have no
 * group here and match only by name.
 */
static bool
ftype_match(const struct strv *s, const char *type)
{
	const struct filetype	*ft = filetype_lookup(type);

	return strv_has(s, type) || (ft != NULL && strv_has(s, ft->group));
}

static enum rmatch
match_what(const struct rule *r, const struct policy_facts *f,
    struct policy_decision *d)
{
	enum rmatch	res = R_YES;

	if (r->methods.n > 0) {
		if (!strv_has(&r->methods, f->method))
			return R_NO;
		why_add(d, "method", f->method);
	}
	if (r->direction >= 0) {
		if ((int)f->direction != r->direction)
			return R_NO;
		/*
		 * Every request goes through REQMOD, but only one with a body
		 * uploads something: a rule blocking uploads to a site must not
		 * block browsing it. An unknown size (chunked) counts as a
		 * body.
		 */
		if (r->direction == ENGINE_UPLOAD && f->size == 0)
			return R_NO;
		why_add(d, "direction",
		    f->direction == ENGINE_UPLOAD ? "upload" : "download");
	}
	if (r->ctypes.n > 0) {
		if (!ctype_match(&r->ctypes, f->content_type))
			return R_NO;
		why_add(d, "content type", f->content_type);
	}
	if (r->size_min >= 0 || r->size_max >= 0) {
		if (f->size < 0)
			res = R_UNKNOWN;
		else if ((r->size_min >= 0 && f->size < r->size_min) ||
		    (r->size_max >= 0 && f->size > r->size_max))
			return R_NO;
		else
			why_add(d, "size", "in range");
	}
	if (r->ftypes.n > 0) {
		if (f->true_type == NULL || *f->true_type == '\0')
			res = R_UNKNOWN;
		else if (!ftype_match(&r->ftypes, f->true_type))
			return R_NO;
		else
			why_add(d, "file type", f->true_type);
	}
	return res;
}

static void
decide_rule(const struct rule *r, const struct policy_facts *f,
    struct policy_decision *d)
{
	d->action = r->action;
	d->rule = r->name;
	d->reason = r->reason;
	d->profile_name = r->profile ? r->profile->name : "default";
	if (r->profile != NULL)
		d->profile = f->direction == ENGINE_UPLOAD ? &r->profile->up :
		    &r->profile->down;
}

/*
 * The first rule whose conditions all hold decides. A rule that needs the
 * true file type or the size while they are unknown is skipped and marks the
 * decision pending: the caller inspects and decides again with them.
 */
void
policy_decide(const struct policy *p, const struct policy_facts *f,
    struct policy_decision *d)
{
	enum rmatch	w, x;
	size_t		i;

	memset(d, 0, sizeof *d);
	for (i = 0; i < p->nrules; i++) {
		d->why[0] = '\0';
		d->category = NULL;
		w = match_where(p, &p->rules[i], f, d);
		x = w == R_NO ? R_NO : match_what(&p->rules[i], f, d);
		if (x == R_UNKNOWN) {
			d->pending = true;
			continue;
		}
		if (x == R_YES) {
			decide_rule(&p->rules[i], f, d);
			if (d->why[0] == '\0')
				why_add(d, "rule has no conditions", NULL);
			return;
		}
	}
	d->category = NULL;
	snprintf(d->why, sizeof d->why, "no rule matched");
	decide_rule(&p->dflt, f, d);
	if (d->profile == NULL)
		d->profile = f->direction == ENGINE_UPLOAD ?
		    &p->profiles[0].up :
		    &p->profiles[0].down;
}

const char *
policy_action_str(enum policy_action a)
{
	switch (a) {
	case POLICY_ALLOW:
		return "allow";
	case POLICY_BLOCK:
		return "block";
	case POLICY_MONITOR:
		return "monitor";
	default:
		return "inspect";
	}
}

/*
 * Host (lower case, no port, no brackets) and path of an absolute URL as
 * Squid sends it ("https://h:443/p?q") or an origin-form path; 0 or -1.
 */
int
policy_url_host(const char *url, char *host, size_t hostlen, const char **path)
{
	const char	*p = url, *h, *e;
	size_t		 l, i;

	*path = url;
	host[0] = '\0';
	if ((h = strstr(p, "://")) == NULL)
		return url[0] == '/' ? 0 : -1;
	h += 3;
	e = h + strcspn(h, "/?#");
	*path = *e ? e : "/";
	if (memchr(h, '@', e - h) != NULL)
		h = (const char *)memchr(h, '@', e - h) + 1;
	if (*h == '[') {
		h++;
		l = strcspn(h, "]");
	} else
		l = strcspn(h, ":/?#");
	if (l == 0 || l >= hostlen)
		return -1;
	for (i = 0; i < l; i++)
		host[i] = tolower((unsigned char)h[i]);
	host[l] = '\0';
	return 0;
}

/*
 * The TLS policy's verdict on a connection, as Squid passes it on each
 * request in a bumped connection that the bump snippet chose to block
 * with a page (X-Sslinspect-Tls-Block, the connection's "sslinspect"
 * annotation: "blocked:no-sni", possibly among other values). Fills d as
 * a blocking rule would; false when the value names no block.
 */
bool
policy_tls_block(const char *note, struct policy_decision *d)
{
	static const struct {
		const char	*name;
		const char	*rule;
		const char	*reason;
	} why[] = {
		{ "no-sni", "tls:no-sni",
		  "The connection named no site, only an address (no SNI): "
		  "the proxy's TLS policy blocks such connections." },
		{ "sni-not-connect-host", "tls:sni-not-connect-host",
		  "The site the browser named (SNI) is not the one it "
		  "connected to." },
		{ "sni-not-destination", "tls:sni-not-destination",
		  "The site the browser named (SNI) is not at the address "
		  "it connected to." },
	};
	const char	*p, *e;
	size_t		 i, l;

	for (p = note; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		p += strspn(p, " ");
		e = p + strcspn(p, ",");
		if (e - p < 8 || strncmp(p, "blocked:", 8) != 0)
			continue;
		memset(d, 0, sizeof *d);
		d->action = POLICY_BLOCK;
		d->rule = "tls";
		d->reason = "Blocked by the proxy's TLS policy.";
		l = (size_t)(e - p - 8);
		for (i = 0; i < sizeof why / sizeof why[0]; i++)
			if (strlen(why[i].name) == l &&
			    strncmp(p + 8, why[i].name, l) == 0) {
				d->rule = why[i].rule;
				d->reason = why[i].reason;
			}
		snprintf(d->why, sizeof d->why, "the proxy's TLS policy: %.*s",
		    (int)(e - p), p);
		return true;
	}
	return false;
}
