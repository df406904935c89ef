/* Unit tests for the multipart/form-data parser (multipart.c). */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "svc_test.h"

struct rec {
	char	 log[8192];
	char	 raw[8192];
	char	 head[8192];
	unsigned begins, ends, open;
	size_t	 bytes;
};

static void
append(char *log, size_t cap, const void *buf, size_t len)
{
	size_t	l = strlen(log);

	if (l + len < cap - 1) {
		memcpy(log + l, buf, len);
		log[l + len] = '\0';
	}
}

/*
 * "[name|filename|type|flags]": b base64, q quoted-printable, n nested, l loose
 */
static void *
rbegin(void *arg, const struct mp_part *p)
{
	struct rec	*r = arg;
	size_t		 l = strlen(r->log);

	r->begins++;
	r->open++;
	if (l < sizeof r->log - 600)
		snprintf(r->log + l, sizeof r->log - l, "[%s|%s|%s|%s%s%s%s]",
		    p->name, p->filename, p->content_type,
		    p->cte == MP_CTE_BASE64 ? "b" : "",
		    p->cte == MP_CTE_QP ? "q" : "",
		    p->nested ? "n" : "", p->loose ? "l" : "");
	return r;
}

static int
rdata(void *arg, void *h, const void *buf, size_t len)
{
	struct rec	*r = arg;

	ck_assert_ptr_eq(h, r);
	r->bytes += len;
	append(r->log, sizeof r->log, buf, len);
	return 0;
}

static int
rraw(void *arg, void *h, const void *buf, size_t len)
{
	struct rec	*r = arg;

	append(r->raw, sizeof r->raw, buf, len);
	return 0;
}

static int
rend(void *arg, void *h)
{
	struct rec	*r = arg;

	r->ends++;
	r->open--;
	append(r->log, sizeof r->log, "$", 1);
	return 0;
}

static int
rhead(void *arg, const void *buf, size_t len)
{
	struct rec	*r = arg;

	append(r->head, sizeof r->head, buf, len);
	append(r->head, sizeof r->head, "#", 1);
	return 0;
}

static const struct mp_callbacks cbs = { rbegin, rdata, rraw, rend, rhead };

static enum mp_status
parse(const char *boundary, const char *body, size_t len, size_t step,
    struct rec *r,
    const struct svc_limits *lim)
{
	struct multipart	*m = multipart_new(boundary, lim, &cbs, r);
	enum mp_status		 st = MP_OK;
	size_t			 off, n;

	ck_assert_ptr_nonnull(m);
	memset(r, 0, sizeof *r);
	for (off = 0; off < len && st == MP_OK; off += n) {
		n = len - off < step ? len - off : step;
		st = multipart_feed(m, body + off, n);
	}
	if (st == MP_OK)
		st = multipart_finish(m);
	multipart_free(m);
	return st;
}

static const char form[] =
    "preamble to scan\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"comment\"\r\n"
    "\r\n"
    "hello\r\n--not the boundary\r\n"
    "--XyZ  \r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a "
    "\\\"b\\\".txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "card 4111111111111111\r\n"
    "--XyZ--\r\n"
    "epilogue --XyZ\r\n";

START_TEST(two_parts_any_chunking)
{
	static const size_t	steps[] = { 1, 2, 5, 13, 4096 };
	struct svc_limits	lim;
	struct rec		r;
	size_t			i;

	test_limits(&lim);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		ck_assert_int_eq(parse("XyZ", form, sizeof form - 1, steps[i],
		    &r, &lim), MP_OK);
		ck_assert_uint_eq(r.begins, 4);
		ck_assert_uint_eq(r.ends, 4);
		/* Preamble and epilogue are parts of their own, scanned too. */
		ck_assert_str_eq(r.log, "[|||l]preamble to scan$"
		    "[comment|||]hello\r\n--not the boundary$"
		    "[file|a \"b\".txt|text/plain|]card 4111111111111111$"
		    "[|||l]epilogue --XyZ\r\n$");
		ck_assert_str_eq(r.head,
		    "Content-Disposition: form-data; name=\"comment\"\r\n#"
		    "Content-Disposition: form-data; name=\"file\"; "
		    "filename=\"a \\\"b\\\".txt\"\r\n"
		    "Content-Type: text/plain\r\n#");
		ck_assert_str_eq(r.raw, "");
	}
}
END_TEST

