/*
 * The in-process reply cache: a bounded LRU keyed by a 32-byte digest of
 * the request (see certgen.c), in front of the shared LMDB cache. Values
 * hold a leaf certificate and its key, so they are wiped when dropped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certgen.h"

struct lcache_ent {
	unsigned char		 key[32];
	time_t			 expires;
	unsigned char		*data;
	size_t			 len;
	struct lcache_ent	*chain;		/* next in the bucket */
	struct lcache_ent	*prev;		/* LRU order, newest first */
	struct lcache_ent	*next;
};

struct lcache {
	struct lcache_ent	**buckets;
	size_t			  nbuckets;	/* a power of two */
	size_t			  count;
	size_t			  max;
	struct lcache_ent	 *head;
	struct lcache_ent	 *tail;
};

/* A cache of at most max entries; max 0 gives a cache that stores nothing. */
struct lcache *
lcache_new(size_t max)
{
	struct lcache	*lc;
	size_t		 nb = 16;

	while (nb < max && nb < ((size_t)1 << 24))
		nb <<= 1;
	if ((lc = calloc(1, sizeof *lc)) == NULL)
		return NULL;
	if ((lc->buckets = calloc(nb, sizeof *lc->buckets)) == NULL) {
		free(lc);
		return NULL;
	}
	lc->nbuckets = nb;
	lc->max = max;
	return lc;
}

static size_t
lcache_bucket(struct lcache *lc, const unsigned char *key)
{
	size_t	h;

	memcpy(&h, key, sizeof h);	/* the key is already a digest */
	return h & (lc->nbuckets - 1);
}

static void
lcache_unlink_lru(struct lcache *lc, struct lcache_ent *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		lc->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		lc->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lcache_push_lru(struct lcache *lc, struct lcache_ent *e)
{
	e->next = lc->head;
	e->prev = NULL;
	if (lc->head != NULL)
		lc->head->prev = e;
	lc->head = e;
	if (lc->tail == NULL)
		lc->tail = e;
}

/* Remove e from its bucket and the LRU list, wipe and free it. */
static void
lcache_drop(struct lcache *lc, struct lcache_ent *e)
{
	struct lcache_ent	**pp;

	for (pp = &lc->buckets[lcache_bucket(lc, e->key)]; *pp != NULL;
	    pp = &(*pp)->chain) {
		if (*pp == e) {
			*pp = e->chain;
			break;
		}
	}
	lcache_unlink_lru(lc, e);
	OPENSSL_clear_free(e->data, e->len);
	free(e);
	lc->count--;
}

static struct lcache_ent *
lcache_find(struct lcache *lc, const unsigned char *key)
{
	struct lcache_ent	*e;

	for (e = lc->buckets[lcache_bucket(lc, key)]; e != NULL; e = e->chain) {
		if (memcmp(e->key, key, 32) == 0)
			return e;
	}
	return NULL;
}

/*
 * The value stored under key if it has not expired at now; its length in
 * *len. The pointer belongs to the cache and is valid until the next put.
 */
const unsigned char *
lcache_get(struct lcache *lc, const unsigned char *key, time_t now,
    size_t *len)
{
	struct lcache_ent	*e;

	if ((e = lcache_find(lc, key)) == NULL)
		return NULL;
	if (e->expires <= now) {
		lcache_drop(lc, e);
		return NULL;
	}
	lcache_unlink_lru(lc, e);
	lcache_push_lru(lc, e);
	*len = e->len;
	return e->data;
}

/*
 * Store a copy of data under key until expires, evicting the least
 * recently used entry when full. Returns 0, or -1 (nothing stored).
 */
int
lcache_put(struct lcache *lc, const unsigned char *key,
    const unsigned char *data, size_t len, time_t expires)
{
	struct lcache_ent	*e;
	size_t			 b;

	if (lc->max == 0)
		return -1;
	if ((e = lcache_find(lc, key)) != NULL)
		lcache_drop(lc, e);
	while (lc->count >= lc->max && lc->tail != NULL)
		lcache_drop(lc, lc->tail);
	if ((e = calloc(1, sizeof *e)) == NULL)
		return -1;
	if ((e->data = malloc(len)) == NULL) {
		free(e);
		return -1;
	}
	memcpy(e->key, key, 32);
	memcpy(e->data, data, len);
	e->len = len;
	e->expires = expires;
	b = lcache_bucket(lc, key);
	e->chain = lc->buckets[b];
	lc->buckets[b] = e;
	lcache_push_lru(lc, e);
	lc->count++;
	return 0;
}

size_t
lcache_count(struct lcache *lc)
{
	return lc->count;
}

void
lcache_free(struct lcache *lc)
{
	if (lc == NULL)
		return;
	while (lc->head != NULL)
		lcache_drop(lc, lc->head);
	free(lc->buckets);
	free(lc);
}
