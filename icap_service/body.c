/*
 * One body, from the raw bytes c-icap hands over to an inspection outcome:
 * Content-Encoding is undone (decode.c), uploads are split into their
 * multipart parts (multipart.c) or normalised (form.c), and each resulting
 * stream is one engine scan. Results of several scans are merged, the
 * strongest first (found > uninspectable > error > clean). A limit or a
 * decoding failure settles the outcome at once; later bytes are counted
 * but not inspected. No c-icap types: the glue feeds it, tests drive it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc.h"

struct body {
	struct body_params p;
	struct decode_chain *dc;
	struct multipart *mp;
	struct form	*form;
	struct engine_scan *scan;
	char		 hint[256];
	struct body_outcome o;
	bool		 settled;
	bool		 badboundary;
	uint64_t	 busy_ns;	/* time spent inside body_feed/body_end */
	struct timespec	 t_in;		/* when the current call began */
};

static void
settle(struct body *b, enum body_verdict v, const char *reason)
{
	if (b->settled)
		return;
	b->settled = true;
	if (b->o.verdict != BODY_FOUND) {
		b->o.verdict = v;
		snprintf(b->o.reason, sizeof b->o.reason, "%s", reason);
	}
}

static int
rank(enum body_verdict v)
{
	static const int ranks[] = { 0, 3, 2, 1 };

	return ranks[v];
}

static void
merge(struct body *b, const struct engine_result *r)
{
	static const enum body_verdict map[] = { BODY_CLEAN, BODY_FOUND,
	    BODY_UNINSPECTABLE, BODY_ERROR };
	enum body_verdict v = map[r->verdict];
	size_t i;

	b->o.scans++;
	if (rank(v) > rank(b->o.verdict)) {
		b->o.verdict = v;
		snprintf(b->o.reason, sizeof b->o.reason, "%s", r->reason);
	}
	if (b->o.true_type[0] == '\0' && r->true_type[0] != '\0')
		snprintf(b->o.true_type, sizeof b->o.true_type, "%s", r->true_type);
	for (i = 0; i < r->nfindings && b->o.nfindings < ENGINE_MAX_FINDINGS; i++)
		b->o.findings[b->o.nfindings++] = r->findings[i];
}

static int
scan_begin(struct body *b, const char *hint)
{
	char *cause = NULL;
	char msg[160];

	if (b->p.engines == NULL) {
		settle(b, BODY_ERROR, "inspection failed: engines not loaded");
		return -1;
	}
	b->scan = engine_scan_begin(b->p.engines, b->p.profile, b->p.direction,
	    hint, &cause);
	if (b->scan == NULL) {
		snprintf(msg, sizeof msg, "inspection failed: %s", cause ? cause : "?");
		free(cause);
		settle(b, BODY_ERROR, msg);
		return -1;
	}
	return 0;
}

static int
scan_end(struct body *b)
{
	struct engine_result r;
	char *cause = NULL;
	char msg[160];

	if (b->scan == NULL)
		return 0;
	memset(&r, 0, sizeof r);
	if (engine_scan_end(b->scan, &r, &cause) != 0) {
		snprintf(msg, sizeof msg, "inspection failed: %s", cause ? cause : "?");
		free(cause);
		engine_scan_free(b->scan);
		b->scan = NULL;
		/* What was found before the failure still counts. */
		if (r.nfindings > 0) {
			r.verdict = ENGINE_FOUND;
			merge(b, &r);
		}
		settle(b, BODY_ERROR, msg);
		return -1;
	}
	engine_scan_free(b->scan);
	b->scan = NULL;
	merge(b, &r);
	return 0;
}

static uint64_t
ns_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)((int64_t)(now.tv_sec - t->tv_sec) * 1000000000 +
	    (now.tv_nsec - t->tv_nsec));
}

/*
 * MaxScanTime counts the time spent inspecting, not the time the body
 * took to arrive: a slow sender must not make a clean body fail, and a
 * fast one must not hide a slow inspection.
 */
static bool
timed_out(struct body *b)
{
	return b->busy_ns + ns_since(&b->t_in) >=
	    (uint64_t)b->p.limits->max_seconds * 1000000000;
}

static void
busy_begin(struct body *b)
{
	clock_gettime(CLOCK_MONOTONIC, &b->t_in);
}

static void
busy_end(struct body *b)
{
	b->busy_ns += ns_since(&b->t_in);
}

/* Sink for decoded content bound for one engine scan. */
static int
scan_feed(void *arg, const void *buf, size_t len)
{
	struct body *b = arg;
	char *cause = NULL;
	char msg[160];

	if (b->settled)
		return -1;
	if (b->scan == NULL && scan_begin(b, b->p.name_hint) != 0)
		return -1;
	if (engine_scan_feed(b->scan, buf, len, &cause) != 0) {
		snprintf(msg, sizeof msg, "inspection failed: %s", cause ? cause : "?");
		free(cause);
		settle(b, BODY_ERROR, msg);
		return -1;
	}
	if (timed_out(b)) {
		settle(b, BODY_ERROR, "inspection failed: time limit reached");
		return -1;
	}
	return 0;
}

static int
part_begin(void *arg, const struct mp_part *part)
{
	struct body *b = arg;

	if (b->settled)
		return -1;
	snprintf(b->hint, sizeof b->hint, "%s", part->filename[0] ? part->filename :
	    part->name);
	return scan_begin(b, b->hint);
}

static int
part_end(void *arg)
{
	return scan_end(arg);
}

static const struct mp_callbacks body_mp = { part_begin, scan_feed, part_end };