START_TEST(boundary_param)
{
	static const struct {
		const char *ct;
		int rc;
		const char *want;
	} t[] = {
		{ "multipart/form-data; boundary=abc", 0, "abc" },
		{ "Multipart/Form-Data;charset=x; BOUNDARY=\"a b;c\"", 0,
		  "a b;c" },
		{ "multipart/form-data; "
		  "boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
		  0, "----WebKitFormBoundary7MA4YWxkTrZu0gW" },
		{ "multipart/form-data; boundary=abc; boundary=abc", 0, "abc" },
		{ "multipart/form-data", -1, NULL },
		{ "multipart/form-data; boundary=", -1, NULL },
		{ "multipart/form-data; boundary=\"open", -1, NULL },
		{ "text/plain; boundary=x", -1, NULL },
		{ "multipart/form-data; xboundary=x", -1, NULL },
		{ "multipart/form-data; boundary="
		  "012345678901234567890123456789012345678901234567890123456789"
		  "01234567890123",
		  -1, NULL },
		/* Servers disagree on these: ambiguous. */
		{ "multipart/form-data; boundary=A; boundary=B", -2, NULL },
		{ "multipart/form-data; boundary=A; BOUNDARY=\"B\"", -2, NULL },
		{ "multipart/form-data; x=\"boundary=B\"; boundary=A", -2,
		  NULL },
		{ "multipart/form-data; xboundary=B; boundary=A", -2, NULL },
		{ "multipart/form-data; boundary=\"a\\\"b\"", -2, NULL },
		{ "multipart/form-data; boundary=abc def", -2, NULL },
		{ "multipart/form-data; boundary=abc,def", -2, NULL },
		{ "multipart/form-data; boundary= abc", -2, NULL },
		{ "multipart/form-data; boundary=\"abc \"", -2, NULL },
	};
	char b[80];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_msg(multipart_boundary(t[i].ct, b,
		    sizeof b) == t[i].rc,
		    "%s: %d", t[i].ct, multipart_boundary(t[i].ct, b,
		    sizeof b));
		if (t[i].want != NULL)
			ck_assert_str_eq(b, t[i].want);
	}
}
END_TEST

START_TEST(malformed)
{
	struct svc_limits	 lim;
	struct rec		 r;
	const char		*b;
	char			*big;
	size_t			 n;

	test_limits(&lim);
	/*
	 * No closing delimiter (truncated body): the part is still delivered.
	 */
	b = "--B\r\n\r\nsecret data";
	ck_assert_int_eq(parse("B", b, strlen(b), 3, &r, &lim), MP_MALFORMED);
	ck_assert_uint_eq(r.ends, 1);
	ck_assert_ptr_nonnull(strstr(r.log, "secret data"));
	/* Junk after a delimiter. */
	b = "--Bjunk\r\n\r\nx\r\n--B--";
	ck_assert_int_eq(parse("B", b, strlen(b), 4096, &r, &lim),
	    MP_MALFORMED);
	/* No boundary anywhere: the text is still handed over. */
	b = "just text";
	ck_assert_int_eq(parse("B", b, strlen(b), 4096, &r, &lim),
	    MP_MALFORMED);
	ck_assert_str_eq(r.log, "[|||l]just text$");
	/* Headers that never end. */
	n = 100000;
	big = malloc(n);
	memcpy(big, "--B\r\nX-Long: ", 13);
	memset(big + 13, 'a', n - 13);
	ck_assert_int_eq(parse("B", big, n, 4096, &r, &lim), MP_MALFORMED);
	ck_assert_uint_eq(r.begins, 0);
	free(big);
	ck_assert_ptr_null(multipart_new("", &lim, &cbs, &r));
}
END_TEST

