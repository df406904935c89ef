/* Shared bits of the srv_sslinspect unit tests. */
#ifndef SVC_TEST_H
#define SVC_TEST_H

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc.h"
#include "unit_test.h"

/* A growing byte buffer used as a decode/form sink. */
struct collect {
	unsigned char	*buf;
	size_t		 len;
	size_t		 limit;		/* 0: keep everything */
	uint64_t	 total;
};

static inline int
collect_sink(void *arg, const void *p, size_t n)
{
	struct collect	*c = arg;
	unsigned char	*nb;

	c->total += n;
	if (c->limit != 0 && c->len + n > c->limit)
		return 0;
	if ((nb = realloc(c->buf, c->len + n + 1)) == NULL)
		return -1;
	c->buf = nb;
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return 0;
}

static inline void
test_limits(struct svc_limits *l)
{
	struct svc_config	c;

	svcconf_defaults(&c);
	*l = c.limits;
	svcconf_free(&c);
}

/* The one main() of the unit tests (unit_test.h), by its older name. */
#define SVC_TEST_MAIN(suite)	UNIT_TEST_MAIN(suite)

#endif
