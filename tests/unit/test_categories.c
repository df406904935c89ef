/*
 * Unit tests for categories/: list parsing and normalisation (catlist.c),
 * the database build and lookups (catdb.c), the reader that follows a
 * replaced file (catwatch.c), the helper's answers (catacl.c) and the
 * programs' option tables (catopts.c): getopt and --help take every
 * option, and the OPTIONS of sslinspect-lists(8) and
 * sslinspect-category-acl(8) are the tables' (tests/unit/manpage.h; make
 * update-man).
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "categories.h"
#include "manpage.h"
#include "unit_test.h"

static char	tmpdir[] = "/tmp/test_categories.XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
}

/* ---- normalisation and parsing ------------------------------------- */

static const struct {
	const char	*in;
	const char	*out;	/* NULL: refused */
	const char	*why;	/* part of the reason when refused */
} host_cases[] = {
	{ "Example.COM", "example.com", NULL },
	{ "example.com.", "example.com", NULL },
	{ ".example.com", "example.com", NULL },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example", NULL },
	{ "b\xc3\xbc" "cher.example", "b\xc3\xbc" "cher.example", NULL },
	{ "_dmarc.example.com", "_dmarc.example.com", NULL },
	{ "192.0.2.1", "192.0.2.1", NULL },
	{ "", NULL, "empty" },
	{ ".", NULL, "empty" },
	{ "a..b", NULL, "empty label" },
	{ "example.com/path", NULL, "a URL" },
	{ "example.com:443", NULL, "':'" },
	{ "*.example.com", NULL, "wildcard" },
	{ "exa mple.com", NULL, "not allowed" },
	{ "a.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".com", NULL, "63" },
};

START_TEST(norm_host)
{
	char		 out[CAT_MAXNAME + 2];
	const char	*why = NULL;
	int		 n;

	n = catlist_norm_host(host_cases[_i].in, strlen(host_cases[_i].in),
	    out, sizeof out, &why);
	if (host_cases[_i].out != NULL) {
		ck_assert_int_eq(n, (int)strlen(host_cases[_i].out));
		ck_assert_str_eq(out, host_cases[_i].out);
	} else {
		ck_assert_int_eq(n, -1);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, host_cases[_i].why) != NULL,
		    "%s: '%s' lacks '%s'", host_cases[_i].in, why,
		    host_cases[_i].why);
	}
}
END_TEST

START_TEST(norm_host_long)
{
	char		 in[300], out[CAT_MAXNAME + 2];
	const char	*why = NULL;
	int		 i;

	for (i = 0; i < 260; i++)
		in[i] = i % 10 == 9 ? '.' : 'a';
	in[260] = '\0';
	ck_assert_int_eq(catlist_norm_host(in, 260, out, sizeof out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "253"));
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;
} url_cases[] = {
	{ "example.com/Path/", "example.com/path" },
	{ "http://WWW.Example.com:8080/a/b?q=1#f", "example.com/a/b" },
	{ "https://user@www.example.com/", "example.com" },
	{ "www.com/x", "www.com/x" },
	{ "example.com", "example.com" },
};

START_TEST(norm_url)
{
	char		 out[CAT_MAXURL + 2];
	const char	*why = NULL;

	ck_assert_int_gt(catlist_norm_url(url_cases[_i].in,
	    strlen(url_cases[_i].in), out, sizeof out, &why), 0);
	ck_assert_str_eq(out, url_cases[_i].out);
}
END_TEST

struct collect {
	char	 got[1024];
	char	 bad[1024];
};

static int
collect_entry(void *arg, const char *e)
{
	struct collect	*c = arg;
	size_t		 l = strlen(c->got);

	snprintf(c->got + l, sizeof c->got - l, "%s;", e);
	return 0;
}

static void
collect_bad(void *arg, const char *file, unsigned line, const char *why)
{
	struct collect	*c = arg;
	size_t		 l = strlen(c->bad);

	snprintf(c->bad + l, sizeof c->bad - l, "%s:%u: %s;", file, line, why);
}

START_TEST(parse_lines)
{
	static const char	 buf[] = "# a comment\n"
	    "Example.com\r\n"
	    "\n"
	    "   spaced.example   \n"
	    "two words.example\n"
	    "bad..example\n"
	    "last.example";
	struct collect		 c;

	memset(&c, 0, sizeof c);
	ck_assert_int_eq(catlist_parse(buf, sizeof buf - 1, CATLIST_DOMAINS,
	    "finance/domains", collect_entry, collect_bad, &c), 2);
	ck_assert_str_eq(c.got, "example.com;spaced.example;last.example;");
	ck_assert_str_eq(c.bad, "finance/domains:5: more than one word on the "
	    "line;finance/domains:6: empty label (two dots in a row);");
}
END_TEST

