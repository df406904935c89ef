/*
 * True file type from content: a magic-bytes table of our own for the
 * types that matter to policy and to the engines, a cheap text check, and
 * libmagic only for binaries the table does not know (once per body, on a
 * prefix). Extensions and Content-Type are never consulted.
 */
#ifndef SSLINSPECT_FILETYPE_H
#define SSLINSPECT_FILETYPE_H

#include <stdbool.h>
#include <stddef.h>

#define FILETYPE_PREFIX		4096	/* bytes looked at */

#define FT_CLAMAV		0x01	/* worth a libclamav scan */
#define FT_UNPACK		0x02	/* libarchive can open it */
#define FT_FILTER		0x04	/* one compressed stream, no members */
#define FT_SCRIPT		0x08	/* text ClamAV has signatures for */
#define FT_PDFTEXT		0x10	/* text comes out through poppler */
#define FT_MIME			0x20	/* a mail message: MIME parts inside */

struct filetype {
	const char	*name;		/* "pe", "zip", "pdf", "text", ... */
	const char	*group;		/* "executable", "archive", ... */
	unsigned	 flags;
};

struct filetype_magic;

const struct filetype	*filetype_sniff(const void *, size_t);
int			 filetype_utf16(const void *, size_t);
const struct filetype	*filetype_lookup(const char *name);
const struct filetype	*filetype_at(size_t);
struct filetype_magic	*filetype_magic_open(char **cause);
void			 filetype_magic_close(struct filetype_magic *);
void			 filetype_magic_guess(struct filetype_magic *,
				const void *, size_t, char *name,
				    size_t namelen,
				struct filetype *out);
bool			 filetype_listed(const char *const *list,
				const char *name, const char *group);

#endif
