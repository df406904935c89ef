/* Unit tests for the engine API (icap_service/engine.h) end to end. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "malware.h"

static struct engine_set	*set;

static void
setup(void)
{
	struct engine_config	 cfg;
	char			*cause = NULL;

	engine_config_defaults(&cfg);
	cfg.clamav = false;
	set = engine_set_load(&cfg, &cause);
	ck_assert_msg(set != NULL, "load: %s", cause);
}

static void
teardown(void)
{
	engine_set_free(set);
	set = NULL;
}

/* Scan buf in pieces of step bytes with the upload defaults. */
static struct engine_result
scan(const void *buf, size_t len, size_t step)
{
	struct engine_profile	 p;
	struct engine_result	 r;
	struct engine_scan	*s;
	char			*cause = NULL;
	size_t			 off, n;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	s = engine_scan_begin(set, &p, ENGINE_UPLOAD, NULL, &cause);
	ck_assert_msg(s != NULL, "begin: %s", cause);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		ck_assert_int_eq(engine_scan_feed(s, (const char *)buf + off,
		    n, &cause), 0);
	}
	ck_assert_int_eq(engine_scan_end(s, &r, &cause), 0);
	engine_scan_free(s);
	return (r);
}

static bool
has(const struct engine_result *r, const char *type)
{
	size_t	i;

	for (i = 0; i < r->nfindings; i++) {
		if (strcmp(r->findings[i].type, type) == 0)
			return (true);
	}
	return (false);
}

START_TEST(eicar_any_split)
{
	char			 e[MALWARE_EICAR_LEN + 1], buf[300];
	struct engine_result	 r;
	size_t			 step;

	malware_eicar_string(e);
	memset(buf, 'a', sizeof buf);
	memcpy(buf + 100, e, MALWARE_EICAR_LEN);
	for (step = 1; step <= sizeof buf; step += 7) {
		r = scan(buf, sizeof buf, step);
		ck_assert_int_eq(r.verdict, ENGINE_FOUND);
		ck_assert(has(&r, "Eicar-Test-Signature"));
	}
}
END_TEST

START_TEST(card_split_every_offset)
{
	const char		 text[] = "order ok, card 4111 1111 1111 1111, thanks";
	struct engine_result	 r;
	size_t			 step;

	for (step = 1; step <= sizeof text; step++) {
		r = scan(text, sizeof text - 1, step);
		ck_assert_int_eq(r.verdict, ENGINE_FOUND);
		ck_assert(has(&r, "credit_card"));
		ck_assert_str_eq(r.findings[0].sample, "************1111");
	}
}
END_TEST

START_TEST(clean_text)
{
	const char		 text[] = "order 4111 1111 1111 1112 phone 555-123-4567";
	struct engine_result	 r;

	r = scan(text, sizeof text - 1, 5);
	ck_assert_int_eq(r.verdict, ENGINE_CLEAN);
	ck_assert_str_eq(r.true_type, "text");
}
END_TEST

static Suite *
engines_suite(void)
{
	Suite	*s = suite_create("engines");
	TCase	*tc = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, eicar_any_split);
	tcase_add_test(tc, card_split_every_offset);
	tcase_add_test(tc, clean_text);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(engines_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
