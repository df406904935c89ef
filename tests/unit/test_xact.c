/*
 * Unit tests for one transaction (xact.c), front end aside, on the real
 * engines and a real policy: the start mode, the head scan, the headers
 * taken out, holding and staging, the hold limits on a clock the test
 * moves, the early block, the cut and the verdict cache, the verdict, the
 * block page, the audit record and the counters.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "slurp.h"
#include "svc_test.h"
#include "verdict.h"
#include "xact.h"

static const char policy_yaml[] =
    "version: 1\n"
    "rules:\n"
    "  - name: bank\n"
    "    match: { host: [.bank.example] }\n"
    "    action: allow\n"
    "  - name: no-webmail-uploads\n"
    "    match: { host: [webmail.example], direction: upload }\n"
    "    action: block\n"
    "    reason: Uploads to webmail are not allowed\n"
    "  - name: lab\n"
    "    match: { host: [lab.example] }\n"
    "    action: monitor\n"
    "  - name: no-exe\n"
    "    match: { direction: download, file_type: [pe, elf] }\n"
    "    action: block\n"
    "    reason: Executable downloads are not allowed\n"
    "default:\n"
    "  action: inspect\n";

static const char eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"
    "ANTIVIRUS-TEST-FILE!$H+H*";

static struct engine_set	*set;
static struct policy		*pol;
static struct svc_config	 conf;
static struct xact_env		 env;
static uint64_t			 clock_ms;
static int			 stats[XS_COUNT];
static uint64_t			 spooled;
static int			 spools, spool_eof;
static char			 audit_path[] = "/tmp/test_xact.XXXXXX";

/* The verdict cache: a few entries, as the front end's would keep them. */
static struct {
	char			key[VCACHE_KEY_MAX];
	struct vcache_entry	e;
} cache[8];
static size_t			 ncache;

static uint64_t
fake_now(void)
{
	return clock_ms;
}

static void
count_stat(enum xact_stat s, int n)
{
	stats[s] += n;
}

static bool
cache_lookup(const char *key, struct vcache_entry *e)
{
	size_t	i;

	for (i = 0; i < ncache; i++)
		if (strcmp(cache[i].key, key) == 0) {
			*e = cache[i].e;
			return true;
		}
	return false;
}

static void
cache_store(const char *key, const struct vcache_entry *e)
{
	if (ncache < sizeof cache / sizeof cache[0]) {
		snprintf(cache[ncache].key, sizeof cache[ncache].key, "%s",
		    key);
		cache[ncache++].e = *e;
	}
}

static int
spool(void *arg, const char *buf, size_t len, int eof)
{
	(void)arg;
	(void)buf;
	spooled += len;
	spools++;
	spool_eof |= eof;
	return 0;
}

static void
setup(void)
{
	struct engine_config	 ec;
	char			*cause = NULL;
	int			 fd;

	engine_config_defaults(&ec);
	ec.clamav = false;
	set = engine_set_load(&ec, &cause);
	ck_assert_msg(set != NULL, "%s", cause ? cause : "");
	pol = policy_parse(policy_yaml, sizeof policy_yaml - 1, "test.yaml",
	    "/", &cause);
	ck_assert_msg(pol != NULL, "%s", cause ? cause : "");
	svcconf_defaults(&conf);
	free(conf.crl_host);
	conf.crl_host = strdup("crl.example");
	conf.verdict_cache_time = 60;
	memset(&env, 0, sizeof env);
	env.conf = &conf;
	env.engines = set;
	env.stat = count_stat;
	env.cache_lookup = cache_lookup;
	env.cache_store = cache_store;
	env.now_ms = fake_now;
	clock_ms = 1000000;
	memset(stats, 0, sizeof stats);
	ncache = 0;
	spooled = 0;
	spools = spool_eof = 0;
	strcpy(audit_path, "/tmp/test_xact.XXXXXX");
	ck_assert_int_ge(fd = mkstemp(audit_path), 0);
	close(fd);
	ck_assert_int_eq(audit_open(audit_path, &cause), 0);
}

static void
teardown(void)
{
	audit_close();
	unlink(audit_path);
	svcconf_free(&conf);
	policy_free(pol);
	engine_set_free(set);
}

