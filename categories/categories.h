/*
 * Site categories (finance, health, government, ...): lists in the UT1
 * layout (one directory per category holding "domains" and "urls"),
 * compiled by sslinspect-lists into one immutable LMDB file that the
 * external ACL helper (Squid's splice decisions) and srv_sslinspect (the
 * policy's category: matches) read.
 *
 * catlist.c parses and normalises (pure), catdb.c builds and looks up,
 * catwatch.c follows a file that sslinspect-lists replaces, catacl.c
 * answers Squid's helper lines (pure but for the lookups), catopts.c holds
 * the command lines of the two programs.
 */
#ifndef SSLINSPECT_CATEGORIES_H
#define SSLINSPECT_CATEGORIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "attrib.h"

#ifndef CATDB_PATH
#define CATDB_PATH	"/var/lib/sslinspect/categories.mdb"
#endif

#define CAT_MAXNAME	253	/* a host name */
#define CAT_MAXURL	1024	/* a urls entry, host and path */
#define CAT_MAXCAT	64	/* a category name */
#define CAT_MAXVALUE	1024	/* the categories of one lookup, a,b,c */

/* ---- catlist.c: list files and names, pure ---------------------------- */

enum catlist_kind {
	CATLIST_DOMAINS,	/* host names, each covering its subdomains */
	CATLIST_URLS		/* host/path prefixes */
};

/* A normalised entry, or a bad line (why set, entry NULL). */
typedef int (*catlist_entry_fn)(void *arg, const char *entry);
typedef void (*catlist_error_fn)(void *arg, const char *file,
	    unsigned line, const char *why);

int	catlist_norm_host(const char *in, size_t len, char *out, size_t outlen,
	    const char **why);
int	catlist_norm_url(const char *in, size_t len, char *out, size_t outlen,
	    const char **why);
bool	catlist_valid_category(const char *name);
int	catlist_parse(const char *buf, size_t len, enum catlist_kind,
	    const char *file, catlist_entry_fn, catlist_error_fn, void *arg);
bool	catlist_csv_has(const char *csv, const char *name);

/* ---- catdb.c: the compiled database ----------------------------------- */

struct catdb_build;
struct catdb_build *catdb_build_new(void);
int	catdb_build_category(struct catdb_build *, const char *name);
int	catdb_build_add(struct catdb_build *, int cat, enum catlist_kind,
	    const char *entry);
int	catdb_build_alias(struct catdb_build *, const char *alias,
	    const char *target);
size_t	catdb_build_count(const struct catdb_build *);
int	catdb_build_write(struct catdb_build *, const char *path,
	    const char *source, char **cause);
void	catdb_build_free(struct catdb_build *);

struct catdb;
struct catdb *catdb_open(const char *path, char **cause);
void	catdb_close(struct catdb *);
int	catdb_host(struct catdb *, const char *host, char *out, size_t outlen);
int	catdb_url(struct catdb *, const char *url, char *out, size_t outlen);
int	catdb_request(struct catdb *, const char *host, const char *url,
	    char *out, size_t outlen);
int	catdb_meta(struct catdb *, const char *key, char *out, size_t outlen);

/* ---- catwatch.c: a database that is replaced under its readers ------- */

struct catwatch;
struct catwatch *catwatch_new(const char *path);
struct catdb *catwatch_get(struct catwatch *);
void	catwatch_put(struct catwatch *, struct catdb *);
char	*catwatch_cause(struct catwatch *);
void	catwatch_free(struct catwatch *);

/* ---- catacl.c: Squid's external_acl_type helper, one line ------------- */

int	catacl_answer(struct catdb *, bool channel, char *line, char *out,
	    size_t outlen);

/* ---- catopts.c: the programs' options, for getopt, --help and man ---- */

#define CATOPTS_MAX	16	/* entries of one table, its end included */

struct catopt {
	const char	*name;		/* long name */
	int		 shortopt;
	const char	*arg;		/* NULL: a flag */
	const char	*dflt;		/* NULL: none */
	const char	*help;
};

extern const struct catopt catopts_lists[];	/* sslinspect-lists */
extern const struct catopt catopts_acl[];	/* sslinspect-category-acl */

struct option;
void	catopts_getopt(const struct catopt *, struct option *lo, char *so);
void	catopts_usage(FILE *, const char *synopsis, const struct catopt *);

#endif
