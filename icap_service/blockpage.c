/*
 * The block page: an HTML template (TemplateDir/LANG/BLOCKED, the c-icap
 * template layout) with %{NAME} placeholders, or a JSON object for API
 * clients.
 *
 * The page says in a sentence what happened ("A payment card number was
 * found in this upload."), in the template's language, and keeps the
 * engines' wording as a detail line. The sentence is derived here from
 * what the glue knows (the kind of block, the direction, the findings),
 * so the glue fills fields and never writes prose.
 *
 * Every value comes from the network, the policy or the configuration, so
 * all of it is escaped, '%' included: no "%{" from a URL or a user name
 * can look like a placeholder, and an unknown placeholder renders as
 * nothing, so no "%{" ever reaches a page.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cause.h"
#include "slurp.h"
#include "svc.h"

#define TMPL_MAX	65536	/* bytes of one template */
#define TMPL_LANGS	16

/*
 * The sentences, per language. Keys: "title", "head.transfer" and
 * "head.request" (a request without a body, such as a page), "noun.*",
 * "found.<finding>" (one %s: the direction's noun), "uninspectable",
 * "failed" and "policy" (one %s each), "review", "contact".
 */
struct msg {
	const char	*lang;
	const char	*key;
	const char	*text;
};

static const struct msg msgs[] = {
	{ "en", "title", "Blocked by your organization's policy" },
	{ "en", "head.transfer", "This transfer was blocked" },
	{ "en", "head.request", "This page was blocked" },
	{ "en", "noun.upload", "upload" },
	{ "en", "noun.download", "download" },
	{ "en", "noun.request", "page" },
	{ "en", "found.credit_card",
	  "A payment card number was found in this %s." },
	{ "en", "found.us_ssn",
	  "A US social security number was found in this %s." },
	{ "en", "found.iban",
	  "A bank account number (IBAN) was found in this %s." },
	{ "en", "found.dict",
	  "Text your organization treats as confidential was found in this "
	  "%s." },
	{ "en", "found.malware", "Malware was found in this %s." },
	{ "en", "found.hash",
	  "This %s is a file your organization has blocked." },
	{ "en", "found.filetype",
	  "This type of file is not allowed in this %s." },
	{ "en", "found.other",
	  "Content your organization does not allow was found in this %s." },
	{ "en", "uninspectable",
	  "This %s could not be inspected (it may be encrypted, damaged or too "
	  "large), and what cannot be inspected is blocked." },
	{ "en", "failed",
	  "This %s could not be inspected because of a technical problem, and "
	  "what cannot be inspected is blocked." },
	{ "en", "policy",
	  "Your organization's policy does not allow this %s." },
	{ "en", "review", "Request a review" },
	{ "en", "contact", "your IT help desk" },

	{ "de", "title", "Durch die Richtlinie Ihrer Organisation blockiert" },
	{ "de", "head.transfer", "Diese Übertragung wurde blockiert" },
	{ "de", "head.request", "Diese Seite wurde blockiert" },
	{ "de", "noun.upload", "Upload" },
	{ "de", "noun.download", "Download" },
	{ "de", "noun.request", "Aufruf" },
	{ "de", "found.credit_card",
	  "In diesem %s wurde eine Kreditkartennummer gefunden." },
	{ "de", "found.us_ssn",
	  "In diesem %s wurde eine US-Sozialversicherungsnummer gefunden." },
	{ "de", "found.iban",
	  "In diesem %s wurde eine Kontonummer (IBAN) gefunden." },
	{ "de", "found.dict",
	  "In diesem %s wurde Text gefunden, den Ihre Organisation als "
	  "vertraulich einstuft." },
	{ "de", "found.malware", "In diesem %s wurde Schadsoftware gefunden." },
	{ "de", "found.hash",
	  "Dieser %s ist eine Datei, die Ihre Organisation gesperrt hat." },
	{ "de", "found.filetype",
	  "Dieser Dateityp ist in diesem %s nicht erlaubt." },
	{ "de", "found.other",
	  "In diesem %s wurden Inhalte gefunden, die Ihre Organisation nicht "
	  "erlaubt." },
	{ "de", "uninspectable",
	  "Dieser %s konnte nicht geprüft werden (er ist vielleicht "
	  "verschlüsselt, beschädigt oder zu groß); was nicht geprüft "
	  "werden kann, wird blockiert." },
	{ "de", "failed",
	  "Dieser %s konnte wegen eines technischen Problems nicht geprüft "
	  "werden; was nicht geprüft werden kann, wird blockiert." },
	{ "de", "policy",
	  "Die Richtlinie Ihrer Organisation erlaubt diesen %s nicht." },
	{ "de", "review", "Überprüfung anfordern" },
	{ "de", "contact", "Ihren IT-Helpdesk" },

	{ "fr", "title", "Bloqué par la politique de votre organisation" },
	{ "fr", "head.transfer", "Ce transfert a été bloqué" },
	{ "fr", "head.request", "Cette page a été bloquée" },
	{ "fr", "found.credit_card",
	  "Un numéro de carte de paiement a été trouvé dans %s." },
	{ "fr", "found.us_ssn",
	  "Un numéro de sécurité sociale américain a été trouvé dans "
	  "%s." },
	{ "fr", "found.iban",
	  "Un numéro de compte bancaire (IBAN) a été trouvé dans %s." },
	{ "fr", "found.dict",
	  "Un texte que votre organisation considère comme confidentiel a "
	  "été trouvé dans %s." },
	{ "fr", "found.malware",
	  "Un logiciel malveillant a été trouvé dans %s." },
	{ "fr", "found.hash",
	  "Le fichier de %s fait partie des fichiers bloqués par votre "
	  "organisation." },
	{ "fr", "found.filetype",
	  "Ce type de fichier n'est pas autorisé dans %s." },
	{ "fr", "found.other",
	  "Un contenu que votre organisation n'autorise pas a été trouvé "
	  "dans %s." },
	{ "fr", "uninspectable",
	  "Le contenu de %s n'a pas pu être inspecté (il est peut-être "
	  "chiffré, endommagé ou trop volumineux) ; ce qui ne peut pas être "
	  "inspecté est bloqué." },
	{ "fr", "failed",
	  "Le contenu de %s n'a pas pu être inspecté à cause d'un problème "
	  "technique ; ce qui ne peut pas être inspecté est bloqué." },
	{ "fr", "policy",
	  "La politique de votre organisation n'autorise pas %s." },
	{ "fr", "noun.upload", "cet envoi" },
	{ "fr", "noun.download", "ce téléchargement" },
	{ "fr", "noun.request", "cette page" },
	{ "fr", "review", "Demander un réexamen" },
	{ "fr", "contact", "votre support informatique" },
};

