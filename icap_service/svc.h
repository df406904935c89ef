/*
 * srv_sslinspect internals shared by the pure files of libsvc (policy,
 * decoders, multipart and form parsing, body pipeline, block page, audit
 * line, CRL lookup, directive table), the c-icap glue, the unit tests, the
 * fuzzers and sslinspect-policy. Nothing here uses c-icap types.
 */
#ifndef SSLINSPECT_SVC_H
#define SSLINSPECT_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "attrib.h"
#include "engine.h"

/* ---- svcconf.c: the sslinspect.* directive table ---------------------- */

enum svcconf_type {
	SVCCONF_BOOL,		/* on|off */
	SVCCONF_SIZE,		/* 100M, 1G, 4096 */
	SVCCONF_UINT,
	SVCCONF_STR,
	SVCCONF_ACTION,		/* block|allow */
	SVCCONF_URL		/* "" or an http, https (or mailto) URL */
};

enum svc_action {
	SVC_ACT_BLOCK = 0,
	SVC_ACT_ALLOW
};

/*
 * Limits applied to one body; a body over any of them gets an explicit result.
 */
struct svc_limits {
	uint64_t	 max_decoded;	/* decoded bytes per body */
	unsigned	 max_ratio;	/* decoded : raw, bombs */
	unsigned	 max_layers;	/* Content-Encoding chain length */
	unsigned	 max_parts;	/* multipart parts */
	uint64_t	 max_header;	/* bytes of one part's headers */
	unsigned	 max_seconds;	/* CPU time of one inspection */
	/* multipart levels; 0: MULTIPART_MAXDEPTH */
	unsigned	 max_nesting;
};

struct svc_config {
	char		*policy_file;
	char		*template_dir;
	char		*organization;	/* block page branding; "" none */
	char		*logo_url;
	char		*contact;
	char		*review_url;	/* {incident} {url} {rule} filled in */
	char		*audit_log;	/* file, "syslog" or "" (off) */
	char		*audit_syslog;	/* udp://HOST:PORT or "" (off) */
	char		*audit_syslog_id; /* RFC 5424 SD-ID, NAME@PEN */
	/* sslinspect-lists' database; "" none */
	char		*category_db;
	char		*crl_host;	/* space-separated host names */
	char		*crl_dir;
	bool		 fail_open;
	bool		 inspect_uploads;
	bool		 inspect_downloads;
	bool		 block_page;
	/* download bytes held back until the verdict */
	uint64_t	 max_hold;
	/* upload bytes held back until the verdict */
	uint64_t	 max_upload;
	unsigned	 max_hold_time;	/* seconds a download is held */
	/* seconds before a held upload's request goes on ahead of its body */
	unsigned	 max_upload_hold_time;
	unsigned	 verdict_cache_time;	/* seconds; 0: no cache */
	int		 oversize_download;	/* enum svc_action */
	int		 oversize_upload;
	int		 uninspectable;
	struct svc_limits limits;
	/* engine_config fields */
	bool		 clamav;
	char		*clamav_db_dir;
	char		*hash_blocklist;
	char		*dictionary_dir;
	uint64_t	 clamav_max_bytes;
	bool		 clamav_all;
	uint64_t	 archive_max_bytes;
	unsigned	 archive_max_depth;
	unsigned	 archive_max_entries;
	unsigned	 archive_max_ratio;
};

struct svcconf_entry {
	const char	*name;
	enum svcconf_type type;
	size_t		 offset;	/* into struct svc_config */
	const char	*dflt;		/* as written in c-icap.conf */
	uint64_t	 min, max;	/* for SIZE and UINT */
	const char	*help;
};

extern const struct svcconf_entry svcconf_table[];

void	svcconf_defaults(struct svc_config *);
void	svcconf_free(struct svc_config *);
const struct svcconf_entry *svcconf_find(const char *);
int	svcconf_set(struct svc_config *, const struct svcconf_entry *,
	    const char *value, char **cause);
int	svcconf_parse_size(const char *, uint64_t *);
void	svcconf_engine(const struct svc_config *, struct engine_config *);

/* ---- hostlist.c: domain lists (squid dstdomain syntax) --------------- */

