/*
 * Unit tests for Content-Encoding decoding (decode.c), hostile input included.
 */
#include "config.h"

#include <time.h>

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include "svc_test.h"

static unsigned char *
zlib_pack(const void *in, size_t len, int wbits, size_t *outlen)
{
	z_stream	 z;
	unsigned char	*out;
	size_t		 cap = len + len / 100 + 1024;

	memset(&z, 0, sizeof z);
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	out = malloc(cap);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static unsigned char *
br_pack(const void *in, size_t len, size_t *outlen)
{
	size_t		 cap = BrotliEncoderMaxCompressedSize(len) + 16;
	unsigned char	*out = malloc(cap);

	*outlen = cap;
	ck_assert(BrotliEncoderCompress(9, 22, BROTLI_MODE_GENERIC, len, in,
	    outlen, out));
	return out;
}

static unsigned char *
zstd_pack(const void *in, size_t len, size_t *outlen)
{
	size_t		 cap = ZSTD_compressBound(len);
	unsigned char	*out = malloc(cap);

	ZSTD_CCtx *cc = ZSTD_createCCtx();

	/* With a checksum, as the zstd tool writes by default. */
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	*outlen = ZSTD_compress2(cc, out, cap, in, len);
	ck_assert(!ZSTD_isError(*outlen));
	ZSTD_freeCCtx(cc);
	return out;
}

static unsigned char *
sample(size_t len)
{
	unsigned char	*s = malloc(len);
	size_t		 i;
	uint32_t	 x = 12345;

	for (i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		s[i] = (i % 7 == 0) ?
		    (unsigned char)(x >> 16) : (
		    unsigned char)"card 4111 "[i % 10];
	}
	return s;
}

/* Decode enc in pieces of step bytes; returns the final status. */
static enum decode_status
run(const char *ce, const unsigned char *enc, size_t len, size_t step,
    struct collect *c, const struct svc_limits *lim)
{
	struct decode_chain	*d = decode_new(ce, lim, collect_sink, c);
	enum decode_status	 st = DECODE_OK;
	size_t			 off, n;

	ck_assert_ptr_nonnull(d);
	for (off = 0; off < len && st == DECODE_OK; off += n) {
		n = len - off < step ? len - off : step;
		st = decode_feed(d, enc + off, n);
	}
	if (st == DECODE_OK)
		st = decode_finish(d);
	decode_free(d);
	return st;
}

static void
round_trip(const char *ce, unsigned char *enc, size_t elen,
    const unsigned char *plain,
    size_t plen)
{
	static const size_t	steps[] = { 1, 7, 4096, 1 << 20 };
	struct svc_limits	lim;
	size_t			i;

	test_limits(&lim);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct collect c = { NULL, 0, 0, 0 };

		ck_assert_int_eq(run(ce, enc, elen, steps[i], &c, &lim),
		    DECODE_OK);
		ck_assert_uint_eq(c.len, plen);
		ck_assert(memcmp(c.buf, plain, plen) == 0);
		free(c.buf);
	}
	free(enc);
}

START_TEST(codings)
{
	size_t		 plen = 30000, elen;
	unsigned char	*plain = sample(plen), *enc;

	enc = zlib_pack(plain, plen, 31, &elen);
	round_trip("gzip", enc, elen, plain, plen);
	enc = zlib_pack(plain, plen, 31, &elen);
	round_trip("x-gzip", enc, elen, plain, plen);
	enc = zlib_pack(plain, plen, 15, &elen);
	round_trip("deflate", enc, elen, plain, plen);
	enc = zlib_pack(plain, plen, -15, &elen);
	round_trip("deflate", enc, elen, plain, plen);
	enc = br_pack(plain, plen, &elen);
	round_trip("br", enc, elen, plain, plen);
	enc = zstd_pack(plain, plen, &elen);
	round_trip("zstd", enc, elen, plain, plen);
	enc = memcpy(malloc(plen), plain, plen);
	round_trip("identity", enc, plen, plain, plen);
	enc = memcpy(malloc(plen), plain, plen);
	round_trip(NULL, enc, plen, plain, plen);
	free(plain);
}
END_TEST

