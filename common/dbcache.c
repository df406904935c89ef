/*
 * The shared persistent cache: one LMDB file, DIR/cache.mdb, that every
 * process opens (each certgen helper of every Squid worker for leaf
 * certificates; each Squid worker for the eCAP front end's verdicts).
 * LMDB gives lock-free readers and serialized writers across processes,
 * so a hit costs no lock and no file rewrite. Values (a leaf certificate
 * and its key, never a CA key; a verdict) sit behind a header with the
 * expiry and a SHA-256 check over key, header and data: an entry that
 * fails the check is deleted and treated as a miss, so a damaged file can
 * cost a mint or a scan but never serve a wrong answer.
 * The files are 0600: leaf keys are readable by the owner's user only.
 * Writes go through the shared map without fsync (MDB_WRITEMAP, NOSYNC):
 * this is a cache, and a file damaged by a crash is detected and rebuilt.
 *
 * Damage is met at open or later, inside the file (a page LMDB calls
 * corrupted, or not found); either way the process that meets it replaces
 * the file and carries on with the new one, and every other process moves
 * to the new file when it meets the damage itself or next writes. A lock
 * on DIR/cache.mdb-rebuild keeps an open from racing a replacement.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cause.h"
#include "dbcache.h"
#include "log.h"

#define DBCACHE_FILE	"cache.mdb"
#define DBCACHE_LOCK	"-lock"		/* LMDB's own lock file suffix */
#define DBCACHE_REBUILD	"-rebuild"	/* ours: taken to open or replace */
/* More than LMDB's lock file takes for 1022 readers (64 bytes each). */
#define DBCACHE_LOCKROOM	(128 * 1024)
#define DBCACHE_MAGIC	"SICG0001"
#define DBCACHE_HDR	(8 + 8 + 8 + 4 + 32)

struct dbcache {
	MDB_env	*env;		/* NULL once it could not be replaced */
	MDB_dbi	 dbi;
	MDB_txn	*rtxn;		/* reset between reads, renewed for each */
	char	*path;
	size_t	 mapsize;
	size_t	 limit;		/* bytes of entries before eviction */
	dev_t	 dev;		/* the file env has open */
	ino_t	 ino;
	off_t	 size;		/* its size then: what the map may touch */
};

