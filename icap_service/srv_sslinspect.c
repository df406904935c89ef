/*
 * srv_sslinspect: the c-icap service (name "sslinspect") that enforces
 * policy on decrypted traffic: uploads in REQMOD, downloads in RESPMOD.
 *
 * This file is the glue to c-icap 0.5: callbacks, directives, stats, the
 * policy reference shared by threads, and the body's way through c-icap.
 * What to do is decided by the pure code of libsvc: verdict.c (start mode,
 * hold or release, final verdict), policy.c, body.c, blockpage.c ...
 *
 * Hold, then decide. A body is held (locked) in a c-icap cached file, in
 * memory up to c-icap's MaxMemObject and in TmpDir beyond, while it is
 * decoded and scanned piece by piece; every piece c-icap hands over is
 * taken at once, so the proxy keeps sending. At the end a clean body is
 * answered with 204 where the proxy allows it, else echoed; a blocked one
 * gets the 403 page. A detection that is certain before the end (EICAR, a
 * blocked type) is answered at once with the page, the rest of the body
 * read and dropped. Past sslinspect.MaxHoldSize or MaxHoldTime a download
 * is released as it is scanned, all but its last STREAM_TAIL bytes, and a
 * detection then cuts the transfer off at once and enters the verdict
 * cache, so the client's retry gets the page (vcache.c). Past
 * MaxUploadHoldTime an upload's request line and headers go on to the
 * origin, its body still held whole: Squid forwards a request only once
 * REQMOD answers, and an origin that closes the idle server connection
 * meanwhile leaves the upload unanswered (verdict_hold). A detection then
 * cuts it off.
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
#include <libgen.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <poll.h>
#include <pthread.h>
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

#include "categories.h"
#include "slurp.h"
#include "svc.h"
#include "verdict.h"

#define SVC_NAME	"sslinspect"
#define SVC_NDIRECTIVES	64
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
 * read_ahead_gap of what the client took, and what waits in the ICAP
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
 * c-icap hands a body over in pieces of a few KiB. Past the first
 * STAGE_AFTER bytes (where a type or EICAR shows at once), pieces are
 * gathered into STAGE_SIZE before they are spooled and scanned: one write,
 * one size check and one pass of each engine per stage instead of per
 * piece, which under load was a third of the service's CPU. A stage goes
 * on when it is full, at the end, when the body starts to be released,
 * when no more of the body is at hand (svc_more_at_hand: c-icap would
 * wait for the proxy before calling again), and when its first piece is
 * STAGE_MS old, so that a slow body released while scanned still reaches
 * the client as it comes.
 */
#define STAGE_AFTER	(16 * 1024)
#define STAGE_SIZE	(64 * 1024)
#define STAGE_MS	50
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

enum svc_mode {
	M_PASS,		/* no inspection: 204 */
	M_ECHO,		/* no inspection, proxy allows no 204: echo */
	M_HOLD,		/* hold, inspect, decide at the end */
	M_STREAM,	/* inspect while releasing; cut off at a detection */
	M_BLOCK,	/* decided: the block page (the rest is dropped) */
	M_DONE,		/* decided in the preview: the body is echoed */
	M_CRL		/* answered from the CRL directory */
};

struct polref {
	struct policy	*p;
	int		 refs;
};

struct svc_req {
	enum svc_mode	 mode;
	enum engine_direction dir;
	enum verdict_start start;
	enum verdict	 verdict;
	char		 method[16];
	char		 url[2048];
	char		 host[256];
	const char	*path;
	char		 ip[64];
	char		 user[256];
	char		 groups[512];
	char		 ctype[256];
	/* every Content-Encoding line, joined */
	char		 cenc[512];
	char		 accept[256];
	char		 lang[128];
	char		 etag[256];
	char		 lastmod[64];
	int64_t		 clen;
	struct polref	*pol;
	struct policy_decision dec;
	char		 cats[CAT_MAXVALUE];	/* svc_categories */
	bool		 cats_done;
	ci_cached_file_t *file;
	/* pieces taken but not yet spooled nor scanned */
	char		*stage;
	size_t		 nstage;
	struct timespec	 t_stage;
	/* spool file bytes read ahead: ra_len of them from ra_off */
	char		*ra;
	size_t		 ra_len;
	ci_off_t	 ra_off;
	/* spool file bytes freed (svc_spool_punch); -1: cannot be */
	ci_off_t	 punched;
	struct body	*body;
	ci_membuf_t	*page;
	uint64_t	 bytes;
	struct timespec	 t0;
	struct timespec	 t_body;	/* first body byte */
	char		 incident[20];
	char		 reason[200];
	const char	*engine;
	struct body_outcome out;
	bool		 scanned;
	bool		 hasbody;
	/* deciding inside the preview: 204 allowed */
	bool		 in_preview;
	bool		 cut;		/* released in part, then cut off */
	bool		 let_go;	/* the end is in, and the verdict: go */
	/* an upload whose request went on, its body held (HOLD_AHEAD) */
	bool		 ahead;
	/* the first bytes of a download, for its content key */
	struct vcache_prefix pre;
	/* the content key named a download cut off before: its entry */
	bool		 cached;
	struct vcache_entry hit;
	uint64_t	 stream_from;	/* d->bytes when the release began */
	/* a download that is a range of content */
	bool		 partial;
	bool		 edited;	/* request headers removed: never 204 */
	/* the request line or headers hold data */
	bool		 head_found;
	/* known uninspectable from the headers */
	const char	*uninsp;
	struct body_outcome head;	/* the request line and headers */
	/* connection fd while TCP_CORK is on, or -1 */
	int		 corked;
};

/*
 * The service's counters in c-icap's "info" service, one table: the label,
 * and for the per-verdict and per-engine ones what they count.
 */
enum svc_stat {
	ST_REQS, ST_ALLOW, ST_BLOCK, ST_MONITOR, ST_STREAMED, ST_AHEAD, ST_CUT,
	ST_CACHED, ST_POLICY, ST_FOUND, ST_UNINSP, ST_FAILED, ST_FAILOPEN,
	ST_CRL, ST_DLP, ST_MALWARE, ST_HASH, ST_FILETYPE, ST_ARCHIVE,
	ST_MSEC, ST_BYTES, ST_COUNT
};

static struct {
	const char	*label;
	const char	*engine;	/* findings of this engine */
	int		 id;
} svc_stats[ST_COUNT] = {
	[ST_REQS] = { "Requests inspected", NULL, -1 },
	[ST_ALLOW] = { "Allowed", NULL, -1 },
	[ST_BLOCK] = { "Blocked", NULL, -1 },
	[ST_MONITOR] = { "Monitored (found, not blocked)", NULL, -1 },
	[ST_STREAMED] = { "Released while scanned (over hold limits)", NULL,
	    -1 },
	[ST_AHEAD] = { "Uploads sent ahead of their body (MaxUploadHoldTime)",
	    NULL, -1 },
	[ST_CUT] = { "Cut off after release began", NULL, -1 },
	[ST_CACHED] = { "Blocked: verdict cache", NULL, -1 },
	[ST_POLICY] = { "Blocked: policy rule", NULL, -1 },
	[ST_FOUND] = { "Blocked: detection", NULL, -1 },
	[ST_UNINSP] = { "Blocked: uninspectable", NULL, -1 },
	[ST_FAILED] = { "Blocked: inspection failed", NULL, -1 },
	[ST_FAILOPEN] = { "Fail-open passes", NULL, -1 },
	[ST_CRL] = { "CRL requests", NULL, -1 },
	[ST_DLP] = { "Findings: dlp", "dlp", -1 },
	[ST_MALWARE] = { "Findings: malware", "malware", -1 },
	[ST_HASH] = { "Findings: hash", "hash", -1 },
	[ST_FILETYPE] = { "Findings: filetype", "filetype", -1 },
	[ST_ARCHIVE] = { "Findings: archive", "archive", -1 },
	[ST_MSEC] = { "Scan time (ms)", NULL, -1 },
	[ST_BYTES] = { "Body bytes scanned", NULL, -1 },
};

