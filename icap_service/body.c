/*
 * One body, from the raw bytes c-icap hands over to an inspection outcome.
 * Content-Encoding is undone (decode.c); an upload is split into its
 * multipart parts (multipart.c); and every stream of content is shown to
 * the engines in each of the ways a server may read it, each a "view"
 * with an engine scan of its own:
 *
 *   raw      the content as it is: what a server that parses nothing
 *            stores (for a part labelled base64 or quoted-printable, the
 *            bytes as sent); every engine; its true type counts
 *   decoded  a labelled part with its transfer encoding undone
 *   form     urlencoded or JSON content as the server decodes it
 *   text     text that says it is neither, with %XX, %uXXXX and
 *            backslash escapes undone (JSON \u escapes sent as
 *            text/plain); DLP alone
 *   values   form or JSON values joined by blanks, names and keys
 *            dropped, so that digits spread over fields or array
 *            elements read as one number; DLP alone
 *
 * and, for a multipart upload as a whole:
 *
 *   blob     the whole body as one file (a server that does not parse
 *            multipart stores that): malware and DLP, not archives or
 *            file type, which the parts in it are looked at for already
 *            (and an archive found inside framing is no file anyone
 *            opens); the same for the raw view of a nested multipart
 *            part
 *   meta     every part's header block: names, file names; DLP alone
 *   fields   the content of the form fields (parts without a file name)
 *            joined by blanks, their names after them as form.c's values
 *            view has them (context words); DLP alone
 *
 * Results of all scans are merged, the strongest first (found >
 * uninspectable > error > clean); every true type seen in a raw or
 * decoded view is kept, so that a file_type rule sees a PE sent after a
 * text field. A limit or a failure settles the outcome at once and later
 * bytes are counted but not inspected; content servers read differently
 * (an ambiguous Content-Encoding or multipart framing) taints it: the
 * outcome can be no better than uninspectable, but what can be seen is
 * still scanned, so a detection is still reported as one. No c-icap
 * types: the glue feeds it, tests drive it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc.h"

#define BODY_SNIFF	512	/* bytes looked at to tell text from binary */

enum {
	VF_DLP = 1,		/* the DLP engine alone */
	VF_TYPE = 2,		/* its true type counts for file_type rules */
	VF_FRAME = 4		/* framing, not a file: no archives, no type */
};

struct body;

struct view {
	struct body	*b;
	struct engine_scan *scan;
	struct form	*form;		/* normaliser in front of the scan */
	unsigned	 flags;
	bool		 open;
};

enum { LV_RAW, LV_DECODED, LV_FORM, LV_TEXT, LV_VALUES, LV_COUNT };

struct leaf {
	struct body	*b;
	struct leaf	*next, *prev;	/* the body's open leaves */
	char		 hint[256];
	/* a form field: in the fields view too */
	bool		 field;
	/* some of its content is in it already */
	bool		 infields;
	char		 name[128];	/* the field's name */
	bool		 cte;		/* content comes decoded, raw apart */
	int		 form_kind;	/* -1: not labelled form or JSON */
	int		 text;		/* -1 undecided, 0 binary, 1 text */
	unsigned char	 sniff[BODY_SNIFF];
	size_t		 nsniff;
	struct view	 v[LV_COUNT];
};

