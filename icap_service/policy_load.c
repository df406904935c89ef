/*
 * Loading the policy file: YAML (libyaml's document API, so every error
 * names file:line:column) into the struct policy that policy.c decides
 * with.
 *
 *	lists:    { NAME: FILE, ... }		 dstdomain files (categories)
 *	groups:   { GROUP: [user, ...], ... }
 *	profiles: { NAME: { policy_profile_keys }, ... }
 *	rules:    - { name, action: allow|inspect|block|monitor, profile,
 *	              reason, match: { policy_match_keys } }
 *	default:  { action, profile }
 *
 * The keys of match: and of a profile are tables: a key is accepted
 * exactly when it is in its table, and the table entry says how its value
 * is parsed and where it goes, so checking and parsing cannot disagree.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cause.h"
#include "filetype.h"
#include "policy_int.h"
#include "slurp.h"

#define ROFF(f)	offsetof(struct rule, f)
#define EOFF(f)	offsetof(struct engine_profile, f)
#define POFF(f)	offsetof(struct pprofile, f)

/* The keys of a rule's match: mapping; every condition must hold. */
const struct policy_key policy_match_keys[] = {
	{ "category", PK_CATEGORY, ROFF(cats),
	  "the destination host is in one of these lists (see lists:) or, "
	  "for a name not under lists:, in that category of the category "
	  "database (sslinspect-lists(8))" },
	{ "host", PK_HOSTS, ROFF(hosts),
	  "the destination host is one of these (.example.com: the domain "
	  "and every name below it)" },
	{ "url_regex", PK_REGEX, ROFF(re),
	  "the full URL matches (case-insensitive)" },
	{ "client_ip", PK_CIDRS, ROFF(cidrs),
	  "the client address (X-Client-IP) is in one of these" },
	{ "user", PK_WORDS, ROFF(users),
	  "the authenticated user (X-Client-Username) is one of these" },
	{ "group", PK_WORDS, ROFF(groups),
	  "the user is in one of these groups (groups: or X-Client-Groups)" },
	{ "method", PK_WORDS, ROFF(methods),
	  "the HTTP method is one of these" },
	{ "direction", PK_DIRECTION, ROFF(direction),
	  "upload matches only requests that carry a body" },
	{ "content_type", PK_WORDS, ROFF(ctypes),
	  "the declared Content-Type starts with one of these (video/)" },
	{ "file_type", PK_FILETYPES, ROFF(ftypes),
	  "the true type of the body, found by the engines, is one of these "
	  "or in one of these groups" },
	{ "size_min", PK_SIZE, ROFF(size_min),
	  "the body is at least this large" },
	{ "size_max", PK_SIZE, ROFF(size_max),
	  "the body is at most this large" },
	{ NULL, 0, 0, NULL }
};

/* The keys of a profile; unset ones keep the engines' defaults. */
const struct policy_key policy_profile_keys[] = {
	{ "dlp", PK_BOOL, EOFF(dlp), "data-loss prevention" },
	{ "malware", PK_BOOL, EOFF(malware),
	  "EICAR, ClamAV and the SHA-256 blocklist" },
	{ "filetype", PK_BOOL, EOFF(filetype),
	  "true file type and blocked_types" },
	{ "archives", PK_BOOL, EOFF(archives),
	  "open archives and scan their members" },
	{ "card_threshold", PK_COUNT, EOFF(card_threshold),
	  "payment card numbers needed for a finding" },
	{ "ssn_threshold", PK_COUNT, EOFF(ssn_threshold),
	  "US social security numbers needed for a finding" },
	{ "iban_threshold", PK_COUNT, EOFF(iban_threshold),
	  "IBANs needed for a finding" },
	{ "blocked_types", PK_FILETYPES, POFF(blocked),
	  "a body or archive member of one of these types or groups is a "
	  "finding" },
	{ "dictionaries", PK_WORDS, POFF(dicts),
	  "DLP dictionaries used (DictionaryDir/NAME.dict); unset: all" },
	{ NULL, 0, 0, NULL }
};

