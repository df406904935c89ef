/*
 * MIME parts of a mail message (RFC 2045, 2046), streamed: the parser
 * reads the message line by line, follows the multipart boundaries
 * (nested too) and hands each leaf part, decoded from base64 or
 * quoted-printable, to a sink. Pure code: no engine, no I/O.
 */
#ifndef SSLINSPECT_MIME_H
#define SSLINSPECT_MIME_H

#include <stdbool.h>
#include <stddef.h>

#define MIME_DEPTH_MAX	8	/* nested multiparts followed */

struct mime_sink {
	/* A part starts; name is its file name or "part-N". 0 or -1. */
	int	(*begin)(void *arg, const char *name, char **cause);
	int	(*data)(void *arg, const void *, size_t, char **cause);
	int	(*end)(void *arg, char **cause);
	void	*arg;
};

struct mime;

struct mime	*mime_new(const struct mime_sink *);
int		 mime_feed(struct mime *, const void *, size_t, char **cause);
int		 mime_end(struct mime *, char **cause);
void		 mime_free(struct mime *);
unsigned	 mime_parts(const struct mime *);
bool		 mime_truncated(const struct mime *);

#endif