struct body {
	struct body_params p;
	struct engine_profile full;	/* the profile, for whole bodies */
	struct engine_profile dlp;	/* the profile with DLP alone */
	struct engine_profile frame;	/* ... without archives and file type */
	bool		 has_dlp;
	struct decode_chain *dc;
	struct multipart *mp;
	/* the parser stopped; the blob goes on */
	bool		 mp_dead;
	struct leaf	*top;		/* a body that is not multipart */
	struct leaf	*leaves;
	struct view	 blob, meta, fields;
	bool		 fields_any;	/* a field is in the fields view */
	/* ... with more than digits and separators */
	bool		 fields_text;
	char		 fnames[256];	/* their names, held back */
	struct body_outcome o;
	bool		 settled;
	char		 taint[160];	/* why it is uninspectable at best */
	/* time spent inside body_feed/body_end */
	uint64_t	 busy_ns;
	struct timespec	 t_in;		/* when the current call began */
	size_t		 unclocked;	/* bytes scanned since the clock */
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

/* The outcome will be uninspectable at best, for the first reason given. */
static void
taint(struct body *b, const char *reason)
{
	if (b->taint[0] == '\0')
		snprintf(b->taint, sizeof b->taint, "%s", reason);
}

static int
rank(enum body_verdict v)
{
	static const int	ranks[] = { 0, 3, 2, 1 };

	return ranks[v];
}

static void
add_type(struct body *b, const char *t)
{
	size_t	i;

	if (t[0] == '\0')
		return;
	if (b->o.true_type[0] == '\0')
		snprintf(b->o.true_type, sizeof b->o.true_type, "%s", t);
	for (i = 0; i < b->o.ntypes; i++)
		if (strcmp(b->o.true_types[i], t) == 0)
			return;
	if (b->o.ntypes < BODY_MAX_TYPES)
		snprintf(b->o.true_types[b->o.ntypes++],
		    sizeof b->o.true_types[0],
		    "%s", t);
}

/* A finding seen in another view of the same content is listed once. */
static void
add_finding(struct body *b, const struct engine_finding *f)
{
	struct engine_finding	*g;
	size_t			 i;

	for (i = 0; i < b->o.nfindings; i++) {
		g = &b->o.findings[i];
		if (g->engine != NULL && f->engine != NULL &&
		    strcmp(g->engine, f->engine) == 0 &&
		    strcmp(g->type, f->type) == 0 &&
		    strcmp(g->sample, f->sample) == 0) {
			if (f->count > g->count)
				g->count = f->count;
			return;
		}
	}
	if (b->o.nfindings < ENGINE_MAX_FINDINGS)
		b->o.findings[b->o.nfindings++] = *f;
}

/*
 * What an engine did not look at, once per engine and reason: the views
 * of one content report the same skip, so the largest count stays.
 */
static void
add_skip(struct body *b, const struct engine_skip *k)
{
	struct engine_skip	*m;
	size_t			 i;

	for (i = 0; i < b->o.nskips; i++) {
		m = &b->o.skips[i];
		if (m->engine != NULL && k->engine != NULL &&
		    strcmp(m->engine, k->engine) == 0 && strcmp(m->why,
		    k->why) == 0) {
			if (k->count > m->count)
				m->count = k->count;
			return;
		}
	}
	if (b->o.nskips < ENGINE_MAX_SKIPS)
		b->o.skips[b->o.nskips++] = *k;
}

static void
merge(struct body *b, const struct engine_result *r, unsigned flags)
{
	static const enum body_verdict	map[] = { BODY_CLEAN, BODY_FOUND,
	    BODY_UNINSPECTABLE, BODY_ERROR };
	enum body_verdict		v = map[r->verdict];
	size_t				i;

	b->o.scans++;
	if (rank(v) > rank(b->o.verdict)) {
		b->o.verdict = v;
		snprintf(b->o.reason, sizeof b->o.reason, "%s", r->reason);
	}
	if (flags & VF_TYPE)
		add_type(b, r->true_type);
	for (i = 0; i < r->nfindings; i++)
		add_finding(b, &r->findings[i]);
	for (i = 0; i < r->nskips; i++)
		add_skip(b, &r->skips[i]);
}

/* ---- time --------------------------------------------------------------- */

/*
 * The calling thread's CPU time. c-icap serves a body from one thread, and
 * every busy_begin/busy_end pair brackets synchronous work in it.
 */
static void
cpu_now(struct timespec *t)
{
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, t) != 0)
		clock_gettime(CLOCK_MONOTONIC, t);
}

