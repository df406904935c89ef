/*
 * One inspected transaction (an upload or a download), whatever front end
 * carries it: the facts read off its messages, the start decision, the
 * head scan, holding and staging the body, the hold limits, the verdict,
 * the block page and the audit record. The front end (the c-icap service
 * in srv_sslinspect.c) reads the messages, keeps the body's bytes and
 * sends what xact.c decides; it hands the service's loaded state over in
 * a struct xact_env, which svcstate.c keeps with the rest of what the
 * service loads. Nothing here uses c-icap types.
 */
#ifndef SSLINSPECT_XACT_H
#define SSLINSPECT_XACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrib.h"
#include "svc.h"
#include "verdict.h"

/* The categories of one lookup, "a,b,c" (categories.h CAT_MAXVALUE). */
#define XACT_CATS_MAX	1024

enum xact_mode {
	XM_PASS,	/* no inspection: 204 */
	XM_ECHO,	/* no inspection, proxy allows no 204: echo */
	XM_HOLD,	/* hold, inspect, decide at the end */
	XM_STREAM,	/* inspect while releasing; cut off at a detection */
	XM_BLOCK,	/* decided: the block page (the rest is dropped) */
	XM_DONE,	/* decided in the preview: the body is echoed */
	XM_CRL		/* answered from the CRL directory */
};

/* The service's counters; xact_stat_label() names them. */
enum xact_stat {
	XS_REQS, XS_ALLOW, XS_BLOCK, XS_MONITOR, XS_STREAMED, XS_AHEAD, XS_CUT,
	XS_CACHED, XS_POLICY, XS_FOUND, XS_UNINSP, XS_FAILED, XS_FAILOPEN,
	XS_CRL, XS_DLP, XS_MALWARE, XS_HASH, XS_FILETYPE, XS_ARCHIVE,
	XS_MSEC, XS_BYTES, XS_COUNT
};

/* What the front end does after body bytes came in (xact_check). */
enum xact_step {
	XA_NONE,	/* go on; in XM_STREAM release up to xact_release_to */
	XA_RELEASE,	/* stop holding: headers out, then xact_release_to */
	XA_BLOCK,	/* answer with the block page now, drop the rest */
	XA_CUT,		/* released in part: end with an error */
	XA_ERROR	/* the spool failed */
};

/* The service's loaded state, shared by every transaction. */
struct xact_env {
	const struct svc_config	*conf;
	struct engine_set	*engines;	/* NULL: engines not loaded */
	const struct tmplset	*templates;
	/*
	 * The categories of a host and URL into buf ("a,b"), or -1 (none,
	 * or no CategoryDB: NULL).
	 */
	int		(*categories)(const char *, const char *, char *,
			    size_t);
	/* c-icap's debug levels: 1 errors, 2 notable, 3 per block, 5 detail */
	void		(*log)(int, const char *, ...) PRINTF(2, 3);
	void		(*stat)(enum xact_stat, int);
	/* the verdict cache of cut-off downloads; NULL: none */
	bool		(*cache_lookup)(const char *, struct vcache_entry *);
	void		(*cache_store)(const char *,
			    const struct vcache_entry *);
	/* milliseconds on a monotonic clock; NULL: CLOCK_MONOTONIC */
	uint64_t	(*now_ms)(void);
};

/*
 * What the front end reads off the messages. Header lines are "Name:
 * value" without line ends, the request or status line not among them.
 */
struct xact_head {
	enum engine_direction	 dir;	/* upload: REQMOD, download: RESPMOD */
	const char		*request_line;
	const char *const	*req_lines;
	size_t			 nreq;
	const char		*status_line;	/* downloads */
	const char *const	*resp_lines;
	size_t			 nresp;
	/* from the proxy (ICAP headers, eCAP meta), NULL when absent */
	const char		*client_ip;
	const char		*user;
	const char		*groups;
	const char		*tls_block;	/* X-Sslinspect-Tls-Block */
	bool			 hasbody;
	int64_t			 clen;	/* Content-Length, -1 when none */
};

/* Takes body bytes to keep (the spool) before they are scanned: 0 or -1. */
typedef int (*xact_spool_fn)(void *, const char *, size_t, int eof);

struct xact {
	const struct xact_env *env;
	const struct policy *pol;
	xact_spool_fn	 spool;
	void		*spool_arg;
	enum xact_mode	 mode;
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
	struct policy_decision dec;
	char		 cats[XACT_CATS_MAX];	/* xact_categories */
	bool		 cats_done;
	/* pieces taken but not yet spooled nor scanned */
	char		*stage;
	size_t		 nstage;
	uint64_t	 t_stage;
	struct body	*body;
	uint64_t	 bytes;
	uint64_t	 t0;
	uint64_t	 t_body;	/* first body byte */
	char		 incident[20];
	char		 reason[200];
	const char	*engine;
	struct body_outcome out;
	bool		 scanned;
	bool		 hasbody;
	bool		 cut;		/* released in part, then cut off */
	bool		 spool_failed;	/* the front end could not keep it */
	/* an upload whose request went on, its body held (HOLD_AHEAD) */
	bool		 ahead;
	/* the first bytes of a download, for its content key */
	struct vcache_prefix pre;
	/* the content key named a download cut off before: its entry */
	bool		 cached;
	struct vcache_entry hit;
	uint64_t	 stream_from;	/* bytes when the release began */
	/* a download that is a range of content */
	bool		 partial;
	/* named as a script host's program (httphdr_script_named) */
	bool		 script_name;
	bool		 edited;	/* request headers removed: never 204 */
	/* the request line or headers hold data */
	bool		 head_found;
	/* known uninspectable from the headers */
	const char	*uninsp;
	struct body_outcome head;	/* the request line and headers */
};

/* The request headers xact_strip() may take out (NULL-terminated). */
extern const char *const xact_strip_names[];

struct xact	*xact_new(const struct xact_env *, const struct policy *,
		    const struct xact_head *);
bool		 xact_strip(struct xact *, const char *const *, size_t);
void		 xact_scan_head(struct xact *, const char *const *, size_t);
int		 xact_start_scan(struct xact *, xact_spool_fn, void *);
int		 xact_take(struct xact *, const char *, size_t, int);
int		 xact_stage_flush(struct xact *, int);
void		 xact_spool_failed(struct xact *);
bool		 xact_stage_due(const struct xact *);
uint64_t	 xact_deadline(const struct xact *);
enum xact_step	 xact_check(struct xact *);
uint64_t	 xact_release_to(const struct xact *);
enum xact_step	 xact_release_begin(struct xact *, bool);
void		 xact_scan_end(struct xact *);
void		 xact_cut(struct xact *);
char		*xact_block_page(struct xact *, const char **, size_t *);
void		 xact_crl(struct xact *, struct crl_reply *);
uint64_t	 xact_ms_since(const struct xact *, uint64_t);
const char	*xact_stat_label(enum xact_stat);
const char	*xact_stat_engine(enum xact_stat);
const char	*xact_stat_key(enum xact_stat);
void		 xact_free(struct xact *);

/* ---- svcstate.c: the service's loaded state, one per process --------- */

/* The running policy, shared by reference (svcstate_policy). */
struct polref {
	struct policy	*p;
	int		 refs;
};

struct svc_config *svcstate_config(void);
struct xact_env	*svcstate_env(void);
void		 svcstate_defaults(void);
int		 svcstate_open(const char *,
		    void (*)(int, const char *, ...) PRINTF(2, 3));
void		 svcstate_reload(void);
void		 svcstate_close(void);
struct polref	*svcstate_policy(void);
void		 svcstate_policy_put(struct polref *);

#endif
