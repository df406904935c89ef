/*
 * srv_sslinspect: the c-icap service (name "sslinspect") that enforces
 * policy on decrypted traffic: uploads in REQMOD, downloads in RESPMOD.
 *
 * This file is the thin glue to c-icap 0.5: callbacks, directives, stats,
 * the policy reference shared by threads. What to do with a request is
 * decided by the pure code of libsvc (policy.c, body.c, blockpage.c ...).
 *
 * Nothing is released to the proxy before the verdict: the body is held
 * (locked) in a c-icap cached file, in memory up to c-icap's MaxMemObject
 * and spilled to a temp file beyond, while it is decoded and scanned chunk
 * by chunk (a temp file for every body cost a write, a read and two lseeks
 * per 4 KiB piece); a clean body is then answered with 204 when the proxy
 * allows it, else echoed from the file. Failures block unless FailOpen.
 *
 * ICAP 206 is never answered: Squid 5.7 allows it exactly where it allows
 * 204 (inside the preview, or after it for a body of known size under
 * 64 KiB; ModXact.cc makeAllowHeader, shouldAllow206in/out), and for an
 * unmodified body 204 is the cheaper of the two. A large body can skip the
 * echo only when it is decided inside the preview, see srv_sslinspect(5).
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fcntl.h>
#include <libgen.h>
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

#include "svc.h"

#define SVC_NAME	"sslinspect"
#define SVC_NDIRECTIVES	64
#define POLICY_FILE_MAX	(16 * 1024 * 1024)
/* Bodies up to this size are held whole: Squid buffers them in its pipe. */
#define SVC_HOLD_MAX	(60 * 1024)

enum svc_mode {
	M_PASS,		/* no inspection: 204 */
	M_ECHO,		/* no inspection, proxy allows no 204: echo */
	M_SCAN,		/* hold, inspect, decide at the end */
	M_UNSCANNED,	/* over the size limit, streamed unscanned */
	M_BLOCK,	/* decided: block page at the end */
	M_CRL		/* answered from the CRL directory */
};

struct polref {
	struct policy	*p;
	int		 refs;
};

struct svc_req {
	enum svc_mode	 mode;
	enum engine_direction dir;
	char		 method[16];
	char		 url[2048];
	char		 host[256];
	const char	*path;
	char		 ip[64];
	char		 user[256];
	char		 groups[512];
	char		 ctype[256];
	char		 cenc[128];
	char		 accept[256];
	char		 lang[128];
	int64_t		 clen;
	struct polref	*pol;
	struct policy_decision dec;
	ci_cached_file_t *file;
	struct body	*body;
	ci_membuf_t	*page;
	uint64_t	 bytes;
	struct timespec	 t0;
	char		 incident[20];
	const char	*verdict;
	char		 reason[200];
	const char	*engine;
	struct body_outcome out;
	bool		 scanned;
	bool		 hasbody;
	bool		 in_preview;	/* deciding inside the preview: 204 allowed */
	bool		 early;		/* HTTP headers sent, body held */
	int		 corked;	/* connection fd while TCP_CORK is on, or -1 */
};

static struct svc_config conf;
static struct ci_conf_entry conf_entries[SVC_NDIRECTIVES];
static struct engine_set *engines;
static struct tmplset *templates;
static pthread_mutex_t pol_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct polref *pol_cur;

static int st_reqs = -1, st_allow = -1, st_block = -1, st_monitor = -1;
static int st_unscanned = -1, st_policy = -1, st_found = -1, st_uninsp = -1;
static int st_failed = -1, st_failopen = -1, st_crl = -1, st_bytes = -1;
static int st_msec = -1, st_dlp = -1, st_malware = -1, st_hash = -1;
static int st_filetype = -1, st_archive = -1;

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

/* ---- directives ------------------------------------------------------- */

