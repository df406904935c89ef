/*
 * Revoked leaves, so that a certificate revoked with sslinspect-ca is never
 * served again from a cache. The set comes from the CA's revoked.tsv
 * (--revoked FILE). The file is looked at no more than once a second and
 * the set is replaced only by a complete, valid read: a damaged file keeps
 * the last good set, with one warning per change of the file.
 *
 * A cached reply is checked by the serial at the head of its certificate
 * (revcheck_pem_serial) and the key id of the CA that signed it, which is
 * the CA of the request: the cache key includes that CA's fingerprint.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cause.h"
#include "certgen.h"
#include "revoked.h"
#include "serial.h"

struct revcheck_ent {
	char	keyid[REVOKED_KEYID_MAX + 1];
	char	serial[REVOKED_SERIAL_MAX + 1];	/* no leading zeros */
};

struct revcheck {
	char			*path;
	struct revcheck_ent	*ents;		/* sorted */
	size_t			 n;
	time_t			 checked;
	int			 looked;	/* checked is valid */
	int			 seen;		/* st below is valid */
	/* errno of the last failed look */
	int			 err;
	struct stat		 st;
};

struct revcheck_load {
	struct revcheck_ent	*ents;
	size_t			 n, cap;
};

static int
revcheck_cmp(const void *a, const void *b)
{
	const struct revcheck_ent	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->keyid, y->keyid)) != 0)
		return c;
	return strcmp(x->serial, y->serial);
}

static int
revcheck_add(const struct revoked_rec *r, void *arg)
{
	struct revcheck_load	*l = arg;
	struct revcheck_ent	*ne;
	size_t			 cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 64;
		if ((ne = reallocarray(l->ents, cap, sizeof *ne)) == NULL)
			return -1;
		l->ents = ne;
		l->cap = cap;
	}
	/* revoked.tsv may hold leading zeros that serial_hex never writes */
	if (serial_norm(r->serial, l->ents[l->n].serial,
	    sizeof l->ents[l->n].serial) == -1)
		return 0;
	memcpy(l->ents[l->n].keyid, r->issuer_keyid,
	    strlen(r->issuer_keyid) + 1);
	l->n++;
	return 0;
}

/* Read the file into a new set; 0, or -1 with a cause (set unchanged). */
static int
revcheck_load(struct revcheck *rc, char **cause)
{
	struct revcheck_load	l = { NULL, 0, 0 };

	if (revoked_foreach(rc->path, revcheck_add, &l, cause) == -1) {
		if (cause != NULL && *cause == NULL)
			cause_set(cause, "%s: out of memory", rc->path);
		free(l.ents);
		return -1;
	}
	if (l.n > 1)
		qsort(l.ents, l.n, sizeof *l.ents, revcheck_cmp);
	free(rc->ents);
	rc->ents = l.ents;
	rc->n = l.n;
	return 0;
}

static int
revcheck_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * The file cannot be looked at: gone means no revocations; any other error
 * (permissions) keeps the last set, with one warning per kind of error.
 */
static void
revcheck_unseen(struct revcheck *rc, int err)
{
	if (err == ENOENT && rc->n > 0) {
		log_warnx("%s is gone; no certificate counts as revoked now",
		    rc->path);
		free(rc->ents);
		rc->ents = NULL;
		rc->n = 0;
	} else if (err != ENOENT && err != rc->err)
		log_warnx("%s: %s; keeping the %zu revocations read before",
		    rc->path, strerror(err), rc->n);
	rc->err = err;
	rc->seen = 0;
}

/*
 * Re-read the file if it changed since the last look, at most once per
 * second. A file that is gone has no revocations.
 */
void
revcheck_refresh(struct revcheck *rc, time_t now)
{
	struct stat	 st;
	char		*cause = NULL;

	if (rc->looked && now == rc->checked)
		return;
	rc->looked = 1;
	rc->checked = now;
	if (stat(rc->path, &st) == -1) {
		revcheck_unseen(rc, errno);
		return;
	}
	rc->err = 0;
	if (rc->seen && revcheck_same(&st, &rc->st))
		return;
	rc->st = st;
	rc->seen = 1;
	if (revcheck_load(rc, &cause) == -1) {
		log_warnx("%s; keeping the %zu revocations read before",
		    cause, rc->n);
		free(cause);
		return;
	}
	log_debug("%s: %zu revoked certificates", rc->path, rc->n);
}