/* The counter each final verdict adds to, besides Allowed/Blocked. */
static const enum svc_stat verdict_stat[VERDICT_COUNT] = {
	[VERDICT_ALLOW] = ST_ALLOW,
	[VERDICT_MONITOR] = ST_MONITOR,
	[VERDICT_ALLOW_UNINSPECTABLE] = ST_ALLOW,
	[VERDICT_FAIL_OPEN] = ST_FAILOPEN,
	[VERDICT_BLOCK_POLICY] = ST_POLICY,
	[VERDICT_BLOCK_FOUND] = ST_FOUND,
	[VERDICT_BLOCK_UNINSPECTABLE] = ST_UNINSP,
	[VERDICT_BLOCK_FAILED] = ST_FAILED,
};

/* What the block page says of each blocking verdict. */
static const enum block_kind block_kind[VERDICT_COUNT] = {
	[VERDICT_BLOCK_POLICY] = BLOCK_POLICY,
	[VERDICT_BLOCK_FOUND] = BLOCK_FOUND,
	[VERDICT_BLOCK_UNINSPECTABLE] = BLOCK_UNINSPECTABLE,
	[VERDICT_BLOCK_FAILED] = BLOCK_FAILED,
};

static struct svc_config conf;
static struct ci_conf_entry conf_entries[SVC_NDIRECTIVES];
static struct engine_set *engines;
static struct tmplset *templates;
static struct catwatch *categories;	/* NULL: CategoryDB "" */
static pthread_mutex_t pol_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct polref *pol_cur;

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
static int	svc_scan_end(ci_request_t *, struct svc_req *);
static void	svc_cork(ci_request_t *, struct svc_req *, int);
static int	svc_stage_flush(struct svc_req *, int);

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
svc_stat_inc(enum svc_stat s, int n)
{
	if (svc_stats[s].id >= 0)
		ci_stat_uint64_inc(svc_stats[s].id, n);
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
	if (svcconf_set(&conf, e, value, &cause) != 0) {
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

/* ---- policy reference ------------------------------------------------- */

static struct polref *
pol_get(void)
{
	struct polref	*r;

	pthread_mutex_lock(&pol_mtx);
	if ((r = pol_cur) != NULL)
		r->refs++;
	pthread_mutex_unlock(&pol_mtx);
	return r;
}

static void
pol_put(struct polref *r)
{
	int	last;

	if (r == NULL)
		return;
	pthread_mutex_lock(&pol_mtx);
	last = (--r->refs == 0);
	pthread_mutex_unlock(&pol_mtx);
	if (last) {
		policy_free(r->p);
		free(r);
	}
}

static void
pol_swap(struct policy *p)
{
	struct polref	*r, *old;

	if ((r = calloc(1, sizeof *r)) == NULL) {
		policy_free(p);
		return;
	}
	r->p = p;
	r->refs = 1;
	pthread_mutex_lock(&pol_mtx);
	old = pol_cur;
	pol_cur = r;
	pthread_mutex_unlock(&pol_mtx);
	pol_put(old);
}

/*
 * The last policy that loaded is copied to TmpDir, because c-icap unloads
 * the module on reconfigure: a bad policy file then falls back to it.
 */
static char last_good[4096];

static void
svc_save_last_good(const char *path)
{
	char	*buf, tmp[4200];
	size_t	 len;
	FILE	*f;
	int	 fd;

	if (last_good[0] == '\0' || (buf = slurp_file(path, POLICY_FILE_MAX,
	    &len, NULL)) == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%s.new", last_good);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) >= 0 &&
	    (f = fdopen(fd, "w")) != NULL) {
		if (fwrite(buf, 1, len, f) == len && fclose(f) == 0)
			rename(tmp, last_good);
		else
			unlink(tmp);
	} else if (fd >= 0)
		close(fd);
	free(buf);
}

static struct policy *
svc_load_last_good(void)
{
	char		*buf, *dir, name[4200], *cause = NULL;
	struct policy	*p = NULL;
	size_t		 len;

	if (last_good[0] == '\0' || (buf = slurp_file(last_good,
	    POLICY_FILE_MAX, &len, NULL)) == NULL)
		return NULL;
	snprintf(name, sizeof name, "%s (last good copy)", conf.policy_file);
	if ((dir = strdup(conf.policy_file)) != NULL)
		p = policy_parse(buf, len, name, dirname(dir), &cause);
	free(cause);
	free(dir);
	free(buf);
	return p;
}

/* Load the configured policy; on failure the running one stays. 0 or -1. */
static int
svc_load_policy(bool startup)
{
	struct policy	*p;
	char		*cause = NULL;
	bool		 file = conf.policy_file != NULL &&
	    *conf.policy_file != '\0';

	p = file ? policy_load(conf.policy_file, &cause) : policy_default();
	if (p == NULL && startup && pol_cur == NULL && file &&
	    (p = svc_load_last_good()) != NULL) {
		ci_debug_printf(1,
		    "sslinspect: policy not loaded, using the last "
		    "good copy: %s\n", cause ? cause : "out of memory");
		free(cause);
		pol_swap(p);
		return 0;
	}
	if (p == NULL) {
		ci_debug_printf(1, "sslinspect: policy not loaded, %s: %s\n",
		    pol_cur ? "keeping the running policy" : "service disabled",
		    cause ? cause : "out of memory");
		free(cause);
		return -1;
	}
	ci_debug_printf(2, "sslinspect: policy %s loaded, %u rules\n",
	    file ? conf.policy_file : "(built-in)", policy_nrules(p));
	if (file)
		svc_save_last_good(conf.policy_file);
	pol_swap(p);
	return 0;
}

static void
svc_cmd_reload(const char *name, int type, const char **argv)
{
	char	*cause = NULL;

	svc_load_policy(false);
	/* Signatures and the hash blocklist too; the old set stays on error. */
	if (engines != NULL && engine_set_reload(engines, &cause) != 0) {
		ci_debug_printf(1, "sslinspect: engine reload: %s\n",
		    cause != NULL ? cause : "failed");
		free(cause);
	}
}

/* ---- service life cycle ----------------------------------------------- */

static void
svc_register_stats(void)
{
	char	g[] = "Service sslinspect";
	size_t	i;

	for (i = 0; i < ST_COUNT; i++)
		svc_stats[i].id =
		    ci_stat_entry_register((char *)svc_stats[i].label,
		    i == ST_BYTES ? STAT_KBS_T : STAT_INT64_T, g);
}

/* At the Service line: later directives are not parsed yet. */
static int
svc_init(ci_service_xdata_t *xdata, struct ci_server_conf *sc)
{
	svcconf_defaults(&conf);
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
	struct engine_config	 ec;
	char			*cause = NULL;

	ci_service_set_istag(xdata, "sslinspect-" PACKAGE_VERSION);
	if (audit_open(conf.audit_log, &cause) != 0) {
		ci_debug_printf(1, "sslinspect: audit log: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	if (auditsys_open(conf.audit_syslog, conf.audit_syslog_id,
	    &cause) != 0) {
		ci_debug_printf(1, "sslinspect: AuditSyslog: %s; audit records "
		    "are not sent to a collector\n", cause);
		free(cause);
		cause = NULL;
	}
	blockpage_set_free(templates);
	templates = blockpage_set_load(conf.template_dir, &cause);
	if (cause != NULL) {
		ci_debug_printf(1, "sslinspect: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	catwatch_free(categories);
	categories = conf.category_db[0] != '\0' ?
	    catwatch_new(conf.category_db) : NULL;
	svcconf_engine(&conf, &ec);
	ec.tmpdir = sc != NULL ? sc->TMPDIR : NULL;
	if (engines == NULL && (engines = engine_set_load(&ec,
	    &cause)) == NULL) {
		ci_debug_printf(1, "sslinspect: engines not loaded (%s): "
		    "inspected traffic will %s\n", cause ? cause : "?",
		    conf.fail_open ? "pass (FailOpen on)" : "be blocked");
		free(cause);
		cause = NULL;
	}
	if (vcache_open(conf.verdict_cache_time, &cause) != 0) {
		ci_debug_printf(1, "sslinspect: verdict cache: %s\n", cause);
		free(cause);
	}
	if (sc != NULL && sc->TMPDIR != NULL)
		snprintf(last_good, sizeof last_good,
		    "%s/sslinspect-policy.last-good",
		    sc->TMPDIR);
	if (svc_load_policy(true) != 0 && pol_cur == NULL)
		return CI_ERROR;
	return CI_OK;
}

/*
 * In every child as it exits and in the master on reconfigure. The running
 * policy is kept so that a bad policy on reconfigure does not replace it.
 */
static void
svc_close(void)
{
	audit_close();
	vcache_close();
	if (engines != NULL)
		engine_set_free(engines);
	engines = NULL;
	blockpage_set_free(templates);
	templates = NULL;
	catwatch_free(categories);
	categories = NULL;
	svcconf_free(&conf);
}

/* ---- per request ------------------------------------------------------ */

static void
copy_hdr(char *dst, size_t len, const char *v)
{
	snprintf(dst, len, "%s", v ? v : "");
}

/* Method and URL from the encapsulated request line. */
static void
svc_request_line(ci_request_t *req, struct svc_req *d)
{
	const char	*line = ci_http_request(req), *sp;
	size_t		 l;

	if (line == NULL)
		return;
	l = strcspn(line, " ");
	copy_hdr(d->method, l < sizeof d->method ? l + 1 : sizeof d->method,
	    line);
	sp = line + l + strspn(line + l, " ");
	l = strcspn(sp, " ");
	if (l >= sizeof d->url)
		l = sizeof d->url - 1;
	memcpy(d->url, sp, l);
	d->url[l] = '\0';
}

/*
 * The categories of the request's host and URL in the category database
 * (CategoryDB), looked up once per request into d->cats; NULL when there
 * is no database.
 */
static const char *
svc_categories(struct svc_req *d)
{
	struct catdb	*db;
	char		*cause;

	if (d->cats_done)
		return d->cats[0] != '\0' ? d->cats : NULL;
	d->cats_done = true;
	d->cats[0] = '\0';
	if (categories == NULL)
		return NULL;
	db = catwatch_get(categories);
	if ((cause = catwatch_cause(categories)) != NULL) {
		ci_debug_printf(1, "sslinspect: CategoryDB: %s\n", cause);
		free(cause);
	}
	if (db == NULL)
		return NULL;
	if (catdb_request(db, d->host, d->url, d->cats, sizeof d->cats) < 0)
		d->cats[0] = '\0';
	catwatch_put(categories, db);
	return d->cats[0] != '\0' ? d->cats : NULL;
}

static void
svc_facts(struct svc_req *d, struct policy_facts *f, const char *ttype,
    int64_t size)
{
	memset(f, 0, sizeof *f);
	f->categories = svc_categories(d);
	f->host = d->host;
	f->url = d->url;
	f->client_ip = d->ip[0] ? d->ip : NULL;
	f->user = d->user[0] ? d->user : NULL;
	f->groups = d->groups[0] ? d->groups : NULL;
	f->method = d->method;
	f->direction = d->dir;
	f->content_type = d->ctype[0] ? d->ctype : NULL;
	f->true_type = ttype;
	f->size = size;
}

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

/* The status code of the encapsulated response, or -1. */
static int
svc_status(ci_headers_list_t *h)
{
	return h != NULL && h->used > 0 ? httphdr_status(h->headers[0]) : -1;
}

static void
svc_collect(ci_request_t *req, struct svc_req *d)
{
	ci_headers_list_t	*ih = req->request_header, *mh;
	const char *const *lines;
	const char *v;
	size_t n;

	svc_request_line(req, d);
	if (policy_url_host(d->url, d->host, sizeof d->host, &d->path) != 0 ||
	    d->host[0] == '\0') {
		copy_hdr(d->host, sizeof d->host,
		    ci_http_request_get_header(req, "Host"));
		d->host[strcspn(d->host, ":")] = '\0';
		d->path = d->url;
	}
	copy_hdr(d->ip, sizeof d->ip, ci_headers_value(ih, "X-Client-IP"));
	copy_hdr(d->user, sizeof d->user, ci_headers_value(ih,
	    "X-Client-Username"));
	if ((v = ci_headers_value(ih, "X-Client-Groups")) == NULL)
		v = ci_headers_value(ih, "X-Authenticated-Groups");
	copy_hdr(d->groups, sizeof d->groups, v);
	mh = d->dir == ENGINE_DOWNLOAD ? ci_http_response_headers(req) :
	    ci_http_request_headers(req);
	svc_lines(mh, &lines, &n);
	/* Every line of a list header, as the browser reads them. */
	if (httphdr_join(lines, n, "Content-Encoding", d->cenc,
	    sizeof d->cenc) < 0)
		d->uninsp = "Content-Encoding too long to read";
	if (d->dir == ENGINE_DOWNLOAD) {
		copy_hdr(d->ctype, sizeof d->ctype,
		    ci_http_response_get_header(req, "Content-Type"));
		copy_hdr(d->etag, sizeof d->etag,
		    ci_http_response_get_header(req, "ETag"));
		copy_hdr(d->lastmod, sizeof d->lastmod,
		    ci_http_response_get_header(req, "Last-Modified"));
		d->partial = httphdr_partial(lines, n, svc_status(mh));
	} else {
		copy_hdr(d->ctype, sizeof d->ctype,
		    ci_http_request_get_header(req, "Content-Type"));
		/* One server takes the first Content-Type, another the last. */
		if (httphdr_conflict(lines, n, "Content-Type"))
			d->uninsp =
			    "ambiguous Content-Type (two different headers)";
	}
	copy_hdr(d->accept, sizeof d->accept, ci_http_request_get_header(req,
	    "Accept"));
	copy_hdr(d->lang, sizeof d->lang, ci_http_request_get_header(req,
	    "Accept-Language"));
	d->hasbody = ci_req_hasbody(req) != 0;
	d->clen = d->hasbody ? (int64_t)ci_http_content_length(req) : 0;
}

static void
svc_set_reason(struct svc_req *d, const char *reason)
{
	snprintf(d->reason, sizeof d->reason, "%s", reason ? reason : "");
}

/* What the verdict cache says of a download it has seen cut off. */
static void
svc_cache_verdict(struct svc_req *d, const struct vcache_entry *e)
{
	d->verdict = e->verdict;
	snprintf(d->reason, sizeof d->reason,
	    "%.150s (blocked before, incident %s)", e->reason, e->incident);
	svc_stat_inc(ST_CACHED, 1);
}

/* The verdict cache key of this download, or NULL when it has none. */
static const char *
svc_cache_key(struct svc_req *d, char *buf, size_t len)
{
	if (d->dir != ENGINE_DOWNLOAD || verdict_cache_key(buf, len, d->url,
	    d->etag, d->lastmod, d->hasbody ? d->clen : -1) != 0)
		return NULL;
	return buf;
}

/* The content key of this download's hashed first bytes, or NULL. */
static const char *
svc_body_key(struct svc_req *d, char *buf, size_t len)
{
	if (verdict_cache_body_key(buf, len, d->host, d->clen, d->pre.want,
	    d->pre.hex) != 0)
		return NULL;
	return buf;
}

/*
 * A download cut off after its release began is blocked on sight for the
 * cache's lifetime, so that the client's retry gets the page. Only where
 * a detection would block: a monitoring rule sees it as before.
 */
static bool
svc_cached_block(struct svc_req *d)
{
	struct vcache_entry	e;
	char			key[VCACHE_KEY_MAX];

	if (d->start != START_SCAN || d->dec.action == POLICY_MONITOR ||
	    svc_cache_key(d, key, sizeof key) == NULL || !vcache_lookup(key,
	    &e))
		return false;
	svc_cache_verdict(d, &e);
	return true;
}

/*
 * Hash a download's first bytes while the verdict cache may hold them:
 * not for a body the hold takes whole anyway, nor under a monitoring rule,
 * nor for one of unknown length (chunked), which the length cannot tell
 * from another that starts the same.
 */
static void
svc_prefix_start(struct svc_req *d)
{
	size_t	want = conf.max_hold < VCACHE_PREFIX ? (size_t)conf.max_hold :
	    VCACHE_PREFIX;

	if (d->dir != ENGINE_DOWNLOAD || conf.verdict_cache_time == 0 ||
	    d->dec.action == POLICY_MONITOR || d->partial || d->clen < 0 ||
	    (uint64_t)d->clen <= want)
		return;
	(void)vcache_prefix_start(&d->pre, want);
}

/* The download's first bytes are in: were they cut off before? */
static void
svc_prefix_lookup(struct svc_req *d)
{
	struct vcache_entry	e;
	char			key[VCACHE_KEY_MAX];

	if (svc_body_key(d, key, sizeof key) == NULL || !vcache_lookup(key,
	    &e))
		return;
	svc_cache_verdict(d, &e);
	d->hit = e;
	d->cached = true;
}

/* A download's first bytes are still to be hashed for its content key. */
static bool
svc_prefix_pending(const struct svc_req *d)
{
	return d->pre.ctx != NULL && !d->pre.done;
}

static void
svc_cache_store(struct svc_req *d)
{
	struct vcache_entry	e;
	char			key[VCACHE_KEY_MAX];

	/* Cut off for what the cache said: its first words stay. */
	if (d->cached)
		e = d->hit;
	else {
		memset(&e, 0, sizeof e);
		e.verdict = d->verdict;
		snprintf(e.reason, sizeof e.reason, "%.*s",
		    (int)sizeof e.reason - 1, d->reason);
		snprintf(e.incident, sizeof e.incident, "%s", d->incident);
	}
	if (svc_cache_key(d, key, sizeof key) != NULL)
		vcache_store(key, &e);
	/* What the content is, not a failure that a retry may not meet. */
	if (d->pre.done && e.verdict != VERDICT_BLOCK_FAILED &&
	    svc_body_key(d, key, sizeof key) != NULL)
		vcache_store(key, &e);
}

/* The mode a request starts in, from its headers and the policy. */
static void
svc_classify(ci_request_t *req, struct svc_req *d)
{
	struct verdict_start_input	in;
	struct policy_facts		f;

	if (d->dir == ENGINE_UPLOAD && conf.crl_host && *conf.crl_host &&
	    crlserve_is_host(conf.crl_host, d->host)) {
		d->mode = M_CRL;
		return;
	}
	/* Squid's word, from the bump snippet: never the client's. */
	if (policy_tls_block(ci_headers_value(req->request_header,
	    "X-Sslinspect-Tls-Block"), &d->dec)) {
		d->start = START_BLOCK;
		d->mode = M_BLOCK;
		d->verdict = VERDICT_BLOCK_POLICY;
		svc_set_reason(d, d->dec.reason);
		return;
	}
	svc_facts(d, &f, NULL, d->clen >= 0 ? d->clen : -1);
	policy_decide(d->pol->p, &f, &d->dec);
	memset(&in, 0, sizeof in);
	in.action = d->dec.action;
	in.pending = d->dec.pending;
	in.inspect = d->dir == ENGINE_UPLOAD ? conf.inspect_uploads :
	    conf.inspect_downloads;
	in.hasbody = ci_req_hasbody(req) != 0;
	d->start = verdict_start(&in);
	svc_set_reason(d, verdict_start_reason(d->start));
	switch (d->start) {
	case START_BLOCK:
		d->mode = M_BLOCK;
		d->verdict = VERDICT_BLOCK_POLICY;
		svc_set_reason(d,
		    d->dec.reason ? d->dec.reason : "blocked by policy");
		break;
	case START_SCAN:
		d->mode = M_HOLD;
		if (svc_cached_block(d))
			d->mode = M_BLOCK;
		break;
	default:
		d->mode = M_PASS;
		break;
	}
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
 * Remove what would make the response a thing the service cannot judge
 * (see verdict_strip_headers): a range, a compression dictionary.
 */
static void
svc_edit_request(ci_request_t *req, struct svc_req *d)
{
	static const char *const ranges[] = { "Range", "Request-Range",
	    "If-Range", NULL };
	static const char *const dicts[] = { "Available-Dictionary",
	    "Dictionary-ID", NULL };
	const char *const *const sets[] = { ranges, dicts };
	struct verdict_strip_input in;
	struct policy_decision dec;
	struct policy_facts f;
	const char *const *lines;
	const char *const *h;
	size_t n, i;

	if (d->dir != ENGINE_UPLOAD || d->mode == M_CRL)
		return;
	svc_lines(ci_http_request_headers(req), &lines, &n);
	memset(&in, 0, sizeof in);
	in.inspect = conf.inspect_downloads;
	for (i = 0; i < 2; i++)
		for (h = sets[i]; *h != NULL; h++)
			in.present |= httphdr_has(lines, n, *h);
	if (!in.present || !in.inspect)
		return;
	svc_facts(d, &f, NULL, -1);
	f.direction = ENGINE_DOWNLOAD;
	f.content_type = NULL;
	policy_decide(d->pol->p, &f, &dec);
	in.action = dec.action;
	in.pending = dec.pending;
	if (!verdict_strip_headers(&in))
		return;
	for (i = 0; i < 2; i++) {
		for (h = sets[i]; *h != NULL; h++) {
			if (httphdr_has(lines, n, *h)) {
				svc_remove_request_header(req, *h);
				d->edited = true;
				/* The lines moved: read them again. */
				svc_lines(ci_http_request_headers(req), &lines,
				    &n);
			}
		}
	}
	if (d->edited)
		ci_debug_printf(5,
		    "sslinspect: %s %s: range or dictionary headers "
		    "removed\n", d->method, d->url);
}

static const char *
finding_engine(const struct body_outcome *o)
{
	return o->nfindings > 0 ? o->findings[0].engine : NULL;
}

static void svc_count_findings(const struct body_outcome *);

/*
 * The request line and headers of an upload or a request without a body,
 * through the DLP engine alone, as a form (httphdr_request_text): a card
 * number in the query, a cookie or a header of its own. A detection that
 * blocks blocks the request at once.
 */
static void
svc_scan_head(ci_request_t *req, struct svc_req *d)
{
	struct engine_profile	prof;
	struct verdict_input	in;
	struct body_params	bp;
	const char *const *lines;
	struct body *b;
	char *text;
	size_t n, len;
	enum verdict v;

	if (d->dir != ENGINE_UPLOAD || !conf.inspect_uploads ||
	    (d->start != START_SCAN && d->start != START_PASS_NOBODY) ||
	    d->mode == M_BLOCK || d->mode == M_CRL)
		return;
	if (d->dec.profile != NULL)
		prof = *d->dec.profile;
	else
		engine_profile_defaults(&prof, ENGINE_UPLOAD);
	if (!prof.dlp)
		return;
	prof.malware = prof.filetype = prof.archives = false;
	prof.blocked_types = NULL;
	svc_lines(ci_http_request_headers(req), &lines, &n);
	if ((text = httphdr_request_text(d->url, lines, n, &len)) == NULL)
		return;
	memset(&bp, 0, sizeof bp);
	bp.engines = engines;
	bp.profile = &prof;
	bp.direction = ENGINE_UPLOAD;
	bp.content_type = "application/x-www-form-urlencoded";
	bp.limits = &conf.limits;
	if ((b = body_new(&bp)) != NULL) {
		body_feed(b, text, len);
		body_end(b, &d->head);
		body_free(b);
	} else {
		d->head.verdict = BODY_ERROR;
		snprintf(d->head.reason, sizeof d->head.reason,
		    "inspection failed: out of memory");
	}
	free(text);
	if (!d->hasbody)
		/* a body counts when it starts */
		svc_stat_inc(ST_REQS, 1);
	d->head_found = d->head.nfindings > 0;
	if (d->head.verdict == BODY_CLEAN && d->head.nfindings == 0)
		return;
	memset(&in, 0, sizeof in);
	/* A block that waits for the body's type is no block yet. */
	in.action = d->dec.pending && d->dec.action == POLICY_BLOCK ?
	    POLICY_INSPECT : d->dec.action;
	in.body = d->head.verdict;
	in.detected = d->head.nfindings > 0;
	in.fail_open = conf.fail_open;
	in.uninspectable_allow = conf.uninspectable == SVC_ACT_ALLOW;
	v = verdict_decide(&in);
	if (!verdict_blocks(v) && d->hasbody)
		return;		/* merged into the body's outcome at the end */
	d->out = d->head;
	d->scanned = true;
	d->verdict = v;
	d->engine = finding_engine(&d->head);
	if (d->head.nfindings > 0)
		svc_count_findings(&d->head);
	if (verdict_blocks(v)) {
		d->mode = M_BLOCK;
		svc_set_reason(d,
		    v == VERDICT_BLOCK_FAILED ? "inspection failed" :
		    d->head.reason);
	} else
		svc_set_reason(d, d->head.reason);
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
	struct svc_req	*d;
	int		 type = ci_req_type(req);

	if (type != ICAP_REQMOD && type != ICAP_RESPMOD)
		return NULL;
	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &d->t0);
	audit_incident(d->incident, sizeof d->incident);
	/*
	 * On every ICAP answer (204 included), so that Squid can log it with
	 * %{X-Sslinspect-Incident}adapt::<last_h next to the transaction.
	 */
	svc_xheader(req, "X-Sslinspect-Incident", d->incident);
	d->dir = type == ICAP_REQMOD ? ENGINE_UPLOAD : ENGINE_DOWNLOAD;
	d->verdict = VERDICT_ALLOW;
	d->corked = -1;
	if ((d->pol = pol_get()) == NULL) {
		free(d);
		return NULL;
	}
	svc_collect(req, d);
	svc_classify(req, d);
	svc_edit_request(req, d);
	svc_scan_head(req, d);
	return d;
}

static void
svc_count_findings(const struct body_outcome *o)
{
	size_t		 i, s;
	const char	*e;

	for (i = 0; i < o->nfindings; i++) {
		if ((e = o->findings[i].engine) == NULL)
			continue;
		for (s = 0; s < ST_COUNT; s++)
			if (svc_stats[s].engine != NULL &&
			    strcmp(svc_stats[s].engine, e) == 0)
				svc_stat_inc(s, 1);
	}
}

/* Milliseconds from a to now; never negative, never wrapped. */
static uint64_t
svc_ms_since(const struct timespec *a)
{
	struct timespec	now;
	int64_t		ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - a->tv_sec) * 1000000000 +
	    (now.tv_nsec - a->tv_nsec);
	return ns > 0 ? (uint64_t)ns / 1000000 : 0;
}

static void
svc_audit(struct svc_req *d)
{
	struct audit_record	r;
	char			path[sizeof d->url];

	memset(&r, 0, sizeof r);
	r.when = time(NULL);
	r.client_ip = d->ip[0] ? d->ip : NULL;
	r.user = d->user[0] ? d->user : NULL;
	r.method = d->method;
	r.host = d->host;
	r.path = d->path;
	if (d->head_found && d->path != NULL) {
		/*
		 * The URL carries what was found: none of its digits are kept.
		 */
		snprintf(path, sizeof path, "%s", d->path);
		httphdr_mask_digits(path);
		r.path = path;
	}
	r.direction = d->dir;
	r.bodiless = !d->hasbody;
	r.verdict = verdict_name(d->verdict);
	r.rule = d->mode == M_CRL ? "crl" : d->dec.rule;
	r.category = d->mode == M_CRL ? NULL : d->dec.category;
	r.reason = d->reason[0] ? d->reason : NULL;
	r.engine = d->engine;
	r.findings = d->out.findings;
	r.nfindings = d->scanned ? d->out.nfindings : 0;
	r.skips = d->out.skips;
	r.nskips = d->scanned ? d->out.nskips : 0;
	r.bytes = d->bytes;
	r.msec = svc_ms_since(&d->t0);
	r.incident = d->incident;
	audit_write(&r);
	if (d->scanned)
		svc_stat_inc(ST_MSEC,
		    (int)(r.msec > INT32_MAX ? INT32_MAX : r.msec));
}

/* Allowed, Blocked or Monitored, and for a block or fail-open its cause. */
static void
svc_count_verdict(enum verdict v)
{
	enum svc_stat	cause = verdict_stat[v];

	if (verdict_blocks(v))
		svc_stat_inc(ST_BLOCK, 1);
	else
		svc_stat_inc(cause == ST_MONITOR ? ST_MONITOR : ST_ALLOW, 1);
	if (verdict_blocks(v) || cause == ST_FAILOPEN)
		svc_stat_inc(cause, 1);
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
	/*
	 * A request without a body that nothing blocked and nothing was
	 * found in is logged by its response.
	 */
	if (!(d->dir == ENGINE_UPLOAD && d->start == START_PASS_NOBODY &&
	    d->mode == M_PASS && !d->scanned))
		svc_audit(d);
	svc_count_verdict(d->verdict);
	if (d->file != NULL)
		ci_cached_file_destroy(d->file);
	free(d->stage);
	free(d->ra);
	vcache_prefix_free(&d->pre);
	if (d->page != NULL)
		ci_membuf_free(d->page);
	body_free(d->body);
	pol_put(d->pol);
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
 * client's transfer off, and remember the verdict for the retry.
 */
static int
svc_cut(struct svc_req *d)
{
	d->cut = true;
	snprintf(d->reason + strlen(d->reason), sizeof d->reason -
	    strlen(d->reason), " (transfer cut off)");
	svc_cache_store(d);
	svc_stat_inc(ST_CUT, 1);
	ci_debug_printf(2, "sslinspect: %s %s cut off after %llu bytes: %s "
	    "(incident %s)\n", d->method, d->url, (unsigned long long)d->bytes,
	    d->reason, d->incident);
	return CI_ERROR;
}

static int
svc_block(ci_request_t *req, struct svc_req *d)
{
	struct block_info	 bi;
	char			*page = NULL, inc[64];
	const char		*ctype = "text/html; charset=utf-8";
	const char		*extra[] = { "Cache-Control: no-store", inc,
	    NULL };
	size_t			 len = 0;
	int			 rc;

	if (ci_req_sent_data(req) || d->mode == M_STREAM)
		return svc_cut(d);
	memset(&bi, 0, sizeof bi);
	bi.kind = block_kind[d->verdict];
	bi.reason = d->verdict == VERDICT_BLOCK_POLICY ?
	    d->dec.reason : d->reason;
	bi.rule = d->dec.rule;
	bi.category = d->dec.category;
	bi.url = d->url;
	bi.user = d->user[0] ? d->user : NULL;
	bi.client_ip = d->ip[0] ? d->ip : NULL;
	bi.incident = d->incident;
	bi.when = time(NULL);
	bi.direction = d->dir;
	bi.bodiless = !d->hasbody;
	bi.findings = d->scanned ? d->out.findings : NULL;
	bi.nfindings = d->scanned ? d->out.nfindings : 0;
	bi.conf = &conf;
	snprintf(inc, sizeof inc, "X-Sslinspect-Incident: %s", d->incident);
	if (conf.block_page && blockpage_wants_json(d->accept)) {
		page = blockpage_json(&bi, &len);
		ctype = "application/json";
	} else if (conf.block_page)
		page = blockpage_render(templates, d->lang, &bi, &len);
	ci_request_set_str_attribute(req, SVC_NAME ":verdict", "block");
	ci_debug_printf(3,
	    "sslinspect: block %s %s: %s (rule %s, incident %s)\n",
	    d->method, d->url, d->reason, d->dec.rule ? d->dec.rule : "-",
	    d->incident);
	rc = svc_respond(req, d, "HTTP/1.1 403 Forbidden", ctype,
	    page ? page : "",
	    page ? len : 0, extra);
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
	d->mode = M_BLOCK;
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

	svc_stat_inc(ST_CRL, 1);
	crlserve_lookup(conf.crl_dir, d->path ? d->path : "/", &r);
	svc_set_reason(d, r.status == 200 ? "crl" : "crl not found");
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
	const char	*te;
	char		 h[64];

	if (d->dir != ENGINE_DOWNLOAD || d->clen >= 0 || d->partial)
		return;
	te = ci_http_response_get_header(req, "Transfer-Encoding");
	if (te != NULL && strcasecmp(te, "chunked") != 0)
		return;
	if (te != NULL)
		ci_http_response_remove_header(req, "Transfer-Encoding");
	snprintf(h, sizeof h, "Content-Length: %llu",
	    (unsigned long long)d->bytes);
	ci_http_response_add_header(req, h);
}

/*
 * A clean (or passed) held body: 204 if the proxy allows it and the
 * request was not edited, else echo.
 */
static int
svc_release_body(ci_request_t *req, struct svc_req *d)
{
	if (!d->edited &&
	    (d->in_preview || (!ci_req_sent_data(req) && ci_req_allow204(req))))
		return CI_MOD_ALLOW204;
	if (d->mode == M_HOLD) {
		svc_frame_held(req, d);
		svc_cork(req, d, 1);
	}
	ci_cached_file_unlock_all(d->file);
	ci_req_unlock_data(req);
	return CI_MOD_DONE;
}

/* The reason the audit line and the page give for a final verdict. */
static void
svc_verdict_reason(struct svc_req *d)
{
	const struct body_outcome	*o = &d->out;

	switch (d->verdict) {
	case VERDICT_BLOCK_POLICY:
		svc_set_reason(d,
		    d->dec.reason ? d->dec.reason : "blocked by policy");
		break;
	case VERDICT_BLOCK_FAILED:
	case VERDICT_FAIL_OPEN:
		ci_debug_printf(1, "sslinspect: %s %s: %s\n", d->method, d->url,
		    o->reason);
		svc_set_reason(d, "inspection failed");
		break;
	case VERDICT_ALLOW:
		svc_set_reason(d, d->ahead ? "request sent ahead of its body" :
		    d->mode == M_STREAM ? "released while scanned" : NULL);
		break;
	default:
		if (d->partial && o->verdict == BODY_CLEAN && o->nfindings == 0)
			svc_set_reason(d,
			    "a range of a file (partial content), "
			    "not an image or media: cannot be inspected");
		else
			svc_set_reason(d, o->reason);
		break;
	}
}

/* The request's own findings join the body's. */
static void
svc_merge_head(struct svc_req *d)
{
	size_t	i;

	for (i = 0; i < d->head.nfindings &&
	    d->out.nfindings < ENGINE_MAX_FINDINGS; i++)
		d->out.findings[d->out.nfindings++] = d->head.findings[i];
	d->head.nfindings = 0;
}

/*
 * The verdict on the outcome in d->out, after a second look at the policy
 * when its rule waited for the true type or size: once for every true
 * type the body holds (a text field, then a PE file), the worst verdict
 * and its rule winning.
 */
static void
svc_decide(struct svc_req *d)
{
	const struct body_outcome	*o = &d->out;
	struct policy_decision		 dec, best;
	struct verdict_input		 in;
	struct policy_facts		 f;
	unsigned			 i, n;
	enum verdict			 v;

	svc_merge_head(d);
	memset(&in, 0, sizeof in);
	in.body = o->verdict;
	in.detected = o->nfindings > 0;
	in.fail_open = conf.fail_open;
	in.uninspectable_allow = conf.uninspectable == SVC_ACT_ALLOW;
	in.partial = d->partial;
	in.partial_media = verdict_media_types(o->true_types, o->ntypes);
	if (!d->dec.pending) {
		in.action = d->dec.action;
		d->verdict = verdict_decide(&in);
	} else {
		n = o->ntypes > 0 ? o->ntypes : 1;
		for (i = 0; i < n; i++) {
			svc_facts(d, &f,
			    o->ntypes > 0 ? o->true_types[i] : NULL,
			    (int64_t)d->bytes);
			policy_decide(d->pol->p, &f, &dec);
			in.action = dec.action;
			v = verdict_decide(&in);
			if (i == 0 ||
			    verdict_rank(v) > verdict_rank(d->verdict)) {
				d->verdict = v;
				best = dec;
			}
		}
		d->dec = best;
	}
	d->engine = finding_engine(o);
	if (o->nfindings > 0)
		svc_count_findings(o);
	svc_verdict_reason(d);
}

/* Apply the verdict: release the body, or block (page, or cut off). */
static int
svc_apply(ci_request_t *req, struct svc_req *d)
{
	if (verdict_blocks(d->verdict))
		return svc_block(req, d);
	return svc_release_body(req, d);
}

/* The whole body is in: the engines' outcome and the verdict. */
static int
svc_scan_end(ci_request_t *req, struct svc_req *d)
{
	body_end(d->body, &d->out);
	d->scanned = true;
	ci_stat_kbs_inc(svc_stats[ST_BYTES].id,
	    (int)(d->out.raw_bytes > INT32_MAX ?
	    INT32_MAX : d->out.raw_bytes));
	svc_decide(d);
	return svc_apply(req, d);
}

/*
 * Before the end: a detection already certain, or an outcome already
 * settled (a bomb, a broken encoding) that blocks. The scan under way is
 * ended so that its findings give the reason. 1 when decided, else 0.
 */
static int
svc_settled_early(struct svc_req *d)
{
	struct verdict_input	in;

	if (!body_detected(d->body) && !body_settled(d->body))
		return 0;
	memset(&in, 0, sizeof in);
	in.action = d->dec.action;
	in.body = body_detected(d->body) ? BODY_FOUND : body_state(d->body);
	in.detected = body_detected(d->body);
	in.fail_open = conf.fail_open;
	in.uninspectable_allow = conf.uninspectable == SVC_ACT_ALLOW;
	if (!verdict_blocks(verdict_decide(&in)))
		return 0;
	body_stop(d->body, &d->out);
	d->scanned = true;
	svc_decide(d);
	return verdict_blocks(d->verdict);
}

/*
 * Release what has been scanned, all but the tail kept for the end, paced
 * by what the origin sends (STREAM_PACE).
 */
static void
svc_stream_release(struct svc_req *d)
{
	uint64_t	max = d->dir == ENGINE_UPLOAD ?
	    conf.max_upload : conf.max_hold;
	uint64_t	tail = max < STREAM_TAIL ? max : STREAM_TAIL;
	uint64_t	lim, pace;

	if (d->ahead || d->bytes <= tail)
		return;
	lim = d->bytes - tail;
	pace = STREAM_BURST + STREAM_PACE * (d->bytes - d->stream_from);
	ci_cached_file_unlock(d->file, (ci_off_t)(lim < pace ? lim : pace));
}

/*
 * Stop holding: c-icap now sends the HTTP headers, then what is unlocked.
 * Released while scanned, or (ahead: an upload past MaxUploadHoldTime)
 * only the request line and headers, so that Squid forwards them on its
 * pinned server connection while the origin still waits on it; the body
 * then stays held whole (svc_stream_release) until the verdict, and a
 * block cuts the upload off: the client gets Squid's ICAP error page, the
 * origin an unfinished request. Nothing staged may hide a detection from
 * the release. CI_OK or CI_ERROR.
 */
static int
svc_release_begin(ci_request_t *req, struct svc_req *d, bool ahead)
{
	if (svc_stage_flush(d, 0) != 0)
		return CI_ERROR;
	if (d->cached || svc_settled_early(d))
		return svc_block_now(req, d);
	d->mode = M_STREAM;
	d->ahead = ahead;
	d->stream_from = d->bytes;
	svc_stat_inc(ahead ? ST_AHEAD : ST_STREAMED, 1);
	ci_debug_printf(3, "sslinspect: %s %s: %s from byte %llu\n", d->method,
	    d->url, ahead ? "request sent ahead of its body" :
	    "released while scanned", (unsigned long long)d->bytes);
	ci_req_unlock_data(req);
	return CI_OK;
}

/*
 * After new body bytes: decide early where the outcome allows it, and stop
 * holding past MaxHoldSize or MaxHoldTime. CI_OK or CI_ERROR.
 */
static int
svc_check(ci_request_t *req, struct svc_req *d)
{
	struct verdict_hold_input	h;

	if (d->cached || svc_settled_early(d))
		return d->mode == M_STREAM ? svc_cut(d) : svc_block_now(req, d);
	if (d->mode == M_HOLD) {
		memset(&h, 0, sizeof h);
		h.upload = d->dir == ENGINE_UPLOAD;
		/* A body announced too large is not held to find out. */
		h.bytes = d->bytes + d->nstage;
		if (d->clen > 0 && (uint64_t)d->clen > h.bytes)
			h.bytes = (uint64_t)d->clen;
		h.held_ms = svc_ms_since(&d->t_body);
		h.max_bytes = h.upload ? conf.max_upload : conf.max_hold;
		h.max_ms = (uint64_t)conf.max_hold_time * 1000;
		h.ahead_ms = (uint64_t)conf.max_upload_hold_time * 1000;
		h.oversize_allow = (h.upload ? conf.oversize_upload :
		    conf.oversize_download) == SVC_ACT_ALLOW;
		h.no_stream = d->partial;
		switch (verdict_hold(&h)) {
		case HOLD_STREAM:
			/*
			 * The content key's bytes are held first (fewer than
			 * any Squid can hold), so that a retry under another
			 * URL gets the page, not another cut.
			 */
			if (svc_prefix_pending(d) && d->bytes + d->nstage <
			    d->pre.want && (h.max_ms == 0 ||
			    h.held_ms < h.max_ms))
				break;
			if (svc_release_begin(req, d, false) != CI_OK)
				return CI_ERROR;
			break;
		case HOLD_AHEAD:
			return svc_release_begin(req, d, true);
		case HOLD_OVERSIZE:
			d->verdict = VERDICT_BLOCK_UNINSPECTABLE;
			svc_set_reason(d,
			    d->partial ? "a range of a file (partial "
			    "content) too large to hold: cannot be inspected" :
			    "too large to inspect");
			return svc_block_now(req, d);
		default:
			break;
		}
	}
	if (d->mode == M_STREAM)
		svc_stream_release(d);
	return CI_OK;
}

/* Start inspecting: the held file and the body pipeline. 0 or -1. */
static int
svc_start_scan(struct svc_req *d)
{
	struct body_params	bp;

	memset(&bp, 0, sizeof bp);
	bp.engines = engines;
	bp.profile = d->dec.profile;
	bp.direction = d->dir;
	bp.content_type = d->ctype[0] ? d->ctype : NULL;
	bp.content_encoding = d->cenc[0] ? d->cenc : NULL;
	bp.uninspectable = d->uninsp;
	bp.limits = &conf.limits;
	if ((d->file = ci_cached_file_new(0)) == NULL ||
	    (d->body = body_new(&bp)) == NULL)
		return -1;
	ci_cached_file_lock_all(d->file);
	clock_gettime(CLOCK_MONOTONIC, &d->t_body);
	svc_stat_inc(ST_REQS, 1);
	svc_prefix_start(d);
	return 0;
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
	if (f->fd < 0)
		return rc;
	if (f->filename[0] != '\0') {
		unlink(f->filename);
		f->filename[0] = '\0';
	}
	/*
	 * c-icap 0.5 counts bytes it failed to append to the file (a full
	 * TmpDir) as written: what follows would then be released without
	 * them, and the end would never come. The file's size says.
	 */
	if (rc >= 0 && len > 0 &&
	    (fstat(f->fd, &sb) != 0 || sb.st_size != f->endpos)) {
		ci_debug_printf(1, "sslinspect: a spool file in TmpDir is "
		    "short of its data (TmpDir full?); the request fails\n");
		return -1;
	}
	return rc;
}

/*
 * Spool body bytes (to be released or echoed) and scan them; d->bytes
 * counts the bytes that are both. -1 when the spool fails.
 */
static int
svc_spool_scan(struct svc_req *d, const char *buf, size_t len, int eof)
{
	if (svc_spool(d->file, buf, (int)len, eof) < 0)
		return -1;
	if (len > 0)
		body_feed(d->body, buf, len);
	/* At the end the whole body was scanned: its own verdict stands. */
	if (vcache_prefix_feed(&d->pre, buf, len) && !eof)
		svc_prefix_lookup(d);
	d->bytes += (uint64_t)len;
	return 0;
}

/* Spool and scan what is staged, and note the end when eof. */
static int
svc_stage_flush(struct svc_req *d, int eof)
{
	size_t	n = d->nstage;

	d->nstage = 0;
	if (n == 0 && !eof)
		return 0;
	return svc_spool_scan(d, d->stage, n, eof);
}

/*
 * Take body bytes: at once while the body is short, else staged (see
 * STAGE_SIZE). Every byte taken is spooled and scanned before any of it
 * can be released: svc_stream_release goes by d->bytes, which staged bytes
 * are not part of yet.
 */
static int
svc_take(struct svc_req *d, const char *buf, int len, int eof)
{
	size_t	n = len > 0 ? (size_t)len : 0;

	if (d->nstage == 0 && (d->bytes < STAGE_AFTER || n >= STAGE_SIZE))
		return svc_spool_scan(d, buf, n, eof);
	if (d->stage == NULL && (d->stage = malloc(STAGE_SIZE)) == NULL)
		return svc_spool_scan(d, buf, n, eof);
	if (d->nstage + n > STAGE_SIZE && svc_stage_flush(d, 0) != 0)
		return -1;
	if (n >= STAGE_SIZE)
		return svc_spool_scan(d, buf, n, eof);
	if (d->nstage == 0)
		clock_gettime(CLOCK_MONOTONIC, &d->t_stage);
	memcpy(d->stage + d->nstage, buf, n);
	d->nstage += n;
	if (eof || d->nstage == STAGE_SIZE ||
	    svc_ms_since(&d->t_stage) >= STAGE_MS)
		return svc_stage_flush(d, eof);
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
	    "sending the rest\n", d->method, d->url, (long long)f->readpos,
	    (long long)f->endpos, (long long)f->unlocked,
	    (unsigned)f->flags);
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
		return d->edited ? CI_MOD_CONTINUE : CI_MOD_ALLOW204;
	if (!d->edited && (data != NULL || ci_req_allow204(req)))
		return CI_MOD_ALLOW204;
	d->mode = M_ECHO;
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
	d->mode = verdict_blocks(d->verdict) ? M_BLOCK : M_DONE;
	return CI_MOD_CONTINUE;
}

/* Inspect from the preview on; a body announced too large is not held. */
static int
svc_preview_scan(char *data, int len, ci_request_t *req, struct svc_req *d)
{
	int	eof = ci_req_hasalldata(req);

	if (svc_start_scan(d) != 0 || svc_take(d, data, len, eof) != 0)
		return CI_ERROR;
	if (eof)
		return svc_preview_decide(req, d);
	if (svc_check(req, d) != CI_OK)
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
	switch (d->mode) {
	case M_PASS:
		return svc_pass(data, len, req, d);
	case M_HOLD:
		return svc_preview_scan(data, len, req, d);
	case M_BLOCK:
	case M_CRL:
		/*
		 * Answer now (early response); the rest of the body is dropped.
		 */
		if ((d->mode == M_BLOCK ? svc_block(req, d) : svc_crl(req,
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

	switch (d->mode) {
	case M_HOLD:
	case M_STREAM:
		if (svc_take(d, rbuf, n, iseof) != 0)
			return CI_ERROR;
		if (d->nstage > 0 && !svc_more_at_hand(req) &&
		    svc_stage_flush(d, 0) != 0)
			return CI_ERROR;
		return svc_check(req, d);
	case M_ECHO:
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
	d->bytes += (uint64_t)n;
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
		if (svc_stage_flush(d, 1) != 0)
			return CI_ERROR;
	} else if (d->nstage > 0 && d->mode == M_STREAM &&
	    svc_ms_since(&d->t_stage) >= STAGE_MS) {
		/* a slow body: what waits goes on to the client */
		if (svc_stage_flush(d, 0) != 0 || svc_check(req, d) != CI_OK)
			return CI_ERROR;
	}
	if (wbuf != NULL && wlen != NULL && *wlen > 0) {
		if (d->page != NULL)
			*wlen = ci_membuf_read(d->page, wbuf, *wlen);
		else if (d->file != NULL && d->mode != M_BLOCK)
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
	body_end(d->body, &d->out);
	d->scanned = true;
	ci_stat_kbs_inc(svc_stats[ST_BYTES].id,
	    (int)(d->out.raw_bytes > INT32_MAX ?
	    INT32_MAX : d->out.raw_bytes));
	svc_decide(d);
	if (verdict_blocks(d->verdict))
		return svc_cut(d);
	ci_cached_file_unlock_all(d->file);
	return CI_MOD_DONE;
}

/* The body's end came in: the verdict on what is left to send. */
static int
svc_end(ci_request_t *req, struct svc_req *d)
{
	if (d->file != NULL && svc_stage_flush(d, 1) != 0)
		return CI_ERROR;
	switch (d->mode) {
	case M_CRL:
		return d->page != NULL ? CI_MOD_DONE : svc_crl(req, d);
	case M_BLOCK:
		return d->page != NULL ? CI_MOD_DONE : svc_block(req, d);
	case M_HOLD:
		return svc_scan_end(req, d);
	case M_STREAM:
		return svc_stream_end(req, d);
	case M_ECHO:
		if (d->file != NULL)
			ci_cached_file_unlock_all(d->file);
		ci_req_unlock_data(req);
		return CI_MOD_DONE;
	case M_DONE:
		return CI_MOD_DONE;
	default:
		return ci_req_allow204(req) && !d->edited ? CI_MOD_ALLOW204 :
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
