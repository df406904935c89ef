/*
 * srv_sslinspect: the c-icap service (name "sslinspect") that enforces
 * policy on decrypted traffic: uploads in REQMOD, downloads in RESPMOD.
 *
 * This file is the glue to c-icap 0.5: callbacks, directives, stats, the
 * policy reference shared by threads, and the body's way through c-icap.
 * What to do with a transaction is xact.c's: the facts, the start mode,
 * holding and staging, the hold limits, the verdict, the page and the
 * audit record (the hold-then-decide design is described there). It asks
 * the pure code of libsvc: verdict.c, policy.c, body.c, blockpage.c ...
 *
 * Here a held body is kept (locked) in a c-icap cached file, in memory up
 * to c-icap's MaxMemObject and in TmpDir beyond; every piece c-icap hands
 * over is taken at once, so the proxy keeps sending. At the end a clean
 * body is answered with 204 where the proxy allows it, else echoed; a
 * blocked one gets the 403 page. A detection that is certain before the
 * end is answered at once with the page, the rest of the body read and
 * dropped. A body released while scanned is unlocked as xact_release_to()
 * allows, and a detection then ends the ICAP transaction with an error,
 * so that Squid cuts the transfer off. An upload sent ahead of its body
 * (MaxUploadHoldTime) has its request line and headers unlocked only:
 * Squid forwards a request only once REQMOD answers, and an origin that
 * closes the idle server connection meanwhile leaves the upload
 * unanswered.
 *
 * The request line and headers of every request are inspected too (a
 * card number in a query or a cookie), also for requests without a body.
 * Header lines are read as browsers read them (every Content-Encoding
 * line, not c-icap's first), and a request for a range of content that is
 * inspected goes on without its Range: the whole comes back and is
 * inspected (verdict_strip_headers; a response that is still a range is
 * blocked unless it is an image or media).
 *
 * ICAP 206 is never answered: Squid allows it exactly where it allows 204
 * (inside the preview, or after it for a body of known size under 64 KiB;
 * ModXact.cc makeAllowHeader, shouldAllow206in/out), and for an unmodified
 * body 204 is the cheaper of the two. See srv_sslinspect(5).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fcntl.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <c_icap/c-icap.h>
#include <c_icap/body.h>
#include <c_icap/cfg_param.h>
#include <c_icap/commands.h>
#include <c_icap/debug.h>
#include <c_icap/header.h>
#include <c_icap/request.h>
#include <c_icap/service.h>
#include <c_icap/simple_api.h>
#include <c_icap/stats.h>

#include "svc.h"
#include "verdict.h"
#include "xact.h"

#define SVC_NAME	"sslinspect"
#define SVC_NDIRECTIVES	64
/* What a released body is read ahead from its spool file. */
#define READAHEAD_SIZE	(64 * 1024)
/*
 * What is sent of a spooled body is freed from its file (a hole punched)
 * this much at a time: the spool then holds what is still to go rather
 * than the whole body, until the request ends. Nothing reads a spool file
 * behind its read position.
 */
#define PUNCH_STEP	(1024 * 1024)
/* Seconds between two returns of a child's free heap memory. */
#define TRIM_INTERVAL	10

/* One ICAP transaction: xact.c's state and what c-icap needs besides. */
struct svc_req {
	struct xact	*x;
	struct polref	*pol;
	ci_cached_file_t *file;
	ci_membuf_t	*page;
	/* spool file bytes read ahead: ra_len of them from ra_off */
	char		*ra;
	size_t		 ra_len;
	ci_off_t	 ra_off;
	/* spool file bytes freed (svc_spool_punch); -1: cannot be */
	ci_off_t	 punched;
	/* deciding inside the preview: 204 allowed */
	bool		 in_preview;
	bool		 let_go;	/* the end is in, and the verdict: go */
	/* connection fd while TCP_CORK is on, or -1 */
	int		 corked;
};

/* c-icap's id of each of xact.c's counters. */
static int svc_stat_ids[XS_COUNT];

static struct ci_conf_entry conf_entries[SVC_NDIRECTIVES];

static int	svc_init(ci_service_xdata_t *, struct ci_server_conf *);
static int	svc_post_init(ci_service_xdata_t *, struct ci_server_conf *);
static void	svc_close(void);
static void	*svc_init_request(ci_request_t *);
static void	svc_release_request(void *);
static int	svc_preview(char *, int, ci_request_t *);
static int	svc_end_of_data(ci_request_t *);
static int	svc_io(char *, int *, char *, int *, int, ci_request_t *);
static int	svc_block(ci_request_t *, struct svc_req *);
static int	svc_crl(ci_request_t *, struct svc_req *);
static void	svc_cork(ci_request_t *, struct svc_req *, int);
static void	svc_log(int, const char *, ...) PRINTF(2, 3);
static void	svc_stat(enum xact_stat, int);

