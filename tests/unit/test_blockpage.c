/* Unit tests for the block page and the audit line (blockpage.c, audit.c). */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <unistd.h>

#include "svc_test.h"

static struct block_info
info(void)
{
	struct block_info	bi;

	memset(&bi, 0, sizeof bi);
	bi.reason = "Card number <found> & \"quoted\"";
	bi.rule = "no-cards";
	bi.url = "https://x.test/a?b=<script>alert('x')</script>";
	bi.user = "alice";
	bi.client_ip = "10.1.2.3";
	bi.incident = "00ff00ff00ff00ff";
	bi.when = 1700000000;
	return bi;
}

START_TEST(html_escapes_everything)
{
	struct block_info	 bi = info();
	size_t			 len;
	char			*s = blockpage_html(NULL, &bi, &len);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	ck_assert_ptr_null(strstr(s, "<script>"));
	ck_assert_ptr_nonnull(strstr(s, "&lt;script&gt;alert(&#39;x&#39;)"));
	ck_assert_ptr_nonnull(strstr(s,
	    "Card number &lt;found&gt; &amp; &quot;quoted&quot;"));
	ck_assert_ptr_nonnull(strstr(s, "00ff00ff00ff00ff"));
	ck_assert_ptr_nonnull(strstr(s, "2023-11-14T22:13:20Z"));
	ck_assert_ptr_nonnull(strstr(s, "<td>-</td>"));	/* no category */
	ck_assert_ptr_nonnull(strstr(s, "<td>alice</td>"));
	ck_assert_ptr_null(strstr(s, "%{"));
	free(s);
}
END_TEST

START_TEST(custom_template)
{
	struct block_info	 bi = info();
	size_t			 len;
	char			*s =
	    blockpage_html("R=%{RULE} U=%{USER} %{NOPE} %{ 50%", &bi, &len);

	/* An unknown placeholder is dropped, an unclosed one defused. */
	ck_assert_str_eq(s, "R=no-cards U=alice  &#37;{ 50%");
	free(s);
}
END_TEST

/* No login at the proxy: the page says "-", never the placeholder. */
START_TEST(no_user)
{
	struct block_info	 bi = info();
	size_t			 len;
	char			*s;

	bi.user = NULL;
	s = blockpage_html("U=%{USER} C=%{CATEGORY} R=%{RULE}", &bi, &len);
	ck_assert_str_eq(s, "U=- C=- R=no-cards");
	free(s);
	bi.user = "";
	s = blockpage_html("U=%{USER}", &bi, &len);
	ck_assert_str_eq(s, "U=-");
	free(s);
}
END_TEST

static char *
srcfile(const char *rel)
{
	const char	*top = getenv("top_srcdir");
	char		*p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", top ? top : "..", rel), 0);
	return p;
}

static struct engine_finding findings[3];

static void
set_finding(size_t i, const char *engine, const char *type, int sev,
    const char *sample)
{
	memset(&findings[i], 0, sizeof findings[i]);
	findings[i].engine = engine;
	snprintf(findings[i].type, sizeof findings[i].type, "%s", type);
	findings[i].count = 1;
	findings[i].severity = sev;
	snprintf(findings[i].sample, sizeof findings[i].sample, "%s", sample);
}

