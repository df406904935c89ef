/*
 * The content key's hash (see vcache.c): a download's first bytes, hashed
 * with SHA-256 as they come. Pure: no c-icap, so that every front end
 * and the unit tests have it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "verdict.h"

/* A SHA-256 digest in hex, into hex[65]. */
void
vcache_prefix_hex(const unsigned char *md, char *hex)
{
	unsigned int	i;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Hash the first want bytes of what vcache_prefix_feed is given. */
int
vcache_prefix_start(struct vcache_prefix *p, size_t want)
{
	memset(p, 0, sizeof *p);
	if (want == 0 || (p->ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(p->ctx, EVP_sha256(), NULL) != 1) {
		vcache_prefix_free(p);
		return -1;
	}
	p->want = want;
	return 0;
}

/* true once, when the prefix is complete: its hash is then in p->hex. */
bool
vcache_prefix_feed(struct vcache_prefix *p, const void *buf, size_t len)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;
	size_t		k;

	if (p->ctx == NULL || p->done || len == 0)
		return false;
	k = len < p->want - p->n ? len : p->want - p->n;
	if (EVP_DigestUpdate(p->ctx, buf, k) != 1) {
		vcache_prefix_free(p);
		return false;
	}
	p->n += k;
	if (p->n < p->want)
		return false;
	if (EVP_DigestFinal_ex(p->ctx, md, &mdlen) != 1 || mdlen != 32) {
		vcache_prefix_free(p);
		return false;
	}
	vcache_prefix_hex(md, p->hex);
	p->done = true;
	EVP_MD_CTX_free(p->ctx);
	p->ctx = NULL;
	return true;
}

void
vcache_prefix_free(struct vcache_prefix *p)
{
	EVP_MD_CTX_free(p->ctx);
	p->ctx = NULL;
}