const char *
policy_kind_str(enum policy_kind k)
{
	static const char *const s[] = {
		[PK_HOSTS] = "host names",
		[PK_CATEGORY] = "list or category names",
		[PK_REGEX] = "regular expression",
		[PK_CIDRS] = "addresses or CIDR blocks",
		[PK_WORDS] = "names",
		[PK_DIRECTION] = "upload, download or both",
		[PK_FILETYPES] = "file types or groups",
		[PK_SIZE] = "size (4096, 64K, 10M, 1G)",
		[PK_BOOL] = "on or off",
		[PK_COUNT] = "number (0 to 1000000)"
	};

	return (unsigned)k < sizeof s / sizeof s[0] ? s[k] : "?";
}

/* Parser state: the document, the file name and base dir for messages. */
struct pctx {
	yaml_document_t	*doc;
	const char	*name;
	const char	*basedir;
	char		**cause;
	struct policy	*p;
};

void
policy_strv_free(struct strv *s)
{
	size_t	i;

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
	char	msg[512];
	va_list	ap;

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
	yaml_node_pair_t	*pr;
	const char		*k;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	    pr++) {
		k = scalar(node(c, pr->key));
		if (k != NULL && strcmp(k, key) == 0)
			return node(c, pr->value);
	}
	return NULL;
}

/*
 * Check that m is a mapping with plain keys, none twice (YAML leaves
 * duplicates to the application; the second would silently win).
 */
static int
mapplain(struct pctx *c, yaml_node_t *m, const char *what)
{
	yaml_node_pair_t	*pr, *q;
	yaml_node_t		*kn;
	const char		*k;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return perr(c, m, "%s: expected a mapping", what);
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	    pr++) {
		kn = node(c, pr->key);
		if ((k = scalar(kn)) == NULL)
			return perr(c, kn, "expected a plain key");
		for (q = m->data.mapping.pairs.start; q < pr; q++)
			if (scalar(node(c, q->key)) != NULL &&
			    strcmp(scalar(node(c, q->key)), k) == 0)
				return perr(c, kn, "duplicate key '%s'", k);
	}
	return 0;
}

/* Reject keys of mapping m not in the NULL-ended allowed list. */
static int
mapcheck(struct pctx *c, yaml_node_t *m, const char *const *allowed,
    const char *what)
{
	yaml_node_pair_t	*pr;
	yaml_node_t		*kn;
	const char		*k;
	size_t			 i;

	if (mapplain(c, m, what) != 0)
		return -1;
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	    pr++) {
		kn = node(c, pr->key);
		k = scalar(kn);
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return perr(c, kn, "unknown key '%s'", k);
	}
	return 0;
}

/* The table entry for key, or an error naming the keys there are. */
static const struct policy_key *
keyfind(struct pctx *c, const struct policy_key *tab, yaml_node_t *kn,
    const char *what)
{
	char		 list[512];
	size_t		 l = 0;
	const char	*k = scalar(kn);

	list[0] = '\0';
	for (; tab->name != NULL; tab++) {
		if (strcmp(tab->name, k) == 0)
			return tab;
		if (l < sizeof list)
			l += (size_t)snprintf(list + l, sizeof list - l, "%s%s",
			    l ? ", " : "", tab->name);
	}
	perr(c, kn, "unknown key '%s' in %s (known: %s)", k, what, list);
	return NULL;
}

/*
 * A list entry's text, or NULL after an error: empty text matches nothing
 * a rule could mean, and YAML reads an unquoted leading "!" as a tag, not
 * as text ("!video/" is an empty value tagged !video/).
 */
static const char *
getword(struct pctx *c, yaml_node_t *n)
{
	const char	*tag = n != NULL ? (const char *)n->tag : NULL;

	if (scalar(n) == NULL) {
		perr(c, n, "expected a plain value");
		return NULL;
	}
	if (tag != NULL && tag[0] == '!') {
		perr(c, n, "YAML tag %s: quote a value that begins with !",
		    tag);
		return NULL;
	}
	if (*scalar(n) == '\0') {
		perr(c, n, "empty value");
		return NULL;
	}
	return scalar(n);
}

