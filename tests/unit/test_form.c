/* Unit tests for the urlencoded and JSON normalisers (form.c). */
#include "config.h"

#include "svc_test.h"

static char *
run(enum form_kind k, const char *in, size_t step)
{
	struct collect	 c = { NULL, 0, 0, 0 };
	struct form	*f = form_new(k, collect_sink, &c);
	size_t		 off, n, len = strlen(in);

	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		ck_assert_int_eq(form_feed(f, in + off, n), 0);
	}
	ck_assert_int_eq(form_finish(f), 0);
	form_free(f);
	if (c.buf == NULL)
		return strdup("");
	return (char *)c.buf;
}

static void
check(enum form_kind k, const char *in, const char *want)
{
	size_t	 step;
	char	*got;

	for (step = 1; step < 6; step++) {
		got = run(k, in, step);
		ck_assert_str_eq(got, want);
		free(got);
	}
}

START_TEST(urlencoded)
{
	check(FORM_URLENCODED, "card=4111%201111+1111%2B1111&x=%zz%4",
	    "card=4111 1111 1111+1111\nx=%zz%4");
	check(FORM_URLENCODED, "", "");
	check(FORM_URLENCODED, "%41%42%43", "ABC");
}
END_TEST

START_TEST(json)
{
	check(FORM_JSON, "{\"n\":\"\\u0034\\u00311\\/1\\n\",\"k\":[1,2]}",
	    "{\"n\":\"411/1\n\",\"k\":[1,2]}");
	check(FORM_JSON, "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"");
	check(FORM_JSON, "\"\\u00e9\\\"\"", "\"\xc3\xa9\"\"");
	check(FORM_JSON, "\"\\uZZZZ\"", "\"?\"");
}
END_TEST

START_TEST(nested_encodings)
{
	/* JSON sent as a string inside JSON. */
	check(FORM_JSON,
	    "{\"data\":\"{\\\"cc\\\":\\\"\\\\u0034111 1111\\\"}\"}",
	    "{\"data\":\"{\"cc\":\"4111 1111\"}\"}");
	/* JSON inside a form field (Slack-style payload=). */
	check(FORM_URLENCODED, "payload=%7B%22cc%22%3A%22%5Cu0034111%22%7D",
	    "payload={\"cc\":\"4111\"}");
	/* Percent signs encoded again, twice. */
	check(FORM_URLENCODED, "cc=%25341111&d=%252534", "cc=41111\nd=4");
	/* Three layers are undone, a fourth is left for the engines as is. */
	check(FORM_URLENCODED, "d=%25252534", "d=%34");
	/* Incomplete escapes at the end stay text, in every pass. */
	check(FORM_JSON, "\"a\\u00", "\"au00");
	check(FORM_URLENCODED, "a=%2", "a=%2");
}
END_TEST

/* %uXXXX (IIS, ASP.NET) and escapes that turn out not to be one. */
START_TEST(percent_u_and_reread)
{
	check(FORM_URLENCODED, "c=%u0034%u00311&d=%U0041", "c=411\nd=A");
	check(FORM_URLENCODED, "a=%z%41&b=%%34&c=%u00zz",
	    "a=%zA\nb=%4\nc=%u00zz");
	check(FORM_JSON, "{\"a\":\"%u0034\"}", "{\"a\":\"4\"}");
}
END_TEST

/* Text that is neither form nor JSON: escapes undone wherever they are. */
START_TEST(text)
{
	check(FORM_TEXT, "card \\u0034111 %341%31 1111+1",
	    "card 4111 411 1111+1");
	check(FORM_TEXT, "plain text, nothing to undo",
	    "plain text, nothing to undo");
}
END_TEST

/*
 * Values, one blank apart, numbers spread over fields coming out whole;
 * the names on a line after them, where context words are looked for.
 */
START_TEST(values)
{
	check(FORM_URL_VALUES, "cc1=4111&cc2=1111&cc3=1111&cc4=1111",
	    "4111 1111 1111 1111\ncc1 cc2 cc3 cc4\n");
	check(FORM_URL_VALUES, "a=%34%31+1&flag&b=x&&c=",
	    "41 1 flag\na\nx\nb\n\nc\n");
	check(FORM_URL_VALUES, "d=%2534", "4\nd\n");
	check(FORM_URL_VALUES, "c1=4111;c2=1111;c3=1111",
	    "4111 1111 1111\nc1 c2 c3\n");
	check(FORM_JSON_VALUES, "{\"n\": [4111, 1111,1111 ,1111], \"k\":\"v\"}",
	    "4111 1111 1111 1111 v\nn k\n");
	check(FORM_JSON_VALUES, "{\"a\":\"\\u0034111\",\"b\":[\"1111\"]}",
	    "4111 1111\na b\n");
	check(FORM_JSON_VALUES, "[{\"k\":\"1\"},{\"k2\\\"\":\"2\"},3]",
	    "1 2 3\nk k2\"\n");
	check(FORM_JSON_VALUES,
	    "{\"card\":[4111,1111,1111,1111],\"note\":\"x\"}",
	    "4111 1111 1111 1111 x\ncard note\n");
	/* A text value before the number does not split it. */
	check(FORM_URL_VALUES, "/p&card1=4111&card2=1111&host=x.test",
	    "/p 4111 1111 x.test\ncard1 card2 host\n");
	check(FORM_JSON_VALUES, "", "");
}
END_TEST

START_TEST(nested_large)
{
	size_t	 n = 1 << 20, i;
	char	*in = malloc(n + 1), *got;

	/* A megabyte of double-encoded text in one feed, every layer undone. */
	for (i = 0; i + 6 <= n; i += 6)
		memcpy(in + i, "%2541 ", 6);
	in[i] = '\0';
	got = run(FORM_URLENCODED, in, n);
	ck_assert_uint_eq(strlen(got), i / 6 * 2);
	ck_assert_int_eq(strncmp(got, "A A ", 4), 0);
	free(got);
	free(in);
}
END_TEST

static Suite *
form_suite(void)
{
	Suite	*s = suite_create("form");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, urlencoded);
	tcase_add_test(tc, json);
	tcase_add_test(tc, nested_encodings);
	tcase_add_test(tc, nested_large);
	tcase_add_test(tc, percent_u_and_reread);
	tcase_add_test(tc, text);
	tcase_add_test(tc, values);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(form_suite)
