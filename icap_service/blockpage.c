/*
 * The block page: an HTML template (TemplateDir/LANG/BLOCKED, the c-icap
 * template layout) with %{NAME} placeholders replaced by HTML-escaped
 * values, or a JSON object for API clients. Every value comes from the
 * network or the policy, so all of it is escaped.
 */
#include "config.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc.h"

static const char default_template[] =
"<!DOCTYPE html>\n"
"<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
"<title>Blocked by policy</title></head>\n"
"<body style=\"font-family: sans-serif; max-width: 46em; margin: 3em auto\">\n"
"<h1>This transfer was blocked</h1>\n"
"<p>%{REASON}</p>\n"
"<table>\n"
"<tr><th align=\"left\">URL</th><td>%{URL}</td></tr>\n"
"<tr><th align=\"left\">Rule</th><td>%{RULE}</td></tr>\n"
"<tr><th align=\"left\">Category</th><td>%{CATEGORY}</td></tr>\n"
"<tr><th align=\"left\">User</th><td>%{USER}</td></tr>\n"
"<tr><th align=\"left\">Client</th><td>%{CLIENT}</td></tr>\n"
"<tr><th align=\"left\">Time</th><td>%{TIME}</td></tr>\n"
"<tr><th align=\"left\">Incident</th><td>%{INCIDENT}</td></tr>\n"
"</table>\n"
"<p>If you need this for your work, contact your administrator and quote the incident id.</p>\n"
"</body></html>\n";

const char *
blockpage_default_template(void)
{
	return default_template;
}

struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 err;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *ns;
	size_t ncap;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = (b->len + n + 1) * 2;
		if ((ns = realloc(b->s, ncap)) == NULL) {
			b->err = 1;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_html(struct sbuf *b, const char *v)
{
	const char *p;

	if (v == NULL || *v == '\0')
		v = "-";
	for (p = v; *p != '\0'; p++) {
		switch (*p) {
		case '<':
			sb_add(b, "&lt;", 4);
			break;
		case '>':
			sb_add(b, "&gt;", 4);
			break;
		case '&':
			sb_add(b, "&amp;", 5);
			break;
		case '"':
			sb_add(b, "&quot;", 6);
			break;
		case '\'':
			sb_add(b, "&#39;", 5);
			break;
		default:
			sb_add(b, p, 1);
		}
	}
}

static void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
field(const struct block_info *bi, const char *name, size_t len, char *tbuf,
    size_t tlen)
{
	static const struct { const char *n; size_t off; } map[] = {
		{ "REASON", offsetof(struct block_info, reason) },
		{ "RULE", offsetof(struct block_info, rule) },
		{ "CATEGORY", offsetof(struct block_info, category) },
		{ "URL", offsetof(struct block_info, url) },
		{ "USER", offsetof(struct block_info, user) },
		{ "CLIENT", offsetof(struct block_info, client_ip) },
		{ "INCIDENT", offsetof(struct block_info, incident) }
	};
	size_t i;

	if (len == 4 && strncmp(name, "TIME", 4) == 0) {
		fmt_time(bi->when, tbuf, tlen);
		return tbuf;
	}
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strlen(map[i].n) == len && strncmp(map[i].n, name, len) == 0)
			return *(const char *const *)((const char *)bi + map[i].off);
	return NULL;
}

/*
 * Render tmpl (NULL: the built-in page). Unknown placeholders are kept as
 * they are. Returns a malloc'd string or NULL when out of memory.
 */
char *
blockpage_html(const char *tmpl, const struct block_info *bi, size_t *len)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	const char *p, *q, *e, *v;
	char tbuf[32];

	p = tmpl ? tmpl : default_template;
	sb_add(&b, "", 0);
	while ((q = strstr(p, "%{")) != NULL) {
		sb_add(&b, p, q - p);
		if ((e = strchr(q + 2, '}')) == NULL || e - q > 20) {
			sb_add(&b, q, 2);
			p = q + 2;
			continue;
		}
		v = field(bi, q + 2, e - q - 2, tbuf, sizeof tbuf);
		if (v != NULL || (e - q == 10 && strncmp(q + 2, "CATEGORY", 8) == 0))
			sb_html(&b, v);
		else
			sb_add(&b, q, e - q + 1);
		p = e + 1;
	}
	sb_add(&b, p, strlen(p));
	if (b.err) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return b.s;
}