CI_DECLARE_MOD_DATA ci_service_module_t service = {
	SVC_NAME,
	"sslinspect policy enforcement on decrypted traffic",
	ICAP_RESPMOD | ICAP_REQMOD,
	svc_init,
	svc_post_init,
	svc_close,
	svc_init_request,
	svc_release_request,
	svc_preview,
	svc_end_of_data,
	svc_io,
	conf_entries,
	NULL
};

static void
svc_log(int level, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ci_debug_printf(level, "%s", buf);
}

static void
svc_stat(enum xact_stat s, int n)
{
	if (s >= XS_COUNT || svc_stat_ids[s] < 0)
		return;
	if (s == XS_BYTES)
		ci_stat_kbs_inc(svc_stat_ids[s], n);
	else
		ci_stat_uint64_inc(svc_stat_ids[s], n);
}

/* ---- directives ------------------------------------------------------- */

/* c-icap action for every sslinspect.* directive: 1 on success, 0 on error. */
static int
svc_conf_action(const char *name, const char **argv, void *setdata)
{
	const struct svcconf_entry	*e = setdata;
	char				 value[4096], *cause = NULL;
	size_t				 i, len = 0;

	if (argv == NULL || argv[0] == NULL) {
		ci_debug_printf(1, "sslinspect: %s needs a value\n", name);
		return 0;
	}
	value[0] = '\0';
	for (i = 0; argv[i] != NULL && len < sizeof value; i++)
		len += (size_t)snprintf(value + len, sizeof value - len, "%s%s",
		    i ? " " : "", argv[i]);
	if (svcconf_set(svcstate_config(), e, value, &cause) != 0) {
		ci_debug_printf(1, "sslinspect: %s\n", cause);
		free(cause);
		return 0;
	}
	return 1;
}

/* c-icap reads mod_conf_table when the module is loaded: fill it at dlopen. */
static void __attribute__((constructor))
svc_conf_table(void)
{
	size_t	i;

	for (i = 0; svcconf_table[i].name != NULL && i + 1 < SVC_NDIRECTIVES;
	    i++) {
		conf_entries[i].name = svcconf_table[i].name;
		conf_entries[i].data = (void *)&svcconf_table[i];
		conf_entries[i].action = svc_conf_action;
		conf_entries[i].msg = svcconf_table[i].help;
	}
	memset(&conf_entries[i], 0, sizeof conf_entries[i]);
}

static void
svc_cmd_reload(const char *name, int type, const char **argv)
{
	svcstate_reload();
}

/* ---- service life cycle ----------------------------------------------- */

static void
svc_register_stats(void)
{
	char	g[] = "Service sslinspect";
	int	i;

	for (i = 0; i < XS_COUNT; i++)
		svc_stat_ids[i] = ci_stat_entry_register(
		    (char *)xact_stat_label(i),
		    i == XS_BYTES ? STAT_KBS_T : STAT_INT64_T, g);
}

/* At the Service line: later directives are not parsed yet. */
static int
svc_init(ci_service_xdata_t *xdata, struct ci_server_conf *sc)
{
	svcstate_defaults();
	ci_service_set_preview(xdata, 4096);
	ci_service_enable_204(xdata);
	/*
	 * Never answered (see the top of this file), but offered so that
	 * Squid's Allow header says which answers it would take: "206" alone
	 * means inside the preview only (case 331 checks this).
	 */
	ci_service_enable_206(xdata);
	ci_service_set_transfer_preview(xdata, "*");
	ci_service_set_xopts(xdata, CI_XCLIENTIP | CI_XAUTHENTICATEDUSER);
	svc_register_stats();
	register_command(SVC_NAME ":reload", MONITOR_PROC_CMD | CHILDS_PROC_CMD,
	    svc_cmd_reload);
	return CI_OK;
}

/* After the configuration, as the c-icap user, before the children fork. */
static int
svc_post_init(ci_service_xdata_t *xdata, struct ci_server_conf *sc)
{
	struct xact_env	*env = svcstate_env();
	char		*cause = NULL;

	ci_service_set_istag(xdata, "sslinspect-" PACKAGE_VERSION);
	if (svcstate_open(sc != NULL ? sc->TMPDIR : NULL, svc_log) != 0)
		return CI_ERROR;
	env->stat = svc_stat;
	env->cache_lookup = vcache_lookup;
	env->cache_store = vcache_store;
	if (vcache_open(svcstate_config()->verdict_cache_time, &cause) != 0) {
		ci_debug_printf(1, "sslinspect: verdict cache: %s\n", cause);
		free(cause);
	}
	return CI_OK;
}

