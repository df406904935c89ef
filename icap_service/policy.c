/*
 * The policy file: ordered rules, parsed with libyaml (document API, so
 * every error names file:line:column), and the pure decision function the
 * service, the tests and sslinspect-policy share.
 *
 *	lists:    { NAME: FILE, ... }		 dstdomain files (categories)
 *	groups:   { GROUP: [user, ...], ... }
 *	profiles: { NAME: { dlp: on, malware: on, filetype: on, archives: on,
 *	            card_threshold: N, ssn_threshold: N, iban_threshold: N,
 *	            blocked_types: [..], dictionaries: [..] }, ... }
 *	rules:    - { name, action: allow|inspect|block|monitor, profile,
 *	              reason, match: { category, host, url_regex, client_ip,
 *	              user, group, method, direction, content_type, file_type,
 *	              size_min, size_max } }
 *	default:  { action, profile }
 *
 * A policy is immutable once loaded and may be shared by threads.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cause.h"
#include "svc.h"

#define POLICY_MAX_FILE	(16 * 1024 * 1024)

struct strv {
	char	**v;
	size_t	  n;
};

struct cidr {
	int	 family;
	uint8_t	 addr[16];
	unsigned bits;
};

struct plist {
	char		*name;
	struct hostlist	*hl;
};

struct pprofile {
	char		*name;
	struct engine_profile up, down;
	struct strv	 blocked, dicts;
	const char	**blockedv, **dictsv;	/* NULL-ended views */
};

struct rule {
	char		*name;
	enum policy_action action;
	char		*reason;
	struct pprofile	*profile;
	struct hostlist	*hosts;
	struct plist	**cats;
	size_t		 ncats;
	regex_t		 re;
	bool		 has_re;
	struct cidr	*cidrs;
	size_t		 ncidrs;
	struct strv	 users, groups, methods, ctypes, ftypes;
	int		 direction;	/* -1 both */
	int64_t		 size_min, size_max;
};

struct pgroup {
	char		*name;
	struct strv	 users;
};

struct policy {
	char		*name;
	struct rule	*rules;
	size_t		 nrules;
	struct rule	 dflt;
	struct plist	*lists;
	size_t		 nlists;
	struct pprofile	*profiles;
	size_t		 nprofiles;
	struct pgroup	*groups;
	size_t		 ngroups;
};

/* Parser state: the document, the file name and base dir for messages. */
struct pctx {
	yaml_document_t	*doc;
	const char	*name;
	const char	*basedir;
	char		**cause;
	struct policy	*p;
};

enum rmatch { R_NO, R_YES, R_UNKNOWN };

static void
strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int perr(struct pctx *, const yaml_node_t *, const char *, ...)
    PRINTF(3, 4);

static int
perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n != NULL)
		cause_set(c->cause, "%s:%zu:%zu: %s", c->name,
		    n->start_mark.line + 1, n->start_mark.column + 1, msg);
	else
		cause_set(c->cause, "%s: %s", c->name, msg);
	return -1;
}

static yaml_node_t *
node(struct pctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *
scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* Look up key in a mapping node; NULL when absent. */
static yaml_node_t *
mapget(struct pctx *c, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *pr;
	const char *k;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		k = scalar(node(c, pr->key));
		if (k != NULL && strcmp(k, key) == 0)
			return node(c, pr->value);
	}
	return NULL;
}

/* Reject keys of mapping m not in the NULL-ended allowed list. */
static int
mapcheck(struct pctx *c, yaml_node_t *m, const char *const *allowed)
{
	yaml_node_pair_t *pr;
	yaml_node_t *kn;
	const char *k;
	size_t i;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return perr(c, m, "expected a mapping");
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		kn = node(c, pr->key);
		if ((k = scalar(kn)) == NULL)
			return perr(c, kn, "expected a plain key");
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return perr(c, kn, "unknown key '%s'", k);
	}
	return 0;
}

