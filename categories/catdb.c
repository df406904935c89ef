/*
 * The compiled category database: one LMDB file, written once by
 * sslinspect-lists and never changed after (a new set is a new file renamed
 * over the old one), so readers open it without a lock file (MDB_NOLOCK)
 * and keep the file they opened until they choose to reopen.
 *
 * Keys, in LMDB's byte order:
 *	"d" HOST	the categories whose domains list HOST (and so every
 *			name below it), "a,b" in name order
 *	"m" NAME	meta data: format, categories, built, source, and
 *			the distinct domains and urls entries
 *	"u" HOST/PATH	the categories whose urls list that prefix
 *
 * A build gathers every (entry, category) pair in memory, sorts them and
 * writes them in key order with MDB_APPEND, which packs the pages full.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "categories.h"
#include "cause.h"

#define CATDB_FORMAT	"1"
#define CATDB_MAXCATS	65535

struct catent {
	size_t		off;	/* key in the arena, with its prefix */
	uint32_t	len;	/* prefix and entry, no NUL */
	uint16_t	cat;
};

struct catalias {
	char	*alias;
	char	*target;
};

struct catdb_build {
	char		*arena;
	size_t		 alen, acap;
	struct catent	*ent;
	size_t		 n, cap;
	char		**cats;
	size_t		 ncats;
	struct catalias	*aliases;
	size_t		 naliases;
};

struct catdb {
	MDB_env		*env;
	MDB_dbi		 dbi;
};

struct catdb_build *
catdb_build_new(void)
{
	return calloc(1, sizeof(struct catdb_build));
}

/* The id of category name, added when new; -1 when full or out of memory. */
int
catdb_build_category(struct catdb_build *b, const char *name)
{
	char	**nv;
	size_t	  i;

	for (i = 0; i < b->ncats; i++)
		if (strcmp(b->cats[i], name) == 0)
			return (int)i;
	if (b->ncats == CATDB_MAXCATS)
		return -1;
	if ((nv = reallocarray(b->cats, b->ncats + 1, sizeof *nv)) == NULL)
		return -1;
	b->cats = nv;
	if ((b->cats[b->ncats] = strdup(name)) == NULL)
		return -1;
	return (int)b->ncats++;
}

static int
catdb_push(struct catdb_build *b, size_t off, uint32_t len, int cat)
{
	struct catent	*nv;
	size_t		 cap;

	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 4096;
		if ((nv = reallocarray(b->ent, cap, sizeof *nv)) == NULL)
			return -1;
		b->ent = nv;
		b->cap = cap;
	}
	b->ent[b->n].off = off;
	b->ent[b->n].len = len;
	b->ent[b->n].cat = (uint16_t)cat;
	b->n++;
	return 0;
}

/* Add a normalised entry of category cat; 0 or -1 (out of memory). */
int
catdb_build_add(struct catdb_build *b, int cat, enum catlist_kind kind,
    const char *entry)
{
	size_t	 len = strlen(entry) + 1, cap;
	char	*na;

	if (cat < 0 || (size_t)cat >= b->ncats || len > CAT_MAXURL + 1)
		return -1;
	if (b->alen + len > b->acap) {
		cap = b->acap ? b->acap * 2 : 1 << 20;
		while (cap < b->alen + len)
			cap *= 2;
		if ((na = realloc(b->arena, cap)) == NULL)
			return -1;
		b->arena = na;
		b->acap = cap;
	}
	b->arena[b->alen] = kind == CATLIST_DOMAINS ? 'd' : 'u';
	memcpy(b->arena + b->alen + 1, entry, len - 1);
	if (catdb_push(b, b->alen, (uint32_t)len, cat) != 0)
		return -1;
	b->alen += len;
	return 0;
}

/*
 * alias is another name of target (UT1 ships "ads" as a link to
 * "publicite"): at write time alias gets every entry of target.
 */
int
catdb_build_alias(struct catdb_build *b, const char *alias,
    const char *target)
{
	struct catalias	*nv;

	nv = reallocarray(b->aliases, b->naliases + 1, sizeof *nv);
	if (nv == NULL)
		return -1;
	b->aliases = nv;
	nv[b->naliases].alias = strdup(alias);
	nv[b->naliases].target = strdup(target);
	if (nv[b->naliases].alias == NULL || nv[b->naliases].target == NULL) {
		free(nv[b->naliases].alias);
		free(nv[b->naliases].target);
		return -1;
	}
	b->naliases++;
	return 0;
}

