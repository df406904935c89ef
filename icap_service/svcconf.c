/*
 * The sslinspect.* directives of c-icap.conf, as one table: the c-icap glue
 * turns it into a ci_conf_entry table, the man page documents it and a
 * unit test walks it (every default parses, every name is unique).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cause.h"
#include "size.h"
#include "svc.h"

#define OFF(f)	offsetof(struct svc_config, f)

#ifndef SVC_CATEGORYDB
#define SVC_CATEGORYDB	"/var/lib/sslinspect/categories.mdb"
#endif
#define KIB	1024ULL
#define MIB	(1024ULL * 1024)
#define GIB	(1024ULL * 1024 * 1024)

const struct svcconf_entry svcconf_table[] = {
	{ "PolicyFile", SVCCONF_STR, OFF(policy_file), "", 0, 0,
	  "YAML policy file; empty: inspect everything with the default "
	  "profile" },
	{ "FailOpen", SVCCONF_BOOL, OFF(fail_open), "off", 0, 0,
	  "pass traffic when an engine fails or times out instead of "
	  "blocking" },
	{ "InspectUploads", SVCCONF_BOOL, OFF(inspect_uploads), "on", 0, 0,
	  "inspect request bodies (REQMOD)" },
	{ "InspectDownloads", SVCCONF_BOOL, OFF(inspect_downloads), "on", 0, 0,
	  "inspect response bodies (RESPMOD)" },
	{ "BlockPage", SVCCONF_BOOL, OFF(block_page), "on", 0, 0,
	  "send an HTML or JSON page with a block; off: empty 403" },
	{ "TemplateDir", SVCCONF_STR, OFF(template_dir), SVC_TEMPLATEDIR, 0, 0,
	  "block page templates, LANG/BLOCKED below it" },
	{ "OrganizationName", SVCCONF_STR, OFF(organization), "", 0, 0,
	  "organization named at the top of the block page" },
	{ "LogoUrl", SVCCONF_URL, OFF(logo_url), "", 0, 0,
	  "logo shown on the block page (an http or https URL the browser can "
	  "reach)" },
	{ "Contact", SVCCONF_STR, OFF(contact), "", 0, 0,
	  "who to contact, as the block page says it; empty: \"your IT help "
	  "desk\"" },
	{ "ReviewUrl", SVCCONF_URL, OFF(review_url), "", 0, 0,
	  "\"request a review\" link; {incident}, {url} and {rule} are filled "
	  "in" },
	{ "AuditLog", SVCCONF_STR, OFF(audit_log), SVC_AUDITLOG, 0, 0,
	  "JSON audit log file, \"syslog\", or \"off\"" },
	{ "CategoryDB", SVCCONF_STR, OFF(category_db), SVC_CATEGORYDB, 0, 0,
	  "category database that sslinspect-lists(8) installs, for the "
	  "policy's category: names not under lists: (reopened within a "
	  "second of an update); \"\" for none" },
	{ "AuditSyslog", SVCCONF_STR, OFF(audit_syslog), "", 0, 0,
	  "also send each audit record to a syslog collector, "
	  "udp://HOST:PORT (RFC 5424 with structured data, RFC 5426)" },
	{ "AuditSyslogId", SVCCONF_STR, OFF(audit_syslog_id),
	  "sslinspect@32473", 0, 0,
	  "SD-ID of those messages' structured data, NAME@PEN (32473 is RFC "
	  "5612's example number: use your organization's)" },
	{ "CrlHost", SVCCONF_STR, OFF(crl_host), "", 0, 0,
	  "host names (space-separated) whose requests are answered from "
	  "CrlDir" },
	{ "CrlDir", SVCCONF_STR, OFF(crl_dir), "", 0, 0,
	  "sslinspect-ca's crl/ directory" },
	{ "MaxHoldSize", SVCCONF_SIZE, OFF(max_hold), "256M", 1, 64 * GIB,
	  "download bytes held back until the verdict; beyond, released while "
	  "scanned" },
	{ "MaxUploadSize", SVCCONF_SIZE, OFF(max_upload), "256M", 1, 64 * GIB,
	  "upload bytes held back until the verdict; beyond, OversizeUpload" },
	{ "MaxHoldTime", SVCCONF_UINT, OFF(max_hold_time), "30", 0, 3600,
	  "seconds a download is held without a verdict; 0: no limit" },
	{ "MaxUploadHoldTime", SVCCONF_UINT, OFF(max_upload_hold_time), "2", 0,
	  3600,
	  "seconds an upload is held before its request goes on to the origin "
	  "ahead of its body (still held for the verdict); 0: no limit" },
	{ "OversizeDownload", SVCCONF_ACTION, OFF(oversize_download), "allow",
	  0, 0,
	  "a download over MaxHoldSize (allow: released while scanned, cut off "
	  "at a detection)" },
	{ "OversizeUpload", SVCCONF_ACTION, OFF(oversize_upload), "block", 0, 0,
	  "an upload over MaxUploadSize (allow: released while scanned, cut "
	  "off at a detection)" },
	{ "VerdictCacheTime", SVCCONF_UINT, OFF(verdict_cache_time), "3600", 0,
	  604800,
	  "seconds a cut-off download's verdict blocks its retries; 0: off" },
	{ "Uninspectable", SVCCONF_ACTION, OFF(uninspectable), "block", 0, 0,
	  "what happens to undecodable, bomb or encrypted content" },
	{ "MaxDecodedSize", SVCCONF_SIZE, OFF(limits.max_decoded), "256M", 1,
	  64 * GIB,
	  "decoded bytes of one body beyond which it is uninspectable" },
	{ "MaxRatio", SVCCONF_UINT, OFF(limits.max_ratio), "200", 2, 100000,
	  "decoded : encoded ratio that marks a decompression bomb" },
	{ "MaxEncodings", SVCCONF_UINT, OFF(limits.max_layers), "3", 1, 8,
	  "Content-Encoding layers decoded" },
	{ "MaxParts", SVCCONF_UINT, OFF(limits.max_parts), "1000", 1, 1000000,
	  "multipart/form-data parts in one upload" },
	{ "MaxNesting", SVCCONF_UINT, OFF(limits.max_nesting), "8", 1, 32,
	  "levels of multipart bodies inside multipart bodies" },
	{ "MaxPartHeader", SVCCONF_SIZE, OFF(limits.max_header), "16K", 256,
	  1 * MIB,
	  "bytes of one part's headers" },
	{ "MaxScanTime", SVCCONF_UINT, OFF(limits.max_seconds), "60", 1, 3600,
	  "CPU seconds of inspection one body may take before it fails" },
	{ "ClamAV", SVCCONF_BOOL, OFF(clamav), "on", 0, 0,
	  "use libclamav when signatures exist" },
	{ "ClamAVDbDir", SVCCONF_STR, OFF(clamav_db_dir), "", 0, 0,
	  "ClamAV signature directory; empty: ClamAV's default" },
	{ "ClamAVMaxSize", SVCCONF_SIZE, OFF(clamav_max_bytes), "25M", 1,
	  4 * GIB,
	  "bytes buffered for ClamAV" },
	{ "ClamAVScanAll", SVCCONF_BOOL, OFF(clamav_all), "off", 0, 0,
	  "send every body to ClamAV, plain text, JSON, XML, images and media "
	  "at the top included (off: those go only when named as a script)" },
	{ "HashBlocklist", SVCCONF_STR, OFF(hash_blocklist), "", 0, 0,
	  "file of SHA-256 hex digests to block" },
	{ "DictionaryDir", SVCCONF_STR, OFF(dictionary_dir), "", 0, 0,
	  "directory of *.dict DLP dictionaries" },
	{ "ArchiveMaxSize", SVCCONF_SIZE, OFF(archive_max_bytes), "256M", 1,
	  64 * GIB,
	  "total uncompressed bytes of one archive" },
	{ "ArchiveMaxDepth", SVCCONF_UINT, OFF(archive_max_depth), "4", 1, 32,
	  "nesting of archives in archives" },
	{ "ArchiveMaxEntries", SVCCONF_UINT, OFF(archive_max_entries), "10000",
	  1, 10000000,
	  "entries of one archive" },
	{ "ArchiveMaxRatio", SVCCONF_UINT, OFF(archive_max_ratio), "200", 2,
	  100000,
	  "uncompressed : compressed ratio of an archive" },
	{ NULL, 0, 0, NULL, 0, 0, NULL }
};

/* A size as every component reads it (common/size.h); 0 or -1. */
int
svcconf_parse_size(const char *s, uint64_t *out)
{
	return size_parse(s, out);
}

