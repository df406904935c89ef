/*
 * One inspected transaction, front end aside (see xact.h). What to do is
 * asked of the pure decisions in verdict.c and policy.c; the body goes
 * through body.c; this file keeps the transaction's state between them.
 *
 * Hold, then decide. A body is held whole while it is decoded and scanned
 * piece by piece. At the end a clean body is released, a blocked one gets
 * the page. A detection that is certain before the end (EICAR, a blocked
 * type) blocks at once. Past MaxHoldSize or MaxHoldTime a download is
 * released as it is scanned, all but its last STREAM_TAIL bytes, and a
 * detection then cuts the transfer off and enters the verdict cache, so
 * that the client's retry gets the page. Past MaxUploadHoldTime an
 * upload's request line and headers go on to the origin, its body still
 * held whole (verdict_hold); a detection then cuts it off.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc.h"
#include "verdict.h"
#include "xact.h"

/*
 * A body released while it is scanned keeps this much back until the end:
 * a detection that only the end can show (an archive, a hash) then cuts
 * the transfer off before the client has the whole file, and a signature
 * split across the release point is seen before its first half leaves.
 */
#define STREAM_TAIL	(64 * 1024)
/*
 * A download released after a hold is released no further than
 * STREAM_BURST plus STREAM_PACE bytes for every byte the origin sent since.
 * Squid reads the origin only while the reply's store entry is within
 * read_ahead_gap of what the client took, and what waits in the adapted
 * answer fills that room first (HttpStateData::readReply, Client::
 * handleMoreAdaptedBodyAvailable, MemObject::readAheadPolicyCanRead): the
 * whole hold released at once left the origin unread until a slow client
 * had taken all of it, and origins that time out an idle connection
 * (nginx's send_timeout, 60 s) cut the download. Paced, the answer runs
 * dry now and then and the origin is read all along.
 */
#define STREAM_BURST	(256 * 1024)
#define STREAM_PACE	2
/*
 * The front end hands a body over in pieces of a few KiB. Past the first
 * STAGE_AFTER bytes (where a type or EICAR shows at once), pieces are
 * gathered into STAGE_SIZE before they are spooled and scanned: one write,
 * one size check and one pass of each engine per stage instead of per
 * piece, which under load was a third of the service's CPU. A stage goes
 * on when it is full, at the end, when the body starts to be released,
 * when the front end has no more of the body at hand (it flushes), and
 * when its first piece is STAGE_MS old, so that a slow body released
 * while scanned still reaches the client as it comes.
 */
#define STAGE_AFTER	(16 * 1024)
#define STAGE_SIZE	(64 * 1024)
#define STAGE_MS	50

const char *const xact_strip_names[] = {
	/* a range would be a part the service cannot judge */
	"Range", "Request-Range", "If-Range",
	/* a compression dictionary the service does not have */
	"Available-Dictionary", "Dictionary-ID",
	NULL
};

/*
 * Each counter's label (c-icap's info page), its key (a key=value log
 * line), and for the per-engine ones the engine.
 */
static const struct {
	const char	*label;
	const char	*engine;
	const char	*key;
} xact_stats[XS_COUNT] = {
	[XS_REQS] = { "Requests inspected", NULL, "requests" },
	[XS_ALLOW] = { "Allowed", NULL, "allowed" },
	[XS_BLOCK] = { "Blocked", NULL, "blocked" },
	[XS_MONITOR] = { "Monitored (found, not blocked)", NULL,
	    "monitored" },
	[XS_STREAMED] = { "Released while scanned (over hold limits)", NULL,
	    "released" },
	[XS_AHEAD] = { "Uploads sent ahead of their body (MaxUploadHoldTime)",
	    NULL, "sent_ahead" },
	[XS_CUT] = { "Cut off after release began", NULL, "cut" },
	[XS_CACHED] = { "Blocked: verdict cache", NULL, "blocked_cache" },
	[XS_POLICY] = { "Blocked: policy rule", NULL, "blocked_policy" },
	[XS_FOUND] = { "Blocked: detection", NULL, "blocked_found" },
	[XS_UNINSP] = { "Blocked: uninspectable", NULL,
	    "blocked_uninspectable" },
	[XS_FAILED] = { "Blocked: inspection failed", NULL, "blocked_failed" },
	[XS_FAILOPEN] = { "Fail-open passes", NULL, "fail_open" },
	[XS_CRL] = { "CRL requests", NULL, "crl" },
	[XS_DLP] = { "Findings: dlp", "dlp", "found_dlp" },
	[XS_MALWARE] = { "Findings: malware", "malware", "found_malware" },
	[XS_HASH] = { "Findings: hash", "hash", "found_hash" },
	[XS_FILETYPE] = { "Findings: filetype", "filetype",
	    "found_filetype" },
	[XS_ARCHIVE] = { "Findings: archive", "archive", "found_archive" },
	[XS_MSEC] = { "Scan time (ms)", NULL, "scan_ms" },
	[XS_BYTES] = { "Body bytes scanned", NULL, "scanned_bytes" },
};

