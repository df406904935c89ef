/*
 * The helper's service logic: bytes from Squid in, reply bytes out. A
 * request is answered from this process's memory cache, then from the
 * shared LMDB cache, and only then minted; every minted certificate is
 * appended to the issued record. A bad request gets an ERR reply and the
 * helper goes on: Squid kills itself when its helpers exit.
 *
 * The pipe to Squid and the clock belong to the caller (main.c): every
 * entry point takes the time, so tests run the service at any date. The
 * files it keeps, the shared cache, the issued record and the revocation
 * list it honours, are read and written through dbcache.c, issued.c and
 * revcheck.c; nothing else here touches a file.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cause.h"
#include "certgen.h"
#include "issued.h"
#include "revoked.h"

#define CERTGEN_CAS		8	/* distinct signing CAs kept parsed */
#define CERTGEN_KEY_TAG		"sslinspect-certgen cache v2"

/* A shared-cache write waiting for certgen_flush. */
struct certgen_pending {
	unsigned char	 key[32];
	unsigned char	*data;
	size_t		 len;
	time_t		 expires;
	time_t		 now;
};

struct certgen {
	struct forge_profile	 prof;
	unsigned char		 profile[32];	/* digest of the profile */
	struct sigcache		*cas;
	struct lcache		*mem;
	struct dbcache		*db;
	struct keypool		*pool;
	struct revcheck		*revoked;	/* NULL: none configured */
	struct certgen_pending	*pending;
	size_t			 npending, cappending;
	int			 record;	/* issued.tsv, or -1 */
	/* refused bytes still to drop */
	size_t			 skip;
	int			 resync;	/* dropping a broken request */
	struct certgen_stats	 stats;
};

