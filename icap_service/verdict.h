/*
 * verdict.c: what happens to one transaction, decided from the policy's
 * answer, the body's inspection outcome and the service's settings. Pure
 * functions over enums: the c-icap glue gathers the facts, asks here and
 * applies the answer; names are only for the audit line and the stats.
 */
#ifndef SSLINSPECT_VERDICT_H
#define SSLINSPECT_VERDICT_H
#include <stdbool.h>
#include <stdint.h>

#include "svc.h"

/* ---- before the body: the mode a transaction starts in ---------------- */

enum verdict_start {
	START_SCAN = 0,		/* hold (or stream) the body and inspect it */
	START_BLOCK,		/* a policy rule blocks on headers alone */
	START_PASS_POLICY,	/* a policy rule allows without inspection */
	START_PASS_OFF,		/* inspection of this direction is off */
	START_PASS_NOBODY	/* nothing to inspect (a GET) */
};

struct verdict_start_input {
	enum policy_action action;
	/* the rule needs the true type or size */
	bool		 pending;
	bool		 inspect;	/* InspectUploads / InspectDownloads */
	bool		 hasbody;
};

enum verdict_start verdict_start(const struct verdict_start_input *);
const char *verdict_start_reason(enum verdict_start);

/*
 * Request headers that ask for a response the service cannot judge are
 * removed before the request goes on: Range (and If-Range,
 * Request-Range), because a range of a file is not the file and ranges
 * put together are (so the whole comes back and is inspected), and
 * Available-Dictionary, which lets a server answer in a compression
 * (dcb, dcz) no decoder here undoes. Not for a download the policy lets
 * through uninspected.
 */
struct verdict_strip_input {
	bool		 present;	/* such a header is in the request */
	bool		 inspect;	/* InspectDownloads */
	enum policy_action action;	/* the policy on the download, so far */
	/* that rule waits for the type or size */
	bool		 pending;
};

bool	verdict_strip_headers(const struct verdict_strip_input *);

/* ---- while the body arrives: hold it, release it while scanning, or not */

enum verdict_hold {
	/* keep holding: nothing released before the verdict */
	HOLD_KEEP = 0,
	/* release what is scanned, abort at a detection */
	HOLD_STREAM,
	HOLD_OVERSIZE,		/* over the hold limits and that is blocked */
	/*
	 * an upload past MaxUploadHoldTime: its request goes on to the
	 * origin, its body still held whole; abort at a detection
	 */
	HOLD_AHEAD
};

struct verdict_hold_input {
	bool		 upload;
	uint64_t	 bytes;		/* body bytes received so far */
	uint64_t	 held_ms;	/* since the first body byte */
	uint64_t	 max_bytes;	/* MaxHoldSize or MaxUploadSize */
	uint64_t	 max_ms;	/* MaxHoldTime; 0: no limit */
	uint64_t	 ahead_ms;	/* MaxUploadHoldTime; 0: no limit */
	/* OversizeDownload or OversizeUpload allow */
	bool		 oversize_allow;
	/* never released before the verdict (a range) */
	bool		 no_stream;
};

enum verdict_hold verdict_hold(const struct verdict_hold_input *);

/* ---- at the end (or at a detection): release or block ----------------- */

enum verdict {
	VERDICT_ALLOW = 0,		/* release: clean, or a rule allows */
	/* release and log: the rule only monitors */
	VERDICT_MONITOR,
	VERDICT_ALLOW_UNINSPECTABLE,	/* release: Uninspectable allow */
	/* release: inspection failed, FailOpen on */
	VERDICT_FAIL_OPEN,
	/* a rule blocks (resolved on type or size) */
	VERDICT_BLOCK_POLICY,
	VERDICT_BLOCK_FOUND,		/* a detection */
	/* undecodable, bomb, encrypted, too large */
	VERDICT_BLOCK_UNINSPECTABLE,
	VERDICT_BLOCK_FAILED,		/* inspection failed: fail closed */
	VERDICT_COUNT
};

struct verdict_input {
	/* the deciding rule's, pending resolved */
	enum policy_action action;
	/* BODY_CLEAN when nothing was inspected */
	enum body_verdict body;
	/* findings, even if the body failed later */
	bool		 detected;
	bool		 fail_open;
	bool		 uninspectable_allow;
	/* a range of the content, not all of it */
	bool		 partial;
	/* ... and all of it an image or media */
	bool		 partial_media;
};

enum verdict verdict_decide(const struct verdict_input *);
bool	verdict_blocks(enum verdict);
/* How severe a verdict is, for the worst of several: higher is worse. */
int	verdict_rank(enum verdict);
/*
 * Are all these true types images (not SVG, which carries script) or
 * audio/video, the only content a range of may pass? False for none.
 */
bool	verdict_media_types(const char (*types)[32], unsigned n);
/* The audit line's "verdict": allow, monitor, allow-uninspectable, ... */
const char *verdict_name(enum verdict);

/*
 * The verdict cache key of a download: its URL and the validators that
 * name one version of it (ETag, Last-Modified, Content-Length; NULL or -1
 * when absent, written as "-"). A response without validators is keyed by
 * its URL alone, so a retry of a blocked dynamic URL stays blocked for the
 * cache's lifetime. Written into buf, NUL-terminated: 0, or -1 when it
 * does not fit (no key: the caller skips the cache).
 */
int	verdict_cache_key(char *buf, size_t len, const char *url,
	    const char *etag, const char *last_modified, int64_t clen);

/*
 * The content key of a download: the host, the Content-Length (-1 when
 * absent) and the hex SHA-256 of the body's first plen bytes. The same
 * file fetched again under another URL of that host (a signed link that
 * changes with every click) has the same key; the host keeps one site's
 * files from matching another's. 0, or -1 when it does not fit.
 */
int	verdict_cache_body_key(char *buf, size_t len, const char *host,
	    int64_t clen, size_t plen, const char *sha256hex);

/* ---- vcache.c: the verdict cache, in c-icap's shared memory ----------- */

#define VCACHE_KEY_MAX	4096

struct vcache_entry {
	enum verdict	 verdict;
	char		 reason[160];
	char		 incident[20];
};

/*
 * How much of a download's start the content key hashes: bytes every
 * Squid can hold before the release begins (5.7 holds under 64 KiB).
 */
#define VCACHE_PREFIX	(60 * 1024)

/* A download's first bytes, hashed as they come (vcache_prefix_*). */
struct vcache_prefix {
	struct evp_md_ctx_st	*ctx;
	size_t			 n;
	size_t			 want;
	bool			 done;
	char			 hex[65];
};

int	vcache_open(unsigned ttl, char **cause);
void	vcache_close(void);
bool	vcache_lookup(const char *key, struct vcache_entry *);
void	vcache_store(const char *key, const struct vcache_entry *);
int	vcache_prefix_start(struct vcache_prefix *, size_t want);
bool	vcache_prefix_feed(struct vcache_prefix *, const void *, size_t);
void	vcache_prefix_free(struct vcache_prefix *);
void	vcache_prefix_hex(const unsigned char *, char *);

#endif
