/*
 * Unit tests for the policy file (policy_load.c), the decision function
 * (policy.c) and host lists (hostlist.c): decisions as a table of rows,
 * errors as a table of files and messages, and the key tables walked.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "svc_test.h"
#include "filetype.h"
#include "manpage.h"
#include "policy_int.h"

static char listfile[64];

static const char policy_text[] =
"version: 1\n"
"lists:\n"
"  social: LISTFILE\n"
"groups:\n"
"  finance: [alice, bob]\n"
"profiles:\n"
"  strict: { dlp: on, malware: on, card_threshold: 3, blocked_types: [pe, elf] "
    "}\n"
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
	char		*text, *p, *cause = NULL;
	struct policy	*pol;
	FILE		*f;
	size_t		 n;

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
	static char	url[300];

	memset(f, 0, sizeof *f);
	snprintf(url, sizeof url, "https://%s/x", host);
	f->host = host;
	f->url = url;
	f->method = dir == ENGINE_UPLOAD ? "POST" : "GET";
	f->direction = dir;
	f->size = -1;
}

START_TEST(decide_db_categories)
{
	static const char	 y[] =
	    "rules:\n"
	    "  - name: no-gambling\n"
	    "    action: block\n"
	    "    reason: Gambling\n"
	    "    match: { category: [gambling, sports-betting] }\n"
	    "  - name: banks\n"
	    "    action: allow\n"
	    "    match: { category: finance }\n";
	struct policy		*p;
	struct policy_decision	 d;
	struct policy_facts	 f;
	char			*cause = NULL;

	p = policy_parse(y, sizeof y - 1, "db.yaml", "/", &cause);
	ck_assert_msg(p != NULL, "%s", cause ? cause : "");
	facts(&f, "www.casino.test", ENGINE_DOWNLOAD);
	f.categories = "games,sports-betting";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "no-gambling");
	ck_assert_str_eq(d.category, "sports-betting");
	ck_assert_ptr_nonnull(strstr(d.why, "category sports-betting"));
	f.categories = "finance";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "banks");
	ck_assert_str_eq(d.category, "finance");
	/* Unknown (no database) or in none: no category rule matches. */
	f.categories = NULL;
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	ck_assert_ptr_null(d.category);
	f.categories = "betting";
	policy_decide(p, &f, &d);
	ck_assert_str_eq(d.rule, "default");
	policy_free(p);
}
END_TEST

START_TEST(decide_rules)
{
	struct policy		*p = load_test_policy();
	struct policy_decision	 d;
	struct policy_facts	 f;

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
	struct policy		*p = load_test_policy();
	struct policy_decision	 d;
	struct policy_facts	 f;

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
	struct policy		*p = load_test_policy();
	struct policy_decision	 d;
	struct policy_facts	 f;

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
	struct policy		*p = load_test_policy();
	struct policy_decision	 d;
	struct policy_facts	 f;

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
	char		*cause = NULL;
	struct policy	*p;

	p = policy_parse(text, strlen(text), "bad.yaml", "/", &cause);
	ck_assert_msg(p == NULL, "accepted: %s", text);
	ck_assert_msg(cause != NULL && strstr(cause, want) != NULL,
	    "wanted '%s' in '%s'", want, cause ? cause : "(null)");
	free(cause);
}