START_TEST(many_tiny_parts)
{
	struct svc_limits	 lim;
	struct rec		 r;
	size_t			 n = 100000, i, len = 0;
	char			*body = malloc(n * 40 + 16);
	time_t			 t0 = time(NULL);

	test_limits(&lim);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(body + len, "--b\r\n\r\n%zu\r\n",
		    i % 10);
	len += (size_t)sprintf(body + len, "--b--\r\n");
	/* Default limit: explicit result, stopped early. */
	ck_assert_int_eq(parse("b", body, len, 4096, &r, &lim), MP_LIMIT);
	ck_assert_uint_eq(r.begins, lim.max_parts);
	/* Raised limit: all parts, in bounded time. */
	lim.max_parts = 200000;
	ck_assert_int_eq(parse("b", body, len, 4096, &r, &lim), MP_OK);
	ck_assert_uint_eq(r.begins, n);
	ck_assert_uint_eq(r.bytes, n);
	ck_assert_int_le(time(NULL) - t0, 30);
	free(body);
}
END_TEST

START_TEST(lf_framing)
{
	struct svc_limits	 lim;
	struct rec		 r;
	const char		*b;
	size_t			 step;

	test_limits(&lim);
	for (step = 1; step < 8; step++) {
		/*
		 * A first delimiter line ending in LF frames the body with LF.
		 */
		b = "--q\n\r\nbody\r\n--q--";
		ck_assert_int_eq(parse("q", b, strlen(b), step, &r, &lim),
		    MP_OK);
		ck_assert_str_eq(r.log, "[|||]body$");
		b = "--q\nContent-Disposition: form-data; name=a\n\nx\n--q\n"
		    "Content-Disposition: form-data; name=b\n\n4111 "
		    "1111\n--q--\n";
		ck_assert_int_eq(parse("q", b, strlen(b), step, &r, &lim),
		    MP_OK);
		ck_assert_str_eq(r.log, "[a|||]x$[b|||]4111 1111$");
		/* Header lines may end in LF in a CRLF body too. */
		b = "--q\r\nContent-Disposition: form-data; "
		    "name=a\n\nx\r\n--q--";
		ck_assert_int_eq(parse("q", b, strlen(b), step, &r, &lim),
		    MP_OK);
		ck_assert_str_eq(r.log, "[a|||]x$");
	}
}
END_TEST

/*
 * Framing servers read differently: PHP splits at "\n--B" and reads on
 * after the closing delimiter, Go and busboy need CRLF once the first
 * delimiter line had it, Go ends a part that starts with its delimiter.
 */
START_TEST(ambiguous_framing)
{
	static const char *const bodies[] = {
		"--q\r\n\r\nX5O!P%@AP\n--q\r\n\r\nrest\r\n--q--\r\n",
		"--q\r\n\r\na\r\n--q\n\r\nb\r\n--q--\r\n",
		"--q\r\n\r\n--q\r\n\r\nb\r\n--q--\r\n",
		"--q\r\nContent-Transfer-Encoding: base64\r\n"
		    "Content-Transfer-Encoding: 7bit\r\n\r\nNDEx\r\n--q--\r\n",
		"--q\r\nContent-Type: text/plain\r\nContent-type: "
		    "image/png\r\n\r\n"
		    "x\r\n--q--\r\n",
		"--q\r\nContent-Transfer-Encoding: "
		    "base64\r\n\r\nNDEx-MTEx\r\n--q--\r\n",
		"--q\r\nContent-Type: multipart/mixed; boundary=a; "
		    "boundary=b\r\n\r\n"
		    "--a\r\n\r\nx\r\n--a--\r\n--q--\r\n",
	};
	struct svc_limits lim;
	struct multipart *m;
	struct rec r;
	const char *b;
	size_t i, step;

	test_limits(&lim);
	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		for (step = 1; step < 6; step += 4)
			ck_assert_msg(parse("q", bodies[i], strlen(bodies[i]),
			    step, &r,
			    &lim) == MP_AMBIGUOUS, "body %zu step %zu", i,
			    step);
		m = multipart_new("q", &lim, &cbs, &r);
		memset(&r, 0, sizeof r);
		multipart_feed(m, bodies[i], strlen(bodies[i]));
		ck_assert_ptr_nonnull(strstr(multipart_error(m), "ambiguous"));
		multipart_free(m);
	}
	/* The same header twice with the same value is no ambiguity. */
	b = "--q\r\nContent-Transfer-Encoding: base64\r\n"
	    "content-transfer-encoding: BASE64\r\n\r\nNDEx\r\n--q--";
	ck_assert_int_eq(parse("q", b, strlen(b), 3, &r, &lim), MP_OK);
	ck_assert_str_eq(r.log, "[|||b]411$");
}
END_TEST