/* The JSON block body; malloc'd, NULL when out of memory. */
char *
blockpage_json(const struct block_info *bi, size_t *len)
{
	char reason[512], rule[256], cat[256], url[4096], user[512], ip[128];
	char inc[64], t[32], *s;
	int n;

	audit_json_string(reason, sizeof reason, bi->reason);
	audit_json_string(rule, sizeof rule, bi->rule);
	audit_json_string(cat, sizeof cat, bi->category);
	audit_json_string(url, sizeof url, bi->url);
	audit_json_string(user, sizeof user, bi->user);
	audit_json_string(ip, sizeof ip, bi->client_ip);
	audit_json_string(inc, sizeof inc, bi->incident);
	fmt_time(bi->when, t, sizeof t);
	n = asprintf(&s, "{\"blocked\":true,\"reason\":%s,\"rule\":%s,"
	    "\"category\":%s,\"url\":%s,\"user\":%s,\"client_ip\":%s,"
	    "\"time\":\"%s\",\"incident\":%s}\n", reason, rule, cat, url, user,
	    ip, t, inc);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

/* Does an Accept header prefer JSON over HTML? */
bool
blockpage_wants_json(const char *accept)
{
	const char *j, *h;

	if (accept == NULL || (j = strcasestr(accept, "application/json")) == NULL)
		return false;
	h = strcasestr(accept, "text/html");
	return h == NULL || j < h;
}

/* Templates per language, loaded once in post-init (as the c-icap user). */
struct tmplset {
	char	lang[16][16];
	char	*text[16];
	size_t	 n;
};

static char *
tmpl_read(const char *path)
{
	FILE *f;
	char *s;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((s = malloc(65536 + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(s, 1, 65536, f);
	fclose(f);
	s[n] = '\0';
	return s;
}

/*
 * Load DIR/LANG/BLOCKED for every LANG directory (at most 16). Returns a
 * set (possibly empty) the caller frees with blockpage_set_free.
 */
struct tmplset *
blockpage_set_load(const char *dir)
{
	struct tmplset *ts;
	DIR *d;
	struct dirent *de;
	char path[4096];

	if ((ts = calloc(1, sizeof *ts)) == NULL)
		return NULL;
	if (dir == NULL || (d = opendir(dir)) == NULL)
		return ts;
	while ((de = readdir(d)) != NULL && ts->n < 16) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof ts->lang[0])
			continue;
		snprintf(path, sizeof path, "%s/%s/BLOCKED", dir, de->d_name);
		if ((ts->text[ts->n] = tmpl_read(path)) == NULL)
			continue;
		memcpy(ts->lang[ts->n], de->d_name, strlen(de->d_name) + 1);
		ts->n++;
	}
	closedir(d);
	return ts;
}

static const char *
tmpl_find(const struct tmplset *ts, const char *lang, size_t len)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (strlen(ts->lang[i]) == len && strncasecmp(ts->lang[i], lang, len) == 0)
			return ts->text[i];
	return NULL;
}

/* The template for an Accept-Language value: first listed language, then en. */
const char *
blockpage_set_pick(const struct tmplset *ts, const char *accept_language)
{
	const char *p = accept_language, *t;
	size_t len;

	if (ts == NULL)
		return NULL;
	while (p != NULL && *p != '\0') {
		p += strspn(p, " ,");
		len = strcspn(p, ",;");
		if (len > 0 && (t = tmpl_find(ts, p, len)) != NULL)
			return t;
		if (len > 0 && (t = tmpl_find(ts, p, strcspn(p, "-,;"))) != NULL)
			return t;
		p = strchr(p, ',');
	}
	return tmpl_find(ts, "en", 2);
}

void
blockpage_set_free(struct tmplset *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->n; i++)
		free(ts->text[i]);
	free(ts);
}