/* Fixed-width little-endian fields, so the file does not depend on ABI. */
static void
dbcache_put64(unsigned char *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
dbcache_get64(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SHA-256 over key, header (without the check) and data into out. */
static int
dbcache_check(const unsigned char *key, const unsigned char *hdr,
    const unsigned char *data, size_t len, unsigned char *out)
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, key, 32) &&
	    EVP_DigestUpdate(ctx, hdr, DBCACHE_HDR - 32) &&
	    EVP_DigestUpdate(ctx, data, len) &&
	    EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* Make path and its lock file 0600 if they are wider. */
static int
dbcache_perms(const char *path, char **cause)
{
	char		 lock[4096];
	const char	*p[2] = { path, lock };
	struct stat	 sb;
	int		 i;

	snprintf(lock, sizeof lock, "%s-lock", path);
	for (i = 0; i < 2; i++) {
		if (stat(p[i], &sb) == -1)
			continue;
		if ((sb.st_mode & 077) != 0 && chmod(p[i], 0600) == -1) {
			cause_set(cause, "%s: mode %o and chmod failed: %s",
			    p[i], (unsigned)(sb.st_mode & 0777),
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Does an LMDB error say the file is damaged (rather than busy or full)? */
static int
dbcache_damaged(int rc)
{
	return rc == MDB_INVALID || rc == MDB_CORRUPTED || rc == MDB_PANIC ||
	    rc == MDB_PAGE_NOTFOUND || rc == MDB_VERSION_MISMATCH;
}

/*
 * Both files are written through shared maps (the lock file's reader
 * table, the data with MDB_WRITEMAP): a page of a sparse file that a full
 * disk (a tmpfs TmpDir) cannot back kills the writer with SIGBUS, inside
 * mdb_env_open already for the lock file. So every page is backed before
 * LMDB writes to it, and no room is only an error: the lock file before
 * the open, the data file (which LMDB must find empty to make it new, and
 * only writes through the map after it) right after. 0 or an errno.
 */
static int
dbcache_reserve_fd(int fd, off_t size)
{
	if (fallocate(fd, 0, 0, size) == -1 && errno != EOPNOTSUPP)
		return errno;
	return 0;
}

static int
dbcache_reserve(const char *path, const char *suffix, off_t size)
{
	char	p[4096];
	int	fd, rc;

	snprintf(p, sizeof p, "%s%s", path, suffix);
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		return errno;
	rc = dbcache_reserve_fd(fd, size);
	close(fd);
	return rc;
}

/* Open the environment once; an LMDB error code (0 on success). */
static int
dbcache_try(struct dbcache *db)
{
	MDB_txn		*txn;
	struct stat	 sb;
	int		 rc, fd;

	if ((rc = dbcache_reserve(db->path, DBCACHE_LOCK,
	    DBCACHE_LOCKROOM)) != 0)
		return rc;
	if ((rc = mdb_env_create(&db->env)) != 0)
		return rc;
	if ((rc = mdb_env_set_mapsize(db->env, db->mapsize)) != 0 ||
	    (rc = mdb_env_set_maxreaders(db->env, 1022)) != 0 ||
	    (rc = mdb_env_open(db->env, db->path, MDB_NOSUBDIR | MDB_NOSYNC |
	    MDB_WRITEMAP | MDB_MAPASYNC | MDB_NOTLS, 0600)) != 0)
		goto fail;
	if ((rc = mdb_env_get_fd(db->env, &fd)) != 0)
		goto fail;
	if (fstat(fd, &sb) == -1) {
		rc = errno;
		goto fail;
	}
	if ((rc = dbcache_reserve_fd(fd, sb.st_size)) != 0)
		goto fail;
	mdb_reader_check(db->env, NULL);
	if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &db->dbi)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	/* a failed commit has freed the transaction */
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	db->dev = sb.st_dev;
	db->ino = sb.st_ino;
	db->size = sb.st_size;
	return 0;
fail:
	mdb_env_close(db->env);
	db->env = NULL;
	return rc;
}

/* Let go of the environment (the file stays). */
static void
dbcache_detach(struct dbcache *db)
{
	if (db->rtxn != NULL)
		mdb_txn_abort(db->rtxn);
	db->rtxn = NULL;
	if (db->env != NULL)
		mdb_env_close(db->env);
	db->env = NULL;
}

/* Lock DIR/cache.mdb-rebuild (LOCK_SH or LOCK_EX); its fd, or -1. */
static int
dbcache_lock(const struct dbcache *db, int how)
{
	char	path[4096];
	int	fd;

	snprintf(path, sizeof path, "%s%s", db->path, DBCACHE_REBUILD);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	while (flock(fd, how) == -1) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/*
 * Open the file, replacing it when it is damaged. With gone set, the file
 * of that device and inode is known to be damaged (LMDB said why): it is
 * removed if it is still the one at the path (the first process to get
 * here), otherwise the replacement another process made is opened. An LMDB
 * error code.
 */
static int
dbcache_attach(struct dbcache *db, const struct stat *gone, const char *why)
{
	struct stat	 sb;
	char		 lock[4096];
	int		 rc, lfd, have;

	dbcache_detach(db);
	snprintf(lock, sizeof lock, "%s%s", db->path, DBCACHE_LOCK);
	lfd = dbcache_lock(db, gone != NULL ? LOCK_EX : LOCK_SH);
	have = stat(db->path, &sb) == 0;
	if (gone != NULL && have && sb.st_dev == gone->st_dev &&
	    sb.st_ino == gone->st_ino) {
		log_warnx("%s: %s; rebuilding the cache", db->path, why);
		unlink(db->path);
		unlink(lock);
	} else if (gone != NULL)
		log_info("%s: %s; another process rebuilt the cache already",
		    db->path, why);
	rc = dbcache_try(db);
	if (dbcache_damaged(rc) && gone == NULL && have) {
		/* found damaged at open: replace it, under the lock */
		if (lfd != -1)
			close(lfd);
		return dbcache_attach(db, &sb, mdb_strerror(rc));
	}
	if (lfd != -1)
		close(lfd);
	return rc;
}

/*
 * Open (creating) the cache in dir, bounded by mapsize bytes. A file LMDB
 * rejects as damaged is removed and created afresh. NULL with a cause:
 * the caller then works from memory alone.
 */
struct dbcache *
dbcache_open(const char *dir, size_t mapsize, char **cause)
{
	struct dbcache	*db;
	int		 rc;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if ((db = calloc(1, sizeof *db)) == NULL ||
	    asprintf(&db->path, "%s/%s", dir, DBCACHE_FILE) == -1) {
		free(db);
		cause_set(cause, "out of memory");
		return NULL;
	}
	/*
	 * Entries are held to mapsize by eviction; the map itself gets a
	 * quarter more, because LMDB needs free pages to delete anything.
	 */
	db->limit = mapsize;
	db->mapsize = mapsize + mapsize / 4 + (1 << 20);
	rc = dbcache_attach(db, NULL, NULL);
	if (rc == 0 && dbcache_perms(db->path, cause) == -1)
		rc = -1;
	else if (rc != 0)
		cause_set(cause, "%s: %s", db->path, mdb_strerror(rc));
	if (rc != 0) {
		dbcache_close(db);
		return NULL;
	}
	return db;
}

/*
 * The file env has open met damage (rc): replace it, or move to the one
 * another process already made. 0, or -1 with a cause (the cache is then
 * closed and the caller works from memory alone).
 */
static int
dbcache_recover(struct dbcache *db, int rc, char **cause)
{
	struct stat	gone;

	memset(&gone, 0, sizeof gone);
	gone.st_dev = db->dev;
	gone.st_ino = db->ino;
	if ((rc = dbcache_attach(db, &gone, mdb_strerror(rc))) != 0 ||
	    dbcache_perms(db->path, cause) == -1) {
		if (rc != 0)
			cause_set(cause, "%s: rebuilding: %s", db->path,
			    mdb_strerror(rc));
		dbcache_detach(db);
		return -1;
	}
	return 0;
}

/* Is the file at db->path no longer the one env has open? */
static int
dbcache_replaced(const struct dbcache *db)
{
	struct stat	sb;

	return stat(db->path, &sb) == 0 &&
	    (sb.st_dev != db->dev || sb.st_ino != db->ino);
}

/*
 * Has another process replaced the file since env opened it? Then move to
 * the new one, so a process that never meets the damage itself does not
 * keep writing into a file nobody else reads. 0, or -1 with a cause.
 */
static int
dbcache_follow(struct dbcache *db, char **cause)
{
	int	rc;

	if (!dbcache_replaced(db))
		return 0;
	log_info("%s was rebuilt by another process; using the new file",
	    db->path);
	if ((rc = dbcache_attach(db, NULL, NULL)) != 0) {
		cause_set(cause, "%s: %s", db->path, mdb_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * Has the file shrunk under the map since env opened it (truncated in
 * place, or opened by a process with a smaller map)? A page past its end
 * kills the process with SIGBUS on the next access, and this process may
 * be a Squid worker, so open it again first: LMDB takes an empty file for
 * a new one, and tells a damaged one apart as at any open. This narrows
 * the window to the moment between the check and the access.
 */
static int
dbcache_shrunk(struct dbcache *db, char **cause)
{
	struct stat	sb;
	int		fd, rc;

	if (mdb_env_get_fd(db->env, &fd) != 0 || fstat(fd, &sb) == -1 ||
	    sb.st_size >= db->size)
		return 0;
	log_warnx("%s shrank to %lld bytes under the cache; opening it again",
	    db->path, (long long)sb.st_size);
	if ((rc = dbcache_attach(db, NULL, NULL)) != 0) {
		cause_set(cause, "%s: %s", db->path, mdb_strerror(rc));
		dbcache_detach(db);
		return -1;
	}
	return dbcache_perms(db->path, cause);
}

void
dbcache_close(struct dbcache *db)
{
	if (db == NULL)
		return;
	dbcache_detach(db);
	free(db->path);
	free(db);
}

/* Is this stored value well formed and intact? Fills *expires. */
static int
dbcache_valid(const unsigned char *key, const MDB_val *v, time_t *expires)
{
	const unsigned char	*p = v->mv_data;
	unsigned char		 check[32];
	uint64_t		 len;

	if (v->mv_size < DBCACHE_HDR || memcmp(p, DBCACHE_MAGIC, 8) != 0)
		return 0;
	len = dbcache_get64(p + 24) & 0xffffffff;
	if (len != v->mv_size - DBCACHE_HDR ||
	    dbcache_check(key, p, p + DBCACHE_HDR, (size_t)len, check) == -1 ||
	    CRYPTO_memcmp(check, p + DBCACHE_HDR - 32, 32) != 0)
		return 0;
	*expires = (time_t)dbcache_get64(p + 16);
	return 1;
}

/* Delete one key in its own write transaction (a damaged entry). */
static int
dbcache_del(struct dbcache *db, const unsigned char *key)
{
	MDB_txn	*txn;
	MDB_val	 k = { 32, (void *)key };
	int	 rc;

	if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_del(txn, db->dbi, &k, NULL)) == 0)
		return mdb_txn_commit(txn);
	mdb_txn_abort(txn);
	return rc;
}

/*
 * One lookup in the file env has open: an LMDB error code (0 also for a
 * miss), *hit 1 when *data holds a copy of the value.
 */
static int
dbcache_lookup(struct dbcache *db, const unsigned char *key, time_t now,
    unsigned char **data, size_t *len, time_t *expires, int *hit)
{
	MDB_val	k = { 32, (void *)key }, v;
	int	rc, valid = 0;

	*hit = 0;
	rc = db->rtxn == NULL ?
	    mdb_txn_begin(db->env, NULL, MDB_RDONLY, &db->rtxn) :
	    mdb_txn_renew(db->rtxn);
	if (rc != 0) {
		db->rtxn = NULL;
		return rc;
	}
	rc = mdb_get(db->rtxn, db->dbi, &k, &v);
	if (rc == 0) {
		valid = dbcache_valid(key, &v, expires);
		if (valid && *expires > now) {
			*len = v.mv_size - DBCACHE_HDR;
			if ((*data = malloc(*len)) != NULL) {
				memcpy(*data, (unsigned char *)v.mv_data +
				    DBCACHE_HDR, *len);
				*hit = 1;
			}
		}
	}
	mdb_txn_reset(db->rtxn);
	if (rc == 0 && !valid) {
		log_warnx("%s: damaged entry removed", db->path);
		if (!dbcache_damaged(rc = dbcache_del(db, key)))
			rc = 0;	/* a miss all the same */
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Look key up. Returns 1 with a malloc'd copy of the value in *data (the
 * caller wipes and frees it), 0 on a miss (absent, expired or damaged),
 * -1 with a cause when LMDB fails. A damaged file is replaced (or the
 * replacement another process made is taken) and the lookup made again.
 */
int
dbcache_get(struct dbcache *db, const unsigned char *key, time_t now,
    unsigned char **data, size_t *len, time_t *expires, char **cause)
{
	int	rc, hit;

	if (db->env == NULL) {
		cause_set(cause, "%s: closed", db->path);
		return -1;
	}
	if (dbcache_shrunk(db, cause) == -1)
		return -1;
	rc = dbcache_lookup(db, key, now, data, len, expires, &hit);
	if (dbcache_damaged(rc)) {
		if (dbcache_recover(db, rc, cause) == -1)
			return -1;
		rc = dbcache_lookup(db, key, now, data, len, expires, &hit);
	} else if (rc != 0 && dbcache_replaced(db)) {
		/*
		 * Another process met damage first and replaced the file.
		 * LMDB 0.9.24 then tells this one MDB_CORRUPTED, but 0.9.31
		 * (Debian 13) says EINVAL: the named database's record lies
		 * on the damaged page. Either way the new file is the answer.
		 */
		if (dbcache_follow(db, cause) == -1)
			return -1;
		rc = dbcache_lookup(db, key, now, data, len, expires, &hit);
	}
	if (rc == 0)
		return hit;
	cause_set(cause, "cache read: %s", mdb_strerror(rc));
	return -1;
}

/* Time stored of a value, or 0 for one that is damaged. */
static time_t
dbcache_stored(const MDB_val *k, const MDB_val *v)
{
	time_t	exp;

	if (k->mv_size != 32 || !dbcache_valid(k->mv_data, v, &exp))
		return 0;
	return (time_t)dbcache_get64((const unsigned char *)v->mv_data + 8);
}

static int
dbcache_cmp_time(const void *a, const void *b)
{
	time_t	x = *(const time_t *)a, y = *(const time_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Make room: delete expired and damaged entries and, if that frees less
 * than a quarter, the older half by time stored.
 */
static int
dbcache_evict(struct dbcache *db, time_t now)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	time_t		*ages = NULL, cut = 0, exp;
	size_t		 n = 0, cap = 0, dropped = 0;
	int		 rc, pass;

	if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
		return rc;
	for (pass = 0; pass < 2; pass++) {
		if ((rc = mdb_cursor_open(txn, db->dbi, &cur)) != 0)
			break;
		while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
			exp = 0;
			if (dbcache_stored(&k, &v) == 0 ||
			    (dbcache_valid(k.mv_data, &v, &exp) &&
			    exp <= now) ||
			    (pass == 1 && dbcache_stored(&k, &v) <= cut)) {
				if ((rc = mdb_cursor_del(cur, 0)) != 0)
					break;
				dropped++;
			} else if (pass == 0) {
				if (n == cap) {
					cap = cap ? cap * 2 : 1024;
					ages = reallocarray(ages, cap,
					    sizeof *ages);
					if (ages == NULL)
						cap = n = 0;
				}
				if (ages != NULL)
					ages[n++] = dbcache_stored(&k, &v);
			}
		}
		mdb_cursor_close(cur);
		if (pass == 1 || dropped * 4 >= n + dropped || n == 0)
			break;
		qsort(ages, n, sizeof *ages, dbcache_cmp_time);
		cut = ages[n / 2];	/* the median time stored */
	}
	free(ages);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/* Write one value; an LMDB error code. */
static int
dbcache_write(struct dbcache *db, const unsigned char *key,
    const unsigned char *data, size_t len, time_t expires, time_t now)
{
	MDB_txn		*txn;
	MDB_val		 k = { 32, (void *)key }, v;
	MDB_stat	 st;
	unsigned char	*p;
	size_t		 used;
	int		 rc;

	if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
		return rc;
	v.mv_size = DBCACHE_HDR + len;
	if ((rc = mdb_put(txn, db->dbi, &k, &v, MDB_RESERVE)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	p = v.mv_data;
	memcpy(p, DBCACHE_MAGIC, 8);
	dbcache_put64(p + 8, (uint64_t)now);
	dbcache_put64(p + 16, (uint64_t)expires);
	dbcache_put64(p + 24, (uint64_t)len);
	memcpy(p + DBCACHE_HDR, data, len);
	if (dbcache_check(key, p, data, len, p + DBCACHE_HDR - 32) == -1) {
		mdb_txn_abort(txn);
		return MDB_PANIC;
	}
	if ((rc = mdb_stat(txn, db->dbi, &st)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return rc;
	used = (st.ms_branch_pages + st.ms_leaf_pages +
	    st.ms_overflow_pages) * (size_t)st.ms_psize;
	if (used > db->limit && (rc = dbcache_evict(db, now)) != 0)
		log_debug("cache eviction: %s", mdb_strerror(rc));
	return 0;
}

/*
 * Store data under key until expires, making room when the map is full.
 * Returns 0, or -1 with a cause (the entry is then simply not shared).
 */
int
dbcache_put(struct dbcache *db, const unsigned char *key,
    const unsigned char *data, size_t len, time_t expires, time_t now,
    char **cause)
{
	int	rc, tries;

	if (db->env == NULL) {
		cause_set(cause, "%s: closed", db->path);
		return -1;
	}
	if (dbcache_follow(db, cause) == -1 ||
	    dbcache_shrunk(db, cause) == -1)
		return -1;
	/*
	 * Pages an eviction frees become reusable only after a later
	 * commit, so a full map may take a second round. A damaged file is
	 * replaced once, and the entry written to the new one.
	 */
	rc = dbcache_write(db, key, data, len, expires, now);
	if (dbcache_damaged(rc)) {
		if (dbcache_recover(db, rc, cause) == -1)
			return -1;
		rc = dbcache_write(db, key, data, len, expires, now);
	}
	for (tries = 0; rc == MDB_MAP_FULL && tries < 3; tries++) {
		if ((rc = dbcache_evict(db, now)) != 0)
			log_debug("cache eviction: %s", mdb_strerror(rc));
		rc = dbcache_write(db, key, data, len, expires, now);
	}
	if (rc != 0) {
		cause_set(cause, "cache write: %s", mdb_strerror(rc));
		return -1;
	}
	return 0;
}