/* Labels are read as lenient servers read them; raw bytes go along. */
START_TEST(lenient_headers_and_raw)
{
	struct svc_limits	 lim;
	struct rec		 r;
	const char		*b;

	test_limits(&lim);
	/* A folded label and a blank before the colon. */
	b = "--q\r\nContent-Disposition: form-data;\r\n name=\"f\"; "
	    "filename=\"c.txt\"\r\n"
	    "Content-Transfer-Encoding:\r\n\tbase64\r\n\r\nY2FyZCA0MTEx\r\n"
	    "--q\r\nContent-Transfer-Encoding : "
	    "quoted-printable\r\n\r\nx=3D1\r\n--q--";
	ck_assert_int_eq(parse("q", b, strlen(b), 2, &r, &lim), MP_OK);
	ck_assert_str_eq(r.log, "[f|c.txt||b]card 4111$[|||q]x=1$");
	ck_assert_str_eq(r.raw, "Y2FyZCA0MTEx" "x=3D1");
	/* RFC 2047 and RFC 5987 file names reach the head callback. */
	b = "--q\r\nContent-Disposition: form-data; name=\"f\"; "
	    "filename=\"=?UTF-8?B?NDExMSAxMTExIDExMTEgMTExMS5wZGY=?=\"\r\n\r\nx"
	    "\r\n--q--";
	ck_assert_int_eq(parse("q", b, strlen(b), 5, &r, &lim), MP_OK);
	ck_assert_ptr_nonnull(strstr(r.head, "4111 1111 1111 1111.pdf"));
	/* Parts after the closing delimiter are epilogue, scanned as text. */
	b = "--q\r\n\r\na\r\n--q--\r\n--q\r\nContent-Disposition: form-data; "
	    "name=x\r\n"
	    "\r\nX5O!P%@AP\r\n--q--\r\n";
	ck_assert_int_eq(parse("q", b, strlen(b), 3, &r, &lim), MP_OK);
	ck_assert_ptr_nonnull(strstr(r.log, "[|||l]--q\r\nContent-Disposition: "
	    "form-data; name=x\r\n\r\nX5O!P%@AP"));
}
END_TEST

/* RFC 2388 file set: a form field whose content is multipart/mixed. */
static const char nested[] =
    "--AaB03x\r\n"
    "Content-Disposition: form-data; name=\"title\"\r\n"
    "\r\n"
    "report\r\n"
    "--AaB03x\r\n"
    "Content-Disposition: form-data; name=\"files\"\r\n"
    "Content-Type: multipart/mixed; boundary=BbC04y\r\n"
    "\r\n"
    "--BbC04y\r\n"
    "Content-Disposition: file; filename=\"a.txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "Y2FyZCA0MTExMTExMT\r\nExMTExMTEx\r\n"
    "--BbC04y\r\n"
    "Content-Disposition: file; filename=\"b.txt\"\r\n"
    "Content-Transfer-Encoding: Quoted-Printable\r\n"
    "\r\n"
    "iban=3D DE89 3704 0044 05=\r\n32 0130 00 =E9\r\n"
    "--BbC04y--\r\n"
    "\r\n"
    "--AaB03x--\r\n";

START_TEST(nested_decoded_any_chunking)
{
	static const size_t	steps[] = { 1, 2, 3, 7, 64, 4096 };
	struct svc_limits	lim;
	struct rec		r;
	size_t			i;

	test_limits(&lim);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		ck_assert_int_eq(parse("AaB03x", nested, sizeof nested - 1,
		    steps[i],
		    &r, &lim), MP_OK);
		ck_assert_uint_eq(r.begins, 4);
		ck_assert_uint_eq(r.ends, 4);
		ck_assert_str_eq(r.log, "[title|||]report$"
		    "[files||multipart/mixed; boundary=BbC04y|n]"
		    "[files|a.txt|text/plain|b]card 4111111111111111$"
		    "[files|b.txt||q]iban= DE89 3704 0044 0532 0130 00 \xe9$$");
		/* The nested body whole, and each labelled part as sent. */
		if (steps[i] < 4096)
			continue;	/* in small feeds the two interleave */
		ck_assert_ptr_nonnull(strstr(r.raw,
		    "--BbC04y\r\nContent-Disposition: file"));
		ck_assert_ptr_nonnull(strstr(r.raw,
		    "Y2FyZCA0MTExMTExMT\r\nExMTExMTEx"));
		ck_assert_ptr_nonnull(strstr(r.raw,
		    "iban=3D DE89 3704 0044 05=\r\n32"));
	}
}
END_TEST