/* What the page says, as a person would, for each kind of block. */
static const struct {
	enum block_kind		 kind;
	enum engine_direction	 dir;
	bool			 bodiless;
	const char		*engine, *type, *reason, *lang;
	const char		*headline, *message, *detail;
} sentences[] = {
	{ BLOCK_FOUND, ENGINE_UPLOAD, false, "dlp", "credit_card",
	  "dlp: credit_card x1 (************1111)", "en",
	  "This transfer was blocked",
	  "A payment card number was found in this upload.",
	  "dlp: credit_card x1 (************1111)" },
	{ BLOCK_FOUND, ENGINE_DOWNLOAD, false, "dlp", "us_ssn",
	  "dlp: us_ssn x1", "en",
	  "This transfer was blocked",
	  "A US social security number was found in this download.",
	  "dlp: us_ssn x1" },
	{ BLOCK_FOUND, ENGINE_UPLOAD, false, "dlp", "iban", "x", "en", NULL,
	  "A bank account number (IBAN) was found in this upload.", NULL },
	{ BLOCK_FOUND, ENGINE_UPLOAD, false, "dlp", "dict:projects", "x", "en",
	  NULL,
	  "Text your organization treats as confidential was found in this "
	  "upload.", NULL },
	{ BLOCK_FOUND, ENGINE_DOWNLOAD, false, "malware",
	  "Eicar-Test-Signature",
	  "malware: Eicar-Test-Signature x1", "en", NULL,
	  "Malware was found in this download.",
	  "malware: Eicar-Test-Signature x1" },
	{ BLOCK_FOUND, ENGINE_DOWNLOAD, false, "hash", "sha256", "x", "en",
	  NULL,
	  "This download is a file your organization has blocked.", NULL },
	{ BLOCK_FOUND, ENGINE_DOWNLOAD, false, "filetype", "pe", "x", "en",
	  NULL,
	  "This type of file is not allowed in this download.", NULL },
	{ BLOCK_FOUND, ENGINE_DOWNLOAD, false, "future", "thing", "x", "en",
	  NULL,
	  "Content your organization does not allow was found in this "
	  "download.", NULL },
	{ BLOCK_UNINSPECTABLE, ENGINE_DOWNLOAD, false, NULL, NULL,
	  "encrypted archive",
	  "en", NULL,
	  "This download could not be inspected (it may be encrypted, "
	  "damaged or too large), and what cannot be inspected is blocked.",
	  "encrypted archive" },
	{ BLOCK_FAILED, ENGINE_UPLOAD, false, NULL, NULL, "inspection failed",
	  "en",
	  NULL,
	  "This upload could not be inspected because of a technical problem, "
	  "and what cannot be inspected is blocked.", "inspection failed" },
	{ BLOCK_POLICY, ENGINE_UPLOAD, true, NULL, NULL,
	  "This site is not allowed",
	  "en", "This page was blocked", "This site is not allowed",
	  "policy rule no-cards" },
	{ BLOCK_POLICY, ENGINE_UPLOAD, true, NULL, NULL, NULL, "en", NULL,
	  "Your organization's policy does not allow this page.", NULL },
	{ BLOCK_FOUND, ENGINE_UPLOAD, false, "dlp", "credit_card", "x", "de",
	  "Diese Übertragung wurde blockiert",
	  "In diesem Upload wurde eine Kreditkartennummer gefunden.", NULL },
	{ BLOCK_FOUND, ENGINE_DOWNLOAD, false, "malware", "x", "x", "de-AT",
	  "Diese Übertragung wurde blockiert",
	  "In diesem Download wurde Schadsoftware gefunden.", NULL },
	{ BLOCK_FOUND, ENGINE_UPLOAD, false, "dlp", "credit_card", "x", "fr",
	  "Ce transfert a été bloqué",
	  "Un numéro de carte de paiement a été trouvé dans cet envoi.",
	  NULL },
	{ BLOCK_FOUND, ENGINE_UPLOAD, false, "dlp", "credit_card", "x", "es",
	  "This transfer was blocked",
	  "A payment card number was found in this upload.", NULL },
	{ BLOCK_UNSPECIFIED, ENGINE_UPLOAD, false, NULL, NULL, "as given", "en",
	  NULL,
	  "as given", "" },
	/* No findings (a cached verdict): the sentence from the reason. */
	{ BLOCK_FOUND, ENGINE_DOWNLOAD, false, NULL, NULL,
	  "malware: Eicar-Test-Signature x1 (transfer cut off)", "en", NULL,
	  "Malware was found in this download.", NULL },
	{ BLOCK_FOUND, ENGINE_UPLOAD, false, NULL, NULL,
	  "dlp: us_ssn x2 (***-**-1234)", "en", NULL,
	  "A US social security number was found in this upload.", NULL },
	{ BLOCK_FOUND, ENGINE_UPLOAD, false, NULL, NULL, "odd", "en", NULL,
	  "Content your organization does not allow was found in this "
	  "upload.", NULL },
};

START_TEST(sentence)
{
	struct block_info	 bi = info();
	size_t			 len;
	char			*s, msg[512];

	bi.kind = sentences[_i].kind;
	bi.direction = sentences[_i].dir;
	bi.bodiless = sentences[_i].bodiless;
	bi.reason = sentences[_i].reason;
	if (sentences[_i].engine != NULL) {
		/* less severe: not named */
		set_finding(0, "dlp", "iban", 1, "");
		set_finding(1, sentences[_i].engine, sentences[_i].type, 4, "");
		bi.findings = findings;
		bi.nfindings = 2;
	}
	blockpage_message(&bi, sentences[_i].lang, msg, sizeof msg);
	ck_assert_str_eq(msg, sentences[_i].message);
	s = blockpage_render_lang("H=%{HEADLINE}|D=%{DETAIL}|",
	    sentences[_i].lang,
	    &bi, &len);
	if (sentences[_i].headline != NULL)
		ck_assert_msg(strncmp(s + 2, sentences[_i].headline,
		    strlen(sentences[_i].headline)) == 0, "%s", s);
	if (sentences[_i].detail != NULL) {
		ck_assert_ptr_nonnull(strstr(s, "|D="));
		ck_assert_msg(strncmp(strstr(s, "|D=") + 3,
		    sentences[_i].detail,
		    strlen(sentences[_i].detail)) == 0, "%s", s);
	}
	free(s);
}
END_TEST

