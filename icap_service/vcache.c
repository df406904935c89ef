/*
 * The verdict cache: downloads that were cut off after their release had
 * begun (past the hold limits), so that the client's retry is answered
 * with the block page at once. It lives in c-icap's "shared" cache type
 * (the shared_cache module, loaded by sslinspect.conf), made before the
 * children fork, so a retry served by another c-icap child sees it too;
 * without that module c-icap falls back to a cache per child.
 *
 * Keys are the SHA-256 of verdict_cache_key()'s text: bounded, and no URL
 * (which may carry personal data) sits in shared memory. A cut-off
 * download is stored under a second key too, its content key
 * (verdict_cache_body_key): the hash of its first bytes, taken as they
 * come (vcache_prefix_*). The rest of a cut-off body is never read, and a
 * retry must be known before its release begins, so the key cannot hash
 * the whole body; it names the host and the Content-Length besides.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <c_icap/c-icap.h>
#include <c_icap/cache.h>
#include <c_icap/debug.h>
#include <c_icap/types_ops.h>

#include "cause.h"
#include "verdict.h"

#define VCACHE_MEM	(1024 * 1024)	/* about 2,000 verdicts */
#define VCACHE_OBJ	512

static ci_cache_t *vcache;

int
vcache_open(unsigned ttl, char **cause)
{
	vcache_close();
	if (ttl == 0)
		return 0;
	vcache = ci_cache_build("sslinspect_verdicts", "shared", VCACHE_MEM,
	    VCACHE_OBJ, (int)ttl, &ci_str_ops);
	if (vcache == NULL) {
		cause_set(cause, "cannot make the cache: retries of cut-off "
		    "downloads get no page");
		return -1;
	}
	return 0;
}

void
vcache_close(void)
{
	if (vcache != NULL)
		ci_cache_destroy(vcache);
	vcache = NULL;
}

/* The hex SHA-256 of key into hex[65]; 0 or -1. */
static int
vcache_hash(const char *key, char *hex)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	vcache_prefix_hex(md, hex);
	return 0;
}

/* c-icap hands over the stored bytes: copied into the caller's entry. */
static void *
vcache_copy_out(const void *stored, size_t size, void *data)
{
	if (size != sizeof(struct vcache_entry))
		return NULL;
	memcpy(data, stored, size);
	return data;
}

bool
vcache_lookup(const char *key, struct vcache_entry *e)
{
	char	 hex[65];
	void	*val = NULL;

	if (vcache == NULL || vcache_hash(key, hex) != 0)
		return false;
	memset(e, 0, sizeof *e);
	if (ci_cache_search(vcache, hex, &val, e, vcache_copy_out) == NULL ||
	    val == NULL)
		return false;
	e->reason[sizeof e->reason - 1] = '\0';
	e->incident[sizeof e->incident - 1] = '\0';
	return e->verdict < VERDICT_COUNT && verdict_blocks(e->verdict);
}

void
vcache_store(const char *key, const struct vcache_entry *e)
{
	char	hex[65];

	if (vcache == NULL || vcache_hash(key, hex) != 0)
		return;
	if (!ci_cache_update(vcache, hex, e, sizeof *e, NULL))
		ci_debug_printf(3, "sslinspect: verdict cache full\n");
}
