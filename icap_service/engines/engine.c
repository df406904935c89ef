/*
 * The engine set and the per-body scan (engine.h): every decoded chunk goes
 * once through the DLP stream, the EICAR matcher, SHA-256 and the search
 * for embedded archive signatures; the first bytes decide the true type,
 * and only types that need it (archives for libarchive, PDF for poppler,
 * executables, office files, scripts and unknown binaries for libclamav)
 * are spooled for the end-of-data engines. Text extracted on the way
 * (office XML, UTF-16, PDF) goes through DLP as a second stream; the
 * parts of a mail message are scanned as members.
 */
#include "config.h"

#include <clamav.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cause.h"
#include "dlp.h"
#include "embed.h"
#include "engine_int.h"
#include "mime.h"

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
	cfg->archive_max_cpu_ms = 20000;
	cfg->pdf_max_pages = 2000;
	cfg->pdf_max_cpu_ms = 10000;
	cfg->text_max_bytes = 64 * 1024 * 1024;
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
		return NULL;
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
	if ((set->embed = embed_db_load(cause)) == NULL)
		goto fail;
	text_xml_init();
	text_pdf_init();
	set->hash_checked = time(NULL);
	return set;
fail:
	engine_set_free(set);
	return NULL;
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
	embed_db_free(set->embed);
	EVP_MD_free(set->sha256);
	pthread_mutex_destroy(&set->lock);
	free(set);
}

/*
 * Swap in a new blocklist when the file changed (and, for the reloads
 * scans start, has settled); the old one stays on error.
 */
static int
engine_reload_hashes(struct engine_set *set, bool settled, char **cause)
{
	struct malware_hashlist	*old, *new;

	pthread_mutex_lock(&set->lock);
	old = set->hashes;
	if (old != NULL)
		malware_hash_hold(old);
	pthread_mutex_unlock(&set->lock);
	if (old == NULL || !malware_hash_changed(old) ||
	    (settled && !malware_hash_settled(old))) {
		malware_hash_release(old);
		return 0;
	}
	malware_hash_release(old);
	if ((new = malware_hash_load(set->cfg.hash_blocklist, cause)) == NULL)
		return -1;
	pthread_mutex_lock(&set->lock);
	old = set->hashes;
	set->hashes = new;
	pthread_mutex_unlock(&set->lock);
	malware_hash_release(old);
	return 0;
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

	if (engine_reload_hashes(set, false, cause) != 0)
		rc = -1;
	pthread_mutex_lock(&set->lock);
	if ((old = set->clam) != NULL)
		malware_clam_hold(old);
	pthread_mutex_unlock(&set->lock);
	changed = old != NULL && malware_clam_changed(old);
	malware_clam_release(old);
	if (!changed)
		return rc;
	if ((new = malware_clam_load(&set->cfg, rc == 0 ? cause : NULL)) ==
	    NULL)
		return -1;
	pthread_mutex_lock(&set->lock);
	old = set->clam;
	set->clam = new;
	pthread_mutex_unlock(&set->lock);
	malware_clam_release(old);
	return rc;
}

/* See engine.h. */
void
engine_set_health(struct engine_set *set, struct engine_health *h)
{
	memset(h, 0, sizeof *h);
	h->clamav_on = set->cfg.clamav;
	pthread_mutex_lock(&set->lock);
	h->clamav_signatures = malware_clam_signatures(set->clam);
	h->hash_entries = set->hashes != NULL ?
	    malware_hash_count(set->hashes) : 0;
	pthread_mutex_unlock(&set->lock);
	h->dictionaries = dlp_db_ndicts(set->dlp);
}

/* See engine.h. */
bool
engine_health_warning(const struct engine_health *h, char *buf, size_t len)
{
	if (!h->clamav_on || h->clamav_signatures > 0)
		return false;
	snprintf(buf, len, "ClamAV is on but has no signatures: only EICAR, "
	    "the hash blocklist and file types detect malware (fill "
	    "ClamAVDbDir with freshclam)");
	return true;
}

/* See engine.h. */
int
engine_clamav_count(const char *dir, unsigned *sigs, char **cause)
{
	struct stat	st;
	cl_error_t	rc;

	*sigs = 0;
	if (dir == NULL || *dir == '\0')
		dir = cl_retdbdir();
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if ((rc = cl_countsigs(dir, CL_COUNTSIGS_ALL, sigs)) != CL_SUCCESS &&
	    rc != CL_EOPEN) {
		cause_set(cause, "clamav: %s: %s", dir, cl_strerror(rc));
		return -1;
	}
	return 0;
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
		engine_reload_hashes(set, true, NULL);
}