static uint64_t
ns_since(const struct timespec *t)
{
	struct timespec	now;

	cpu_now(&now);
	if (now.tv_sec < t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec < t->tv_nsec))
		return 0;
	return (uint64_t)((int64_t)(now.tv_sec - t->tv_sec) * 1000000000 +
	    (now.tv_nsec - t->tv_nsec));
}

/*
 * MaxScanTime counts the CPU time spent inspecting, not the time the body
 * took to arrive: a slow sender must not make a clean body fail, and a
 * fast one must not hide a slow inspection. Nor the time the thread waits
 * for a CPU: under load (hundreds of transfers on a few cores) wall time
 * inside the scan grows with every other transfer, and clean bodies
 * failed for it.
 *
 * The thread's CPU clock is a system call, not a vDSO read: asked for at
 * every piece a normaliser hands on (a few hundred bytes each), it took a
 * quarter of c-icap's CPU under load. So it is read once per
 * TIME_CHECK_BYTES scanned, a few milliseconds of work at the engines'
 * speed; every engine's cost is linear in its input (the archive engine
 * keeps a CPU budget of its own), so no smaller stretch can run long.
 */
#define TIME_CHECK_BYTES	(256 * 1024)

static bool
timed_out(struct body *b, size_t len)
{
	b->unclocked += len;
	if (b->unclocked < TIME_CHECK_BYTES)
		return false;
	b->unclocked = 0;
	return b->busy_ns + ns_since(&b->t_in) >=
	    (uint64_t)b->p.limits->max_seconds * 1000000000;
}

static void
busy_begin(struct body *b)
{
	cpu_now(&b->t_in);
}

static void
busy_end(struct body *b)
{
	b->busy_ns += ns_since(&b->t_in);
}

/* ---- views -------------------------------------------------------------- */

static void
fail_cause(struct body *b, char *cause)
{
	char	msg[160];

	snprintf(msg, sizeof msg, "inspection failed: %s", cause ? cause : "?");
	free(cause);
	settle(b, BODY_ERROR, msg);
}

/* Sink of a view's normaliser, and the way in for views without one. */
static int
view_scan(void *arg, const void *buf, size_t len)
{
	struct view	*v = arg;
	struct body	*b = v->b;
	char		*cause = NULL;

	if (b->settled || v->scan == NULL)
		return -1;
	if (engine_scan_feed(v->scan, buf, len, &cause) != 0) {
		fail_cause(b, cause);
		return -1;
	}
	if (timed_out(b, len)) {
		settle(b, BODY_ERROR, "inspection failed: time limit reached");
		return -1;
	}
	return 0;
}

/*
 * Begin a view: a scan with the profile (or DLP alone), behind a
 * normaliser of form_kind unless that is -1. A DLP view without DLP in
 * the profile is not begun at all. 0, or -1 when the body is settled.
 */
static int
view_begin(struct body *b, struct view *v, unsigned flags, int form_kind,
    const char *hint)
{
	const struct engine_profile	*prof;
	char				*cause = NULL;

	memset(v, 0, sizeof *v);
	v->b = b;
	v->flags = flags;
	if ((flags & VF_DLP) && !b->has_dlp)
		return 0;
	if (b->settled)
		return -1;
	if (b->p.engines == NULL) {
		settle(b, BODY_ERROR, "inspection failed: engines not loaded");
		return -1;
	}
	prof = (flags & VF_DLP) ? &b->dlp : (flags & VF_FRAME) ? &b->frame :
	    &b->full;
	v->scan = engine_scan_begin(b->p.engines, prof, b->p.direction, hint,
	    &cause);
	if (v->scan == NULL) {
		fail_cause(b, cause);
		return -1;
	}
	if (form_kind >= 0 &&
	    (v->form = form_new((enum form_kind)form_kind, view_scan,
	    v)) == NULL) {
		engine_scan_free(v->scan);
		v->scan = NULL;
		settle(b, BODY_ERROR, "inspection failed: out of memory");
		return -1;
	}
	v->open = true;
	return 0;
}