/* Is m's language lang, or lang a region of it ("de-CH", "de_AT")? */
static bool
msg_lang(const struct msg *m, const char *lang)
{
	size_t	n = strlen(m->lang);

	return lang != NULL && strncasecmp(m->lang, lang, n) == 0 &&
	    (lang[n] == '\0' || lang[n] == '-' || lang[n] == '_');
}

/* The sentence for key in lang, else in English; never NULL. */
static const char *
msg_get(const char *lang, const char *key)
{
	const struct msg	*m, *en = NULL;

	for (m = msgs; m < msgs + sizeof msgs / sizeof msgs[0]; m++) {
		if (strcmp(m->key, key) != 0)
			continue;
		if (msg_lang(m, lang))
			return m->text;
		if (strcmp(m->lang, "en") == 0)
			en = m;
	}
	return en != NULL ? en->text : "";
}

/* Languages with sentences of their own; a template in another gets English. */
bool
blockpage_lang_known(const char *lang)
{
	const struct msg	*m;

	for (m = msgs; m < msgs + sizeof msgs / sizeof msgs[0]; m++)
		if (msg_lang(m, lang))
			return true;
	return false;
}

static const char default_template[] =
"<!DOCTYPE html>\n"
"<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
"<title>%{TITLE}</title></head>\n"
"<body style=\"font-family: sans-serif; max-width: 46em; margin: 3em auto\">\n"
"%{LOGO}<p>%{ORGANIZATION}</p>\n"
"<h1>%{HEADLINE}</h1>\n"
"<p>%{MESSAGE}</p>\n"
"<p><small>%{DETAIL}</small></p>\n"
"<table>\n"
"<tr><th align=\"left\">URL</th><td>%{URL}</td></tr>\n"
"<tr><th align=\"left\">Rule</th><td>%{RULE}</td></tr>\n"
"<tr><th align=\"left\">Category</th><td>%{CATEGORY}</td></tr>\n"
"<tr><th align=\"left\">User</th><td>%{USER}</td></tr>\n"
"<tr><th align=\"left\">Client</th><td>%{CLIENT}</td></tr>\n"
"<tr><th align=\"left\">Time</th><td>%{TIME}</td></tr>\n"
"<tr><th align=\"left\">Incident</th><td>%{INCIDENT}</td></tr>\n"
"</table>\n"
"<p>If you need this for your work, contact %{CONTACT} and quote the incident "
    "id.</p>\n"
