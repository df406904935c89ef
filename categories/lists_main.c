/*
 * sslinspect-lists: install a set of category lists (the UT1 layout, one
 * directory per category holding "domains" and "urls") as the compiled
 * database that Squid's category helper and srv_sslinspect read, and look
 * names up in it.
 *
 *	sslinspect-lists [-d DB] update DIR|ARCHIVE|URL
 *	sslinspect-lists [-d DB] lookup NAME|URL...
 *	sslinspect-lists [-d DB] status
 *
 * An update builds the whole new set beside the live file and renames it
 * into place: readers see the old set or the new one, never a mix, and
 * pick the new one up within a second, with no restart and no Squid
 * reconfigure.
 */
#include "config.h"

#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "categories.h"
#include "cause.h"

#define LISTS_MAXFILE	(1024L * 1024 * 1024)	/* one list file */
#define LISTS_SHOWBAD	20			/* bad lines printed */

struct lists_run {
	struct catdb_build	*b;
	const char		*only;	/* NULL: every category */
	int			 cat;	/* of the file being read */
	unsigned		 bad;
	unsigned		 files;
	bool			 quiet;
};

/* Usage; the options are catopts_lists, which the man page follows too. */
static void
lists_usage(FILE *f)
{
	catopts_usage(f, "usage: sslinspect-lists [options] update "
	    "DIR|ARCHIVE|URL\n"
	    "       sslinspect-lists [options] lookup NAME|URL...\n"
	    "       sslinspect-lists [options] status\n", catopts_lists);
}

static void
lists_bad(void *arg, const char *file, unsigned line, const char *why)
{
	struct lists_run	*r = arg;

	if (r->bad++ < LISTS_SHOWBAD)
		fprintf(stderr, "sslinspect-lists: %s:%u: %s\n", file, line,
		    why);
}

struct lists_add {
	struct lists_run	*r;
	enum catlist_kind	 kind;
};

static int
lists_add(void *arg, const char *entry)
{
	struct lists_add	*a = arg;

	return catdb_build_add(a->r->b, a->r->cat, a->kind, entry);
}

static void
lists_add_bad(void *arg, const char *file, unsigned line, const char *why)
{
	struct lists_add	*a = arg;

	lists_bad(a->r, file, line, why);
}

/*
 * One list file's contents: category cat, kind from the file name
 * ("domains" or "urls"; anything else is not a list and is skipped).
 * 0, or -1 with *cause.
 */
static int
lists_feed(struct lists_run *r, const char *cat, const char *fname,
    const char *label, const char *buf, size_t len, char **cause)
{
	struct lists_add	a = { r, CATLIST_DOMAINS };

	if (strcmp(fname, "urls") == 0)
		a.kind = CATLIST_URLS;
	else if (strcmp(fname, "domains") != 0)
		return 0;
	if (!catlist_valid_category(cat)) {
		fprintf(stderr, "sslinspect-lists: %s: '%s' is not a category "
		    "name (letters, digits, '_', '-', '.'): skipped\n", label,
		    cat);
		r->bad++;
		return 0;
	}
	if (r->only != NULL && !catlist_csv_has(r->only, cat))
		return 0;
	if ((r->cat = catdb_build_category(r->b, cat)) < 0 ||
	    catlist_parse(buf, len, a.kind, label, lists_add, lists_add_bad,
	    &a) < 0) {
		cause_set(cause, "%s: out of memory", label);
		return -1;
	}
	r->files++;
	return 0;
}

