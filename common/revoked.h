/*
 * The revocation record that sslinspect-ca keeps in DIR/revoked.tsv: one
 * line per revoked certificate or issuing CA. sslinspect-ca builds its CRLs
 * from it; sslinspect-certgen reads it so that it never serves a revoked
 * leaf from its cache.
 *
 * Line format (tab separated, newest last):
 *   v1 <revoked> <issuer-keyid> <serial> <reason> <not-after> <label>
 * times are seconds since the epoch, key id and serial lowercase hex,
 * reason an RFC 5280 CRLReason code or -1 (none given), label the host
 * name or "issuing-ca".
 */
#ifndef SSLINSPECT_REVOKED_H
#define SSLINSPECT_REVOKED_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"
#include "serial.h"

#define REVOKED_FILE		"revoked.tsv"
#define REVOKED_KEYID_MAX	128	/* hex digits */
#define REVOKED_SERIAL_MAX	SERIAL_HEX_MAX

struct revoked_rec {
	int64_t	revoked;
	int64_t	not_after;
	int	reason;			/* -1: none given */
	char	issuer_keyid[REVOKED_KEYID_MAX + 1];
	char	serial[REVOKED_SERIAL_MAX + 1];
	char	label[254];		/* host name or "issuing-ca" */
};

typedef int (*revoked_cb)(const struct revoked_rec *, void *);

int	revoked_format(const struct revoked_rec *, char *, size_t)
	    NONNULL(1, 2);
int	revoked_parse(const char *, size_t, struct revoked_rec *, char **)
	    NONNULL(1, 3);
int	revoked_foreach(const char *, revoked_cb, void *, char **)
	    NONNULL(1, 2);

#endif
