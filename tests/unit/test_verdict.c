/*
 * Unit tests for the service's decisions (verdict.c), as tables: every
 * combination of policy action, body outcome and setting, with the answer
 * each must give.
 */
#include "config.h"

#include <stdio.h>

#include "svc_test.h"
#include "verdict.h"

#define A_INS	POLICY_INSPECT
#define A_ALL	POLICY_ALLOW
#define A_BLK	POLICY_BLOCK
#define A_MON	POLICY_MONITOR

START_TEST(start_table)
{
	static const struct {
		enum policy_action action;
		bool pending, inspect, hasbody;
		enum verdict_start want;
	} t[] = {
		{ A_BLK, false, true, true, START_BLOCK },
		/* a block needs no body */
		{ A_BLK, false, false, false, START_BLOCK },
		/* waits for the type */
		{ A_BLK, true, true, true, START_SCAN },
		{ A_ALL, false, true, true, START_PASS_POLICY },
		{ A_ALL, true, true, true, START_SCAN },
		{ A_INS, false, false, true, START_PASS_OFF },
		{ A_INS, false, true, false, START_PASS_NOBODY },
		{ A_INS, false, true, true, START_SCAN },
		{ A_MON, false, true, true, START_SCAN },
		{ A_MON, false, true, false, START_PASS_NOBODY },
	};
	struct verdict_start_input in;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&in, 0, sizeof in);
		in.action = t[i].action;
		in.pending = t[i].pending;
		in.inspect = t[i].inspect;
		in.hasbody = t[i].hasbody;
		ck_assert_msg(verdict_start(&in) == t[i].want, "row %zu", i);
	}
	ck_assert_str_eq(verdict_start_reason(START_PASS_NOBODY), "no body");
}
END_TEST

START_TEST(hold_table)
{
	static const struct {
		bool upload;
		uint64_t bytes, held_ms, max_bytes, max_ms;
		bool allow;
		enum verdict_hold want;
		bool no_stream;
		uint64_t ahead_ms;
	} t[] = {
		/* within both limits: hold */
		{ false, 1000, 10, 60000, 30000, true, HOLD_KEEP, false },
		{ false, 60000, 29999, 60000, 30000, true, HOLD_KEEP, false },
		/*
		 * a download past the size: released while scanned, or blocked
		 */
		{ false, 60001, 10, 60000, 30000, true, HOLD_STREAM, false },
		{ false, 60001, 10, 60000, 30000, false, HOLD_OVERSIZE, false },
		/*
		 * past the time: always released while scanned, never blocked
		 */
		{ false, 1000, 30000, 60000, 30000, true, HOLD_STREAM, false },
		{ false, 1000, 30000, 60000, 30000, false, HOLD_STREAM, false },
		/* no limit */
		{ false, 1000, 99999999, 60000, 0, true, HOLD_KEEP, false },
		/* an upload: time never releases it; size per OversizeUpload */
		{ true, 1000, 99999999, 60000, 30000, false, HOLD_KEEP, false },
		{ true, 60001, 10, 60000, 30000, false, HOLD_OVERSIZE, false },
		{ true, 60001, 10, 60000, 30000, true, HOLD_STREAM, false },
		/* a range: never released before its verdict */
		{ false, 60001, 10, 60000, 30000, true, HOLD_OVERSIZE, true },
		{ false, 1000, 30000, 60000, 30000, true, HOLD_KEEP, true },
		{ false, 1000, 10, 60000, 30000, true, HOLD_KEEP, true },
		/*
		 * an upload past MaxUploadHoldTime: its request goes ahead;
		 * the size limit still comes first; a download never
		 */
		{ true, 1000, 1999, 60000, 30000, false, HOLD_KEEP, false,
		    2000 },
		{ true, 1000, 2000, 60000, 30000, false, HOLD_AHEAD, false,
		    2000 },
		{ true, 60001, 2000, 60000, 30000, false, HOLD_OVERSIZE, false,
		    2000 },
		{ true, 60001, 2000, 60000, 30000, true, HOLD_STREAM, false,
		    2000 },
		{ false, 1000, 2000, 60000, 30000, true, HOLD_KEEP, false,
		    2000 },
		{ true, 1000, 99999999, 60000, 30000, true, HOLD_KEEP, false,
		    0 },
	};
	struct verdict_hold_input in;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&in, 0, sizeof in);
		in.upload = t[i].upload;
		in.bytes = t[i].bytes;
		in.held_ms = t[i].held_ms;
		in.max_bytes = t[i].max_bytes;
		in.max_ms = t[i].max_ms;
		in.oversize_allow = t[i].allow;
		in.no_stream = t[i].no_stream;
		in.ahead_ms = t[i].ahead_ms;
		ck_assert_msg(verdict_hold(&in) == t[i].want, "row %zu", i);
	}
}
END_TEST

