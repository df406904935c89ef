/*
 * Unit tests for the verdict cache's content key (vcache.c): the hash of
 * a download's first bytes, however c-icap cuts the body into pieces.
 */
#include "config.h"

#include <openssl/evp.h>

#include "svc_test.h"
#include "verdict.h"

/* The hex SHA-256 of buf's first len bytes. */
static void
sha256_hex(const unsigned char *buf, size_t len, char *hex)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;

	ck_assert_int_eq(EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL),
	    1);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

START_TEST(prefix_pieces)
{
	static const size_t	 pieces[] = { 1, 4064, 7, 65536, 4096, 3 };
	struct vcache_prefix	 p;
	unsigned char		*buf;
	char			 want[65];
	size_t			 off = 0, i, done = 0, len = 200 * 1024;

	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	sha256_hex(buf, VCACHE_PREFIX, want);
	ck_assert_int_eq(vcache_prefix_start(&p, VCACHE_PREFIX), 0);
	/* Pieces of every size, one across the prefix's end: true once. */
	for (i = 0; off < len; i++) {
		size_t	n = pieces[i % 6];

		if (n > len - off)
			n = len - off;
		if (vcache_prefix_feed(&p, buf + off, n)) {
			done++;
			ck_assert_uint_ge(off + n, VCACHE_PREFIX);
			ck_assert_uint_lt(off, VCACHE_PREFIX);
		}
		off += n;
	}
	ck_assert_uint_eq(done, 1);
	ck_assert(p.done);
	ck_assert_uint_eq(p.n, VCACHE_PREFIX);
	ck_assert_str_eq(p.hex, want);
	ck_assert_ptr_null(p.ctx);
	vcache_prefix_free(&p);
	free(buf);
}
END_TEST

START_TEST(prefix_short_and_none)
{
	struct vcache_prefix	p;
	unsigned char		buf[100];

	memset(buf, 'x', sizeof buf);
	/* A body that ends before the prefix has no key. */
	ck_assert_int_eq(vcache_prefix_start(&p, 1024), 0);
	ck_assert(!vcache_prefix_feed(&p, buf, sizeof buf));
	ck_assert(!vcache_prefix_feed(&p, buf, 0));
	ck_assert(!p.done);
	vcache_prefix_free(&p);
	ck_assert_ptr_null(p.ctx);
	/* Nothing to hash: no start, and feeding it does nothing. */
	ck_assert_int_eq(vcache_prefix_start(&p, 0), -1);
	ck_assert(!vcache_prefix_feed(&p, buf, sizeof buf));
	vcache_prefix_free(&p);
}
END_TEST

static Suite *
vcache_suite(void)
{
	Suite	*s = suite_create("vcache");
	TCase	*tc = tcase_create("prefix");

	tcase_add_test(tc, prefix_pieces);
	tcase_add_test(tc, prefix_short_and_none);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(vcache_suite)