struct hostlist;
struct hostlist *hostlist_new(void);
int	hostlist_add(struct hostlist *, const char *);
int	hostlist_load(struct hostlist *, const char *path, char **cause);
void	hostlist_seal(struct hostlist *);
bool	hostlist_match(const struct hostlist *, const char *host);
void	hostlist_free(struct hostlist *);

/* ---- policy.c: the policy file -------------------------------------- */

enum policy_action {
	POLICY_INSPECT = 0,
	POLICY_ALLOW,		/* skip inspection */
	POLICY_BLOCK,
	POLICY_MONITOR		/* inspect, log, never block */
};

/* What is known about one transaction; NULL / -1 means unknown. */
struct policy_facts {
	const char	*host;
	const char	*url;
	const char	*client_ip;
	const char	*user;
	const char	*groups;	/* comma-separated, from the proxy */
	const char	*method;
	enum engine_direction direction;
	const char	*content_type;
	const char	*true_type;
	int64_t		 size;
	/* the host's and URL's categories in the category database, "a,b" */
	const char	*categories;
};

struct policy_decision {
	enum policy_action action;
	const char	*rule;		/* "default" when no rule matched */
	const char	*reason;	/* the rule's reason, may be NULL */
	/* list or database category that matched, may be NULL */
	const char	*category;
	const struct engine_profile *profile;
	const char	*profile_name;
	/* an earlier rule needs true type or size */
	bool		 pending;
	char		 why[256];	/* for explain */
};

struct policy;

/* The largest policy file read (policy_load, the last-good copy). */
#define POLICY_FILE_MAX	(16 * 1024 * 1024)

struct policy *policy_default(void);
struct policy *policy_load(const char *path, char **cause);
struct policy *policy_parse(const char *buf, size_t len, const char *name,
	    const char *basedir, char **cause);
void	policy_decide(const struct policy *, const struct policy_facts *,
	    struct policy_decision *);
unsigned policy_nrules(const struct policy *);
const char *policy_action_str(enum policy_action);
bool	policy_tls_block(const char *note, struct policy_decision *);
void	policy_free(struct policy *);

/* ---- decode.c: Content-Encoding, streaming --------------------------- */

enum decode_status {
	DECODE_OK = 0,
	DECODE_CORRUPT,		/* undecodable or truncated stream */
	DECODE_BOMB,		/* ratio over the limit */
	DECODE_LIMIT,		/* decoded size over the limit */
	DECODE_UNSUPPORTED,	/* a coding not known here */
	DECODE_SINK,		/* the sink failed */
	DECODE_AMBIGUOUS,	/* clients read the list differently */
	DECODE_LAYERS		/* more codings than MaxEncodings */
};

/* Returns 0, or -1 to stop decoding. */
typedef int (*decode_sink)(void *, const void *, size_t);

struct decode_chain;
struct decode_chain *decode_new(const char *content_encoding,
	    const struct svc_limits *, decode_sink, void *);
enum decode_status decode_feed(struct decode_chain *, const void *, size_t);
enum decode_status decode_finish(struct decode_chain *);
enum decode_status decode_taint(const struct decode_chain *);
uint64_t decode_out_bytes(const struct decode_chain *);
const char *decode_status_str(enum decode_status);
void	decode_free(struct decode_chain *);

/* ---- multipart.c: multipart/form-data, streaming --------------------- */

enum { MP_CTE_NONE = 0, MP_CTE_BASE64, MP_CTE_QP };

struct mp_part {
	char	name[128];
	char	filename[256];
	char	content_type[128];
	/* MP_CTE_*: the part's transfer encoding label */
	int	cte;
	/* multipart itself: raw content only, its parts follow */
	bool	nested;
	/* text outside the parts: preamble or epilogue */
	bool	loose;
};

/*
 * begin returns the caller's handle for the part (NULL: stop); data gets
 * its content with any transfer encoding undone, raw the content as sent
 * (only for a part labelled base64 or quoted-printable, or a nested one),
 * end closes it. head, which may be NULL, gets every part's header block.
 */
struct mp_callbacks {
	void	*(*begin)(void *, const struct mp_part *);
	int	(*data)(void *, void *part, const void *, size_t);
	int	(*raw)(void *, void *part, const void *, size_t);
	int	(*end)(void *, void *part);
	int	(*head)(void *, const void *, size_t);
};

