/*
 * The framing Squid uses with its helpers (sslcrtd_program and
 * sslcrtvalidator_program alike):
 *
 *   request: [<id> SP]<code> SP <len> SP <body> LF
 *
 * <len> counts the body only. Pure, no I/O: every byte is hostile.
 */
#ifndef SSLINSPECT_HELPER_H
#define SSLINSPECT_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "attrib.h"

#define HELPER_REASON_MAX	200	/* a refusal's text */

/* A string literal's length, counted by the compiler. */
#define HELPER_LEN(lit)		(sizeof(lit) - 1)
/* Is the span s (n bytes) exactly the string literal lit? */
#define HELPER_IS(s, n, lit)						\
	((n) == HELPER_LEN(lit) && memcmp((s), (lit), HELPER_LEN(lit)) == 0)

enum helper_status {
	HELPER_NEED = 0,	/* incomplete: read more */
	HELPER_OK,		/* a complete request */
	HELPER_BAD,		/* framing broken: skip fr.consumed bytes */
	HELPER_SKIP		/* well framed but refused: skip fr.consumed */
};

struct helper_frame {
	int		 has_id;
	uint64_t	 id;
	const char	*body;		/* inside the input buffer */
	size_t		 body_len;
	size_t		 consumed;	/* bytes of input this frame used */
	char		 reason[HELPER_REASON_MAX];
};

enum helper_status helper_frame(const char *, size_t, const char *, size_t,
		    struct helper_frame *) NONNULL(1, 3, 5);
int		helper_starts(const char *, size_t, const char *)
		    NONNULL(1, 3);
size_t		helper_eol(const char *, size_t, size_t) NONNULL(1);
size_t		helper_reason(char *, size_t, const char *) NONNULL(1, 3);

#endif
