/*
 * A growing byte buffer, for the replies the helpers write to Squid. It is
 * wiped when written out and when freed: certgen's replies hold leaf keys.
 */
#ifndef SSLINSPECT_CBUF_H
#define SSLINSPECT_CBUF_H

#include <stddef.h>

#include "attrib.h"

struct cbuf {
	char		*data;
	size_t		 len;
	size_t		 cap;
};

int	cbuf_add(struct cbuf *, const void *, size_t) NONNULL(1);
int	cbuf_printf(struct cbuf *, const char *, ...) PRINTF(2, 3) NONNULL(1);
int	cbuf_write(struct cbuf *, int) NONNULL(1);
void	cbuf_free(struct cbuf *);

#endif