static int
view_feed(struct view *v, const void *buf, size_t len)
{
	if (!v->open || len == 0)
		return 0;
	if (v->b->settled)
		return -1;
	if (v->form != NULL)
		return form_feed(v->form, buf, len);
	return view_scan(v, buf, len);
}

/*
 * End a view and merge its result. On a failure what was found before it
 * still counts.
 */
static void
view_end(struct view *v)
{
	struct engine_result	 r;
	struct body		*b = v->b;
	char			*cause = NULL;

	if (!v->open)
		return;
	v->open = false;
	if (v->form != NULL) {
		if (!b->settled)
			form_finish(v->form);
		form_free(v->form);
		v->form = NULL;
	}
	memset(&r, 0, sizeof r);
	if (engine_scan_end(v->scan, &r, &cause) != 0) {
		if (r.nfindings > 0) {
			r.verdict = ENGINE_FOUND;
			merge(b, &r, v->flags);
		}
		fail_cause(b, cause);
	} else
		merge(b, &r, v->flags);
	engine_scan_free(v->scan);
	v->scan = NULL;
}

static bool
view_detected(const struct view *v)
{
	return v->open && engine_scan_detected(v->scan);
}

/* ---- leaves: one stream of content and its views ------------------------ */

static bool
ctype_is(const char *ct, const char *want)
{
	size_t	l = strlen(want);

	return ct != NULL && strncasecmp(ct, want, l) == 0 &&
	    (ct[l] == '\0' || ct[l] == ';' || ct[l] == ' ' || ct[l] == '\t');
}

/* The normaliser a declared Content-Type asks for, or -1. */
static int
form_label(const char *ct)
{
	size_t	n;

	if (ct == NULL)
		return -1;
	if (ctype_is(ct, "application/x-www-form-urlencoded"))
		return FORM_URLENCODED;
	if (ctype_is(ct, "application/json") || ctype_is(ct, "text/json"))
		return FORM_JSON;
	/* application/ld+json, application/vnd.api+json ... */
	n = strcspn(ct, "; \t");
	if (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0)
		return FORM_JSON;
	return -1;
}

static bool
uploading(const struct body *b)
{
	return b->p.direction == ENGINE_UPLOAD;
}

/* A field's value is more than a number: it ends any number before it. */
static void
fields_scan_text(struct body *b, const unsigned char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len && !b->fields_text; i++)
		if ((p[i] < '0' || p[i] > '9') && p[i] != ' ' && p[i] != '-' &&
		    p[i] != '.' && p[i] != '/' && p[i] != '\t')
			b->fields_text = true;
}

/* The names of the fields so far, on a line after their values. */
static int
fields_names(struct body *b)
{
	size_t	n = strlen(b->fnames);

	b->fields_text = false;
	if (n == 0)
		return 0;
	if (view_feed(&b->fields, "\n", 1) != 0 ||
	    view_feed(&b->fields, b->fnames, n) != 0 ||
	    view_feed(&b->fields, "\n", 1) != 0)
		return -1;
	b->fnames[0] = '\0';
	b->fields_any = false;
	return 0;
}

/* A field ended: its name waits for the end of the number, if any. */
static int
fields_end(struct body *b, const struct leaf *l)
{
	size_t	n = strlen(b->fnames), k = strlen(l->name);

	if (n + k + 2 > sizeof b->fnames && fields_names(b) != 0)
		return -1;
	n = strlen(b->fnames);
	if (n + k + 2 <= sizeof b->fnames)
		snprintf(b->fnames + n, sizeof b->fnames - n, "%s%s",
		    n ? " " : "",
		    l->name);
	return b->fields_text ? fields_names(b) : 0;
}

