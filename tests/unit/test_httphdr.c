/* Unit tests for header lines as clients read them (httphdr.c). */
#include "config.h"

#include <stdio.h>

#include "svc_test.h"

#define N(a)	(sizeof (a) / sizeof (a)[0])

START_TEST(join_lines)
{
	static const char *const stacked[] = {
		"Content-Type: text/plain",
		"Content-Encoding: identity",
		"content-encoding:br",
		"Content-Encodings: gzip",
		"X-Content-Encoding: gzip",
		"Content-Encoding:   ",
		"Content-Encoding: gzip ,  zstd  ",
	};
	char out[64], small[13];

	ck_assert_int_eq(httphdr_join(stacked, N(stacked), "Content-Encoding",
	    out,
	    sizeof out), 4);
	ck_assert_str_eq(out, "identity, br, gzip ,  zstd");
	ck_assert_int_eq(httphdr_join(stacked, N(stacked), "Content-Length",
	    out,
	    sizeof out), 0);
	ck_assert_str_eq(out, "");
	/* What does not fit says so. */
	ck_assert_int_eq(httphdr_join(stacked, N(stacked), "Content-Encoding",
	    small,
	    sizeof small), -1);
	ck_assert_str_eq(small, "identity, br");
}
END_TEST

START_TEST(conflicts_and_status)
{
	static const char *const two[] = { "Content-Type: text/plain",
	    "Content-Type: multipart/form-data; boundary=x" };
	static const char *const same[] = { "Content-Type: text/plain",
	    "content-type: TEXT/PLAIN " };

	ck_assert(httphdr_conflict(two, 2, "Content-Type"));
	ck_assert(!httphdr_conflict(same, 2, "Content-Type"));
	ck_assert(!httphdr_conflict(two, 1, "Content-Type"));
	ck_assert(httphdr_has(two, 2, "content-type"));
	ck_assert(!httphdr_has(two, 2, "Range"));
	ck_assert_int_eq(httphdr_status("HTTP/1.1 206 Partial Content"), 206);
	ck_assert_int_eq(httphdr_status("HTTP/1.0 200"), 200);
	ck_assert_int_eq(httphdr_status("HTTP/1.1 2000 x"), -1);
	ck_assert_int_eq(httphdr_status("GET / HTTP/1.1"), -1);
	ck_assert_int_eq(httphdr_status(NULL), -1);
}
END_TEST

START_TEST(partial)
{
	static const char *const ranged[] = { "Content-Range: bytes 0-9/100" };
	static const char *const multi[] = {
	    "Content-Type: multipart/byteranges; boundary=3d6b6a416f9b5" };
	static const char *const plain[] = { "Content-Type: text/plain" };

	ck_assert(httphdr_partial(plain, 1, 206));
	ck_assert(httphdr_partial(ranged, 1, 200));
	ck_assert(httphdr_partial(multi, 1, 200));
	ck_assert(!httphdr_partial(plain, 1, 200));
	ck_assert(!httphdr_partial(NULL, 0, -1));
}
END_TEST

/* The request as a form: path, query fields, headers, cookies. */
START_TEST(request_text)
{
	static const char *const lines[] = {
		"Host: shop.test",
		"Cookie: sid=abc; cc=4111 1111 1111 1111;x=1",
		"X-Note: a=b",
		"Accept: text/html",
	};
	size_t len;
	char *t;

	t = httphdr_request_text("https://shop.test:443/p/a;v=1?q=1&c=%34111",
	    lines, N(lines), &len);
	ck_assert_str_eq(t, "/p/a&v=1&q=1&c=%34111&Host=shop.test&sid=abc"
	    "&cc=4111 1111 1111 1111&x=1&X-Note=a=b&Accept=text/html");
	ck_assert_uint_eq(len, strlen(t));
	free(t);
	t = httphdr_request_text("/local?x", NULL, 0, &len);
	ck_assert_str_eq(t, "/local&x");
	free(t);
	t = httphdr_request_text(NULL, NULL, 0, &len);
	ck_assert_str_eq(t, "");
	ck_assert_uint_eq(len, 0);
	free(t);
}
END_TEST

START_TEST(mask_digits)
{
	char	a[] = "/p?c1=4111&c2=1111&c3=1111&c4=1234",
	    b[] = "/o/%34111/x12",
	    c[] = "/abc/12";

	httphdr_mask_digits(a);
	ck_assert_str_eq(a, "/p?c*=****&c*=****&c*=****&c*=1234");
	httphdr_mask_digits(b);
	ck_assert_str_eq(b, "/o/****11/x12");
	httphdr_mask_digits(c);
	ck_assert_str_eq(c, "/abc/12");
}
END_TEST

/*
 * The names a browser saves a body under, as script hosts read them: by
 * Content-Disposition's filename or filename*, else the URL's last
 * segment with its escapes undone; Windows drops trailing dots and blanks.
 */
START_TEST(script_names)
{
	static const struct {
		const char	*path, *disposition;
		bool		 script;
	} t[] = {
		{ "/dl/invoice.js", NULL, true },
		{ "/dl/INVOICE.VBS?x=1#top", NULL, true },
		{ "/dl/run.bat.", NULL, true },
		{ "/dl/run.cmd ", NULL, true },
		{ "/dl/x%2Ejs", NULL, true },
		{ "/dl/x.hta", NULL, true },
		{ "/dl/x.ps1", NULL, true },
		{ "/dl/x.wsf", NULL, true },
		{ "/dl/get?id=5", "attachment; filename=\"a b.jse\"", true },
		{ "/dl/get",
		  "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.vbe", true },
		{ "/dl/get", "attachment;filename=x.sct", true },
		{ "/app.js/data.json", NULL, false },
		{ "/dl/js", NULL, false },
		{ "/dl/.js", NULL, true },
		{ "/dl/notes.txt", NULL, false },
		{ "/dl/x.json", NULL, false },
		{ "/dl/get?f=a.js", NULL, false },
		{ "/dl/get", "inline; name=\"a.js\"", false },
		{ "/dl/get", "attachment; filename=\"a.js.txt\"", false },
		{ NULL, NULL, false },
	};
	char	out[16];
	size_t	i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_msg(httphdr_script_named(t[i].path,
		    t[i].disposition) == t[i].script, "%zu: %s %s", i,
		    t[i].path ? t[i].path : "-",
		    t[i].disposition ? t[i].disposition : "-");
	ck_assert(!httphdr_script_name(""));
	httphdr_param("a=1; b=\"x\\\"y\"", 16, "b", out, sizeof out);
	ck_assert_str_eq(out, "x\"y");
	httphdr_param("a=1", 3, "b", out, sizeof out);
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *
httphdr_suite(void)
{
	Suite	*s = suite_create("httphdr");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, join_lines);
	tcase_add_test(tc, conflicts_and_status);
	tcase_add_test(tc, partial);
	tcase_add_test(tc, request_text);
	tcase_add_test(tc, mask_digits);
	tcase_add_test(tc, script_names);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(httphdr_suite)
