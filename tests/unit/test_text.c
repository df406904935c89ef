/*
 * Unit tests of the UTF-16 text views (text_utf16.c): the runs strings(1)
 * -el would find in a binary, whatever the pieces the body arrives in.
 * Fed one byte at a time, the converter looks at every unit on its own,
 * so that feeding is the reference the bulk paths must agree with.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "unit_test.h"

struct out {
	char	*buf;
	size_t	 len, cap;
};

static int
out_sink(void *arg, const char *p, size_t n)
{
	struct out	*o = arg;

	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->buf = realloc(o->buf, o->cap);
		ck_assert_ptr_nonnull(o->buf);
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/* Convert buf in pieces of at most piece bytes (0: random sizes). */
static void
convert(enum text_utf16_mode mode, const unsigned char *buf, size_t len,
    size_t piece, unsigned *seed, struct out *o)
{
	struct text_utf16	t;
	size_t			i, n;

	memset(o, 0, sizeof *o);
	text_utf16_init(&t, mode);
	for (i = 0; i < len; i += n) {
		n = piece != 0 ? piece : 1 + (size_t)(rand_r(seed) % 97);
		if (n > len - i)
			n = len - i;
		ck_assert_int_eq(text_utf16_feed(&t, buf + i, n, out_sink, o),
		    0);
	}
	ck_assert_int_eq(text_utf16_end(&t, out_sink, o), 0);
}

/* A binary: random bytes, with UTF-16LE text of every printable kind. */
static unsigned char *
make_binary(size_t len, unsigned *seed)
{
	static const uint16_t	 kinds[] = { 'A', '7', ' ', '\t', 0xa0,
	    0xff13, 0x3000, 0x3001, 0xff20, 0x0100, 0x00ff, 0x30ff };
	unsigned char		*b = malloc(len);
	size_t			 i, k, run;
	uint16_t		 u;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < len; i++)
		b[i] = (unsigned char)rand_r(seed);
	for (i = 0; i + 64 < len; i += 64 + (size_t)(rand_r(seed) % 300)) {
		/* an odd start half the time: runs at either alignment */
		i += (size_t)(rand_r(seed) % 2);
		run = (size_t)(rand_r(seed) % 30);
		for (k = 0; k < run && i + 2 * k + 1 < len; k++) {
			u = kinds[rand_r(seed) % (sizeof kinds /
			    sizeof kinds[0])];
			b[i + 2 * k] = (unsigned char)(u & 0xff);
			b[i + 2 * k + 1] = (unsigned char)(u >> 8);
		}
	}
	return b;
}

START_TEST(strings_known_runs)
{
	static const unsigned char	in[] = {
		0x01, 0x91, 0xfe, 0x87,
		'c', 0, 'a', 0, 'r', 0, 'd', 0, ' ', 0, '4', 0, '1', 0,
		0x00, 0xd8, 0x22, 0x97,
		'a', 0, 'b', 0, 'c', 0,		/* three: too short */
		0x00, 0xd8,
		0x13, 0xff, 0x11, 0xff, 0x00, 0x30, 0x15, 0xff,
		0x33, 0x44,
	};
	struct out	o;
	unsigned	seed = 1;

	convert(TEXT_UTF16_STRINGS, in, sizeof in, sizeof in, &seed, &o);
	ck_assert_uint_eq(o.len, 8 + 12 + 1);
	ck_assert(memcmp(o.buf, "card 41\n"
	    "\xef\xbc\x93\xef\xbc\x91\xe3\x80\x80\xef\xbc\x95\n", o.len) == 0);
	free(o.buf);
}
END_TEST

START_TEST(strings_any_pieces_same_output)
{
	struct out	 ref, got;
	unsigned	 seed = 12345 + (unsigned)_i, s2 = 99;
	size_t		 len = 200000 + (size_t)_i;
	size_t		 pieces[] = { 2, 3, 4096, 65536, 0 };
	unsigned char	*b = make_binary(len, &seed);
	size_t		 k;

	convert(TEXT_UTF16_STRINGS, b, len, 1, &s2, &ref);
	ck_assert_uint_gt(ref.len, 1000);
	for (k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
		convert(TEXT_UTF16_STRINGS, b, len, pieces[k], &s2, &got);
		ck_assert_uint_eq(got.len, ref.len);
		ck_assert(memcmp(got.buf, ref.buf, ref.len) == 0);
		free(got.buf);
	}
	free(ref.buf);
	free(b);
}
END_TEST

START_TEST(text_modes_unchanged)
{
	static const unsigned char	le[] = { 0xff, 0xfe, 'h', 0, 'i', 0,
	    0x3d, 0xd8, 0x00, 0xde };
	static const unsigned char	be[] = { 0, 'h', 0, 'i', 0x30, 0x00 };
	struct out	o;
	unsigned	seed = 1;

	convert(TEXT_UTF16_LE, le, sizeof le, 3, &seed, &o);
	ck_assert_uint_eq(o.len, 6);
	ck_assert(memcmp(o.buf, "hi\xf0\x9f\x98\x80", 6) == 0);
	free(o.buf);
	convert(TEXT_UTF16_BE, be, sizeof be, 1, &seed, &o);
	ck_assert_uint_eq(o.len, 5);
	ck_assert(memcmp(o.buf, "hi\xe3\x80\x80", 5) == 0);
	free(o.buf);
}
END_TEST

static Suite *
text_suite(void)
{
	Suite	*s = suite_create("text");
	TCase	*tc = tcase_create("utf16");

	/*
	 * 200 KB fed 2 bytes at a time is 100,000 calls per loop: well inside
	 * Check's 4 s on a quiet machine, not on a loaded one.
	 */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, strings_known_runs);
	tcase_add_loop_test(tc, strings_any_pieces_same_output, 0, 8);
	tcase_add_test(tc, text_modes_unchanged);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(text_suite)
