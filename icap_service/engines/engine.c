/*
 * The engine set and the per-body scan (engine.h): every decoded chunk goes
 * once through the DLP stream, the EICAR matcher and SHA-256; the first
 * bytes decide the true type, and only types that need it (archives for
 * libarchive, executables/office/PDF/unknown binaries for libclamav) are
 * spooled for the end-of-data engines.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cause.h"
#include "dlp.h"
#include "engine_int.h"

#define ENGINE_SEV_MALWARE	4
#define ENGINE_SEV_FILETYPE	3

void
engine_config_defaults(struct engine_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->clamav = true;
	cfg->clamav_max_bytes = 25 * 1024 * 1024;
	cfg->archive_max_bytes = 100 * 1024 * 1024;
	cfg->archive_max_depth = 5;
	cfg->archive_max_entries = 10000;
	cfg->archive_max_ratio = 100;
	cfg->tmpdir = "/tmp";
}

/* DLP on for uploads only; malware, file type and archives both ways. */
void
engine_profile_defaults(struct engine_profile *p, enum engine_direction dir)
{
	memset(p, 0, sizeof *p);
	p->dlp = (dir == ENGINE_UPLOAD);
	p->malware = true;
	p->filetype = true;
	p->archives = true;
	p->card_threshold = 1;
	p->ssn_threshold = 1;
	p->iban_threshold = 1;
}

/* Returns the loaded set, or NULL with *cause. */
struct engine_set *
engine_set_load(const struct engine_config *cfg, char **cause)
{
	struct engine_set	*set;

	if ((set = calloc(1, sizeof *set)) == NULL) {
		cause_set(cause, "out of memory");
		return (NULL);
	}
	set->cfg = *cfg;
	pthread_mutex_init(&set->lock, NULL);
	if ((set->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		cause_set(cause, "openssl: no SHA-256");
		goto fail;
	}
	if ((set->dlp = dlp_db_load(cfg->dictionary_dir, cause)) == NULL)
		goto fail;
	if (cfg->clamav &&
	    (set->clam = malware_clam_load(cfg, cause)) == NULL)
		goto fail;
	if (cfg->hash_blocklist != NULL && *cfg->hash_blocklist != '\0' &&
	    (set->hashes = malware_hash_load(cfg->hash_blocklist,
	    cause)) == NULL)
		goto fail;
	if ((set->magic = filetype_magic_open(cause)) == NULL)
		goto fail;
	set->hash_checked = time(NULL);
	return (set);
fail:
	engine_set_free(set);
	return (NULL);
}

void
engine_set_free(struct engine_set *set)
{
	if (set == NULL)
		return;
	dlp_db_free(set->dlp);
	malware_clam_release(set->clam);
	malware_hash_release(set->hashes);
	filetype_magic_close(set->magic);
	EVP_MD_free(set->sha256);
	pthread_mutex_destroy(&set->lock);
	free(set);
}

/* Swap in a new blocklist when the file changed; the old one stays on error. */
static int
engine_reload_hashes(struct engine_set *set, char **cause)
{
	struct malware_hashlist	*old, *new;

	pthread_mutex_lock(&set->lock);
	old = set->hashes;
	if (old != NULL)
		malware_hash_hold(old);
	pthread_mutex_unlock(&set->lock);
	if (old == NULL || !malware_hash_changed(old)) {
		malware_hash_release(old);
		return (0);
	}
	malware_hash_release(old);
	if ((new = malware_hash_load(set->cfg.hash_blocklist, cause)) == NULL)
		return (-1);
	pthread_mutex_lock(&set->lock);
	old = set->hashes;
	set->hashes = new;
	pthread_mutex_unlock(&set->lock);
	malware_hash_release(old);
	return (0);
}

/*
 * Reload the ClamAV signatures (if their directory changed) and the hash
 * blocklist (if its file changed). 0, or -1 with *cause; what failed to
 * load keeps its old version. Scans may run meanwhile; two reloads of one
 * set must not.
 */
int
engine_set_reload(struct engine_set *set, char **cause)
{
	struct malware_clam	*old, *new;
	bool			 changed;
	int			 rc = 0;

	if (engine_reload_hashes(set, cause) != 0)
		rc = -1;
	pthread_mutex_lock(&set->lock);
	if ((old = set->clam) != NULL)
		malware_clam_hold(old);
	pthread_mutex_unlock(&set->lock);
	changed = old != NULL && malware_clam_changed(old);
	malware_clam_release(old);
	if (!changed)
		return (rc);
	if ((new = malware_clam_load(&set->cfg, rc == 0 ? cause : NULL)) ==
	    NULL)
		return (-1);
	pthread_mutex_lock(&set->lock);
	old = set->clam;
	set->clam = new;
	pthread_mutex_unlock(&set->lock);
	malware_clam_release(old);
	return (rc);
}

/* At most once a second, any scan may notice a changed blocklist. */
static void
engine_check_hashes(struct engine_set *set)
{
	time_t	now = time(NULL);
	bool	due = false;

	pthread_mutex_lock(&set->lock);
	if (set->hashes != NULL && now != set->hash_checked) {
		set->hash_checked = now;
		due = true;
	}
	pthread_mutex_unlock(&set->lock);
	if (due)
		engine_reload_hashes(set, NULL);
}

struct engine_scan *
engine_scan_nested(struct engine_set *set, const struct engine_profile *prof,
    enum engine_direction dir, unsigned depth, struct engine_scan *parent,
    char **cause)
{
	struct engine_scan	*s;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		cause_set(cause, "out of memory");
		return (NULL);
	}
	s->set = set;
	s->dir = dir;
	s->depth = depth;
	if (prof != NULL)
		s->prof = *prof;
	else
		engine_profile_defaults(&s->prof, dir);
	s->budget = parent != NULL ? parent->budget : &s->own_budget;
	engine_spool_init(&s->spool, 0);
	malware_eicar_init(&s->eicar);
	if (s->prof.dlp &&
	    (s->dlp = dlp_scan_begin(set->dlp, &s->prof, cause)) == NULL)
		goto fail;
	pthread_mutex_lock(&set->lock);
	if (s->prof.malware && set->hashes != NULL) {
		s->hashes = set->hashes;
		malware_hash_hold(s->hashes);
	}
	if (s->prof.malware && depth == 0 &&
	    malware_clam_signatures(set->clam) > 0) {
		s->clam = set->clam;
		malware_clam_hold(s->clam);
	}
	pthread_mutex_unlock(&set->lock);
	if (s->hashes != NULL && ((s->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->sha, set->sha256, NULL) != 1)) {
		cause_set(cause, "openssl: cannot start SHA-256");
		goto fail;
	}
	return (s);
fail:
	engine_scan_free(s);
	return (NULL);
}

