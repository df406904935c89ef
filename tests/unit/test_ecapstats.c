/*
 * Unit tests for the eCAP front end's counters (ecapstats.c): counts from
 * many threads at once add up; the log line names every counter of xact.c
 * once, with its value, and the gauges; a short buffer still ends the
 * line.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ecapstats.h"
#include "unit_test.h"

#define THREADS	4
#define ROUNDS	100000

static void *
count(void *arg)
{
	int	i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		ecapstats_inc(XS_REQS, 1);
		ecapstats_inc(XS_BYTES, 3);
	}
	return NULL;
}

START_TEST(threads_add_up)
{
	pthread_t	t[THREADS];
	uint64_t	v[XS_COUNT];
	int		i;

	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, count, NULL), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	/* nothing out of range, nothing negative */
	ecapstats_inc(XS_COUNT, 1);
	ecapstats_inc(XS_BLOCK, -5);
	ecapstats_get(v);
	ck_assert_uint_eq(v[XS_REQS], (uint64_t)THREADS * ROUNDS);
	ck_assert_uint_eq(v[XS_BYTES], (uint64_t)THREADS * ROUNDS * 3);
	ck_assert_uint_eq(v[XS_BLOCK], 0);
}
END_TEST

START_TEST(line_names_each_once)
{
	uint64_t			v[XS_COUNT];
	struct ecapstats_gauges		g = { 3, 1048576, 7 };
	char				line[1024], want[64];
	int				i;

	for (i = 0; i < XS_COUNT; i++)
		v[i] = (uint64_t)i * 10 + 1;
	ecapstats_line(line, sizeof line, v, &g);
	ck_assert_str_eq(strstr(line, "sslinspect: counters: requests=1 "),
	    line);
	for (i = 0; i < XS_COUNT; i++) {
		snprintf(want, sizeof want, " %s=%d", xact_stat_key(i),
		    i * 10 + 1);
		ck_assert_msg(strstr(line, want) != NULL, "%s in %s", want,
		    line);
		snprintf(want, sizeof want, " %s=", xact_stat_key(i));
		ck_assert_ptr_eq(strstr(strstr(line, want) + 1, want), NULL);
	}
	ck_assert_ptr_nonnull(strstr(line,
	    " under_way=3 unscanned_bytes=1048576 backlog_waits=7"));
	/* Cut short, still a string. */
	ecapstats_line(line, 40, v, &g);
	ck_assert_uint_eq(strlen(line), 39);
}
END_TEST

static Suite *
ecapstats_suite(void)
{
	Suite	*s = suite_create("ecapstats");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, threads_add_up);
	tcase_add_test(tc, line_names_each_once);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(ecapstats_suite)