struct engine_scan *
engine_scan_nested(struct engine_set *set, const struct engine_profile *prof,
    enum engine_direction dir, unsigned depth, struct engine_scan *parent,
    char **cause)
{
	struct engine_scan	*s;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
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
	if (s->prof.dlp && (s->dlp = dlp_scan_begin(set->dlp, &s->prof,
	    &s->budget->seen, cause)) == NULL)
		goto fail;
	if ((s->prof.archives || s->prof.malware) && (s->embed =
	    embed_scan_begin(set->embed, s->prof.archives, cause)) == NULL)
		goto fail;
	pthread_mutex_lock(&set->lock);
	if (s->prof.malware && set->hashes != NULL) {
		s->hashes = set->hashes;
		malware_hash_hold(s->hashes);
	}
	if (s->prof.malware && malware_clam_signatures(set->clam) > 0) {
		s->clam = set->clam;
		malware_clam_hold(s->clam);
	}
	pthread_mutex_unlock(&set->lock);
	if (s->hashes != NULL && ((s->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->sha, set->sha256, NULL) != 1)) {
		cause_set(cause, "openssl: cannot start SHA-256");
		goto fail;
	}
	return s;
fail:
	engine_scan_free(s);
	return NULL;
}

/* Start one body; see engine.h. */
struct engine_scan *
engine_scan_begin(struct engine_set *set, const struct engine_profile *prof,
    enum engine_direction dir, const char *name_hint, char **cause)
{
	struct engine_scan	*s;

	engine_check_hashes(set);
	if ((s = engine_scan_nested(set, prof, dir, 0, NULL, cause)) == NULL)
		return NULL;
	snprintf(s->name, sizeof s->name, "%s",
	    name_hint != NULL ? name_hint : "");
	return s;
}

static bool
engine_wants_unpack(const struct engine_scan *s)
{
	return s->prof.archives && (s->ft.flags & FT_UNPACK) != 0;
}

static bool
engine_wants_mime(const struct engine_scan *s)
{
	return s->prof.archives && (s->ft.flags & FT_MIME) != 0;
}

/*
 * Would ClamAV look at this body (signatures or not)? Executables, office
 * files, PDF, unknown binaries, scripts and HTML, any text inside an
 * archive (scripts travel zipped), any body named as a script host's
 * program (it runs by its name, whatever its first bytes), and with
 * ClamAVScanAll every body. Not archives and mail the engines open
 * themselves: ClamAV gets their members one by one.
 */
static bool
engine_wants_clam(const struct engine_scan *s)
{
	if (!s->prof.malware || engine_wants_unpack(s) || engine_wants_mime(s))
		return false;
	if ((s->ft.flags & (FT_CLAMAV | FT_SCRIPT)) != 0)
		return true;
	if (s->depth == 0 && (s->prof.script_name || s->set->cfg.clamav_all))
		return true;
	return s->depth > 0 && strcmp(s->ft.group, "text") == 0;
}

/* Extracted text goes to DLP's second stream, up to text_max_bytes. */
static int
engine_text_sink(void *arg, const char *p, size_t n)
{
	struct engine_scan	*s = arg;
	uint64_t		 max = s->set->cfg.text_max_bytes;

	if (s->text_full || s->text_cause != NULL)
		return -1;
	if (s->text_bytes + n > max) {
		n = (size_t)(max - s->text_bytes);
		s->text_full = true;
	}
	s->text_bytes += n;
	if (dlp_scan_feed(s->dlp, DLP_TEXT, p, n, &s->text_cause) != 0)
		return -1;
	return s->text_full ? -1 : 0;
}

/* Type-dependent consumers of the body's bytes: text, mail parts. */
static int
engine_text_feed(struct engine_scan *s, const unsigned char *p, size_t len,
    char **cause)
{
	if (len == 0)
		return 0;
	if (s->xml != NULL && text_xml_feed(s->xml, p, len) != 0) {
		text_xml_end(s->xml);
		text_xml_free(s->xml);
		s->xml = NULL;
	}
	if (s->utf16_on && text_utf16_feed(&s->utf16, p, len,
	    engine_text_sink, s) != 0)
		s->utf16_on = false;
	if (s->text_cause != NULL) {
		cause_set(cause, "%s", s->text_cause);
		return -1;
	}
	if (s->mime != NULL && mime_feed(s->mime, p, len, cause) != 0)
		return -1;
	return 0;
}

