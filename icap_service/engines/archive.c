/*
 * Archives through libarchive: zip (and the Office/ODF/Java formats built on
 * it), tar, 7z, rar, cab, cpio, and single compressed files (gzip, bzip2,
 * xz, zstd). Each member is scanned like a body of its own (DLP, EICAR,
 * hash, true type, and recursively archives), with limits on nesting,
 * members, unpacked bytes and compression ratio shared by the whole tree.
 * Encrypted, corrupt or over-limit archives are uninspectable; what to do
 * with them is the service's decision.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cause.h"
#include "engine_int.h"

#define ARCHIVE_BLOCK		(64 * 1024)
#define ARCHIVE_RATIO_FLOOR	(1024 * 1024)	/* ratio checked above this */

static struct archive *
archive_reader(void)
{
	struct archive	*a;

	if ((a = archive_read_new()) == NULL)
		return (NULL);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_raw(a);
	return (a);
}

/* Charge n unpacked bytes to the tree; false once a limit is passed. */
static bool
archive_charge(struct engine_scan *s, size_t n)
{
	const struct engine_config	*cfg = &s->set->cfg;
	struct engine_budget		*b = s->budget;

	b->bytes += n;
	if (b->bytes > cfg->archive_max_bytes) {
		engine_result_uninspectable(&s->res,
		    "archive unpacks to more than %llu bytes",
		    (unsigned long long)cfg->archive_max_bytes);
		return (false);
	}
	if (cfg->archive_max_ratio > 0 && b->bytes > ARCHIVE_RATIO_FLOOR &&
	    b->bytes / (b->compressed > 0 ? b->compressed : 1) >=
	    cfg->archive_max_ratio) {
		engine_result_uninspectable(&s->res,
		    "archive compression ratio over %u:1",
		    cfg->archive_max_ratio);
		return (false);
	}
	return (true);
}

static void
archive_failed(struct engine_scan *s, struct archive *a, const char *what)
{
	const char	*msg = archive_error_string(a);

	if (archive_read_has_encrypted_entries(a) > 0)
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

/* Scan one member's data. 0, or -1 with *cause on an engine error. */
static int
archive_member(struct engine_scan *s, struct archive *a, const char *name,
    unsigned char *buf, char **cause)
{
	struct engine_scan	*m;
	struct engine_result	 r;
	la_ssize_t		 n;
	int			 rc = -1;

	if ((m = engine_scan_nested(s->set, &s->prof, s->dir, s->depth + 1, s,
	    cause)) == NULL)
		return (-1);
	archive_safe_name(name, m->name, sizeof m->name);
	for (;;) {
		n = archive_read_data(a, buf, ARCHIVE_BLOCK);
		if (n == 0)
			break;
		if (n < 0) {
			archive_failed(s, a, m->name);
			rc = 0;
			goto out;
		}
		if (!archive_charge(s, (size_t)n)) {
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
	return (rc);
}

static int
archive_open(struct engine_scan *s, struct archive *a)
{
	if (s->spool.fd != -1) {
		if (lseek(s->spool.fd, 0, SEEK_SET) != 0)
			return (ARCHIVE_FATAL);
		return (archive_read_open_fd(a, s->spool.fd, ARCHIVE_BLOCK));
	}
	return (archive_read_open_memory(a, s->spool.mem, s->spool.len));
}

/*
 * Unpack the spooled body of s and fold every member's findings into
 * s->res. Returns 0 (uninspectable is a result, not an error), or -1 with
 * *cause when an engine failed.
 */
int
archive_scan(struct engine_scan *s, char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	unsigned char		*buf = NULL;
	const char		*name;
	int			 r, rc = -1;

	if ((a = archive_reader()) == NULL ||
	    (buf = malloc(ARCHIVE_BLOCK)) == NULL) {
		cause_set(cause, "archive: out of memory");
		goto out;
	}
	if (archive_open(s, a) != ARCHIVE_OK) {
		archive_failed(s, a, "cannot open archive");
		rc = 0;
		goto out;
	}
	while (s->res.verdict == ENGINE_CLEAN) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			archive_failed(s, a, "corrupt archive");
			break;
		}
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
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if ((name = archive_entry_pathname(e)) == NULL)
			name = "?";
		if (archive_member(s, a, name, buf, cause) != 0)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	if (a != NULL)
		archive_read_free(a);
	return (rc);
}