START_TEST(errors)
{
	expect_error("rules:\n  - name: x\n    action: explode\n",
	    "bad.yaml:3:13: action");
	expect_error("rules:\n  - name: x\n    action: block\n    colour: "
	    "red\n",
	    "bad.yaml:4:5: unknown key 'colour'");
	expect_error("rules: [\n", "bad.yaml:2:1:");
	expect_error("rules:\n  - name: x\n    action: block\n    match: { "
	    "category: 'no pe' }\n",
	    "unknown category 'no pe': not under lists:");
	expect_error("rules:\n  - name: x\n    action: inspect\n    profile: "
	    "missing\n",
	    "bad.yaml:4:14: unknown profile");
	expect_error("rules:\n  - action: block\n", "rule needs a name");
	expect_error("lists:\n  x: /nonexistent/list\n",
	    "bad.yaml:2:6: list 'x'");
	expect_error("rules:\n  - name: x\n    action: block\n    match: { "
	    "client_ip: 10.0.0.0/33 }\n",
	    "bad address");
	expect_error("rules:\n  - name: x\n    action: block\n    match: { "
	    "url_regex: '(' }\n",
	    "bad url_regex");
	expect_error("version: 2\n", "unsupported version");
	expect_error("- a\n- b\n", "expected a mapping");
	expect_error("", "empty policy");
	expect_error("profiles: { p: { card_threshold: lots } }\n",
	    "expected a number");
	/* fuzz_policy: an unquoted "!video/" is an empty value, tagged. */
	expect_error("rules:\n  - name: x\n    action: allow\n    match: { "
	    "content_type: [!video/, text/] }\n",
	    "bad.yaml:4:29: YAML tag !video/: quote a value that begins "
	    "with !");
	expect_error("rules:\n  - name: x\n    action: allow\n    match: { "
	    "content_type: ['', text/] }\n",
	    "bad.yaml:4:29: empty value");
	expect_error("rules:\n  - name: x\n    action: allow\n    match: { "
	    "method: '' }\n", "empty value");
}
END_TEST

/*
 * A url_regex whose repetitions glibc would expand into gigabytes is
 * refused before regcomp: the first one is what fuzz_policy found
 * (tests/fuzz/corpus/policy/crash-url-regex-stacked-plus.yaml): stacked
 * '+' double the compiled size each, and after a '*' cost quadratic time
 * too; nested intervals multiply. Real patterns with repetitions still
 * load.
 */
START_TEST(url_regex_size)
{
	static const char *const refused[] = {
		"'^https:/++++++++++++++++++++++++++++++++++++++-/[^/]+/a/'",
		"'((a{255}){255}){50}'",
		"'x{2000}'",
		"'(a{,1000}){,100}'",
		"'a*++++++++++++'",
		"'a{2}{3}'",
		"'(a|b{100}|c)+{60}'",
		"'((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))"
		    "))))))))))'",
	};
	static const char *const accepted[] = {
		"'^https://([a-z0-9-]+\\.){1,10}example\\.test/[0-9]{4}/'",
		"'^https?://[^/]+/[[:alnum:]_]{1,64}(/[^/]*){0,20}$'",
		"'(a+)+b*c?'",
		"'x{1999}'",
		"'a{,}b[]{5}]\\{7}'",
	};
	struct policy	*p;
	char		 text[512], *cause = NULL;
	size_t		 i;

	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		snprintf(text, sizeof text, "rules:\n  - name: x\n    action: "
		    "block\n    match: { url_regex: %s }\n", refused[i]);
		expect_error(text, "bad.yaml:4:25: url_regex is too large once "
		    "its repetitions are expanded");
	}
	for (i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
		snprintf(text, sizeof text, "rules:\n  - name: x\n    action: "
		    "block\n    match: { url_regex: %s }\n", accepted[i]);
		p = policy_parse(text, strlen(text), "ok.yaml", "/", &cause);
		ck_assert_msg(p != NULL, "refused %s: %s", accepted[i], cause);
		policy_free(p);
	}
}
END_TEST