/*
 * Whatever the kind, the language, the template and the values (a URL or
 * user that looks like a placeholder), no "%{" reaches a page and every
 * template renders with a sentence.
 */
START_TEST(no_placeholder_leaks)
{
	static const char *const langs[] = { "en", "de", "fr", "es", NULL };
	static const char *const accept[] = { "en", "de-DE,de;q=0.9", "fr",
	    "es", NULL };
	struct block_info bi = info();
	struct svc_config c;
	struct tmplset *ts;
	char *dir = srcfile("icap_service/templates"), *s, *cause = NULL;
	size_t len, i, k;

	ts = blockpage_set_load(dir, NULL);
	ck_assert_ptr_nonnull(blockpage_set_pick(ts, "de"));
	ck_assert_ptr_nonnull(strstr(blockpage_set_pick(ts, "de"), "Vorfall"));
	svcconf_defaults(&c);
	bi.url = "https://x.test/%{USER}?q=%{";
	bi.user = "%{INCIDENT}";
	set_finding(0, "dlp", "credit_card", 4, "************1111");
	bi.findings = findings;
	bi.nfindings = 1;
	for (k = BLOCK_UNSPECIFIED; k <= BLOCK_FAILED; k++) {
		bi.kind = (enum block_kind)k;
		for (i = 0; accept[i] != NULL; i++) {
			bi.conf = i % 2 ? &c : NULL;
			s = blockpage_render(ts, accept[i], &bi, &len);
			ck_assert_ptr_nonnull(s);
			ck_assert_msg(strstr(s, "%{") == NULL, "%s", s);
			ck_assert_ptr_null(strstr(s, "(null)"));
			ck_assert_ptr_nonnull(strstr(s, "&#37;{USER}"));
			free(s);
		}
		for (i = 0; langs[i] != NULL; i++) {
			s = blockpage_render_lang(NULL, langs[i], &bi, &len);
			ck_assert_ptr_null(strstr(s, "%{"));
			free(s);
		}
	}
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("ReviewUrl"),
	    "https://help.test/r?i={incident}", &cause), 0);
	bi.conf = &c;
	s = blockpage_render(ts, "fr", &bi, &len);
	ck_assert_ptr_nonnull(strstr(s, "<html lang=\"fr\">"));
	ck_assert_ptr_nonnull(strstr(s, ">Demander un réexamen</a>"));
	ck_assert_ptr_null(strstr(s, "%{"));
	free(s);
	svcconf_free(&c);
	blockpage_set_free(ts);
	free(dir);
}
END_TEST