size_t
catdb_build_count(const struct catdb_build *b)
{
	return b->n;
}

static int
catdb_entcmp(const void *va, const void *vb, void *arg)
{
	const struct catent	*a = va, *b = vb;
	struct catdb_build	*bld = arg;
	size_t			 l = a->len < b->len ? a->len : b->len;
	int			 c;

	/* LMDB's order: bytes, then the shorter first. */
	c = memcmp(bld->arena + a->off, bld->arena + b->off, l);
	if (c != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return strcmp(bld->cats[a->cat], bld->cats[b->cat]);
}

static int
catdb_namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
catdb_apply_aliases(struct catdb_build *b, char **cause)
{
	size_t	i, j, n;
	int	t, a;

	for (i = 0; i < b->naliases; i++) {
		for (t = 0; (size_t)t < b->ncats; t++)
			if (strcmp(b->cats[t], b->aliases[i].target) == 0)
				break;
		if ((size_t)t == b->ncats)
			continue;	/* a link to nothing we read */
		if ((a = catdb_build_category(b, b->aliases[i].alias)) < 0) {
			cause_set(cause, "out of memory");
			return -1;
		}
		for (j = 0, n = b->n; j < n; j++)
			if (b->ent[j].cat == t &&
			    catdb_push(b, b->ent[j].off, b->ent[j].len,
			    a) != 0) {
				cause_set(cause, "out of memory");
				return -1;
			}
	}
	return 0;
}

static int
catdb_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl,
    const void *v, size_t vl, unsigned flags)
{
	MDB_val	key = { kl, (void *)k }, val = { vl, (void *)v };

	return mdb_put(txn, dbi, &key, &val, flags);
}

static int
catdb_meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, const char *v)
{
	char	k[64];

	snprintf(k, sizeof k, "m%s", name);
	return catdb_put(txn, dbi, k, strlen(k), v, strlen(v), 0);
}

/* Write every entry of b (sorted) and the meta data; an LMDB error code. */
static int
catdb_write_txn(struct catdb_build *b, MDB_env *env, const char *source)
{
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	char		 val[CAT_MAXVALUE], num[32], when[32], *cats = NULL;
	char		**sorted = NULL;
	const char	*name;
	size_t		 i, j, vl, cl = 0, nd = 0, nu = 0;
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 rc;

	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
		goto fail;
	for (i = 0; i < b->n; i = j) {
		vl = 0;
		for (j = i; j < b->n && b->ent[j].len == b->ent[i].len &&
		    memcmp(b->arena + b->ent[j].off, b->arena + b->ent[i].off,
		    b->ent[i].len) == 0; j++) {
			name = b->cats[b->ent[j].cat];
			if (j > i && b->ent[j].cat == b->ent[j - 1].cat)
				continue;	/* listed twice */
			if (vl + strlen(name) + 1 >= sizeof val)
				continue;
			vl += snprintf(val + vl, sizeof val - vl, "%s%s",
			    vl ? "," : "", name);
		}
		if (b->arena[b->ent[i].off] == 'd')
			nd++;
		else
			nu++;
		rc = catdb_put(txn, dbi, b->arena + b->ent[i].off,
		    b->ent[i].len, val, vl, MDB_APPEND);
		if (rc != 0)
			goto fail;
	}
	for (i = 0; i < b->ncats; i++)
		cl += strlen(b->cats[i]) + 1;
	/* Sorted names, from a copy: the entries refer to b->cats by index. */
	if ((cats = malloc(cl + 1)) == NULL ||
	    (sorted = calloc(b->ncats + 1, sizeof *sorted)) == NULL) {
		rc = ENOMEM;
		goto fail;
	}
	memcpy(sorted, b->cats, b->ncats * sizeof *sorted);
	qsort(sorted, b->ncats, sizeof *sorted, catdb_namecmp);
	for (i = 0, j = 0; i < b->ncats; i++)
		j += snprintf(cats + j, cl + 1 - j, "%s%s", i ? "," : "",
		    sorted[i]);
	cats[j] = '\0';
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((rc = catdb_meta_put(txn, dbi, "format", CATDB_FORMAT)) != 0 ||
	    (rc = catdb_meta_put(txn, dbi, "categories", cats)) != 0 ||
	    (rc = catdb_meta_put(txn, dbi, "built", when)) != 0 ||
	    (rc = catdb_meta_put(txn, dbi, "source", source)) != 0)
		goto fail;
	snprintf(num, sizeof num, "%zu", nd);
	if ((rc = catdb_meta_put(txn, dbi, "domains", num)) != 0)
		goto fail;
	snprintf(num, sizeof num, "%zu", nu);
	if ((rc = catdb_meta_put(txn, dbi, "urls", num)) != 0)
		goto fail;
	free(cats);
	free(sorted);
	return mdb_txn_commit(txn);
fail:
	free(cats);
	free(sorted);
	mdb_txn_abort(txn);
	return rc;
}