/* A part of a mail message starts: a member of its own. */
static int
engine_part_begin(void *arg, const char *name, char **cause)
{
	struct engine_scan	*s = arg;

	if (s->part != NULL || s->res.verdict != ENGINE_CLEAN)
		return 0;
	if (++s->budget->entries > s->set->cfg.archive_max_entries) {
		engine_result_uninspectable(&s->res,
		    "mail message has more than %u parts",
		    s->set->cfg.archive_max_entries);
		return 0;
	}
	if ((s->part = engine_scan_nested(s->set, &s->prof, s->dir,
	    s->depth + 1, s, cause)) == NULL)
		return -1;
	snprintf(s->part->name, sizeof s->part->name, "%s", name);
	return 0;
}

static int
engine_part_data(void *arg, const void *p, size_t n, char **cause)
{
	struct engine_scan	*s = arg;

	if (s->part == NULL)
		return 0;
	return engine_scan_feed(s->part, p, n, cause);
}

static int
engine_part_end(void *arg, char **cause)
{
	struct engine_scan	*s = arg;
	struct engine_result	 r;
	int			 rc;

	if (s->part == NULL)
		return 0;
	rc = engine_scan_end(s->part, &r, cause);
	if (rc == 0)
		engine_result_merge(&s->res, &r, s->part->name);
	engine_scan_free(s->part);
	s->part = NULL;
	return rc;
}

/* Start the text extractors and the mail parser the type calls for. */
static int
engine_text_start(struct engine_scan *s, char **cause)
{
	struct mime_sink	 sink = { engine_part_begin, engine_part_data,
				    engine_part_end, s };
	int			 u16;

	if (engine_wants_mime(s)) {
		if (s->depth >= s->set->cfg.archive_max_depth)
			engine_result_uninspectable(&s->res,
			    "mail message nested deeper than %u",
			    s->set->cfg.archive_max_depth);
		else if ((s->mime = mime_new(&sink)) == NULL) {
			cause_set(cause, "mime: out of memory");
			return -1;
		}
	}
	if (s->dlp == NULL)
		return 0;
	if (strcmp(s->ft.name, "xml") == 0 &&
	    (s->xml = text_xml_new(engine_text_sink, s)) == NULL) {
		cause_set(cause, "xml: out of memory");
		return -1;
	}
	if ((u16 = filetype_utf16(s->prefix, s->plen)) != 0) {
		text_utf16_init(&s->utf16, u16 == 1 ? TEXT_UTF16_LE :
		    TEXT_UTF16_BE);
		s->utf16_on = true;
	} else if (strcmp(s->ft.name, "ole") == 0 ||
	    strcmp(s->ft.group, "data") == 0) {
		/* Legacy Office and unknown formats keep text in UTF-16. */
		text_utf16_init(&s->utf16, TEXT_UTF16_STRINGS);
		s->utf16_on = true;
	}
	return 0;
}

/*
 * Decide the true type from the prefix, whether to spool the body and
 * which extractors it needs; the prefix goes to all of them.
 */
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
	s->clam_wanted = engine_wants_clam(s);
	if (s->clam != NULL && s->clam_wanted)
		limit = s->set->cfg.clamav_max_bytes;
	if ((engine_wants_unpack(s) || (s->dlp != NULL &&
	    (s->ft.flags & FT_PDFTEXT) != 0)) &&
	    s->set->cfg.archive_max_bytes > limit)
		limit = s->set->cfg.archive_max_bytes;
	if (engine_text_start(s, cause) != 0 ||
	    engine_text_feed(s, s->prefix, s->plen, cause) != 0)
		return -1;
	if (limit == 0)
		return 0;
	s->spooling = true;
	s->spool_base = 0;
	engine_spool_init(&s->spool, limit);
	return (engine_spool_add(&s->spool, s->set->cfg.tmpdir, s->prefix,
	    s->plen, cause));
}

/*
 * An archive signature turned up in a body nobody spools: keep the body
 * from there (bytes before the current chunk come from the prefix or the
 * short tail kept of the previous one), so it can be opened at the end.
 */