/* "--B\r\n" headers; depth 1 is the body itself. */
static char *
nest(unsigned depth, const char *leaf, size_t *len)
{
	size_t		 cap = 256 * depth + strlen(leaf) + 64, n = 0;
	char		*b = malloc(cap);
	unsigned	 i;

	ck_assert_ptr_nonnull(b);
	for (i = 1; i < depth; i++)
		n += (size_t)snprintf(b + n, cap - n, "--b%u\r\nContent-Type: "
		    "multipart/mixed; boundary=\"b%u\"\r\n\r\n", i, i + 1);
	n += (size_t)snprintf(b + n, cap - n, "--b%u\r\n\r\n%s", depth, leaf);
	for (i = depth; i >= 1; i--)
		n += (size_t)snprintf(b + n, cap - n, "\r\n--b%u--", i);
	*len = n;
	return b;
}

/* The log nest() gives: a nested begin per level, the leaf, the ends. */
static void
nest_log(unsigned depth, const char *leaf, char *out, size_t cap)
{
	size_t		n = 0;
	unsigned	i;

	for (i = 1; i < depth; i++)
		n += (size_t)snprintf(out + n, cap - n,
		    "[||multipart/mixed; boundary=\"b%u\"|n]", i + 1);
	n += (size_t)snprintf(out + n, cap - n, "[|||]%s", leaf);
	for (i = 1; i <= depth; i++)
		n += (size_t)snprintf(out + n, cap - n, "$");
}

START_TEST(nesting_limit)
{
	struct svc_limits	 lim;
	struct multipart	*m;
	struct rec		 r;
	char			*b, want[4096];
	size_t			 len;

	test_limits(&lim);
	b = nest(MULTIPART_MAXDEPTH, "deep 4111111111111111", &len);
	ck_assert_int_eq(parse("b1", b, len, 5, &r, &lim), MP_OK);
	nest_log(MULTIPART_MAXDEPTH, "deep 4111111111111111", want,
	    sizeof want);
	ck_assert_str_eq(r.log, want);
	free(b);

	b = nest(MULTIPART_MAXDEPTH + 1, "too deep", &len);
	ck_assert_int_eq(parse("b1", b, len, 5, &r, &lim), MP_LIMIT);
	ck_assert_ptr_null(strstr(r.log, "too deep"));
	m = multipart_new("b1", &lim, &cbs, &r);
	ck_assert_int_eq(multipart_feed(m, b, len), MP_LIMIT);
	ck_assert_str_eq(multipart_error(m), "multipart nesting over 8");
	multipart_free(m);
	free(b);

	/* Far deeper than the limit: stops at it, nothing grows. */
	b = nest(5000, "x", &len);
	ck_assert_int_eq(parse("b1", b, len, 4096, &r, &lim), MP_LIMIT);
	free(b);

	/* sslinspect.MaxNesting: 3 levels pass, the fourth is over. */
	lim.max_nesting = 3;
	b = nest(3, "three 4111111111111111", &len);
	ck_assert_int_eq(parse("b1", b, len, 7, &r, &lim), MP_OK);
	nest_log(3, "three 4111111111111111", want, sizeof want);
	ck_assert_str_eq(r.log, want);
	free(b);
	b = nest(4, "four", &len);
	m = multipart_new("b1", &lim, &cbs, &r);
	ck_assert_int_eq(multipart_feed(m, b, len), MP_LIMIT);
	ck_assert_str_eq(multipart_error(m), "multipart nesting over 3");
	multipart_free(m);
	free(b);
	/* 1: no multipart inside a multipart body. */
	lim.max_nesting = 1;
	b = nest(2, "two", &len);
	ck_assert_int_eq(parse("b1", b, len, 5, &r, &lim), MP_LIMIT);
	free(b);
}
END_TEST

