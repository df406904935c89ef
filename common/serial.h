/*
 * Certificate serial numbers: made in one way and written in one way. The
 * lowercase hex string is the key that matches a line of issued.tsv to a
 * line of revoked.tsv and a cached leaf to a revocation, so every component
 * must spell a serial exactly alike: lowercase hex, no leading zeros, no
 * "0x", no colons ("0" for zero).
 */
#ifndef SSLINSPECT_SERIAL_H
#define SSLINSPECT_SERIAL_H

#include <stddef.h>

#include "attrib.h"

#define SERIAL_BYTES	16	/* a new serial: 126 random bits */
#define SERIAL_HEX_MAX	64	/* hex digits kept; RFC 5280 caps at 40 */

int	serial_new(unsigned char *, size_t) NONNULL(1);
int	serial_hex(const unsigned char *, size_t, char *, size_t) NONNULL(3);
int	serial_norm(const char *, char *, size_t) NONNULL(1, 2);

#endif
