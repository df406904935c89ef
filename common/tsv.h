/*
 * Field parsing for the project's tab-separated record files (issued.tsv,
 * revoked.tsv): split a line into fields and check hex and number fields.
 * Pure functions on borrowed memory; nothing is allocated.
 */
#ifndef SSLINSPECT_TSV_H
#define SSLINSPECT_TSV_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"

int	tsv_split(const char *, size_t, const char **, size_t *, size_t)
	    NONNULL(1, 3, 4);
int	tsv_hex(const char *, size_t, char *, size_t) NONNULL(1, 3);
int	tsv_num(const char *, size_t, int64_t, int64_t *) NONNULL(1, 4);

#endif