START_TEST(parse_nul)
{
	static const char	 buf[] = "a.example\nb\0.example\nc.example\n";
	struct collect		 c;

	memset(&c, 0, sizeof c);
	ck_assert_int_eq(catlist_parse(buf, sizeof buf - 1, CATLIST_DOMAINS,
	    "f", collect_entry, collect_bad, &c), 1);
	ck_assert_str_eq(c.got, "a.example;c.example;");
	ck_assert_ptr_nonnull(strstr(c.bad, "f:2: a NUL byte"));
}
END_TEST

START_TEST(category_names)
{
	ck_assert(catlist_valid_category("finance"));
	ck_assert(catlist_valid_category("sexual_education"));
	ck_assert(catlist_valid_category("a-b.c"));
	ck_assert(!catlist_valid_category(""));
	ck_assert(!catlist_valid_category(".hidden"));
	ck_assert(!catlist_valid_category("a,b"));
	ck_assert(!catlist_valid_category("a b"));
	ck_assert(catlist_csv_has("a,bc,d", "bc"));
	ck_assert(!catlist_csv_has("a,bc,d", "b"));
	ck_assert(!catlist_csv_has("", "a"));
}
END_TEST

/* ---- the database -------------------------------------------------- */

static void
build(const char *path, const char *const *spec)
{
	struct catdb_build	*b = catdb_build_new();
	char			*cause = NULL;
	int			 cat = -1;

	/* spec: "=cat" starts a category, "u:x" a urls entry, "@a>t" alias */
	for (; *spec != NULL; spec++) {
		if ((*spec)[0] == '=')
			cat = catdb_build_category(b, *spec + 1);
		else if ((*spec)[0] == '@') {
			char	a[32];

			snprintf(a, sizeof a, "%.*s",
			    (int)strcspn(*spec + 1, ">"), *spec + 1);
			ck_assert_int_eq(catdb_build_alias(b, a,
			    strchr(*spec, '>') + 1), 0);
		} else if (strncmp(*spec, "u:", 2) == 0)
			ck_assert_int_eq(catdb_build_add(b, cat, CATLIST_URLS,
			    *spec + 2), 0);
		else
			ck_assert_int_eq(catdb_build_add(b, cat,
			    CATLIST_DOMAINS, *spec), 0);
	}
	ck_assert_msg(catdb_build_write(b, path, "test", &cause) == 0, "%s",
	    cause ? cause : "");
	catdb_build_free(b);
}

static const char *const spec1[] = {
	"=health", "nih.gov", "cdc.gov", "u:example.org/clinic",
	"=government", "cdc.gov", "gov", "nih.gov",
	"=finance", "bank.example", "shop.bank.example", "192.0.2.7",
	"bank.example", "u:example.org/pay/ments",
	"=shopping", "example.org",
	"@money>finance", "@ghost>nothing",
	NULL
};