/*
 * Concatenated gzip members (as gzip -c a b > ab writes) decode to both;
 * junk after the end of a gzip, zlib or raw deflate stream is corrupt.
 */
START_TEST(members_and_trailing_junk)
{
	static const size_t	 steps[] = { 1, 7, 4096, 1 << 20 };
	size_t			 alen = 20000, blen = 32768, la, lb, elen, i,
	    junk;
	unsigned char		*a = sample(alen), *b = sample(blen), *ea, *eb,
	    *enc;
	unsigned char		*plain;
	struct svc_limits	 lim;
	struct collect		 c;
	static const int	 wbits[] = { 31, 15, -15 };

	test_limits(&lim);
	ea = zlib_pack(a, alen, 31, &la);
	eb = zlib_pack(b, blen, 31, &lb);
	enc = malloc(la + lb);
	memcpy(enc, ea, la);
	memcpy(enc + la, eb, lb);
	plain = malloc(alen + blen);
	memcpy(plain, a, alen);
	memcpy(plain + alen, b, blen);
	round_trip("gzip", enc, la + lb, plain, alen + blen);
	/* A body that fills the output buffer exactly (2 x 16 KiB). */
	round_trip("gzip", eb, lb, b, blen);
	free(plain);
	/* 1 and 5 junk bytes fit in a decoder's read-ahead, 16 do not. */
	for (i = 0; i < 9; i++) {
		junk = i % 3 == 0 ? 1 : i % 3 == 1 ? 5 : 16;
		enc = zlib_pack(a, alen, wbits[i / 3], &elen);
		enc = realloc(enc, elen + junk);
		memset(enc + elen, 'x', junk);
		memset(&c, 0, sizeof c);
		ck_assert_msg(run(i / 3 == 0 ? "gzip" : "deflate", enc,
		    elen + junk,
		    steps[i % 4], &c, &lim) == DECODE_CORRUPT,
		    "wbits %d: %zu junk bytes after the end", wbits[i / 3],
		    junk);
		free(c.buf);
		free(enc);
	}
	free(ea);
	free(a);
	free(b);
}
END_TEST

START_TEST(chained)
{
	size_t		 plen = 50000, glen, blen, zlen;
	unsigned char	*plain = sample(plen), *g, *b, *z;

	/* "gzip, br": gzipped first, then brotli'd. */
	g = zlib_pack(plain, plen, 31, &glen);
	b = br_pack(g, glen, &blen);
	free(g);
	round_trip("gzip, br", b, blen, plain, plen);
	/* "br, zstd, gzip" */
	b = br_pack(plain, plen, &blen);
	z = zstd_pack(b, blen, &zlen);
	free(b);
	g = zlib_pack(z, zlen, 31, &glen);
	free(z);
	round_trip("br,zstd , gzip", g, glen, plain, plen);
	free(plain);
}
END_TEST

START_TEST(corrupt_and_truncated)
{
	size_t			 plen = 60000, elen;
	unsigned char		*plain = sample(plen), *enc;
	struct svc_limits	 lim;
	struct collect		 c = { NULL, 0, 0, 0 };
	static const char *const ces[] = { "gzip", "deflate", "br", "zstd" };
	size_t i;

	test_limits(&lim);
	for (i = 0; i < 4; i++) {
		if (i < 2)
			enc = zlib_pack(plain, plen, i == 0 ? 31 : 15, &elen);
		else if (i == 2)
			enc = br_pack(plain, plen, &elen);
		else
			enc = zstd_pack(plain, plen, &elen);
		/* Truncated: the stream never ends. */
		ck_assert_int_eq(run(ces[i], enc, elen / 2, 4096, &c, &lim),
		    DECODE_CORRUPT);
		/* Garbage in the middle. */
		memset(enc + elen / 3, 0xA5, 64);
		ck_assert_msg(run(ces[i], enc, elen, 4096, &c,
		    &lim) == DECODE_CORRUPT,
		    "%s: garbage not detected", ces[i]);
		free(enc);
	}
	/* Not compressed at all. */
	ck_assert_int_eq(run("gzip", plain, plen, 4096, &c, &lim),
	    DECODE_CORRUPT);
	ck_assert_int_eq(run("zstd", plain, plen, 4096, &c, &lim),
	    DECODE_CORRUPT);
	free(c.buf);
	free(plain);
}
END_TEST

