/*
 * What the engine files share behind engine.h: the loaded set, the
 * per-body scan, the body spool and the result helpers.
 */
#ifndef SSLINSPECT_ENGINE_INT_H
#define SSLINSPECT_ENGINE_INT_H

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <openssl/evp.h>

#include "engine.h"
#include "filetype.h"
#include "malware.h"

struct dlp_db;
struct dlp_scan;
struct malware_clam;
struct malware_hashlist;
struct filetype_magic;

struct engine_set {
	struct engine_config	 cfg;
	struct dlp_db		*dlp;
	struct malware_clam	*clam;		/* NULL: no signatures */
	struct malware_hashlist	*hashes;	/* NULL: no blocklist */
	struct filetype_magic	*magic;
	EVP_MD			*sha256;
	pthread_mutex_t		 lock;		/* guards the reloadable parts */
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
	uint64_t	 size;
	uint64_t	 limit;
	bool		 over;		/* more than limit was offered */
};

int	engine_spool_init(struct engine_spool *, uint64_t limit);
int	engine_spool_add(struct engine_spool *, const char *tmpdir,
	    const void *, size_t, char **cause);
void	engine_spool_free(struct engine_spool *);
void	engine_tail_keep(unsigned char *, size_t *, size_t, const void *,
	    size_t);

/* Shared by a body and everything unpacked from it. */
struct engine_budget {
	uint64_t	compressed;	/* size of the outermost archive */
	uint64_t	bytes;		/* unpacked so far */
	unsigned	entries;
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
	struct malware_eicar	 eicar;
	EVP_MD_CTX		*sha;
	struct malware_hashlist	*hashes;	/* held while scanning */
	struct malware_clam	*clam;		/* held while scanning */

	unsigned char		 prefix[FILETYPE_PREFIX];
	size_t			 plen;
	bool			 typed;
	struct filetype		 ft;
	char			 ftname[32];
	bool			 spooling;
	struct engine_spool	 spool;

	struct engine_result	 res;
	bool			 failed;
};

/* archive.c: unpack the spooled body, scanning each member. */
int	archive_scan(struct engine_scan *, char **cause);

/* engine_result.c */
void	engine_result_add(struct engine_result *, const char *engine,
	    const char *type, unsigned count, int severity, const char *sample);
void	engine_result_merge(struct engine_result *, const struct engine_result *,
	    const char *where);
void	engine_result_finish(struct engine_result *);
void	engine_result_uninspectable(struct engine_result *, const char *fmt,
	    ...) __attribute__((format(printf, 2, 3)));

/* engine.c: scans inside an archive member (depth > 0). */
struct engine_scan *engine_scan_nested(struct engine_set *,
	    const struct engine_profile *, enum engine_direction,
	    unsigned depth, struct engine_scan *parent, char **cause);

#endif
