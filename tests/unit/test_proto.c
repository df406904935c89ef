/*
 * Unit tests for the sslcrtd wire format (cert_helper/certgen/proto.c) and the
 * request loop (certgen_handle): hostile framing and fields, channel ids,
 * ERR replies, and that the helper keeps serving after each of them.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certgen.h"
#include "certgen_pki.h"
#include "unit_test.h"

static char	*ca_pem, *ca_key_pem, *other_key_pem, *mimic_pem;

static void
setup_pki(void)
{
	struct pki_spec	 cas = { "Test Issuing CA", NULL, 30, 1, NULL };
	struct pki_spec	 os = { "www.origin.test",
			    "DNS:www.origin.test,DNS:origin.test", 90, 0,
			    NULL };
	EVP_PKEY	*k = pki_key("EC"), *ok = pki_key("EC");
	X509		*ca = pki_cert(&cas, k, NULL, NULL);
	X509		*o = pki_cert(&os, ok, ca, k);

	ca_pem = pki_pem_cert(ca);
	ca_key_pem = pki_pem_key(k);
	other_key_pem = pki_pem_key(ok);
	mimic_pem = pki_pem_cert(o);
	X509_free(ca);
	X509_free(o);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ok);
}

static char *
body_with(const char *params)
{
	return pki_body(params, ca_pem, ca_key_pem, mimic_pem);
}

/*
 * Parse a body built from params; returns proto_parse's result. The body
 * lives until the next call, since req points into it.
 */
static int
parse_params(const char *params, struct proto_req *req, char **cause)
{
	static char	*b;

	free(b);
	b = body_with(params);
	free(*cause);
	*cause = NULL;
	return proto_parse(b, strlen(b), req, cause);
}

START_TEST(frame_plain_and_id)
{
	char			*b = body_with("host=a.test\n"), *r;
	struct helper_frame	 fr;

	r = pki_request("", b);
	ck_assert_int_eq(proto_frame(r, strlen(r), &fr), HELPER_OK);
	ck_assert_int_eq(fr.has_id, 0);
	ck_assert_uint_eq(fr.body_len, strlen(b));
	ck_assert_uint_eq(fr.consumed, strlen(r));
	free(r);
	r = pki_request("18446744073709551615 ", b);
	ck_assert_int_eq(proto_frame(r, strlen(r), &fr), HELPER_OK);
	ck_assert_int_eq(fr.has_id, 1);
	ck_assert(fr.id == UINT64_MAX);
	/* Every proper prefix is incomplete, never an error. */
	for (size_t i = 0; i < strlen(r); i++)
		ck_assert_int_eq(proto_frame(r, i, &fr), HELPER_NEED);
	free(r);
	free(b);
}
END_TEST

static const struct {
	const char		*in;
	enum helper_status	 want;
} frames[] = {
	{ "garbage line\nnext", HELPER_BAD },
	{ "18446744073709551616 new_certificate 5 hello\n", HELPER_BAD },
	{ "1x new_certificate 5 hello\n", HELPER_BAD },
	{ "new_certificate -5 hello\n", HELPER_BAD },
	{ "new_certificate 5hello\n", HELPER_BAD },
	{ "NEW_CERTIFICATE 5 hello\n", HELPER_BAD },
	{ "new_certificate 1234567890 x\n", HELPER_BAD },
	{ "new_certificate 0 \n", HELPER_SKIP },
	{ "new_certificate 1048577 x", HELPER_SKIP },
	{ "7 get_certificate 5 hello\n", HELPER_SKIP },
	{ "\n\n  ", HELPER_NEED },
	{ "", HELPER_NEED },
};

START_TEST(frame_hostile)
{
	struct helper_frame	fr;

	ck_assert_int_eq(proto_frame(frames[_i].in, strlen(frames[_i].in), &fr),
	    frames[_i].want);
	if (frames[_i].want == HELPER_BAD) {
		ck_assert_uint_gt(fr.consumed, 0);
		ck_assert_uint_le(fr.consumed, strlen(frames[_i].in));
		ck_assert(fr.reason[0] != '\0');
	}
}
END_TEST

START_TEST(frame_skip_lengths)
{
	struct helper_frame	 fr;
	const char		*big = "3 new_certificate 2000000 ";

	ck_assert_int_eq(proto_frame(big, strlen(big), &fr), HELPER_SKIP);
	ck_assert_uint_eq(fr.consumed, strlen(big) + 2000000 + 1);
	ck_assert_int_eq(fr.has_id, 1);
	ck_assert(fr.id == 3);
}
END_TEST