/* Decode the whole of enc under ce; the status, the taint and the output. */
static enum decode_status
run_taint(const char *ce, const unsigned char *enc, size_t len,
    enum decode_status *taint, struct collect *c)
{
	struct svc_limits	 lim;
	struct decode_chain	*d;
	enum decode_status	 st;

	test_limits(&lim);
	ck_assert_ptr_nonnull(d = decode_new(ce, &lim, collect_sink, c));
	*taint = decode_taint(d);
	st = decode_feed(d, enc, len);
	if (st == DECODE_OK)
		st = decode_finish(d);
	decode_free(d);
	return st;
}

/*
 * Lists read as browsers read them: names that encode nothing are
 * skipped; a coding not known here, a name that is no coding outside a
 * real one (Chrome stops there, Firefox skips it) or more codings than
 * MaxEncodings taint the chain, which still undoes the outer codings.
 */
START_TEST(lists)
{
	static const char	plain[] =
	    "card 4111 1111 1111 1111, the same as always\n";
	static const struct {
		const char *ce;
		const char *pack;	/* codings applied, in order, g/b/z */
		enum decode_status taint;
		/* codings the chain must undo, in order applied */
		const char *undone;
	} t[] = {
		{ "identity, br", "b", DECODE_OK, "b" },
		{ "none", "", DECODE_OK, "" },
		{ "UTF-8", "", DECODE_OK, "" },
		{ "utf-8, gzip", "g", DECODE_OK, "g" },
		{ "", "", DECODE_OK, "" },
		{ " , ,", "", DECODE_OK, "" },
		{ "gzip, br, gzip", "gbg", DECODE_OK, "gbg" },
		{ "gzip,br,gzip", "gbg", DECODE_OK, "gbg" },
		{ "gzip, identity", "g", DECODE_AMBIGUOUS, "" },
		{ "br, none, gzip", "bg", DECODE_AMBIGUOUS, "g" },
		{ "compress", "", DECODE_UNSUPPORTED, "" },
		{ "compress, gzip", "g", DECODE_UNSUPPORTED, "g" },
		{ "dcb", "", DECODE_UNSUPPORTED, "" },
		{ "gzip, gzip, gzip, gzip", "gggg", DECODE_LAYERS, "ggg" },
	};
	unsigned char *enc, *e, *want;
	enum decode_status taint;
	struct collect c;
	size_t i, k, len, wlen, n;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		len = sizeof plain - 1;
		enc = memcpy(malloc(len), plain, len);
		want = NULL;
		wlen = 0;
		for (k = 0; t[i].pack[k] != '\0'; k++) {
			/* The content once the chain's part is undone. */
			if (strlen(t[i].pack) - k == strlen(t[i].undone)) {
				want = memcpy(malloc(len), enc, len);
				wlen = len;
			}
			if (t[i].pack[k] == 'g')
				e = zlib_pack(enc, len, 31, &n);
			else if (t[i].pack[k] == 'b')
				e = br_pack(enc, len, &n);
			else
				e = zstd_pack(enc, len, &n);
			free(enc);
			enc = e;
			len = n;
		}
		if (want == NULL) {
			want = memcpy(malloc(len), enc, len);
			wlen = len;
		}
		memset(&c, 0, sizeof c);
		ck_assert_msg(run_taint(t[i].ce, enc, len, &taint,
		    &c) == DECODE_OK,
		    "%s: status", t[i].ce);
		ck_assert_msg(taint == t[i].taint, "%s: taint %d", t[i].ce,
		    taint);
		ck_assert_msg(c.len == wlen && memcmp(c.buf, want, wlen) == 0,
		    "%s: output", t[i].ce);
		free(c.buf);
		free(want);
		free(enc);
	}
	ck_assert_str_eq(decode_status_str(DECODE_AMBIGUOUS),
	    "ambiguous content encoding (clients disagree on it)");
}
END_TEST