static int
engine_embed_spool(struct engine_scan *s, const unsigned char *chunk,
    size_t len, char **cause)
{
	const struct embed_hit	*hits;
	const char		*tmp = s->set->cfg.tmpdir;
	uint64_t		 total = s->res.bytes, start = total - len, x;
	uint64_t		 from, upto;
	int			 rc = 0;

	if (embed_scan_hits(s->embed, &hits, NULL) == 0)
		return 0;
	x = hits[0].off;
	s->spooling = true;
	s->spool_base = x;
	engine_spool_init(&s->spool, s->set->cfg.archive_max_bytes);
	from = x;
	if (from < s->plen && from < start) {
		upto = s->plen < start ? s->plen : start;
		rc = engine_spool_add(&s->spool, tmp, s->prefix + from,
		    (size_t)(upto - from), cause);
		from = upto;
	}
	if (rc == 0 && from < start) {
		/* A signature that began in the previous chunk. */
		if (start - from > s->ntail) {
			cause_set(cause, "embed: signature before the tail");
			return -1;
		}
		rc = engine_spool_add(&s->spool, tmp, s->tail + s->ntail -
		    (start - from), (size_t)(start - from), cause);
		from = start;
	}
	if (rc == 0 && from < total)
		rc = engine_spool_add(&s->spool, tmp, chunk + (from - start),
		    (size_t)(total - from), cause);
	return rc;
}

/* Feed decoded bytes; see engine.h. */
int
engine_scan_feed(struct engine_scan *s, const void *buf, size_t len,
    char **cause)
{
	const unsigned char	*p = buf;
	const struct embed_hit	*hits;
	size_t			 take = 0;

	if (s->failed) {
		cause_set(cause, "scan already failed");
		return -1;
	}
	if (len == 0)
		return 0;
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
	if (s->typed) {
		if (s->spooling && take < len && engine_spool_add(&s->spool,
		    s->set->cfg.tmpdir, p + take, len - take, cause) != 0)
			goto fail;
		if (engine_text_feed(s, p + take, len - take, cause) != 0)
			goto fail;
	}
	if (s->dlp != NULL && dlp_scan_feed(s->dlp, DLP_RAW, buf, len,
	    cause) != 0)
		goto fail;
	if (s->sha != NULL && EVP_DigestUpdate(s->sha, buf, len) != 1) {
		cause_set(cause, "openssl: SHA-256 failed");
		goto fail;
	}
	if (s->embed != NULL) {
		if (embed_scan_feed(s->embed, buf, len, cause) != 0)
			goto fail;
		if (s->prof.archives && s->typed && !s->spooling &&
		    engine_embed_spool(s, p, len, cause) != 0)
			goto fail;
		if (s->spooling && !s->spool.over &&
		    s->spool.limit < s->set->cfg.archive_max_bytes &&
		    embed_scan_hits(s->embed, &hits, NULL) > 0)
			s->spool.limit = s->set->cfg.archive_max_bytes;
		if (s->prof.archives && !s->spooling)
			engine_tail_keep(s->tail, &s->ntail, sizeof s->tail,
			    buf, len);
	}
	return 0;
fail:
	s->failed = true;
	return -1;
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
		return 0;
	if (EVP_DigestFinal_ex(s->sha, md, &mdlen) != 1 || mdlen != 32) {
		cause_set(cause, "openssl: SHA-256 failed");
		return -1;
	}
	if (!malware_hash_lookup(s->hashes, md, &name))
		return 0;
	if (name != NULL && *name != '\0')
		snprintf(sample, sizeof sample, "%s", name);
	else {
		for (i = 0; i < 8; i++)
			snprintf(sample + 2 * i, 3, "%02x", md[i]);
	}
	engine_result_add(&s->res, "hash", "sha256", 1, ENGINE_SEV_MALWARE,
	    sample);
	return 0;
}

static int
engine_end_clam(struct engine_scan *s, char **cause)
{
	const char	*what = s->name[0] != '\0' ? s->name : s->ft.name;
	char		 virname[48];
	int		 rc;

	if (!s->clam_wanted)
		return 0;
	if (s->clam == NULL) {
		if (s->set->cfg.clamav)
			engine_result_skip(&s->res, "clamav", what,
			    "no signatures loaded", 1);
		return 0;
	}
	if (!s->spooling || s->spool_base != 0 ||
	    s->spool.size > s->set->cfg.clamav_max_bytes || s->spool.over) {
		engine_result_skip(&s->res, "clamav", what,
		    "larger than ClamAVMaxSize", 1);
		return 0;
	}
	if (s->spool.fd != -1)
		rc = malware_clam_scan_fd(s->clam, s->spool.fd, virname,
		    sizeof virname, cause);
	else
		rc = malware_clam_scan_mem(s->clam, s->spool.mem, s->spool.len,
		    virname, sizeof virname, cause);
	if (rc == 1)
		engine_result_add(&s->res, "malware", virname, 1,
		    ENGINE_SEV_MALWARE, NULL);
	return rc < 0 ? -1 : 0;
}