/* Split "A: b\nC: d" into lines (in buf, at most 16). */
static size_t
lines_of(const char *text, char *buf, size_t len, const char **lines)
{
	size_t	 n = 0;
	char	*p, *save = NULL;

	if (text == NULL)
		return 0;
	snprintf(buf, len, "%s", text);
	for (p = strtok_r(buf, "\n", &save); p != NULL && n < 16;
	    p = strtok_r(NULL, "\n", &save))
		lines[n++] = p;
	return n;
}

struct start_case {
	enum engine_direction	 dir;
	const char		*request;	/* request line */
	const char		*req;		/* request header lines */
	const char		*resp;		/* response header lines */
	bool			 hasbody;
	int64_t			 clen;
	const char		*tls_block;
	enum xact_mode		 mode;
	enum verdict		 verdict;
	const char		*reason;	/* in x->reason */
};

/* Start a transaction the way a front end does: new, strip, head scan. */
static struct xact *
start(const struct start_case *c)
{
	struct xact_head	 h;
	struct xact		*x;
	static char		 rqbuf[2048], rsbuf[2048];
	static const char	*rq[16], *rs[16];

	memset(&h, 0, sizeof h);
	h.dir = c->dir;
	h.request_line = c->request;
	h.nreq = lines_of(c->req, rqbuf, sizeof rqbuf, rq);
	h.req_lines = rq;
	if (c->dir == ENGINE_DOWNLOAD) {
		h.status_line = "HTTP/1.1 200 OK";
		h.nresp = lines_of(c->resp, rsbuf, sizeof rsbuf, rs);
		h.resp_lines = rs;
	}
	h.client_ip = "192.0.2.7";
	h.tls_block = c->tls_block;
	h.hasbody = c->hasbody;
	h.clen = c->clen;
	x = xact_new(&env, pol, &h);
	ck_assert_ptr_nonnull(x);
	if (xact_strip(x, rq, h.nreq))
		x->edited = true;
	xact_scan_head(x, rq, h.nreq);
	return x;
}

static const struct start_case starts[] = {
	{ ENGINE_UPLOAD, "POST https://www.example/form HTTP/1.1",
	  "Host: www.example", NULL, true, 10, NULL,
	  XM_HOLD, VERDICT_ALLOW, "" },
	{ ENGINE_UPLOAD, "GET https://www.example/ HTTP/1.1",
	  "Host: www.example", NULL, false, 0, NULL,
	  XM_PASS, VERDICT_ALLOW, "" },
	{ ENGINE_UPLOAD, "POST https://webmail.example/send HTTP/1.1",
	  "Host: webmail.example", NULL, true, 10, NULL,
	  XM_BLOCK, VERDICT_BLOCK_POLICY, "Uploads to webmail" },
	/* direction upload: requests with a body only */
	{ ENGINE_UPLOAD, "GET https://webmail.example/inbox HTTP/1.1",
	  "Host: webmail.example", NULL, false, 0, NULL,
	  XM_PASS, VERDICT_ALLOW, "" },
	{ ENGINE_DOWNLOAD, "GET https://www.bank.example/x HTTP/1.1",
	  "Host: www.bank.example", "Content-Type: text/html", true, 10, NULL,
	  XM_PASS, VERDICT_ALLOW, "" },
	{ ENGINE_DOWNLOAD, "GET https://www.example/x HTTP/1.1",
	  "Host: www.example", "Content-Type: text/html", true, 10, NULL,
	  XM_HOLD, VERDICT_ALLOW, "" },
	/* the request line and headers are inspected: query, cookie */
	{ ENGINE_UPLOAD,
	  "GET https://www.example/?card=4111111111111111 HTTP/1.1",
	  "Host: www.example", NULL, false, 0, NULL,
	  XM_BLOCK, VERDICT_BLOCK_FOUND, "card" },
	{ ENGINE_UPLOAD, "GET https://www.example/ HTTP/1.1",
	  "Host: www.example\nCookie: card=4111 1111 1111 1111", NULL, false, 0,
	  NULL, XM_BLOCK, VERDICT_BLOCK_FOUND, "card" },
	/* monitored: found and logged, not blocked */
	{ ENGINE_UPLOAD,
	  "GET https://lab.example/?card=4111111111111111 HTTP/1.1",
	  "Host: lab.example", NULL, false, 0, NULL,
	  XM_PASS, VERDICT_MONITOR, "card" },
	/* the proxy's TLS policy, from the bump snippet */
	{ ENGINE_UPLOAD, "GET https://www.example/ HTTP/1.1",
	  "Host: www.example", NULL, false, 0, "blocked:no-sni",
	  XM_BLOCK, VERDICT_BLOCK_POLICY, "no site" },
	{ ENGINE_UPLOAD, "GET http://crl.example/org.crl HTTP/1.1",
	  "Host: crl.example", NULL, false, 0, NULL,
	  XM_CRL, VERDICT_ALLOW, "" },
	/* no absolute URL: the host from Host, without its port */
	{ ENGINE_UPLOAD, "POST /send HTTP/1.1",
	  "Host: webmail.example:8443", NULL, true, 10, NULL,
	  XM_BLOCK, VERDICT_BLOCK_POLICY, "Uploads to webmail" },
};