/* The counter each final verdict adds to, besides Allowed/Blocked. */
static const enum xact_stat verdict_stat[VERDICT_COUNT] = {
	[VERDICT_ALLOW] = XS_ALLOW,
	[VERDICT_MONITOR] = XS_MONITOR,
	[VERDICT_ALLOW_UNINSPECTABLE] = XS_ALLOW,
	[VERDICT_FAIL_OPEN] = XS_FAILOPEN,
	[VERDICT_BLOCK_POLICY] = XS_POLICY,
	[VERDICT_BLOCK_FOUND] = XS_FOUND,
	[VERDICT_BLOCK_UNINSPECTABLE] = XS_UNINSP,
	[VERDICT_BLOCK_FAILED] = XS_FAILED,
};

/* What the block page says of each blocking verdict. */
static const enum block_kind block_kind[VERDICT_COUNT] = {
	[VERDICT_BLOCK_POLICY] = BLOCK_POLICY,
	[VERDICT_BLOCK_FOUND] = BLOCK_FOUND,
	[VERDICT_BLOCK_UNINSPECTABLE] = BLOCK_UNINSPECTABLE,
	[VERDICT_BLOCK_FAILED] = BLOCK_FAILED,
};

static int	xact_spool_scan(struct xact *, const char *, size_t, int);

const char *
xact_stat_label(enum xact_stat s)
{
	return s < XS_COUNT ? xact_stats[s].label : NULL;
}

const char *
xact_stat_engine(enum xact_stat s)
{
	return s < XS_COUNT ? xact_stats[s].engine : NULL;
}

const char *
xact_stat_key(enum xact_stat s)
{
	return s < XS_COUNT ? xact_stats[s].key : NULL;
}

static void
xact_stat_inc(const struct xact *x, enum xact_stat s, int n)
{
	if (x->env->stat != NULL)
		x->env->stat(s, n);
}

