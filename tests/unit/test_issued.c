/* Unit tests for the issued-certificate record (common/issued.c). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issued.h"
#include "unit_test.h"

static struct issued_rec
sample(void)
{
	struct issued_rec	r;

	memset(&r, 0, sizeof r);
	r.issued = 1700000000;
	r.not_before = 1699996400;
	r.not_after = 1702592000;
	strcpy(r.serial, "5f3a9c0e11d2b7a4");
	strcpy(r.issuer_keyid, "a1b2c3d4e5f60718293a4b5c6d7e8f9001122334");
	strcpy(r.host, "www.example.test");
	return r;
}

START_TEST(format_parse_round_trip)
{
	struct issued_rec	r = sample(), back;
	char			buf[ISSUED_LINE_MAX], *cause = NULL;
	int			n;

	n = issued_format(&r, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert_int_eq(issued_parse(buf, (size_t)n, &back, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_str_eq(back.host, r.host);
	ck_assert_str_eq(back.serial, r.serial);
	ck_assert_str_eq(back.issuer_keyid, r.issuer_keyid);
	ck_assert(back.issued == r.issued && back.not_after == r.not_after &&
	    back.not_before == r.not_before);
}
END_TEST

START_TEST(format_refuses_tab_in_host)
{
	struct issued_rec	r = sample();
	char			buf[ISSUED_LINE_MAX];

	strcpy(r.host, "a\tb");
	ck_assert_int_eq(issued_format(&r, buf, sizeof buf), -1);
	strcpy(r.host, "a\nb");
	ck_assert_int_eq(issued_format(&r, buf, sizeof buf), -1);
	strcpy(r.host, "ok.test");
	ck_assert_int_eq(issued_format(&r, buf, 10), -1);
}
END_TEST

static const struct {
	const char	*line;
	const char	*why;
} bad_lines[] = {
	{ "v2\t1\tab\tcd\t1\t2\thost", "bad version field" },
	{ "v1\tx\tab\tcd\t1\t2\thost", "bad issued time field" },
	{ "v1\t1\tAB\tcd\t1\t2\thost", "bad serial field" },
	{ "v1\t1\tab\tzz\t1\t2\thost", "bad issuer key id field" },
	{ "v1\t1\tab\tcd\t-1\t2\thost", "bad not-before field" },
	{ "v1\t1\tab\tcd\t1\t\thost", "bad not-after field" },
	{ "v1\t1\tab\tcd\t1\t2\t", "bad host field" },
	{ "v1\t1\tab\tcd\t1\t2", "expected 7 tab-separated fields" },
	{ "v1\t1\tab\tcd\t1\t2\th\textra", "expected 7 tab-separated fields" },
};

START_TEST(parse_rejects_bad_lines)
{
	struct issued_rec	 r;
	char			*cause = NULL;
	const char		*l = bad_lines[_i].line;

	ck_assert_int_eq(issued_parse(l, strlen(l), &r, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, bad_lines[_i].why);
	free(cause);
}
END_TEST

static int
count_cb(const struct issued_rec *r, void *arg)
{
	(*(int *)arg)++;
	return strcmp(r->host, "stop.test") == 0 ? 7 : 0;
}

START_TEST(append_and_walk)
{
	char			 path[] = "/tmp/issued-test.XXXXXX",
	    *cause = NULL;
	struct issued_rec	 r = sample();
	int			 fd, wfd, seen = 0;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	wfd = issued_open(path, &cause);
	ck_assert_int_ge(wfd, 0);
	ck_assert_int_eq(issued_write(wfd, &r, &cause), 0);
	strcpy(r.host, "stop.test");
	ck_assert_int_eq(issued_write(wfd, &r, &cause), 0);
	strcpy(r.host, "after.test");
	ck_assert_int_eq(issued_write(wfd, &r, &cause), 0);
	close(wfd);
	ck_assert_int_eq(issued_foreach(path, count_cb, &seen, &cause), 7);
	ck_assert_int_eq(seen, 2);

	unlink(path);
	ck_assert_int_eq(issued_foreach(path, count_cb, &seen, &cause), 0);
	free(cause);
}
END_TEST

START_TEST(walk_reports_corrupt_line)
{
	char			 path[] = "/tmp/issued-test.XXXXXX",
	    *cause = NULL;
	int			 fd, seen = 0;
	const char		*body =
	    "v1\t1\tab\tcd\t1\t2\tok.test\nnot a record\n";

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, body, strlen(body)), (int)strlen(body));
	close(fd);
	ck_assert_int_eq(issued_foreach(path, count_cb, &seen, &cause), -1);
	ck_assert_int_eq(seen, 1);
	ck_assert_ptr_nonnull(strstr(cause, ":2: expected 7"));
	unlink(path);
	free(cause);
}
END_TEST

static Suite *
issued_suite(void)
{
	Suite	*s = suite_create("issued");
	TCase	*tc = tcase_create("record");

	tcase_add_test(tc, format_parse_round_trip);
	tcase_add_test(tc, format_refuses_tab_in_host);
	tcase_add_loop_test(tc, parse_rejects_bad_lines, 0,
	    sizeof bad_lines / sizeof bad_lines[0]);
	tcase_add_test(tc, append_and_walk);
	tcase_add_test(tc, walk_reports_corrupt_line);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(issued_suite)