/* Read a whole file into a malloc'd buffer; NULL with *cause. */
static char *
lists_slurp(const char *path, size_t *len, char **cause)
{
	FILE	*f;
	char	*buf = NULL, *nb;
	size_t	 cap = 0, n = 0, got;

	if ((f = fopen(path, "r")) == NULL) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > LISTS_MAXFILE ||
			    (nb = realloc(buf, cap)) == NULL) {
				cause_set(cause, "%s: too large", path);
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		cause_set(cause, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

/* Does dir hold at least one CAT/domains or CAT/urls? */
static bool
lists_is_set(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[4096];
	bool		 found = false;

	if ((d = opendir(dir)) == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s/domains", dir, de->d_name);
		found = access(p, R_OK) == 0;
		snprintf(p, sizeof p, "%s/%s/urls", dir, de->d_name);
		found = found || access(p, R_OK) == 0;
	}
	closedir(d);
	return found;
}

static int
lists_namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A directory of categories, or a directory holding one (UT1's archive
 * unpacks to blacklists/). 0, or -1 with *cause.
 */
static int
lists_read_dir(struct lists_run *r, const char *top, char **cause)
{
	static const char *const files[] = { "domains", "urls" };
	DIR		*d = NULL;
	struct dirent	*de;
	char		 dir[4096], p[4096], **names = NULL, **nn, *buf;
	size_t		 n = 0, i, j, len;
	int		 rc = -1;

	snprintf(dir, sizeof dir, "%s", top);
	if (!lists_is_set(dir)) {
		if ((d = opendir(top)) == NULL) {
			cause_set(cause, "%s: %s", top, strerror(errno));
			return -1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "%s/%s", top, de->d_name);
			if (lists_is_set(p)) {
				snprintf(dir, sizeof dir, "%s", p);
				break;
			}
		}
		closedir(d);
	}
	if ((d = opendir(dir)) == NULL) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = reallocarray(names, n + 1, sizeof *nn)) == NULL ||
		    (nn[n] = strdup(de->d_name)) == NULL) {
			if (nn != NULL)
				names = nn;
			cause_set(cause, "out of memory");
			goto out;
		}
		names = nn;
		n++;
	}
	qsort(names, n, sizeof *names, lists_namecmp);
	for (i = 0; i < n; i++) {
		for (j = 0; j < 2; j++) {
			if (snprintf(p, sizeof p, "%s/%s/%s", dir, names[i],
			    files[j]) >= (int)sizeof p || access(p, F_OK) != 0)
				continue;
			if ((buf = lists_slurp(p, &len, cause)) == NULL)
				goto out;
			rc = lists_feed(r, names[i], files[j], p, buf, len,
			    cause);
			free(buf);
			if (rc != 0)
				goto out;
			rc = -1;
		}
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/*
 * The category and file name of an archive path ".../CAT/domains"; false
 * when it is not one.
 */
static bool
lists_split(const char *path, char *cat, size_t catlen, const char **fname)
{
	const char	*f, *c;
	size_t		 l;

	if ((f = strrchr(path, '/')) == NULL)
		return false;
	*fname = f + 1;
	for (c = f; c > path && c[-1] != '/'; c--)
		;
	l = f - c;
	if (l == 0 || l >= catlen)
		return false;
	memcpy(cat, c, l);
	cat[l] = '\0';
	return true;
}

/* An archive libarchive reads (tar.gz, tar, zip ...). 0 or -1, *cause. */
static int
lists_read_archive(struct lists_run *r, const char *file, char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	char			 cat[CAT_MAXCAT + 2], label[4096], *buf = NULL;
	char			*nb;
	const char		*path, *fname, *link;
	size_t			 cap = 0, len;
	la_ssize_t		 got;
	int			 rc = -1, ar;

	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, file, 65536) != ARCHIVE_OK) {
		cause_set(cause, "%s: %s", file, archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		path = archive_entry_pathname(e);
		if (path == NULL)
			continue;
		if (archive_entry_filetype(e) == AE_IFLNK) {
			/* blacklists/ads -> publicite: an alias. */
			link = archive_entry_symlink(e);
			fname = strrchr(path, '/');
			fname = fname ? fname + 1 : path;
			if (link != NULL && strchr(link, '/') == NULL &&
			    catlist_valid_category(fname) &&
			    catlist_valid_category(link) &&
			    (r->only == NULL || catlist_csv_has(r->only,
			    fname)) &&
			    catdb_build_alias(r->b, fname, link) != 0) {
				cause_set(cause, "out of memory");
				goto out;
			}
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG ||
		    !lists_split(path, cat, sizeof cat, &fname) ||
		    (strcmp(fname, "domains") != 0 &&
		    strcmp(fname, "urls") != 0))
			continue;
		len = 0;
		for (;;) {
			if (len == cap) {
				cap = cap ? cap * 2 : 1 << 20;
				if (cap > LISTS_MAXFILE ||
				    (nb = realloc(buf, cap)) == NULL) {
					cause_set(cause, "%s: %s: too large",
					    file, path);
					goto out;
				}
				buf = nb;
			}
			got = archive_read_data(a, buf + len, cap - len);
			if (got < 0) {
				cause_set(cause, "%s: %s: %s", file, path,
				    archive_error_string(a));
				goto out;
			}
			if (got == 0)
				break;
			len += got;
		}
		snprintf(label, sizeof label, "%s:%s", file, path);
		if (lists_feed(r, cat, fname, label, buf, len, cause) != 0)
			goto out;
	}
	if (ar != ARCHIVE_EOF) {
		cause_set(cause, "%s: %s", file, archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	free(buf);
	archive_read_free(a);
	return rc;
}

/* Fetch url into the file tmp with libcurl; 0 or -1 with *cause. */
static int
lists_fetch(const char *url, const char *tmp, char **cause)
{
	CURL		*c;
	FILE		*f;
	CURLcode	 cc;
	char		 err[CURL_ERROR_SIZE] = "";
	int		 rc = -1;

	if ((f = fopen(tmp, "w")) == NULL) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((c = curl_easy_init()) == NULL) {
		cause_set(cause, "curl_easy_init failed");
		fclose(f);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer fails; a slow one may take its time. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sslinspect-lists/" VERSION);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		cause_set(cause, "%s: %s", url, err[0] ? err :
		    curl_easy_strerror(cc));
	else
		rc = 0;
	curl_easy_cleanup(c);
	if (fclose(f) != 0 && rc == 0) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	return rc;
}

static int
cmd_update(const char *db, const char *src, const char *only, bool strict,
    bool quiet)
{
	struct lists_run	 r;
	struct stat		 st;
	char			*cause = NULL, *tmp = NULL;
	const char		*file = src;
	int			 rc = 1;

	memset(&r, 0, sizeof r);
	r.only = only;
	r.quiet = quiet;
	if ((r.b = catdb_build_new()) == NULL) {
		fprintf(stderr, "sslinspect-lists: out of memory\n");
		return 1;
	}
	if (strncmp(src, "http://", 7) == 0 ||
	    strncmp(src, "https://", 8) == 0) {
		if (asprintf(&tmp, "%s.download.%ld", db, (long)getpid()) ==
		    -1) {
			tmp = NULL;
			goto out;
		}
		if (lists_fetch(src, tmp, &cause) != 0)
			goto out;
		file = tmp;
	} else if (stat(src, &st) != 0) {
		cause_set(&cause, "%s: %s", src, strerror(errno));
		goto out;
	}
	if (tmp == NULL && S_ISDIR(st.st_mode)) {
		if (lists_read_dir(&r, src, &cause) != 0)
			goto out;
	} else if (lists_read_archive(&r, file, &cause) != 0)
		goto out;
	if (r.files == 0) {
		cause_set(&cause,
		    "%s: no category lists in it (CATEGORY/domains "
		    "or CATEGORY/urls)%s", src, only ? " of those named" : "");
		goto out;
	}
	if (r.bad > LISTS_SHOWBAD)
		fprintf(stderr, "sslinspect-lists: %u bad lines in all\n",
		    r.bad);
	if (r.bad > 0 && strict) {
		cause_set(&cause, "%u bad lines, nothing installed (--strict)",
		    r.bad);
		goto out;
	}
	if (catdb_build_write(r.b, db, src, &cause) != 0)
		goto out;
	if (!quiet)
		printf("%s: %zu entries from %u lists%s installed from %s\n",
		    db,
		    catdb_build_count(r.b), r.files,
		    r.bad ? " (bad lines skipped)" : "", src);
	rc = 0;
out:
	if (cause != NULL)
		fprintf(stderr, "sslinspect-lists: %s\n", cause);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(cause);
	catdb_build_free(r.b);
	return rc;
}

static int
cmd_lookup(const char *path, char **names, int n)
{
	struct catdb	*db;
	char		*cause = NULL, hc[CAT_MAXVALUE], uc[CAT_MAXVALUE];
	char		 host[CAT_MAXNAME + 2];
	const char	*h, *e;
	size_t		 l;
	int		 i, rc = 0;

	if ((db = catdb_open(path, &cause)) == NULL) {
		fprintf(stderr, "sslinspect-lists: %s\n", cause);
		free(cause);
		return 1;
	}
	for (i = 0; i < n; i++) {
		uc[0] = '\0';
		h = names[i];
		if (strchr(names[i], '/') != NULL) {
			if (catdb_url(db, names[i], uc, sizeof uc) < 0)
				rc = 1;
			/* The URL's host, for its domains entries. */
			if ((h = strstr(names[i], "://")) != NULL)
				h += 3;
			else
				h = names[i];
			e = h + strcspn(h, ":/?#");
			l = (size_t)(e - h) < sizeof host ? (size_t)(e - h) :
			    sizeof host - 1;
			memcpy(host, h, l);
			host[l] = '\0';
			h = host;
		}
		if (catdb_host(db, h, hc, sizeof hc) < 0)
			rc = 1;
		printf("%s\t%s%s%s\n", names[i], uc, uc[0] && hc[0] ? "," : "",
		    uc[0] || hc[0] ? hc : "-");
	}
	catdb_close(db);
	return rc;
}

static int
cmd_status(const char *path)
{
	static const char *const keys[] = { "built", "source", "categories",
	    "domains", "urls", NULL };
	struct catdb	*db;
	char		*cause = NULL, v[8192];
	int		 i;

	if ((db = catdb_open(path, &cause)) == NULL) {
		fprintf(stderr, "sslinspect-lists: %s\n", cause);
		free(cause);
		return 1;
	}
	printf("database:   %s\n", path);
	for (i = 0; keys[i] != NULL; i++)
		if (catdb_meta(db, keys[i], v, sizeof v) == 0)
			printf("%s:%*s%s\n", keys[i],
			    (int)(11 - strlen(keys[i])), "", v);
	catdb_close(db);
	return 0;
}

int
main(int argc, char **argv)
{
	struct option	 lo[CATOPTS_MAX];
	char		 so[2 * CATOPTS_MAX];
	const char	*db = CATDB_PATH, *only = NULL;
	bool		 strict = false, quiet = false;
	int		 c;

	catopts_getopt(catopts_lists, lo, so);
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'o':
			only = optarg;
			break;
		case 's':
			strict = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			lists_usage(stdout);
			return 0;
		default:
			lists_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 2 && strcmp(argv[0], "update") == 0) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		c = cmd_update(db, argv[1], only, strict, quiet);
		curl_global_cleanup();
		return c;
	}
	if (argc >= 2 && strcmp(argv[0], "lookup") == 0)
		return cmd_lookup(db, argv + 1, argc - 1);
	if (argc == 1 && strcmp(argv[0], "status") == 0)
		return cmd_status(db);
	lists_usage(stderr);
	return 2;
}