/* Start one body; see engine.h. */
struct engine_scan *
engine_scan_begin(struct engine_set *set, const struct engine_profile *prof,
    enum engine_direction dir, const char *name_hint, char **cause)
{
	struct engine_scan	*s;

	engine_check_hashes(set);
	if ((s = engine_scan_nested(set, prof, dir, 0, NULL, cause)) == NULL)
		return (NULL);
	snprintf(s->name, sizeof s->name, "%s",
	    name_hint != NULL ? name_hint : "");
	return (s);
}

static bool
engine_wants_unpack(const struct engine_scan *s)
{
	return (s->prof.archives && (s->ft.flags & FT_UNPACK) != 0);
}

/* Decide the true type from the prefix and whether to spool the body. */
static int
engine_scan_type(struct engine_scan *s, char **cause)
{
	const struct filetype	*t;
	uint64_t		 limit = 0;

	s->typed = true;
	if ((t = filetype_sniff(s->prefix, s->plen)) != NULL)
		s->ft = *t;
	else
		filetype_magic_guess(s->set->magic, s->prefix, s->plen,
		    s->ftname, sizeof s->ftname, &s->ft);
	snprintf(s->res.true_type, sizeof s->res.true_type, "%s", s->ft.name);
	if (s->clam != NULL && (s->ft.flags & FT_CLAMAV) != 0)
		limit = s->set->cfg.clamav_max_bytes;
	if (engine_wants_unpack(s) &&
	    s->set->cfg.archive_max_bytes > limit)
		limit = s->set->cfg.archive_max_bytes;
	if (limit == 0)
		return (0);
	s->spooling = true;
	engine_spool_init(&s->spool, limit);
	return (engine_spool_add(&s->spool, s->set->cfg.tmpdir, s->prefix,
	    s->plen, cause));
}

/* Feed decoded bytes; see engine.h. */
int
engine_scan_feed(struct engine_scan *s, const void *buf, size_t len,
    char **cause)
{
	const unsigned char	*p = buf;
	size_t			 take = 0;

	if (s->failed) {
		cause_set(cause, "scan already failed");
		return (-1);
	}
	if (len == 0)
		return (0);
	s->res.bytes += len;
	if (!s->typed) {
		take = FILETYPE_PREFIX - s->plen;
		if (take > len)
			take = len;
		memcpy(s->prefix + s->plen, p, take);
		s->plen += take;
		if (s->plen == FILETYPE_PREFIX &&
		    engine_scan_type(s, cause) != 0)
			goto fail;
	}
	if (s->spooling && take < len && engine_spool_add(&s->spool,
	    s->set->cfg.tmpdir, p + take, len - take, cause) != 0)
		goto fail;
	if (s->dlp != NULL && dlp_scan_feed(s->dlp, buf, len, cause) != 0)
		goto fail;
	if (s->prof.malware)
		malware_eicar_feed(&s->eicar, buf, len);
	if (s->sha != NULL && EVP_DigestUpdate(s->sha, buf, len) != 1) {
		cause_set(cause, "openssl: SHA-256 failed");
		goto fail;
	}
	return (0);
fail:
	s->failed = true;
	return (-1);
}