/* A scalar or a non-empty sequence of scalars into *out. */
static int
getstrv(struct pctx *c, yaml_node_t *n, struct strv *out)
{
	const char		*w;
	yaml_node_item_t	*it;
	yaml_node_t		*e;
	size_t			 cap;

	if (n == NULL)
		return 0;
	policy_strv_free(out);
	if (n->type == YAML_SCALAR_NODE) {
		if ((w = getword(c, n)) == NULL)
			return -1;
		if ((out->v = calloc(1, sizeof *out->v)) == NULL ||
		    (out->v[0] = strdup(w)) == NULL)
			return perr(c, n, "out of memory");
		out->n = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return perr(c, n, "expected a value or a list");
	cap = n->data.sequence.items.top - n->data.sequence.items.start;
	if (cap == 0)
		return perr(c, n, "empty list: leave the key out instead");
	if ((out->v = calloc(cap + 1, sizeof *out->v)) == NULL)
		return perr(c, n, "out of memory");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	    it++) {
		e = node(c, *it);
		if ((w = getword(c, e)) == NULL)
			return -1;
		if ((out->v[out->n++] = strdup(w)) == NULL)
			return perr(c, e, "out of memory");
	}
	return 0;
}

static int
getbool(struct pctx *c, yaml_node_t *n, bool *out)
{
	const char	*s = scalar(n);

	if (s != NULL && (strcasecmp(s, "on") == 0 || strcasecmp(s,
	    "true") == 0 ||
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
	const char	*s = scalar(n);
	char		*end;
	unsigned long	 v;

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
	uint64_t	v;

	if (svcconf_parse_size(scalar(n), &v) != 0 || v > INT64_MAX)
		return perr(c, n,
		    "expected a size such as 4096, 64K, 10M or 1G");
	*out = (int64_t)v;
	return 0;
}

/* Is name a true file type of the engines' table, or one of its groups? */
bool
policy_filetype_known(const char *name)
{
	const struct filetype	*ft;
	size_t			 i;

	for (i = 0; (ft = filetype_at(i)) != NULL; i++)
		if (strcmp(ft->name, name) == 0 || strcmp(ft->group, name) == 0)
			return true;
	return false;
}

/*
 * For a name that is not a type (usually a file extension), the type or
 * group meant; NULL when there is no good guess.
 */
const char *
policy_filetype_hint(const char *name)
{
	static const struct { const char *ext, *type; } hints[] = {
		{ "exe", "pe" }, { "dll", "pe" }, { "sys", "pe" }, { "scr",
		  "pe" },
		{ "msi", "ole" }, { "doc", "ole" }, { "xls", "ole" }, { "ppt",
		  "ole" },
		{ "docx", "ooxml" }, { "xlsx", "ooxml" }, { "pptx", "ooxml" },
		{ "docm", "ooxml" }, { "xlsm", "ooxml" }, { "odt", "odf" },
		{ "ods", "odf" }, { "class", "java-class" }, { "jpg", "jpeg" },
		{ "tif", "tiff" }, { "mkv", "matroska" }, { "webm",
		  "matroska" },
		{ "gz", "gzip" }, { "tgz", "gzip" }, { "bz2", "bzip2" },
		{ "zst", "zstd" }, { "ps", "postscript" }, { "js", "script" },
		{ "sh", "script" }, { "ps1", "script" }, { "bat", "script" },
		{ "vbs", "script" }, { "htm", "html" }, { "txt", "text" },
		{ "so", "elf" }, { "bin", "binary" }, { "iso", "data" },
		{ "executables", "executable" }, { "archives", "archive" },
		{ "documents", "document" }, { "images", "image" }
	};
	size_t i;

	for (i = 0; i < sizeof hints / sizeof hints[0]; i++)
		if (strcasecmp(hints[i].ext, name) == 0)
			return hints[i].type;
	return NULL;
}

/* File type and group names, each checked against the engines' table. */
static int
getftypes(struct pctx *c, yaml_node_t *n, struct strv *out)
{
	const char	*hint;
	size_t		 i;

	if (getstrv(c, n, out) != 0)
		return -1;
	for (i = 0; i < out->n; i++) {
		if (policy_filetype_known(out->v[i]))
			continue;
		if ((hint = policy_filetype_hint(out->v[i])) != NULL)
			return perr(c, n,
			    "unknown file type '%s': types are found "
			    "from the content, not the name; use '%s' "
			    "(sslinspect-engines(7), FILE TYPES)", out->v[i],
			    hint);
		return perr(c, n, "unknown file type '%s' (a type or a group: "
		    "executable, archive, office, document, image, media, "
		    "font, "
		    "text, data; see sslinspect-engines(7), FILE TYPES)",
		    out->v[i]);
	}
	return 0;
}

/* Resolve a list file name against the policy file's directory. */
static char *
policy_path(struct pctx *c, const char *file)
{
	char	*s;

	if (file[0] == '/' || c->basedir == NULL)
		return strdup(file);
	if (asprintf(&s, "%s/%s", c->basedir, file) < 0)
		return NULL;
	return s;
}

static int
parse_lists(struct pctx *c, yaml_node_t *m)
{
	yaml_node_pair_t	*pr;
	yaml_node_t		*kn, *vn;
	struct plist		*l;
	char			*path, *lcause = NULL;
	size_t			 n;
	int			 rc;

	if (m == NULL)
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return perr(c, m, "lists: expected NAME: FILE pairs");
	if (mapplain(c, m, "lists") != 0)
		return -1;
	n = m->data.mapping.pairs.top - m->data.mapping.pairs.start;
	if ((c->p->lists = calloc(n, sizeof *c->p->lists)) == NULL)
		return perr(c, m, "out of memory");
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	    pr++) {
		kn = node(c, pr->key);
		vn = node(c, pr->value);
		if (scalar(vn) == NULL)
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
	yaml_node_pair_t	*pr;
	yaml_node_t		*kn;
	struct pgroup		*g;
	size_t			 n;

	if (m == NULL)
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return perr(c, m, "groups: expected GROUP: [users] pairs");
	if (mapplain(c, m, "groups") != 0)
		return -1;
	n = m->data.mapping.pairs.top - m->data.mapping.pairs.start;
	if ((c->p->groups = calloc(n, sizeof *c->p->groups)) == NULL)
		return perr(c, m, "out of memory");
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	    pr++) {
		kn = node(c, pr->key);
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
	size_t	i;

	if (s->n == 0)
		return "";
	if ((*view = calloc(s->n + 1, sizeof **view)) == NULL)
		return NULL;
	for (i = 0; i < s->n; i++)
		(*view)[i] = s->v[i];
	return "";
}

/*
 * One profile: its list keys into pp, then the engine settings on top of
 * the engines' defaults for each direction.
 */
static int
parse_profile(struct pctx *c, yaml_node_t *m, struct pprofile *pp)
{
	const struct policy_key	*k;
	yaml_node_pair_t	*pr;
	yaml_node_t		*kn, *vn;
	enum engine_direction	 dir;
	struct engine_profile	*ep;
	int			 rc;

	if (mapplain(c, m, "profile") != 0)
		return -1;
	engine_profile_defaults(&pp->up, ENGINE_UPLOAD);
	engine_profile_defaults(&pp->down, ENGINE_DOWNLOAD);
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	    pr++) {
		kn = node(c, pr->key);
		vn = node(c, pr->value);
		if ((k = keyfind(c, policy_profile_keys, kn,
		    "a profile")) == NULL)
			return -1;
		if (k->kind == PK_FILETYPES || k->kind == PK_WORDS) {
			rc = k->kind == PK_FILETYPES ?
			    getftypes(c, vn,
			    (struct strv *)((char *)pp + k->off)) :
			    getstrv(c, vn,
			    (struct strv *)((char *)pp + k->off));
			if (rc != 0)
				return -1;
			continue;
		}
		for (dir = ENGINE_UPLOAD; dir <= ENGINE_DOWNLOAD; dir++) {
			ep = dir == ENGINE_UPLOAD ? &pp->up : &pp->down;
			rc = k->kind == PK_BOOL ?
			    getbool(c, vn, (bool *)((char *)ep + k->off)) :
			    getuint(c, vn, (unsigned *)((char *)ep + k->off));
			if (rc != 0)
				return -1;
		}
	}
	if (sv_view(&pp->blocked, &pp->blockedv) == NULL ||
	    sv_view(&pp->dicts, &pp->dictsv) == NULL)
		return perr(c, m, "out of memory");
	pp->up.blocked_types = pp->down.blocked_types = pp->blockedv;
	pp->up.dictionaries = pp->down.dictionaries = pp->dictsv;
	return 0;
}

static int
parse_profiles(struct pctx *c, yaml_node_t *m)
{
	yaml_node_pair_t	*pr;
	yaml_node_t		*kn;
	struct pprofile		*pp;
	size_t			 n;

	if (m != NULL && mapplain(c, m, "profiles") != 0)
		return -1;
	n = m == NULL ?
	    0 : (size_t)(
	    m->data.mapping.pairs.top - m->data.mapping.pairs.start);
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
		if (strcmp(scalar(kn), "default") == 0)
			pp = &c->p->profiles[0];
		else
			pp = &c->p->profiles[c->p->nprofiles++];
		free(pp->name);
		if ((pp->name = strdup(scalar(kn))) == NULL)
			return perr(c, kn, "out of memory");
		if (parse_profile(c, node(c, pr->value), pp) != 0)
			return -1;
	}
	return 0;
}