/* What an admin gets wrong, and what the message must say. */
static const struct {
	const char	*text;
	const char	*want;
} admin_errors[] = {
	{ "profiles: { p: { blocked_types: [pe, msi] } }\n",
	  "bad.yaml:1:33: unknown file type 'msi': types are found from the "
	  "content, not the name; use 'ole'" },
	{ "profiles: { p: { blocked_types: [exe] } }\n", "use 'pe'" },
	{ "profiles: { p: { blocked_types: [flobs] } }\n",
	  "unknown file type 'flobs' (a type or a group" },
	{ "rules:\n  - name: x\n    action: block\n    match: { file_type: "
	  "[docx] }\n",
	  "bad.yaml:4:25: unknown file type 'docx'" },
	{ "rules:\n  - name: x\n    action: block\n  - name: x\n    action: "
	  "allow\n",
	  "bad.yaml:4:11: duplicate rule name 'x' (rule 1 has it too)" },
	{ "rules:\n  - name: default\n    action: block\n",
	  "the name 'default' is the default rule's" },
	{ "rules:\n  - name: x\n    action: block\n    match: { host: a.test, "
	  "host: b.test }\n",
	  "bad.yaml:4:28: duplicate key 'host'" },
	{ "rules:\n  - name: x\n    action: block\n    match: { user: [] }\n",
	  "bad.yaml:4:20: empty list" },
	{ "rules:\n  - name: x\n    action: block\n    match: { hosts: "
	  "[a.test] }\n",
	  "unknown key 'hosts' in match (known: category, host, url_regex" },
	{ "profiles: { p: { dlp: on, clamav: off } }\n",
	  "unknown key 'clamav' in a profile (known: dlp, malware" },
	{ "rules:\n  - name: x\n    action: block\n    match: { size_min: 10M, "
	  "size_max: 1M }\n",
	  "size_min is larger than size_max" },
	{ "default: { action: block, match: { host: a.test } }\n",
	  "the default rule has no match" },
	{ "rules:\n  - name: x\n", "bad.yaml:2:5: missing action" },
	{ "profiles: { p: { dlp: maybe } }\n",
	  "bad.yaml:1:23: expected on or off" },
	{ "groups: { g: [a], g: [b] }\n", "duplicate key 'g'" },
};

START_TEST(admin_error)
{
	expect_error(admin_errors[_i].text, admin_errors[_i].want);
}
END_TEST

/*
 * The decision table: one policy, one row per request. Groups of types
 * match as a file_type, and a pending rule is reported as such.
 */
static const char table_policy[] =
"version: 1\n"
"groups: { finance: [alice] }\n"
"profiles:\n"
"  strict: { blocked_types: [executable, ole] }\n"
"rules:\n"
"  - { name: bank, match: { host: [.bank.test] }, action: allow }\n"
"  - { name: no-exe, match: { direction: download, file_type: [executable] }, "
    "action: block }\n"
"  - { name: no-zip-up, match: { direction: upload, file_type: archive, "
    "size_min: 1K }, action: block }\n"
"  - { name: finance, match: { group: finance }, action: inspect, profile: "
    "strict }\n"
"  - { name: lab, match: { client_ip: 10.0.0.0/8, method: [PUT] }, action: "
    "monitor }\n"
"default: { action: inspect }\n";

static const struct {
	const char	*host;
	enum engine_direction dir;
	const char	*user, *ip, *method, *type;
	int64_t		 size;
	const char	*rule;
	enum policy_action action;
	bool		 pending;
} table_rows[] = {
	{ "www.bank.test", ENGINE_DOWNLOAD, NULL, NULL, "GET", NULL, -1, "bank",
	  POLICY_ALLOW, false },
	{ "x.test", ENGINE_DOWNLOAD, NULL, NULL, "GET", NULL, 10, "default",
	  POLICY_INSPECT, true },
	{ "x.test", ENGINE_DOWNLOAD, NULL, NULL, "GET", "pe", 10, "no-exe",
	  POLICY_BLOCK, false },
	{ "x.test", ENGINE_DOWNLOAD, NULL, NULL, "GET", "elf", 10, "no-exe",
	  POLICY_BLOCK, false },
	{ "x.test", ENGINE_DOWNLOAD, NULL, NULL, "GET", "lnk", 10, "no-exe",
	  POLICY_BLOCK, false },
	{ "x.test", ENGINE_DOWNLOAD, NULL, NULL, "GET", "pdf", 10, "default",
	  POLICY_INSPECT, false },
	{ "x.test", ENGINE_DOWNLOAD, NULL, NULL, "GET", "iso9660-image", 10,
	  "default", POLICY_INSPECT, false },
	{ "x.test", ENGINE_UPLOAD, NULL, NULL, "POST", "zip", 4096, "no-zip-up",
	  POLICY_BLOCK, false },
	{ "x.test", ENGINE_UPLOAD, NULL, NULL, "POST", "7z", 4096, "no-zip-up",
	  POLICY_BLOCK, false },
	{ "x.test", ENGINE_UPLOAD, NULL, NULL, "POST", "zip", 100, "default",
	  POLICY_INSPECT, false },
	{ "x.test", ENGINE_UPLOAD, NULL, NULL, "POST", NULL, -1, "default",
	  POLICY_INSPECT, true },
	{ "x.test", ENGINE_UPLOAD, NULL, NULL, "GET", NULL, 0, "default",
	  POLICY_INSPECT, false },
	{ "x.test", ENGINE_UPLOAD, "alice", NULL, "POST", "text", 10, "finance",
	  POLICY_INSPECT, false },
	{ "x.test", ENGINE_UPLOAD, NULL, "10.1.2.3", "PUT", "text", 10, "lab",
	  POLICY_MONITOR, false },
	{ "x.test", ENGINE_UPLOAD, NULL, "10.1.2.3", "POST", "text", 10,
	  "default", POLICY_INSPECT, false },
	{ "x.test", ENGINE_UPLOAD, NULL, "11.1.2.3", "PUT", "text", 10,
	  "default", POLICY_INSPECT, false },
};

