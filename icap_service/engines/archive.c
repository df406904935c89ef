/*
 * Archives through libarchive: zip (and the Office/ODF/Java formats built on
 * it), tar, 7z, rar, cab, cpio, ar (Debian packages), xar, and single
 * compressed streams (gzip, bzip2, xz, lzma, lzip, lz4, zstd, compress).
 * Each member is scanned like a body of its own (DLP, EICAR, hash, true
 * type, ClamAV, and recursively archives), with limits on nesting,
 * members, unpacked bytes, compression ratio and CPU time shared by the
 * whole tree. Encrypted, corrupt or over-limit archives are uninspectable;
 * what to do with them is the service's decision.
 *
 * A compressed stream is read in libarchive's raw format only: its one
 * member is the decompressed bytes, typed by content like any body, so a
 * tar inside is opened as a member and a stream that merely starts with
 * zeros (which libarchive's format detection takes for an empty tar) is
 * scanned whole. Archives are read in their own formats, without filters.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cause.h"
#include "engine_int.h"

#define ARCHIVE_BLOCK		(64 * 1024)
#define ARCHIVE_RATIO_FLOOR	(1024 * 1024)	/* ratio checked above this */

/* Where libarchive reads from: the scan's spool, from an offset. */
struct archive_src {
	struct engine_scan	*s;
	uint64_t		 off;
	/* next spool offset to hand out */
	uint64_t		 pos;
	uint64_t		 high;		/* highest offset handed out */
	unsigned char		*buf;
};

static struct archive *
archive_reader(bool filter)
{
	struct archive	*a;

	if ((a = archive_read_new()) == NULL)
		return NULL;
	if (filter) {
		/* Built-in decoders only: ARCHIVE_WARN means an external
		 * program, which a service must never start. */
		if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
		    archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
		    archive_read_support_filter_xz(a) != ARCHIVE_OK ||
		    archive_read_support_filter_lzma(a) != ARCHIVE_OK ||
		    archive_read_support_filter_lzip(a) != ARCHIVE_OK ||
		    archive_read_support_filter_lz4(a) != ARCHIVE_OK ||
		    archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
		    archive_read_support_filter_compress(a) != ARCHIVE_OK) {
			archive_read_free(a);
			return NULL;
		}
		archive_read_support_format_raw(a);
		return a;
	}
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_xar(a);
	return a;
}

static unsigned
archive_cpu_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Has unpacking this tree used up its CPU time? Marks it uninspectable. */
bool
archive_over_cpu(struct engine_scan *s)
{
	const struct engine_config	*cfg = &s->set->cfg;
	struct engine_budget		*b = s->budget;

	if (cfg->archive_max_cpu_ms == 0 || !b->cpu_started ||
	    archive_cpu_ms() - b->cpu_start < cfg->archive_max_cpu_ms)
		return false;
	engine_result_uninspectable(&s->res,
	    "archive took more than %u ms of CPU time to unpack",
	    cfg->archive_max_cpu_ms);
	return true;
}

/*
 * Charge n unpacked bytes to the tree; false once a limit is passed. The
 * ratio of unpacked to packed bytes counts only once a quarter of the
 * size limit is unpacked: a small archive of a repetitive log is cheap to
 * scan whatever its ratio; size and CPU time are what cost.
 */
static bool
archive_charge(struct engine_scan *s, size_t n, bool stored)
{
	const struct engine_config	*cfg = &s->set->cfg;
	struct engine_budget		*b = s->budget;
	uint64_t			 floor = cfg->archive_max_bytes / 4;

	if (archive_over_cpu(s))
		return false;
	if (stored)
		return true;
	b->bytes += n;
	if (b->bytes > cfg->archive_max_bytes) {
		engine_result_uninspectable(&s->res,
		    "archive unpacks to more than %llu bytes",
		    (unsigned long long)cfg->archive_max_bytes);
		return false;
	}
	if (floor < ARCHIVE_RATIO_FLOOR)
		floor = ARCHIVE_RATIO_FLOOR;
	if (cfg->archive_max_ratio > 0 && b->bytes > floor &&
	    b->bytes / (b->compressed > 0 ? b->compressed : 1) >=
	    cfg->archive_max_ratio) {
		engine_result_uninspectable(&s->res,
		    "archive compression ratio over %u:1",
		    cfg->archive_max_ratio);
		return false;
	}
	return true;
}

/*
 * The archive cannot be read on. Only one that opened can say whether it
 * is encrypted (after a failed open libarchive's format pointer is not
 * one to follow).
 */
static void
archive_failed(struct engine_scan *s, struct archive *a, bool opened,
    const char *what)
{
	const char	*msg = archive_error_string(a);

	if (opened && archive_read_has_encrypted_entries(a) > 0)
		engine_result_uninspectable(&s->res, "encrypted archive");
	else
		engine_result_uninspectable(&s->res, "%s: %s", what,
		    msg != NULL ? msg : "unreadable");
}

/* A member name for reasons and logs: printable ASCII only, truncated. */
static void
archive_safe_name(const char *name, char *out, size_t outlen)
{
	size_t	i;

	for (i = 0; name[i] != '\0' && i + 1 < outlen; i++)
		out[i] = name[i] > 0x20 && name[i] < 0x7f ? name[i] : '?';
	out[i] = '\0';
}

/*
 * Formats that store members as they are (no compression of their own):
 * their bytes were counted already, as the archive's.
 */
static bool
archive_stored(struct archive *a)
{
	int	f = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;

	return (archive_filter_count(a) <= 1 && (f == ARCHIVE_FORMAT_TAR ||
	    f == ARCHIVE_FORMAT_CPIO || f == ARCHIVE_FORMAT_AR));
}