static struct leaf *
leaf_new(struct body *b, const char *hint, const char *ctype, bool field,
    bool cte, bool frame)
{
	struct leaf	*l;
	int		 k;

	if (b->settled || (l = calloc(1, sizeof *l)) == NULL) {
		if (!b->settled)
			settle(b, BODY_ERROR,
			    "inspection failed: out of memory");
		return NULL;
	}
	l->b = b;
	snprintf(l->hint, sizeof l->hint, "%s", hint ? hint : "");
	l->field = field;
	l->cte = cte;
	l->form_kind = form_label(ctype);
	l->text = uploading(b) && l->form_kind < 0 ? -1 : 0;
	if ((l->next = b->leaves) != NULL)
		l->next->prev = l;
	b->leaves = l;
	if (view_begin(b, &l->v[LV_RAW], frame ? VF_FRAME : VF_TYPE, -1,
	    l->hint) != 0)
		return NULL;
	if (cte && view_begin(b, &l->v[LV_DECODED], VF_TYPE, -1, l->hint) != 0)
		return NULL;
	if (l->form_kind >= 0) {
		if (view_begin(b, &l->v[LV_FORM], 0, l->form_kind,
		    l->hint) != 0)
			return NULL;
		k = l->form_kind == FORM_JSON ?
		    FORM_JSON_VALUES : FORM_URL_VALUES;
		if (uploading(b) &&
		    view_begin(b, &l->v[LV_VALUES], VF_DLP, k, l->hint) != 0)
			return NULL;
	}
	return l;
}

/*
 * Text or not, from the first bytes: no NUL and few other control
 * characters. For text, the text view and, when the text looks like JSON
 * or a form, a values view begin, and take the bytes held so far.
 */
static int
leaf_sniffed(struct leaf *l)
{
	const unsigned char	*p = l->sniff;
	size_t			 i, ctl = 0, j;
	int			 k = -1;

	for (i = 0; i < l->nsniff; i++) {
		if (p[i] == 0)
			break;
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r' &&
		    p[i] != '\f')
			ctl++;
	}
	l->text = i == l->nsniff && ctl * 20 <= l->nsniff && l->nsniff > 0;
	if (!l->text)
		return 0;
	for (j = 0; j < l->nsniff && (p[j] == ' ' || p[j] == '\t' ||
	    p[j] == '\r' || p[j] == '\n'); j++)
		;
	if (j < l->nsniff && (p[j] == '{' || p[j] == '['))
		k = FORM_JSON_VALUES;
	else if (memchr(p, '=', l->nsniff) != NULL &&
	    memchr(p, ' ', l->nsniff) == NULL && memchr(p, '\n',
	    l->nsniff) == NULL)
		k = FORM_URL_VALUES;
	if (view_begin(l->b, &l->v[LV_TEXT], VF_DLP, FORM_TEXT, l->hint) != 0 ||
	    (k >= 0 && view_begin(l->b, &l->v[LV_VALUES], VF_DLP, k,
	    l->hint) != 0))
		return -1;
	if (view_feed(&l->v[LV_TEXT], p, l->nsniff) != 0 ||
	    view_feed(&l->v[LV_VALUES], p, l->nsniff) != 0)
		return -1;
	return 0;
}

