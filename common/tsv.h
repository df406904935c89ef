/*
 * Field parsing for the project's tab-separated record files (issued.tsv,
 * revoked.tsv): split a line into fields and check hex and number fields.
 * The field functions are pure and work on borrowed memory; tsv_foreach
 * reads a record file line by line.
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

/*
 * A record file's line handler: 0 to go on; -1 with *why set for a
 * malformed line; any other value (or -1 without why) stops the walk and is
 * returned.
 */
typedef int (*tsv_line_cb)(const char *, size_t, void *, char **);
int	tsv_foreach(const char *, int, tsv_line_cb, void *, char **)
	    NONNULL(1, 3);

#endif