START_TEST(unsupported)
{
	struct svc_limits	lim;
	struct collect		c = { NULL, 0, 0, 0 };

	test_limits(&lim);
	/* An empty body with an encoding is fine (HEAD-like). */
	ck_assert_int_eq(run("gzip", (const unsigned char *)"", 0, 1, &c, &lim),
	    DECODE_OK);
	free(c.buf);
}
END_TEST

/*
 * A highly repetitive 10 MB log gzips about 1000 times smaller: a ratio
 * alone would call it a bomb. Below 64 MiB of output nothing does.
 */
START_TEST(repetitive_log_is_no_bomb)
{
	size_t			 len = 10 << 20, i, elen;
	unsigned char		*log = malloc(len), *enc;
	struct svc_limits	 lim;
	struct collect		 c = { NULL, 0, 1, 0 };
	static const char	 line[] =
	    "2026-12-04T10:00:00Z INFO worker: heartbeat ok\n";

	test_limits(&lim);
	for (i = 0; i < len; i++)
		log[i] = (unsigned char)line[i % (sizeof line - 1)];
	enc = zlib_pack(log, len, 31, &elen);
	ck_assert_uint_gt(len / elen, lim.max_ratio);
	ck_assert_int_eq(run("gzip", enc, elen, 65536, &c, &lim), DECODE_OK);
	ck_assert_uint_eq(c.total, len);
	free(enc);
	free(log);
}
END_TEST

/*
 * "gzip, zstd" where the gzip stream is one header comment that never
 * ends: zstd expands a small body into gigabytes that gzip swallows
 * without a byte of output. The limits hold at the zstd layer.
 */
START_TEST(limits_every_layer)
{
	static const unsigned char	 head[] = { 0x1f, 0x8b, 8, 0x10, 0, 0,
	    0, 0, 0, 3 };
	size_t				 chunk = 1 << 20, i, cap = 16 << 20,
	    elen = 0;
	unsigned char			*a = malloc(chunk), *enc = malloc(cap);
	ZSTD_CCtx			*cc = ZSTD_createCCtx();
	ZSTD_outBuffer			 out = { enc, cap, 0 };
	ZSTD_inBuffer			 in;
	struct svc_limits		 lim;
	struct collect			 c = { NULL, 0, 1, 0 };
	struct decode_chain		*d;
	enum decode_status		 st = DECODE_OK;
	time_t				 t0 = time(NULL);

	memset(a, 'a', chunk);
	in.src = head;
	in.size = sizeof head;
	in.pos = 0;
	ck_assert(!ZSTD_isError(ZSTD_compressStream2(cc, &out, &in,
	    ZSTD_e_continue)));
	/* 8 GiB of comment. */
	for (i = 0; i < 8192; i++) {
		in.src = a;
		in.size = chunk;
		in.pos = 0;
		ck_assert(!ZSTD_isError(ZSTD_compressStream2(cc, &out, &in,
		    i + 1 < 8192 ? ZSTD_e_continue : ZSTD_e_end)));
	}
	elen = out.pos;
	ZSTD_freeCCtx(cc);
	ck_assert_uint_lt(elen, 1 << 20);
	test_limits(&lim);
	d = decode_new("gzip, zstd", &lim, collect_sink, &c);
	for (i = 0; i < elen && st == DECODE_OK; i += 4096)
		st = decode_feed(d, enc + i, elen - i < 4096 ? elen - i : 4096);
	ck_assert_int_eq(st, DECODE_BOMB);
	ck_assert_uint_eq(decode_out_bytes(d), 0);
	ck_assert_int_le(time(NULL) - t0, 20);
	decode_free(d);
	/* With the ratio out of reach, the size limit of the layer stops it. */
	lim.max_ratio = 100000;
	d = decode_new("gzip, zstd", &lim, collect_sink, &c);
	for (i = 0, st = DECODE_OK; i < elen && st == DECODE_OK; i += 4096)
		st = decode_feed(d, enc + i, elen - i < 4096 ? elen - i : 4096);
	ck_assert_int_eq(st, DECODE_LIMIT);
	decode_free(d);
	free(enc);
	free(a);
}
END_TEST