START_TEST(start_modes)
{
	const struct start_case	*c = &starts[_i];
	struct xact		*x = start(c);

	ck_assert_msg(x->mode == c->mode, "case %d: mode %d, want %d", _i,
	    x->mode, c->mode);
	ck_assert_msg(x->verdict == c->verdict, "case %d: verdict %s", _i,
	    verdict_name(x->verdict));
	ck_assert_msg(strstr(x->reason, c->reason) != NULL,
	    "case %d: reason \"%s\"", _i, x->reason);
	xact_free(x);
}
END_TEST

/* Every Content-Encoding line as the browser joins them; two types. */
START_TEST(headers_as_clients_read_them)
{
	struct start_case	 c = { ENGINE_DOWNLOAD,
	    "GET https://www.example/x HTTP/1.1", "Host: www.example",
	    "Content-Encoding: identity\nContent-Encoding: br\n"
	    "Content-Type: text/plain", true, -1, NULL, XM_HOLD,
	    VERDICT_ALLOW, "" };
	struct xact		*x = start(&c);

	ck_assert_str_eq(x->cenc, "identity, br");
	ck_assert_str_eq(x->ctype, "text/plain");
	ck_assert_int_eq(x->clen, -1);
	ck_assert_ptr_null(x->uninsp);
	xact_free(x);
	c.dir = ENGINE_UPLOAD;
	c.request = "POST https://www.example/f HTTP/1.1";
	c.req = "Host: www.example\nContent-Type: text/plain\n"
	    "Content-Type: application/json";
	x = start(&c);
	ck_assert_ptr_nonnull(x->uninsp);
	ck_assert_int_eq(xact_start_scan(x, spool, NULL), 0);
	ck_assert_int_eq(xact_take(x, "{}", 2, 1), 0);
	xact_scan_end(x);
	ck_assert_int_eq(x->verdict, VERDICT_BLOCK_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(x->reason, "Content-Type"));
	xact_free(x);
}
END_TEST

/* A Range on a request whose response is inspected goes; not on a bank. */
START_TEST(ranges_stripped)
{
	struct start_case	 c = { ENGINE_UPLOAD,
	    "GET https://www.example/f.zip HTTP/1.1",
	    "Host: www.example\nRange: bytes=0-99", NULL, false, 0, NULL,
	    XM_PASS, VERDICT_ALLOW, "" };
	struct xact		*x = start(&c);

	ck_assert(x->edited);
	xact_free(x);
	c.request = "GET https://www.bank.example/f.zip HTTP/1.1";
	c.req = "Host: www.bank.example\nRange: bytes=0-99";
	x = start(&c);
	ck_assert(!x->edited);
	xact_free(x);
	c.request = "GET https://www.example/f.zip HTTP/1.1";
	c.req = "Host: www.example";
	x = start(&c);
	ck_assert(!x->edited);
	xact_free(x);
}
END_TEST

static struct xact *
download(const char *url, int64_t clen)
{
	static char		 req[] = "GET https://www.example/big HTTP/1.1";
	struct start_case	 c = { ENGINE_DOWNLOAD, req,
	    "Host: www.example", "Content-Type: application/octet-stream",
	    true, clen, NULL, XM_HOLD, VERDICT_ALLOW, "" };
	struct xact		*x;

	snprintf(req, sizeof req, "GET %s HTTP/1.1", url);
	x = start(&c);
	if (x->mode == XM_HOLD)
		ck_assert_int_eq(xact_start_scan(x, spool, NULL), 0);
	return x;
}