/* A scalar or a sequence of scalars into *out. */
static int
getstrv(struct pctx *c, yaml_node_t *n, struct strv *out)
{
	yaml_node_item_t *it;
	yaml_node_t *e;
	size_t cap;

	if (n == NULL)
		return 0;
	if (n->type == YAML_SCALAR_NODE) {
		if ((out->v = calloc(1, sizeof *out->v)) == NULL ||
		    (out->v[0] = strdup(scalar(n))) == NULL)
			return perr(c, n, "out of memory");
		out->n = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return perr(c, n, "expected a value or a list");
	cap = n->data.sequence.items.top - n->data.sequence.items.start;
	if ((out->v = calloc(cap + 1, sizeof *out->v)) == NULL)
		return perr(c, n, "out of memory");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		e = node(c, *it);
		if (scalar(e) == NULL)
			return perr(c, e, "expected a plain value");
		if ((out->v[out->n++] = strdup(scalar(e))) == NULL)
			return perr(c, e, "out of memory");
	}
	return 0;
}

static int
getbool(struct pctx *c, yaml_node_t *n, bool *out)
{
	const char *s = scalar(n);

	if (n == NULL)
		return 0;
	if (s != NULL && (strcasecmp(s, "on") == 0 || strcasecmp(s, "true") == 0 ||
	    strcasecmp(s, "yes") == 0))
		*out = true;
	else if (s != NULL && (strcasecmp(s, "off") == 0 ||
	    strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0))
		*out = false;
	else
		return perr(c, n, "expected on or off");
	return 0;
}

static int
getuint(struct pctx *c, yaml_node_t *n, unsigned *out)
{
	const char *s = scalar(n);
	char *end;
	unsigned long v;

	if (n == NULL)
		return 0;
	if (s == NULL || !isdigit((unsigned char)*s))
		return perr(c, n, "expected a number");
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 1000000)
		return perr(c, n, "expected a number up to 1000000");
	*out = (unsigned)v;
	return 0;
}

static int
getsize(struct pctx *c, yaml_node_t *n, int64_t *out)
{
	uint64_t v;

	if (n == NULL)
		return 0;
	if (svcconf_parse_size(scalar(n), &v) != 0 || v > INT64_MAX)
		return perr(c, n, "expected a size such as 4096, 64K, 10M or 1G");
	*out = (int64_t)v;
	return 0;
}

/* Resolve a list file name against the policy file's directory. */
static char *
policy_path(struct pctx *c, const char *file)
{
	char *s;

	if (file[0] == '/' || c->basedir == NULL)
		return strdup(file);
	if (asprintf(&s, "%s/%s", c->basedir, file) < 0)
		return NULL;
	return s;
}

static int
parse_lists(struct pctx *c, yaml_node_t *m)
{
	yaml_node_pair_t *pr;
	yaml_node_t *kn, *vn;
	struct plist *l;
	char *path, *lcause = NULL;
	size_t n;
	int rc;

	if (m == NULL)
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return perr(c, m, "lists: expected NAME: FILE pairs");
	n = m->data.mapping.pairs.top - m->data.mapping.pairs.start;
	if ((c->p->lists = calloc(n, sizeof *c->p->lists)) == NULL)
		return perr(c, m, "out of memory");
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		kn = node(c, pr->key);
		vn = node(c, pr->value);
		if (scalar(kn) == NULL || scalar(vn) == NULL)
			return perr(c, kn, "lists: expected NAME: FILE");
		l = &c->p->lists[c->p->nlists++];
		if ((l->name = strdup(scalar(kn))) == NULL ||
		    (l->hl = hostlist_new()) == NULL ||
		    (path = policy_path(c, scalar(vn))) == NULL)
			return perr(c, kn, "out of memory");
		rc = hostlist_load(l->hl, path, &lcause);
		free(path);
		if (rc != 0) {
			perr(c, vn, "list '%s': %s", l->name, lcause);
			free(lcause);
			return -1;
		}
		hostlist_seal(l->hl);
	}
	return 0;
}

