/*
 * The detection engines' interface, as srv_sslinspect sees it.
 *
 * An engine_set is loaded once (in c-icap's post-init, before the children
 * fork, so compiled databases are shared) from an engine_config. Each body
 * (or each part of a multipart upload) is one engine_scan: begin, feed the
 * decoded bytes chunk by chunk, end. Nothing here knows about c-icap, HTTP
 * or the policy file: the service decodes Content-Encoding and multipart,
 * and decides what a result means (block, monitor, allow).
 *
 * Thread safety: an engine_set is read-only after load and shared by all
 * threads; an engine_scan belongs to one thread.
 */
#ifndef SSLINSPECT_ENGINE_H
#define SSLINSPECT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum engine_verdict {
	ENGINE_CLEAN = 0,	/* nothing found */
	ENGINE_FOUND,		/* a detection: see findings */
	ENGINE_UNINSPECTABLE,	/* encrypted archive, bomb, over a limit */
	ENGINE_ERROR		/* an engine failed: the service fails closed */
};

enum engine_direction {
	ENGINE_UPLOAD = 0,	/* REQMOD */
	ENGINE_DOWNLOAD		/* RESPMOD */
};

#define ENGINE_MAX_FINDINGS	16
#define ENGINE_SAMPLE_MAX	64
#define ENGINE_MAX_SKIPS	8

/* One kind of thing found; samples are masked (card: last 4 digits). */
struct engine_finding {
	/* "dlp", "malware", "hash", "filetype", "archive" */
	const char	*engine;
	/*
	 * "credit_card", "us_ssn", "iban", "dict:<name>", signature name, true
	 * file type, ...
	 */
	char		 type[48];
	unsigned	 count;
	int		 severity;	/* 1 low .. 4 critical */
	/* masked, may be empty */
	char		 sample[ENGINE_SAMPLE_MAX];
};

/*
 * Something an engine did not look at, and why: a body or archive member
 * ClamAV did not scan (over ClamAVMaxSize, no signatures loaded), a PDF
 * whose text could not be read, embedded archives past a limit. Not a
 * verdict: the service decides; it belongs in the audit record. Skips of
 * the same engine and reason are merged (count adds up, the first what
 * stays).
 */
struct engine_skip {
	const char	*engine;	/* "clamav", "dlp", "archive" */
	char		 what[48];	/* first member name or true type */
	char		 why[64];	/* "larger than ClamAVMaxSize", ... */
	unsigned	 count;
};

struct engine_result {
	enum engine_verdict	verdict;
	/* one line for block page and log */
	char			reason[160];
	/* "pdf", "zip", "pe", "text", ... */
	char			true_type[32];
	struct engine_finding	findings[ENGINE_MAX_FINDINGS];
	size_t			nfindings;
	uint64_t		bytes;		/* bytes fed (decoded) */
	struct engine_skip	skips[ENGINE_MAX_SKIPS];
	size_t			nskips;		/* 0: every engine saw it all */
};

/*
 * Which engines run for one scan and how: the policy file's "inspect with
 * profile X" fills one of these. Zero-initialised means "engine off".
 */
struct engine_profile {
	bool		 dlp;
	bool		 malware;
	bool		 filetype;
	bool		 archives;
	/* matches needed to count; 0 = 1 */
	unsigned	 card_threshold;
	unsigned	 ssn_threshold;
	unsigned	 iban_threshold;
	/* true types to block, NULL-ended */
	const char	*const *blocked_types;
	/* dictionary names to use, NULL = all */
	const char	*const *dictionaries;
	/*
	 * The body is named as a script host's program (*.js, *.vbs, *.bat:
	 * httphdr_script_name): ClamAV reads it at the top whatever its
	 * bytes look like (plain text is otherwise not sent).
	 */
	bool		 script_name;
};