/* Open the body itself as an archive; *covered: how far that read. */
static int
engine_end_archive(struct engine_scan *s, uint64_t *covered, char **cause)
{
	*covered = 0;
	if (!engine_wants_unpack(s) || !s->spooling || s->spool_base != 0)
		return 0;
	if (s->spool.over || s->spool.size > s->set->cfg.archive_max_bytes) {
		engine_result_uninspectable(&s->res,
		    "archive larger than %llu bytes",
		    (unsigned long long)s->set->cfg.archive_max_bytes);
		return 0;
	}
	if (s->depth >= s->set->cfg.archive_max_depth) {
		engine_result_uninspectable(&s->res,
		    "archives nested deeper than %u",
		    s->set->cfg.archive_max_depth);
		return 0;
	}
	if (s->depth == 0)
		s->budget->compressed = s->spool.size;
	return (archive_scan(s, 0, (s->ft.flags & FT_FILTER) != 0, false,
	    covered, cause));
}

/*
 * Open every embedded archive signature past what the body's own archive
 * (or an earlier embedded one) covered. One that does not open was a
 * chance match; an encrypted one is uninspectable, as any archive.
 */
static int
engine_end_embedded(struct engine_scan *s, uint64_t covered, char **cause)
{
	const struct embed_hit	*hits;
	size_t			 n, i;
	uint64_t		 done = covered, used, at;
	unsigned		 dropped;
	char			 where[64];

	if (!s->prof.archives || !s->spooling ||
	    (n = embed_scan_hits(s->embed, &hits, &dropped)) == 0)
		return 0;
	if (dropped > 0)
		engine_result_skip(&s->res, "archive", s->name,
		    "embedded archive signatures past the first 256", dropped);
	for (i = 0; i < n && s->res.verdict == ENGINE_CLEAN; i++) {
		if (hits[i].off < s->spool_base + done)
			continue;
		at = hits[i].off - s->spool_base;
		if (s->spool.over || at >= s->spool.size) {
			snprintf(where, sizeof where, "%s at %llu",
			    embed_name(hits[i].kind),
			    (unsigned long long)hits[i].off);
			engine_result_skip(&s->res, "archive", where,
			    "embedded archive past ArchiveMaxSize", 1);
			break;
		}
		if (s->depth >= s->set->cfg.archive_max_depth) {
			engine_result_uninspectable(&s->res,
			    "archives nested deeper than %u",
			    s->set->cfg.archive_max_depth);
			break;
		}
		if (s->budget->compressed == 0)
			s->budget->compressed = s->spool.size - at;
		if (archive_scan(s, at, embed_is_filter(hits[i].kind), true,
		    &used, cause) != 0)
			return -1;
		if (used > 0 && s->res.verdict == ENGINE_CLEAN)
			done = at + used;
	}
	return 0;
}

/* The text of a PDF, through poppler, into DLP's second stream. */
static int
engine_end_pdf(struct engine_scan *s, char **cause)
{
	struct text_pdf_limits	 lim;
	enum text_pdf_status	 st;
	const void		*p;
	unsigned		 pages;
	const char		*what = s->name[0] != '\0' ? s->name : "pdf";

	if (s->dlp == NULL || (s->ft.flags & FT_PDFTEXT) == 0)
		return 0;
	if (!s->spooling || s->spool_base != 0 || s->spool.over ||
	    s->spool.size > s->set->cfg.archive_max_bytes) {
		engine_result_skip(&s->res, "dlp", what,
		    "PDF larger than ArchiveMaxSize, text not read", 1);
		return 0;
	}
	if ((p = engine_spool_map(&s->spool, cause)) == NULL)
		return -1;
	lim.max_pages = s->set->cfg.pdf_max_pages;
	lim.max_ms = s->set->cfg.pdf_max_cpu_ms;
	lim.max_text = s->set->cfg.text_max_bytes;
	st = text_pdf_extract(p, (size_t)s->spool.size, &lim, engine_text_sink,
	    s, &pages);
	if (s->text_cause != NULL) {
		cause_set(cause, "%s", s->text_cause);
		return -1;
	}
	switch (st) {
	case TEXT_PDF_OK:
		break;
	case TEXT_PDF_CUT:
		engine_result_skip(&s->res, "dlp", what,
		    "PDF text read in part (page, size or time limit)", 1);
		break;
	case TEXT_PDF_LOCKED:
		engine_result_uninspectable(&s->res,
		    "encrypted PDF: its text cannot be inspected");
		break;
	case TEXT_PDF_UNREADABLE:
		engine_result_skip(&s->res, "dlp", what,
		    "PDF text unreadable", 1);
		break;
	}
	return 0;
}