enum mp_status {
	MP_OK = 0,
	MP_MALFORMED,		/* bad boundary, truncated, headers too long */
	MP_LIMIT,		/* too many parts, nesting too deep */
	MP_CALLBACK,		/* a callback failed */
	MP_AMBIGUOUS		/* framing that servers read differently */
};

/* Levels of multipart in multipart, the body itself counting as one. */
#define MULTIPART_MAXDEPTH	8	/* default of sslinspect.MaxNesting */

struct multipart;
int	multipart_boundary(const char *content_type, char *, size_t);
struct multipart *multipart_new(const char *boundary, const struct svc_limits *,
	    const struct mp_callbacks *, void *);
enum mp_status multipart_feed(struct multipart *, const void *, size_t);
enum mp_status multipart_finish(struct multipart *);
unsigned multipart_parts(const struct multipart *);
const char *multipart_error(const struct multipart *);
void	multipart_free(struct multipart *);

/* ---- httphdr.c: header lines as clients read them ---------------------- */

int	httphdr_join(const char *const *lines, size_t n, const char *name,
	    char *out, size_t len);
bool	httphdr_conflict(const char *const *lines, size_t n, const char *name);
bool	httphdr_has(const char *const *lines, size_t n, const char *name);
const char *httphdr_get(const char *const *lines, size_t n, const char *name);
int	httphdr_status(const char *status_line);
bool	httphdr_partial(const char *const *lines, size_t n, int status);
char	*httphdr_request_text(const char *url, const char *const *lines,
	    size_t n, size_t *len);
void	httphdr_mask_digits(char *);
void	httphdr_param(const char *, size_t, const char *, char *, size_t);
bool	httphdr_script_name(const char *);
bool	httphdr_script_named(const char *path, const char *disposition);

/* ---- form.c: urlencoded and JSON text normalisers --------------------- */

enum form_kind {
	FORM_URLENCODED,	/* as a server decodes it, one field a line */
	FORM_JSON,		/* string escapes undone */
	/* %XX, %uXXXX and backslash escapes, anywhere */
	FORM_TEXT,
	FORM_URL_VALUES,	/* field values only, blank-separated */
	/* JSON values only (no keys), blank-separated */
	FORM_JSON_VALUES
};
struct form;
struct form *form_new(enum form_kind, decode_sink, void *);
int	form_feed(struct form *, const void *, size_t);
int	form_finish(struct form *);
void	form_free(struct form *);

/* ---- body.c: one body from raw bytes to an inspection outcome --------- */

enum body_verdict {
	BODY_CLEAN = 0,
	BODY_FOUND,
	BODY_UNINSPECTABLE,
	BODY_ERROR
};

/* More than the engines know: every type of a body fits. */
#define BODY_MAX_TYPES	64

struct body_outcome {
	enum body_verdict verdict;
	char		 reason[160];
	char		 true_type[32];	/* the first one seen */
	/* every one seen */
	char		 true_types[BODY_MAX_TYPES][32];
	unsigned	 ntypes;
	struct engine_finding findings[ENGINE_MAX_FINDINGS];
	size_t		 nfindings;
	/* what engines did not see */
	struct engine_skip skips[ENGINE_MAX_SKIPS];
	size_t		 nskips;
	uint64_t	 raw_bytes;
	uint64_t	 decoded_bytes;
	unsigned	 parts;
	unsigned	 scans;
};

struct body_params {
	struct engine_set *engines;	/* NULL: engines failed to load */
	const struct engine_profile *profile;
	enum engine_direction direction;
	const char	*content_type;
	const char	*content_encoding;	/* every header line, joined */
	const char	*name_hint;
	/* named as a script host's program (httphdr_script_named) */
	bool		 script_name;
	/* a reason known before the body, or NULL */
	const char	*uninspectable;
	const struct svc_limits *limits;
};

struct body;
struct body *body_new(const struct body_params *);
void	body_feed(struct body *, const void *, size_t);
bool	body_settled(const struct body *);
bool	body_detected(const struct body *);
enum body_verdict body_state(const struct body *);
void	body_stop(struct body *, struct body_outcome *);
void	body_end(struct body *, struct body_outcome *);
void	body_free(struct body *);
const char *body_verdict_str(enum body_verdict);

/* ---- blockpage.c ------------------------------------------------------ */