START_TEST(decision_table)
{
	struct policy_decision	 d;
	struct policy_facts	 f;
	struct policy		*p;
	char			*cause = NULL;

	p = policy_parse(table_policy, strlen(table_policy), "t.yaml", "/",
	    &cause);
	ck_assert_msg(p != NULL, "%s", cause ? cause : "");
	facts(&f, table_rows[_i].host, table_rows[_i].dir);
	f.user = table_rows[_i].user;
	f.client_ip = table_rows[_i].ip;
	f.method = table_rows[_i].method;
	f.true_type = table_rows[_i].type;
	f.size = table_rows[_i].size;
	policy_decide(p, &f, &d);
	ck_assert_msg(strcmp(d.rule, table_rows[_i].rule) == 0,
	    "row %d: rule %s, want %s (%s)", _i, d.rule, table_rows[_i].rule,
	    d.why);
	ck_assert_int_eq(d.action, table_rows[_i].action);
	ck_assert_msg(d.pending == table_rows[_i].pending, "row %d: pending",
	    _i);
	if (strcmp(d.rule, "finance") == 0) {
		ck_assert_str_eq(d.profile->blocked_types[0], "executable");
		ck_assert_str_eq(d.profile->blocked_types[1], "ole");
		ck_assert_ptr_null(d.profile->blocked_types[2]);
	}
	policy_free(p);
}
END_TEST

/*
 * The key tables drive parsing: every key parses with a valid value of
 * its kind (so no key is listed without a parser), and the manual lists
 * every key.
 */
START_TEST(key_tables)
{
	static const char *const sample[] = {
		[PK_HOSTS] = "[a.test]", [PK_CATEGORY] = "[l]",
		[PK_REGEX] = "'^https://'", [PK_CIDRS] = "[10.0.0.0/8]",
		[PK_WORDS] = "[a, b]", [PK_DIRECTION] = "upload",
		[PK_FILETYPES] = "[pe, archive]", [PK_SIZE] = "10M",
		[PK_BOOL] = "on", [PK_COUNT] = "3"
	};
	const struct policy_key *k;
	struct policy *p;
	char text[512], *cause = NULL, keysfile[] = "/tmp/svc-test-keys.XXXXXX";
	int fd;

	fd = mkstemp(keysfile);
	ck_assert_int_ge(fd, 0);
	close(fd);
	for (k = policy_match_keys; k->name != NULL; k++) {
		ck_assert(k->help != NULL && *k->help != '\0');
		snprintf(text, sizeof text, "lists: { l: %s }\nrules:\n"
		    "  - { name: r, action: block, match: { %s: %s } }\n",
		    keysfile, k->name, sample[k->kind]);
		p = policy_parse(text, strlen(text), "k.yaml", "/", &cause);
		ck_assert_msg(p != NULL, "%s: %s", k->name, cause ? cause : "");
		policy_free(p);
	}
	for (k = policy_profile_keys; k->name != NULL; k++) {
		ck_assert(k->help != NULL && *k->help != '\0');
		snprintf(text, sizeof text, "profiles: { p: { %s: %s } }\n",
		    k->name, sample[k->kind]);
		p = policy_parse(text, strlen(text), "k.yaml", "/", &cause);
		ck_assert_msg(p != NULL, "%s: %s", k->name, cause ? cause : "");
		policy_free(p);
	}
	unlink(keysfile);
}
END_TEST