/* Organization, logo, contact and the review link, all escaped. */
START_TEST(branding)
{
	struct block_info	 bi = info();
	struct svc_config	 c;
	char			*s, *cause = NULL;
	size_t			 len;
	const char		*t =
	    "%{LOGO}|%{ORGANIZATION}|%{CONTACT}|%{REVIEW}";

	s = blockpage_html(t, &bi, &len);
	ck_assert_str_eq(s, "||your IT help desk|");
	free(s);
	svcconf_defaults(&c);
	bi.conf = &c;
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("OrganizationName"),
	    "Example & Co", &cause), 0);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("LogoUrl"),
	    "https://intra.test/logo.png", &cause), 0);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("Contact"),
	    "the service desk <x1234>", &cause), 0);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("ReviewUrl"),
	    "https://help.test/review?incident={incident}&url={url}&rule={rule"
	    "}", &cause), 0);
	bi.url = "https://x.test/a b?c=d&e";
	s = blockpage_html(t, &bi, &len);
	ck_assert_str_eq(s,
	    "<img class=\"logo\" src=\"https://intra.test/logo.png\" alt=\"\">|"
	    "Example &amp; Co|the service desk &lt;x1234&gt;|"
	    "<a class=\"review\" "
	    "href=\"https://help.test/review?incident=00ff00ff00ff00ff"
	    "&amp;url=https&#37;3A&#37;2F&#37;2Fx.test&#37;2Fa&#37;20b&#37;3Fc&"
	    "#37;3Dd&#37;26e"
	    "&amp;rule=no-cards\">Request a review</a>");
	free(s);
	s = blockpage_json(&bi, &len);
	ck_assert_ptr_nonnull(strstr(s, "\"organization\":\"Example & Co\""));
	ck_assert_ptr_nonnull(strstr(s,
	    "\"review_url\":\"https://help.test/review?"
	    "incident=00ff00ff00ff00ff&url=https%3A%2F%2Fx.test%2Fa%20b%3Fc%3Dd"
	    "%26e&rule=no-cards\""));
	free(s);
	/* Only links a browser follows safely; one attribute value. */
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("LogoUrl"),
	    "javascript:alert(1)", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "LogoUrl"));
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("ReviewUrl"),
	    "https://a.test/\"onx=1", &cause), -1);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("LogoUrl"),
	    "mailto:x@y.test", &cause), -1);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("ReviewUrl"),
	    "mailto:it@y.test", &cause), 0);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("LogoUrl"), "", &cause),
	    0);
	free(cause);
	svcconf_free(&c);
}
END_TEST

/* Accept-Language: the highest q among the languages there are. */
START_TEST(language_pick)
{
	static const struct { const char *accept, *want; } rows[] = {
		{ "fr-CA,fr;q=0.9", "fr" }, { "de, fr", "de" },
		{ "fr;q=0.5, de;q=0.9", "de" }, { "de-CH", "de" },
		{ "xx", "en" }, { NULL, "en" }, { "", "en" },
		{ "fr;q=0, de;q=0.1", "de" }, { "fr;q=0", "en" },
		{ "*;q=0.5, fr;q=0.4", "en" }, { "es, fr;q=0.2", "fr" },
		{ " de ; q=0.3 , fr ; q=0.2", "de" },
	};
	char dir[] = "/tmp/svc-tmpl.XXXXXX", path[256];
	static const char *const langs[] = { "en", "de", "fr" };
	struct tmplset *ts;
	size_t i;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, langs[i]);
		mkdir(path, 0755);
		snprintf(path, sizeof path, "%s/%s/BLOCKED", dir, langs[i]);
		f = fopen(path, "w");
		fputs(langs[i], f);
		fclose(f);
	}
	ts = blockpage_set_load(dir, NULL);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		ck_assert_msg(strcmp(blockpage_set_pick(ts, rows[i].accept),
		    rows[i].want) == 0, "%s: %s",
		    rows[i].accept ? rows[i].accept : "NULL",
		    blockpage_set_pick(ts, rows[i].accept));
	blockpage_set_free(ts);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s/BLOCKED", dir, langs[i]);
		unlink(path);
		snprintf(path, sizeof path, "%s/%s", dir, langs[i]);
		rmdir(path);
	}
	rmdir(dir);
}
END_TEST

START_TEST(json_page)
{
	struct block_info	 bi = info();
	size_t			 len;
	char			*s;

	bi.reason = "line\nbreak \"q\" \\";
	s = blockpage_json(&bi, &len);
	ck_assert_ptr_nonnull(strstr(s,
	    "\"reason\":\"line\\u000abreak \\\"q\\\" \\\\\""));
	ck_assert_ptr_nonnull(strstr(s, "\"category\":null"));
	ck_assert_ptr_nonnull(strstr(s, "\"incident\":\"00ff00ff00ff00ff\""));
	ck_assert_ptr_nonnull(strstr(s, "\"blocked\":true"));
	free(s);
	ck_assert(blockpage_wants_json("application/json"));
	ck_assert(blockpage_wants_json("application/json, text/html;q=0.5"));
	ck_assert(!blockpage_wants_json("text/html,application/json;q=0.9"));
	ck_assert(!blockpage_wants_json("*/*"));
	ck_assert(!blockpage_wants_json(NULL));
}
END_TEST

/* DIR/LANG/BLOCKED holding len bytes of text (repeated). */
static void
put_template(const char *dir, const char *lang, const char *text, size_t len)
{
	char	 path[256];
	FILE	*f;
	size_t	 i;

	snprintf(path, sizeof path, "%s/%s", dir, lang);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	if (text == NULL)
		return;
	snprintf(path, sizeof path, "%s/%s/BLOCKED", dir, lang);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (i = 0; i < len; i++)
		fputc(text[i % strlen(text)], f);
	fclose(f);
}

