/*
 * A growing byte buffer, for what the helpers read from Squid and the
 * replies they write. Whatever leaves it is wiped (when it grows, when
 * bytes are dropped or written out, when it is freed): certgen's requests
 * hold the CA key and its replies leaf keys.
 */
#ifndef SSLINSPECT_CBUF_H
#define SSLINSPECT_CBUF_H

#include <stddef.h>
#include <sys/types.h>

#include "attrib.h"

struct cbuf {
	char		*data;
	size_t		 len;
	size_t		 cap;
};

int	cbuf_add(struct cbuf *, const void *, size_t) NONNULL(1);
int	cbuf_printf(struct cbuf *, const char *, ...) PRINTF(2, 3) NONNULL(1);
ssize_t	cbuf_read(struct cbuf *, int, size_t) NONNULL(1);
void	cbuf_drop(struct cbuf *, size_t) NONNULL(1);
int	cbuf_write(struct cbuf *, int) NONNULL(1);
void	cbuf_free(struct cbuf *);

#endif