/*
 * In every child as it exits and in the master on reconfigure. The running
 * policy is kept so that a bad policy on reconfigure does not replace it.
 */
static void
svc_close(void)
{
	vcache_close();
	svcstate_close();
}

/* ---- per request ------------------------------------------------------ */

/* The header lines of h after its request or status line. */
static void
svc_lines(ci_headers_list_t *h, const char *const **lines, size_t *n)
{
	*lines = NULL;
	*n = 0;
	if (h != NULL && h->used > 1) {
		*lines = (const char *const *)h->headers + 1;
		*n = (size_t)h->used - 1;
	}
}

/* The first line of h (request or status line), or NULL. */
static const char *
svc_first_line(ci_headers_list_t *h)
{
	return h != NULL && h->used > 0 ? h->headers[0] : NULL;
}

/* What xact.c reads off the encapsulated messages and the ICAP headers. */
static void
svc_head(ci_request_t *req, struct xact_head *h)
{
	ci_headers_list_t	*ih = req->request_header, *rq, *rs;
	const char		*g;

	memset(h, 0, sizeof *h);
	h->dir = ci_req_type(req) == ICAP_REQMOD ? ENGINE_UPLOAD :
	    ENGINE_DOWNLOAD;
	rq = ci_http_request_headers(req);
	h->request_line = svc_first_line(rq);
	svc_lines(rq, &h->req_lines, &h->nreq);
	if (h->dir == ENGINE_DOWNLOAD) {
		rs = ci_http_response_headers(req);
		h->status_line = svc_first_line(rs);
		svc_lines(rs, &h->resp_lines, &h->nresp);
	}
	h->client_ip = ci_headers_value(ih, "X-Client-IP");
	h->user = ci_headers_value(ih, "X-Client-Username");
	if ((g = ci_headers_value(ih, "X-Client-Groups")) == NULL)
		g = ci_headers_value(ih, "X-Authenticated-Groups");
	h->groups = g;
	/* Squid's word, from the bump snippet: never the client's. */
	h->tls_block = ci_headers_value(ih, "X-Sslinspect-Tls-Block");
	h->hasbody = ci_req_hasbody(req) != 0;
	h->clen = h->hasbody ? (int64_t)ci_http_content_length(req) : 0;
}

/* Remove every line of the header name from the encapsulated request. */
static void
svc_remove_request_header(ci_request_t *req, const char *name)
{
	int	i;

	for (i = 0; i < 64 && ci_http_request_remove_header(req, name); i++)
		;
}

/*
 * Take out of the request what would make the response a thing the
 * service cannot judge (xact_strip): a range, a compression dictionary.
 */
static void
svc_edit_request(ci_request_t *req, struct xact *x)
{
	const char *const	*lines, *const *h;
	size_t			 n;

	svc_lines(ci_http_request_headers(req), &lines, &n);
	if (!xact_strip(x, lines, n))
		return;
	for (h = xact_strip_names; *h != NULL; h++) {
		if (httphdr_has(lines, n, *h)) {
			svc_remove_request_header(req, *h);
			x->edited = true;
			/* The lines moved: read them again. */
			svc_lines(ci_http_request_headers(req), &lines, &n);
		}
	}
	if (x->edited)
		ci_debug_printf(5,
		    "sslinspect: %s %s: range or dictionary headers "
		    "removed\n", x->method, x->url);
}

static void
svc_xheader(ci_request_t *req, const char *name, const char *value)
{
	char	h[256];

	snprintf(h, sizeof h, "%s: %s", name, value);
	ci_icap_add_xheader(req, h);
}

static void *
svc_init_request(ci_request_t *req)
{
	struct svc_req		*d;
	struct xact_head	 h;
	const char *const	*lines;
	size_t			 n;
	int			 type = ci_req_type(req);

	if (type != ICAP_REQMOD && type != ICAP_RESPMOD)
		return NULL;
	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->corked = -1;
	svc_head(req, &h);
	if ((d->pol = svcstate_policy()) == NULL ||
	    (d->x = xact_new(svcstate_env(), d->pol->p, &h)) == NULL) {
		svcstate_policy_put(d->pol);
		free(d);
		return NULL;
	}
	/*
	 * On every ICAP answer (204 included), so that Squid can log it with
	 * %{X-Sslinspect-Incident}adapt::<last_h next to the transaction.
	 */
	svc_xheader(req, "X-Sslinspect-Incident", d->x->incident);
	svc_edit_request(req, d->x);
	svc_lines(ci_http_request_headers(req), &lines, &n);
	xact_scan_head(d->x, lines, n);
	return d;
}

