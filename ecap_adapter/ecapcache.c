/*
 * The eCAP front end's verdict cache: downloads cut off after their
 * release began, so that the client's retry gets the block page at once
 * (xact.c stores and looks up; see vcache.c for what the keys are). Squid's
 * workers are processes of their own, and a retry may reach another one:
 * the cache is an LMDB file in TmpDir (dbcache.c) that every worker opens,
 * and that outlives a worker that dies. Keys are hashed with the
 * adapter's version, so that an upgrade never reads an older layout.
 * Calls come from Squid's thread and from the scanning threads: one lock.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "dbcache.h"
#include "ecapsvc.h"
#include "log.h"

/* About 10,000 verdicts; the oldest go first when it is full. */
#define ECAPCACHE_MAP	(4 * 1024 * 1024)

static pthread_mutex_t	 ecapcache_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct dbcache	*ecapcache_db;
static unsigned		 ecapcache_ttl;

/* DIR/sslinspect-verdicts/cache.mdb, entries kept ttl seconds; 0 or -1. */
int
ecapcache_open(const char *dir, unsigned ttl, char **cause)
{
	char	path[1100];

	if (ttl == 0 || ecapcache_db != NULL)
		return 0;
	snprintf(path, sizeof path, "%s/sslinspect-verdicts", dir);
	if ((ecapcache_db = dbcache_open(path, ECAPCACHE_MAP, cause)) == NULL)
		return -1;
	ecapcache_ttl = ttl;
	return 0;
}

static int
ecapcache_key(const char *key, unsigned char *md)
{
	EVP_MD_CTX	*ctx;
	static const char tag[] = "sslinspect_ecap " PACKAGE_VERSION "\n";
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, tag, sizeof tag - 1) == 1 &&
	    EVP_DigestUpdate(ctx, key, strlen(key)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* xact_env's cache_lookup: a blocking verdict stored under key. */
bool
ecapcache_lookup(const char *key, struct vcache_entry *e)
{
	unsigned char	 md[32], *data = NULL;
	size_t		 len = 0;
	time_t		 expires;
	char		*cause = NULL;
	int		 r;
	bool		 hit;

	if (ecapcache_db == NULL || ecapcache_key(key, md) != 0)
		return false;
	pthread_mutex_lock(&ecapcache_mtx);
	r = dbcache_get(ecapcache_db, md, time(NULL), &data, &len, &expires,
	    &cause);
	pthread_mutex_unlock(&ecapcache_mtx);
	if (r == -1) {
		log_warnx("sslinspect: verdict cache: %s", cause);
		free(cause);
		return false;
	}
	hit = r == 1 && len == sizeof *e;
	if (hit)
		memcpy(e, data, sizeof *e);
	free(data);
	if (!hit)
		return false;
	e->reason[sizeof e->reason - 1] = '\0';
	e->incident[sizeof e->incident - 1] = '\0';
	return (unsigned)e->verdict < VERDICT_COUNT &&
	    verdict_blocks(e->verdict);
}

/* xact_env's cache_store. */
void
ecapcache_store(const char *key, const struct vcache_entry *e)
{
	unsigned char	 md[32];
	char		*cause = NULL;
	time_t		 now = time(NULL);
	int		 r;

	if (ecapcache_db == NULL || ecapcache_key(key, md) != 0)
		return;
	pthread_mutex_lock(&ecapcache_mtx);
	r = dbcache_put(ecapcache_db, md, (const unsigned char *)e, sizeof *e,
	    now + (time_t)ecapcache_ttl, now, &cause);
	pthread_mutex_unlock(&ecapcache_mtx);
	if (r == -1) {
		log_warnx("sslinspect: verdict cache: %s", cause);
		free(cause);
	}
}