static struct pprofile *
find_profile(struct policy *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nprofiles; i++)
		if (strcmp(p->profiles[i].name, name) == 0)
			return &p->profiles[i];
	return NULL;
}

static int
parse_cidr(const char *s, struct cidr *out)
{
	char		buf[64], *slash, *end;
	unsigned long	bits;
	unsigned	maxbits;

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
		if (errno != 0 || *end != '\0' || end == slash ||
		    bits > maxbits)
			return -1;
		out->bits = (unsigned)bits;
	}
	return 0;
}

static int
parse_action(struct pctx *c, yaml_node_t *n, yaml_node_t *rn,
    enum policy_action *out)
{
	const char	*s = scalar(n);

	if (n == NULL)
		return perr(c, rn, "missing action");
	if (s != NULL && strcmp(s, "inspect") == 0)
		*out = POLICY_INSPECT;
	else if (s != NULL && strcmp(s, "allow") == 0)
		*out = POLICY_ALLOW;
	else if (s != NULL && strcmp(s, "block") == 0)
		*out = POLICY_BLOCK;
	else if (s != NULL && strcmp(s, "monitor") == 0)
		*out = POLICY_MONITOR;
	else
		return perr(c, n,
		    "action must be allow, inspect, block or monitor");
	return 0;
}