/* An upload with a body of clen bytes, started. */
static struct xact *
upload(const char *request, const char *headers, int64_t clen)
{
	struct start_case	 c = { ENGINE_UPLOAD, request, headers, NULL,
	    true, clen, NULL, XM_HOLD, VERDICT_ALLOW, "" };

	return start(&c);
}

/* Feed n bytes of filler in pieces of 4 KiB; the last step. */
static enum xact_step
feed(struct xact *x, size_t n, int eof)
{
	static char		piece[4096];
	enum xact_step		step = XA_NONE;
	size_t			k;

	memset(piece, 'a', sizeof piece);
	for (; n > 0; n -= k) {
		k = n < sizeof piece ? n : sizeof piece;
		ck_assert_int_eq(xact_take(x, piece, k, eof && k == n), 0);
		if ((step = xact_check(x)) != XA_NONE)
			return step;
	}
	return step;
}

START_TEST(held_clean_allowed)
{
	struct xact	*x = download("https://www.example/a", 100000);

	ck_assert_int_eq(feed(x, 100000, 1), XA_NONE);
	ck_assert_uint_eq(x->bytes, 100000);
	ck_assert_uint_eq(spooled, 100000);
	ck_assert(spool_eof);
	/* past 16 KiB, 4 KiB pieces go in stages of 64 KiB: few writes */
	ck_assert_int_lt(spools, 8);
	xact_scan_end(x);
	ck_assert_int_eq(x->verdict, VERDICT_ALLOW);
	ck_assert_uint_eq(xact_release_to(x), 0);
	xact_free(x);
	ck_assert_int_eq(stats[XS_REQS], 1);
	ck_assert_int_eq(stats[XS_ALLOW], 1);
	ck_assert_int_eq(stats[XS_BLOCK], 0);
}
END_TEST