START_TEST(nested_tiny_parts)
{
	struct svc_limits	 lim;
	struct multipart	*m;
	struct rec		 r;
	size_t			 n = 100000, i, len = 0;
	char			*body = malloc(n * 40 + 256);

	test_limits(&lim);
	len += (size_t)sprintf(body + len,
	    "--o\r\nContent-Type: multipart/mixed; "
	    "boundary=i\r\n\r\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(body + len, "--i\r\n\r\n%zu\r\n",
		    i % 10);
	len += (size_t)sprintf(body + len, "--i--\r\n--o--\r\n");
	/* Parts of all levels count against one limit. */
	m = multipart_new("o", &lim, &cbs, &r);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(multipart_feed(m, body, len), MP_LIMIT);
	ck_assert_str_eq(multipart_error(m), "too many multipart parts");
	ck_assert_uint_eq(multipart_parts(m), lim.max_parts + 1);
	ck_assert_uint_eq(r.begins, lim.max_parts);
	multipart_free(m);
	lim.max_parts = 200000;
	ck_assert_int_eq(parse("o", body, len, 4096, &r, &lim), MP_OK);
	ck_assert_uint_eq(r.begins, n + 1);
	ck_assert_uint_eq(r.bytes, n);
	free(body);
}
END_TEST

START_TEST(nested_boundary_prefix)
{
	struct svc_limits	 lim;
	struct rec		 r;
	const char		*b;

	test_limits(&lim);
	/*
	 * The inner boundary is a prefix of the outer one: legal, both parsed.
	 */
	b = "--outer1\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n"
	    "--outer\r\n\r\nin 4111111111111111\r\n--outer--\r\n"
	    "--outer1\r\n\r\nnext\r\n--outer1--\r\n";
	ck_assert_int_eq(parse("outer1", b, strlen(b), 3, &r, &lim), MP_OK);
	ck_assert_str_eq(r.log, "[||multipart/mixed; boundary=outer|n]"
	    "[|||]in 4111111111111111$$[|||]next$");
	/*
	 * The outer boundary is a prefix of the inner one (RFC 2046 forbids
	 * it): the outer parser sees its own delimiter where the nested body
	 * starts. Not a pass.
	 */
	b = "--out\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n"
	    "--outer\r\n\r\nin 4111111111111111\r\n--outer--\r\n--out--\r\n";
	ck_assert_int_ne(parse("out", b, strlen(b), 3, &r, &lim), MP_OK);
}
END_TEST

START_TEST(nested_hostile)
{
	struct svc_limits	 lim;
	struct multipart	*m;
	struct rec		 r;
	const char		*b;

	test_limits(&lim);
	/* Preamble and epilogue of a nested body reach the application. */
	b = "--o\r\nContent-Disposition: form-data; name=\"f\"\r\n"
	    "Content-Type: multipart/mixed; boundary=i\r\n\r\n"
	    "pre 4111111111111111\r\n--i\r\n\r\nx\r\n--i--\r\npost\r\n--o--";
	ck_assert_int_eq(parse("o", b, strlen(b), 2, &r, &lim), MP_OK);
	ck_assert_str_eq(r.log, "[f||multipart/mixed; boundary=i|n]"
	    "[f|||l]pre 4111111111111111$[f|||]x$[f|||l]post$$");
	/* A nested part without a boundary cannot be parsed: malformed. */
	b = "--o\r\nContent-Type: "
	    "multipart/mixed\r\n\r\n4111111111111111\r\n--o--";
	m = multipart_new("o", &lim, &cbs, &r);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(multipart_feed(m, b, strlen(b)), MP_MALFORMED);
	ck_assert_ptr_nonnull(strstr(multipart_error(m), "without a boundary"));
	multipart_free(m);
	/* Truncated inside a nested part: its content is still delivered. */
	b = "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
	    "--i\r\n\r\nsecret 4111111111111111";
	ck_assert_int_eq(parse("o", b, strlen(b), 1, &r, &lim), MP_MALFORMED);
	ck_assert_ptr_nonnull(strstr(r.log, "secret 4111111111111111$"));
	/* Broken quoted-printable: odd "=" kept. */
	b = "--o\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "a=zz=4=\r\n--o--";
	ck_assert_int_eq(parse("o", b, strlen(b), 1, &r, &lim), MP_OK);
	ck_assert_str_eq(r.log, "[|||q]a=zz=4=$");
	/* base64 with junk in it decodes differently from server to server. */
	b = "--o\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "NDEx!MTEx*MTEx\nMTEx=MTEx=\r\n--o--";
	ck_assert_int_eq(parse("o", b, strlen(b), 1, &r, &lim), MP_AMBIGUOUS);
}
END_TEST