static int
engine_end_hash(struct engine_scan *s, char **cause)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen = 0;
	const char	*name = NULL;
	char		 sample[ENGINE_SAMPLE_MAX];
	size_t		 i;

	if (s->sha == NULL)
		return (0);
	if (EVP_DigestFinal_ex(s->sha, md, &mdlen) != 1 || mdlen != 32) {
		cause_set(cause, "openssl: SHA-256 failed");
		return (-1);
	}
	if (!malware_hash_lookup(s->hashes, md, &name))
		return (0);
	if (name != NULL && *name != '\0')
		snprintf(sample, sizeof sample, "%s", name);
	else {
		for (i = 0; i < 8; i++)
			snprintf(sample + 2 * i, 3, "%02x", md[i]);
	}
	engine_result_add(&s->res, "hash", "sha256", 1, ENGINE_SEV_MALWARE,
	    sample);
	return (0);
}

static int
engine_end_clam(struct engine_scan *s, char **cause)
{
	char	virname[48];
	int	rc;

	if (s->clam == NULL || (s->ft.flags & FT_CLAMAV) == 0 ||
	    !s->spooling || s->spool.over)
		return (0);
	if (s->spool.fd != -1)
		rc = malware_clam_scan_fd(s->clam, s->spool.fd, virname,
		    sizeof virname, cause);
	else
		rc = malware_clam_scan_mem(s->clam, s->spool.mem, s->spool.len,
		    virname, sizeof virname, cause);
	if (rc == 1)
		engine_result_add(&s->res, "malware", virname, 1,
		    ENGINE_SEV_MALWARE, NULL);
	return (rc < 0 ? -1 : 0);
}

static int
engine_end_archive(struct engine_scan *s, char **cause)
{
	if (!engine_wants_unpack(s) || !s->spooling)
		return (0);
	if (s->spool.over || s->spool.size > s->set->cfg.archive_max_bytes) {
		engine_result_uninspectable(&s->res,
		    "archive larger than %llu bytes",
		    (unsigned long long)s->set->cfg.archive_max_bytes);
		return (0);
	}
	if (s->depth >= s->set->cfg.archive_max_depth) {
		engine_result_uninspectable(&s->res,
		    "archives nested deeper than %u",
		    s->set->cfg.archive_max_depth);
		return (0);
	}
	if (s->depth == 0)
		s->budget->compressed = s->spool.size;
	return (archive_scan(s, cause));
}

static int
engine_end_engines(struct engine_scan *s, char **cause)
{
	if (!s->typed && engine_scan_type(s, cause) != 0)
		return (-1);
	if (s->dlp != NULL && dlp_scan_end(s->dlp, &s->res, &s->prof,
	    cause) != 0)
		return (-1);
	if (s->prof.malware && s->eicar.found)
		engine_result_add(&s->res, "malware", "Eicar-Test-Signature", 1,
		    ENGINE_SEV_MALWARE, NULL);
	if (engine_end_hash(s, cause) != 0)
		return (-1);
	if (s->prof.filetype && filetype_listed(s->prof.blocked_types,
	    s->ft.name, s->ft.group))
		engine_result_add(&s->res, "filetype", s->ft.name, 1,
		    ENGINE_SEV_FILETYPE, NULL);
	if (engine_end_archive(s, cause) != 0)
		return (-1);
	return (engine_end_clam(s, cause));
}

/* A detection already certain before the end; see engine.h. */
bool
engine_scan_detected(const struct engine_scan *s)
{
	if (s->prof.malware && s->eicar.found)
		return (true);
	return (s->typed && s->prof.filetype &&
	    filetype_listed(s->prof.blocked_types, s->ft.name, s->ft.group));
}

/* Finish; see engine.h. On -1 the result still says ENGINE_ERROR. */
int
engine_scan_end(struct engine_scan *s, struct engine_result *r, char **cause)
{
	char	*why = NULL;
	int	 rc = 0;

	if (s->failed || engine_end_engines(s, &why) != 0) {
		s->res.verdict = ENGINE_ERROR;
		snprintf(s->res.reason, sizeof s->res.reason, "engine error: %s",
		    why != NULL ? why : "earlier failure");
		if (why != NULL && cause != NULL) {
			free(*cause);
			*cause = why;
			why = NULL;
		} else if (why == NULL)
			cause_set(cause, "scan failed earlier");
		rc = -1;
	}
	free(why);
	engine_result_finish(&s->res);
	*r = s->res;
	s->failed = true;
	return (rc);
}

void
engine_scan_free(struct engine_scan *s)
{
	if (s == NULL)
		return;
	dlp_scan_free(s->dlp);
	EVP_MD_CTX_free(s->sha);
	malware_hash_release(s->hashes);
	malware_clam_release(s->clam);
	engine_spool_free(&s->spool);
	free(s);
}