static int
key_hosts(struct pctx *c, struct rule *r, yaml_node_t *n)
{
	struct strv	sv = { NULL, 0 };
	size_t		i;
	int		rc = -1;

	if (getstrv(c, n, &sv) != 0)
		goto out;
	if ((r->hosts = hostlist_new()) == NULL) {
		perr(c, n, "out of memory");
		goto out;
	}
	for (i = 0; i < sv.n; i++)
		if (hostlist_add(r->hosts, sv.v[i]) != 0) {
			perr(c, n, "bad host name '%s'", sv.v[i]);
			goto out;
		}
	hostlist_seal(r->hosts);
	rc = 0;
out:
	policy_strv_free(&sv);
	return rc;
}

/* A category of sslinspect-lists' database: a directory name of a set. */
static bool
category_name_ok(const char *s)
{
	size_t	i, l = strlen(s);

	if (l == 0 || l > 64 || s[0] == '.')
		return false;
	for (i = 0; i < l; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_-.",
		    s[i]) == NULL)
			return false;
	return true;
}

static int
key_category(struct pctx *c, struct rule *r, yaml_node_t *n)
{
	struct strv	sv = { NULL, 0 };
	size_t		i, j;
	int		rc = -1;

	if (getstrv(c, n, &sv) != 0)
		goto out;
	if ((r->cats = calloc(sv.n, sizeof *r->cats)) == NULL ||
	    (r->dbcats.v = calloc(sv.n, sizeof *r->dbcats.v)) == NULL) {
		perr(c, n, "out of memory");
		goto out;
	}
	for (i = 0; i < sv.n; i++) {
		for (j = 0; j < c->p->nlists; j++)
			if (strcmp(c->p->lists[j].name, sv.v[i]) == 0)
				break;
		if (j < c->p->nlists) {
			r->cats[r->ncats++] = &c->p->lists[j];
			continue;
		}
		/* Not under lists:, so a category of the database. */
		if (!category_name_ok(sv.v[i])) {
			perr(c, n, "unknown category '%s': not under lists:, "
			    "and not a category name of the database "
			    "(letters, digits, '_', '-', '.')", sv.v[i]);
			goto out;
		}
		if ((r->dbcats.v[r->dbcats.n] = strdup(sv.v[i])) == NULL) {
			perr(c, n, "out of memory");
			goto out;
		}
		r->dbcats.n++;
	}
	rc = 0;
out:
	policy_strv_free(&sv);
	return rc;
}