"<p>%{REVIEW}</p>\n"
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
	char	*ns;
	size_t	 ncap;

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
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* v escaped for HTML text and attribute values; '%' too (see the top). */
static void
sb_html(struct sbuf *b, const char *v)
{
	const char	*p;

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
		case '%':
			sb_add(b, "&#37;", 5);
			break;
		default:
			sb_add(b, p, 1);
		}
	}
}

/* v percent-encoded for a URL query (RFC 3986 unreserved kept). */
static void
sb_urlenc(struct sbuf *b, const char *v)
{
	static const char	hex[] = "0123456789ABCDEF";
	char			e[3];

	for (; v != NULL && *v != '\0'; v++) {
		if (isalnum((unsigned char)*v) || strchr("-._~", *v) != NULL)
			sb_add(b, v, 1);
		else {
			e[0] = '%';
			e[1] = hex[(unsigned char)*v >> 4];
			e[2] = hex[(unsigned char)*v & 15];
			sb_add(b, e, 3);
		}
	}
}

static void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* The finding a page names: the most severe, the first of equals. */
static const struct engine_finding *
worst_finding(const struct block_info *bi)
{
	const struct engine_finding	*w = NULL;
	size_t				 i;

	for (i = 0; bi->findings != NULL && i < bi->nfindings; i++)
		if (w == NULL || bi->findings[i].severity > w->severity)
			w = &bi->findings[i];
	return w;
}

static const char *
dir_word(const struct block_info *bi)
{
	if (bi->direction == ENGINE_DOWNLOAD)
		return "download";
	return bi->bodiless ? "request" : "upload";
}

/* The key of the sentence for what the engines found. */
static const char *
finding_key(const struct engine_finding *f)
{
	if (f == NULL || f->engine == NULL)
		return "found.other";
	if (strcmp(f->engine, "dlp") == 0) {
		if (strcmp(f->type, "credit_card") == 0)
			return "found.credit_card";
		if (strcmp(f->type, "us_ssn") == 0)
			return "found.us_ssn";
		if (strcmp(f->type, "iban") == 0)
			return "found.iban";
		if (strncmp(f->type, "dict:", 5) == 0)
			return "found.dict";
		return "found.other";
	}
	if (strcmp(f->engine, "malware") == 0)
		return "found.malware";
	if (strcmp(f->engine, "hash") == 0)
		return "found.hash";
	if (strcmp(f->engine, "filetype") == 0)
		return "found.filetype";
	return "found.other";
}

/*
 * Without the findings (a retry answered from the verdict cache keeps only
 * the reason), the key from the engines' reason: "dlp: credit_card x1 ...".
 */
static const char *
reason_key(const char *reason)
{
	struct engine_finding	 f;
	char			 engine[16];
	size_t			 n;

	memset(&f, 0, sizeof f);
	if (reason == NULL || (n = strcspn(reason, ":")) == 0 ||
	    n >= sizeof engine || reason[n] != ':')
		return "found.other";
	memcpy(engine, reason, n);
	engine[n] = '\0';
	f.engine = engine;
	reason += n + 1 + strspn(reason + n + 1, " ");
	n = strcspn(reason, " ");
	if (n >= sizeof f.type)
		n = sizeof f.type - 1;
	memcpy(f.type, reason, n);
	return finding_key(&f);
}