/* 10 GiB of zeros as 10240 concatenated gzip members of 1 MiB each. */
START_TEST(gzip_bomb_10g)
{
	size_t			 mlen, i;
	unsigned char		*zeros = calloc(1, 1 << 20), *member;
	struct svc_limits	 lim;
	struct collect		 c = { NULL, 0, 1, 0 };
	struct decode_chain	*d;
	enum decode_status	 st = DECODE_OK;
	time_t			 t0 = time(NULL);

	test_limits(&lim);
	member = zlib_pack(zeros, 1 << 20, 31, &mlen);
	d = decode_new("gzip", &lim, collect_sink, &c);
	for (i = 0; i < 10240 && st == DECODE_OK; i++)
		st = decode_feed(d, member, mlen);
	ck_assert_int_eq(st, DECODE_BOMB);
	ck_assert_uint_lt(decode_out_bytes(d), 80ULL << 20);
	ck_assert_int_le(time(NULL) - t0, 30);
	decode_free(d);
	/* With the ratio test out of reach the size limit stops it. */
	lim.max_ratio = 100000;
	lim.max_decoded = 8 << 20;
	d = decode_new("gzip", &lim, collect_sink, &c);
	for (i = 0, st = DECODE_OK; i < 10240 && st == DECODE_OK; i++)
		st = decode_feed(d, member, mlen);
	ck_assert_int_eq(st, DECODE_LIMIT);
	ck_assert_uint_le(decode_out_bytes(d), (8 << 20) + 16384);
	decode_free(d);
	free(member);
	free(zeros);
	free(c.buf);
}
END_TEST

START_TEST(zstd_br_bombs)
{
	size_t			 len = 256 << 20, elen;
	unsigned char		*zeros = calloc(1, len), *enc;
	struct svc_limits	 lim;
	struct collect		 c = { NULL, 0, 1, 0 };

	test_limits(&lim);
	enc = zstd_pack(zeros, len, &elen);
	ck_assert_int_eq(run("zstd", enc, elen, 4096, &c, &lim), DECODE_BOMB);
	free(enc);
	enc = br_pack(zeros, 96 << 20, &elen);
	ck_assert_int_eq(run("br", enc, elen, 4096, &c, &lim), DECODE_BOMB);
	free(enc);
	free(zeros);
	free(c.buf);
}
END_TEST

static Suite *
decode_suite(void)
{
	Suite	*s = suite_create("decode");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, codings);
	tcase_add_test(tc, chained);
	tcase_add_test(tc, members_and_trailing_junk);
	tcase_add_test(tc, corrupt_and_truncated);
	tcase_add_test(tc, unsupported);
	tcase_add_test(tc, lists);
	tcase_add_test(tc, repetitive_log_is_no_bomb);
	tcase_add_test(tc, limits_every_layer);
	tcase_add_test(tc, gzip_bomb_10g);
	tcase_add_test(tc, zstd_br_bombs);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(decode_suite)