/*
 * Give the memory a child's heaps hold free back to the system, at most
 * every TRIM_INTERVAL seconds. glibc gives each thread one of up to 16
 * heaps and returns little of one to the system (only from its top), so a
 * child's memory would stay at the most its threads ever held at once, and
 * would keep rising, run after run, with each new coincidence of large
 * bodies; trimmed, it follows the load in flight. The trim takes a few
 * milliseconds and holds each heap's lock in turn.
 */
static void
svc_trim(void)
{
#ifdef HAVE_MALLOC_TRIM
	static time_t	last;
	time_t		now = time(NULL), prev;

	prev = __atomic_load_n(&last, __ATOMIC_RELAXED);
	if (now - prev < TRIM_INTERVAL || !__atomic_compare_exchange_n(&last,
	    &prev, now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	(void)malloc_trim(0);
#endif
}

static void
svc_release_request(void *data)
{
	struct svc_req	*d = data;

	if (d == NULL)
		return;
	svc_cork(NULL, d, 0);
	xact_free(d->x);
	if (d->file != NULL)
		ci_cached_file_destroy(d->file);
	free(d->ra);
	if (d->page != NULL)
		ci_membuf_free(d->page);
	svcstate_policy_put(d->pol);
	free(d);
	svc_trim();
}

/* Replace the HTTP response (or answer the request) with status and body. */
static int
svc_respond(ci_request_t *req, struct svc_req *d, const char *status,
    const char *ctype, const char *body, size_t len, const char *const *extra)
{
	char	h[256];

	if (len > 64 * 1024 * 1024)
		return -1;
	if (ci_http_response_headers(req) != NULL)
		ci_http_response_reset_headers(req);
	else
		ci_http_response_create(req, 1, 1);
	ci_http_response_add_header(req, status);
	snprintf(h, sizeof h, "Content-Type: %s", ctype);
	ci_http_response_add_header(req, h);
	snprintf(h, sizeof h, "Content-Length: %zu", len);
	ci_http_response_add_header(req, h);
	for (; extra != NULL && *extra != NULL; extra++)
		ci_http_response_add_header(req, *extra);
	if ((d->page = ci_membuf_new_sized((int)len + 1)) == NULL)
		return -1;
	ci_membuf_write(d->page, body, (int)len, 1);
	return 0;
}

/*
 * The transfer has begun (the HTTP headers, perhaps part of the body, are
 * out): end the transaction with an error, so that the proxy cuts the
 * client's transfer off.
 */
static int
svc_cut(struct svc_req *d)
{
	xact_cut(d->x);
	return CI_ERROR;
}

static int
svc_block(ci_request_t *req, struct svc_req *d)
{
	char		*page, inc[64];
	const char	*ctype, *extra[] = { "Cache-Control: no-store", inc,
	    NULL };
	size_t		 len;
	int		 rc;

	if (ci_req_sent_data(req) || d->x->mode == XM_STREAM)
		return svc_cut(d);
	snprintf(inc, sizeof inc, "X-Sslinspect-Incident: %s",
	    d->x->incident);
	page = xact_block_page(d->x, &ctype, &len);
	ci_request_set_str_attribute(req, SVC_NAME ":verdict", "block");
	rc = svc_respond(req, d, "HTTP/1.1 403 Forbidden", ctype,
	    page ? page : "", len, extra);
	free(page);
	return rc == 0 ? CI_MOD_DONE : CI_ERROR;
}

/*
 * Answer with the page now, before the body's end: c-icap sends it once
 * the data is unlocked, and the rest of the body is read and dropped. The
 * proxy goes on sending the body while the page goes out.
 */
static int
svc_block_now(ci_request_t *req, struct svc_req *d)
{
	int	rc;

	if ((rc = svc_block(req, d)) != CI_MOD_DONE)
		return rc;
	d->x->mode = XM_BLOCK;
	ci_req_unlock_data(req);
	return CI_OK;
}

static int
svc_crl(ci_request_t *req, struct svc_req *d)
{
	struct crl_reply	r;
	char			lm[80],
	    *extra[3] = { "Cache-Control: public, max-age=300", lm, NULL };
	struct tm		tm;
	int			rc;

	xact_crl(d->x, &r);
	gmtime_r(&r.mtime, &tm);
	strftime(lm, sizeof lm, "Last-Modified: %a, %d %b %Y %H:%M:%S GMT",
	    &tm);
	if (r.status != 200)
		extra[1] = NULL;
	rc = svc_respond(req, d, r.status == 200 ? "HTTP/1.1 200 OK" :
	    "HTTP/1.1 404 Not Found", r.content_type,
	    r.body ? r.body : "not found\n", r.body ? r.len : 10,
	    (const char *const *)extra);
	crlserve_reply_free(&r);
	return rc == 0 ? CI_MOD_DONE : CI_ERROR;
}

/*
 * The held body goes out in one burst, in c-icap's 4 KiB chunks, each
 * after its own poll. Uncorked, every chunk is a segment that wakes the
 * proxy, which by now only waits for this answer: a context switch on
 * both sides per 4 KiB. Corked, the kernel sends full segments; the cork
 * comes off when c-icap has written the last chunk (svc_release_request).
 */
static void
svc_cork(ci_request_t *req, struct svc_req *d, int on)
{
	int	fd = on ? req->connection->fd : d->corked;

	if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on,
	    sizeof on) != 0)
		return;
	d->corked = on ? fd : -1;
}