/*
 * The sentence that says what happened, in lang: the policy rule's own
 * reason when it has one, else one derived from the kind and the worst
 * finding. Written into buf.
 */
void
blockpage_message(const struct block_info *bi, const char *lang, char *buf,
    size_t len)
{
	char		 noun[64];
	const char	*key;

	snprintf(noun, sizeof noun, "noun.%s", dir_word(bi));
	switch (bi->kind) {
	case BLOCK_FOUND:
		key = finding_key(worst_finding(bi));
		if (bi->nfindings == 0)
			key = reason_key(bi->reason);
		break;
	case BLOCK_UNINSPECTABLE:
		key = "uninspectable";
		break;
	case BLOCK_FAILED:
		key = "failed";
		break;
	case BLOCK_POLICY:
		if (nonempty(bi->reason) != NULL) {
			snprintf(buf, len, "%s", bi->reason);
			return;
		}
		key = "policy";
		break;
	default:
		/* Not said: the reason as given, as pages did before kinds. */
		snprintf(buf, len, "%s", nonempty(bi->reason) != NULL ?
		    bi->reason : msg_get(lang, "title"));
		return;
	}
	/* Every sentence of the table has exactly one %s (unit-tested). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, len, msg_get(lang, key), msg_get(lang, noun));
#pragma GCC diagnostic pop
}

/*
 * The detail line under the sentence: the engines' own words (masked
 * samples only), or the rule that blocked. Empty for a policy block whose
 * reason is already the sentence.
 */
static void
detail(const struct block_info *bi, char *buf, size_t len)
{
	buf[0] = '\0';
	if (bi->kind == BLOCK_UNSPECIFIED)
		return;
	if (bi->kind == BLOCK_POLICY) {
		if (nonempty(bi->rule) != NULL)
			snprintf(buf, len, "policy rule %s", bi->rule);
		return;
	}
	if (nonempty(bi->reason) != NULL)
		snprintf(buf, len, "%s", bi->reason);
}

/* The review link with {incident}, {url} and {rule} filled in, encoded. */
static void
review_url(const struct block_info *bi, struct sbuf *b)
{
	static const struct { const char *name; size_t off; } vars[] = {
		{ "{incident}", offsetof(struct block_info, incident) },
		{ "{url}", offsetof(struct block_info, url) },
		{ "{rule}", offsetof(struct block_info, rule) },
	};
	const char *p = bi->conf->review_url;
	size_t i, n;

	while (*p != '\0') {
		for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			n = strlen(vars[i].name);
			if (strncmp(p, vars[i].name, n) == 0)
				break;
		}
		if (i < sizeof vars / sizeof vars[0]) {
			sb_urlenc(b, *(const char *const *)((const char *)bi +
			    vars[i].off));
			p += strlen(vars[i].name);
		} else
			sb_add(b, p++, 1);
	}
}

static const char *
conf_str(const struct block_info *bi, size_t off)
{
	if (bi->conf == NULL)
		return NULL;
	return nonempty(*(char *const *)((const char *)bi->conf + off));
}

/*
 * What a template can name; "raw" ones are HTML made here from escaped values.
 */
enum field {
	F_TITLE, F_HEADLINE, F_MESSAGE, F_DETAIL, F_REASON, F_URL, F_RULE,
	F_CATEGORY, F_USER, F_CLIENT, F_TIME, F_INCIDENT, F_ORGANIZATION,
	F_CONTACT, F_LOGO, F_REVIEW, F_REVIEW_URL, F_LANG
};

