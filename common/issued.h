/*
 * The issued-certificate record: one line per certificate that
 * sslinspect-certgen minted, appended to DIR/issued.tsv, so that
 * sslinspect-ca can revoke by host, serial or issuing CA.
 *
 * Line format (tab separated, one line per certificate, newest last):
 *   v1 <issued> <serial> <issuer-keyid> <not-before> <not-after> <host>
 * times are seconds since the epoch, serial and key id lowercase hex,
 * host a validated DNS name or IP literal (never contains tab or newline).
 */
#ifndef SSLINSPECT_ISSUED_H
#define SSLINSPECT_ISSUED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "attrib.h"
#include "serial.h"

#define ISSUED_FILE		"issued.tsv"
#define ISSUED_SERIAL_MAX	SERIAL_HEX_MAX
#define ISSUED_KEYID_MAX	128	/* hex digits */
#define ISSUED_HOST_MAX		253
#define ISSUED_LINE_MAX		512

struct issued_rec {
	int64_t	issued;
	int64_t	not_before;
	int64_t	not_after;
	char	serial[ISSUED_SERIAL_MAX + 1];
	char	issuer_keyid[ISSUED_KEYID_MAX + 1];
	char	host[ISSUED_HOST_MAX + 1];
};

typedef int (*issued_cb)(const struct issued_rec *, void *);

int	issued_format(const struct issued_rec *, char *, size_t) NONNULL(1, 2);
int	issued_parse(const char *, size_t, struct issued_rec *, char **)
	    NONNULL(1, 3);
int	issued_open(const char *, char **) NONNULL(1);
int	issued_write(int, const struct issued_rec *, char **) NONNULL(2);
int	issued_foreach(const char *, issued_cb, void *, char **) NONNULL(1, 2);

#endif