/*
 * Write the database to path, atomically: into path.new.PID beside it,
 * synced, then renamed over path. Readers that have the old file open keep
 * it. 0, or -1 with *cause.
 */
int
catdb_build_write(struct catdb_build *b, const char *path, const char *source,
    char **cause)
{
	MDB_env	*env = NULL;
	char	*tmp = NULL;
	size_t	 mapsize;
	int	 rc = -1, lrc = 0, attempt;

	if (catdb_apply_aliases(b, cause) != 0)
		return -1;
	if (b->n > 0)
		qsort_r(b->ent, b->n, sizeof *b->ent, catdb_entcmp, b);
	/* The entries, a value and a node header each, plus slack. */
	mapsize = (b->alen + b->n * 40) * 2 + (4u << 20);
	if (asprintf(&tmp, "%s.new.%ld", path, (long)getpid()) == -1) {
		tmp = NULL;
		cause_set(cause, "out of memory");
		return -1;
	}
	for (attempt = 0; attempt < 4; attempt++, mapsize *= 2) {
		unlink(tmp);
		if ((lrc = mdb_env_create(&env)) != 0)
			break;
		if ((lrc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
		    (lrc = mdb_env_open(env, tmp, MDB_NOSUBDIR | MDB_NOLOCK |
		    MDB_NOSYNC, 0644)) != 0)
			break;
		lrc = catdb_write_txn(b, env, source);
		if (lrc == 0)
			lrc = mdb_env_sync(env, 1);
		mdb_env_close(env);
		env = NULL;
		if (lrc != MDB_MAP_FULL)
			break;
	}
	if (env != NULL)
		mdb_env_close(env);
	if (lrc != 0) {
		cause_set(cause, "%s: %s", tmp, mdb_strerror(lrc));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		cause_set(cause, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

void
catdb_build_free(struct catdb_build *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->ncats; i++)
		free(b->cats[i]);
	for (i = 0; i < b->naliases; i++) {
		free(b->aliases[i].alias);
		free(b->aliases[i].target);
	}
	free(b->cats);
	free(b->aliases);
	free(b->arena);
	free(b->ent);
	free(b);
}

/* Open a database read-only; NULL with *cause. The caller closes it. */
struct catdb *
catdb_open(const char *path, char **cause)
{
	struct catdb	*db;
	MDB_txn		*txn = NULL;
	char		 fmt[16];
	int		 rc;

	if ((db = calloc(1, sizeof *db)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	if ((rc = mdb_env_create(&db->env)) != 0)
		goto fail;
	if ((rc = mdb_env_open(db->env, path, MDB_NOSUBDIR | MDB_RDONLY |
	    MDB_NOLOCK | MDB_NOTLS, 0)) != 0 ||
	    (rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &db->dbi)) != 0)
		goto fail;
	mdb_txn_abort(txn);
	txn = NULL;
	if (catdb_meta(db, "format", fmt, sizeof fmt) != 0 ||
	    strcmp(fmt, CATDB_FORMAT) != 0) {
		cause_set(cause, "%s: not a category database of format %s "
		    "(run sslinspect-lists update)", path, CATDB_FORMAT);
		catdb_close(db);
		return NULL;
	}
	return db;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	cause_set(cause, "%s: %s", path, mdb_strerror(rc));
	catdb_close(db);
	return NULL;
}

void
catdb_close(struct catdb *db)
{
	if (db == NULL)
		return;
	if (db->env != NULL)
		mdb_env_close(db->env);
	free(db);
}

/* Look key up; 1 with *v set (valid until txn ends), 0 absent, -1 error. */
static int
catdb_get(struct catdb *db, MDB_txn *txn, const char *k, size_t kl, MDB_val *v)
{
	MDB_val	key = { kl, (void *)k };
	int	rc;

	rc = mdb_get(txn, db->dbi, &key, v);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc == 0 ? 1 : -1;
}

/* Append each member of the csv value not already in out; the new count. */
static int
catdb_merge(char *out, size_t outlen, size_t *used, int n, const MDB_val *v)
{
	const char	*p = v->mv_data, *e = p + v->mv_size, *c;
	char		 name[CAT_MAXCAT + 1];
	size_t		 l;

	while (p < e) {
		c = memchr(p, ',', e - p);
		l = (c ? c : e) - p;
		if (l > 0 && l <= CAT_MAXCAT) {
			memcpy(name, p, l);
			name[l] = '\0';
			if (!catlist_csv_has(out, name) &&
			    *used + l + 1 < outlen) {
				if (*used > 0)
					out[(*used)++] = ',';
				memcpy(out + *used, name, l + 1);
				*used += l;
				n++;
			}
		}
		p += l + 1;
	}
	return n;
}

/*
 * The categories of host (any case, trailing dot or not) into out as
 * "a,b": those listing it or a parent domain, the most specific first.
 * Returns how many (0: none or not a host name), -1 on a database error.
 */
int
catdb_host(struct catdb *db, const char *host, char *out, size_t outlen)
{
	MDB_txn		*txn;
	MDB_val		 v;
	char		 norm[CAT_MAXNAME + 2], key[CAT_MAXNAME + 3];
	const char	*why, *dot;
	size_t		 used = 0, s = 0;
	int		 len, n = 0, r;
	bool		 ip;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (host == NULL || (len = catlist_norm_host(host, strlen(host),
	    norm, sizeof norm, &why)) < 0)
		return 0;
	/* An IPv4 address is looked up whole, never by its "parents". */
	ip = strspn(norm, "0123456789.") == (size_t)len;
	if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	key[0] = 'd';
	for (;;) {
		memcpy(key + 1, norm + s, len - s);
		if ((r = catdb_get(db, txn, key, 1 + len - s, &v)) < 0) {
			n = -1;
			break;
		}
		if (r > 0)
			n = catdb_merge(out, outlen, &used, n, &v);
		if (ip || (dot = memchr(norm + s, '.', len - s)) == NULL)
			break;
		s = dot - norm + 1;
	}
	mdb_txn_abort(txn);
	return n;
}

/*
 * The categories whose urls list a prefix of url (scheme, port, query and
 * "www." ignored; prefixes end before a '/'; the host as it is, not its
 * parents), most specific first. As catdb_host returns.
 */
int
catdb_url(struct catdb *db, const char *url, char *out, size_t outlen)
{
	MDB_txn		*txn;
	MDB_val		 v;
	char		 key[CAT_MAXURL + 3], *norm = key + 1;
	const char	*why;
	size_t		 used = 0, l, hl;
	int		 len, n = 0, r;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (url == NULL || (len = catlist_norm_url(url, strlen(url), norm,
	    sizeof key - 1, &why)) < 0)
		return 0;
	key[0] = 'u';
	hl = strcspn(norm, "/");
	if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	for (l = (size_t)len;;) {
		if ((r = catdb_get(db, txn, key, 1 + l, &v)) < 0) {
			n = -1;
			break;
		}
		if (r > 0)
			n = catdb_merge(out, outlen, &used, n, &v);
		if (l <= hl)
			break;
		do
			l--;
		while (l > hl && norm[l] != '/');
	}
	mdb_txn_abort(txn);
	return n;
}

/*
 * The categories of a request: those of its URL (more specific) first,
 * then those of its host, each once. As catdb_host returns.
 */
int
catdb_request(struct catdb *db, const char *host, const char *url, char *out,
    size_t outlen)
{
	char	hc[CAT_MAXVALUE];
	MDB_val	v;
	size_t	used;
	int	n;

	if ((n = catdb_url(db, url, out, outlen)) < 0 ||
	    catdb_host(db, host, hc, sizeof hc) < 0) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	used = strlen(out);
	v.mv_data = hc;
	v.mv_size = strlen(hc);
	return catdb_merge(out, outlen, &used, n, &v);
}

/* A meta value (format, categories, built, source, domains, urls); 0/-1. */
int
catdb_meta(struct catdb *db, const char *name, char *out, size_t outlen)
{
	MDB_txn	*txn;
	MDB_val	 v;
	char	 key[64];
	int	 r, kl;

	kl = snprintf(key, sizeof key, "m%s", name);
	if (kl < 0 || (size_t)kl >= sizeof key || outlen == 0)
		return -1;
	if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	r = catdb_get(db, txn, key, kl, &v);
	if (r > 0) {
		if (v.mv_size >= outlen)
			r = -1;
		else {
			memcpy(out, v.mv_data, v.mv_size);
			out[v.mv_size] = '\0';
		}
	}
	mdb_txn_abort(txn);
	return r > 0 ? 0 : -1;
}