static const struct {
	const char	*name;
	enum field	 f;
} fields[] = {
	{ "TITLE", F_TITLE }, { "HEADLINE", F_HEADLINE }, { "MESSAGE",
	  F_MESSAGE },
	{ "DETAIL", F_DETAIL }, { "REASON", F_REASON }, { "URL", F_URL },
	{ "RULE", F_RULE }, { "CATEGORY", F_CATEGORY }, { "USER", F_USER },
	{ "CLIENT", F_CLIENT }, { "TIME", F_TIME }, { "INCIDENT", F_INCIDENT },
	{ "ORGANIZATION", F_ORGANIZATION }, { "CONTACT", F_CONTACT },
	{ "LOGO", F_LOGO }, { "REVIEW", F_REVIEW }, { "REVIEW_URL",
	  F_REVIEW_URL },
	{ "LANG", F_LANG }
};

/* Fields about the transaction say "-" when unknown (no user: no login). */
static void
sb_value(struct sbuf *b, const char *v)
{
	sb_html(b, nonempty(v) != NULL ? v : "-");
}

static void
render_field(struct sbuf *b, enum field f, const struct block_info *bi,
    const char *lang)
{
	char		 buf[512];
	const char	*v;

	switch (f) {
	case F_TITLE:
		sb_html(b, msg_get(lang, "title"));
		break;
	case F_HEADLINE:
		/*
		 * The sentence below says what and where; the headline stays
		 * short.
		 */
		sb_html(b, msg_get(lang,
		    bi->bodiless ? "head.request" : "head.transfer"));
		break;
	case F_MESSAGE:
		blockpage_message(bi, lang, buf, sizeof buf);
		sb_html(b, buf);
		break;
	case F_DETAIL:
		detail(bi, buf, sizeof buf);
		sb_html(b, buf);
		break;
	case F_REASON:
		sb_value(b, bi->reason);
		break;
	case F_URL:
		sb_value(b, bi->url);
		break;
	case F_RULE:
		sb_value(b, bi->rule);
		break;
	case F_CATEGORY:
		sb_value(b, bi->category);
		break;
	case F_USER:
		sb_value(b, bi->user);
		break;
	case F_CLIENT:
		sb_value(b, bi->client_ip);
		break;
	case F_TIME:
		fmt_time(bi->when, buf, sizeof buf);
		sb_html(b, buf);
		break;
	case F_INCIDENT:
		sb_value(b, bi->incident);
		break;
	case F_ORGANIZATION:
		if ((v = conf_str(bi, offsetof(struct svc_config,
		    organization))) != NULL)
			sb_html(b, v);
		break;
	case F_CONTACT:
		v = conf_str(bi, offsetof(struct svc_config, contact));
		sb_html(b, v != NULL ? v : msg_get(lang, "contact"));
		break;
	case F_LOGO:
		if ((v = conf_str(bi, offsetof(struct svc_config,
		    logo_url))) == NULL)
			break;
		sb_str(b, "<img class=\"logo\" src=\"");
		sb_html(b, v);
		sb_str(b, "\" alt=\"\">");
		break;
	case F_REVIEW:
		if (conf_str(bi, offsetof(struct svc_config,
		    review_url)) == NULL)
			break;
		sb_str(b, "<a class=\"review\" href=\"");
		render_field(b, F_REVIEW_URL, bi, lang);
		sb_str(b, "\">");
		sb_html(b, msg_get(lang, "review"));
		sb_str(b, "</a>");
		break;
	case F_REVIEW_URL:
		if (conf_str(bi, offsetof(struct svc_config,
		    review_url)) != NULL) {
			struct sbuf u = { NULL, 0, 0, 0 };

			review_url(bi, &u);
			if (!u.err && u.s != NULL)
				sb_html(b, u.s);
			b->err |= u.err;
			free(u.s);
		}
		break;
	case F_LANG:
		sb_html(b, lang);
		break;
	}
}

/*
 * Render tmpl (NULL: the built-in page) in lang (the template's language,
 * NULL: English). Unknown placeholders render as nothing. Returns a
 * malloc'd string or NULL when out of memory.
 */
