/*
 * Literal signatures found anywhere in a body: the EICAR test string and
 * the signatures of archives and compressed streams inside other bodies;
 * see embed.c.
 */
#ifndef SSLINSPECT_EMBED_H
#define SSLINSPECT_EMBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMBED_MAX_HITS	256

enum embed_kind {
	EMBED_ZIP = 0,
	EMBED_RAR,
	EMBED_7Z,
	EMBED_CAB,
	EMBED_AR,
	EMBED_XAR,
	EMBED_GZIP,
	EMBED_XZ,
	EMBED_BZIP2,
	EMBED_ZSTD,
	EMBED_LZ4,
	EMBED_LZIP,
	EMBED_EICAR		/* not an archive: the test string */
};

struct embed_hit {
	uint64_t	off;	/* where the signature starts in the body */
	unsigned	kind;
};

struct embed_db;
struct embed_scan;

struct embed_db		*embed_db_load(char **cause);
void			 embed_db_free(struct embed_db *);
bool			 embed_is_filter(unsigned kind);
const char		*embed_name(unsigned kind);
bool			 embed_plausible(unsigned kind, const unsigned char *,
				size_t);

struct embed_scan	*embed_scan_begin(struct embed_db *, bool archives,
				char **cause);
bool			 embed_scan_eicar(const struct embed_scan *);
int			 embed_scan_feed(struct embed_scan *, const void *,
				size_t, char **cause);
size_t			 embed_scan_hits(const struct embed_scan *,
				const struct embed_hit **, unsigned *dropped);
void			 embed_scan_free(struct embed_scan *);

#endif
