/* Unit tests for the block page and the audit line (blockpage.c, audit.c). */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <unistd.h>

#include "svc_test.h"

static struct block_info
info(void)
{
	struct block_info bi;

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
	struct block_info bi = info();
	size_t len;
	char *s = blockpage_html(NULL, &bi, &len);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	ck_assert_ptr_null(strstr(s, "<script>"));
	ck_assert_ptr_nonnull(strstr(s, "&lt;script&gt;alert(&#39;x&#39;)"));
	ck_assert_ptr_nonnull(strstr(s, "Card number &lt;found&gt; &amp; &quot;quoted&quot;"));
	ck_assert_ptr_nonnull(strstr(s, "00ff00ff00ff00ff"));
	ck_assert_ptr_nonnull(strstr(s, "2023-11-14T22:13:20Z"));
	ck_assert_ptr_nonnull(strstr(s, "<td>-</td>"));	/* no category */
	ck_assert_ptr_null(strstr(s, "%{"));
	free(s);
}
END_TEST

START_TEST(custom_template)
{
	struct block_info bi = info();
	size_t len;
	char *s = blockpage_html("R=%{RULE} U=%{USER} %{NOPE} %{ 50%", &bi, &len);

	ck_assert_str_eq(s, "R=no-cards U=alice %{NOPE} %{ 50%");
	free(s);
}
END_TEST

START_TEST(json_page)
{
	struct block_info bi = info();
	size_t len;
	char *s;

	bi.reason = "line\nbreak \"q\" \\";
	s = blockpage_json(&bi, &len);
	ck_assert_ptr_nonnull(strstr(s, "\"reason\":\"line\\u000abreak \\\"q\\\" \\\\\""));
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

START_TEST(template_sets)
{
	char dir[] = "/tmp/svc-tmpl.XXXXXX", path[256];
	struct tmplset *ts;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/en", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/en/BLOCKED", dir);
	f = fopen(path, "w");
	fputs("english", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/fr", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/fr/BLOCKED", dir);
	f = fopen(path, "w");
	fputs("francais", f);
	fclose(f);
	ts = blockpage_set_load(dir);
	ck_assert_str_eq(blockpage_set_pick(ts, "fr-CA,fr;q=0.9"), "francais");
	ck_assert_str_eq(blockpage_set_pick(ts, "de, fr"), "francais");
	ck_assert_str_eq(blockpage_set_pick(ts, "de"), "english");
	ck_assert_str_eq(blockpage_set_pick(ts, NULL), "english");
	blockpage_set_free(ts);
	unlink(path);
	snprintf(path, sizeof path, "%s/fr", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/en/BLOCKED", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/en", dir);
	rmdir(path);
	rmdir(dir);
	ts = blockpage_set_load("/nonexistent");
	ck_assert_ptr_null(blockpage_set_pick(ts, "en"));
	blockpage_set_free(ts);
}
END_TEST

START_TEST(audit_line)
{
	struct engine_finding fi[2];
	struct audit_record r;
	size_t len;
	char *s, inc[20];

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
	ck_assert_ptr_nonnull(strstr(s, "\"findings\":[{\"engine\":\"dlp\",\"type\":\"credit_card\","
	    "\"count\":2,\"severity\":4,\"sample\":\"************1111\"}]"));
	ck_assert_ptr_nonnull(strstr(s, "\"bytes\":123,\"ms\":4"));
	free(s);
}
END_TEST

static Suite *
blockpage_suite(void)
{
	Suite *s = suite_create("blockpage");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, html_escapes_everything);
	tcase_add_test(tc, custom_template);
	tcase_add_test(tc, json_page);
	tcase_add_test(tc, template_sets);
	tcase_add_test(tc, audit_line);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(blockpage_suite)