/* Digest of everything in the profile that shapes a certificate. */
static int
certgen_profile(struct certgen *cg, const struct opts *o)
{
	EVP_MD_CTX	*ctx;
	char		 num[64];
	size_t		 i;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	snprintf(num, sizeof num, "days=%d key=%d", cg->prof.max_days,
	    (int)o->key_type);
	ok = EVP_DigestInit_ex(ctx, forge_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, num, strlen(num) + 1);
	for (i = 0; ok && i < cg->prof.ncrl; i++)
		ok = EVP_DigestUpdate(ctx, "crl=", 4) &&
		    EVP_DigestUpdate(ctx, cg->prof.crl_urls[i],
		    strlen(cg->prof.crl_urls[i]) + 1);
	for (i = 0; ok && i < cg->prof.naia; i++)
		ok = EVP_DigestUpdate(ctx, "aia=", 4) &&
		    EVP_DigestUpdate(ctx, cg->prof.aia_urls[i],
		    strlen(cg->prof.aia_urls[i]) + 1);
	ok = ok && EVP_DigestFinal_ex(ctx, cg->profile, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* Open the shared cache and the issued record; failures only log. */
static void
certgen_open_dir(struct certgen *cg, const struct opts *o)
{
	char	*cause = NULL, *path = NULL;

	cg->db = dbcache_open(o->cache_dir, (size_t)o->cache_size, &cause);
	if (cg->db == NULL) {
		log_warnx("shared cache unavailable, using memory only: %s",
		    cause);
		free(cause);
		cause = NULL;
	}
	if (asprintf(&path, "%s/%s", o->cache_dir, ISSUED_FILE) == -1)
		return;
	if ((cg->record = issued_open(path, &cause)) == -1) {
		log_warnx("issued record unavailable: %s", cause);
		free(cause);
	}
	free(path);
}

/*
 * A service for options o (which must outlive it), started at now. NULL
 * with a cause when it cannot run at all; a cache directory that cannot
 * be used only logs.
 */
struct certgen *
certgen_new(const struct opts *o, time_t now, char **cause)
{
	struct certgen	*cg;
	size_t		 i;

	if ((cg = calloc(1, sizeof *cg)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	cg->record = -1;
	cg->prof.max_days = (int)o->max_days;
	for (i = 0; i < o->ncrl; i++)
		cg->prof.crl_urls[i] = o->crl_urls[i];
	cg->prof.ncrl = o->ncrl;
	for (i = 0; i < o->naia; i++)
		cg->prof.aia_urls[i] = o->aia_urls[i];
	cg->prof.naia = o->naia;
	if (certgen_profile(cg, o) == -1 ||
	    (cg->cas = sigcache_new(CERTGEN_CAS)) == NULL ||
	    (cg->mem = lcache_new((size_t)o->mem_entries)) == NULL) {
		cause_set(cause, "out of memory");
		goto fail;
	}
	if ((cg->pool = keypool_new(o->key_type, (size_t)o->pool_size,
	    cause)) == NULL)
		goto fail;
	if (o->revoked != NULL &&
	    (cg->revoked = revcheck_new(o->revoked, now, cause)) == NULL)
		goto fail;
	if (o->cache_dir != NULL)
		certgen_open_dir(cg, o);
	return cg;
fail:
	certgen_free(cg);
	return NULL;
}

void
certgen_free(struct certgen *cg)
{
	if (cg == NULL)
		return;
	certgen_flush(cg);
	free(cg->pending);
	keypool_free(cg->pool);
	lcache_free(cg->mem);
	dbcache_close(cg->db);
	sigcache_free(cg->cas);
	revcheck_free(cg->revoked);
	if (cg->record != -1)
		close(cg->record);
	free(cg);
}

const struct certgen_stats *
certgen_stats(struct certgen *cg)
{
	return &cg->stats;
}

/*
 * The cache key: the request minus the CA key (host and the kind of name
 * it is, flags, Sign, the chosen digest, the mimicked certificate) plus
 * the CA's fingerprint and the profile. The kind matters because two
 * hosts can normalize alike: "1.2.3.4." is a DNS name, "1.2.3.4" an IP
 * address, and a leaf minted for one must never be served for the other.
 */
static int
certgen_key(struct certgen *cg, const struct signer *ca,
    const struct proto_req *req, const struct forge_req *fr,
    unsigned char *key)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 flags[5];
	const EVP_MD	*md = fr->md;
	const char	*mdname = md != NULL ? EVP_MD_get0_name(md) : "none";
	int		 ok;

	flags[0] = (unsigned char)req->set_cn;
	flags[1] = (unsigned char)req->valid_after;
	flags[2] = (unsigned char)req->valid_before;
	flags[3] = (unsigned char)req->sign;
	flags[4] = (unsigned char)fr->kind;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, forge_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, CERTGEN_KEY_TAG, sizeof CERTGEN_KEY_TAG) &&
	    EVP_DigestUpdate(ctx, cg->profile, 32) &&
	    EVP_DigestUpdate(ctx, ca->fp, 32) &&
	    EVP_DigestUpdate(ctx, fr->host, strlen(fr->host) + 1) &&
	    EVP_DigestUpdate(ctx, flags, sizeof flags) &&
	    EVP_DigestUpdate(ctx, mdname, strlen(mdname) + 1) &&
	    (req->mimic == NULL ||
	    EVP_DigestUpdate(ctx, req->mimic, req->mimic_len)) &&
	    EVP_DigestFinal_ex(ctx, key, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* Read the mimicked certificate into m; NULL when absent or unparsable. */
static const struct mimic *
certgen_mimic(const struct proto_req *req, struct mimic *m)
{
	if (req->mimic == NULL)
		return NULL;
	if (mimic_parse(req->mimic, req->mimic_len, m) == -1) {
		log_debug("mimic certificate for %s does not parse; "
		    "minting from the host alone", req->host);
		ERR_clear_error();
		return NULL;
	}
	return m;
}

/*
 * Certificate PEM then key PEM, in a malloc'd buffer. 0 or -1. The PEM is
 * written here, 64 characters a line as PEM_write does, straight into the
 * reply: the BIO path spends more on growing its buffer than on base64.
 */
static int
certgen_pem(X509 *x, const struct leafkey *lk, unsigned char **data,
    size_t *len)
{
	static const char	 head[] = CERTGEN_PEM_BEGIN;
	static const char	 tail[] = CERTGEN_PEM_END;
	unsigned char		*der = NULL, *p;
	size_t			 lines, cap, i, n;
	int			 dlen;

	if ((dlen = i2d_X509(x, &der)) <= 0)
		return -1;
	lines = ((size_t)dlen + 47) / 48;
	cap = sizeof head - 1 + lines * 65 + sizeof tail - 1 + lk->pem_len;
	if ((*data = malloc(cap)) == NULL) {
		OPENSSL_free(der);
		return -1;
	}
	p = *data;
	memcpy(p, head, sizeof head - 1);
	p += sizeof head - 1;
	for (i = 0; i < (size_t)dlen; i += 48) {
		n = (size_t)dlen - i < 48 ? (size_t)dlen - i : 48;
		p += EVP_EncodeBlock(p, der + i, (int)n);
		*p++ = '\n';
	}
	memcpy(p, tail, sizeof tail - 1);
	p += sizeof tail - 1;
	memcpy(p, lk->pem, lk->pem_len);
	*len = (size_t)(p - *data) + lk->pem_len;
	OPENSSL_free(der);
	return 0;
}

/* Append the issued record line for a minted certificate. */
static void
certgen_record(struct certgen *cg, X509 *x, const struct signer *ca,
    const char *host, time_t now)
{
	struct issued_rec	 rec;
	char			*cause = NULL;

	if (cg->record == -1)
		return;
	memset(&rec, 0, sizeof rec);
	rec.issued = now;
	rec.not_before = forge_time(X509_get0_notBefore(x));
	rec.not_after = forge_time(X509_get0_notAfter(x));
	if (forge_serial_hex(x, rec.serial, sizeof rec.serial) == -1 ||
	    strlen(ca->keyid_hex) > ISSUED_KEYID_MAX)
		return;
	memcpy(rec.issuer_keyid, ca->keyid_hex, strlen(ca->keyid_hex) + 1);
	memcpy(rec.host, host, strlen(host) + 1);
	if (issued_write(cg->record, &rec, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
	}
}

/*
 * Queue a shared-cache write until certgen_flush, which the request loop
 * calls once the replies are out: the LMDB commit then overlaps Squid's
 * use of the reply instead of delaying it. 0, or -1 (write it now).
 */
static int
certgen_defer(struct certgen *cg, const unsigned char *key,
    const unsigned char *data, size_t len, time_t expires, time_t now)
{
	struct certgen_pending	*p, *np;
	size_t			 cap;

	if (cg->npending == cg->cappending) {
		cap = cg->cappending ? cg->cappending * 2 : 16;
		if ((np = reallocarray(cg->pending, cap, sizeof *np)) == NULL)
			return -1;
		cg->pending = np;
		cg->cappending = cap;
	}
	p = &cg->pending[cg->npending];
	if ((p->data = malloc(len)) == NULL)
		return -1;
	memcpy(p->key, key, sizeof p->key);
	memcpy(p->data, data, len);
	p->len = len;
	p->expires = expires;
	p->now = now;
	cg->npending++;
	return 0;
}

/* Keep a minted reply in both caches until shortly before it expires. */
static void
certgen_store(struct certgen *cg, const unsigned char *key, X509 *x,
    const unsigned char *data, size_t len, time_t now)
{
	time_t	 na, margin, expires;
	char	*cause = NULL;

	na = forge_time(X509_get0_notAfter(x));
	margin = (na - now) / 4;
	if (margin > 86400)
		margin = 86400;
	expires = na - margin;
	if (na == (time_t)-1 || expires <= now)
		return;
	lcache_put(cg->mem, key, data, len, expires);
	if (cg->db == NULL)
		return;
	if (certgen_defer(cg, key, data, len, expires, now) == 0)
		return;
	if (dbcache_put(cg->db, key, data, len, expires, now, &cause) == -1) {
		log_debug("%s", cause);
		free(cause);
	}
}

/* Write the queued shared-cache entries; the reply data is wiped. */
void
certgen_flush(struct certgen *cg)
{
	struct certgen_pending	*p;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < cg->npending; i++) {
		p = &cg->pending[i];
		if (cg->db != NULL && dbcache_put(cg->db, p->key, p->data,
		    p->len, p->expires, p->now, &cause) == -1) {
			log_debug("%s", cause);
			free(cause);
			cause = NULL;
		}
		OPENSSL_clear_free(p->data, p->len);
	}
	cg->npending = 0;
}

/* Mint, encode, record and cache a new leaf. 0 or -1 with a cause. */
static int
certgen_mint(struct certgen *cg, const struct signer *ca,
    struct forge_req *fr, const unsigned char *key, unsigned char **data,
    size_t *len, char **cause)
{
	struct leafkey	*lk;
	X509		*x = NULL;
	int		 rv = -1;

	if ((lk = keypool_take(cg->pool, cause)) == NULL)
		return -1;
	fr->leaf_key = lk->key;
	fr->leaf_pub = lk->pub;
	if ((x = forge_leaf(&cg->prof, ca, fr, cause)) == NULL)
		goto out;
	if (certgen_pem(x, lk, data, len) == -1) {
		cause_set(cause, "cannot encode certificate");
		goto out;
	}
	if (fr->sign != PROTO_SIGN_SELF)
		certgen_record(cg, x, ca, fr->host, fr->now);
	certgen_store(cg, key, x, *data, *len, fr->now);
	cg->stats.minted++;
	rv = 0;
out:
	X509_free(x);
	leafkey_free(lk);
	fr->leaf_key = NULL;
	fr->leaf_pub = NULL;
	return rv;
}

/*
 * 1 if a cached reply's certificate is listed in revoked.tsv: it is then
 * minted again, and the new leaf replaces it in both caches.
 */
static int
certgen_revoked(struct certgen *cg, const struct signer *ca, const char *host,
    const unsigned char *data, size_t len)
{
	char	serial[REVOKED_SERIAL_MAX + 1];

	if (cg->revoked == NULL || revcheck_count(cg->revoked) == 0 ||
	    revcheck_pem_serial(data, len, serial, sizeof serial) == -1 ||
	    !revcheck_listed(cg->revoked, ca->keyid_hex, serial))
		return 0;
	log_info("cached certificate %s for %s is revoked; minting a new one",
	    serial, host);
	cg->stats.revoked++;
	return 1;
}

/* Try the shared cache; a failing cache is closed for good. 1 on a hit. */
static int
certgen_db_lookup(struct certgen *cg, const unsigned char *key, time_t now,
    unsigned char **data, size_t *len)
{
	time_t	 expires;
	char	*cause = NULL;
	int	 r;

	if (cg->db == NULL)
		return 0;
	r = dbcache_get(cg->db, key, now, data, len, &expires, &cause);
	if (r == -1) {
		log_warnx("%s; using memory only from now on", cause);
		free(cause);
		dbcache_close(cg->db);
		cg->db = NULL;
		return 0;
	}
	if (r == 1)
		lcache_put(cg->mem, key, *data, *len, expires);
	return r;
}

/*
 * The reply body (certificate PEM, key PEM) for a parsed request at time
 * now, in a malloc'd buffer the caller wipes and frees. 0, or -1 with a
 * cause.
 */
int
certgen_answer(struct certgen *cg, const struct proto_req *req, time_t now,
    unsigned char **data, size_t *len, char **cause)
{
	const struct signer	*ca;
	const unsigned char	*hit;
	unsigned char		 key[32];
	char			 host[CERTGEN_HOST_MAX + 1];
	struct forge_req	 fr;
	struct mimic		 m;
	int			 rv;

	memset(&fr, 0, sizeof fr);
	fr.now = now;
	if ((ca = sigcache_get(cg->cas, req->ca_cert, req->ca_cert_len,
	    req->ca_key, req->ca_key_len, cause)) == NULL ||
	    forge_md(ca->key, req->sign_hash, &fr.md, cause) == -1)
		return -1;
	if (hostname_normalize(req->host, strlen(req->host), host, sizeof host,
	    &fr.kind) == -1) {
		cause_set(cause, "host is not a valid DNS name or IP literal");
		return -1;
	}
	fr.host = host;
	if (certgen_key(cg, ca, req, &fr, key) == -1) {
		cause_set(cause, "digest failed");
		return -1;
	}
	if (cg->revoked != NULL)
		revcheck_refresh(cg->revoked, fr.now);
	if ((hit = lcache_get(cg->mem, key, fr.now, len)) != NULL &&
	    !certgen_revoked(cg, ca, host, hit, *len)) {
		if ((*data = malloc(*len)) == NULL)
			return -1;
		memcpy(*data, hit, *len);
		cg->stats.mem_hits++;
		return 0;
	}
	if (hit == NULL && certgen_db_lookup(cg, key, fr.now, data, len) == 1) {
		if (!certgen_revoked(cg, ca, host, *data, *len)) {
			cg->stats.db_hits++;
			return 0;
		}
		OPENSSL_cleanse(*data, *len);
		free(*data);
		*data = NULL;
	}
	fr.sign = req->sign;
	fr.valid_after = req->valid_after;
	fr.valid_before = req->valid_before;
	fr.mimic_sans = !req->set_cn;
	memset(&m, 0, sizeof m);
	fr.mimic = certgen_mimic(req, &m);
	rv = certgen_mint(cg, ca, &fr, key, data, len, cause);
	GENERAL_NAMES_free(m.sans);
	return rv;
}

/* Append "[id ]ERR <len> <reason>\1" and log the reason. */
static int
certgen_err(struct certgen *cg, const struct helper_frame *fr,
    const char *why, struct cbuf *out)
{
	char	head[64], reason[HELPER_REASON_MAX];
	size_t	hl, rl;

	cg->stats.errors++;
	rl = helper_reason(reason, sizeof reason, why != NULL ? why :
	    "internal error");
	log_warnx("request refused: %s", reason);
	hl = proto_reply_head(head, sizeof head, fr, 0, rl);
	if (cbuf_add(out, head, hl) == -1 || cbuf_add(out, reason, rl) == -1 ||
	    cbuf_add(out, "\1", 1) == -1)
		return -1;
	return 0;
}

/* Answer one framed request into out. */
static void
certgen_one(struct certgen *cg, const struct helper_frame *fr, time_t now,
    struct cbuf *out)
{
	struct proto_req	 req;
	unsigned char		*data = NULL;
	size_t			 len = 0, hl;
	char			 head[64], *cause = NULL;

	cg->stats.requests++;
	if (proto_parse(fr->body, fr->body_len, &req, &cause) == -1 ||
	    certgen_answer(cg, &req, now, &data, &len, &cause) == -1) {
		certgen_err(cg, fr, cause, out);
		free(cause);
		return;
	}
	log_debug("%s: %s", req.host, proto_sign_name(req.sign));
	hl = proto_reply_head(head, sizeof head, fr, 1, len);
	if (cbuf_add(out, head, hl) == -1 || cbuf_add(out, data, len) == -1 ||
	    cbuf_add(out, "\1", 1) == -1)
		log_warnx("out of memory for a reply");
	OPENSSL_clear_free(data, len);
}

/*
 * Consume complete requests from in (len bytes), read at time now, and
 * append their replies to out. Returns the number of bytes used; the
 * caller keeps the rest for the next call and should wipe the used part
 * (it holds the CA key).
 */
size_t
certgen_handle(struct certgen *cg, const char *in, size_t len, time_t now,
    struct cbuf *out)
{
	struct helper_frame	fr;
	size_t			pos = 0, n;

	while (pos < len) {
		if (cg->skip > 0) {
			n = len - pos < cg->skip ? len - pos : cg->skip;
			pos += n;
			cg->skip -= n;
			continue;
		}
		switch (proto_frame(in + pos, len - pos, &fr)) {
		case HELPER_NEED:
			return pos + fr.consumed;
		case HELPER_BAD:
			if (!cg->resync)
				certgen_err(cg, &fr, fr.reason, out);
			cg->resync = 1;
			pos += fr.consumed;
			break;
		case HELPER_SKIP:
			cg->resync = 0;
			certgen_err(cg, &fr, fr.reason, out);
			cg->skip = fr.consumed;
			break;
		case HELPER_OK:
			cg->resync = 0;
			certgen_one(cg, &fr, now, out);
			pos += fr.consumed;
			break;
		}
	}
	return pos;
}