/* EICAR is certain at once: the page before the body's end. */
START_TEST(held_eicar_blocked_early)
{
	struct xact	*x = download("https://www.example/e", 1000000);
	const char	*ctype;
	char		*page;
	size_t		 len;

	ck_assert_int_eq(xact_take(x, eicar, sizeof eicar - 1, 0), 0);
	ck_assert_int_eq(xact_check(x), XA_BLOCK);
	ck_assert_int_eq(x->verdict, VERDICT_BLOCK_FOUND);
	ck_assert_str_eq(x->reason, "malware: Eicar-Test-Signature x1");
	page = xact_block_page(x, &ctype, &len);
	ck_assert_ptr_nonnull(page);
	ck_assert_str_eq(ctype, "text/html; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(page, x->incident));
	free(page);
	xact_free(x);
	ck_assert_int_eq(stats[XS_BLOCK], 1);
	ck_assert_int_eq(stats[XS_FOUND], 1);
	ck_assert_int_eq(stats[XS_MALWARE], 1);
}
END_TEST

static int
spool_full(void *arg, const char *buf, size_t len, int eof)
{
	(void)arg;
	(void)buf;
	(void)len;
	(void)eof;
	return -1;
}

/*
 * A spool that fails (a full TmpDir) fails the transfer closed: the page
 * says inspection failed, the audit record why, and a cut after the
 * release began is not remembered for the retry (the disk may have room
 * by then).
 */
START_TEST(spool_failure_fails_closed)
{
	static char	 piece[4096];
	struct xact	*x;
	const char	*ctype;
	char		*page;
	size_t		 len, i;

	/* pieces are staged up to 64 KiB: the spool is called past that */
	memset(piece, 'b', sizeof piece);
	x = download("https://www.example/held", 1000000);
	ck_assert_int_eq(feed(x, 8192, 0), XA_NONE);
	x->spool = spool_full;
	for (i = 0; i < 64 && xact_take(x, piece, sizeof piece, 0) == 0;
	    i++)
		;
	ck_assert_uint_lt(i, 64);
	ck_assert_int_eq(x->verdict, VERDICT_BLOCK_FAILED);
	ck_assert(verdict_blocks(x->verdict));
	ck_assert_ptr_nonnull(strstr(x->reason, "could not be spooled"));
	page = xact_block_page(x, &ctype, &len);
	ck_assert_ptr_nonnull(page);
	ck_assert_ptr_nonnull(strstr(page, x->incident));
	free(page);
	xact_free(x);
	ck_assert_int_eq(stats[XS_BLOCK], 1);
	ck_assert_int_eq(stats[XS_FAILED], 1);

	conf.max_hold = 1024 * 1024;
	x = download("https://www.example/streamed", 4 * 1024 * 1024);
	ck_assert_int_eq(feed(x, 2 * 1024 * 1024, 0), XA_RELEASE);
	x->spool = spool_full;
	for (i = 0; i < 64 && xact_take(x, piece, sizeof piece, 0) == 0;
	    i++)
		;
	ck_assert_uint_lt(i, 64);
	xact_cut(x);
	ck_assert_uint_eq(ncache, 0);
	xact_free(x);
}
END_TEST

/*
 * Announced over MaxHoldSize: released while scanned (after the content
 * key's first bytes), paced, the tail kept; EICAR at the end cuts it off,
 * and the retry, under its URL or another, is blocked on sight.
 */
START_TEST(streamed_then_cut_then_cached)
{
	struct xact	*x;
	uint64_t	 to;

	conf.max_hold = 1024 * 1024;
	x = download("https://www.example/big?sig=1", 4 * 1024 * 1024);
	ck_assert_int_eq(feed(x, 32 * 1024, 0), XA_NONE);
	ck_assert_int_eq(x->mode, XM_HOLD);	/* the content key first */
	ck_assert_int_eq(feed(x, 40 * 1024, 0), XA_RELEASE);
	ck_assert_int_eq(x->mode, XM_STREAM);
	ck_assert_int_eq(stats[XS_STREAMED], 1);
	ck_assert_int_eq(feed(x, 2 * 1024 * 1024, 0), XA_NONE);
	to = xact_release_to(x);
	ck_assert_uint_eq(to, x->bytes - 64 * 1024);
	ck_assert_int_eq(xact_take(x, eicar, sizeof eicar - 1, 0), 0);
	ck_assert_int_eq(xact_stage_flush(x, 0), 0);
	ck_assert_int_eq(xact_check(x), XA_CUT);
	xact_cut(x);
	ck_assert_ptr_nonnull(strstr(x->reason, "(transfer cut off)"));
	ck_assert_int_eq(stats[XS_CUT], 1);
	ck_assert_uint_eq(ncache, 2);	/* URL key, content key */
	xact_free(x);

	x = download("https://www.example/big?sig=1", 4 * 1024 * 1024);
	ck_assert_int_eq(x->mode, XM_BLOCK);
	ck_assert_ptr_nonnull(strstr(x->reason, "blocked before"));
	xact_free(x);
	/* another URL, the same first bytes: known once they are in */
	x = download("https://www.example/big?sig=2", 4 * 1024 * 1024);
	ck_assert_int_eq(x->mode, XM_HOLD);
	ck_assert_int_eq(feed(x, 64 * 1024, 0), XA_BLOCK);
	ck_assert_ptr_nonnull(strstr(x->reason, "blocked before"));
	xact_free(x);
	ck_assert_int_eq(stats[XS_CACHED], 2);
}
END_TEST

/*
 * Released after a long hold: at first no more than the burst, then the
 * burst and twice what came since; never the last 64 KiB.
 */
START_TEST(release_paced)
{
	struct xact	*x = download("https://www.example/p", -1);

	ck_assert_int_eq(feed(x, 3 * 1024 * 1024, 0), XA_NONE);
	clock_ms += (uint64_t)conf.max_hold_time * 1000;
	ck_assert_int_eq(feed(x, 4096, 0), XA_RELEASE);
	ck_assert_uint_eq(x->stream_from, x->bytes);
	ck_assert_uint_eq(xact_release_to(x), 256 * 1024);
	ck_assert_int_eq(feed(x, 64 * 1024, 0), XA_NONE);
	ck_assert_int_eq(xact_stage_flush(x, 0), 0);
	ck_assert_uint_eq(xact_release_to(x), 256 * 1024 + 2 * 64 * 1024);
	ck_assert_int_eq(feed(x, 4 * 1024 * 1024, 0), XA_NONE);
	ck_assert_int_eq(xact_stage_flush(x, 0), 0);
	ck_assert_uint_eq(xact_release_to(x), x->bytes - 64 * 1024);
	xact_free(x);
}
END_TEST

/* A chunked download held MaxHoldTime: then released while scanned. */
START_TEST(hold_time_releases)
{
	struct xact	*x = download("https://www.example/slow", -1);

	ck_assert_int_eq(feed(x, 100000, 0), XA_NONE);
	clock_ms += (uint64_t)conf.max_hold_time * 1000 - 1;
	ck_assert_int_eq(feed(x, 10, 0), XA_NONE);
	clock_ms += 1;
	ck_assert_int_eq(feed(x, 10, 0), XA_RELEASE);
	ck_assert_uint_eq(xact_release_to(x), 100020 - 64 * 1024);
	xact_free(x);
}
END_TEST

/*
 * An upload held MaxUploadHoldTime: its request goes ahead, its body stays
 * held until the verdict; a card found at the end blocks (the front end
 * cuts the upload off).
 */
START_TEST(upload_sent_ahead)
{
	struct xact	*x = upload("POST https://www.example/up HTTP/1.1",
	    "Host: www.example\nContent-Type: text/plain", 300000);
	const char	*card = " card 4111 1111 1111 1111 ";

	ck_assert_int_eq(xact_start_scan(x, spool, NULL), 0);
	ck_assert_int_eq(feed(x, 200000, 0), XA_NONE);
	clock_ms += (uint64_t)conf.max_upload_hold_time * 1000;
	ck_assert_int_eq(feed(x, 10, 0), XA_RELEASE);
	ck_assert(x->ahead);
	ck_assert_uint_eq(xact_release_to(x), 0);
	ck_assert_int_eq(stats[XS_AHEAD], 1);
	ck_assert_int_eq(xact_take(x, card, strlen(card), 1), 0);
	xact_scan_end(x);
	ck_assert_int_eq(x->verdict, VERDICT_BLOCK_FOUND);
	xact_free(x);
}
END_TEST

/* Over MaxUploadSize (announced): blocked as too large, not held. */
START_TEST(upload_oversize_blocked)
{
	struct xact	*x;

	conf.max_upload = 64 * 1024;
	x = upload("POST https://www.example/up HTTP/1.1", "Host: www.example",
	    65 * 1024);
	ck_assert_int_eq(xact_start_scan(x, spool, NULL), 0);
	ck_assert_int_eq(feed(x, 10, 0), XA_BLOCK);
	ck_assert_int_eq(x->verdict, VERDICT_BLOCK_UNINSPECTABLE);
	ck_assert_str_eq(x->reason, "too large to inspect");
	xact_free(x);
}
END_TEST

/*
 * When a front end that is not called back on an idle body must look: at
 * the hold time's end, at a stage's 50 ms; never for a body in a range
 * (not released on time) nor for one past the hold.
 */
START_TEST(deadlines)
{
	struct xact	*x = download("https://www.example/d", -1);

	ck_assert_uint_eq(xact_deadline(x),
	    clock_ms + (uint64_t)conf.max_hold_time * 1000);
	xact_free(x);
	x = upload("POST https://www.example/u HTTP/1.1", "Host: www.example",
	    100);
	ck_assert_uint_eq(xact_deadline(x), 0);	/* not started */
	ck_assert_int_eq(xact_start_scan(x, spool, NULL), 0);
	ck_assert_uint_eq(xact_deadline(x),
	    clock_ms + (uint64_t)conf.max_upload_hold_time * 1000);
	xact_free(x);
	conf.max_hold = 1024 * 1024;
	conf.verdict_cache_time = 0;
	x = download("https://www.example/s", 8 * 1024 * 1024);
	ck_assert_int_eq(feed(x, 4096, 0), XA_RELEASE);
	ck_assert_uint_eq(xact_deadline(x), 0);	/* streaming, nothing staged */
	ck_assert_int_eq(feed(x, 16 * 1024, 0), XA_NONE);
	ck_assert_int_eq(xact_stage_flush(x, 0), 0);
	ck_assert_int_eq(xact_take(x, "abc", 3, 0), 0);
	ck_assert_uint_eq(xact_deadline(x), clock_ms + 50);
	xact_free(x);
}
END_TEST

/* Staged pieces of a body released while scanned go on after 50 ms. */
START_TEST(stage_due_after_50ms)
{
	struct xact	*x;

	conf.max_hold = 1024 * 1024;
	conf.verdict_cache_time = 0;
	x = download("https://www.example/s", 8 * 1024 * 1024);
	ck_assert_int_eq(feed(x, 4096, 0), XA_RELEASE);
	ck_assert_int_eq(feed(x, 16 * 1024, 0), XA_NONE);
	ck_assert_int_eq(xact_stage_flush(x, 0), 0);
	ck_assert_int_eq(xact_take(x, "abc", 3, 0), 0);
	ck_assert_uint_eq(x->nstage, 3);
	ck_assert(!xact_stage_due(x));
	clock_ms += 50;
	ck_assert(xact_stage_due(x));
	ck_assert_int_eq(xact_stage_flush(x, 0), 0);
	ck_assert_uint_eq(x->nstage, 0);
	ck_assert_uint_eq(x->bytes, 4096 + 16 * 1024 + 3);
	xact_free(x);
}
END_TEST

/* A rule that waits for the true type: a PE download is blocked by it. */
START_TEST(true_type_rule)
{
	struct xact	*x = download("https://www.example/setup", -1);
	char		 pe[4096];

	memset(pe, 0, sizeof pe);
	memcpy(pe, "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", 14);
	ck_assert(x->dec.pending);
	ck_assert_int_eq(xact_take(x, pe, sizeof pe, 1), 0);
	xact_scan_end(x);
	ck_assert_int_eq(x->verdict, VERDICT_BLOCK_POLICY);
	ck_assert_str_eq(x->dec.rule, "no-exe");
	ck_assert_str_eq(x->reason, "Executable downloads are not allowed");
	xact_free(x);
	ck_assert_int_eq(stats[XS_POLICY], 1);
}
END_TEST

/* The page as JSON for a client that asks for JSON. */
START_TEST(block_page_json)
{
	struct xact	*x = upload(
	    "POST https://webmail.example/send HTTP/1.1",
	    "Host: webmail.example\nAccept: application/json", 10);
	const char	*ctype;
	char		*page;
	size_t		 len;

	page = xact_block_page(x, &ctype, &len);
	ck_assert_ptr_nonnull(page);
	ck_assert_str_eq(ctype, "application/json");
	ck_assert_uint_eq(len, strlen(page));
	ck_assert_ptr_nonnull(strstr(page, "no-webmail-uploads"));
	ck_assert_ptr_nonnull(strstr(page, x->incident));
	free(page);
	conf.block_page = false;
	page = xact_block_page(x, &ctype, &len);
	ck_assert_ptr_null(page);
	ck_assert_uint_eq(len, 0);
	xact_free(x);
}
END_TEST

/*
 * The audit record: one line per transaction, the verdict and rule; the
 * digits of a URL that carried a finding masked; a GET passed without a
 * finding left to its response's record.
 */
START_TEST(audit_records)
{
	struct start_case	 c = starts[6];	/* card in the query */
	struct xact		*x;
	char			*text;
	size_t			 len;

	x = start(&c);
	xact_free(x);
	x = start(&starts[1]);			/* a plain GET */
	xact_free(x);
	audit_close();
	text = slurp_file(audit_path, 1 << 20, &len, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "\"verdict\":\"block\""));
	ck_assert_ptr_null(strstr(text, "4111111111111111"));
	ck_assert_ptr_nonnull(strchr(text, '\n'));
	ck_assert_ptr_null(strchr(strchr(text, '\n') + 1, '\n'));
	free(text);
}
END_TEST

static Suite *
xact_suite(void)
{
	Suite	*s = suite_create("xact");
	TCase	*tc = tcase_create("xact");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, start_modes, 0,
	    (int)(sizeof starts / sizeof starts[0]));
	tcase_add_test(tc, headers_as_clients_read_them);
	tcase_add_test(tc, ranges_stripped);
	tcase_add_test(tc, held_clean_allowed);
	tcase_add_test(tc, held_eicar_blocked_early);
	tcase_add_test(tc, spool_failure_fails_closed);
	tcase_add_test(tc, streamed_then_cut_then_cached);
	tcase_add_test(tc, release_paced);
	tcase_add_test(tc, hold_time_releases);
	tcase_add_test(tc, upload_sent_ahead);
	tcase_add_test(tc, upload_oversize_blocked);
	tcase_add_test(tc, stage_due_after_50ms);
	tcase_add_test(tc, deadlines);
	tcase_add_test(tc, true_type_rule);
	tcase_add_test(tc, block_page_json);
	tcase_add_test(tc, audit_records);
	suite_add_tcase(s, tc);
	return s;
}

SVC_TEST_MAIN(xact_suite)
