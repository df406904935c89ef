/*
 * Unit tests for the "name value" files (common/conffile.c): the helpers'
 * files end a line at "#"; c-icap's (CONFFILE_CICAP, which the eCAP front
 * end reads) keep a "#" inside a value and take quotes, braces and blanks
 * as c-icap does, so that one file means the same to both front ends. A
 * refused line is named by file and number.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"
#include "unit_test.h"

/* name=value lines the callback saw, "|"-separated. */
static char	seen[2048];

static int
collect(void *arg, const char *name, const char *value, char **cause)
{
	(void)arg;
	if (strcmp(name, "refuse") == 0) {
		*cause = strdup("refused");
		return -1;
	}
	snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s=%s|",
	    name, value);
	return 0;
}

/* Read text as a file with flags; conffile_read's result. */
static int
read_text(const char *text, int flags, char **cause)
{
	char	path[] = "/tmp/test_conffile.XXXXXX";
	int	fd, rv;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	seen[0] = '\0';
	rv = conffile_read(path, flags, collect, NULL, cause);
	unlink(path);
	return rv;
}

static const char *text =
    "# a comment\n"
    "   # an indented one\n"
    "\n"
    "sslinspect.ReviewUrl https://help.example/#/new?i={incident}\n"
    "sslinspect.Contact   \"IT help desk\"   \n"
    "sslinspect.OrganizationName  Example   Corp # the name\n"
    "sslinspect.Quote \"say \\\"hi\\\"\"\n"
    "sslinspect.Set {a, b} c\n"
    "flag\n";

START_TEST(helpers_cut_at_hash)
{
	char	*cause = NULL;

	ck_assert_int_eq(read_text(text, 0, &cause), 0);
	ck_assert_str_eq(seen,
	    "sslinspect.ReviewUrl=https://help.example/|"
	    "sslinspect.Contact=\"IT help desk\"|"
	    "sslinspect.OrganizationName=Example   Corp|"
	    "sslinspect.Quote=\"say \\\"hi\\\"\"|"
	    "sslinspect.Set={a, b} c|"
	    "flag=|");
}
END_TEST

START_TEST(cicap_as_cicap_reads)
{
	char	*cause = NULL;

	ck_assert_int_eq(read_text(text, CONFFILE_CICAP, &cause), 0);
	ck_assert_str_eq(seen,
	    "sslinspect.ReviewUrl=https://help.example/#/new?i={incident}|"
	    "sslinspect.Contact=IT help desk|"
	    "sslinspect.OrganizationName=Example Corp # the name|"
	    "sslinspect.Quote=say \"hi\"|"
	    "sslinspect.Set={a, b} c|"
	    "flag=|");
}
END_TEST

START_TEST(refused_line_named)
{
	char	*cause = NULL;

	ck_assert_int_eq(read_text("a 1\n\nrefuse x\nb 2\n", 0, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, ":3: refused"));
	/* nothing after the refused line */
	ck_assert_str_eq(seen, "a=1|");
	free(cause);
}
END_TEST

static Suite *
conffile_suite(void)
{
	Suite	*s = suite_create("conffile");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, helpers_cut_at_hash);
	tcase_add_test(tc, cicap_as_cicap_reads);
	tcase_add_test(tc, refused_line_named);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(conffile_suite)