static int
key_cidrs(struct pctx *c, struct rule *r, yaml_node_t *n)
{
	struct strv	sv = { NULL, 0 };
	size_t		i;
	int		rc = -1;

	if (getstrv(c, n, &sv) != 0)
		goto out;
	if ((r->cidrs = calloc(sv.n, sizeof *r->cidrs)) == NULL) {
		perr(c, n, "out of memory");
		goto out;
	}
	for (i = 0; i < sv.n; i++)
		if (parse_cidr(sv.v[i], &r->cidrs[r->ncidrs++]) != 0) {
			perr(c, n, "bad address or CIDR '%s'", sv.v[i]);
			goto out;
		}
	rc = 0;
out:
	policy_strv_free(&sv);
	return rc;
}

static int
key_direction(struct pctx *c, struct rule *r, yaml_node_t *n)
{
	const char	*s = scalar(n);

	if (s != NULL && strcmp(s, "upload") == 0)
		r->direction = ENGINE_UPLOAD;
	else if (s != NULL && strcmp(s, "download") == 0)
		r->direction = ENGINE_DOWNLOAD;
	else if (s == NULL || strcmp(s, "both") != 0)
		return perr(c, n, "direction must be upload, download or both");
	return 0;
}

/*
 * glibc's regcomp expands a repetition by copying what it repeats: x+ is
 * xx*, x{m,n} n copies, and stacked or nested repetitions multiply. A
 * short url_regex ("a+++...", "((a{255}){255}){255}") so takes gigabytes
 * and minutes at every load of the policy, and copies of what matches
 * nothing ("a*+++...") cost it quadratic time on top. regex_size is an
 * upper bound of the expanded size in atoms, saturated above
 * REGEX_MAX_ATOMS, so that such a pattern is refused before regcomp sees
 * it. An atom is a character or a bracket expression; a real URL pattern
 * stays far below the limit. Stacked repetitions ("a*+", "a{2}{3}"),
 * which POSIX leaves undefined, and deeper nesting than REGEX_MAX_DEPTH
 * groups count as over the limit.
 */
#define REGEX_MAX_ATOMS	2000
#define REGEX_MAX_DEPTH	32

static size_t
regex_mul(size_t a, size_t b)
{
	if (b != 0 && a > (REGEX_MAX_ATOMS + 1) / b)
		return REGEX_MAX_ATOMS + 1;
	return a * b;
}

static size_t
regex_add(size_t a, size_t b)
{
	if (a > REGEX_MAX_ATOMS || b > REGEX_MAX_ATOMS - a)
		return REGEX_MAX_ATOMS + 1;
	return a + b;
}

/*
 * How many copies of its atom an interval at p makes, plus one: "{m}",
 * "{m,}", "{m,n}" and, as glibc reads it, "{,n}". 0 if p starts no
 * interval (a brace then stands for itself); *endp is set to its '}'.
 */
static size_t
regex_interval(const char *p, const char **endp)
{
	unsigned long	 m = 0, n;
	const char	*q = p + 1;
	char		*e;

	if (isdigit((unsigned char)*q)) {
		m = strtoul(q, &e, 10);
		q = e;
	}
	n = m;
	if (*q == ',' && isdigit((unsigned char)q[1])) {
		n = strtoul(q + 1, &e, 10);
		q = e;
	} else if (*q == ',')
		q++;
	if (q == p + 1 || *q != '}')
		return 0;
	*endp = q;
	return regex_add(m > n ? m : n, 1);
}

