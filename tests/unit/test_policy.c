/* Unit tests for the policy file and the decision function (policy.c, hostlist.c). */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "svc_test.h"

static char listfile[64];

static const char policy_text[] =
"version: 1\n"
"lists:\n"
"  social: LISTFILE\n"
"groups:\n"
"  finance: [alice, bob]\n"
"profiles:\n"
"  strict: { dlp: on, malware: on, card_threshold: 3, blocked_types: [pe, elf] }\n"
"rules:\n"
"  - name: trusted\n"
"    match: { host: [.bank.test] }\n"
"    action: allow\n"
"  - name: social\n"
"    match: { category: social, direction: upload }\n"
"    action: block\n"
"    reason: No uploads to social media\n"
"  - name: finance\n"
"    match: { group: finance }\n"
"    action: inspect\n"
"    profile: strict\n"
"  - name: lab\n"
"    match: { client_ip: [10.20.0.0/16, 'fd00::/8'] }\n"
"    action: monitor\n"
"  - name: exe\n"
"    match: { direction: download, file_type: [pe] }\n"
"    action: block\n"
"  - name: admin-put\n"
"    match: { method: [PUT, DELETE], url_regex: '^https://[^/]+/admin/' }\n"
"    action: block\n"
"  - name: media\n"
"    match: { content_type: [video/], size_min: 10M }\n"
"    action: allow\n"
"default: { action: inspect }\n";

static struct policy *
load_test_policy(void)
{
	char *text, *p, *cause = NULL;
	struct policy *pol;
	FILE *f;
	size_t n;

	strcpy(listfile, "/tmp/svc-test-list.XXXXXX");
	ck_assert_int_ge(mkstemp(listfile), 0);
	f = fopen(listfile, "w");
	fputs("# social sites\n.social.test\nexact.test\n\n", f);
	fclose(f);
	text = malloc(sizeof policy_text + 64);
	p = strstr(policy_text, "LISTFILE");
	n = (size_t)(p - policy_text);
	memcpy(text, policy_text, n);
	sprintf(text + n, "%s%s", listfile, p + 8);
	pol = policy_parse(text, strlen(text), "test.yaml", "/", &cause);
	ck_assert_msg(pol != NULL, "%s", cause ? cause : "");
	free(text);
	unlink(listfile);
	return pol;
}

static void
facts(struct policy_facts *f, const char *host, enum engine_direction dir)
{
	static char url[300];

	memset(f, 0, sizeof *f);
	snprintf(url, sizeof url, "https://%s/x", host);
	f->host = host;
	f->url = url;
	f->method = dir == ENGINE_UPLOAD ? "POST" : "GET";
	f->direction = dir;
	f->size = -1;
}

START_TEST(decide_rules)
{
	struct policy *p = load_test_policy();
	struct policy_decision d;
	struct policy_facts f;

	ck_assert_uint_eq(policy_nrules(p), 7);
	facts(&f, "www.bank.test", ENGINE_UPLOAD);
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "trusted");
	ck_assert_int_eq(d.action, POLICY_ALLOW);

	facts(&f, "a.b.SOCIAL.test.", ENGINE_UPLOAD);
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "social");
	ck_assert_int_eq(d.action, POLICY_BLOCK);
	ck_assert_str_eq(d.category, "social");
	ck_assert_str_eq(d.reason, "No uploads to social media");
	ck_assert_ptr_nonnull(strstr(d.why, "category social"));
	/* A request without a body uploads nothing: browsing is not blocked. */
	f.method = "GET";
	f.size = 0;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	f.size = 1;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "social");

	facts(&f, "sub.exact.test", ENGINE_UPLOAD);
	f.size = 5;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	ck_assert_int_eq(d.action, POLICY_INSPECT);

	facts(&f, "social.test", ENGINE_DOWNLOAD);
	f.size = 5;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	policy_free(p);
}
END_TEST

START_TEST(decide_identity)
{
	struct policy *p = load_test_policy();
	struct policy_decision d;
	struct policy_facts f;

	facts(&f, "x.test", ENGINE_UPLOAD);
	f.user = "Alice";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "finance");
	ck_assert_str_eq(d.profile_name, "strict");
	ck_assert(d.profile->dlp && d.profile->malware);
	ck_assert_uint_eq(d.profile->card_threshold, 3);
	ck_assert_str_eq(d.profile->blocked_types[1], "elf");
	ck_assert_ptr_null(d.profile->blocked_types[2]);
	ck_assert_str_eq(d.why, "group finance (from policy groups)");

	facts(&f, "x.test", ENGINE_UPLOAD);
	f.user = "carol";
	f.groups = "staff, finance";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "finance");
	ck_assert_str_eq(d.why, "group finance (from the proxy)");
	f.groups = "staff,financial";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");

	facts(&f, "x.test", ENGINE_UPLOAD);
	f.client_ip = "10.20.3.4";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "lab");
	ck_assert_int_eq(d.action, POLICY_MONITOR);
	f.client_ip = "10.21.3.4";
	f.size = 1;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	f.client_ip = "fd12::1";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "lab");
	policy_free(p);
}
END_TEST