/* The extractors and the mail parser end: their last bytes go out. */
static int
engine_end_text(struct engine_scan *s, char **cause)
{
	int	rc = 0;

	if (s->xml != NULL) {
		text_xml_end(s->xml);
		text_xml_free(s->xml);
		s->xml = NULL;
	}
	if (s->utf16_on) {
		text_utf16_end(&s->utf16, engine_text_sink, s);
		s->utf16_on = false;
	}
	if (s->mime != NULL) {
		rc = mime_end(s->mime, cause);
		if (rc == 0 && mime_truncated(s->mime))
			engine_result_skip(&s->res, "archive", s->name,
			    "mail nested deeper than 8 multiparts", 1);
		if (s->part != NULL) {
			engine_scan_free(s->part);
			s->part = NULL;
		}
		mime_free(s->mime);
		s->mime = NULL;
	}
	if (rc == 0 && s->text_cause != NULL) {
		cause_set(cause, "%s", s->text_cause);
		rc = -1;
	}
	if (rc == 0 && engine_end_pdf(s, cause) != 0)
		rc = -1;
	if (s->text_full)
		engine_result_skip(&s->res, "dlp", s->name[0] != '\0' ?
		    s->name : s->ft.name, "extracted text past text_max_bytes",
		    1);
	return rc;
}

static int
engine_end_engines(struct engine_scan *s, char **cause)
{
	uint64_t	covered = 0;

	if (!s->typed && engine_scan_type(s, cause) != 0)
		return -1;
	if (s->prof.archives && !s->spooling &&
	    engine_embed_spool(s, NULL, 0, cause) != 0)
		return -1;
	if (engine_end_text(s, cause) != 0)
		return -1;
	if (s->dlp != NULL && dlp_scan_end(s->dlp, &s->res, &s->prof,
	    cause) != 0)
		return -1;
	if (s->prof.malware && embed_scan_eicar(s->embed))
		engine_result_add(&s->res, "malware", "Eicar-Test-Signature", 1,
		    ENGINE_SEV_MALWARE, NULL);
	if (engine_end_hash(s, cause) != 0)
		return -1;
	if (s->prof.filetype && filetype_listed(s->prof.blocked_types,
	    s->ft.name, s->ft.group))
		engine_result_add(&s->res, "filetype", s->ft.name, 1,
		    ENGINE_SEV_FILETYPE, NULL);
	if (engine_end_archive(s, &covered, cause) != 0 ||
	    engine_end_embedded(s, covered, cause) != 0)
		return -1;
	return engine_end_clam(s, cause);
}

/* A detection already certain before the end; see engine.h. */
bool
engine_scan_detected(const struct engine_scan *s)
{
	if (s->prof.malware && embed_scan_eicar(s->embed))
		return true;
	if (s->dlp != NULL && dlp_scan_certain(s->dlp, &s->prof))
		return true;
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
		snprintf(s->res.reason, sizeof s->res.reason,
		    "engine error: %s",
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
	return rc;
}

void
engine_scan_free(struct engine_scan *s)
{
	if (s == NULL)
		return;
	dlp_scan_free(s->dlp);
	embed_scan_free(s->embed);
	EVP_MD_CTX_free(s->sha);
	malware_hash_release(s->hashes);
	malware_clam_release(s->clam);
	engine_spool_free(&s->spool);
	text_xml_free(s->xml);
	if (s->part != NULL)
		engine_scan_free(s->part);
	mime_free(s->mime);
	free(s->text_cause);
	if (s->budget == &s->own_budget)
		dlp_seen_free(s->own_budget.seen);
	free(s);
}
