/* Unit tests for the sslinspect.* directive table (svcconf.c). */
#include "config.h"

#include <stdio.h>

#include "svc_test.h"

START_TEST(table_walk)
{
	const struct svcconf_entry	*e, *f;
	struct svc_config		 c;
	char				*cause = NULL;

	memset(&c, 0, sizeof c);
	for (e = svcconf_table; e->name != NULL; e++) {
		ck_assert_msg(e->help != NULL && *e->help != '\0', "%s: help",
		    e->name);
		ck_assert_msg(e->dflt != NULL, "%s: default", e->name);
		ck_assert_msg(svcconf_set(&c, e, e->dflt, &cause) == 0,
		    "%s: default '%s' does not parse: %s", e->name, e->dflt,
		    cause ? cause : "");
		for (f = e + 1; f->name != NULL; f++)
			ck_assert_msg(strcasecmp(e->name, f->name) != 0,
			    "%s twice", e->name);
		ck_assert_ptr_eq(svcconf_find(e->name), e);
	}
	ck_assert_int_ge((int)(e - svcconf_table), 20);
	svcconf_free(&c);
}
END_TEST

START_TEST(defaults)
{
	struct svc_config	c;

	svcconf_defaults(&c);
	ck_assert_uint_eq(c.max_hold, 256ULL * 1024 * 1024);
	ck_assert_uint_eq(c.max_hold_time, 30);
	ck_assert_uint_eq(c.max_upload_hold_time, 2);
	ck_assert_uint_eq(c.max_upload, 256ULL * 1024 * 1024);
	ck_assert_uint_eq(c.verdict_cache_time, 3600);
	ck_assert(!c.fail_open);
	ck_assert(c.inspect_uploads && c.inspect_downloads && c.block_page);
	ck_assert_int_eq(c.uninspectable, SVC_ACT_BLOCK);
	ck_assert_int_eq(c.oversize_upload, SVC_ACT_BLOCK);
	ck_assert_int_eq(c.oversize_download, SVC_ACT_ALLOW);
	ck_assert_uint_eq(c.limits.max_nesting, MULTIPART_MAXDEPTH);
	svcconf_free(&c);
}
END_TEST

/* The engine directives reach the engines' configuration. */
START_TEST(engine_config)
{
	struct svc_config	 c;
	struct engine_config	 ec;
	char			*cause = NULL;

	svcconf_defaults(&c);
	svcconf_engine(&c, &ec);
	ck_assert(!ec.clamav_all);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("ClamAVScanAll"), "on",
	    &cause), 0);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("ClamAVMaxSize"), "1M",
	    &cause), 0);
	svcconf_engine(&c, &ec);
	ck_assert(ec.clamav_all);
	ck_assert_uint_eq(ec.clamav_max_bytes, 1024 * 1024);
	svcconf_free(&c);
}
END_TEST

START_TEST(bad_values)
{
	struct svc_config	 c;
	char			*cause = NULL;

	svcconf_defaults(&c);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("FailOpen"), "maybe",
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "FailOpen"));
	free(cause);
	cause = NULL;
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("MaxHoldSize"), "12Q",
	    &cause), -1);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("MaxEncodings"), "99",
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "range"));
	free(cause);
	cause = NULL;
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("MaxNesting"), "0",
	    &cause), -1);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("MaxNesting"), "3",
	    &cause), 0);
	ck_assert_uint_eq(c.limits.max_nesting, 3);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("MaxHoldSize"), "2G",
	    &cause), 0);
	ck_assert_uint_eq(c.max_hold, 2ULL << 30);
	ck_assert_int_eq(svcconf_set(&c, svcconf_find("failopen"), "on",
	    &cause), 0);
	ck_assert(c.fail_open);
	svcconf_free(&c);
}
END_TEST

START_TEST(sizes)
{
	uint64_t	v;

	ck_assert_int_eq(svcconf_parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(svcconf_parse_size("64K", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(svcconf_parse_size("10MB", &v), 0);
	ck_assert_uint_eq(v, 10 << 20);
	ck_assert_int_eq(svcconf_parse_size("-1", &v), -1);
	ck_assert_int_eq(svcconf_parse_size("1X", &v), -1);
	ck_assert_int_eq(svcconf_parse_size("99999999999999999999G", &v), -1);
	ck_assert_int_eq(svcconf_parse_size("", &v), -1);
}
END_TEST

/* Every directive of the table is documented in srv_sslinspect(5). */
START_TEST(documented)
{
	const struct svcconf_entry	*e;
	const char			*top = getenv("top_srcdir");
	char				 path[4096], want[128], *man;
	FILE				*f;
	size_t				 n;

	snprintf(path, sizeof path, "%s/doc/srv_sslinspect.5",
	    top ? top : "..");
	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s", path);
	man = calloc(1, 1 << 20);
	n = fread(man, 1, (1 << 20) - 1, f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	for (e = svcconf_table; e->name != NULL; e++) {
		snprintf(want, sizeof want, ".BI sslinspect.%s ", e->name);
		ck_assert_msg(strstr(man, want) != NULL, "%s not in %s",
		    e->name, path);
	}
	free(man);
}
END_TEST

static Suite *
svcconf_suite(void)
{
	Suite	*s = suite_create("svcconf");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, table_walk);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, engine_config);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, documented);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(svcconf_suite)
