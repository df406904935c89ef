/*
 * Unit tests for the option table (cert_helper/certgen/opts.c): every entry is
 * complete, its default parses and lies in its range, the range is
 * enforced, the configuration file path works, and the man page and the
 * example configuration document every option.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certgen.h"
#include "manpage.h"
#include "size.h"
#include "unit_test.h"

/* The whole of a source file, NUL-terminated. */
static char *
slurp(const char *rel)
{
	const char	*top = getenv("top_srcdir");
	char		 path[4096], *buf;
	FILE		*f;
	long		 n;

	snprintf(path, sizeof path, "%s/%s", top != NULL ? top : "..", rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(table_complete)
{
	const struct opts_entry	*e, *f;
	struct opts		 o;
	char			*cause = NULL, v[64];
	long long		 n;
	uint64_t		 sz;

	for (e = opts_table; e->name != NULL; e++) {
		ck_assert(e->help != NULL && e->help[0] != '\0');
		ck_assert(e->shortopt != 0);
		ck_assert((e->type == OPTS_FLAG) == (e->arg == NULL));
		for (f = e + 1; f->name != NULL; f++) {
			ck_assert_str_ne(e->name, f->name);
			ck_assert_int_ne(e->shortopt, f->shortopt);
		}
		ck_assert_ptr_eq(opts_find(e->name), e);
		if (e->type != OPTS_NUMBER && e->type != OPTS_SIZE)
			continue;
		ck_assert_ptr_nonnull(e->def);
		if (e->type == OPTS_SIZE) {
			ck_assert_int_eq(size_parse(e->def, &sz), 0);
			n = (long long)sz;
		} else
			n = atoll(e->def);
		ck_assert(e->min <= n && n <= e->max);
		ck_assert_int_eq(opts_defaults(&o, &cause), 0);
		snprintf(v, sizeof v, "%lld", e->min - 1);
		ck_assert_int_eq(opts_set(&o, e->name, v, &cause), -1);
		snprintf(v, sizeof v, "%lld", e->max + 1);
		ck_assert_int_eq(opts_set(&o, e->name, v, &cause), -1);
		snprintf(v, sizeof v, "%lld", e->max);
		ck_assert_int_eq(opts_set(&o, e->name, v, &cause), 0);
		ck_assert_int_eq(opts_set(&o, e->name, "12x", &cause), -1);
		opts_free(&o);
	}
	free(cause);
}
END_TEST

START_TEST(defaults_and_file)
{
	struct opts	 o;
	char		 path[] = "/tmp/test_opts.XXXXXX", *cause = NULL;
	FILE		*f;
	int		 fd;

	ck_assert_int_eq(opts_defaults(&o, &cause), 0);
	ck_assert_int_eq(o.max_days, 30);
	ck_assert_int_eq(o.key_type, KEYPOOL_EC_P256);
	ck_assert_int_eq(o.cache_size, 64LL << 20);
	ck_assert_ptr_nonnull(o.cache_dir);
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fprintf(f, "# comment\n\ncache-dir none\ncrl-url http://a/{ca}.crl "
	    " # trailing\ncrl-url http://b/{ca}.crl\nkey-type rsa-3072\n"
	    "max-validity-days 397\ndebug\n");
	fclose(f);
	ck_assert_int_eq(opts_file(&o, path, &cause), 0);
	ck_assert_ptr_null(o.cache_dir);
	ck_assert_uint_eq(o.ncrl, 2);
	ck_assert_str_eq(o.crl_urls[0], "http://a/{ca}.crl");
	ck_assert_int_eq(o.key_type, KEYPOOL_RSA_3072);
	ck_assert_int_eq(o.max_days, 397);
	ck_assert_int_eq(o.debug, 1);
	f = fopen(path, "w");
	fprintf(f, "max-validity-days 398\n");
	fclose(f);
	ck_assert_int_eq(opts_file(&o, path, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, ":1: "));
	f = fopen(path, "w");
	fprintf(f, "no-such-option 1\n");
	fclose(f);
	ck_assert_int_eq(opts_file(&o, path, &cause), -1);
	ck_assert_int_eq(opts_set(&o, "key-type", "dsa", &cause), -1);
	ck_assert_int_eq(opts_set(&o, "crl-url", "http://x y", &cause), -1);
	unlink(path);
	opts_free(&o);
	free(cause);
}
END_TEST

/* One source of truth: without its own crl-url the helper takes ca.conf's. */
START_TEST(ca_dir)
{
	struct opts	 o;
	char		 dir[] = "/tmp/certgen-cadir.XXXXXX", path[128];
	char		*cause = NULL, *note = NULL;
	FILE		*f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(opts_defaults(&o, &cause), 0);
	ck_assert_int_eq(opts_set(&o, "ca-dir", dir, &cause), 0);
	ck_assert_int_eq(opts_ca_dir(&o, &note, &cause), 0);
	ck_assert_uint_eq(o.ncrl, 0);
	ck_assert_ptr_nonnull(strstr(note,
	    "leaves carry no CRL distribution point"));
	free(note);
	snprintf(path, sizeof path, "%s/ca.conf", dir);
	f = fopen(path, "w");
	fputs("# sslinspect-ca settings\n# crl-url commented\n"
	    "crl-url   http://crl.example.test/{ca}.crl  \nissuing-days 7\n",
	    f);
	fclose(f);
	ck_assert_int_eq(opts_ca_dir(&o, &note, &cause), 0);
	ck_assert_ptr_null(note);
	ck_assert_uint_eq(o.ncrl, 1);
	ck_assert_str_eq(o.crl_urls[0], "http://crl.example.test/{ca}.crl");
	ck_assert(o.crl_from_ca);
	opts_free(&o);

	/* Its own crl-url wins; a different one is worth a warning. */
	ck_assert_int_eq(opts_defaults(&o, &cause), 0);
	ck_assert_int_eq(opts_set(&o, "ca-dir", dir, &cause), 0);
	ck_assert_int_eq(opts_set(&o, "crl-url", "http://other.test/{ca}.crl",
	    &cause), 0);
	ck_assert_int_eq(opts_ca_dir(&o, &note, &cause), 0);
	ck_assert_uint_eq(o.ncrl, 1);
	ck_assert_str_eq(o.crl_urls[0], "http://other.test/{ca}.crl");
	ck_assert_ptr_nonnull(strstr(note, "name their CRLs differently"));
	free(note);
	opts_free(&o);
	ck_assert_int_eq(opts_defaults(&o, &cause), 0);
	ck_assert_int_eq(opts_set(&o, "ca-dir", "none", &cause), 0);
	ck_assert_int_eq(opts_ca_dir(&o, &note, &cause), 0);
	ck_assert_ptr_null(note);
	ck_assert_uint_eq(o.ncrl, 0);
	opts_free(&o);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(documented)
{
	const struct opts_entry	*e;
	char			*man = slurp("doc/sslinspect-certgen.8");
	char			*conf =
	    slurp("cert_helper/certgen/certgen.conf");
	char			 want[96];

	for (e = opts_table; e->name != NULL; e++) {
		snprintf(want, sizeof want, "Fl %c", e->shortopt);
		ck_assert_msg(strstr(man, want) != NULL, "man page: %s", want);
		snprintf(want, sizeof want, "Fl -%s", e->name);
		ck_assert_msg(strstr(man, want) != NULL, "man page: %s", want);
		if (strcmp(e->name, "config") == 0 ||
		    strcmp(e->name, "help") == 0 ||
		    strcmp(e->name, "version") == 0)
			continue;
		snprintf(want, sizeof want, "#%s ", e->name);
		ck_assert_msg(strstr(conf, want) != NULL, "certgen.conf: %s",
		    e->name);
	}
	free(man);
	free(conf);
}
END_TEST

/* A size as it is written: 64M, 1G. */
static const char *
human(long long v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int	i = -1;

	while (v >= 1024 && v % 1024 == 0 && i < 3) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%lld", v);
	else
		snprintf(buf, len, "%lld%c", v, units[i]);
	return buf;
}

/* sslinspect-certgen(8): the option list, from the table. */
START_TEST(manual)
{
	const struct opts_entry	*e;
	struct manbuf		 b = { NULL, 0 };
	char			 path[512], arg[32], lo[32], hi[32];
	size_t			 i;

	man_add(&b, ".Bl -tag -width Ds\n");
	for (e = opts_table; e->name != NULL; e++) {
		for (i = 0; e->arg != NULL && e->arg[i] != '\0' &&
		    i + 1 < sizeof arg; i++)
			arg[i] = (char)tolower((unsigned char)e->arg[i]);
		arg[i] = '\0';
		if (e->arg != NULL)
			man_add(&b, ".It Fl %c Ar %s , Fl -%s Ar %s\n",
			    e->shortopt,
			    arg, e->name, arg);
		else
			man_add(&b, ".It Fl %c , Fl -%s\n", e->shortopt,
			    e->name);
		man_text(&b, e->help);
		man_add(&b, ".\n");
		if (e->choices != NULL)
			man_add(&b, "One of\n.Cm %s .\n", e->choices);
		else if (e->type == OPTS_SIZE)
			man_add(&b, "%s to %s.\n", human(e->min, lo, sizeof lo),
			    human(e->max, hi, sizeof hi));
		else if (e->type == OPTS_NUMBER)
			man_add(&b, "%lld to %lld.\n", e->min, e->max);
		else if (e->type == OPTS_LIST)
			man_add(&b, "Repeatable, up to %lld.\n", e->max);
		if (e->def != NULL) {
			man_add(&b, "Default:\n%s %s .\n",
			    e->type == OPTS_STRING ?
			    ".Pa" : ".Cm", man_path(e->def, path, sizeof path));
		}
	}
	man_add(&b, ".El\n");
	man_check("doc/sslinspect-certgen.8", "options", b.s);
	free(b.s);
}
END_TEST

static Suite *
opts_suite(void)
{
	Suite	*s = suite_create("opts");
	TCase	*tc = tcase_create("opts");

	tcase_add_test(tc, table_complete);
	tcase_add_test(tc, defaults_and_file);
	tcase_add_test(tc, documented);
	tcase_add_test(tc, manual);
	tcase_add_test(tc, ca_dir);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(opts_suite)