START_TEST(template_sets)
{
	static const char *const langs[] = { "en", "fr", "de", "it", "es" };
	char		 dir[] = "/tmp/svc-tmpl.XXXXXX", path[256];
	char		*cause = NULL;
	struct tmplset	*ts;
	size_t		 i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	put_template(dir, "en", "english", 7);
	put_template(dir, "fr", "francais", 8);
	/* One byte over the limit: left out, and said why. */
	put_template(dir, "de", "d", 65537);
	/* At the limit: whole. */
	put_template(dir, "it", "i", 65536);
	/* A directory without a template is not a problem. */
	put_template(dir, "es", NULL, 0);
	ts = blockpage_set_load(dir, &cause);
	ck_assert_str_eq(blockpage_set_pick(ts, "fr-CA,fr;q=0.9"), "francais");
	ck_assert_str_eq(blockpage_set_pick(ts, "de, fr"), "francais");
	ck_assert_str_eq(blockpage_set_pick(ts, "de"), "english");
	ck_assert_str_eq(blockpage_set_pick(ts, "es"), "english");
	ck_assert_str_eq(blockpage_set_pick(ts, NULL), "english");
	ck_assert_uint_eq(strlen(blockpage_set_pick(ts, "it")), 65536);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, "/de/BLOCKED: too large") != NULL &&
	    strstr(cause, "65536") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	blockpage_set_free(ts);
	for (i = 0; i < sizeof langs / sizeof langs[0]; i++) {
		snprintf(path, sizeof path, "%s/%s/BLOCKED", dir, langs[i]);
		unlink(path);
		snprintf(path, sizeof path, "%s/%s", dir, langs[i]);
		rmdir(path);
	}
	ck_assert_int_eq(rmdir(dir), 0);
	ts = blockpage_set_load("/nonexistent", &cause);
	ck_assert_ptr_null(cause);
	ck_assert_ptr_null(blockpage_set_pick(ts, "en"));
	blockpage_set_free(ts);
}
END_TEST

START_TEST(audit_line)
{
	struct engine_finding	 fi[2];
	struct audit_record	 r;
	size_t			 len;
	char			*s, inc[20];

	memset(fi, 0, sizeof fi);
	fi[0].engine = "dlp";
	strcpy(fi[0].type, "credit_card");
	fi[0].count = 2;
	fi[0].severity = 4;
	strcpy(fi[0].sample, "************1111");
	memset(&r, 0, sizeof r);
	r.when = 1700000000;
	r.client_ip = "10.0.0.1";
	r.method = "POST";
	r.host = "x.test";
	r.path = "/up\"load";
	r.direction = ENGINE_UPLOAD;
	r.verdict = "block";
	r.rule = "default";
	r.findings = fi;
	r.nfindings = 1;
	r.bytes = 123;
	r.msec = 4;
	audit_incident(inc, sizeof inc);
	ck_assert_uint_eq(strlen(inc), 16);
	r.incident = inc;
	s = audit_format(&r, &len);
	ck_assert_int_eq(s[len - 1], '\n');
	ck_assert_ptr_nonnull(strstr(s, "\"path\":\"/up\\\"load\""));
	ck_assert_ptr_nonnull(strstr(s, "\"user\":null"));
	ck_assert_ptr_nonnull(strstr(s, "\"direction\":\"upload\""));
	ck_assert_ptr_nonnull(strstr(s,
	    "\"findings\":[{\"engine\":\"dlp\",\"type\":\"credit_card\","
	    "\"count\":2,\"severity\":4,\"sample\":\"************1111\"}]"));
	ck_assert_ptr_nonnull(strstr(s, "\"bytes\":123,\"ms\":4"));
	free(s);
}
END_TEST

static Suite *
blockpage_suite(void)
{
	Suite	*s = suite_create("blockpage");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, html_escapes_everything);
	tcase_add_test(tc, custom_template);
	tcase_add_test(tc, no_user);
	tcase_add_loop_test(tc, sentence, 0,
	    sizeof sentences / sizeof sentences[0]);
	tcase_add_test(tc, no_placeholder_leaks);
	tcase_add_test(tc, branding);
	tcase_add_test(tc, language_pick);
	tcase_add_test(tc, json_page);
	tcase_add_test(tc, template_sets);
	tcase_add_test(tc, audit_line);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(blockpage_suite)