/* Content (transfer encoding undone) of a leaf. 0 or -1. */
static int
leaf_content(struct leaf *l, const void *buf, size_t len)
{
	struct body	*b = l->b;
	size_t		 n;

	if (b->settled)
		return -1;
	if (view_feed(&l->v[l->cte ? LV_DECODED : LV_RAW], buf, len) != 0 ||
	    view_feed(&l->v[LV_FORM], buf, len) != 0)
		return -1;
	if (l->field && len > 0) {
		/* One blank between two fields, none after the last. */
		if (!l->infields && b->fields_any &&
		    view_feed(&b->fields, " ", 1) != 0)
			return -1;
		l->infields = b->fields_any = true;
		fields_scan_text(b, buf, len);
		if (view_feed(&b->fields, buf, len) != 0)
			return -1;
	}
	if (l->text < 0) {
		n = len < BODY_SNIFF - l->nsniff ? len : BODY_SNIFF - l->nsniff;
		memcpy(l->sniff + l->nsniff, buf, n);
		l->nsniff += n;
		if (l->nsniff < BODY_SNIFF)
			return 0;
		if (leaf_sniffed(l) != 0)
			return -1;
		buf = (const char *)buf + n;
		len -= n;
	}
	if (view_feed(&l->v[LV_TEXT], buf, len) != 0 ||
	    view_feed(&l->v[LV_VALUES], buf, len) != 0)
		return -1;
	return 0;
}

static void
leaf_unlink(struct leaf *l)
{
	struct body	*b = l->b;

	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		b->leaves = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	free(l);
}

/* End a leaf: its views' results are merged, then it is freed. */
static void
leaf_end(struct leaf *l)
{
	struct body	*b = l->b;
	size_t		 i;

	if (l->text < 0 && !b->settled)
		leaf_sniffed(l);
	if (l->field && !b->settled)
		fields_end(b, l);
	for (i = 0; i < LV_COUNT; i++)
		view_end(&l->v[i]);
	if (l == b->top)
		b->top = NULL;
	leaf_unlink(l);
}

static bool
leaf_detected(const struct leaf *l)
{
	size_t	i;

	for (i = 0; i < LV_COUNT; i++)
		if (view_detected(&l->v[i]))
			return true;
	return false;
}

/* ---- multipart ---------------------------------------------------------- */

static void *
part_begin(void *arg, const struct mp_part *part)
{
	struct body	*b = arg;
	struct leaf	*l;

	l = leaf_new(b, part->filename[0] ? part->filename : part->name,
	    part->nested ? NULL : part->content_type,
	    !part->nested && !part->loose && part->filename[0] == '\0',
	    part->cte != MP_CTE_NONE, part->nested);
	if (l != NULL)
		snprintf(l->name, sizeof l->name, "%s", part->name);
	return l;
}

static int
part_data(void *arg, void *h, const void *buf, size_t len)
{
	return leaf_content(h, buf, len);
}

/* As sent: the raw view of a labelled or nested part. */
static int
part_raw(void *arg, void *h, const void *buf, size_t len)
{
	struct leaf	*l = h;

	return view_feed(&l->v[LV_RAW], buf, len);
}

static int
part_end(void *arg, void *h)
{
	struct body	*b = arg;

	leaf_end(h);
	return b->settled ? -1 : 0;
}

static int
part_head(void *arg, const void *buf, size_t len)
{
	struct body	*b = arg;

	if (view_feed(&b->meta, buf, len) != 0 || view_feed(&b->meta, "\n",
	    1) != 0)
		return -1;
	return 0;
}

static const struct mp_callbacks body_mp = {
	part_begin, part_data, part_raw, part_end, part_head
};

/* The multipart parser's own reason (nesting, parts, which malformation). */
static const char *
mp_reason(const struct multipart *m)
{
	const char	*why = multipart_error(m);

	return why[0] != '\0' ? why : "malformed multipart body";
}

/* Every leaf still open is ended: the parser will not end them now. */
static void
leaves_end(struct body *b)
{
	while (b->leaves != NULL)
		leaf_end(b->leaves);
}

/* The multipart parser stopped with st: settle, taint, or nothing. */
static void
mp_stopped(struct body *b, enum mp_status st)
{
	switch (st) {
	case MP_OK:
		return;
	case MP_LIMIT:
		settle(b, BODY_UNINSPECTABLE, mp_reason(b->mp));
		break;
	case MP_MALFORMED:
	case MP_AMBIGUOUS:
		taint(b, mp_reason(b->mp));
		break;
	default:
		break;
	}
	b->mp_dead = true;
	leaves_end(b);
}