/* The multipart parser's own reason (nesting, parts, which malformation). */
static const char *
mp_reason(const struct multipart *m)
{
	const char *why = multipart_error(m);

	return why[0] != '\0' ? why : "malformed multipart body";
}

static int
form_sink(void *arg, const void *buf, size_t len)
{
	struct body *b = arg;

	if (b->mp != NULL) {
		switch (multipart_feed(b->mp, buf, len)) {
		case MP_OK:
			return 0;
		case MP_LIMIT:
		case MP_MALFORMED:
			settle(b, BODY_UNINSPECTABLE, mp_reason(b->mp));
			return -1;
		default:
			return -1;
		}
	}
	if (b->form != NULL)
		return form_feed(b->form, buf, len) == 0 ? 0 : -1;
	return scan_feed(b, buf, len);
}

static bool
ctype_is(const char *ct, const char *want)
{
	size_t l = strlen(want);

	return ct != NULL && strncasecmp(ct, want, l) == 0 &&
	    (ct[l] == '\0' || ct[l] == ';' || ct[l] == ' ');
}

static void
body_setup_content(struct body *b)
{
	const char *ct = b->p.content_type;
	char boundary[80];

	if (ct != NULL && strncasecmp(ct, "multipart/", 10) == 0 &&
	    b->p.direction == ENGINE_UPLOAD) {
		if (multipart_boundary(ct, boundary, sizeof boundary) != 0)
			b->badboundary = true;
		else
			b->mp = multipart_new(boundary, b->p.limits, &body_mp, b);
		if (b->mp == NULL)
			b->badboundary = true;
	} else if (ctype_is(ct, "application/x-www-form-urlencoded"))
		b->form = form_new(FORM_URLENCODED, scan_feed, b);
	else if (ctype_is(ct, "application/json") ||
	    (ct != NULL && strcasestr(ct, "+json") != NULL))
		b->form = form_new(FORM_JSON, scan_feed, b);
}

/* A new body inspection; NULL only when out of memory. Params are copied. */
struct body *
body_new(const struct body_params *p)
{
	struct body *b;

	if ((b = calloc(1, sizeof *b)) == NULL)
		return NULL;
	b->p = *p;
	busy_begin(b);
	if ((b->dc = decode_new(p->content_encoding, p->limits, form_sink, b)) == NULL) {
		free(b);
		return NULL;
	}
	body_setup_content(b);
	if (b->badboundary)
		settle(b, BODY_UNINSPECTABLE, "invalid multipart boundary");
	return b;
}

/* Feed raw body bytes (as received, still content-encoded). */
void
body_feed(struct body *b, const void *buf, size_t len)
{
	enum decode_status st;

	b->o.raw_bytes += len;
	if (b->settled)
		return;
	busy_begin(b);
	st = decode_feed(b->dc, buf, len);
	busy_end(b);
	if (st != DECODE_OK && st != DECODE_SINK)
		settle(b, BODY_UNINSPECTABLE, decode_status_str(st));
	else if (st == DECODE_SINK && !b->settled)
		settle(b, BODY_ERROR, "inspection failed");
}

/* Is the outcome already final (no point feeding more)? */
bool
body_settled(const struct body *b)
{
	return b->settled;
}

/*
 * Is a detection already certain: in a part that has ended, or in the
 * stream being scanned (see engine_scan_detected)?
 */
bool
body_detected(const struct body *b)
{
	return b->o.nfindings > 0 || b->o.verdict == BODY_FOUND ||
	    (b->scan != NULL && engine_scan_detected(b->scan));
}

static void
body_finish_content(struct body *b)
{
	enum decode_status st;

	if ((st = decode_finish(b->dc)) != DECODE_OK) {
		settle(b, st == DECODE_SINK ? BODY_ERROR : BODY_UNINSPECTABLE,
		    decode_status_str(st));
		return;
	}
	if (b->mp != NULL) {
		if (multipart_finish(b->mp) == MP_MALFORMED)
			settle(b, BODY_UNINSPECTABLE, mp_reason(b->mp));
		return;
	}
	if (b->form != NULL && form_finish(b->form) != 0)
		return;
	scan_end(b);
}

/* The outcome so far: what a settled body will end with. */
enum body_verdict
body_state(const struct body *b)
{
	return b->o.verdict;
}

static void
body_fill(struct body *b, struct body_outcome *o)
{
	if (b->scan != NULL) {
		engine_scan_free(b->scan);
		b->scan = NULL;
	}
	b->o.decoded_bytes = decode_out_bytes(b->dc);
	b->o.parts = b->mp ? multipart_parts(b->mp) : 0;
	*o = b->o;
}

/*
 * Stop before the end (the outcome is already certain): the scan under
 * way is ended so that its findings are in *o, but the content, cut
 * short, is not finished (a truncated encoding is no finding).
 */
void
body_stop(struct body *b, struct body_outcome *o)
{
	busy_begin(b);
	scan_end(b);
	busy_end(b);
	b->settled = true;
	body_fill(b, o);
}

/* End of the raw body: fill *o. The body may be freed afterwards. */
void
body_end(struct body *b, struct body_outcome *o)
{
	busy_begin(b);
	if (!b->settled)
		body_finish_content(b);
	busy_end(b);
	body_fill(b, o);
}

void
body_free(struct body *b)
{
	if (b == NULL)
		return;
	if (b->scan != NULL)
		engine_scan_free(b->scan);
	decode_free(b->dc);
	multipart_free(b->mp);
	form_free(b->form);
	free(b);
}

const char *
body_verdict_str(enum body_verdict v)
{
	static const char *const names[] = { "clean", "found", "uninspectable",
	    "error" };

	return names[v];
}