const struct svcconf_entry *
svcconf_find(const char *name)
{
	const struct svcconf_entry	*e;

	for (e = svcconf_table; e->name != NULL; e++)
		if (strcasecmp(e->name, name) == 0)
			return e;
	return NULL;
}

static int
svcconf_set_number(void *p, const struct svcconf_entry *e, const char *value,
    char **cause)
{
	uint64_t	 v;
	char		*end;

	if (e->type == SVCCONF_SIZE) {
		if (svcconf_parse_size(value, &v) != 0) {
			cause_set(cause, "%s: bad size '%s'", e->name, value);
			return -1;
		}
	} else {
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' ||
		    *value == '-') {
			cause_set(cause, "%s: bad number '%s'", e->name, value);
			return -1;
		}
	}
	if (v < e->min || v > e->max) {
		cause_set(cause, "%s: %s is out of range", e->name, value);
		return -1;
	}
	if (e->type == SVCCONF_UINT)
		*(unsigned *)p = (unsigned)v;
	else
		*(uint64_t *)p = v;
	return 0;
}

/*
 * A URL the block page links to or loads: empty, or http(s) (mailto for a
 * link) with no blank, quote or angle bracket, so it stays one attribute
 * value and cannot be javascript:.
 */
static int
svcconf_url(const struct svcconf_entry *e, const char *value, char **cause)
{
	const char	*p;

	if (*value == '\0')
		return 0;
	if (strncasecmp(value, "https://", 8) != 0 &&
	    strncasecmp(value, "http://", 7) != 0 &&
	    !(strcmp(e->name, "ReviewUrl") == 0 &&
	    strncasecmp(value, "mailto:", 7) == 0)) {
		cause_set(cause,
		    "%s: expected an http:// or https:// URL%s, not '%s'",
		    e->name, strcmp(e->name,
		    "ReviewUrl") == 0 ? " (or mailto:)" : "",
		    value);
		return -1;
	}
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\'' ||
		    *p == '<' || *p == '>' || *p == '\\' || *p == 0x7f) {
			cause_set(cause,
			    "%s: blank, quote or angle bracket in '%s'",
			    e->name, value);
			return -1;
		}
	return 0;
}