/* c-icap action for every sslinspect.* directive: 1 on success, 0 on error. */
static int
svc_conf_action(const char *name, const char **argv, void *setdata)
{
	const struct svcconf_entry *e = setdata;
	char value[4096], *cause = NULL;
	size_t i, len = 0;

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
	size_t i;

	for (i = 0; svcconf_table[i].name != NULL && i + 1 < SVC_NDIRECTIVES; i++) {
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
	struct polref *r;

	pthread_mutex_lock(&pol_mtx);
	if ((r = pol_cur) != NULL)
		r->refs++;
	pthread_mutex_unlock(&pol_mtx);
	return r;
}

static void
pol_put(struct polref *r)
{
	int last;

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
	struct polref *r, *old;

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

static char *
svc_read_file(const char *path, size_t *len)
{
	FILE *f;
	char *buf;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(POLICY_FILE_MAX + 1)) != NULL) {
		*len = fread(buf, 1, POLICY_FILE_MAX + 1, f);
		if (ferror(f) || *len > POLICY_FILE_MAX) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static void
svc_save_last_good(const char *path)
{
	char *buf, tmp[4200];
	size_t len;
	FILE *f;
	int fd;

	if (last_good[0] == '\0' || (buf = svc_read_file(path, &len)) == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%s.new", last_good);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0 &&
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
	char *buf, *dir, name[4200], *cause = NULL;
	struct policy *p = NULL;
	size_t len;

	if (last_good[0] == '\0' || (buf = svc_read_file(last_good, &len)) == NULL)
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
	struct policy *p;
	char *cause = NULL;
	bool file = conf.policy_file != NULL && *conf.policy_file != '\0';

	p = file ? policy_load(conf.policy_file, &cause) : policy_default();
	if (p == NULL && startup && pol_cur == NULL && file &&
	    (p = svc_load_last_good()) != NULL) {
		ci_debug_printf(1, "sslinspect: policy not loaded, using the last "
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
	char *g = "Service sslinspect";

	st_reqs = ci_stat_entry_register("Requests inspected", STAT_INT64_T, g);
	st_allow = ci_stat_entry_register("Allowed", STAT_INT64_T, g);
	st_block = ci_stat_entry_register("Blocked", STAT_INT64_T, g);
	st_monitor = ci_stat_entry_register("Monitored (found, not blocked)", STAT_INT64_T, g);
	st_unscanned = ci_stat_entry_register("Passed unscanned (over size)", STAT_INT64_T, g);
	st_policy = ci_stat_entry_register("Blocked: policy rule", STAT_INT64_T, g);
	st_found = ci_stat_entry_register("Blocked: detection", STAT_INT64_T, g);
	st_uninsp = ci_stat_entry_register("Blocked: uninspectable", STAT_INT64_T, g);
	st_failed = ci_stat_entry_register("Blocked: inspection failed", STAT_INT64_T, g);
	st_failopen = ci_stat_entry_register("Fail-open passes", STAT_INT64_T, g);
	st_crl = ci_stat_entry_register("CRL requests", STAT_INT64_T, g);
	st_dlp = ci_stat_entry_register("Findings: dlp", STAT_INT64_T, g);
	st_malware = ci_stat_entry_register("Findings: malware", STAT_INT64_T, g);
	st_hash = ci_stat_entry_register("Findings: hash", STAT_INT64_T, g);
	st_filetype = ci_stat_entry_register("Findings: filetype", STAT_INT64_T, g);
	st_archive = ci_stat_entry_register("Findings: archive", STAT_INT64_T, g);
	st_msec = ci_stat_entry_register("Scan time (ms)", STAT_INT64_T, g);
	st_bytes = ci_stat_entry_register("Body bytes scanned", STAT_KBS_T, g);
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
	struct engine_config ec;
	char *cause = NULL;

	ci_service_set_istag(xdata, "sslinspect-" PACKAGE_VERSION);
	if (audit_open(conf.audit_log, &cause) != 0) {
		ci_debug_printf(1, "sslinspect: audit log: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	blockpage_set_free(templates);
	templates = blockpage_set_load(conf.template_dir);
	svcconf_engine(&conf, &ec);
	ec.tmpdir = sc != NULL ? sc->TMPDIR : NULL;
	if (engines == NULL && (engines = engine_set_load(&ec, &cause)) == NULL) {
		ci_debug_printf(1, "sslinspect: engines not loaded (%s): "
		    "inspected traffic will %s\n", cause ? cause : "?",
		    conf.fail_open ? "pass (FailOpen on)" : "be blocked");
		free(cause);
	}
	if (sc != NULL && sc->TMPDIR != NULL)
		snprintf(last_good, sizeof last_good, "%s/sslinspect-policy.last-good",
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
	if (engines != NULL)
		engine_set_free(engines);
	engines = NULL;
	blockpage_set_free(templates);
	templates = NULL;
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
	const char *line = ci_http_request(req), *sp;
	size_t l;

	if (line == NULL)
		return;
	l = strcspn(line, " ");
	copy_hdr(d->method, l < sizeof d->method ? l + 1 : sizeof d->method, line);
	sp = line + l + strspn(line + l, " ");
	l = strcspn(sp, " ");
	if (l >= sizeof d->url)
		l = sizeof d->url - 1;
	memcpy(d->url, sp, l);
	d->url[l] = '\0';
}

static void
svc_facts(struct svc_req *d, struct policy_facts *f, const char *ttype, int64_t size)
{
	memset(f, 0, sizeof *f);
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

static void
svc_collect(ci_request_t *req, struct svc_req *d)
{
	ci_headers_list_t *ih = req->request_header;
	const char *v;

	svc_request_line(req, d);
	if (policy_url_host(d->url, d->host, sizeof d->host, &d->path) != 0 ||
	    d->host[0] == '\0') {
		copy_hdr(d->host, sizeof d->host, ci_http_request_get_header(req, "Host"));
		d->host[strcspn(d->host, ":")] = '\0';
		d->path = d->url;
	}
	copy_hdr(d->ip, sizeof d->ip, ci_headers_value(ih, "X-Client-IP"));
	copy_hdr(d->user, sizeof d->user, ci_headers_value(ih, "X-Client-Username"));
	if ((v = ci_headers_value(ih, "X-Client-Groups")) == NULL)
		v = ci_headers_value(ih, "X-Authenticated-Groups");
	copy_hdr(d->groups, sizeof d->groups, v);
	if (d->dir == ENGINE_DOWNLOAD) {
		copy_hdr(d->ctype, sizeof d->ctype, ci_http_response_get_header(req, "Content-Type"));
		copy_hdr(d->cenc, sizeof d->cenc, ci_http_response_get_header(req, "Content-Encoding"));
	} else {
		copy_hdr(d->ctype, sizeof d->ctype, ci_http_request_get_header(req, "Content-Type"));
		copy_hdr(d->cenc, sizeof d->cenc, ci_http_request_get_header(req, "Content-Encoding"));
	}
	copy_hdr(d->accept, sizeof d->accept, ci_http_request_get_header(req, "Accept"));
	copy_hdr(d->lang, sizeof d->lang, ci_http_request_get_header(req, "Accept-Language"));
	d->hasbody = ci_req_hasbody(req) != 0;
	d->clen = d->hasbody ? (int64_t)ci_http_content_length(req) : 0;
}

static void
svc_set_reason(struct svc_req *d, const char *verdict, const char *reason)
{
	d->verdict = verdict;
	snprintf(d->reason, sizeof d->reason, "%s", reason ? reason : "");
}

/* The mode a request starts in, from its headers and the policy. */
static void
svc_classify(ci_request_t *req, struct svc_req *d)
{
	struct policy_facts f;
	bool inspect;

	if (d->dir == ENGINE_UPLOAD && conf.crl_host && *conf.crl_host &&
	    crlserve_is_host(conf.crl_host, d->host)) {
		d->mode = M_CRL;
		return;
	}
	svc_facts(d, &f, NULL, d->clen >= 0 ? d->clen : -1);
	policy_decide(d->pol->p, &f, &d->dec);
	inspect = d->dir == ENGINE_UPLOAD ? conf.inspect_uploads : conf.inspect_downloads;
	if (d->dec.action == POLICY_BLOCK && !d->dec.pending) {
		d->mode = M_BLOCK;
		svc_set_reason(d, "block", d->dec.reason ? d->dec.reason : "blocked by policy");
		ci_stat_uint64_inc(st_policy, 1);
	} else if (d->dec.action == POLICY_ALLOW && !d->dec.pending) {
		d->mode = M_PASS;
		svc_set_reason(d, "allow", "allowed by policy");
	} else if (!inspect || !ci_req_hasbody(req)) {
		d->mode = M_PASS;
		svc_set_reason(d, "allow", inspect ? "no body" : "inspection off");
	} else
		d->mode = M_SCAN;
}

static void
svc_xheader(ci_request_t *req, const char *name, const char *value)
{
	char h[256];

	snprintf(h, sizeof h, "%s: %s", name, value);
	ci_icap_add_xheader(req, h);
}

static void *
svc_init_request(ci_request_t *req)
{
	struct svc_req *d;
	int type = ci_req_type(req);

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
	d->verdict = "allow";
	d->corked = -1;
	if ((d->pol = pol_get()) == NULL) {
		free(d);
		return NULL;
	}
	svc_collect(req, d);
	svc_classify(req, d);
	return d;
}

static const char *
finding_engine(const struct body_outcome *o)
{
	return o->nfindings > 0 ? o->findings[0].engine : NULL;
}

static void
svc_count_findings(const struct body_outcome *o)
{
	size_t i;
	const char *e;

	for (i = 0; i < o->nfindings; i++) {
		e = o->findings[i].engine;
		if (e == NULL)
			continue;
		if (strcmp(e, "dlp") == 0)
			ci_stat_uint64_inc(st_dlp, 1);
		else if (strcmp(e, "malware") == 0)
			ci_stat_uint64_inc(st_malware, 1);
		else if (strcmp(e, "hash") == 0)
			ci_stat_uint64_inc(st_hash, 1);
		else if (strcmp(e, "filetype") == 0)
			ci_stat_uint64_inc(st_filetype, 1);
		else if (strcmp(e, "archive") == 0)
			ci_stat_uint64_inc(st_archive, 1);
	}
}

static void
svc_audit(struct svc_req *d)
{
	struct audit_record r;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	memset(&r, 0, sizeof r);
	r.when = time(NULL);
	r.client_ip = d->ip[0] ? d->ip : NULL;
	r.user = d->user[0] ? d->user : NULL;
	r.method = d->method;
	r.host = d->host;
	r.path = d->path;
	r.direction = d->dir;
	r.bodiless = !d->hasbody;
	r.verdict = d->verdict;
	r.rule = d->mode == M_CRL ? "crl" : d->dec.rule;
	r.reason = d->reason[0] ? d->reason : NULL;
	r.engine = d->engine;
	r.findings = d->out.findings;
	r.nfindings = d->scanned ? d->out.nfindings : 0;
	r.bytes = d->bytes;
	r.msec = (uint64_t)(now.tv_sec - d->t0.tv_sec) * 1000 +
	    (uint64_t)(now.tv_nsec - d->t0.tv_nsec) / 1000000;
	r.incident = d->incident;
	audit_write(&r);
	if (d->scanned)
		ci_stat_uint64_inc(st_msec, (int)r.msec);
}

static void
svc_release_request(void *data)
{
	struct svc_req *d = data;

	if (d == NULL)
		return;
	svc_cork(NULL, d, 0);
	/* A request without a body that nothing blocked is logged by its response. */
	if (!(d->dir == ENGINE_UPLOAD && d->mode == M_PASS &&
	    strcmp(d->reason, "no body") == 0))
		svc_audit(d);
	if (strcmp(d->verdict, "block") == 0)
		ci_stat_uint64_inc(st_block, 1);
	else if (strcmp(d->verdict, "monitor") == 0)
		ci_stat_uint64_inc(st_monitor, 1);
	else
		ci_stat_uint64_inc(st_allow, 1);
	if (d->file != NULL)
		ci_cached_file_destroy(d->file);
	if (d->page != NULL)
		ci_membuf_free(d->page);
	body_free(d->body);
	pol_put(d->pol);
	free(d);
}

static int
svc_start_scan(struct svc_req *d, char *data, int len, int eof)
{
	struct body_params bp;

	memset(&bp, 0, sizeof bp);
	bp.engines = engines;
	bp.profile = d->dec.profile;
	bp.direction = d->dir;
	bp.content_type = d->ctype[0] ? d->ctype : NULL;
	bp.content_encoding = d->cenc[0] ? d->cenc : NULL;
	bp.limits = &conf.limits;
	if ((d->file = ci_cached_file_new(0)) == NULL ||
	    (d->body = body_new(&bp)) == NULL)
		return -1;
	ci_cached_file_lock_all(d->file);
	if (ci_cached_file_write(d->file, data, len, eof) < 0)
		return -1;
	if (len > 0)
		body_feed(d->body, data, (size_t)len);
	d->bytes += (uint64_t)(len > 0 ? len : 0);
	ci_stat_uint64_inc(st_reqs, 1);
	return 0;
}

/* Over MaxScanSize: pass unscanned (downloads) or block, per configuration. */
static bool
svc_oversize(struct svc_req *d)
{
	int act = d->dir == ENGINE_DOWNLOAD ? conf.oversize_download : conf.oversize_upload;

	if (act == SVC_ACT_ALLOW) {
		d->mode = M_UNSCANNED;
		svc_set_reason(d, "pass-unscanned", "over the inspection size limit");
		ci_stat_uint64_inc(st_unscanned, 1);
		ci_debug_printf(2, "sslinspect: %s %s passed unscanned (over MaxScanSize)\n",
		    d->method, d->url);
		return true;
	}
	d->mode = M_BLOCK;
	svc_set_reason(d, "block", "too large to inspect");
	ci_stat_uint64_inc(st_uninsp, 1);
	return false;
}

/* No inspection: 204, or an unlocked echo when the proxy allows no 204. */
static int
svc_pass(char *data, ci_request_t *req, struct svc_req *d)
{
	if (data == NULL && !ci_req_allow204(req) && ci_req_hasbody(req)) {
		d->mode = M_ECHO;
		if ((d->file = ci_cached_file_new(0)) == NULL)
			return CI_ERROR;
		ci_req_unlock_data(req);
		return CI_MOD_CONTINUE;
	}
	return CI_MOD_ALLOW204;
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
	int rc;

	d->in_preview = true;
	rc = svc_scan_end(req, d);
	d->in_preview = false;
	if (rc != CI_MOD_DONE)
		return rc;
	d->mode = M_BLOCK;
	return CI_MOD_CONTINUE;
}

static int
svc_preview(char *data, int len, ci_request_t *req)
{
	struct svc_req *d = ci_service_data(req);

	if (d == NULL)
		return CI_ERROR;	/* out of memory or no policy: fail closed */
	switch (d->mode) {
	case M_PASS:
		return svc_pass(data, req, d);
	case M_SCAN:
		if (d->clen > 0 && (uint64_t)d->clen > conf.limits.max_scan) {
			if (!svc_oversize(d))
				return CI_MOD_CONTINUE;
			return svc_pass(data, req, d);
		}
		if (svc_start_scan(d, data, len, ci_req_hasalldata(req)) != 0)
			return CI_ERROR;
		if (ci_req_hasalldata(req))
			return svc_preview_decide(req, d);
		if (d->dir == ENGINE_DOWNLOAD && !ci_req_allow204(req) &&
		    !(d->clen > 0 && d->clen <= SVC_HOLD_MAX)) {
			/*
			 * Squid 5 stops reading a response body larger than
			 * its 64 KiB pipe from the origin until the ICAP
			 * response has begun (uploads are not affected).
			 * Start the response with the HTTP headers only; the
			 * body stays held in the locked file until the verdict.
			 */
			d->early = true;
			ci_req_unlock_data(req);
		}
		return CI_MOD_CONTINUE;
	case M_BLOCK:
	case M_CRL:
		/* Answer now (early response); the rest of the body is dropped. */
		if ((d->mode == M_BLOCK ? svc_block(req, d) : svc_crl(req, d)) != CI_MOD_DONE)
			return CI_ERROR;
		ci_req_unlock_data(req);
		return CI_MOD_CONTINUE;
	default:
		return CI_MOD_CONTINUE;
	}
}

static int
svc_io_in(struct svc_req *d, ci_request_t *req, char *rbuf, int *rlen, int iseof)
{
	int n = *rlen;

	if (d->mode == M_SCAN && d->bytes + (uint64_t)n > conf.limits.max_scan &&
	    svc_oversize(d)) {
		/* Downloads over the limit stream on, unscanned, from here. */
		ci_cached_file_unlock_all(d->file);
		ci_req_unlock_data(req);
	}
	if ((d->mode == M_SCAN || d->mode == M_UNSCANNED || d->mode == M_ECHO) &&
	    d->file != NULL) {
		if ((n = ci_cached_file_write(d->file, rbuf, n, iseof)) < 0)
			return CI_ERROR;
		if (d->mode == M_SCAN && n > 0)
			body_feed(d->body, rbuf, (size_t)n);
		if (d->mode == M_ECHO)
			ci_cached_file_unlock_all(d->file);
	}
	/* Blocked or answered requests: the body is read and dropped. */
	*rlen = n;
	d->bytes += (uint64_t)n;
	return CI_OK;
}

static int
svc_io(char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof, ci_request_t *req)
{
	struct svc_req *d = ci_service_data(req);

	if (d == NULL)
		return CI_ERROR;
	if (rbuf != NULL && rlen != NULL && *rlen > 0) {
		if (svc_io_in(d, req, rbuf, rlen, iseof) != CI_OK)
			return CI_ERROR;
	} else if (iseof && d->file != NULL)
		ci_cached_file_write(d->file, NULL, 0, 1);
	if (wbuf != NULL && wlen != NULL && *wlen > 0) {
		if (d->page != NULL)
			*wlen = ci_membuf_read(d->page, wbuf, *wlen);
		else if (d->file != NULL && (d->mode == M_SCAN ||
		    d->mode == M_UNSCANNED || d->mode == M_ECHO))
			*wlen = ci_cached_file_read(d->file, wbuf, *wlen);
		else if (d->file != NULL)
			*wlen = 0;	/* blocked mid-body: nothing more, ever */
		else
			*wlen = CI_EOF;
	}
	return CI_OK;
}

/* Replace the HTTP response (or answer the request) with status and body. */
static int
svc_respond(ci_request_t *req, struct svc_req *d, const char *status,
    const char *ctype, const char *body, size_t len, const char *const *extra)
{
	char h[256];

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

static int
svc_block(ci_request_t *req, struct svc_req *d)
{
	struct block_info bi;
	char *page = NULL, inc[64];
	const char *ctype = "text/html; charset=utf-8";
	const char *extra[] = { "Cache-Control: no-store", inc, NULL };
	size_t len = 0;
	int rc;

	d->verdict = "block";
	if (ci_req_sent_data(req) || d->early) {
		/*
		 * The HTTP headers are out but no byte of the body: end the
		 * transaction with an error so the proxy aborts the transfer.
		 */
		ci_debug_printf(2, "sslinspect: block %s %s after headers: aborted "
		    "(%s, incident %s)\n", d->method, d->url, d->reason, d->incident);
		snprintf(d->reason + strlen(d->reason), sizeof d->reason -
		    strlen(d->reason), " (transfer aborted)");
		return CI_ERROR;
	}
	memset(&bi, 0, sizeof bi);
	bi.reason = d->reason;
	bi.rule = d->dec.rule;
	bi.category = d->dec.category;
	bi.url = d->url;
	bi.user = d->user[0] ? d->user : NULL;
	bi.client_ip = d->ip[0] ? d->ip : NULL;
	bi.incident = d->incident;
	bi.when = time(NULL);
	snprintf(inc, sizeof inc, "X-Sslinspect-Incident: %s", d->incident);
	if (conf.block_page && blockpage_wants_json(d->accept)) {
		page = blockpage_json(&bi, &len);
		ctype = "application/json";
	} else if (conf.block_page)
		page = blockpage_html(blockpage_set_pick(templates, d->lang), &bi, &len);
	ci_request_set_str_attribute(req, SVC_NAME ":verdict", "block");
	ci_debug_printf(3, "sslinspect: block %s %s: %s (rule %s, incident %s)\n",
	    d->method, d->url, d->reason, d->dec.rule ? d->dec.rule : "-", d->incident);
	rc = svc_respond(req, d, "HTTP/1.1 403 Forbidden", ctype, page ? page : "",
	    page ? len : 0, extra);
	free(page);
	return rc == 0 ? CI_MOD_DONE : CI_ERROR;
}

static int
svc_crl(ci_request_t *req, struct svc_req *d)
{
	struct crl_reply r;
	char lm[80], *extra[3] = { "Cache-Control: public, max-age=300", lm, NULL };
	struct tm tm;
	int rc;

	ci_stat_uint64_inc(st_crl, 1);
	crlserve_lookup(conf.crl_dir, d->path ? d->path : "/", &r);
	svc_set_reason(d, r.status == 200 ? "crl" : "crl-not-found", NULL);
	gmtime_r(&r.mtime, &tm);
	strftime(lm, sizeof lm, "Last-Modified: %a, %d %b %Y %H:%M:%S GMT", &tm);
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
	int fd = on ? req->connection->fd : d->corked;

	if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) != 0)
		return;
	d->corked = on ? fd : -1;
}

/* A clean (or passed) held body: 204 if the proxy allows it, else echo. */
static int
svc_release_body(ci_request_t *req, struct svc_req *d)
{
	if (d->in_preview || (!ci_req_sent_data(req) && ci_req_allow204(req)))
		return CI_MOD_ALLOW204;
	svc_cork(req, d, 1);
	ci_cached_file_unlock_all(d->file);
	ci_req_unlock_data(req);
	return CI_MOD_DONE;
}

/* Turn the scan outcome (and a second policy look if pending) into a verdict. */
static int
svc_verdict(ci_request_t *req, struct svc_req *d)
{
	struct body_outcome *o = &d->out;
	struct policy_facts f;
	bool monitor;

	if (d->dec.pending) {
		svc_facts(d, &f, o->true_type[0] ? o->true_type : NULL, (int64_t)d->bytes);
		policy_decide(d->pol->p, &f, &d->dec);
		if (d->dec.action == POLICY_BLOCK) {
			svc_set_reason(d, "block", d->dec.reason ? d->dec.reason : "blocked by policy");
			ci_stat_uint64_inc(st_policy, 1);
			return svc_block(req, d);
		}
		if (d->dec.action == POLICY_ALLOW)
			return svc_release_body(req, d);
	}
	monitor = d->dec.action == POLICY_MONITOR;
	d->engine = finding_engine(o);
	switch (o->verdict) {
	case BODY_FOUND:
		svc_count_findings(o);
		svc_set_reason(d, monitor ? "monitor" : "block", o->reason);
		if (monitor)
			return svc_release_body(req, d);
		ci_stat_uint64_inc(st_found, 1);
		return svc_block(req, d);
	case BODY_UNINSPECTABLE:
		svc_set_reason(d, "block", o->reason);
		if (monitor || conf.uninspectable == SVC_ACT_ALLOW) {
			d->verdict = monitor ? "monitor" : "allow-uninspectable";
			return svc_release_body(req, d);
		}
		ci_stat_uint64_inc(st_uninsp, 1);
		return svc_block(req, d);
	case BODY_ERROR:
		svc_set_reason(d, "block", "inspection failed");
		ci_debug_printf(1, "sslinspect: %s %s: %s\n", d->method, d->url, o->reason);
		if (conf.fail_open) {
			d->verdict = "fail-open";
			ci_stat_uint64_inc(st_failopen, 1);
			return svc_release_body(req, d);
		}
		ci_stat_uint64_inc(st_failed, 1);
		return svc_block(req, d);
	default:
		svc_set_reason(d, "allow", NULL);
		return svc_release_body(req, d);
	}
}

/* The whole body is in: the engines' outcome and the verdict. */
static int
svc_scan_end(ci_request_t *req, struct svc_req *d)
{
	body_end(d->body, &d->out);
	d->scanned = true;
	ci_stat_kbs_inc(st_bytes, (int)(d->out.raw_bytes > INT32_MAX ?
	    INT32_MAX : d->out.raw_bytes));
	return svc_verdict(req, d);
}

static int
svc_end_of_data(ci_request_t *req)
{
	struct svc_req *d = ci_service_data(req);

	if (d == NULL)
		return CI_ERROR;
	if (d->file != NULL)
		ci_cached_file_write(d->file, NULL, 0, 1);
	switch (d->mode) {
	case M_CRL:
		return d->page != NULL ? CI_MOD_DONE : svc_crl(req, d);
	case M_BLOCK:
		return d->page != NULL ? CI_MOD_DONE : svc_block(req, d);
	case M_SCAN:
		return svc_scan_end(req, d);
	case M_UNSCANNED:
	case M_ECHO:
		if (d->file != NULL)
			ci_cached_file_unlock_all(d->file);
		ci_req_unlock_data(req);
		return CI_MOD_DONE;
	default:
		return ci_req_allow204(req) ? CI_MOD_ALLOW204 : CI_MOD_DONE;
	}
}