/* Scan one member's data. 0, or -1 with *cause on an engine error. */
static int
archive_member(struct engine_scan *s, struct archive *a, const char *name,
    unsigned char *buf, char **cause)
{
	struct engine_scan	*m;
	struct engine_result	 r;
	la_ssize_t		 n;
	bool			 stored = archive_stored(a);
	int			 rc = -1;

	if ((m = engine_scan_nested(s->set, &s->prof, s->dir, s->depth + 1, s,
	    cause)) == NULL)
		return -1;
	archive_safe_name(name, m->name, sizeof m->name);
	for (;;) {
		n = archive_read_data(a, buf, ARCHIVE_BLOCK);
		if (n == 0)
			break;
		if (n < 0) {
			archive_failed(s, a, true, m->name);
			rc = 0;
			goto out;
		}
		if (!archive_charge(s, (size_t)n, stored)) {
			rc = 0;
			goto out;
		}
		if (engine_scan_feed(m, buf, (size_t)n, cause) != 0)
			goto out;
	}
	if (engine_scan_end(m, &r, cause) != 0)
		goto out;
	engine_result_merge(&s->res, &r, m->name);
	rc = 0;
out:
	engine_scan_free(m);
	return rc;
}

static la_ssize_t
archive_src_read(struct archive *a, void *arg, const void **at)
{
	struct archive_src	*src = arg;
	ssize_t			 n;

	n = engine_spool_read(&src->s->spool, src->pos, src->buf,
	    ARCHIVE_BLOCK, at);
	if (n < 0) {
		archive_set_error(a, EIO, "spool read failed");
		return -1;
	}
	src->pos += (uint64_t)n;
	if (src->pos > src->high)
		src->high = src->pos;
	return n;
}

static la_int64_t
archive_src_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct archive_src	*src = arg;
	uint64_t		 left = src->s->spool.size > src->pos ?
	    src->s->spool.size - src->pos : 0;

	if (request <= 0)
		return 0;
	if ((uint64_t)request > left)
		request = (la_int64_t)left;
	src->pos += (uint64_t)request;
	if (src->pos > src->high)
		src->high = src->pos;
	return request;
}

/* Seeking lets libarchive read a zip by its central directory, as unzip. */
static la_int64_t
archive_src_seek(struct archive *a, void *arg, la_int64_t where, int whence)
{
	struct archive_src	*src = arg;
	int64_t			 size =
	    (int64_t)(src->s->spool.size - src->off);
	int64_t			 at;

	switch (whence) {
	case SEEK_SET:
		at = where;
		break;
	case SEEK_CUR:
		at = (int64_t)(src->pos - src->off) + where;
		break;
	case SEEK_END:
		at = size + where;
		break;
	default:
		return ARCHIVE_FATAL;
	}
	if (at < 0 || at > size)
		return ARCHIVE_FATAL;
	src->pos = src->off + (uint64_t)at;
	return at;
}

/*
 * Unpack the spool of s from offset off and fold every member's findings
 * into s->res. Returns 0 (uninspectable is a result, not an error), or
 * -1 with *cause when an engine failed.
 */
int
archive_scan(struct engine_scan *s, uint64_t off, bool filter, bool quiet,
    uint64_t *consumed, char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct archive_src	 src;
	unsigned char		*buf = NULL;
	const char		*name;
	char			 rawname[48];
	int			 r, rc = -1;
	unsigned		 members = 0;

	*consumed = 0;
	memset(&src, 0, sizeof src);
	src.s = s;
	src.off = src.pos = src.high = off;
	if ((a = archive_reader(filter)) == NULL ||
	    (buf = malloc(ARCHIVE_BLOCK)) == NULL ||
	    (src.buf = malloc(ARCHIVE_BLOCK)) == NULL) {
		cause_set(cause, "archive: out of memory");
		goto out;
	}
	if (!s->budget->cpu_started) {
		s->budget->cpu_started = true;
		s->budget->cpu_start = archive_cpu_ms();
	}
	archive_read_set_read_callback(a, archive_src_read);
	archive_read_set_skip_callback(a, archive_src_skip);
	archive_read_set_seek_callback(a, archive_src_seek);
	archive_read_set_callback_data(a, &src);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		if (!quiet)
			archive_failed(s, a, false, "cannot open archive");
		rc = 0;
		goto out;
	}
	if (filter && archive_filter_count(a) < 2) {
		/*
		 * Nothing to decompress: the one member would be these bytes.
		 */
		if (!quiet)
			engine_result_uninspectable(&s->res,
			    "not a compressed stream");
		rc = 0;
		goto out;
	}
	while (s->res.verdict == ENGINE_CLEAN) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (!quiet || members > 0 ||
			    archive_read_has_encrypted_entries(a) > 0)
				archive_failed(s, a, true, "corrupt archive");
			break;
		}
		members++;
		if (++s->budget->entries > s->set->cfg.archive_max_entries) {
			engine_result_uninspectable(&s->res,
			    "archive has more than %u members",
			    s->set->cfg.archive_max_entries);
			break;
		}
		if (archive_entry_is_encrypted(e)) {
			engine_result_uninspectable(&s->res,
			    "encrypted archive");
			break;
		}
		if (archive_entry_filetype(e) != AE_IFREG && !filter)
			continue;
		if (filter) {
			snprintf(rawname, sizeof rawname, "(%s data)",
			    archive_filter_name(a, 0));
			name = rawname;
		} else if ((name = archive_entry_pathname(e)) == NULL)
			name = "?";
		if (archive_member(s, a, name, buf, cause) != 0)
			goto out;
		quiet = false;
	}
	rc = 0;
out:
	*consumed = src.high - src.off;
	free(buf);
	free(src.buf);
	if (a != NULL)
		archive_read_free(a);
	return rc;
}