/*
 * A held download that came chunked goes back with its length, now known.
 * Squid up to 7.2 can end an adapted response before it has taken note
 * that the service sent all of it (Client::resumeBodyStorage() empties the
 * body pipe and calls endAdaptedBodyConsumption() while the production-
 * ended notice is still queued; "FwdState default" marks the entry
 * truncated). A chunked reply then reaches the client whole but without
 * its last chunk, which clients report as an error; with a length they
 * have all they were promised. Fixed upstream in d3e066e65b (bug 5279).
 */
static void
svc_frame_held(ci_request_t *req, struct svc_req *d)
{
	const struct xact	*x = d->x;
	const char		*te;
	char			 h[64];

	if (x->dir != ENGINE_DOWNLOAD || x->clen >= 0 || x->partial)
		return;
	te = ci_http_response_get_header(req, "Transfer-Encoding");
	if (te != NULL && strcasecmp(te, "chunked") != 0)
		return;
	if (te != NULL)
		ci_http_response_remove_header(req, "Transfer-Encoding");
	snprintf(h, sizeof h, "Content-Length: %llu",
	    (unsigned long long)x->bytes);
	ci_http_response_add_header(req, h);
}

/*
 * A clean (or passed) held body: 204 if the proxy allows it and the
 * request was not edited, else echo.
 */
static int
svc_release_body(ci_request_t *req, struct svc_req *d)
{
	if (!d->x->edited &&
	    (d->in_preview || (!ci_req_sent_data(req) && ci_req_allow204(req))))
		return CI_MOD_ALLOW204;
	if (d->x->mode == XM_HOLD) {
		svc_frame_held(req, d);
		svc_cork(req, d, 1);
	}
	ci_cached_file_unlock_all(d->file);
	ci_req_unlock_data(req);
	return CI_MOD_DONE;
}

/* The whole body is in: the verdict, and the body released or blocked. */
static int
svc_scan_end(ci_request_t *req, struct svc_req *d)
{
	xact_scan_end(d->x);
	if (verdict_blocks(d->x->verdict))
		return svc_block(req, d);
	return svc_release_body(req, d);
}

/* Unlock what a body released while scanned may send by now. */
static void
svc_stream_release(struct svc_req *d)
{
	uint64_t	to = xact_release_to(d->x);

	if (to > 0)
		ci_cached_file_unlock(d->file, (ci_off_t)to);
}

/*
 * What xact_check() or xact_release_begin() asked for: CI_OK or CI_ERROR.
 * Released, c-icap now sends the HTTP headers, then what is unlocked.
 */
static int
svc_step(ci_request_t *req, struct svc_req *d, enum xact_step step)
{
	switch (step) {
	case XA_BLOCK:
		return svc_block_now(req, d);
	case XA_CUT:
		return svc_cut(d);
	case XA_ERROR:
		return CI_ERROR;
	case XA_RELEASE:
		ci_req_unlock_data(req);
		/* FALLTHROUGH */
	default:
		if (d->x->mode == XM_STREAM)
			svc_stream_release(d);
		return CI_OK;
	}
}

/*
 * Write to the request's spool; -1 when it fails. Once c-icap has moved
 * it from memory to a file in TmpDir, the file's name is removed at once:
 * the spool is read and written through its descriptor only, so the
 * kernel frees it when the request ends, also when the process dies
 * (kill -9, a crash), which otherwise leaves the file behind. The name is
 * cleared too, so that the unlink at ci_cached_file_destroy() cannot hit
 * a later file that mkstemp gave the same name.
 */