static int
parse_groups(struct pctx *c, yaml_node_t *m)
{
	yaml_node_pair_t *pr;
	yaml_node_t *kn;
	struct pgroup *g;
	size_t n;

	if (m == NULL)
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return perr(c, m, "groups: expected GROUP: [users] pairs");
	n = m->data.mapping.pairs.top - m->data.mapping.pairs.start;
	if ((c->p->groups = calloc(n, sizeof *c->p->groups)) == NULL)
		return perr(c, m, "out of memory");
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		kn = node(c, pr->key);
		if (scalar(kn) == NULL)
			return perr(c, kn, "groups: expected a group name");
		g = &c->p->groups[c->p->ngroups++];
		if ((g->name = strdup(scalar(kn))) == NULL)
			return perr(c, kn, "out of memory");
		if (getstrv(c, node(c, pr->value), &g->users) != 0)
			return -1;
	}
	return 0;
}

static const char *
sv_view(struct strv *s, const char ***view)
{
	size_t i;

	if (s->n == 0)
		return "";
	if ((*view = calloc(s->n + 1, sizeof **view)) == NULL)
		return NULL;
	for (i = 0; i < s->n; i++)
		(*view)[i] = s->v[i];
	return "";
}

/* Apply a profile mapping on top of the engines' defaults for a direction. */
static int
profile_apply(struct pctx *c, yaml_node_t *m, struct engine_profile *ep,
    enum engine_direction dir, struct pprofile *pp)
{
	engine_profile_defaults(ep, dir);
	if (getbool(c, mapget(c, m, "dlp"), &ep->dlp) ||
	    getbool(c, mapget(c, m, "malware"), &ep->malware) ||
	    getbool(c, mapget(c, m, "filetype"), &ep->filetype) ||
	    getbool(c, mapget(c, m, "archives"), &ep->archives) ||
	    getuint(c, mapget(c, m, "card_threshold"), &ep->card_threshold) ||
	    getuint(c, mapget(c, m, "ssn_threshold"), &ep->ssn_threshold) ||
	    getuint(c, mapget(c, m, "iban_threshold"), &ep->iban_threshold))
		return -1;
	if (pp->blockedv != NULL)
		ep->blocked_types = pp->blockedv;
	if (pp->dictsv != NULL)
		ep->dictionaries = pp->dictsv;
	return 0;
}

static int
parse_profiles(struct pctx *c, yaml_node_t *m)
{
	static const char *const keys[] = { "dlp", "malware", "filetype",
	    "archives", "card_threshold", "ssn_threshold", "iban_threshold",
	    "blocked_types", "dictionaries", NULL };
	yaml_node_pair_t *pr;
	yaml_node_t *kn, *vn;
	struct pprofile *pp;
	size_t n;

	if (m != NULL && m->type != YAML_MAPPING_NODE)
		return perr(c, m, "profiles: expected NAME: {settings} pairs");
	n = m == NULL ? 0 : (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	if ((c->p->profiles = calloc(n + 1, sizeof *c->p->profiles)) == NULL)
		return perr(c, m, "out of memory");
	pp = &c->p->profiles[c->p->nprofiles++];
	if ((pp->name = strdup("default")) == NULL)
		return perr(c, m, "out of memory");
	engine_profile_defaults(&pp->up, ENGINE_UPLOAD);
	engine_profile_defaults(&pp->down, ENGINE_DOWNLOAD);
	for (pr = m ? m->data.mapping.pairs.start : NULL;
	    m != NULL && pr < m->data.mapping.pairs.top; pr++) {
		kn = node(c, pr->key);
		vn = node(c, pr->value);
		if (scalar(kn) == NULL || mapcheck(c, vn, keys) != 0)
			return scalar(kn) == NULL ? perr(c, kn, "profiles: bad name") : -1;
		if (strcmp(scalar(kn), "default") == 0)
			pp = &c->p->profiles[0];
		else
			pp = &c->p->profiles[c->p->nprofiles++];
		free(pp->name);
		if ((pp->name = strdup(scalar(kn))) == NULL)
			return perr(c, kn, "out of memory");
		if (getstrv(c, mapget(c, vn, "blocked_types"), &pp->blocked) ||
		    getstrv(c, mapget(c, vn, "dictionaries"), &pp->dicts))
			return -1;
		if (sv_view(&pp->blocked, &pp->blockedv) == NULL ||
		    sv_view(&pp->dicts, &pp->dictsv) == NULL)
			return perr(c, kn, "out of memory");
		if (profile_apply(c, vn, &pp->up, ENGINE_UPLOAD, pp) ||
		    profile_apply(c, vn, &pp->down, ENGINE_DOWNLOAD, pp))
			return -1;
	}
	return 0;
}

static struct pprofile *
find_profile(struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nprofiles; i++)
		if (strcmp(p->profiles[i].name, name) == 0)
			return &p->profiles[i];
	return NULL;
}