/* Why a transfer was blocked; the page's sentence is derived from it. */
enum block_kind {
	BLOCK_UNSPECIFIED = 0,	/* the page shows reason as it is */
	BLOCK_POLICY,		/* a rule: reason is its text (may be NULL) */
	BLOCK_FOUND,		/* a detection: findings say what */
	BLOCK_UNINSPECTABLE,	/* encrypted, damaged, a bomb, too large */
	BLOCK_FAILED		/* inspection failed: fail closed */
};

struct block_info {
	const char	*reason;	/* the rule's text, or the engines' */
	const char	*rule;
	const char	*category;
	const char	*url;
	/* NULL: the proxy authenticated no one */
	const char	*user;
	const char	*client_ip;
	const char	*incident;
	time_t		 when;
	enum block_kind	 kind;
	enum engine_direction direction;
	bool		 bodiless;	/* a request without a body (a GET) */
	const struct engine_finding *findings;	/* masked samples only */
	size_t		 nfindings;
	const struct svc_config *conf;	/* branding; NULL: none */
};

struct tmplset;

/* Returns a malloc'd body the caller frees; *len is its length. */
char	*blockpage_render(const struct tmplset *, const char *accept_language,
	    const struct block_info *, size_t *len);
char	*blockpage_render_lang(const char *tmpl, const char *lang,
	    const struct block_info *, size_t *len);
char	*blockpage_html(const char *tmpl, const struct block_info *,
	    size_t *len);
char	*blockpage_json(const struct block_info *, size_t *len);
void	blockpage_message(const struct block_info *, const char *lang,
	    char *, size_t);
bool	blockpage_lang_known(const char *);
bool	blockpage_wants_json(const char *accept);
const char *blockpage_default_template(void);
struct tmplset *blockpage_set_load(const char *dir, char **cause);
const char *blockpage_set_pick(const struct tmplset *,
    const char *accept_language);
void	blockpage_set_free(struct tmplset *);

/* ---- audit.c ---------------------------------------------------------- */

struct audit_record {
	time_t		 when;
	const char	*client_ip, *user, *method, *host, *path;
	enum engine_direction direction;
	bool		 bodiless;	/* a request without a body (a GET) */
	/* verdict_name(): allow, block, monitor, ... */
	const char	*verdict;
	const char	*rule;
	const char	*category;	/* of the deciding rule, or NULL */
	const char	*reason;
	const char	*engine;
	const struct engine_finding *findings;
	size_t		 nfindings;
	/* what an engine did not look at */
	const struct engine_skip *skips;
	size_t		 nskips;
	uint64_t	 bytes;
	uint64_t	 msec;
	const char	*incident;
};

/* Digit runs this long in a URL are masked to their last four. */
#define AUDIT_MASK_MIN	9

/* Returns the malloc'd JSON line (with '\n'); the caller frees it. */
char	*audit_format(const struct audit_record *, size_t *len);
const char *audit_direction(enum engine_direction, bool bodiless);
void	audit_json_string(char *, size_t, const char *);
void	audit_mask_digits(char *);
int	audit_open(const char *spec, char **cause);
void	audit_write(const struct audit_record *);

/* auditsys.c: audit records to a syslog collector (RFC 5424 over UDP). */
int	auditsys_sdid_ok(const char *);
char	*auditsys_format(const struct audit_record *, const char *json,
	    size_t jsonlen, const char *hostname, long pid, const char *sdid,
	    size_t *len);
int	auditsys_open(const char *spec, const char *sdid, char **cause);
bool	auditsys_active(void);
void	auditsys_send(const struct audit_record *, const char *, size_t);
void	auditsys_close(void);
void	audit_close(void);
void	audit_incident(char *, size_t);

/* ---- crlserve.c ------------------------------------------------------- */

struct crl_reply {
	const char	*content_type;
	int		 status;		/* 200, 404 */
	char		*body;			/* malloc'd */
	size_t		 len;
	time_t		 mtime;
};

bool	crlserve_is_host(const char *hosts, const char *host);
int	crlserve_lookup(const char *dir, const char *path, struct crl_reply *);
void	crlserve_reply_free(struct crl_reply *);

/* ---- url helpers (policy.c) ------------------------------------------- */

/* Split a request line's absolute URL into host (no port) and path. */
int	policy_url_host(const char *url, char *host, size_t hostlen,
	    const char **path);

#endif