static int
svc_spool(ci_cached_file_t *f, const char *buf, int len, int eof)
{
	struct stat	sb;
	int		rc;

	rc = ci_cached_file_write(f, (char *)buf, len, eof);
	if (f->fd >= 0 && f->filename[0] != '\0') {
		unlink(f->filename);
		f->filename[0] = '\0';
	}
	/*
	 * c-icap 0.5 counts bytes it failed to append to the file (a full
	 * TmpDir) as written: what follows would then be released without
	 * them, and the end would never come. The file's size says.
	 */
	if (rc >= 0 && len > 0 && f->fd >= 0 &&
	    (fstat(f->fd, &sb) != 0 || sb.st_size != f->endpos))
		rc = -1;
	if (rc < 0)
		ci_debug_printf(1, "sslinspect: a body could not be spooled "
		    "in %s (TmpDir full?); the transfer fails\n",
		    CI_TMPDIR != NULL ? CI_TMPDIR : "TmpDir");
	return rc;
}

/* xact.c's spool: the request's cached file. */
static int
svc_spool_fn(void *arg, const char *buf, size_t len, int eof)
{
	struct svc_req	*d = arg;

	return svc_spool(d->file, buf, (int)len, eof) < 0 ? -1 : 0;
}

/*
 * The body's end came in: what is staged is scanned, the spool ended. A
 * spool that failed is not written again; a body blocked for it needs no
 * end.
 */
static int
svc_spool_end(struct svc_req *d)
{
	if (d->x->spool_failed)
		return d->x->mode == XM_BLOCK ? 0 : -1;
	if (d->x->body != NULL)
		return xact_stage_flush(d->x, 1);
	return svc_spool(d->file, NULL, 0, 1) < 0 ? -1 : 0;
}

/*
 * The spool failed (xact_spool_failed(): TmpDir full). A body still held
 * has sent the proxy nothing, so the client gets the page that says
 * inspection failed rather than Squid's ICAP error, and the rest of the
 * body is read and dropped; once bytes went out, the transfer is cut.
 */
static int
svc_spool_lost(ci_request_t *req, struct svc_req *d)
{
	if (!d->x->spool_failed)
		return CI_ERROR;
	if (d->x->mode != XM_HOLD || ci_req_sent_data(req))
		return svc_cut(d);
	return svc_block_now(req, d);
}

/* Start inspecting: the held file and the body pipeline. 0 or -1. */
static int
svc_start_scan(struct svc_req *d)
{
	if ((d->file = ci_cached_file_new(0)) == NULL ||
	    xact_start_scan(d->x, svc_spool_fn, d) != 0)
		return -1;
	ci_cached_file_lock_all(d->file);
	return 0;
}

/* Free what was sent of the spool file, PUNCH_STEP at a time. */
static void
svc_spool_punch(struct svc_req *d, int fd, ci_off_t sent)
{
#ifdef FALLOC_FL_PUNCH_HOLE
	ci_off_t	to = sent - sent % PUNCH_STEP;

	if (d->punched < 0 || to <= d->punched)
		return;
	/* a file system without holes keeps the spool whole, as before */
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    d->punched, to - d->punched) != 0) {
		d->punched = -1;
		return;
	}
	d->punched = to;
#else
	(void)d;
	(void)fd;
	(void)sent;
#endif
}

/*
 * What the proxy gets next of a body being released: from the spool file
 * READAHEAD_SIZE at a time (c-icap asks for a few KiB per call, and its own
 * read is a seek and a read each time), only of what is unlocked.
 */
static int
svc_spool_read(struct svc_req *d, char *buf, int len)
{
	ci_cached_file_t	*f = d->file;
	ci_off_t		 lim;
	ssize_t			 n;
	size_t			 k;

	if (f->fd <= 0 || len <= 0 || (f->readpos == f->endpos &&
	    (f->flags & CI_FILE_HAS_EOF)))
		return ci_cached_file_read(f, buf, len);
	lim = (f->flags & CI_FILE_USELOCK) && f->unlocked >= 0 ?
	    f->unlocked : f->endpos;
	if (lim > f->endpos)
		lim = f->endpos;
	if (d->ra_len == 0 || f->readpos < d->ra_off ||
	    f->readpos >= d->ra_off + (ci_off_t)d->ra_len) {
		if (lim <= f->readpos)
			return 0;
		if (d->ra == NULL && (d->ra = malloc(READAHEAD_SIZE)) == NULL)
			return ci_cached_file_read(f, buf, len);
		k = lim - f->readpos > READAHEAD_SIZE ? READAHEAD_SIZE :
		    (size_t)(lim - f->readpos);
		svc_spool_punch(d, f->fd, f->readpos);
		if ((n = pread(f->fd, d->ra, k, f->readpos)) <= 0)
			return n == 0 ? 0 : CI_ERROR;
		d->ra_off = f->readpos;
		d->ra_len = (size_t)n;
	}
	k = (size_t)(d->ra_off + (ci_off_t)d->ra_len - f->readpos);
	if (lim - f->readpos < (ci_off_t)k)
		k = (size_t)(lim - f->readpos);
	if (k > (size_t)len)
		k = (size_t)len;
	memcpy(buf, d->ra + (f->readpos - d->ra_off), k);
	f->readpos += (ci_off_t)k;
	return (int)k;
}