START_TEST(parse_good)
{
	struct proto_req	 req;
	char			*cause = NULL;

	ck_assert_int_eq(parse_params("host=www.origin.test\r\n"
	    "setCommonName=www.origin.test\nsetValidAfter=ON\n"
	    "setValidBefore=off\nSign=signUntrusted\nSignHash=SHA384\n"
	    "unknownKey=whatever\n", &req, &cause), 0);
	ck_assert_str_eq(req.host, "www.origin.test");
	ck_assert_int_eq(req.set_cn, 1);
	ck_assert_int_eq(req.valid_after, 1);
	ck_assert_int_eq(req.valid_before, 0);
	ck_assert_int_eq(req.sign, PROTO_SIGN_UNTRUSTED);
	ck_assert_str_eq(req.sign_hash, "SHA384");
	ck_assert_ptr_nonnull(req.mimic);
	ck_assert(strncmp(req.mimic, "-----BEGIN CERTIFICATE-----", 27) == 0);
	ck_assert(strncmp(req.ca_key, "-----BEGIN PRIVATE KEY-----", 27) == 0);
	ck_assert_int_eq(parse_params("host=[::1]\n", &req, &cause), 0);
	ck_assert_int_eq(parse_params("host=192.0.2.7\n", &req, &cause), 0);
	ck_assert_int_eq(parse_params("host=xn--bcher-kva.example.\n", &req,
	    &cause), 0);
	free(cause);
}
END_TEST

static const char *bad_params[] = {
	"Sign=signTrusted\n",				/* no host */
	"Sign=signTrusted\nhost=a.test\n",		/* host not first */
	"host=a.test\nhost=b.test\n",			/* duplicate */
	"host=a.test\nx=1\nx=2\n",			/* duplicate unknown */
	"host=a.test\nSign=signTrusted\nSign=signSelf\n",
	"host=a.test\nsetCommonName=injected.example\n",
	"host=a.test\nSign=signAnything\n",
	"host=a.test\nSign=\n",
	"host=a b.test\n",
	"host=a/b.test\n",
	"host=a.test\x01\n",
	"host=a..test\n",
	"host=-a.test\n",
	"host=\n",
	"host=a.test\nnot a parameter line\n",
	"host=a.test\nba d=1\n",
	"host=a.test\nSignHash=0123456789012345678901234567890123456789\n",
	"host=1.2.3.4.5.6:80\n",
	"host=[::1\n",
	"host=*\n",
	"host=*.test\n",
	"host=a\x7f.test\n",
	"host=\xc3\xa9.test\n",
};

