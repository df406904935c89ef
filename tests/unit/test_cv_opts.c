/*
 * Unit tests of sslinspect-certverify's options (cv_opts.c): the defaults
 * are valid values, out-of-range values are refused, the -c file is read,
 * every option is in --help, and the OPTIONS list of
 * sslinspect-certverify(8) is the table's (tests/unit/manpage.h; make
 * update-man).
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certverify.h"
#include "manpage.h"
#include "unit_test.h"

/* Every default passes cv_opts_set, and lands where the helper reads it. */
START_TEST(defaults)
{
	struct cv_opts	 o;
	char		*cause = NULL;

	ck_assert_msg(cv_opts_defaults(&o, &cause) == 0, "%s", cause);
	ck_assert_str_eq(o.ca_file, "/etc/ssl/certs/ca-certificates.crt");
	ck_assert_int_eq(o.min_rsa_bits, 2048);
	ck_assert_int_eq(o.min_ec_bits, 256);
	ck_assert_int_eq(o.revocation, 1);
	ck_assert_int_eq(o.timeout, 5);
	ck_assert_int_eq(o.pol.action[CV_EXPIRED], CV_BLOCK);
	ck_assert_int_eq(o.pol.action[CV_REV_UNKNOWN], CV_ALLOW);
	ck_assert_int_eq(o.pol.action[CV_REV_TIMEOUT], CV_ALLOW);
	cv_opts_free(&o);
}
END_TEST

/* Numbers outside their range, and unknown names, are refused. */
START_TEST(ranges)
{
	const struct cv_opt	*e;
	struct cv_opts		 o;
	char			*cause = NULL, v[32];

	ck_assert_int_eq(cv_opts_defaults(&o, &cause), 0);
	for (e = cv_opts_table; e->name != NULL; e++) {
		if (e->type != CV_OPT_NUMBER)
			continue;
		snprintf(v, sizeof v, "%ld", e->min);
		ck_assert_msg(cv_opts_set(&o, e->name, v, &cause) == 0,
		    "%s %s: %s", e->name, v, cause);
		snprintf(v, sizeof v, "%ld", e->max);
		ck_assert_msg(cv_opts_set(&o, e->name, v, &cause) == 0,
		    "%s %s: %s", e->name, v, cause);
		snprintf(v, sizeof v, "%ld", e->min - 1);
		ck_assert_msg(cv_opts_set(&o, e->name, v, &cause) == -1,
		    "%s %s accepted", e->name, v);
		free(cause);
		cause = NULL;
		snprintf(v, sizeof v, "%ld", e->max + 1);
		ck_assert_msg(cv_opts_set(&o, e->name, v, &cause) == -1,
		    "%s %s accepted", e->name, v);
		free(cause);
		cause = NULL;
	}
	ck_assert_int_eq(cv_opts_set(&o, "no-such-option", "1", &cause), -1);
	free(cause);
	cv_opts_free(&o);
}
END_TEST

/* Write text to a temporary file; its path, in a static buffer. */
static const char *
conf(const char *text)
{
	static char	 path[] = "/tmp/test_cv_opts.XXXXXX";
	int		 fd;
	FILE		*fp;

	snprintf(path, sizeof path, "/tmp/test_cv_opts.XXXXXX");
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

/* The -c file: comments, flags, classes, allow-host; refusals by line. */
START_TEST(file)
{
	struct cv_opts	 o;
	char		*cause = NULL;
	const char	*p;

	ck_assert_int_eq(cv_opts_defaults(&o, &cause), 0);
	p = conf("# comment\n\nexpired allow  # trailing\ndebug\n"
	    "allow-host untrusted a.test .b.test\n  timeout\t7 \n");
	ck_assert_msg(cv_opts_file(&o, p, &cause) == 0, "%s", cause);
	unlink(p);
	ck_assert_int_eq(o.pol.action[CV_EXPIRED], CV_ALLOW);
	ck_assert_int_eq(o.debug, 1);
	ck_assert_int_eq(o.timeout, 7);
	ck_assert_uint_eq(o.pol.nallow[CV_UNTRUSTED], 2);
	ck_assert(cv_policy_blocks(&o.pol, CV_UNTRUSTED, "x.b.test") == 0);
	p = conf("weak block\nexpired\n");
	ck_assert_int_eq(cv_opts_file(&o, p, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, ":2: \"expired\" needs a value"));
	free(cause);
	cause = NULL;
	unlink(p);
	p = conf("config /etc/other.conf\n");
	ck_assert_int_eq(cv_opts_file(&o, p, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, ":1: \"config\" is for the "
	    "command line"));
	free(cause);
	unlink(p);
	cv_opts_free(&o);
}
END_TEST

/* --help names every option of the table. */
START_TEST(usage)
{
	const struct cv_opt	*e;
	char			*text = NULL, want[64];
	size_t			 len = 0;
	FILE			*fp;

	ck_assert_ptr_nonnull(fp = open_memstream(&text, &len));
	cv_opts_usage(fp);
	ck_assert_int_eq(fclose(fp), 0);
	for (e = cv_opts_table; e->name != NULL; e++) {
		snprintf(want, sizeof want, "--%s", e->name);
		ck_assert_msg(strstr(text, want) != NULL, "no %s in --help",
		    want);
	}
	free(text);
}
END_TEST

/* An option's argument name as the page writes it: lower case. */
static const char *
man_arg(const char *arg, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; arg[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)arg[i]);
	buf[i] = '\0';
	return buf;
}

/* sslinspect-certverify(8): the option list, from the table. */
START_TEST(manual)
{
	const struct cv_opt	*e;
	struct manbuf		 b = { NULL, 0 };
	char			 path[512], arg[32];

	for (e = cv_opts_table; e->name != NULL; e++) {
		man_add(&b, ".TP\n");
		if (e->shortopt != 0 && e->arg != NULL) {
			man_arg(e->arg, arg, sizeof arg);
			man_add(&b, ".BI \\-%c \" %s\" \", \\-\\-", e->shortopt,
			    arg);
			man_text(&b, e->name);
			man_add(&b, " \" %s\n", arg);
		} else if (e->shortopt != 0) {
			man_add(&b, ".BR \\-%c \", \" \\-\\-", e->shortopt);
			man_text(&b, e->name);
			man_add(&b, "\n");
		} else {
			man_add(&b, ".BI \\-\\-");
			man_text(&b, e->name);
			man_add(&b, " \" %s\"\n",
			    man_arg(e->arg, arg, sizeof arg));
		}
		man_text(&b, e->help);
		man_add(&b, ".\n");
		if (e->type == CV_OPT_NUMBER)
			man_add(&b, "%ld to %ld.\n", e->min, e->max);
		if (e->def != NULL)
			man_add(&b, "Default: %s.\n",
			    man_path(e->def, path, sizeof path));
	}
	man_check("doc/sslinspect-certverify.8", "options", b.s);
	free(b.s);
}
END_TEST

static Suite *
cv_opts_suite(void)
{
	Suite	*s = suite_create("cv_opts");
	TCase	*tc = tcase_create("table");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, file);
	tcase_add_test(tc, usage);
	tcase_add_test(tc, manual);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(cv_opts_suite)