static size_t
regex_size(const char *p)
{
	size_t		 sum[REGEX_MAX_DEPTH + 1], last = 0, f, total;
	unsigned	 depth = 0, i;
	const char	*end;
	int		 rep = 0;	/* the last token was a repetition */

	sum[0] = 0;
	while (*p != '\0') {
		switch (*p) {
		case '(':
			if (depth == REGEX_MAX_DEPTH)
				return REGEX_MAX_ATOMS + 1;
			sum[++depth] = 0;
			last = 0;
			rep = 0;
			p++;
			continue;
		case ')':
			if (depth == 0)
				break;	/* an atom, or regcomp refuses it */
			last = sum[depth--];
			sum[depth] = regex_add(sum[depth], last);
			rep = 0;
			p++;
			continue;
		case '|':
		case '^':
		case '$':
			last = 0;
			rep = 0;
			p++;
			continue;
		case '*':
		case '?':
		case '+':
		case '{':
			f = *p == '+' ? 2 : 1;
			if (*p == '{' && (f = regex_interval(p, &p)) == 0)
				break;
			if (rep)
				return REGEX_MAX_ATOMS + 1;
			rep = 1;
			sum[depth] -= last;
			last = regex_mul(last, f);
			sum[depth] = regex_add(sum[depth], last);
			p++;
			continue;
		case '[':
			/* One atom: "[]a]", "[^[:digit:]x]". */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '[' && p[1] != '\0' &&
				    strchr(":.=", p[1]) != NULL &&
				    (end = strchr(p + 2, ']')) != NULL)
					p = end;
				p++;
			}
			if (*p == '\0')
				p--;
			break;
		case '\\':
			if (p[1] != '\0')
				p++;
			break;
		}
		last = 1;
		rep = 0;
		sum[depth] = regex_add(sum[depth], 1);
		p++;
	}
	for (total = 0, i = 0; i <= depth; i++)
		total = regex_add(total, sum[i]);
	return total;
}