static void *
cbegin(void *arg, const struct mp_part *p)
{
	return arg;
}

static int
cdata(void *arg, void *h, const void *buf, size_t len)
{
	return collect_sink(arg, buf, len);
}

static int
cend(void *arg, void *h)
{
	return 0;
}

START_TEST(base64_round_trip)
{
	static const char		 abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const size_t		 steps[] = { 1, 3, 7, 4096, 1 << 20 };
	const struct mp_callbacks	 ccb = { cbegin, cdata, NULL, cend,
	    NULL };
	unsigned char			 raw[29999];
	struct svc_limits		 lim;
	struct multipart		*m;
	struct collect			 c;
	size_t				 i, k, n = 0, off, len,
	    cap = sizeof raw * 2 + 4096;
	char				*body = malloc(cap);
	uint32_t			 v;

	test_limits(&lim);
	for (i = 0; i < sizeof raw; i++)
		raw[i] = (unsigned char)(i * 7 + i / 256);
	n += (size_t)snprintf(body + n, cap - n,
	    "--b\r\nContent-Transfer-Encoding: BASE64\r\n\r\n");
	/* 76-character lines, and a last group padded with "=". */
	for (i = 0, k = 0; i < sizeof raw; i += 3) {
		v = (uint32_t)raw[i] << 16;
		if (i + 1 < sizeof raw)
			v |= (uint32_t)raw[i + 1] << 8;
		if (i + 2 < sizeof raw)
			v |= raw[i + 2];
		body[n++] = abc[v >> 18 & 63];
		body[n++] = abc[v >> 12 & 63];
		body[n++] = i + 1 < sizeof raw ? abc[v >> 6 & 63] : '=';
		body[n++] = i + 2 < sizeof raw ? abc[v & 63] : '=';
		if ((k += 4) == 76) {
			body[n++] = '\r';
			body[n++] = '\n';
			k = 0;
		}
	}
	n += (size_t)snprintf(body + n, cap - n, "\r\n--b--\r\n");
	for (k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		memset(&c, 0, sizeof c);
		m = multipart_new("b", &lim, &ccb, &c);
		for (off = 0; off < n; off += len) {
			len = n - off < steps[k] ? n - off : steps[k];
			ck_assert_int_eq(multipart_feed(m, body + off, len),
			    MP_OK);
		}
		ck_assert_int_eq(multipart_finish(m), MP_OK);
		multipart_free(m);
		ck_assert_uint_eq(c.len, sizeof raw);
		ck_assert_int_eq(memcmp(c.buf, raw, sizeof raw), 0);
		free(c.buf);
	}
	free(body);
}
END_TEST

static Suite *
multipart_suite(void)
{
	Suite	*s = suite_create("multipart");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, two_parts_any_chunking);
	tcase_add_test(tc, boundary_param);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, many_tiny_parts);
	tcase_add_test(tc, lf_framing);
	tcase_add_test(tc, ambiguous_framing);
	tcase_add_test(tc, lenient_headers_and_raw);
	tcase_add_test(tc, nested_decoded_any_chunking);
	tcase_add_test(tc, nesting_limit);
	tcase_add_test(tc, nested_tiny_parts);
	tcase_add_test(tc, nested_boundary_prefix);
	tcase_add_test(tc, nested_hostile);
	tcase_add_test(tc, base64_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(multipart_suite)