/*
 * The next bytes of a body being released. With last, c-icap asks for the
 * rest after the body's end came in and the verdict let it go
 * (send_remaining_response), and takes 0 bytes for the end of the data:
 * it then stops without the last chunk, and the proxy waits for the rest
 * of a response whose every byte the client may already have, the
 * client's connection with it. Every byte is spooled by then, so 0 there
 * means a lock left behind or an end not marked: say so, and send the
 * rest, or the end.
 */
static int
svc_spool_next(struct svc_req *d, char *buf, int len, bool last)
{
	ci_cached_file_t	*f = d->file;
	int			 n;

	if ((n = svc_spool_read(d, buf, len)) != 0 || !last)
		return n;
	ci_debug_printf(1, "sslinspect: %s %s: nothing to send at the end of "
	    "the body (sent %lld of %lld bytes, unlocked %lld, flags %#x); "
	    "sending the rest\n", d->x->method, d->x->url,
	    (long long)f->readpos, (long long)f->endpos,
	    (long long)f->unlocked, (unsigned)f->flags);
	ci_cached_file_unlock_all(f);
	f->flags |= CI_FILE_HAS_EOF;
	return svc_spool_read(d, buf, len);
}

/*
 * No inspection: 204, or an unlocked echo when the proxy allows no 204
 * or the request was edited (a 204 would drop the edit); an edited
 * request without a body is answered with its headers at the end.
 */
static int
svc_pass(char *data, int len, ci_request_t *req, struct svc_req *d)
{
	if (!ci_req_hasbody(req))
		return d->x->edited ? CI_MOD_CONTINUE : CI_MOD_ALLOW204;
	if (!d->x->edited && (data != NULL || ci_req_allow204(req)))
		return CI_MOD_ALLOW204;
	d->x->mode = XM_ECHO;
	if ((d->file = ci_cached_file_new(0)) == NULL)
		return CI_ERROR;
	if (data != NULL && len > 0 &&
	    svc_spool(d->file, data, len, ci_req_hasalldata(req)) < 0)
		return CI_ERROR;
	ci_req_unlock_data(req);
	return CI_MOD_CONTINUE;
}

/*
 * The whole body came inside the preview ("0; ieof"): decide now. A 204
 * in reply to a preview is always allowed, while after it Squid allows
 * 204 only for a body of known size under 64 KiB, so a clean chunked body
 * would otherwise be echoed. A block page goes out from end_of_data.
 */
static int
svc_preview_decide(ci_request_t *req, struct svc_req *d)
{
	int	rc;

	d->in_preview = true;
	rc = svc_scan_end(req, d);
	d->in_preview = false;
	if (rc != CI_MOD_DONE)
		return rc;
	/* A page, or (an edited request) the body echoed. */
	d->x->mode = verdict_blocks(d->x->verdict) ? XM_BLOCK : XM_DONE;
	return CI_MOD_CONTINUE;
}

/* Inspect from the preview on; a body announced too large is not held. */
static int
svc_preview_scan(char *data, int len, ci_request_t *req, struct svc_req *d)
{
	int	eof = ci_req_hasalldata(req);

	if (svc_start_scan(d) != 0 || xact_take(d->x, data,
	    len > 0 ? (size_t)len : 0, eof) != 0)
		return CI_ERROR;
	if (eof)
		return svc_preview_decide(req, d);
	if (svc_step(req, d, xact_check(d->x)) != CI_OK)
		return CI_ERROR;
	return CI_MOD_CONTINUE;
}

static int
svc_preview(char *data, int len, ci_request_t *req)
{
	struct svc_req	*d = ci_service_data(req);

	if (d == NULL)
		/* out of memory or no policy: fail closed */
		return CI_ERROR;
	switch (d->x->mode) {
	case XM_PASS:
		return svc_pass(data, len, req, d);
	case XM_HOLD:
		return svc_preview_scan(data, len, req, d);
	case XM_BLOCK:
	case XM_CRL:
		/*
		 * Answer now (early response); the rest of the body is dropped.
		 */
		if ((d->x->mode == XM_BLOCK ? svc_block(req, d) : svc_crl(req,
		    d)) != CI_MOD_DONE)
			return CI_ERROR;
		ci_req_unlock_data(req);
		return CI_MOD_CONTINUE;
	default:
		return CI_MOD_CONTINUE;
	}
}