/* Everything loaded once; strings are borrowed, must outlive the set. */
struct engine_config {
	/* NULL or "" = ClamAV's default dir */
	const char	*clamav_db_dir;
	/* use libclamav when signatures exist */
	bool		 clamav;
	/* file of SHA-256 hex, may be NULL */
	const char	*hash_blocklist;
	const char	*dictionary_dir;	/* *.dict files, may be NULL */
	/* buffer at most this for ClamAV */
	uint64_t	 clamav_max_bytes;
	/* every body at the top to ClamAV, plain text and media too */
	bool		 clamav_all;
	/* total uncompressed per archive */
	uint64_t	 archive_max_bytes;
	unsigned	 archive_max_depth;
	unsigned	 archive_max_entries;
	/*
	 * uncompressed : compressed, once archive_max_bytes / 4 is unpacked
	 */
	unsigned	 archive_max_ratio;
	/* CPU time to unpack one tree */
	unsigned	 archive_max_cpu_ms;
	unsigned	 pdf_max_pages;		/* pages whose text is read */
	/* CPU time to read a PDF's text */
	unsigned	 pdf_max_cpu_ms;
	/* extracted text scanned per body */
	uint64_t	 text_max_bytes;
	/* for bodies an engine must buffer */
	const char	*tmpdir;
};

/* What a loaded set has, for the start-up log, the stats and the CLI. */
struct engine_health {
	bool		 clamav_on;		/* configured to use ClamAV */
	unsigned	 clamav_signatures;	/* 0: ClamAV scans nothing */
	size_t		 hash_entries;		/* SHA-256 blocklist entries */
	size_t		 dictionaries;
};

struct engine_set;
struct engine_scan;

void	engine_config_defaults(struct engine_config *);
void	engine_profile_defaults(struct engine_profile *, enum engine_direction);

/*
 * Returns the loaded set, or NULL with *cause. Caller frees with
 * engine_set_free.
 */
struct engine_set *engine_set_load(const struct engine_config *, char **cause);
void	engine_set_free(struct engine_set *);
/*
 * Reload what changed on disk (signatures, blocklist); the old set stays on
 * error. Safe while other threads scan; call it from one thread at a time
 * (the c-icap command handler). Dictionaries are read only by load.
 */
int	engine_set_reload(struct engine_set *, char **cause);

/* Fill *h from the set as it is now (after a reload too). */
void	engine_set_health(struct engine_set *, struct engine_health *h);
/*
 * The warning an admin must see about h (ClamAV on but without
 * signatures), into buf; false when there is none.
 */
bool	engine_health_warning(const struct engine_health *h, char *buf,
	    size_t len);
/*
 * How many ClamAV signatures dir (NULL: ClamAV's default) holds, without
 * loading them, for tools such as sslinspect-policy check. 0, or -1 with
 * *cause; a missing directory is 0 signatures.
 */
int	engine_clamav_count(const char *dir, unsigned *sigs, char **cause);

/*
 * Start one scan. name_hint is the file name if known (for logs only; true
 * type never trusts it). Returns NULL with *cause on failure.
 */
struct engine_scan *engine_scan_begin(struct engine_set *,
	    const struct engine_profile *, enum engine_direction,
	    const char *name_hint, char **cause);
/*
 * Feed decoded bytes; 0, or -1 with *cause (the scan then ends in
 * ENGINE_ERROR).
 */
int	engine_scan_feed(struct engine_scan *, const void *, size_t,
	    char **cause);
/*
 * Is a detection already certain, before the end (the EICAR string seen, a
 * blocked true type, DLP matches over a threshold)? A body released while
 * it is scanned is cut off at once on it; engine_scan_end still reports
 * it, with everything found until the end.
 */
bool	engine_scan_detected(const struct engine_scan *);
/* Finish and fill *result; 0, or -1 with *cause. */
int	engine_scan_end(struct engine_scan *, struct engine_result *,
	    char **cause);
void	engine_scan_free(struct engine_scan *);

#endif