START_TEST(parse_hostile_params)
{
	struct proto_req	 req;
	char			*cause = NULL;

	ck_assert_int_eq(parse_params(bad_params[_i], &req, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	free(cause);
}
END_TEST

/*
 * Each key and Sign value matches exactly: a longer, shorter or
 * differently cased one is another key (ignored) or refused.
 */
static const struct {
	const char	*line;
	int		 rv;
	int		 valid_after, valid_before, set_cn;
	enum proto_sign	 sign;
	const char	*hash;
} key_cases[] = {
	{ "setValidAfter=on",	 0, 1, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "setValidAfte=on",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "setValidAfterX=on",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "setvalidafter=on",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "setValidAfter=onn",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "setValidBefore=On",	 0, 0, 1, 0, PROTO_SIGN_TRUSTED, "" },
	{ "setValidBefor=on",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "setCommonName=a.test", 0, 0, 0, 1, PROTO_SIGN_TRUSTED, "" },
	{ "setCommonNam=b.test", 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "Sign=signSelf",	 0, 0, 0, 0, PROTO_SIGN_SELF, "" },
	{ "Sign=signUntrusted",	 0, 0, 0, 0, PROTO_SIGN_UNTRUSTED, "" },
	{ "Sign=signTrusted",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "Sig=signSelf",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "sign=signSelf",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "Sign=signSel",	-1, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "Sign=signSelfX",	-1, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "Sign=signself",	-1, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "SignHash=SHA512",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "SHA512" },
	{ "SignHas=SHA512",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "SignHashX=SHA512",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
	{ "hostx=b.test",	 0, 0, 0, 0, PROTO_SIGN_TRUSTED, "" },
};

START_TEST(parse_keys_exact)
{
	struct proto_req	 req;
	char			 params[128], *cause = NULL;

	snprintf(params, sizeof params, "host=a.test\n%s\n",
	    key_cases[_i].line);
	ck_assert_int_eq(parse_params(params, &req, &cause), key_cases[_i].rv);
	if (key_cases[_i].rv == 0) {
		ck_assert_str_eq(req.host, "a.test");
		ck_assert_int_eq(req.valid_after, key_cases[_i].valid_after);
		ck_assert_int_eq(req.valid_before, key_cases[_i].valid_before);
		ck_assert_int_eq(req.set_cn, key_cases[_i].set_cn);
		ck_assert_int_eq(req.sign, key_cases[_i].sign);
		ck_assert_str_eq(req.sign_hash, key_cases[_i].hash);
	}
	free(cause);
}
END_TEST

/* proto_sign_name gives back the wire name that parses to the value. */
START_TEST(sign_names_round_trip)
{
	enum proto_sign		 s[] = { PROTO_SIGN_TRUSTED,
				    PROTO_SIGN_UNTRUSTED, PROTO_SIGN_SELF };
	struct proto_req	 req;
	char			 params[128], *cause = NULL;
	size_t			 i;

	for (i = 0; i < sizeof s / sizeof s[0]; i++) {
		snprintf(params, sizeof params, "host=a.test\nSign=%s\n",
		    proto_sign_name(s[i]));
		ck_assert_int_eq(parse_params(params, &req, &cause), 0);
		ck_assert_int_eq(req.sign, s[i]);
	}
	free(cause);
}
END_TEST

START_TEST(parse_host_lengths)
{
	struct proto_req	 req;
	char			 params[600], label[70], name[300],
	    *cause = NULL;

	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(params, sizeof params, "host=%s.test\n", label);
	ck_assert_int_eq(parse_params(params, &req, &cause), -1);
	label[63] = '\0';
	snprintf(params, sizeof params, "host=%s.test\n", label);
	ck_assert_int_eq(parse_params(params, &req, &cause), 0);
	/* 253 bytes is the limit for a whole name. */
	snprintf(name, sizeof name, "%s.%s.%s.%.61s", label, label, label,
	    label);
	ck_assert_uint_eq(strlen(name), 253);
	snprintf(params, sizeof params, "host=%s\n", name);
	ck_assert_int_eq(parse_params(params, &req, &cause), 0);
	snprintf(params, sizeof params, "host=%sx\n", name);
	ck_assert_int_eq(parse_params(params, &req, &cause), -1);
	free(cause);
}
END_TEST

START_TEST(parse_pem_parts)
{
	struct proto_req	 req;
	char			*b, *cause = NULL;

	b = pki_body("host=a.test\n", ca_pem, ca_key_pem, NULL);
	ck_assert_int_eq(proto_parse(b, strlen(b), &req, &cause), 0);
	ck_assert_ptr_null(req.mimic);
	free(b);
	b = pki_body("host=a.test\n", ca_pem, ca_key_pem, "-----BEGIN CERT");
	ck_assert_int_eq(proto_parse(b, strlen(b), &req, &cause), 0);
	ck_assert_ptr_null(req.mimic);	/* unparsable: host alone */
	free(b);
	b = pki_body("host=a.test\n", ca_pem, "", NULL);
	ck_assert_int_eq(proto_parse(b, strlen(b), &req, &cause), -1);
	free(b);
	b = pki_body("host=a.test\n", "", ca_key_pem, NULL);
	ck_assert_int_eq(proto_parse(b, strlen(b), &req, &cause), -1);
	free(b);
	b = pki_body("host=a.test\n", ca_pem,
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
	    "-----END ENCRYPTED PRIVATE KEY-----\n", NULL);
	ck_assert_int_eq(proto_parse(b, strlen(b), &req, &cause), -1);
	free(b);
	b = pki_body("host=a.test\n", ca_pem, ca_key_pem, NULL);
	b[20] = '\0';
	ck_assert_int_eq(proto_parse(b, strlen(ca_pem) + 12, &req, &cause),
	    -1);
	free(b);
	free(cause);
}
END_TEST

/* Feed in to a fresh helper (memory cache only); returns the output. */
static char *
run_helper(const char *in, size_t len, size_t chunk, size_t *outlen)
{
	struct opts	 o;
	struct certgen	*cg;
	struct cbuf	 out = { NULL, 0, 0 };
	char		*buf, *cause = NULL;
	size_t		 have = 0, fed = 0, used;

	ck_assert_int_eq(opts_defaults(&o, &cause), 0);
	ck_assert_int_eq(opts_set(&o, "cache-dir", "none", &cause), 0);
	cg = certgen_new(&o, time(NULL), &cause);
	ck_assert_ptr_nonnull(cg);
	buf = malloc(len + 1);
	while (fed < len) {
		size_t n = len - fed < chunk ? len - fed : chunk;

		memcpy(buf + have, in + fed, n);
		have += n;
		fed += n;
		used = certgen_handle(cg, buf, have, time(NULL), &out);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	free(buf);
	certgen_free(cg);
	opts_free(&o);
	cbuf_add(&out, "", 1);
	*outlen = out.len - 1;
	return out.data;
}

/* The i-th reply (split on 0x01) of out, or NULL. */
static char *
nth_reply(const char *out, size_t len, int i)
{
	const char	*p = out, *e;

	while (i-- > 0) {
		if ((p = memchr(p, '\1', len - (size_t)(p - out))) == NULL)
			return NULL;
		p++;
	}
	if ((e = memchr(p, '\1', len - (size_t)(p - out))) == NULL)
		return NULL;
	return strndup(p, (size_t)(e - p));
}

START_TEST(handle_channels_and_errors)
{
	char	*good = body_with("host=www.origin.test\nSign=signTrusted\n"
		    "SignHash=SHA256\n");
	char	*mism = pki_body("host=x.test\n", ca_pem, other_key_pem, NULL);
	char	*r1 = pki_request("1 ", good), *r2 = pki_request("2 ", mism);
	char	*r3 = pki_request("3 ", "host=a b\n"), *r4;
	char	*all, *out, *rep;
	size_t	 outlen, chunks[] = { 1, 7, 4096, 1 << 20 };
	int	 c;

	char	*big = malloc(3000001);

	memset(big, 'x', 3000000);
	big[3000000] = '\0';
	r4 = pki_request("", good);
	if (asprintf(&all, "%s%sjunk\n%s4 new_certificate 3000000 %s\n%s",
	    r1, r2, r3, big, r4) == -1)
		ck_abort();
	free(big);
	for (c = 0; c < 4; c++) {
		out = run_helper(all, strlen(all), chunks[c], &outlen);
		rep = nth_reply(out, outlen, 0);
		ck_assert(strncmp(rep, "1 OK ", 5) == 0);
		ck_assert_ptr_nonnull(strstr(rep,
		    "-----BEGIN CERTIFICATE-----"));
		ck_assert_ptr_nonnull(strstr(rep, "PRIVATE KEY-----\n"));
		ck_assert_ptr_null(strstr(rep, ca_key_pem));
		free(rep);
		rep = nth_reply(out, outlen, 1);
		ck_assert_str_eq(rep,
		    "2 ERR 42 signing key does not match the certificate");
		free(rep);
		rep = nth_reply(out, outlen, 2);
		ck_assert(strncmp(rep, "ERR ", 4) == 0);	/* junk */
		free(rep);
		rep = nth_reply(out, outlen, 3);
		ck_assert(strncmp(rep, "3 ERR ", 6) == 0);
		free(rep);
		rep = nth_reply(out, outlen, 4);
		ck_assert_str_eq(rep, "4 ERR 23 request body over 1 MiB");
		free(rep);
		rep = nth_reply(out, outlen, 5);
		ck_assert(strncmp(rep, "OK ", 3) == 0);
		free(rep);
		/* Six replies, and nothing after the last 0x01. */
		ck_assert_ptr_null(nth_reply(out, outlen, 6));
		ck_assert_int_eq(out[outlen - 1], '\1');
		free(out);
	}
	free(all);
	free(r1);
	free(r2);
	free(r3);
	free(r4);
	free(good);
	free(mism);
}
END_TEST

START_TEST(handle_reply_length)
{
	char	*b = body_with("host=www.origin.test\n"), *r, *out, *sp;
	size_t	 outlen;
	unsigned long n;

	r = pki_request("9 ", b);
	out = run_helper(r, strlen(r), 1 << 20, &outlen);
	ck_assert(strncmp(out, "9 OK ", 5) == 0);
	n = strtoul(out + 5, &sp, 10);
	ck_assert_int_eq(*sp, ' ');
	ck_assert_uint_eq((size_t)(sp + 1 - out) + n + 1, outlen);
	free(out);
	free(r);
	free(b);
}
END_TEST

START_TEST(reason_sanitized)
{
	char	buf[16];

	ck_assert_uint_eq(helper_reason(buf, sizeof buf, "a\nb\x01" "c\xff"),
	    6);
	ck_assert_str_eq(buf, "a?b?c?");
	ck_assert_uint_eq(helper_reason(buf, 4, "abcdef"), 3);
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite	*s = suite_create("proto");
	TCase	*tc = tcase_create("proto");

	tcase_add_unchecked_fixture(tc, setup_pki, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, frame_plain_and_id);
	tcase_add_loop_test(tc, frame_hostile, 0,
	    sizeof frames / sizeof frames[0]);
	tcase_add_test(tc, frame_skip_lengths);
	tcase_add_test(tc, parse_good);
	tcase_add_loop_test(tc, parse_hostile_params, 0,
	    sizeof bad_params / sizeof bad_params[0]);
	tcase_add_loop_test(tc, parse_keys_exact, 0,
	    (int)(sizeof key_cases / sizeof key_cases[0]));
	tcase_add_test(tc, sign_names_round_trip);
	tcase_add_test(tc, parse_host_lengths);
	tcase_add_test(tc, parse_pem_parts);
	tcase_add_test(tc, handle_channels_and_errors);
	tcase_add_test(tc, handle_reply_length);
	tcase_add_test(tc, reason_sanitized);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(proto_suite)