/* A set read from path (now, and again when it changes). NULL + cause. */
struct revcheck *
revcheck_new(const char *path, time_t now, char **cause)
{
	struct revcheck	*rc;

	if ((rc = calloc(1, sizeof *rc)) == NULL ||
	    (rc->path = strdup(path)) == NULL) {
		free(rc);
		cause_set(cause, "out of memory");
		return NULL;
	}
	revcheck_refresh(rc, now);
	return rc;
}

void
revcheck_free(struct revcheck *rc)
{
	if (rc == NULL)
		return;
	free(rc->ents);
	free(rc->path);
	free(rc);
}

size_t
revcheck_count(const struct revcheck *rc)
{
	return rc->n;
}

/* 1 if the certificate keyid + serial (hex, any spelling) is revoked. */
int
revcheck_listed(const struct revcheck *rc, const char *keyid,
    const char *serial)
{
	struct revcheck_ent	k;

	if (rc->n == 0 || strlen(keyid) > REVOKED_KEYID_MAX ||
	    serial_norm(serial, k.serial, sizeof k.serial) == -1)
		return 0;
	memcpy(k.keyid, keyid, strlen(keyid) + 1);
	return bsearch(&k, rc->ents, rc->n, sizeof k, revcheck_cmp) != NULL;
}

/* One DER header at *p (end at end): tag and content length. 0 or -1. */
static int
revcheck_der(const unsigned char **p, const unsigned char *end, int *tag,
    size_t *len)
{
	size_t	n, i;

	if (end - *p < 2)
		return -1;
	*tag = *(*p)++;
	n = *(*p)++;
	if (n < 0x80) {
		*len = n;
		return 0;
	}
	n &= 0x7f;
	if (n == 0 || n > 3 || (size_t)(end - *p) < n)
		return -1;
	for (*len = 0, i = 0; i < n; i++)
		*len = (*len << 8) | *(*p)++;
	return 0;
}

/*
 * The serial of the first certificate in a PEM reply, in lowercase hex
 * without leading zeros, read from the head of its DER alone:
 * Certificate ::= SEQUENCE { SEQUENCE { [0] version OPTIONAL, INTEGER
 * serial, ... } }. Cheaper than parsing the certificate on every cache hit.
 * 0, or -1 when it is not there.
 */
int
revcheck_pem_serial(const unsigned char *pem, size_t pemlen, char *hex,
    size_t size)
{
	static const char	 begin[] = CERTGEN_PEM_BEGIN;
	unsigned char		 der[48];
	const unsigned char	*p, *end;
	size_t			 len, i;
	int			 tag;

	/* The first 64-character line is 48 bytes, more than the head needs. */
	if (pemlen < sizeof begin - 1 + 64 ||
	    memcmp(pem, begin, sizeof begin - 1) != 0)
		return -1;
	pem += sizeof begin - 1;
	for (i = 0; i < 64; i++) {
		if (!isalnum(pem[i]) && pem[i] != '+' && pem[i] != '/')
			return -1;
	}
	if (EVP_DecodeBlock(der, pem, 64) != 48)
		return -1;
	p = der;
	end = der + sizeof der;
	if (revcheck_der(&p, end, &tag, &len) == -1 || tag != 0x30 ||
	    revcheck_der(&p, end, &tag, &len) == -1 || tag != 0x30 ||
	    revcheck_der(&p, end, &tag, &len) == -1)
		return -1;
	if (tag == 0xa0) {
		if ((size_t)(end - p) < len)
			return -1;
		p += len;
		if (revcheck_der(&p, end, &tag, &len) == -1)
			return -1;
	}
	if (tag != 0x02 || len == 0 || len > 32 || (size_t)(end - p) < len)
		return -1;
	return serial_hex(p, len, hex, size);
}
