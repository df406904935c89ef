/*
 * Unit tests for the one size parser (common/size.c), as a table: what
 * every component accepts, and what it refuses, including the inputs on
 * which certgen's and the service's old parsers disagreed ("+5", " 5").
 */
#include "config.h"

#include <check.h>
#include <stdint.h>

#include "size.h"
#include "unit_test.h"

static const struct {
	const char	*in;
	int		 rv;
	uint64_t	 want;
} size_cases[] = {
	{ "0",				 0, 0 },
	{ "4096",			 0, 4096 },
	{ "5B",				 0, 5 },
	{ "5b",				 0, 5 },
	{ "4K",				 0, 4096 },
	{ "4k",				 0, 4096 },
	{ "4KB",			 0, 4096 },
	{ "4kb",			 0, 4096 },
	{ "64M",			 0, 64ULL << 20 },
	{ "4MB",			 0, 4ULL << 20 },
	{ "1G",				 0, 1ULL << 30 },
	{ "1gB",			 0, 1ULL << 30 },
	{ "007K",			 0, 7 << 10 },
	{ "18446744073709551615",	 0, UINT64_MAX },
	{ "17179869183G",		 0, 17179869183ULL << 30 },
	/* certgen took these (strtoll), the service did not */
	{ "+5",				-1, 0 },
	{ " 5",				-1, 0 },
	{ "\t5",			-1, 0 },
	{ "-0",				-1, 0 },
	/* refused by both before, and still */
	{ "",				-1, 0 },
	{ "-1",				-1, 0 },
	{ "5 ",				-1, 0 },
	{ "5 K",			-1, 0 },
	{ "1X",				-1, 0 },
	{ "1T",				-1, 0 },
	{ "1KBB",			-1, 0 },
	{ "1BK",			-1, 0 },
	{ "K",				-1, 0 },
	{ "KB",				-1, 0 },
	{ "0x10",			-1, 0 },
	{ "1.5M",			-1, 0 },
	{ "1e3",			-1, 0 },
	{ "18446744073709551616",	-1, 0 },
	{ "99999999999999999999G",	-1, 0 },
	{ "17179869184G",		-1, 0 },
};

START_TEST(size_table)
{
	uint64_t	v = 12345;
	int		rv;

	rv = size_parse(size_cases[_i].in, &v);
	ck_assert_msg(rv == size_cases[_i].rv, "\"%s\": %d, want %d",
	    size_cases[_i].in, rv, size_cases[_i].rv);
	if (rv == 0)
		ck_assert_msg(v == size_cases[_i].want, "\"%s\": %llu",
		    size_cases[_i].in, (unsigned long long)v);
	else
		ck_assert_msg(v == 12345, "\"%s\": output written on error",
		    size_cases[_i].in);
}
END_TEST

START_TEST(size_null)
{
	uint64_t	v;

	ck_assert_int_eq(size_parse(NULL, &v), -1);
}
END_TEST

static Suite *
size_suite(void)
{
	Suite	*s = suite_create("size");
	TCase	*tc = tcase_create("size");

	tcase_add_loop_test(tc, size_table, 0,
	    (int)(sizeof size_cases / sizeof size_cases[0]));
	tcase_add_test(tc, size_null);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(size_suite)
