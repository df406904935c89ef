/*
 * The shared persistent cache in LMDB (dbcache.c): 32-byte keys, values
 * with an expiry, shared by every process that opens the same directory.
 */
#ifndef SSLINSPECT_DBCACHE_H
#define SSLINSPECT_DBCACHE_H

#include <stddef.h>
#include <time.h>

#include "attrib.h"

struct dbcache;
struct dbcache	*dbcache_open(const char *, size_t, char **) NONNULL(1);
void		 dbcache_close(struct dbcache *);
int		 dbcache_get(struct dbcache *, const unsigned char *, time_t,
		    unsigned char **, size_t *, time_t *, char **)
		    NONNULL(1, 2, 4, 5, 6);
int		 dbcache_put(struct dbcache *, const unsigned char *,
		    const unsigned char *, size_t, time_t, time_t, char **)
		    NONNULL(1, 2, 3);

#endif