/*
 * Whether more of the body is already at hand: unparsed in c-icap's buffer
 * or readable on the ICAP connection. When none is, c-icap waits for the
 * proxy without calling the service again, so what is staged must be
 * scanned now: else a detection in it waits for the origin's next byte,
 * and an origin that goes silent after it is never cut off.
 */
static bool
svc_more_at_hand(ci_request_t *req)
{
	struct pollfd	pfd;

	if (req->pstrblock_read_len > 0)
		return true;
	if (req->connection == NULL || req->connection->fd < 0)
		return false;
	memset(&pfd, 0, sizeof pfd);
	pfd.fd = req->connection->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) != 0;
}

static int
svc_io_in(struct svc_req *d, ci_request_t *req, char *rbuf, int *rlen,
    int iseof)
{
	int	n = *rlen;

	switch (d->x->mode) {
	case XM_HOLD:
	case XM_STREAM:
		if (xact_take(d->x, rbuf, (size_t)n, iseof) != 0 ||
		    (d->x->nstage > 0 && !svc_more_at_hand(req) &&
		    xact_stage_flush(d->x, 0) != 0))
			return svc_spool_lost(req, d);
		return svc_step(req, d, xact_check(d->x));
	case XM_ECHO:
		if (svc_spool(d->file, rbuf, n, iseof) < 0)
			return CI_ERROR;
		ci_cached_file_unlock_all(d->file);
		break;
	default:
		/*
		 * Blocked or answered requests: the body is read and dropped.
		 */
		break;
	}
	d->x->bytes += (uint64_t)n;
	return CI_OK;
}

static int
svc_io(char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof,
    ci_request_t *req)
{
	struct svc_req	*d = ci_service_data(req);

	if (d == NULL)
		return CI_ERROR;
	if (rbuf != NULL && rlen != NULL && *rlen > 0) {
		if (svc_io_in(d, req, rbuf, rlen, iseof) != CI_OK)
			return CI_ERROR;
	} else if (iseof && d->file != NULL) {
		if (svc_spool_end(d) != 0 && svc_spool_lost(req, d) != CI_OK)
			return CI_ERROR;
	} else if (xact_stage_due(d->x)) {
		/* a slow body: what waits goes on to the client */
		if (xact_stage_flush(d->x, 0) != 0 ||
		    svc_step(req, d, xact_check(d->x)) != CI_OK)
			return CI_ERROR;
	}
	if (wbuf != NULL && wlen != NULL && *wlen > 0) {
		if (d->page != NULL)
			*wlen = ci_membuf_read(d->page, wbuf, *wlen);
		else if (d->file != NULL && d->x->mode != XM_BLOCK)
			*wlen = svc_spool_next(d, wbuf, *wlen,
			    rlen == NULL && iseof && d->let_go);
		else if (d->file != NULL)
			/* blocked mid-body: nothing more, ever */
			*wlen = 0;
		else
			*wlen = CI_EOF;
	}
	return CI_OK;
}

/* The end of a body released while scanned: the tail, or the cut. */
static int
svc_stream_end(ci_request_t *req, struct svc_req *d)
{
	xact_scan_end(d->x);
	if (verdict_blocks(d->x->verdict))
		return svc_cut(d);
	ci_cached_file_unlock_all(d->file);
	return CI_MOD_DONE;
}

/* The body's end came in: the verdict on what is left to send. */
static int
svc_end(ci_request_t *req, struct svc_req *d)
{
	if (d->file != NULL && svc_spool_end(d) != 0)
		return svc_spool_lost(req, d) == CI_OK ? CI_MOD_DONE : CI_ERROR;
	switch (d->x->mode) {
	case XM_CRL:
		return d->page != NULL ? CI_MOD_DONE : svc_crl(req, d);
	case XM_BLOCK:
		return d->page != NULL ? CI_MOD_DONE : svc_block(req, d);
	case XM_HOLD:
		return svc_scan_end(req, d);
	case XM_STREAM:
		return svc_stream_end(req, d);
	case XM_ECHO:
		if (d->file != NULL)
			ci_cached_file_unlock_all(d->file);
		ci_req_unlock_data(req);
		return CI_MOD_DONE;
	case XM_DONE:
		return CI_MOD_DONE;
	default:
		return ci_req_allow204(req) && !d->x->edited ? CI_MOD_ALLOW204 :
		    CI_MOD_DONE;
	}
}

static int
svc_end_of_data(ci_request_t *req)
{
	struct svc_req	*d = ci_service_data(req);
	int		 rc;

	if (d == NULL)
		return CI_ERROR;
	if ((rc = svc_end(req, d)) == CI_MOD_DONE && d->file != NULL)
		d->let_go = true;
	return rc;
}
