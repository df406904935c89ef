/* What the engine unit tests share: scanning a buffer piecewise, and main. */
#ifndef SSLINSPECT_ENGINE_TEST_H
#define SSLINSPECT_ENGINE_TEST_H

#include <check.h>
#include <stdlib.h>

#include "attrib.h"
#include "engine.h"
#include "unit_test.h"

/* Scan buf (len bytes) in pieces of step bytes; the scan must succeed. */
static UNUSED struct engine_result
engine_test_scan(struct engine_set *set, const struct engine_profile *p,
    enum engine_direction dir, const void *buf, size_t len, size_t step)
{
	struct engine_result	 r;
	struct engine_scan	*s;
	char			*cause = NULL;
	size_t			 off, n;

	s = engine_scan_begin(set, p, dir, "test", &cause);
	ck_assert_msg(s != NULL, "begin: %s", cause);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		ck_assert_msg(engine_scan_feed(s, (const char *)buf + off, n,
		    &cause) == 0, "feed: %s", cause);
	}
	ck_assert_msg(engine_scan_end(s, &r, &cause) == 0, "end: %s", cause);
	engine_scan_free(s);
	return r;
}

/* The one main() helper (unit_test.h), by its older name. */
#define engine_test_run(suite)	unit_test_run((suite), 0)

#endif