START_TEST(db_lookups)
{
	struct catdb	*db;
	char		 path[256], out[CAT_MAXVALUE], *cause = NULL;

	snprintf(path, sizeof path, "%s/c.mdb", tmpdir);
	build(path, spec1);
	db = catdb_open(path, &cause);
	ck_assert_msg(db != NULL, "%s", cause ? cause : "");

	ck_assert_int_eq(catdb_host(db, "www.nih.gov", out, sizeof out), 2);
	ck_assert_str_eq(out, "government,health");
	/* "gov" covers every .gov name. */
	ck_assert_int_eq(catdb_host(db, "www.irs.gov.", out, sizeof out), 1);
	ck_assert_str_eq(out, "government");
	/* The most specific first; a category listed twice counts once. */
	ck_assert_int_eq(catdb_host(db, "A.Shop.Bank.Example", out,
	    sizeof out), 2);
	ck_assert_str_eq(out, "finance,money");
	ck_assert_int_eq(catdb_host(db, "bank.example.com", out, sizeof out),
	    0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(catdb_host(db, "notbank.example", out, sizeof out),
	    0);
	ck_assert_int_eq(catdb_host(db, "192.0.2.7", out, sizeof out), 2);
	ck_assert_int_eq(catdb_host(db, "1.192.0.2.7", out, sizeof out), 0);
	ck_assert_int_eq(catdb_host(db, "bad..name", out, sizeof out), 0);
	ck_assert_int_eq(catdb_host(db, NULL, out, sizeof out), 0);

	ck_assert_int_eq(catdb_url(db, "https://www.example.org/clinic/x?y",
	    out, sizeof out), 1);
	ck_assert_str_eq(out, "health");
	ck_assert_int_eq(catdb_url(db, "https://example.org/pay/ments/1",
	    out, sizeof out), 2);
	ck_assert_str_eq(out, "finance,money");
	ck_assert_int_eq(catdb_url(db, "https://example.org/pay/mentsx",
	    out, sizeof out), 0);
	ck_assert_int_eq(catdb_url(db, "https://example.org/clinical", out,
	    sizeof out), 0);

	/* A request: its URL's categories first, then its host's, once. */
	ck_assert_int_eq(catdb_request(db, "example.org",
	    "https://example.org/pay/ments/1", out, sizeof out), 3);
	ck_assert_str_eq(out, "finance,money,shopping");
	ck_assert_int_eq(catdb_request(db, "shop.bank.example",
	    "https://shop.bank.example/", out, sizeof out), 2);
	ck_assert_str_eq(out, "finance,money");
	ck_assert_int_eq(catdb_request(db, "other.example",
	    "https://other.example/pay/ments", out, sizeof out), 0);
	ck_assert_str_eq(out, "");

	ck_assert_int_eq(catdb_meta(db, "categories", out, sizeof out), 0);
	ck_assert_str_eq(out, "finance,government,health,money,shopping");
	ck_assert_int_eq(catdb_meta(db, "domains", out, sizeof out), 0);
	ck_assert_str_eq(out, "7");
	catdb_close(db);
}
END_TEST

START_TEST(db_small_out)
{
	struct catdb	*db;
	char		 path[256], out[12];

	snprintf(path, sizeof path, "%s/c.mdb", tmpdir);
	build(path, spec1);
	ck_assert_ptr_nonnull(db = catdb_open(path, NULL));
	/* "government" fits, ",health" does not: left out, never cut. */
	ck_assert_int_eq(catdb_host(db, "nih.gov", out, sizeof out), 1);
	ck_assert_str_eq(out, "government");
	catdb_close(db);
}
END_TEST

START_TEST(db_not_ours)
{
	char	 path[256], *cause = NULL;
	FILE	*f;

	snprintf(path, sizeof path, "%s/junk.mdb", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("not a database\n", f);
	fclose(f);
	ck_assert_ptr_null(catdb_open(path, &cause));
	ck_assert_ptr_nonnull(cause);
	free(cause);
	cause = NULL;
	snprintf(path, sizeof path, "%s/missing.mdb", tmpdir);
	ck_assert_ptr_null(catdb_open(path, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "missing.mdb"));
	free(cause);
}
END_TEST

START_TEST(db_replaced)
{
	static const char *const spec2[] = { "=news", "nih.gov", NULL };
	struct catwatch	*w;
	struct catdb	*old, *db;
	char		 path[256], out[CAT_MAXVALUE], *cause;

	snprintf(path, sizeof path, "%s/c.mdb", tmpdir);
	ck_assert_ptr_nonnull(w = catwatch_new(path));
	/* No file yet: NULL, and the reason once. */
	ck_assert_ptr_null(catwatch_get(w));
	ck_assert_ptr_nonnull(cause = catwatch_cause(w));
	free(cause);
	build(path, spec1);
	sleep(1);
	ck_assert_ptr_nonnull(old = catwatch_get(w));
	ck_assert_ptr_null(catwatch_cause(w));
	/* A lookup holds the old file while a new one replaces it. */
	build(path, spec2);
	sleep(1);
	ck_assert_ptr_nonnull(db = catwatch_get(w));
	ck_assert_ptr_ne(db, old);
	ck_assert_int_eq(catdb_host(old, "nih.gov", out, sizeof out), 2);
	ck_assert_int_eq(catdb_host(db, "nih.gov", out, sizeof out), 1);
	ck_assert_str_eq(out, "news");
	catwatch_put(w, old);
	catwatch_put(w, db);
	/* A removed file leaves the last one in use. */
	ck_assert_int_eq(unlink(path), 0);
	sleep(1);
	ck_assert_ptr_eq(catwatch_get(w), db);
	catwatch_put(w, db);
	catwatch_free(w);
	/* The rename left no temporary file behind. */
	snprintf(path, sizeof path, "ls %s | grep -q new", tmpdir);
	ck_assert_int_ne(system(path), 0);
}
END_TEST

/* ---- the helper's answers ------------------------------------------ */

static const struct {
	bool		 channel;
	const char	*line;
	const char	*answer;
} acl_cases[] = {
	{ true, "0 www.nih.gov www.nih.gov splice finance health",
	  "0 OK category_=health\n" },
	{ true, "1 - NIH.gov splice government health",
	  "1 OK category_=government\n" },
	{ true, "2 %2D bank.example splice finance",
	  "2 OK category_=finance\n" },
	/* The SNI alone is the client's word: both names or no splice. */
	{ true, "3 bank.example evil.example splice finance", "3 ERR\n" },
	{ true, "4 bank.example evil.example spoofed finance",
	  "4 OK category_=finance\n" },
	{ true, "5 bank.example bank.example spoofed finance", "5 ERR\n" },
	{ true, "6 evil.example evil.example spoofed finance", "6 ERR\n" },
	/* Both are in a category, but not in the same one. */
	{ true, "7 nih.gov bank.example splice finance health", "7 ERR\n" },
	{ true, "8 nih.gov bank.example spoofed finance health",
	  "8 OK category_=health\n" },
	{ true, "9 www.nih.gov www.nih.gov splice finance", "9 ERR\n" },
	{ true, "10 - cdc.gov lookup", "10 OK category_=government,health\n" },
	{ true, "11 - nothing.example lookup", "11 ERR\n" },
	{ true, "12 a b", "12 ERR message=\"expected SNI, CONNECT host and "
	  "a mode\"\n" },
	{ true, "13 a b frob", "13 ERR message=\"unknown mode (splice, "
	  "spoofed, lookup, destination or version-below)\"\n" },
	/*
	 * destination: the SNI must resolve to the address connected to.
	 * Address literals resolve to themselves without any name service.
	 */
	{ true, "14 192.0.2.7 192.0.2.7 destination", "14 OK\n" },
	{ true, "15 192.0.2.7 192.0.2.8 destination", "15 ERR\n" },
	{ true, "16 2001:db8::1 [2001:db8::1] destination", "16 OK\n" },
	{ true, "17 2001:db8::1 2001:db8::2 destination", "17 ERR\n" },
	{ true, "18 192.0.2.7 bank.example destination", "18 ERR\n" },
	{ true, "19 - 192.0.2.7 destination", "19 ERR\n" },
	/* version-below: the client's highest TLS version, then the minimum. */
	{ true, "20 TLS/1.1 a.example version-below 1.2", "20 OK\n" },
	{ true, "21 TLS/1.2 a.example version-below 1.2", "21 ERR\n" },
	{ true, "22 TLS/1.3 a.example version-below 1.2", "22 ERR\n" },
	{ true, "23 SSL/3.0 a.example version-below 1.2", "23 OK\n" },
	{ true, "24 - a.example version-below 1.2", "24 ERR\n" },
	{ true, "25 TLS/1.1 a.example version-below", "25 ERR\n" },
	{ true, "26 TLS/1.2 a.example version-below 1.3", "26 OK\n" },
	{ false, "nih.gov nih.gov splice health", "OK category_=health\n" },
	{ false, "192.0.2.7 192.0.2.7 splice finance",
	  "OK category_=finance\n" },
};

START_TEST(acl_answers)
{
	struct catdb	*db;
	char		 path[256], line[256], out[256];

	snprintf(path, sizeof path, "%s/c.mdb", tmpdir);
	build(path, spec1);
	ck_assert_ptr_nonnull(db = catdb_open(path, NULL));
	snprintf(line, sizeof line, "%s", acl_cases[_i].line);
	ck_assert_int_eq(catacl_answer(db, acl_cases[_i].channel, line, out,
	    sizeof out), 0);
	ck_assert_str_eq(out, acl_cases[_i].answer);
	catdb_close(db);
}
END_TEST

START_TEST(acl_no_db)
{
	char	line[] = "7 a.example a.example splice finance", out[128];

	ck_assert_int_eq(catacl_answer(NULL, true, line, out, sizeof out), 0);
	ck_assert_str_eq(out, "7 ERR message=\"no category database\"\n");
	/* destination needs no database. */
	snprintf(line, sizeof line, "8 192.0.2.7 192.0.2.7 destination");
	ck_assert_int_eq(catacl_answer(NULL, true, line, out, sizeof out), 0);
	ck_assert_str_eq(out, "8 OK\n");
	ck_assert_int_eq(catacl_answer(NULL, true, line, out, 4), -1);
}
END_TEST

/* ---- the programs' options ----------------------------------------- */

static const struct {
	const char		*page;
	const struct catopt	*table;
} opt_tables[] = {
	{ "doc/sslinspect-lists.8", catopts_lists },
	{ "doc/sslinspect-category-acl.8", catopts_acl },
};

/*
 * Each table fits CATOPTS_MAX, so getopt gets every option (catopts_getopt
 * cuts a longer one short), with its argument, and --help names each.
 */
START_TEST(opts_usage)
{
	const struct catopt	*t = opt_tables[_i].table;
	struct option		 lo[CATOPTS_MAX];
	char			 so[2 * CATOPTS_MAX], *text = NULL, want[64];
	size_t			 len = 0, i;
	FILE			*fp;

	catopts_getopt(t, lo, so);
	for (i = 0; t[i].name != NULL; i++) {
		ck_assert_uint_lt(i, CATOPTS_MAX - 1);
		ck_assert_str_eq(lo[i].name, t[i].name);
		ck_assert_int_eq(lo[i].val, t[i].shortopt);
		ck_assert_int_eq(lo[i].has_arg, t[i].arg != NULL ?
		    required_argument : no_argument);
		ck_assert_ptr_nonnull(strchr(so, t[i].shortopt));
		ck_assert_int_eq(strchr(so, t[i].shortopt)[1] == ':',
		    t[i].arg != NULL);
	}
	ck_assert_ptr_null(lo[i].name);
	ck_assert_ptr_nonnull(fp = open_memstream(&text, &len));
	catopts_usage(fp, "usage: x\n", t);
	ck_assert_int_eq(fclose(fp), 0);
	for (i = 0; t[i].name != NULL; i++) {
		snprintf(want, sizeof want, "-%c, --%s", t[i].shortopt,
		    t[i].name);
		ck_assert_msg(strstr(text, want) != NULL, "no %s in --help",
		    want);
	}
	free(text);
}
END_TEST

/* The OPTIONS of the program's page, from its table. */
START_TEST(opts_manual)
{
	const struct catopt	*o;
	struct manbuf		 b = { NULL, 0 };
	char			 path[512], arg[32];
	size_t			 i;

	for (o = opt_tables[_i].table; o->name != NULL; o++) {
		man_add(&b, ".TP\n");
		if (o->arg != NULL) {
			/* As the pages write an argument: lower case. */
			for (i = 0; o->arg[i] != '\0' && i + 1 < sizeof arg;
			    i++)
				arg[i] = (char)tolower((unsigned char)
				    o->arg[i]);
			arg[i] = '\0';
			man_add(&b, ".BI \\-%c \" %s\" \", \\-\\-",
			    o->shortopt, arg);
			man_text(&b, o->name);
			man_add(&b, " \" %s\n", arg);
		} else {
			man_add(&b, ".BR \\-%c \", \" \\-\\-", o->shortopt);
			man_text(&b, o->name);
			man_add(&b, "\n");
		}
		man_text(&b, o->help);
		man_add(&b, ".\n");
		if (o->dflt != NULL) {
			man_add(&b, "Default:\n.BR ");
			man_text(&b, man_path(o->dflt, path, sizeof path));
			man_add(&b, " .\n");
		}
	}
	man_check(opt_tables[_i].page, "options", b.s);
	free(b.s);
}
END_TEST

static Suite *
categories_suite(void)
{
	Suite	*s = suite_create("categories");
	TCase	*tc = tcase_create("lists");

	tcase_add_loop_test(tc, norm_host, 0,
	    sizeof host_cases / sizeof host_cases[0]);
	tcase_add_test(tc, norm_host_long);
	tcase_add_loop_test(tc, norm_url, 0,
	    sizeof url_cases / sizeof url_cases[0]);
	tcase_add_test(tc, parse_lines);
	tcase_add_test(tc, parse_nul);
	tcase_add_test(tc, category_names);
	tcase_add_loop_test(tc, opts_usage, 0,
	    sizeof opt_tables / sizeof opt_tables[0]);
	tcase_add_loop_test(tc, opts_manual, 0,
	    sizeof opt_tables / sizeof opt_tables[0]);
	suite_add_tcase(s, tc);
	tc = tcase_create("db");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, db_lookups);
	tcase_add_test(tc, db_small_out);
	tcase_add_test(tc, db_not_ours);
	tcase_add_test(tc, db_replaced);
	tcase_add_loop_test(tc, acl_answers, 0,
	    sizeof acl_cases / sizeof acl_cases[0]);
	tcase_add_test(tc, acl_no_db);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(categories_suite)