/*
 * Every action x outcome x detection x FailOpen x Uninspectable: the
 * verdict. A detection always wins except under a monitoring rule.
 */
START_TEST(decide_table)
{
	static const struct {
		enum policy_action action;
		enum body_verdict body;
		bool detected, fail_open, uninsp_allow;
		enum verdict want;
		bool partial, media;
	} t[] = {
		{ A_INS, BODY_CLEAN, false, false, false, VERDICT_ALLOW, false,
		  false },
		{ A_INS, BODY_FOUND, true, false, false, VERDICT_BLOCK_FOUND,
		  false, false },
		{ A_INS, BODY_FOUND, true, true, true, VERDICT_BLOCK_FOUND,
		  false, false },
		{ A_INS, BODY_UNINSPECTABLE, false, false, false,
		  VERDICT_BLOCK_UNINSPECTABLE, false, false },
		{ A_INS, BODY_UNINSPECTABLE, false, false, true,
		  VERDICT_ALLOW_UNINSPECTABLE, false, false },
		{ A_INS, BODY_ERROR, false, false, false, VERDICT_BLOCK_FAILED,
		  false, false },
		{ A_INS, BODY_ERROR, false, true, false, VERDICT_FAIL_OPEN,
		  false, false },
		/* found, then an engine failed: FailOpen must not erase it */
		{ A_INS, BODY_ERROR, true, true, false, VERDICT_BLOCK_FOUND,
		  false, false },
		{ A_INS, BODY_UNINSPECTABLE, true, false, true,
		  VERDICT_BLOCK_FOUND, false, false },
		/*
		 * a pending rule that resolved to allow: detections still win
		 */
		{ A_ALL, BODY_CLEAN, false, false, false, VERDICT_ALLOW, false,
		  false },
		{ A_ALL, BODY_FOUND, true, false, false, VERDICT_BLOCK_FOUND,
		  false, false },
		{ A_ALL, BODY_ERROR, true, true, false, VERDICT_BLOCK_FOUND,
		  false, false },
		{ A_ALL, BODY_UNINSPECTABLE, false, false, false, VERDICT_ALLOW,
		  false, false },
		{ A_ALL, BODY_ERROR, false, false, false, VERDICT_ALLOW, false,
		  false },
		/* a rule that resolved to block blocks, whatever the body */
		{ A_BLK, BODY_CLEAN, false, false, false, VERDICT_BLOCK_POLICY,
		  false, false },
		{ A_BLK, BODY_FOUND, true, false, false, VERDICT_BLOCK_POLICY,
		  false, false },
		/* monitor: never blocks, and says what it let through */
		{ A_MON, BODY_CLEAN, false, false, false, VERDICT_ALLOW, false,
		  false },
		{ A_MON, BODY_FOUND, true, false, false, VERDICT_MONITOR, false,
		  false },
		{ A_MON, BODY_UNINSPECTABLE, false, false, false,
		  VERDICT_MONITOR, false, false },
		{ A_MON, BODY_ERROR, false, false, false, VERDICT_MONITOR,
		  false, false },
		/* a found body without findings listed (engine verdict only) */
		{ A_INS, BODY_FOUND, false, false, false, VERDICT_BLOCK_FOUND,
		  false, false },
		/*
		 * a range: clean is not enough unless it is all image or media
		 */
		{ A_INS, BODY_CLEAN, false, false, false,
		  VERDICT_BLOCK_UNINSPECTABLE, true, false },
		{ A_INS, BODY_CLEAN, false, false, true,
		  VERDICT_ALLOW_UNINSPECTABLE, true, false },
		{ A_INS, BODY_CLEAN, false, false, false, VERDICT_ALLOW, true,
		  true },
		{ A_INS, BODY_FOUND, true, false, true, VERDICT_BLOCK_FOUND,
		  true, true },
		{ A_INS, BODY_ERROR, false, true, false, VERDICT_FAIL_OPEN,
		  true, false },
		{ A_MON, BODY_CLEAN, false, false, false, VERDICT_MONITOR, true,
		  false },
		{ A_ALL, BODY_CLEAN, false, false, false, VERDICT_ALLOW, true,
		  false },
		{ A_BLK, BODY_CLEAN, false, false, false, VERDICT_BLOCK_POLICY,
		  true, true },
	};
	struct verdict_input in;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&in, 0, sizeof in);
		in.action = t[i].action;
		in.body = t[i].body;
		in.detected = t[i].detected;
		in.fail_open = t[i].fail_open;
		in.uninspectable_allow = t[i].uninsp_allow;
		in.partial = t[i].partial;
		in.partial_media = t[i].media;
		ck_assert_msg(verdict_decide(&in) == t[i].want,
		    "row %zu: got %d", i, verdict_decide(&in));
	}
}
END_TEST