char *
blockpage_render_lang(const char *tmpl, const char *lang,
    const struct block_info *bi, size_t *len)
{
	struct sbuf	 b = { NULL, 0, 0, 0 };
	const char	*p, *q, *e;
	size_t		 i, n;

	p = tmpl ? tmpl : default_template;
	if (lang == NULL)
		lang = "en";
	sb_add(&b, "", 0);
	while ((q = strstr(p, "%{")) != NULL) {
		sb_add(&b, p, q - p);
		if ((e = strchr(q + 2, '}')) == NULL || e - q > 24) {
			sb_add(&b, "&#37;{", 6);
			p = q + 2;
			continue;
		}
		n = e - q - 2;
		for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
			if (strlen(fields[i].name) == n &&
			    strncmp(fields[i].name, q + 2, n) == 0)
				break;
		if (i < sizeof fields / sizeof fields[0])
			render_field(&b, fields[i].f, bi, lang);
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

/* Render tmpl in English; see blockpage_render_lang. */
char *
blockpage_html(const char *tmpl, const struct block_info *bi, size_t *len)
{
	return blockpage_render_lang(tmpl, "en", bi, len);
}

/* The JSON block body; malloc'd, NULL when out of memory. */
char *
blockpage_json(const struct block_info *bi, size_t *len)
{
	char		 reason[512], rule[256], cat[256], url[4096], user[512],
	    ip[128];
	char		 inc[64], t[32], msg[512], msgj[1024], det[512],
	    detj[1024];
	char		 org[512], contact[512], *s;
	struct sbuf	 r = { NULL, 0, 0, 0 };
	char		*review;
	int		 n;

	audit_json_string(reason, sizeof reason, bi->reason);
	audit_json_string(rule, sizeof rule, bi->rule);
	audit_json_string(cat, sizeof cat, bi->category);
	audit_json_string(url, sizeof url, bi->url);
	audit_json_string(user, sizeof user, bi->user);
	audit_json_string(ip, sizeof ip, bi->client_ip);
	audit_json_string(inc, sizeof inc, bi->incident);
	blockpage_message(bi, "en", msg, sizeof msg);
	audit_json_string(msgj, sizeof msgj, msg);
	detail(bi, det, sizeof det);
	audit_json_string(detj, sizeof detj, nonempty(det));
	audit_json_string(org, sizeof org,
	    conf_str(bi, offsetof(struct svc_config, organization)));
	audit_json_string(contact, sizeof contact,
	    conf_str(bi, offsetof(struct svc_config, contact)));
	if (conf_str(bi, offsetof(struct svc_config, review_url)) != NULL)
		review_url(bi, &r);
	if (r.err) {
		free(r.s);
		return NULL;
	}
	if ((review = malloc(2 * r.len + 16)) == NULL) {
		free(r.s);
		return NULL;
	}
	audit_json_string(review, 2 * r.len + 16, r.s);
	free(r.s);
	fmt_time(bi->when, t, sizeof t);
	n = asprintf(&s, "{\"blocked\":true,\"message\":%s,\"detail\":%s,"
	    "\"reason\":%s,\"rule\":%s,\"category\":%s,\"url\":%s,\"user\":%s,"
	    "\"client_ip\":%s,\"time\":\"%s\",\"incident\":%s,"
	    "\"organization\":%s,\"contact\":%s,\"review_url\":%s}\n",
	    msgj, detj, reason, rule, cat, url, user, ip, t, inc, org, contact,
	    review);
	free(review);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

/* Does an Accept header prefer JSON over HTML? */
bool
blockpage_wants_json(const char *accept)
{
	const char	*j, *h;

	if (accept == NULL || (j = strcasestr(accept,
	    "application/json")) == NULL)
		return false;
	h = strcasestr(accept, "text/html");
	return h == NULL || j < h;
}

/* Templates per language, loaded once in post-init (as the c-icap user). */
struct tmplset {
	char	 lang[TMPL_LANGS][16];
	char	*text[TMPL_LANGS];
	size_t	 n;
};

/*
 * Load DIR/LANG/BLOCKED for every LANG directory (at most 16). Returns a
 * set (possibly empty) the caller frees with blockpage_set_free. A
 * template that is there but cannot be used (larger than 64 KiB, or
 * unreadable) is left out, and *cause names the first such file, so that
 * an admin learns why that language gets another one.
 */
struct tmplset *
blockpage_set_load(const char *dir, char **cause)
{
	struct tmplset	*ts;
	DIR		*d;
	struct dirent	*de;
	char		 path[4096], *why = NULL;
	size_t		 len;

	if ((ts = calloc(1, sizeof *ts)) == NULL)
		return NULL;
	if (dir == NULL || (d = opendir(dir)) == NULL)
		return ts;
	while ((de = readdir(d)) != NULL && ts->n < TMPL_LANGS) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= sizeof ts->lang[0])
			continue;
		snprintf(path, sizeof path, "%s/%s/BLOCKED", dir, de->d_name);
		if (access(path, F_OK) != 0)
			continue;
		if ((ts->text[ts->n] = slurp_file(path, TMPL_MAX, &len,
		    why == NULL ? &why : NULL)) == NULL)
			continue;
		memcpy(ts->lang[ts->n], de->d_name, strlen(de->d_name) + 1);
		ts->n++;
	}
	closedir(d);
	if (why != NULL) {
		cause_set(cause, "block page template %s (the limit is %d "
		    "bytes); that language is not used", why, TMPL_MAX);
		free(why);
	}
	return ts;
}

/* The index of the template for a language range, or -1. */
static int
tmpl_find(const struct tmplset *ts, const char *lang, size_t len)
{
	size_t	i;

	for (i = 0; i < ts->n; i++)
		if (strlen(ts->lang[i]) == len && strncasecmp(ts->lang[i], lang,
		    len) == 0)
			return (int)i;
	return -1;
}

/* The q value of one Accept-Language entry (";q=0.5"); 1 when absent. */
static double
lang_q(const char *p, size_t len)
{
	const char	*q;

	for (q = p; q < p + len; q++)
		if (*q == ';') {
			q++;
			q += strspn(q, " ");
			if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=')
				return strtod(q + 2, NULL);
		}
	return 1.0;
}

/*
 * The template index for an Accept-Language value: the available language
 * with the highest q (the first of equals), a region falling back to its
 * language ("de-CH" to "de"); English when none is acceptable. -1 when
 * there is no template at all.
 */
static int
tmpl_pick(const struct tmplset *ts, const char *accept_language)
{
	const char	*p = accept_language;
	double		 q, bestq = 0;
	size_t		 len, tag;
	int		 i, best = -1;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ,");
		len = strcspn(p, ",");
		tag = strcspn(p, ";, ");
		q = lang_q(p, len);
		if (tag > 0 && q > bestq) {
			if ((i = tmpl_find(ts, p, tag)) < 0)
				i = tmpl_find(ts, p, strcspn(p, "-_;, "));
			if (i < 0 && tag == 1 && *p == '*')
				i = tmpl_find(ts, "en", 2);
			if (i >= 0) {
				best = i;
				bestq = q;
			}
		}
		p += len;
	}
	if (best < 0)
		best = tmpl_find(ts, "en", 2);
	return best;
}

/* The template for an Accept-Language value (see tmpl_pick), or NULL. */
const char *
blockpage_set_pick(const struct tmplset *ts, const char *accept_language)
{
	int	i;

	if (ts == NULL || (i = tmpl_pick(ts, accept_language)) < 0)
		return NULL;
	return ts->text[i];
}

/*
 * The whole page for a request: the template Accept-Language picks from
 * ts (the built-in English page when there is none), rendered in its
 * language. malloc'd, NULL when out of memory.
 */
char *
blockpage_render(const struct tmplset *ts, const char *accept_language,
    const struct block_info *bi, size_t *len)
{
	int	i = ts != NULL ? tmpl_pick(ts, accept_language) : -1;

	if (i < 0)
		return blockpage_render_lang(NULL, "en", bi, len);
	return blockpage_render_lang(ts->text[i], ts->lang[i], bi, len);
}

void
blockpage_set_free(struct tmplset *ts)
{
	size_t	i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->n; i++)
		free(ts->text[i]);
	free(ts);
}