/* ---- the body ------------------------------------------------------------ */

/* Sink of the Content-Encoding chain: decoded body bytes. */
static int
body_content(void *arg, const void *buf, size_t len)
{
	struct body	*b = arg;

	if (b->settled)
		return -1;
	if (view_feed(&b->blob, buf, len) != 0)
		return -1;
	if (b->mp != NULL) {
		if (!b->mp_dead)
			mp_stopped(b, multipart_feed(b->mp, buf, len));
		return b->settled ? -1 : 0;
	}
	if (b->top != NULL)
		return leaf_content(b->top, buf, len);
	return 0;
}

/*
 * A multipart upload: the parser, and the views of the body as a whole.
 * A boundary missing, invalid or ambiguous taints the body, which is then
 * inspected as one stream.
 */
static void
body_setup_multipart(struct body *b)
{
	const char	*ct = b->p.content_type;
	char		 boundary[80];
	int		 rc;

	rc = multipart_boundary(ct, boundary, sizeof boundary);
	if (rc == -2)
		taint(b,
		    "ambiguous multipart boundary (servers read it "
		    "differently)");
	else if (rc != 0)
		taint(b, "invalid multipart boundary");
	if (rc == 0 && (b->mp = multipart_new(boundary, b->p.limits, &body_mp,
	    b)) == NULL)
		taint(b, "invalid multipart boundary");
	if (b->mp == NULL) {
		b->top = leaf_new(b, b->p.name_hint, NULL, false, false, false);
		return;
	}
	if (view_begin(b, &b->blob, VF_FRAME, -1, b->p.name_hint) != 0 ||
	    view_begin(b, &b->meta, VF_DLP, FORM_TEXT, NULL) != 0)
		return;
	view_begin(b, &b->fields, VF_DLP, -1, NULL);
}

static void
body_setup_content(struct body *b)
{
	const char	*ct = b->p.content_type;

	if (ct != NULL && strncasecmp(ct, "multipart/", 10) == 0 &&
	    uploading(b))
		body_setup_multipart(b);
	else
		b->top = leaf_new(b, b->p.name_hint, ct, false, false, false);
}

/* A new body inspection; NULL only when out of memory. Params are copied. */
struct body *
body_new(const struct body_params *p)
{
	enum decode_status	 t;
	struct body		*b;

	if ((b = calloc(1, sizeof *b)) == NULL)
		return NULL;
	b->p = *p;
	if (p->profile != NULL)
		b->full = *p->profile;
	else
		engine_profile_defaults(&b->full, p->direction);
	b->full.script_name = p->script_name;
	b->dlp = b->full;
	b->has_dlp = b->dlp.dlp;
	b->frame = b->dlp;
	b->frame.archives = b->frame.filetype = false;
	b->frame.blocked_types = NULL;
	b->dlp.malware = b->dlp.filetype = b->dlp.archives = false;
	b->dlp.blocked_types = NULL;
	busy_begin(b);
	if ((b->dc = decode_new(p->content_encoding, p->limits, body_content,
	    b)) == NULL) {
		free(b);
		return NULL;
	}
	if ((t = decode_taint(b->dc)) != DECODE_OK)
		taint(b, decode_status_str(t));
	if (p->uninspectable != NULL)
		taint(b, p->uninspectable);
	body_setup_content(b);
	busy_end(b);
	return b;
}

/* Feed raw body bytes (as received, still content-encoded). */
void
body_feed(struct body *b, const void *buf, size_t len)
{
	enum decode_status	st;

	b->o.raw_bytes += len;
	if (b->settled)
		return;
	busy_begin(b);
	st = decode_feed(b->dc, buf, len);
	if (st != DECODE_OK && st != DECODE_SINK)
		settle(b, BODY_UNINSPECTABLE, decode_status_str(st));
	else if (st == DECODE_SINK && !b->settled)
		settle(b, BODY_ERROR, "inspection failed");
	else if (timed_out(b, len))
		settle(b, BODY_ERROR, "inspection failed: time limit reached");
	busy_end(b);
}