/* Set one directive from its c-icap.conf text; 0, or -1 with *cause. */
int
svcconf_set(struct svc_config *c, const struct svcconf_entry *e,
    const char *value, char **cause)
{
	void	*p = (char *)c + e->offset;
	char	*s;

	switch (e->type) {
	case SVCCONF_BOOL:
		if (strcasecmp(value, "on") == 0 || strcasecmp(value,
		    "yes") == 0)
			*(bool *)p = true;
		else if (strcasecmp(value, "off") == 0 || strcasecmp(value,
		    "no") == 0)
			*(bool *)p = false;
		else {
			cause_set(cause, "%s: expected on or off, not '%s'",
			    e->name, value);
			return -1;
		}
		return 0;
	case SVCCONF_ACTION:
		if (strcasecmp(value, "block") == 0)
			*(int *)p = SVC_ACT_BLOCK;
		else if (strcasecmp(value, "allow") == 0)
			*(int *)p = SVC_ACT_ALLOW;
		else {
			cause_set(cause,
			    "%s: expected block or allow, not '%s'", e->name,
			    value);
			return -1;
		}
		return 0;
	case SVCCONF_URL:
	case SVCCONF_STR:
		if (e->type == SVCCONF_URL && svcconf_url(e, value, cause) != 0)
			return -1;
		if ((s = strdup(value)) == NULL) {
			cause_set(cause, "out of memory");
			return -1;
		}
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	default:
		return svcconf_set_number(p, e, value, cause);
	}
}

/* Fill *c from the table's defaults (they are known to parse). */
void
svcconf_defaults(struct svc_config *c)
{
	const struct svcconf_entry	*e;
	char				*cause = NULL;

	memset(c, 0, sizeof *c);
	for (e = svcconf_table; e->name != NULL; e++) {
		if (svcconf_set(c, e, e->dflt, &cause) != 0) {
			free(cause);
			cause = NULL;
		}
	}
}

void
svcconf_free(struct svc_config *c)
{
	const struct svcconf_entry	*e;

	for (e = svcconf_table; e->name != NULL; e++) {
		if (e->type == SVCCONF_STR || e->type == SVCCONF_URL) {
			free(*(char **)((char *)c + e->offset));
			*(char **)((char *)c + e->offset) = NULL;
		}
	}
}

static const char *
svcconf_nonempty(const char *s)
{
	return (s != NULL && *s != '\0') ? s : NULL;
}

/* Map the engine directives onto an engine_config (strings borrowed). */
void
svcconf_engine(const struct svc_config *c, struct engine_config *ec)
{
	engine_config_defaults(ec);
	ec->clamav = c->clamav;
	ec->clamav_db_dir = svcconf_nonempty(c->clamav_db_dir);
	ec->hash_blocklist = svcconf_nonempty(c->hash_blocklist);
	ec->dictionary_dir = svcconf_nonempty(c->dictionary_dir);
	ec->clamav_max_bytes = c->clamav_max_bytes;
	ec->clamav_all = c->clamav_all;
	ec->archive_max_bytes = c->archive_max_bytes;
	ec->archive_max_depth = c->archive_max_depth;
	ec->archive_max_entries = c->archive_max_entries;
	ec->archive_max_ratio = c->archive_max_ratio;
}