static uint64_t
xact_now(const struct xact_env *env)
{
	struct timespec	ts;

	if (env->now_ms != NULL)
		return env->now_ms();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Milliseconds from t to now; never negative. */
uint64_t
xact_ms_since(const struct xact *x, uint64_t t)
{
	uint64_t	now = xact_now(x->env);

	return now > t ? now - t : 0;
}

static void
copy_str(char *dst, size_t len, const char *v)
{
	snprintf(dst, len, "%s", v ? v : "");
}

static void
xact_set_reason(struct xact *x, const char *reason)
{
	copy_str(x->reason, sizeof x->reason, reason);
}

/* Method and URL from the request line. */
static void
xact_request_line(struct xact *x, const char *line)
{
	const char	*sp;
	size_t		 l;

	if (line == NULL)
		return;
	l = strcspn(line, " ");
	copy_str(x->method, l < sizeof x->method ? l + 1 : sizeof x->method,
	    line);
	sp = line + l + strspn(line + l, " ");
	l = strcspn(sp, " ");
	if (l >= sizeof x->url)
		l = sizeof x->url - 1;
	memcpy(x->url, sp, l);
	x->url[l] = '\0';
}

/*
 * The categories of the request's host and URL, looked up once per
 * transaction into x->cats; NULL when there are none.
 */
static const char *
xact_categories(struct xact *x)
{
	if (!x->cats_done) {
		x->cats_done = true;
		x->cats[0] = '\0';
		if (x->env->categories == NULL || x->env->categories(x->host,
		    x->url, x->cats, sizeof x->cats) < 0)
			x->cats[0] = '\0';
	}
	return x->cats[0] != '\0' ? x->cats : NULL;
}

static void
xact_facts(struct xact *x, struct policy_facts *f, const char *ttype,
    int64_t size)
{
	memset(f, 0, sizeof *f);
	f->categories = xact_categories(x);
	f->host = x->host;
	f->url = x->url;
	f->client_ip = x->ip[0] ? x->ip : NULL;
	f->user = x->user[0] ? x->user : NULL;
	f->groups = x->groups[0] ? x->groups : NULL;
	f->method = x->method;
	f->direction = x->dir;
	f->content_type = x->ctype[0] ? x->ctype : NULL;
	f->true_type = ttype;
	f->size = size;
}

static void
xact_collect(struct xact *x, const struct xact_head *h)
{
	const char *const	*lines;
	size_t			 n;

	xact_request_line(x, h->request_line);
	if (policy_url_host(x->url, x->host, sizeof x->host, &x->path) != 0 ||
	    x->host[0] == '\0') {
		copy_str(x->host, sizeof x->host, httphdr_get(h->req_lines,
		    h->nreq, "Host"));
		x->host[strcspn(x->host, ":")] = '\0';
		x->path = x->url;
	}
	copy_str(x->ip, sizeof x->ip, h->client_ip);
	copy_str(x->user, sizeof x->user, h->user);
	copy_str(x->groups, sizeof x->groups, h->groups);
	lines = x->dir == ENGINE_DOWNLOAD ? h->resp_lines : h->req_lines;
	n = x->dir == ENGINE_DOWNLOAD ? h->nresp : h->nreq;
	/* Every line of a list header, as the browser reads them. */
	if (httphdr_join(lines, n, "Content-Encoding", x->cenc,
	    sizeof x->cenc) < 0)
		x->uninsp = "Content-Encoding too long to read";
	copy_str(x->ctype, sizeof x->ctype, httphdr_get(lines, n,
	    "Content-Type"));
	x->script_name = httphdr_script_named(x->path,
	    httphdr_get(lines, n, "Content-Disposition"));
	if (x->dir == ENGINE_DOWNLOAD) {
		copy_str(x->etag, sizeof x->etag, httphdr_get(lines, n,
		    "ETag"));
		copy_str(x->lastmod, sizeof x->lastmod, httphdr_get(lines, n,
		    "Last-Modified"));
		x->partial = httphdr_partial(lines, n, h->status_line != NULL ?
		    httphdr_status(h->status_line) : -1);
	} else if (httphdr_conflict(lines, n, "Content-Type"))
		/* One server takes the first Content-Type, another the last. */
		x->uninsp = "ambiguous Content-Type (two different headers)";
	copy_str(x->accept, sizeof x->accept, httphdr_get(h->req_lines,
	    h->nreq, "Accept"));
	copy_str(x->lang, sizeof x->lang, httphdr_get(h->req_lines, h->nreq,
	    "Accept-Language"));
	x->hasbody = h->hasbody;
	x->clen = x->hasbody ? h->clen : 0;
}

/* What the verdict cache says of a download it has seen cut off. */
static void
xact_cache_verdict(struct xact *x, const struct vcache_entry *e)
{
	x->verdict = e->verdict;
	snprintf(x->reason, sizeof x->reason,
	    "%.150s (blocked before, incident %s)", e->reason, e->incident);
	xact_stat_inc(x, XS_CACHED, 1);
}

/* The verdict cache key of this download, or NULL when it has none. */
static const char *
xact_cache_key(struct xact *x, char *buf, size_t len)
{
	if (x->dir != ENGINE_DOWNLOAD || verdict_cache_key(buf, len, x->url,
	    x->etag, x->lastmod, x->hasbody ? x->clen : -1) != 0)
		return NULL;
	return buf;
}

/* The content key of this download's hashed first bytes, or NULL. */
static const char *
xact_body_key(struct xact *x, char *buf, size_t len)
{
	if (verdict_cache_body_key(buf, len, x->host, x->clen, x->pre.want,
	    x->pre.hex) != 0)
		return NULL;
	return buf;
}

static bool
xact_cache_lookup(struct xact *x, const char *key, struct vcache_entry *e)
{
	return key != NULL && x->env->cache_lookup != NULL &&
	    x->env->cache_lookup(key, e);
}

/*
 * A download cut off after its release began is blocked on sight for the
 * cache's lifetime, so that the client's retry gets the page. Only where
 * a detection would block: a monitoring rule sees it as before.
 */
static bool
xact_cached_block(struct xact *x)
{
	struct vcache_entry	e;
	char			key[VCACHE_KEY_MAX];

	if (x->start != START_SCAN || x->dec.action == POLICY_MONITOR ||
	    !xact_cache_lookup(x, xact_cache_key(x, key, sizeof key), &e))
		return false;
	xact_cache_verdict(x, &e);
	return true;
}

/*
 * Hash a download's first bytes while the verdict cache may hold them:
 * not for a body the hold takes whole anyway, nor under a monitoring rule,
 * nor for one of unknown length (chunked), which the length cannot tell
 * from another that starts the same.
 */
static void
xact_prefix_start(struct xact *x)
{
	const struct svc_config	*c = x->env->conf;
	size_t			 want = c->max_hold < VCACHE_PREFIX ?
	    (size_t)c->max_hold : VCACHE_PREFIX;

	if (x->dir != ENGINE_DOWNLOAD || c->verdict_cache_time == 0 ||
	    x->env->cache_lookup == NULL || x->dec.action == POLICY_MONITOR ||
	    x->partial || x->clen < 0 || (uint64_t)x->clen <= want)
		return;
	(void)vcache_prefix_start(&x->pre, want);
}

/* The download's first bytes are in: were they cut off before? */
static void
xact_prefix_lookup(struct xact *x)
{
	struct vcache_entry	e;
	char			key[VCACHE_KEY_MAX];

	if (!xact_cache_lookup(x, xact_body_key(x, key, sizeof key), &e))
		return;
	xact_cache_verdict(x, &e);
	x->hit = e;
	x->cached = true;
}

/* A download's first bytes are still to be hashed for its content key. */
static bool
xact_prefix_pending(const struct xact *x)
{
	return x->pre.ctx != NULL && !x->pre.done;
}

static void
xact_cache_store(struct xact *x)
{
	struct vcache_entry	e;
	char			key[VCACHE_KEY_MAX];

	/* a full disk is no answer for the retry */
	if (x->env->cache_store == NULL || x->spool_failed)
		return;
	/* Cut off for what the cache said: its first words stay. */
	if (x->cached)
		e = x->hit;
	else {
		memset(&e, 0, sizeof e);
		e.verdict = x->verdict;
		snprintf(e.reason, sizeof e.reason, "%.*s",
		    (int)sizeof e.reason - 1, x->reason);
		snprintf(e.incident, sizeof e.incident, "%s", x->incident);
	}
	if (xact_cache_key(x, key, sizeof key) != NULL)
		x->env->cache_store(key, &e);
	/* What the content is, not a failure that a retry may not meet. */
	if (x->pre.done && e.verdict != VERDICT_BLOCK_FAILED &&
	    xact_body_key(x, key, sizeof key) != NULL)
		x->env->cache_store(key, &e);
}

/* The mode a transaction starts in, from its headers and the policy. */
static void
xact_classify(struct xact *x, const struct xact_head *h)
{
	const struct svc_config		*c = x->env->conf;
	struct verdict_start_input	 in;
	struct policy_facts		 f;

	if (x->dir == ENGINE_UPLOAD && c->crl_host && *c->crl_host &&
	    crlserve_is_host(c->crl_host, x->host)) {
		x->mode = XM_CRL;
		return;
	}
	/* The proxy's word, from the bump snippet: never the client's. */
	if (policy_tls_block(h->tls_block, &x->dec)) {
		x->start = START_BLOCK;
		x->mode = XM_BLOCK;
		x->verdict = VERDICT_BLOCK_POLICY;
		xact_set_reason(x, x->dec.reason);
		return;
	}
	xact_facts(x, &f, NULL, x->clen >= 0 ? x->clen : -1);
	policy_decide(x->pol, &f, &x->dec);
	memset(&in, 0, sizeof in);
	in.action = x->dec.action;
	in.pending = x->dec.pending;
	in.inspect = x->dir == ENGINE_UPLOAD ? c->inspect_uploads :
	    c->inspect_downloads;
	in.hasbody = x->hasbody;
	x->start = verdict_start(&in);
	xact_set_reason(x, verdict_start_reason(x->start));
	switch (x->start) {
	case START_BLOCK:
		x->mode = XM_BLOCK;
		x->verdict = VERDICT_BLOCK_POLICY;
		xact_set_reason(x,
		    x->dec.reason ? x->dec.reason : "blocked by policy");
		break;
	case START_SCAN:
		x->mode = XM_HOLD;
		if (xact_cached_block(x))
			x->mode = XM_BLOCK;
		break;
	default:
		x->mode = XM_PASS;
		break;
	}
}

/*
 * A new transaction: its facts, the policy's first word and the mode it
 * starts in. NULL when out of memory.
 */
struct xact *
xact_new(const struct xact_env *env, const struct policy *pol,
    const struct xact_head *h)
{
	struct xact	*x;

	if ((x = calloc(1, sizeof *x)) == NULL)
		return NULL;
	x->env = env;
	x->pol = pol;
	x->t0 = xact_now(env);
	audit_incident(x->incident, sizeof x->incident);
	x->dir = h->dir;
	x->verdict = VERDICT_ALLOW;
	xact_collect(x, h);
	xact_classify(x, h);
	return x;
}

/*
 * Whether the request headers in xact_strip_names must go, where present:
 * what would make the response a thing the service cannot judge (see
 * verdict_strip_headers). The front end takes out every line of each
 * and sets x->edited.
 */
bool
xact_strip(struct xact *x, const char *const *lines, size_t n)
{
	struct verdict_strip_input	 in;
	struct policy_decision		 dec;
	struct policy_facts		 f;
	const char *const		*h;

	if (x->dir != ENGINE_UPLOAD || x->mode == XM_CRL)
		return false;
	memset(&in, 0, sizeof in);
	in.inspect = x->env->conf->inspect_downloads;
	for (h = xact_strip_names; *h != NULL; h++)
		in.present |= httphdr_has(lines, n, *h);
	if (!in.present || !in.inspect)
		return false;
	xact_facts(x, &f, NULL, -1);
	f.direction = ENGINE_DOWNLOAD;
	f.content_type = NULL;
	policy_decide(x->pol, &f, &dec);
	in.action = dec.action;
	in.pending = dec.pending;
	return verdict_strip_headers(&in);
}

static const char *
finding_engine(const struct body_outcome *o)
{
	return o->nfindings > 0 ? o->findings[0].engine : NULL;
}

static void
xact_count_findings(struct xact *x, const struct body_outcome *o)
{
	size_t		 i, s;
	const char	*e;

	for (i = 0; i < o->nfindings; i++) {
		if ((e = o->findings[i].engine) == NULL)
			continue;
		for (s = 0; s < XS_COUNT; s++)
			if (xact_stats[s].engine != NULL &&
			    strcmp(xact_stats[s].engine, e) == 0)
				xact_stat_inc(x, s, 1);
	}
}

/* One body of text through the DLP engine alone: into o. */
static void
xact_scan_text(struct xact *x, const struct engine_profile *prof,
    const char *text, size_t len, struct body_outcome *o)
{
	struct body_params	 bp;
	struct body		*b;

	memset(&bp, 0, sizeof bp);
	bp.engines = x->env->engines;
	bp.profile = prof;
	bp.direction = ENGINE_UPLOAD;
	bp.content_type = "application/x-www-form-urlencoded";
	bp.limits = &x->env->conf->limits;
	if ((b = body_new(&bp)) != NULL) {
		body_feed(b, text, len);
		body_end(b, o);
		body_free(b);
	} else {
		o->verdict = BODY_ERROR;
		snprintf(o->reason, sizeof o->reason,
		    "inspection failed: out of memory");
	}
}

/*
 * The request line and headers of an upload or a request without a body,
 * through the DLP engine alone, as a form (httphdr_request_text): a card
 * number in the query, a cookie or a header of its own. A detection that
 * blocks blocks the request at once.
 */
void
xact_scan_head(struct xact *x, const char *const *lines, size_t n)
{
	const struct svc_config	*c = x->env->conf;
	struct engine_profile	 prof;
	struct verdict_input	 in;
	char			*text;
	size_t			 len;
	enum verdict		 v;

	if (x->dir != ENGINE_UPLOAD || !c->inspect_uploads ||
	    (x->start != START_SCAN && x->start != START_PASS_NOBODY) ||
	    x->mode == XM_BLOCK || x->mode == XM_CRL)
		return;
	if (x->dec.profile != NULL)
		prof = *x->dec.profile;
	else
		engine_profile_defaults(&prof, ENGINE_UPLOAD);
	if (!prof.dlp)
		return;
	prof.malware = prof.filetype = prof.archives = false;
	prof.blocked_types = NULL;
	if ((text = httphdr_request_text(x->url, lines, n, &len)) == NULL)
		return;
	xact_scan_text(x, &prof, text, len, &x->head);
	free(text);
	if (!x->hasbody)
		/* a body counts when it starts */
		xact_stat_inc(x, XS_REQS, 1);
	x->head_found = x->head.nfindings > 0;
	if (x->head.verdict == BODY_CLEAN && x->head.nfindings == 0)
		return;
	memset(&in, 0, sizeof in);
	/* A block that waits for the body's type is no block yet. */
	in.action = x->dec.pending && x->dec.action == POLICY_BLOCK ?
	    POLICY_INSPECT : x->dec.action;
	in.body = x->head.verdict;
	in.detected = x->head.nfindings > 0;
	in.fail_open = c->fail_open;
	in.uninspectable_allow = c->uninspectable == SVC_ACT_ALLOW;
	v = verdict_decide(&in);
	if (!verdict_blocks(v) && x->hasbody)
		return;		/* merged into the body's outcome at the end */
	x->out = x->head;
	x->scanned = true;
	x->verdict = v;
	x->engine = finding_engine(&x->head);
	if (x->head.nfindings > 0)
		xact_count_findings(x, &x->head);
	if (verdict_blocks(v)) {
		x->mode = XM_BLOCK;
		xact_set_reason(x,
		    v == VERDICT_BLOCK_FAILED ? "inspection failed" :
		    x->head.reason);
	} else
		xact_set_reason(x, x->head.reason);
}

/* Start inspecting the body, which spool keeps. 0 or -1. */
int
xact_start_scan(struct xact *x, xact_spool_fn spool, void *arg)
{
	struct body_params	bp;

	memset(&bp, 0, sizeof bp);
	bp.engines = x->env->engines;
	bp.profile = x->dec.profile;
	bp.direction = x->dir;
	bp.content_type = x->ctype[0] ? x->ctype : NULL;
	bp.content_encoding = x->cenc[0] ? x->cenc : NULL;
	bp.script_name = x->script_name;
	bp.uninspectable = x->uninsp;
	bp.limits = &x->env->conf->limits;
	if ((x->body = body_new(&bp)) == NULL)
		return -1;
	x->spool = spool;
	x->spool_arg = arg;
	x->t_body = xact_now(x->env);
	xact_stat_inc(x, XS_REQS, 1);
	xact_prefix_start(x);
	return 0;
}

/*
 * The front end could not keep the body (its spool failed: a full TmpDir):
 * the transfer fails closed, and its audit record says so, not what was
 * scanned of it. A page, where one can still be sent, says inspection
 * failed.
 */
void
xact_spool_failed(struct xact *x)
{
	if (x->spool_failed)
		return;
	x->spool_failed = true;
	x->verdict = VERDICT_BLOCK_FAILED;
	xact_set_reason(x, "inspection failed: the body could not be spooled "
	    "(TmpDir)");
}

/*
 * Spool body bytes (to be released or echoed) and scan them; x->bytes
 * counts the bytes that are both. -1 when the spool fails.
 */
static int
xact_spool_scan(struct xact *x, const char *buf, size_t len, int eof)
{
	if (x->spool(x->spool_arg, buf, len, eof) < 0) {
		xact_spool_failed(x);
		return -1;
	}
	if (len > 0)
		body_feed(x->body, buf, len);
	/* At the end the whole body was scanned: its own verdict stands. */
	if (vcache_prefix_feed(&x->pre, buf, len) && !eof)
		xact_prefix_lookup(x);
	x->bytes += (uint64_t)len;
	return 0;
}

/* Spool and scan what is staged, and note the end when eof. */
int
xact_stage_flush(struct xact *x, int eof)
{
	size_t	n = x->nstage;

	x->nstage = 0;
	if (x->body == NULL || (n == 0 && !eof))
		return 0;
	return xact_spool_scan(x, x->stage, n, eof);
}

/* A body released while scanned has pieces staged STAGE_MS or longer. */
bool
xact_stage_due(const struct xact *x)
{
	return x->nstage > 0 && x->mode == XM_STREAM &&
	    xact_ms_since(x, x->t_stage) >= STAGE_MS;
}

/*
 * When the transaction next needs a look with no new bytes (milliseconds,
 * on the clock of its xact_env): a stage to send on, a hold time to end.
 * 0: only new bytes can change anything. For a front end that is not
 * called back while a body is idle.
 */
uint64_t
xact_deadline(const struct xact *x)
{
	const struct svc_config	*c = x->env->conf;
	uint64_t		 ms;

	if (x->mode == XM_STREAM && x->nstage > 0)
		return x->t_stage + STAGE_MS;
	if (x->mode != XM_HOLD || x->body == NULL)
		return 0;
	if (x->dir == ENGINE_UPLOAD)
		ms = (uint64_t)c->max_upload_hold_time * 1000;
	else
		ms = x->partial ? 0 : (uint64_t)c->max_hold_time * 1000;
	return ms > 0 ? x->t_body + ms : 0;
}

/*
 * Take body bytes: at once while the body is short, else staged (see
 * STAGE_SIZE). Every byte taken is spooled and scanned before any of it
 * can be released: xact_release_to goes by x->bytes, which staged bytes
 * are not part of yet.
 */
int
xact_take(struct xact *x, const char *buf, size_t n, int eof)
{
	if (x->nstage == 0 && (x->bytes < STAGE_AFTER || n >= STAGE_SIZE))
		return xact_spool_scan(x, buf, n, eof);
	if (x->stage == NULL && (x->stage = malloc(STAGE_SIZE)) == NULL)
		return xact_spool_scan(x, buf, n, eof);
	if (x->nstage + n > STAGE_SIZE && xact_stage_flush(x, 0) != 0)
		return -1;
	if (n >= STAGE_SIZE)
		return xact_spool_scan(x, buf, n, eof);
	if (x->nstage == 0)
		x->t_stage = xact_now(x->env);
	memcpy(x->stage + x->nstage, buf, n);
	x->nstage += n;
	if (eof || x->nstage == STAGE_SIZE ||
	    xact_ms_since(x, x->t_stage) >= STAGE_MS)
		return xact_stage_flush(x, eof);
	return 0;
}

/* The reason the audit line and the page give for a final verdict. */
static void
xact_verdict_reason(struct xact *x)
{
	const struct body_outcome	*o = &x->out;

	switch (x->verdict) {
	case VERDICT_BLOCK_POLICY:
		xact_set_reason(x,
		    x->dec.reason ? x->dec.reason : "blocked by policy");
		break;
	case VERDICT_BLOCK_FAILED:
	case VERDICT_FAIL_OPEN:
		if (x->env->log != NULL)
			x->env->log(1, "sslinspect: %s %s: %s\n", x->method,
			    x->url, o->reason);
		xact_set_reason(x, "inspection failed");
		break;
	case VERDICT_ALLOW:
		xact_set_reason(x, x->ahead ? "request sent ahead of its body" :
		    x->mode == XM_STREAM ? "released while scanned" : NULL);
		break;
	default:
		if (x->partial && o->verdict == BODY_CLEAN && o->nfindings == 0)
			xact_set_reason(x,
			    "a range of a file (partial content), "
			    "not an image or media: cannot be inspected");
		else
			xact_set_reason(x, o->reason);
		break;
	}
}

/* The request's own findings join the body's. */
static void
xact_merge_head(struct xact *x)
{
	size_t	i;

	for (i = 0; i < x->head.nfindings &&
	    x->out.nfindings < ENGINE_MAX_FINDINGS; i++)
		x->out.findings[x->out.nfindings++] = x->head.findings[i];
	x->head.nfindings = 0;
}

/*
 * The verdict on the outcome in x->out, after a second look at the policy
 * when its rule waited for the true type or size: once for every true
 * type the body holds (a text field, then a PE file), the worst verdict
 * and its rule winning.
 */
static void
xact_decide(struct xact *x)
{
	const struct svc_config		*c = x->env->conf;
	const struct body_outcome	*o = &x->out;
	struct policy_decision		 dec, best;
	struct verdict_input		 in;
	struct policy_facts		 f;
	unsigned			 i, n;
	enum verdict			 v;

	xact_merge_head(x);
	memset(&in, 0, sizeof in);
	in.body = o->verdict;
	in.detected = o->nfindings > 0;
	in.fail_open = c->fail_open;
	in.uninspectable_allow = c->uninspectable == SVC_ACT_ALLOW;
	in.partial = x->partial;
	in.partial_media = verdict_media_types(o->true_types, o->ntypes);
	if (!x->dec.pending) {
		in.action = x->dec.action;
		x->verdict = verdict_decide(&in);
	} else {
		n = o->ntypes > 0 ? o->ntypes : 1;
		for (i = 0; i < n; i++) {
			xact_facts(x, &f,
			    o->ntypes > 0 ? o->true_types[i] : NULL,
			    (int64_t)x->bytes);
			policy_decide(x->pol, &f, &dec);
			in.action = dec.action;
			v = verdict_decide(&in);
			if (i == 0 ||
			    verdict_rank(v) > verdict_rank(x->verdict)) {
				x->verdict = v;
				best = dec;
			}
		}
		x->dec = best;
	}
	x->engine = finding_engine(o);
	if (o->nfindings > 0)
		xact_count_findings(x, o);
	xact_verdict_reason(x);
}

/* The whole body is in: the engines' outcome and the verdict. */
void
xact_scan_end(struct xact *x)
{
	body_end(x->body, &x->out);
	x->scanned = true;
	xact_stat_inc(x, XS_BYTES, (int)(x->out.raw_bytes > INT32_MAX ?
	    INT32_MAX : x->out.raw_bytes));
	xact_decide(x);
}

/*
 * Before the end: a detection already certain, or an outcome already
 * settled (a bomb, a broken encoding) that blocks. The scan under way is
 * ended so that its findings give the reason. True when it blocks.
 */
static bool
xact_settled_early(struct xact *x)
{
	const struct svc_config	*c = x->env->conf;
	struct verdict_input	 in;

	if (!body_detected(x->body) && !body_settled(x->body))
		return false;
	memset(&in, 0, sizeof in);
	in.action = x->dec.action;
	in.body = body_detected(x->body) ? BODY_FOUND : body_state(x->body);
	in.detected = body_detected(x->body);
	in.fail_open = c->fail_open;
	in.uninspectable_allow = c->uninspectable == SVC_ACT_ALLOW;
	if (!verdict_blocks(verdict_decide(&in)))
		return false;
	body_stop(x->body, &x->out);
	x->scanned = true;
	xact_decide(x);
	return verdict_blocks(x->verdict);
}

/*
 * How far a body released while scanned may go: all but the tail kept
 * for the end, paced by what the origin sends (STREAM_PACE). 0: nothing
 * more (an upload sent ahead keeps its body until the verdict).
 */
uint64_t
xact_release_to(const struct xact *x)
{
	const struct svc_config	*c = x->env->conf;
	uint64_t		 max = x->dir == ENGINE_UPLOAD ?
	    c->max_upload : c->max_hold;
	uint64_t		 tail = max < STREAM_TAIL ? max : STREAM_TAIL;
	uint64_t		 lim, pace;

	if (x->mode != XM_STREAM || x->ahead || x->bytes <= tail)
		return 0;
	lim = x->bytes - tail;
	pace = STREAM_BURST + STREAM_PACE * (x->bytes - x->stream_from);
	return lim < pace ? lim : pace;
}

/*
 * Stop holding: released while scanned, or (ahead: an upload past
 * MaxUploadHoldTime) only the request line and headers, so that the proxy
 * forwards them on its pinned server connection while the origin still
 * waits on it; the body then stays held whole until the verdict, and a
 * block cuts the upload off. Nothing staged may hide a detection from the
 * release. XA_RELEASE, XA_BLOCK (known now) or XA_ERROR.
 */
enum xact_step
xact_release_begin(struct xact *x, bool ahead)
{
	if (xact_stage_flush(x, 0) != 0)
		return XA_ERROR;
	if (x->cached || xact_settled_early(x))
		return XA_BLOCK;
	x->mode = XM_STREAM;
	x->ahead = ahead;
	x->stream_from = x->bytes;
	xact_stat_inc(x, ahead ? XS_AHEAD : XS_STREAMED, 1);
	if (x->env->log != NULL)
		x->env->log(3, "sslinspect: %s %s: %s from byte %llu\n",
		    x->method, x->url,
		    ahead ? "request sent ahead of its body" :
		    "released while scanned", (unsigned long long)x->bytes);
	return XA_RELEASE;
}

/*
 * After new body bytes: decide early where the outcome allows it, and stop
 * holding past MaxHoldSize or MaxHoldTime.
 */
enum xact_step
xact_check(struct xact *x)
{
	const struct svc_config		*c = x->env->conf;
	struct verdict_hold_input	 h;

	if (x->cached || xact_settled_early(x))
		return x->mode == XM_STREAM ? XA_CUT : XA_BLOCK;
	if (x->mode != XM_HOLD)
		return XA_NONE;
	memset(&h, 0, sizeof h);
	h.upload = x->dir == ENGINE_UPLOAD;
	/* A body announced too large is not held to find out. */
	h.bytes = x->bytes + x->nstage;
	if (x->clen > 0 && (uint64_t)x->clen > h.bytes)
		h.bytes = (uint64_t)x->clen;
	h.held_ms = xact_ms_since(x, x->t_body);
	h.max_bytes = h.upload ? c->max_upload : c->max_hold;
	h.max_ms = (uint64_t)c->max_hold_time * 1000;
	h.ahead_ms = (uint64_t)c->max_upload_hold_time * 1000;
	h.oversize_allow = (h.upload ? c->oversize_upload :
	    c->oversize_download) == SVC_ACT_ALLOW;
	h.no_stream = x->partial;
	switch (verdict_hold(&h)) {
	case HOLD_STREAM:
		/*
		 * The content key's bytes are held first (fewer than any
		 * Squid can hold), so that a retry under another URL gets
		 * the page, not another cut.
		 */
		if (xact_prefix_pending(x) && x->bytes + x->nstage <
		    x->pre.want && (h.max_ms == 0 || h.held_ms < h.max_ms))
			return XA_NONE;
		return xact_release_begin(x, false);
	case HOLD_AHEAD:
		return xact_release_begin(x, true);
	case HOLD_OVERSIZE:
		x->verdict = VERDICT_BLOCK_UNINSPECTABLE;
		xact_set_reason(x, x->partial ? "a range of a file (partial "
		    "content) too large to hold: cannot be inspected" :
		    "too large to inspect");
		return XA_BLOCK;
	default:
		return XA_NONE;
	}
}

/*
 * The transfer has begun (the HTTP headers, perhaps part of the body, are
 * out): the front end ends it with an error, so that the proxy cuts the
 * client's transfer off; the verdict is kept for the retry.
 */
void
xact_cut(struct xact *x)
{
	x->cut = true;
	snprintf(x->reason + strlen(x->reason), sizeof x->reason -
	    strlen(x->reason), " (transfer cut off)");
	xact_cache_store(x);
	xact_stat_inc(x, XS_CUT, 1);
	if (x->env->log != NULL)
		x->env->log(2, "sslinspect: %s %s cut off after %llu bytes: %s "
		    "(incident %s)\n", x->method, x->url,
		    (unsigned long long)x->bytes, x->reason, x->incident);
}

/*
 * The block page for a blocking verdict: malloc'd, its type in *ctype and
 * length in *len; NULL (and *len 0) when BlockPage is off or out of
 * memory, for an empty 403.
 */
char *
xact_block_page(struct xact *x, const char **ctype, size_t *len)
{
	const struct svc_config	*c = x->env->conf;
	struct block_info	 bi;
	char			*page = NULL;

	*ctype = "text/html; charset=utf-8";
	*len = 0;
	memset(&bi, 0, sizeof bi);
	bi.kind = block_kind[x->verdict];
	bi.reason = x->verdict == VERDICT_BLOCK_POLICY ?
	    x->dec.reason : x->reason;
	bi.rule = x->dec.rule;
	bi.category = x->dec.category;
	bi.url = x->url;
	bi.user = x->user[0] ? x->user : NULL;
	bi.client_ip = x->ip[0] ? x->ip : NULL;
	bi.incident = x->incident;
	bi.when = time(NULL);
	bi.direction = x->dir;
	bi.bodiless = !x->hasbody;
	bi.findings = x->scanned ? x->out.findings : NULL;
	bi.nfindings = x->scanned ? x->out.nfindings : 0;
	bi.conf = c;
	if (c->block_page && blockpage_wants_json(x->accept)) {
		page = blockpage_json(&bi, len);
		*ctype = "application/json";
	} else if (c->block_page)
		page = blockpage_render(x->env->templates, x->lang, &bi, len);
	if (page == NULL)
		*len = 0;
	if (x->env->log != NULL)
		x->env->log(3, "sslinspect: block %s %s: %s (rule %s, "
		    "incident %s)\n", x->method, x->url, x->reason,
		    x->dec.rule ? x->dec.rule : "-", x->incident);
	return page;
}

/* A request for a CRL of the organisation: its file, or not found. */
void
xact_crl(struct xact *x, struct crl_reply *r)
{
	xact_stat_inc(x, XS_CRL, 1);
	crlserve_lookup(x->env->conf->crl_dir, x->path ? x->path : "/", r);
	xact_set_reason(x, r->status == 200 ? "crl" : "crl not found");
}

static void
xact_audit(struct xact *x)
{
	struct audit_record	r;
	char			path[sizeof x->url];

	memset(&r, 0, sizeof r);
	r.when = time(NULL);
	r.client_ip = x->ip[0] ? x->ip : NULL;
	r.user = x->user[0] ? x->user : NULL;
	r.method = x->method;
	r.host = x->host;
	r.path = x->path;
	if (x->head_found && x->path != NULL) {
		/*
		 * The URL carries what was found: none of its digits are kept.
		 */
		snprintf(path, sizeof path, "%s", x->path);
		httphdr_mask_digits(path);
		r.path = path;
	}
	r.direction = x->dir;
	r.bodiless = !x->hasbody;
	r.verdict = verdict_name(x->verdict);
	r.rule = x->mode == XM_CRL ? "crl" : x->dec.rule;
	r.category = x->mode == XM_CRL ? NULL : x->dec.category;
	r.reason = x->reason[0] ? x->reason : NULL;
	r.engine = x->engine;
	r.findings = x->out.findings;
	r.nfindings = x->scanned ? x->out.nfindings : 0;
	r.skips = x->out.skips;
	r.nskips = x->scanned ? x->out.nskips : 0;
	r.bytes = x->bytes;
	r.msec = xact_ms_since(x, x->t0);
	r.incident = x->incident;
	audit_write(&r);
	if (x->scanned)
		xact_stat_inc(x, XS_MSEC,
		    (int)(r.msec > INT32_MAX ? INT32_MAX : r.msec));
}

/* Allowed, Blocked or Monitored, and for a block or fail-open its cause. */
static void
xact_count_verdict(struct xact *x)
{
	enum xact_stat	cause = verdict_stat[x->verdict];

	if (verdict_blocks(x->verdict))
		xact_stat_inc(x, XS_BLOCK, 1);
	else
		xact_stat_inc(x, cause == XS_MONITOR ? XS_MONITOR : XS_ALLOW,
		    1);
	if (verdict_blocks(x->verdict) || cause == XS_FAILOPEN)
		xact_stat_inc(x, cause, 1);
}

/* The transaction is over: its audit record, its counters. */
void
xact_free(struct xact *x)
{
	if (x == NULL)
		return;
	/*
	 * A request without a body that nothing blocked and nothing was
	 * found in is logged by its response.
	 */
	if (!(x->dir == ENGINE_UPLOAD && x->start == START_PASS_NOBODY &&
	    x->mode == XM_PASS && !x->scanned))
		xact_audit(x);
	xact_count_verdict(x);
	free(x->stage);
	vcache_prefix_free(&x->pre);
	body_free(x->body);
	free(x);
}