static int
parse_cidr(const char *s, struct cidr *out)
{
	char buf[64], *slash, *end;
	unsigned long bits;
	unsigned maxbits;

	if (strlen(s) >= sizeof buf)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		maxbits = 128;
	} else
		return -1;
	out->bits = maxbits;
	if (slash != NULL) {
		errno = 0;
		bits = strtoul(slash, &end, 10);
		if (errno != 0 || *end != '\0' || end == slash || bits > maxbits)
			return -1;
		out->bits = (unsigned)bits;
	}
	return 0;
}

static int
cidr_match(const struct cidr *c, const char *ip)
{
	uint8_t a[16];
	unsigned full, rest;
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

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

static int
parse_action(struct pctx *c, yaml_node_t *n, enum policy_action *out)
{
	const char *s = scalar(n);

	if (n == NULL)
		return perr(c, n, "missing action");
	if (s != NULL && strcmp(s, "inspect") == 0)
		*out = POLICY_INSPECT;
	else if (s != NULL && strcmp(s, "allow") == 0)
		*out = POLICY_ALLOW;
	else if (s != NULL && strcmp(s, "block") == 0)
		*out = POLICY_BLOCK;
	else if (s != NULL && strcmp(s, "monitor") == 0)
		*out = POLICY_MONITOR;
	else
		return perr(c, n, "action must be allow, inspect, block or monitor");
	return 0;
}

static int
parse_hosts_cats(struct pctx *c, struct rule *r, yaml_node_t *m)
{
	struct strv sv = { NULL, 0 };
	yaml_node_t *n;
	size_t i, j;
	int rc = -1;

	n = mapget(c, m, "host");
	if (getstrv(c, n, &sv) != 0)
		goto out;
	if (sv.n > 0) {
		if ((r->hosts = hostlist_new()) == NULL)
			goto out;
		for (i = 0; i < sv.n; i++)
			if (hostlist_add(r->hosts, sv.v[i]) != 0) {
				perr(c, n, "bad host name '%s'", sv.v[i]);
				goto out;
			}
		hostlist_seal(r->hosts);
	}
	strv_free(&sv);
	n = mapget(c, m, "category");
	if (getstrv(c, n, &sv) != 0)
		goto out;
	if (sv.n > 0 && (r->cats = calloc(sv.n, sizeof *r->cats)) == NULL)
		goto out;
	for (i = 0; i < sv.n; i++) {
		for (j = 0; j < c->p->nlists; j++)
			if (strcmp(c->p->lists[j].name, sv.v[i]) == 0)
				break;
		if (j == c->p->nlists) {
			perr(c, n, "unknown category '%s' (not under lists:)", sv.v[i]);
			goto out;
		}
		r->cats[r->ncats++] = &c->p->lists[j];
	}
	rc = 0;
out:
	strv_free(&sv);
	return rc;
}

static int
parse_match_misc(struct pctx *c, struct rule *r, yaml_node_t *m)
{
	struct strv sv = { NULL, 0 };
	yaml_node_t *n;
	const char *s;
	size_t i;
	int rc = -1;

	if ((n = mapget(c, m, "url_regex")) != NULL) {
		if ((s = scalar(n)) == NULL ||
		    regcomp(&r->re, s, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
			return perr(c, n, "bad url_regex");
		r->has_re = true;
	}
	n = mapget(c, m, "client_ip");
	if (getstrv(c, n, &sv) != 0)
		goto out;
	if (sv.n > 0 && (r->cidrs = calloc(sv.n, sizeof *r->cidrs)) == NULL)
		goto out;
	for (i = 0; i < sv.n; i++)
		if (parse_cidr(sv.v[i], &r->cidrs[r->ncidrs++]) != 0) {
			perr(c, n, "bad address or CIDR '%s'", sv.v[i]);
			goto out;
		}
	if ((n = mapget(c, m, "direction")) != NULL) {
		s = scalar(n);
		if (s != NULL && strcmp(s, "upload") == 0)
			r->direction = ENGINE_UPLOAD;
		else if (s != NULL && strcmp(s, "download") == 0)
			r->direction = ENGINE_DOWNLOAD;
		else if (s == NULL || strcmp(s, "both") != 0) {
			perr(c, n, "direction must be upload, download or both");
			goto out;
		}
	}
	if (getstrv(c, mapget(c, m, "user"), &r->users) ||
	    getstrv(c, mapget(c, m, "group"), &r->groups) ||
	    getstrv(c, mapget(c, m, "method"), &r->methods) ||
	    getstrv(c, mapget(c, m, "content_type"), &r->ctypes) ||
	    getstrv(c, mapget(c, m, "file_type"), &r->ftypes) ||
	    getsize(c, mapget(c, m, "size_min"), &r->size_min) ||
	    getsize(c, mapget(c, m, "size_max"), &r->size_max))
		goto out;
	rc = 0;
out:
	strv_free(&sv);
	return rc;
}

static int
parse_rule_body(struct pctx *c, struct rule *r, yaml_node_t *rn, bool isdefault)
{
	static const char *const rkeys[] = { "name", "action", "profile",
	    "reason", "match", NULL };
	static const char *const mkeys[] = { "category", "host", "url_regex",
	    "client_ip", "user", "group", "method", "direction", "content_type",
	    "file_type", "size_min", "size_max", NULL };
	yaml_node_t *n, *m;
	const char *s;

	r->direction = -1;
	r->size_min = r->size_max = -1;
	r->profile = &c->p->profiles[0];
	if (mapcheck(c, rn, rkeys) != 0)
		return -1;
	n = mapget(c, rn, "name");
	s = isdefault ? "default" : scalar(n);
	if (s == NULL)
		return perr(c, n ? n : rn, "rule needs a name");
	if ((r->name = strdup(s)) == NULL)
		return perr(c, rn, "out of memory");
	if (parse_action(c, mapget(c, rn, "action"), &r->action) != 0)
		return -1;
	if ((n = mapget(c, rn, "profile")) != NULL &&
	    (scalar(n) == NULL || (r->profile = find_profile(c->p, scalar(n))) == NULL))
		return perr(c, n, "unknown profile '%s'", scalar(n) ? scalar(n) : "");
	if ((n = mapget(c, rn, "reason")) != NULL &&
	    (scalar(n) == NULL || (r->reason = strdup(scalar(n))) == NULL))
		return perr(c, n, "reason must be text");
	m = mapget(c, rn, "match");
	if (m == NULL)
		return 0;
	if (isdefault)
		return perr(c, m, "the default rule has no match");
	if (mapcheck(c, m, mkeys) != 0 || parse_hosts_cats(c, r, m) != 0 ||
	    parse_match_misc(c, r, m) != 0)
		return -1;
	return 0;
}

static int
parse_rules(struct pctx *c, yaml_node_t *s)
{
	yaml_node_item_t *it;
	size_t n;

	if (s == NULL)
		return 0;
	if (s->type != YAML_SEQUENCE_NODE)
		return perr(c, s, "rules: expected a list of rules");
	n = s->data.sequence.items.top - s->data.sequence.items.start;
	if ((c->p->rules = calloc(n, sizeof *c->p->rules)) == NULL)
		return perr(c, s, "out of memory");
	for (it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		if (parse_rule_body(c, &c->p->rules[c->p->nrules++], node(c, *it),
		    false) != 0)
			return -1;
	}
	return 0;
}

static int
parse_root(struct pctx *c, yaml_node_t *root)
{
	static const char *const keys[] = { "version", "lists", "groups",
	    "profiles", "rules", "default", NULL };
	yaml_node_t *n;

	if (root == NULL)
		return perr(c, NULL, "empty policy");
	if (mapcheck(c, root, keys) != 0)
		return -1;
	if ((n = mapget(c, root, "version")) != NULL &&
	    (scalar(n) == NULL || strcmp(scalar(n), "1") != 0))
		return perr(c, n, "unsupported version (this is version 1)");
	if (parse_lists(c, mapget(c, root, "lists")) ||
	    parse_groups(c, mapget(c, root, "groups")) ||
	    parse_profiles(c, mapget(c, root, "profiles")) ||
	    parse_rules(c, mapget(c, root, "rules")))
		return -1;
	if ((n = mapget(c, root, "default")) != NULL) {
		free(c->p->dflt.name);
		c->p->dflt.name = NULL;
		return parse_rule_body(c, &c->p->dflt, n, true);
	}
	return 0;
}

static struct policy *
policy_new(const char *name)
{
	struct policy *p;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->dflt.action = POLICY_INSPECT;
	p->dflt.direction = -1;
	p->dflt.size_min = p->dflt.size_max = -1;
	if ((p->name = strdup(name)) == NULL ||
	    (p->dflt.name = strdup("default")) == NULL) {
		policy_free(p);
		return NULL;
	}
	return p;
}

/* The policy used without a policy file: inspect everything, default profile. */
struct policy *
policy_default(void)
{
	struct policy *p;
	struct pctx c = { NULL, "(built-in)", NULL, NULL, NULL };

	if ((p = policy_new("(built-in)")) == NULL)
		return NULL;
	c.p = p;
	if (parse_profiles(&c, NULL) != 0) {
		policy_free(p);
		return NULL;
	}
	p->dflt.profile = &p->profiles[0];
	return p;
}

/*
 * Parse a policy from memory. name is used in messages, basedir resolves
 * relative list files. Returns the policy (caller frees) or NULL with *cause.
 */
struct policy *
policy_parse(const char *buf, size_t len, const char *name, const char *basedir,
    char **cause)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct policy *p;
	struct pctx c = { &doc, name, basedir, cause, NULL };
	int rc;

	if ((p = policy_new(name)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	c.p = p;
	if (!yaml_parser_initialize(&parser)) {
		cause_set(cause, "out of memory");
		policy_free(p);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		cause_set(cause, "%s:%zu:%zu: %s", name,
		    parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		policy_free(p);
		return NULL;
	}
	rc = parse_root(&c, yaml_document_get_root_node(&doc));
	if (rc == 0 && p->dflt.profile == NULL)
		p->dflt.profile = &p->profiles[0];
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc != 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

/* Read and parse a policy file; NULL with *cause ("file:line:col: ..."). */
struct policy *
policy_load(const char *path, char **cause)
{
	FILE *f;
	char *buf = NULL, *dircopy = NULL;
	size_t len = 0, n;
	struct policy *p = NULL;

	if ((f = fopen(path, "r")) == NULL) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(POLICY_MAX_FILE + 1)) == NULL) {
		cause_set(cause, "out of memory");
		goto out;
	}
	while ((n = fread(buf + len, 1, POLICY_MAX_FILE + 1 - len, f)) > 0)
		len += n;
	if (ferror(f) || len > POLICY_MAX_FILE) {
		cause_set(cause, "%s: %s", path, ferror(f) ? "read error" : "too large");
		goto out;
	}
	if ((dircopy = strdup(path)) == NULL) {
		cause_set(cause, "out of memory");
		goto out;
	}
	p = policy_parse(buf, len, path, dirname(dircopy), cause);
out:
	free(dircopy);
	free(buf);
	fclose(f);
	return p;
}

static void
rule_free(struct rule *r)
{
	free(r->name);
	free(r->reason);
	hostlist_free(r->hosts);
	free(r->cats);
	if (r->has_re)
		regfree(&r->re);
	free(r->cidrs);
	strv_free(&r->users);
	strv_free(&r->groups);
	strv_free(&r->methods);
	strv_free(&r->ctypes);
	strv_free(&r->ftypes);
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	rule_free(&p->dflt);
	for (i = 0; i < p->nlists; i++) {
		free(p->lists[i].name);
		hostlist_free(p->lists[i].hl);
	}
	free(p->lists);
	for (i = 0; i < p->nprofiles; i++) {
		free(p->profiles[i].name);
		strv_free(&p->profiles[i].blocked);
		strv_free(&p->profiles[i].dicts);
		free(p->profiles[i].blockedv);
		free(p->profiles[i].dictsv);
	}
	free(p->profiles);
	for (i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		strv_free(&p->groups[i].users);
	}
	free(p->groups);
	free(p->name);
	free(p);
}

unsigned
policy_nrules(const struct policy *p)
{
	return (unsigned)p->nrules;
}

static bool
strv_has(const struct strv *s, const char *v)
{
	size_t i;

	for (i = 0; v != NULL && i < s->n; i++)
		if (strcasecmp(s->v[i], v) == 0)
			return true;
	return false;
}

/* Is a comma-separated list member equal to g? */
static bool
csv_has(const char *csv, const char *g)
{
	size_t gl = strlen(g), l;
	const char *p = csv;

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
	size_t i;

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
	size_t l = strlen(d->why);

	snprintf(d->why + l, sizeof d->why - l, "%s%s%s%s", l ? ", " : "",
	    label, v ? " " : "", v ? v : "");
}

static enum rmatch
match_where(const struct policy *p, const struct rule *r,
    const struct policy_facts *f, struct policy_decision *d)
{
	const char *src;
	char g[160];
	size_t i;
	bool ok;

	if (r->hosts != NULL) {
		if (!hostlist_match(r->hosts, f->host))
			return R_NO;
		why_add(d, "host", f->host);
	}
	if (r->ncats > 0) {
		for (i = 0; i < r->ncats; i++)
			if (hostlist_match(r->cats[i]->hl, f->host))
				break;
		if (i == r->ncats)
			return R_NO;
		d->category = r->cats[i]->name;
		why_add(d, "category", d->category);
	}
	if (r->has_re) {
		if (f->url == NULL || regexec(&r->re, f->url, 0, NULL, 0) != 0)
			return R_NO;
		why_add(d, "url matches", "url_regex");
	}
	if (r->ncidrs > 0) {
		for (i = 0, ok = false; f->client_ip != NULL && i < r->ncidrs; i++)
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
	size_t i, l;

	for (i = 0; ct != NULL && i < s->n; i++) {
		l = strlen(s->v[i]);
		if (strncasecmp(ct, s->v[i], l) == 0 &&
		    (s->v[i][l - 1] == '/' || ct[l] == '\0' || ct[l] == ';' ||
		    ct[l] == ' '))
			return true;
	}
	return false;
}

static enum rmatch
match_what(const struct rule *r, const struct policy_facts *f,
    struct policy_decision *d)
{
	enum rmatch res = R_YES;

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
		 * block browsing it. An unknown size (chunked) counts as a body.
		 */
		if (r->direction == ENGINE_UPLOAD && f->size == 0)
			return R_NO;
		why_add(d, "direction", f->direction == ENGINE_UPLOAD ? "upload" : "download");
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
		else if (!strv_has(&r->ftypes, f->true_type))
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
	enum rmatch w, x;
	size_t i;

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
		d->profile = f->direction == ENGINE_UPLOAD ? &p->profiles[0].up :
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
	const char *p = url, *h, *e;
	size_t l, i;

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
