/*
 * What the engine files share behind engine.h: the loaded set, the
 * per-body scan, the body spool and the result helpers.
 */
#ifndef SSLINSPECT_ENGINE_INT_H
#define SSLINSPECT_ENGINE_INT_H

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>

#include "engine.h"
#include "filetype.h"
#include "malware.h"
#include "text.h"

struct dlp_db;
struct dlp_scan;
struct dlp_seen;
struct embed_db;
struct embed_scan;
struct mime;
struct malware_clam;
struct malware_hashlist;
struct filetype_magic;

struct engine_set {
	struct engine_config	 cfg;
	struct dlp_db		*dlp;
	struct malware_clam	*clam;		/* NULL: no signatures */
	struct malware_hashlist	*hashes;	/* NULL: no blocklist */
	struct filetype_magic	*magic;
	struct embed_db		*embed;
	EVP_MD			*sha256;
	/* guards the reloadable parts */
	pthread_mutex_t		 lock;
	time_t			 hash_checked;	/* last look at the file */
};

/*
 * A body kept for the engines that cannot stream (ClamAV, libarchive): in
 * memory up to ENGINE_SPOOL_MEM, then in an unlinked file under tmpdir.
 */
#define ENGINE_SPOOL_MEM	(256 * 1024)
struct engine_spool {
	unsigned char	*mem;
	size_t		 len;
	size_t		 cap;
	int		 fd;		/* -1 while in memory */
	void		*map;		/* engine_spool_map of the file */
	uint64_t	 size;
	uint64_t	 limit;
	bool		 over;		/* more than limit was offered */
};

int	engine_spool_init(struct engine_spool *, uint64_t limit);
int	engine_spool_add(struct engine_spool *, const char *tmpdir,
	    const void *, size_t, char **cause);
ssize_t	engine_spool_read(const struct engine_spool *, uint64_t off, void *,
	    size_t, const void **at);
const void *engine_spool_map(struct engine_spool *, char **cause);
void	engine_spool_free(struct engine_spool *);
void	engine_tail_keep(unsigned char *, size_t *, size_t, const void *,
	    size_t);

/* Shared by a body and everything unpacked from it. */
struct engine_budget {
	uint64_t	 compressed;	/* size of the outermost archive */
	uint64_t	 bytes;		/* unpacked so far */
	unsigned	 entries;
	unsigned	 cpu_start;	/* thread CPU ms at the first unpack */
	bool		 cpu_started;
	struct dlp_seen	*seen;		/* numbers DLP counted in the tree */
};

struct engine_scan {
	struct engine_set	*set;
	struct engine_profile	 prof;
	enum engine_direction	 dir;
	unsigned		 depth;		/* 0: the body itself */
	struct engine_budget	*budget;
	struct engine_budget	 own_budget;
	char			 name[64];	/* for logs only */

	struct dlp_scan		*dlp;
	EVP_MD_CTX		*sha;
	struct malware_hashlist	*hashes;	/* held while scanning */
	struct malware_clam	*clam;		/* held while scanning */
	bool			 clam_wanted;	/* would ClamAV see this type */
	struct embed_scan	*embed;

	unsigned char		 prefix[FILETYPE_PREFIX];
	size_t			 plen;
	bool			 typed;
	struct filetype		 ft;
	char			 ftname[32];
	bool			 spooling;
	/* body offset of its first byte */
	uint64_t		 spool_base;
	struct engine_spool	 spool;
	unsigned char		 tail[16];	/* last bytes, not spooled */
	size_t			 ntail;

	/* Text for DLP's second stream, and the parts of a mail message. */
	struct text_xml		*xml;
	struct text_utf16	 utf16;
	bool			 utf16_on;
	uint64_t		 text_bytes;
	bool			 text_full;	/* text_max_bytes reached */
	char			*text_cause;	/* DLP failed on the text */
	struct mime		*mime;
	struct engine_scan	*part;
	char			*part_cause;

	struct engine_result	 res;
	bool			 failed;
};

/*
 * archive.c: unpack the spooled body from spool offset off, scanning each
 * member; filter: one compressed stream (gzip, xz ...), read as one
 * member. *consumed: how far libarchive read (for embedded archives).
 * quiet: an archive that does not open is no finding (a signature found
 * by chance); encrypted ones still are uninspectable.
 */
int	archive_scan(struct engine_scan *, uint64_t off, bool filter,
	    bool quiet, uint64_t *consumed, char **cause);
bool	archive_over_cpu(struct engine_scan *);

/* engine_result.c */
void	engine_result_add(struct engine_result *, const char *engine,
	    const char *type, unsigned count, int severity, const char *sample);
void	engine_result_merge(struct engine_result *,
	    const struct engine_result *,
	    const char *where);
void	engine_result_finish(struct engine_result *);
void	engine_result_uninspectable(struct engine_result *, const char *fmt,
	    ...) __attribute__((format(printf, 2, 3)));
void	engine_result_skip(struct engine_result *, const char *engine,
	    const char *what, const char *why, unsigned count);

/* engine.c: scans inside an archive member (depth > 0). */
struct engine_scan *engine_scan_nested(struct engine_set *,
	    const struct engine_profile *, enum engine_direction,
	    unsigned depth, struct engine_scan *parent, char **cause);

#endif