START_TEST(decide_pending)
{
	struct policy *p = load_test_policy();
	struct policy_decision d;
	struct policy_facts f;

	/* The exe rule needs the true type: pending, default for now. */
	facts(&f, "dl.test", ENGINE_DOWNLOAD);
	f.size = 100;
	policy_decide(p, &f, &d);
	ck_assert(d.pending);
	ck_assert_str_eq(d.rule, "default");
	f.true_type = "pe";
	policy_decide(p, &f, &d);
	ck_assert(!d.pending);
	ck_assert_str_eq(d.rule, "exe");
	ck_assert_int_eq(d.action, POLICY_BLOCK);
	f.true_type = "pdf";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");

	/* Size: media rule. */
	facts(&f, "cdn.test", ENGINE_DOWNLOAD);
	f.true_type = "mp4";
	f.content_type = "video/mp4";
	f.size = 20 << 20;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "media");
	f.size = 1 << 20;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	policy_free(p);
}
END_TEST

START_TEST(decide_method_regex)
{
	struct policy *p = load_test_policy();
	struct policy_decision d;
	struct policy_facts f;

	facts(&f, "app.test", ENGINE_UPLOAD);
	f.url = "https://app.test/admin/users";
	f.method = "put";
	f.size = 1;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "admin-put");
	f.method = "POST";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	policy_free(p);
}
END_TEST

static void
expect_error(const char *text, const char *want)
{
	char *cause = NULL;
	struct policy *p;

	p = policy_parse(text, strlen(text), "bad.yaml", "/", &cause);
	ck_assert_msg(p == NULL, "accepted: %s", text);
	ck_assert_msg(cause != NULL && strstr(cause, want) != NULL,
	    "wanted '%s' in '%s'", want, cause ? cause : "(null)");
	free(cause);
}

START_TEST(errors)
{
	expect_error("rules:\n  - name: x\n    action: explode\n", "bad.yaml:3:13: action");
	expect_error("rules:\n  - name: x\n    action: block\n    colour: red\n",
	    "bad.yaml:4:5: unknown key 'colour'");
	expect_error("rules: [\n", "bad.yaml:2:1:");
	expect_error("rules:\n  - name: x\n    action: block\n    match: { category: nope }\n",
	    "unknown category 'nope'");
	expect_error("rules:\n  - name: x\n    action: inspect\n    profile: missing\n",
	    "bad.yaml:4:14: unknown profile");
	expect_error("rules:\n  - action: block\n", "rule needs a name");
	expect_error("lists:\n  x: /nonexistent/list\n", "bad.yaml:2:6: list 'x'");
	expect_error("rules:\n  - name: x\n    action: block\n    match: { client_ip: 10.0.0.0/33 }\n",
	    "bad address");
	expect_error("rules:\n  - name: x\n    action: block\n    match: { url_regex: '(' }\n",
	    "bad url_regex");
	expect_error("version: 2\n", "unsupported version");
	expect_error("- a\n- b\n", "expected a mapping");
	expect_error("", "empty policy");
	expect_error("profiles: { p: { card_threshold: lots } }\n", "expected a number");
}
END_TEST

START_TEST(builtin_default)
{
	struct policy *p = policy_default();
	struct policy_decision d;
	struct policy_facts f;

	facts(&f, "any.test", ENGINE_DOWNLOAD);
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	ck_assert_int_eq(d.action, POLICY_INSPECT);
	ck_assert_ptr_nonnull(d.profile);
	policy_free(p);
}
END_TEST

START_TEST(url_host)
{
	char host[256];
	const char *path;

	ck_assert_int_eq(policy_url_host("https://WWW.Ex.test:8443/a/b?c", host,
	    sizeof host, &path), 0);
	ck_assert_str_eq(host, "www.ex.test");
	ck_assert_str_eq(path, "/a/b?c");
	ck_assert_int_eq(policy_url_host("http://u:p@h.test", host, sizeof host, &path), 0);
	ck_assert_str_eq(host, "h.test");
	ck_assert_str_eq(path, "/");
	ck_assert_int_eq(policy_url_host("https://[::1]:443/", host, sizeof host, &path), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(policy_url_host("/local", host, sizeof host, &path), 0);
	ck_assert_str_eq(host, "");
	ck_assert_int_eq(policy_url_host("garbage", host, sizeof host, &path), -1);
}
END_TEST

START_TEST(hostlist)
{
	struct hostlist *hl = hostlist_new();

	ck_assert_int_eq(hostlist_add(hl, ".example.com"), 0);
	ck_assert_int_eq(hostlist_add(hl, "Exact.ORG."), 0);
	ck_assert_int_eq(hostlist_add(hl, ""), -1);
	hostlist_seal(hl);
	ck_assert(hostlist_match(hl, "example.com"));
	ck_assert(hostlist_match(hl, "a.b.example.com"));
	ck_assert(!hostlist_match(hl, "badexample.com"));
	ck_assert(hostlist_match(hl, "exact.org"));
	ck_assert(!hostlist_match(hl, "www.exact.org"));
	ck_assert(!hostlist_match(hl, NULL));
	hostlist_free(hl);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, decide_rules);
	tcase_add_test(tc, decide_identity);
	tcase_add_test(tc, decide_pending);
	tcase_add_test(tc, decide_method_regex);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, builtin_default);
	tcase_add_test(tc, url_host);
	tcase_add_test(tc, hostlist);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(policy_suite)