/* One key of a rule's match: mapping, parsed as its table entry says. */
static int
parse_match_key(struct pctx *c, struct rule *r, const struct policy_key *k,
    yaml_node_t *n)
{
	void	*dst = (char *)r + k->off;

	switch (k->kind) {
	case PK_HOSTS:
		return key_hosts(c, r, n);
	case PK_CATEGORY:
		return key_category(c, r, n);
	case PK_REGEX:
		if (scalar(n) != NULL &&
		    regex_size(scalar(n)) > REGEX_MAX_ATOMS)
			return perr(c, n, "url_regex is too large once its "
			    "repetitions are expanded (more than %d "
			    "characters, or stacked as in a*+)",
			    REGEX_MAX_ATOMS);
		if (scalar(n) == NULL ||
		    regcomp(&r->re, scalar(n),
		    REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
			return perr(c, n, "bad url_regex");
		r->has_re = true;
		return 0;
	case PK_CIDRS:
		return key_cidrs(c, r, n);
	case PK_DIRECTION:
		return key_direction(c, r, n);
	case PK_WORDS:
		return getstrv(c, n, dst);
	case PK_FILETYPES:
		return getftypes(c, n, dst);
	case PK_SIZE:
		return getsize(c, n, dst);
	default:
		return perr(c, n, "%s cannot be used in match:", k->name);
	}
}

static int
parse_match(struct pctx *c, struct rule *r, yaml_node_t *m)
{
	const struct policy_key	*k;
	yaml_node_pair_t	*pr;

	if (mapplain(c, m, "match") != 0)
		return -1;
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	    pr++) {
		if ((k = keyfind(c, policy_match_keys, node(c, pr->key),
		    "match")) == NULL ||
		    parse_match_key(c, r, k, node(c, pr->value)) != 0)
			return -1;
	}
	if (r->size_min >= 0 && r->size_max >= 0 && r->size_min > r->size_max)
		return perr(c, m, "size_min is larger than size_max: the rule "
		    "never matches");
	return 0;
}

/* Rule names are what logs and block pages show: one rule each. */
static int
check_name(struct pctx *c, const char *s, yaml_node_t *n)
{
	size_t	i;

	if (*s == '\0')
		return perr(c, n, "rule needs a name");
	if (strcmp(s, "default") == 0)
		return perr(c, n, "the name 'default' is the default rule's");
	for (i = 0; i + 1 < c->p->nrules; i++)
		if (strcmp(c->p->rules[i].name, s) == 0)
			return perr(c, n, "duplicate rule name '%s' (rule %zu "
			    "has it too)", s, i + 1);
	return 0;
}

static int
parse_rule_body(struct pctx *c, struct rule *r, yaml_node_t *rn, bool isdefault)
{
	static const char *const rkeys[] = { "name", "action", "profile",
	    "reason", "match", NULL };
	yaml_node_t *n, *m;
	const char *s;

	r->direction = -1;
	r->size_min = r->size_max = -1;
	r->profile = &c->p->profiles[0];
	if (mapcheck(c, rn, rkeys, isdefault ? "default" : "rule") != 0)
		return -1;
	n = mapget(c, rn, "name");
	s = isdefault ? "default" : scalar(n);
	if (s == NULL)
		return perr(c, n ? n : rn, "rule needs a name");
	if (!isdefault && check_name(c, s, n) != 0)
		return -1;
	if ((r->name = strdup(s)) == NULL)
		return perr(c, rn, "out of memory");
	if (parse_action(c, mapget(c, rn, "action"), rn, &r->action) != 0)
		return -1;
	if ((n = mapget(c, rn, "profile")) != NULL &&
	    (scalar(n) == NULL || (r->profile = find_profile(c->p,
	    scalar(n))) == NULL))
		return perr(c, n, "unknown profile '%s'",
		    scalar(n) ? scalar(n) : "");
	if ((n = mapget(c, rn, "reason")) != NULL &&
	    (scalar(n) == NULL || (r->reason = strdup(scalar(n))) == NULL))
		return perr(c, n, "reason must be text");
	if ((m = mapget(c, rn, "match")) == NULL)
		return 0;
	if (isdefault)
		return perr(c, m, "the default rule has no match");
	return parse_match(c, r, m);
}

static int
parse_rules(struct pctx *c, yaml_node_t *s)
{
	yaml_node_item_t	*it;
	size_t			 n;

	if (s == NULL)
		return 0;
	if (s->type != YAML_SEQUENCE_NODE)
		return perr(c, s, "rules: expected a list of rules");
	n = s->data.sequence.items.top - s->data.sequence.items.start;
	if ((c->p->rules = calloc(n, sizeof *c->p->rules)) == NULL)
		return perr(c, s, "out of memory");
	for (it = s->data.sequence.items.start; it < s->data.sequence.items.top;
	    it++) {
		if (parse_rule_body(c, &c->p->rules[c->p->nrules++], node(c,
		    *it),
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
	if (mapcheck(c, root, keys, "the policy") != 0)
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
	struct policy	*p;

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

/*
 * The policy used without a policy file: inspect everything, default profile.
 */
struct policy *
policy_default(void)
{
	struct policy	*p;
	struct pctx	 c = { NULL, "(built-in)", NULL, NULL, NULL };

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
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	struct policy	*p;
	struct pctx	 c = { &doc, name, basedir, cause, NULL };
	int		 rc;

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
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
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
	char		*buf, *dircopy;
	size_t		 len;
	struct policy	*p = NULL;

	if ((buf = slurp_file(path, POLICY_FILE_MAX, &len, cause)) == NULL)
		return NULL;
	if ((dircopy = strdup(path)) == NULL)
		cause_set(cause, "out of memory");
	else
		p = policy_parse(buf, len, path, dirname(dircopy), cause);
	free(dircopy);
	free(buf);
	return p;
}

static void
rule_free(struct rule *r)
{
	free(r->name);
	free(r->reason);
	hostlist_free(r->hosts);
	free(r->cats);
	policy_strv_free(&r->dbcats);
	if (r->has_re)
		regfree(&r->re);
	free(r->cidrs);
	policy_strv_free(&r->users);
	policy_strv_free(&r->groups);
	policy_strv_free(&r->methods);
	policy_strv_free(&r->ctypes);
	policy_strv_free(&r->ftypes);
}

void
policy_free(struct policy *p)
{
	size_t	i;

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
		policy_strv_free(&p->profiles[i].blocked);
		policy_strv_free(&p->profiles[i].dicts);
		free(p->profiles[i].blockedv);
		free(p->profiles[i].dictsv);
	}
	free(p->profiles);
	for (i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		policy_strv_free(&p->groups[i].users);
	}
	free(p->groups);
	free(p->name);
	free(p);
}