START_TEST(names_and_blocks)
{
	static const struct {
		enum verdict v;
		const char *name;
		bool blocks;
	} t[] = {
		{ VERDICT_ALLOW, "allow", false },
		{ VERDICT_MONITOR, "monitor", false },
		{ VERDICT_ALLOW_UNINSPECTABLE, "allow-uninspectable", false },
		{ VERDICT_FAIL_OPEN, "fail-open", false },
		{ VERDICT_BLOCK_POLICY, "block", true },
		{ VERDICT_BLOCK_FOUND, "block", true },
		{ VERDICT_BLOCK_UNINSPECTABLE, "block", true },
		{ VERDICT_BLOCK_FAILED, "block", true },
	};
	size_t i;

	ck_assert_uint_eq(sizeof t / sizeof t[0], VERDICT_COUNT);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_str_eq(verdict_name(t[i].v), t[i].name);
		ck_assert(verdict_blocks(t[i].v) == t[i].blocks);
	}
	ck_assert(verdict_blocks(VERDICT_COUNT) == false);
}
END_TEST

START_TEST(cache_keys)
{
	char	a[VCACHE_KEY_MAX], b[VCACHE_KEY_MAX], small[16], url[3000];

	ck_assert_int_eq(verdict_cache_key(a, sizeof a, "https://x.test/f",
	    "\"e1\"", "Mon, 01 Jan 2026 00:00:00 GMT", 68), 0);
	ck_assert_str_eq(a,
	    "https://x.test/f\n\"e1\"\nMon, 01 Jan 2026 00:00:00 GMT\n68");
	/* another version of the same URL is another key */
	ck_assert_int_eq(verdict_cache_key(b, sizeof b, "https://x.test/f",
	    "\"e2\"", "Mon, 01 Jan 2026 00:00:00 GMT", 68), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(verdict_cache_key(b, sizeof b, "https://x.test/f",
	    "\"e1\"", "Mon, 01 Jan 2026 00:00:00 GMT", 69), 0);
	ck_assert_str_ne(a, b);
	/* no validators: the URL alone */
	ck_assert_int_eq(verdict_cache_key(b, sizeof b, "https://x.test/f",
	    NULL, "", -1), 0);
	ck_assert_str_eq(b, "https://x.test/f\n-\n-\n-");
	/* a key that does not fit is no key */
	ck_assert_int_eq(verdict_cache_key(small, sizeof small,
	    "https://x.test/f",
	    NULL, NULL, -1), -1);
	memset(url, 'a', sizeof url - 1);
	url[sizeof url - 1] = '\0';
	ck_assert_int_eq(verdict_cache_key(a, sizeof a, url, NULL, NULL, 1), 0);
}
END_TEST

/* The content key: host, length, how much was hashed, and the hash. */
START_TEST(cache_body_keys)
{
	char		 a[VCACHE_KEY_MAX], b[VCACHE_KEY_MAX], small[64], h[65];
	const char	*h2 = "1111111111111111111111111111111111111111"
	    "111111111111111111111111";

	memset(h, 'a', 64);
	h[64] = '\0';
	ck_assert_int_eq(verdict_cache_body_key(a, sizeof a, "x.test", 1000,
	    61440, h), 0);
	ck_assert_str_eq(a, "body\nx.test\n1000\n61440\n"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	/* the same start on another host, of another length or hash */
	ck_assert_int_eq(verdict_cache_body_key(b, sizeof b, "y.test", 1000,
	    61440, h), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(verdict_cache_body_key(b, sizeof b, "x.test", 1001,
	    61440, h), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(verdict_cache_body_key(b, sizeof b, "x.test", 1000,
	    1024, h), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(verdict_cache_body_key(b, sizeof b, "x.test", 1000,
	    61440, h2), 0);
	ck_assert_str_ne(a, b);
	/* no length: -1, never "-" (no URL key's field) */
	ck_assert_int_eq(verdict_cache_body_key(b, sizeof b, "x.test", -5,
	    61440, h), 0);
	ck_assert_str_eq(b, "body\nx.test\n-1\n61440\n"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	/* no hash, a short one, or no room: no key */
	ck_assert_int_eq(verdict_cache_body_key(b, sizeof b, "x.test", 1,
	    1, NULL), -1);
	ck_assert_int_eq(verdict_cache_body_key(b, sizeof b, "x.test", 1,
	    1, "abc"), -1);
	ck_assert_int_eq(verdict_cache_body_key(b, sizeof b, NULL, 1, 1, h),
	    -1);
	ck_assert_int_eq(verdict_cache_body_key(small, sizeof small, "x.test",
	    1, 1, h), -1);
}
END_TEST

/* Range and dictionary headers go unless the policy passes the download. */
START_TEST(strip_table)
{
	static const struct {
		bool present, inspect;
		enum policy_action action;
		bool pending, want;
	} t[] = {
		{ true, true, A_INS, false, true },
		{ true, true, A_MON, false, true },
		{ true, true, A_BLK, false, true },
		/* not inspected: kept */
		{ true, true, A_ALL, false, false },
		/* allowed only for some types */
		{ true, true, A_ALL, true, true },
		/* InspectDownloads off */
		{ true, false, A_INS, false, false },
		{ false, true, A_INS, false, false },
	};
	struct verdict_strip_input in;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&in, 0, sizeof in);
		in.present = t[i].present;
		in.inspect = t[i].inspect;
		in.action = t[i].action;
		in.pending = t[i].pending;
		ck_assert_msg(verdict_strip_headers(&in) == t[i].want,
		    "row %zu", i);
	}
}
END_TEST

/* The worst of several verdicts (one per true type) wins. */
START_TEST(ranks_and_media)
{
	static const enum verdict	order[] = { VERDICT_ALLOW,
	    VERDICT_ALLOW_UNINSPECTABLE, VERDICT_FAIL_OPEN, VERDICT_MONITOR,
	    VERDICT_BLOCK_FAILED, VERDICT_BLOCK_UNINSPECTABLE,
	    VERDICT_BLOCK_FOUND,
	    VERDICT_BLOCK_POLICY };
	static const char		media[][32] = { "png", "mp4", "jpeg" };
	static const char		svg[][32] = { "png", "svg" };
	static const char		text[][32] = { "mp4", "text" };
	static const char		unknown[][32] = { "no-such-type" };
	size_t				i;

	ck_assert_uint_eq(sizeof order / sizeof order[0], VERDICT_COUNT);
	for (i = 1; i < VERDICT_COUNT; i++)
		ck_assert_int_lt(verdict_rank(order[i - 1]),
		    verdict_rank(order[i]));
	for (i = 0; i < VERDICT_COUNT; i++)
		ck_assert(verdict_blocks(order[i]) == (verdict_rank(
		    order[i]) >= 4));
	ck_assert(verdict_media_types(media, 3));
	ck_assert(!verdict_media_types(svg, 2));
	ck_assert(!verdict_media_types(text, 2));
	ck_assert(!verdict_media_types(unknown, 1));
	ck_assert(!verdict_media_types(media, 0));
}
END_TEST

static Suite *
verdict_suite(void)
{
	Suite	*s = suite_create("verdict");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, start_table);
	tcase_add_test(tc, hold_table);
	tcase_add_test(tc, decide_table);
	tcase_add_test(tc, names_and_blocks);
	tcase_add_test(tc, cache_keys);
	tcase_add_test(tc, cache_body_keys);
	tcase_add_test(tc, strip_table);
	tcase_add_test(tc, ranks_and_media);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(verdict_suite)