/*
 * Is the outcome already final, or at least known to be no better than
 * uninspectable (no point holding the body to find out)?
 */
bool
body_settled(const struct body *b)
{
	return b->settled || b->taint[0] != '\0';
}

/*
 * Is a detection already certain: in a view that has ended, or in one
 * being scanned (see engine_scan_detected)?
 */
bool
body_detected(const struct body *b)
{
	const struct leaf	*l;

	if (b->o.nfindings > 0 || b->o.verdict == BODY_FOUND)
		return true;
	for (l = b->leaves; l != NULL; l = l->next)
		if (leaf_detected(l))
			return true;
	return view_detected(&b->blob) || view_detected(&b->meta) ||
	    view_detected(&b->fields);
}

/* The outcome so far: what a settled or tainted body will end with. */
enum body_verdict
body_state(const struct body *b)
{
	if (b->taint[0] != '\0' &&
	    rank(BODY_UNINSPECTABLE) > rank(b->o.verdict))
		return BODY_UNINSPECTABLE;
	return b->o.verdict;
}

static void
body_finish_content(struct body *b)
{
	enum decode_status	st;

	if ((st = decode_finish(b->dc)) != DECODE_OK) {
		settle(b, st == DECODE_SINK ? BODY_ERROR : BODY_UNINSPECTABLE,
		    decode_status_str(st));
		return;
	}
	if (b->mp != NULL && !b->mp_dead)
		mp_stopped(b, multipart_finish(b->mp));
}

/* End every view still open, merge, and fill *o. */
static void
body_fill(struct body *b, struct body_outcome *o)
{
	leaves_end(b);
	if (!b->settled)
		fields_names(b);
	view_end(&b->blob);
	view_end(&b->meta);
	view_end(&b->fields);
	if (b->taint[0] != '\0' &&
	    rank(BODY_UNINSPECTABLE) > rank(b->o.verdict)) {
		b->o.verdict = BODY_UNINSPECTABLE;
		snprintf(b->o.reason, sizeof b->o.reason, "%s", b->taint);
	}
	b->o.decoded_bytes = decode_out_bytes(b->dc);
	b->o.parts = b->mp ? multipart_parts(b->mp) : 0;
	*o = b->o;
}

/*
 * Stop before the end (the outcome is already certain): the scans under
 * way are ended so that their findings are in *o, but the content, cut
 * short, is not finished (a truncated encoding is no finding).
 */
void
body_stop(struct body *b, struct body_outcome *o)
{
	busy_begin(b);
	b->settled = true;
	body_fill(b, o);
	busy_end(b);
}

/* End of the raw body: fill *o. The body may be freed afterwards. */
void
body_end(struct body *b, struct body_outcome *o)
{
	busy_begin(b);
	if (!b->settled)
		body_finish_content(b);
	body_fill(b, o);
	busy_end(b);
}

static void
view_free(struct view *v)
{
	form_free(v->form);
	if (v->scan != NULL)
		engine_scan_free(v->scan);
	v->form = NULL;
	v->scan = NULL;
	v->open = false;
}

void
body_free(struct body *b)
{
	struct leaf	*l;
	size_t		 i;

	if (b == NULL)
		return;
	while ((l = b->leaves) != NULL) {
		for (i = 0; i < LV_COUNT; i++)
			view_free(&l->v[i]);
		leaf_unlink(l);
	}
	view_free(&b->blob);
	view_free(&b->meta);
	view_free(&b->fields);
	decode_free(b->dc);
	multipart_free(b->mp);
	free(b);
}

const char *
body_verdict_str(enum body_verdict v)
{
	static const char *const names[] = { "clean", "found", "uninspectable",
	    "error" };

	return names[v];
}