/* Every type and group of the engines' table is a valid name, nothing else. */
START_TEST(filetype_names)
{
	const struct filetype	*ft;
	size_t			 i;

	for (i = 0; (ft = filetype_at(i)) != NULL; i++) {
		ck_assert(policy_filetype_known(ft->name));
		ck_assert(policy_filetype_known(ft->group));
		ck_assert_ptr_null(policy_filetype_hint(ft->name));
	}
	ck_assert(!policy_filetype_known("msi"));
	ck_assert(!policy_filetype_known("exe"));
	ck_assert(!policy_filetype_known(""));
	ck_assert_str_eq(policy_filetype_hint("MSI"), "ole");
}
END_TEST

/* The example policy shipped with the package loads. */
START_TEST(example_policy)
{
	const char	*top = getenv("top_srcdir");
	char		 path[4096], *cause = NULL;
	struct policy	*p;

	snprintf(path, sizeof path, "%s/icap_service/policy.example.yaml",
	    top != NULL ? top : "..");
	p = policy_load(path, &cause);
	ck_assert_msg(p != NULL, "%s", cause ? cause : "");
	policy_free(p);
}
END_TEST

START_TEST(builtin_default)
{
	struct policy		*p = policy_default();
	struct policy_decision	 d;
	struct policy_facts	 f;

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
	char		 host[256];
	const char	*path;

	ck_assert_int_eq(policy_url_host("https://WWW.Ex.test:8443/a/b?c", host,
	    sizeof host, &path), 0);
	ck_assert_str_eq(host, "www.ex.test");
	ck_assert_str_eq(path, "/a/b?c");
	ck_assert_int_eq(policy_url_host("http://u:p@h.test", host, sizeof host,
	    &path), 0);
	ck_assert_str_eq(host, "h.test");
	ck_assert_str_eq(path, "/");
	ck_assert_int_eq(policy_url_host("https://[::1]:443/", host,
	    sizeof host, &path), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(policy_url_host("/local", host, sizeof host, &path),
	    0);
	ck_assert_str_eq(host, "");
	ck_assert_int_eq(policy_url_host("garbage", host, sizeof host, &path),
	    -1);
}
END_TEST

START_TEST(hostlist)
{
	struct hostlist	*hl = hostlist_new();

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

/* sslinspect-policy(1): its options and the policy keys, from the tables. */
START_TEST(manual)
{
	struct manbuf		 b = { NULL, 0 };
	const struct policy_opt	*o;
	const struct policy_key	*k;
	char			 path[512];

	for (o = policy_opts; o->name != NULL; o++) {
		man_add(&b, ".TP\n");
		if (o->shortopt)
			man_add(&b, "\\fB\\-%c\\fR, ", o->shortopt);
		man_add(&b, "\\fB\\-\\-");
		man_text(&b, o->name);
		man_add(&b, "\\fR%s%s%s\n", o->arg ? " \\fI" : "",
		    o->arg ? o->arg : "", o->arg ? "\\fR" : "");
		man_text(&b, o->help);
		if (o->dflt != NULL) {
			man_add(&b, " (default\n.BR ");
			man_text(&b, man_path(o->dflt, path, sizeof path));
			man_add(&b, " )");
		}
		man_add(&b, ".\n");
	}
	man_check("doc/sslinspect-policy.1", "options", b.s);
	free(b.s);
	b.s = NULL;
	b.len = 0;
	for (k = policy_match_keys; k->name != NULL; k++) {
		man_add(&b, ".TP\n.B %s\n", k->name);
		man_text(&b, policy_kind_str(k->kind));
		man_add(&b, ": ");
		man_text(&b, k->help);
		man_add(&b, ".\n");
	}
	man_check("doc/sslinspect-policy.1", "match-keys", b.s);
	free(b.s);
	b.s = NULL;
	b.len = 0;
	for (k = policy_profile_keys; k->name != NULL; k++) {
		man_add(&b, ".TP\n.B %s\n", k->name);
		man_text(&b, policy_kind_str(k->kind));
		man_add(&b, ": ");
		man_text(&b, k->help);
		man_add(&b, ".\n");
	}
	man_check("doc/sslinspect-policy.1", "profile-keys", b.s);
	free(b.s);
}
END_TEST

/*
 * sslinspect-engines(7), FILE TYPES: the groups and their types, in table
 * order.
 */
START_TEST(manual_filetypes)
{
	struct manbuf		 b = { NULL, 0 };
	const struct filetype	*ft, *g;
	size_t			 i, j;

	man_add(&b, ".TS\nl l.\nGroup\tTypes\n");
	for (i = 0; (g = filetype_at(i)) != NULL; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(filetype_at(j)->group, g->group) == 0)
				break;
		if (j < i)
			continue;
		man_add(&b, "%s\t", g->group);
		for (j = i; (ft = filetype_at(j)) != NULL; j++)
			if (strcmp(ft->group, g->group) == 0)
				man_add(&b, "%s%s", j == i ? "" : " ",
				    ft->name);
		man_add(&b, "\n");
	}
	man_add(&b, ".TE\n");
	man_check("doc/sslinspect-engines.7", "file-types", b.s);
	free(b.s);
}
END_TEST

/* The bump snippet's "blocked:" annotation, as Squid sends it. */
START_TEST(tls_block)
{
	struct policy_decision	d;

	ck_assert(policy_tls_block("blocked:no-sni", &d));
	ck_assert_int_eq(d.action, POLICY_BLOCK);
	ck_assert_str_eq(d.rule, "tls:no-sni");
	ck_assert_ptr_nonnull(strstr(d.reason, "no SNI"));
	ck_assert_ptr_nonnull(strstr(d.why, "blocked:no-sni"));
	/* Among other values of the note, in any place. */
	ck_assert(policy_tls_block("bumped:x, blocked:sni-not-connect-host",
	    &d));
	ck_assert_str_eq(d.rule, "tls:sni-not-connect-host");
	/* A reason not known here still blocks, with the generic rule. */
	ck_assert(policy_tls_block("blocked:future-reason", &d));
	ck_assert_str_eq(d.rule, "tls");
	ck_assert(policy_tls_block("blocked:no-snix", &d));
	ck_assert_str_eq(d.rule, "tls");
	ck_assert(!policy_tls_block(NULL, &d));
	ck_assert(!policy_tls_block("", &d));
	ck_assert(!policy_tls_block("bumped:no-sni", &d));
	ck_assert(!policy_tls_block("spliced:no-sni,refused:x", &d));
	ck_assert(!policy_tls_block("blocked", &d));
	ck_assert(!policy_tls_block("xblocked:no-sni", &d));
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite	*s = suite_create("policy");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, decide_rules);
	tcase_add_test(tc, decide_db_categories);
	tcase_add_test(tc, decide_identity);
	tcase_add_test(tc, decide_pending);
	tcase_add_test(tc, decide_method_regex);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, url_regex_size);
	tcase_add_loop_test(tc, admin_error, 0,
	    sizeof admin_errors / sizeof admin_errors[0]);
	tcase_add_loop_test(tc, decision_table, 0,
	    sizeof table_rows / sizeof table_rows[0]);
	tcase_add_test(tc, key_tables);
	tcase_add_test(tc, filetype_names);
	tcase_add_test(tc, example_policy);
	tcase_add_test(tc, manual);
	tcase_add_test(tc, manual_filetypes);
	tcase_add_test(tc, builtin_default);
	tcase_add_test(tc, url_host);
	tcase_add_test(tc, hostlist);
	tcase_add_test(tc, tls_block);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(policy_suite)
